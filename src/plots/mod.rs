//! Charts drawn with plotters, generic over the backend: a canvas in the page, SVG in tests.
//! Each function takes a finished [`Report`](crate::engine::Report) (and what is selected) and a
//! drawing area, and computes nothing but layout.

mod histograms;
mod kinds;
mod msqe;
mod ranges;
mod sweep;

pub use histograms::{draw_channel_histogram, draw_tensor_histogram};
pub use kinds::{describe, draw_chart, svg, ChartKind};
pub use msqe::draw_channel_msqe;
pub use ranges::draw_channel_ranges;
pub use sweep::draw_bit_sweep;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A drawing failed in the backend (the message of plotters' error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("drawing failed: {0}")]
pub struct PlotError(pub String);

pub type PlotResult<T> = Result<T, PlotError>;

pub(crate) fn err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

/// Where the channels of a per-channel chart lie on the backend's pixels, for click hit-testing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelAxis {
    /// Pixel x of the left and right edge of the plotting area.
    pub left: i32,
    pub right: i32,
    /// Pixel y of the top and bottom edge of the plotting area.
    pub top: i32,
    pub bottom: i32,
    pub channels: usize,
}

impl ChannelAxis {
    /// Nothing was drawn, so no click selects a channel.
    pub const NONE: ChannelAxis = ChannelAxis {
        left: 0,
        right: 0,
        top: 0,
        bottom: 0,
        channels: 0,
    };

    /// Where `chart`'s plotting area lies, with `channels` equal slots along x.
    pub(crate) fn of<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
        chart: &Chart<'_, DB, Y>,
        channels: usize,
    ) -> ChannelAxis {
        let (x, y) = chart.plotting_area().get_pixel_range();
        ChannelAxis {
            left: x.start,
            right: x.end,
            top: y.start,
            bottom: y.end,
            channels,
        }
    }

    /// The channel under pixel `(x, y)`, if it is inside the plotting area.
    pub fn channel_at(&self, x: f64, y: f64) -> Option<usize> {
        if self.channels == 0 || x < f64::from(self.left) || x > f64::from(self.right) {
            return None;
        }
        if y < f64::from(self.top) || y > f64::from(self.bottom) {
            return None;
        }
        let width = f64::from((self.right - self.left).max(1));
        let c = ((x - f64::from(self.left)) / width * self.channels as f64).floor();
        Some((c.max(0.0) as usize).min(self.channels - 1))
    }
}

/// Sizes and colours of the charts. `scale` is the device pixel ratio: the backend is sized in
/// device pixels and every length here is multiplied by it, so canvases stay sharp on HiDPI screens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub scale: f64,
    /// Colours: [`Palette::LIGHT`] by default, [`Palette::DARK`] for a dark page.
    pub palette: Palette,
}

/// The colours of a chart. Per-tensor is orange and per-channel blue in both themes (the dark
/// theme's are lighter, so notes written in them stay readable on a dark background).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    pub per_tensor: RGBColor,
    pub per_channel: RGBColor,
    pub per_group: RGBColor,
    /// The range-method rows of the channel histogram.
    pub methods: [RGBColor; 6],
    /// Data (min..max bars, histogram bins) and muted notes.
    pub data: RGBColor,
    pub selected: RGBColor,
    pub text: RGBColor,
    pub grid: RGBColor,
    pub background: RGBColor,
}

