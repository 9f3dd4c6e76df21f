//! Each channel's min..max as a bar, its own chosen range behind it, the per-tensor range across all.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::{
    clear, err, grid_colors, message, pad, ChannelAxis, PlotResult, Style, DATA, PER_CHANNEL,
    PER_TENSOR, SELECTED,
};
use crate::engine::Report;
use crate::format;

/// Draws the per-channel ranges chart and returns where the channels lie, for clicks.
pub fn draw_channel_ranges<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    selected: usize,
    style: &Style,
) -> PlotResult<ChannelAxis> {
    let n = report.channels.len();
    if n == 0 || !report.range.has_finite() {
        message(area, style, "no finite values to draw")?;
        return Ok(ChannelAxis {
            left: 0,
            right: 0,
            top: 0,
            bottom: 0,
            channels: 0,
        });
    }
    clear(area)?;
    let (t_lo, t_hi) = report.tensor_chosen;
    let (y_lo, y_hi) = pad(
        t_lo.min(f64::from(report.range.min)),
        t_hi.max(f64::from(report.range.max)),
        0.06,
    );
    let (grid, _) = grid_colors();
    let mut chart = ChartBuilder::on(area)
        .margin_top(style.px(18.0))
        .margin_right(style.px(12.0))
        .margin_left(style.px(4.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(58.0))
        .build_cartesian_2d(0f64..n as f64, y_lo..y_hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(style.line(grid, 1.0))
        .x_labels(8)
        .y_labels(7)
        .x_label_formatter(&|v| format!("{}", v.floor() as i64))
        .y_label_formatter(&|v| format::tick_in(*v, y_hi - y_lo))
        .x_desc("channel")
        .y_desc("value")
        .label_style(style.label())
        .axis_desc_style(style.label())
        .draw()
        .map_err(err)?;

    // The selected channel: a band behind everything, wide enough to see among a thousand.
    let c = selected.min(n - 1) as f64;
    let (px_range, _) = chart.plotting_area().get_pixel_range();
    let band = (f64::from(style.px(3.0)) / f64::from((px_range.end - px_range.start).max(1))
        * n as f64)
        .max(1.0);
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(c + 0.5 - band / 2.0, y_lo), (c + 0.5 + band / 2.0, y_hi)],
            SELECTED.mix(0.35).filled(),
        )))
        .map_err(err)?;

    // Each channel's own chosen range (light) and its data min..max (dark).
    let gap = if n <= 64 { 0.15 } else { 0.0 };
    chart
        .draw_series(
            report
                .channels
                .iter()
                .enumerate()
                .filter(|(_, s)| s.has_finite())
                .map(|(i, s)| {
                    let x = i as f64;
                    Rectangle::new(
                        [(x + gap, s.chosen.0), (x + 1.0 - gap, s.chosen.1)],
                        PER_CHANNEL.mix(0.22).filled(),
                    )
                }),
        )
        .map_err(err)?;
    chart
        .draw_series(
            report
                .channels
                .iter()
                .enumerate()
                .filter(|(_, s)| s.has_finite())
                .map(|(i, s)| {
                    let x = i as f64;
                    let (lo, hi) = (f64::from(s.range.min), f64::from(s.range.max));
                    // A zero-width range is still drawn as a hairline.
                    let min_h = (y_hi - y_lo) * 0.004;
                    let (lo, hi) = if hi - lo < min_h {
                        (lo - min_h / 2.0, hi + min_h / 2.0)
                    } else {
                        (lo, hi)
                    };
                    Rectangle::new([(x + gap, lo), (x + 1.0 - gap, hi)], DATA.filled())
                }),
        )
        .map_err(err)?;

    // The per-tensor range, one for all channels.
    for y in [t_lo, t_hi] {
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, y), (n as f64, y)],
                style.px(6.0),
                style.px(4.0),
                style.line(PER_TENSOR, 2.0),
            ))
            .map_err(err)?;
    }
    let (x_px, y_px) = chart.plotting_area().get_pixel_range();
    let label = format!(
        "per-tensor range [{}, {}]",
        format::tick(t_lo),
        format::tick(t_hi)
    );
    area.draw(&Text::new(
        label,
        (x_px.start + style.px(4.0) as i32, style.px(2.0) as i32),
        style.note(PER_TENSOR, HPos::Left),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        "bars: channel min..max · shaded: its own per-channel range".to_string(),
        (x_px.end, style.px(2.0) as i32),
        style.note(PER_CHANNEL, HPos::Right),
    ))
    .map_err(err)?;
    Ok(ChannelAxis {
        left: x_px.start,
        right: x_px.end,
        top: y_px.start,
        bottom: y_px.end,
        channels: n,
    })
}