impl Palette {
    pub const LIGHT: Palette = Palette {
        per_tensor: PER_TENSOR,
        per_channel: PER_CHANNEL,
        per_group: PER_GROUP,
        methods: [
            RGBColor(52, 58, 64),
            RGBColor(156, 54, 181),
            RGBColor(230, 119, 0),
            RGBColor(12, 133, 153),
            RGBColor(201, 42, 42),
            RGBColor(95, 61, 196),
        ],
        data: DATA,
        selected: SELECTED,
        text: TEXT,
        grid: GRID,
        background: BACKGROUND,
    };
    /// Matches the page's dark theme (web/style.css).
    pub const DARK: Palette = Palette {
        per_tensor: RGBColor(255, 146, 43),
        per_channel: RGBColor(77, 171, 247),
        per_group: RGBColor(105, 219, 124),
        methods: [
            RGBColor(222, 226, 230),
            RGBColor(229, 153, 247),
            RGBColor(255, 192, 120),
            RGBColor(102, 217, 232),
            RGBColor(255, 135, 135),
            RGBColor(177, 151, 252),
        ],
        data: RGBColor(173, 181, 189),
        selected: RGBColor(177, 151, 252),
        text: RGBColor(233, 236, 239),
        grid: RGBColor(52, 58, 64),
        background: RGBColor(26, 27, 30),
    };
}

/// Per-tensor is orange, per-channel is blue, everywhere (charts and the numbers on the page).
pub const PER_TENSOR: RGBColor = RGBColor(217, 72, 15);
pub const PER_CHANNEL: RGBColor = RGBColor(25, 113, 194);
/// Per-group series (green, distinct from orange and blue for colour-blind readers by lightness too).
pub const PER_GROUP: RGBColor = RGBColor(47, 158, 68);
pub const DATA: RGBColor = RGBColor(73, 80, 87);
/// The selected channel: violet, so it is never mistaken for the per-tensor orange.
pub const SELECTED: RGBColor = RGBColor(132, 94, 247);
const TEXT: RGBColor = RGBColor(33, 37, 41);
const GRID: RGBColor = RGBColor(222, 226, 230);
const BACKGROUND: RGBColor = RGBColor(255, 255, 255);

impl Style {
    pub fn new(scale: f64) -> Style {
        Style {
            scale: if scale.is_finite() && scale > 0.0 {
                scale.min(4.0)
            } else {
                1.0
            },
            palette: Palette::LIGHT,
        }
    }

    /// The same sizes in the dark palette (or the light one).
    pub fn with_dark(self, dark: bool) -> Style {
        Style {
            palette: if dark { Palette::DARK } else { Palette::LIGHT },
            ..self
        }
    }

    /// A length in backend pixels.
    pub fn px(&self, css_px: f64) -> u32 {
        (css_px * self.scale).round().max(1.0) as u32
    }

    pub fn pxf(&self, css_px: f64) -> f64 {
        css_px * self.scale
    }

    pub fn font(&self, size: f64) -> TextStyle<'static> {
        ("sans-serif", size * self.scale)
            .into_font()
            .color(&self.palette.text)
    }

    pub fn label(&self) -> TextStyle<'static> {
        self.font(11.0)
    }

    pub fn note(&self, color: RGBColor, h: HPos) -> TextStyle<'static> {
        ("sans-serif", 11.0 * self.scale)
            .into_font()
            .color(&color)
            .pos(Pos::new(h, VPos::Top))
    }

    pub fn line(&self, color: RGBColor, width: f64) -> ShapeStyle {
        ShapeStyle {
            color: color.to_rgba(),
            filled: false,
            stroke_width: self.px(width),
        }
    }
}

/// A chart with a float64 x axis (channels or values) and any float64 y axis (linear or log).
pub(crate) type Chart<'a, DB, Y> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>;

/// True when the area is narrower than 540 CSS pixels: notes then take a line each.
pub(crate) fn is_narrow<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
) -> bool {
    f64::from(area.dim_in_pixel().0) / style.scale < 540.0
}

/// The frame every chart here uses: `rows` lines of notes on top, labels on the left and bottom.
pub(crate) fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
    rows: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin_top(style.px(6.0 + 14.0 * f64::from(rows)))
        .margin_right(style.px(22.0))
        .margin_left(style.px(4.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(58.0));
    b
}

/// The axis style every chart here uses: horizontal grid lines only, labels at device scale.
pub(crate) fn base_mesh<'a, 'b, X, Y, DB>(
    mesh: &mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    style: &Style,
) where
    X: Ranged,
    Y: Ranged,
    DB: DrawingBackend,
{
    mesh.disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(style.line(style.palette.grid, 1.0))
        .label_style(style.label())
        .axis_desc_style(style.label());
}

/// A band behind channel `c` of `n`, at least 3 CSS pixels wide so it shows among a thousand.
pub(crate) fn selection_band<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'_, DB, Y>,
    c: usize,
    n: usize,
    (y_lo, y_hi): (f64, f64),
    style: &Style,
) -> PlotResult<()> {
    let (px, _) = chart.plotting_area().get_pixel_range();
    let band =
        (f64::from(style.px(3.0)) / f64::from((px.end - px.start).max(1)) * n as f64).max(1.0);
    let x = c.min(n.saturating_sub(1)) as f64 + 0.5;
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(x - band / 2.0, y_lo), (x + band / 2.0, y_hi)],
            style.palette.selected.mix(0.35).filled(),
        )))
        .map_err(err)?;
    Ok(())
}

/// A dashed line from `a` to `b` (the per-tensor range and the totals).
pub(crate) fn dashed<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'_, DB, Y>,
    a: (f64, f64),
    b: (f64, f64),
    color: RGBColor,
    width: f64,
    style: &Style,
) -> PlotResult<()> {
    chart
        .draw_series(DashedLineSeries::new(
            [a, b],
            style.px(6.0),
            style.px(4.0),
            style.line(color, width),
        ))
        .map_err(err)?;
    Ok(())
}

/// A one-line note above the plotting area, left- or right-aligned, `row` lines down.
pub(crate) fn note<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart<'_, DB, Y>,
    text: String,
    color: RGBColor,
    h: HPos,
    row: u32,
    style: &Style,
) -> PlotResult<()> {
    let (x, _) = chart.plotting_area().get_pixel_range();
    let at = match h {
        HPos::Left => x.start + style.px(4.0) as i32,
        _ => x.end,
    };
    area.draw(&Text::new(
        text,
        (at, style.px(2.0 + 14.0 * f64::from(row)) as i32),
        style.note(color, h),
    ))
    .map_err(err)
}

/// Channel-axis tick labels: whole channels only (no "0 0 1 1" when there are few channels).
pub(crate) fn channel_tick(v: &f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", *v as i64)
    } else {
        String::new()
    }
}

/// Clears the area to the page background.
pub(crate) fn clear<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
) -> PlotResult<()> {
    area.fill(&style.palette.background).map_err(err)
}

/// A centred message in an otherwise empty chart (e.g. "no channels").
pub(crate) fn message<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
    text: &str,
) -> PlotResult<()> {
    clear(area, style)?;
    let (w, h) = area.dim_in_pixel();
    let font = style.font(13.0).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(
        text.to_string(),
        (w as i32 / 2, h as i32 / 2),
        font,
    ))
    .map_err(err)
}

/// `[lo, hi]` widened by `frac` of its width on each side (and made non-empty).
pub(crate) fn pad(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (-1.0, 1.0)
    };
    let w = hi - lo;
    if w <= 0.0 {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.5 };
        return (lo - d, hi + d);
    }
    (lo - w * frac, hi + w * frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_map_to_channels() {
        let a = ChannelAxis {
            left: 100,
            right: 300,
            top: 10,
            bottom: 110,
            channels: 4,
        };
        assert_eq!(a.channel_at(100.0, 50.0), Some(0));
        assert_eq!(a.channel_at(149.0, 50.0), Some(0));
        assert_eq!(a.channel_at(151.0, 50.0), Some(1));
        assert_eq!(a.channel_at(300.0, 50.0), Some(3));
        assert_eq!(a.channel_at(99.0, 50.0), None);
        assert_eq!(a.channel_at(200.0, 5.0), None);
        assert_eq!(pad(1.0, 1.0, 0.1), (0.5, 1.5));
        assert_eq!(pad(0.0, 0.0, 0.1), (-1.0, 1.0));
    }
}
