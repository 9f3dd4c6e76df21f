//! The five charts by name: one entry point that draws any of them on any backend (the page's
//! canvas, an SVG string for export), and a text version of each for screen readers.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChannelAxis, PlotResult, Style};
use crate::engine::analysis::{ChannelView, Report, SweepPoint};
use crate::format;

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Ranges,
    Msqe,
    TensorHistogram,
    ChannelHistogram,
    Sweep,
}

impl ChartKind {
    pub const ALL: [ChartKind; 5] = [
        ChartKind::Ranges,
        ChartKind::Msqe,
        ChartKind::TensorHistogram,
        ChartKind::ChannelHistogram,
        ChartKind::Sweep,
    ];

    /// A short name for files (`ranges.svg`).
    pub fn slug(self) -> &'static str {
        match self {
            ChartKind::Ranges => "ranges",
            ChartKind::Msqe => "msqe",
            ChartKind::TensorHistogram => "tensor-histogram",
            ChartKind::ChannelHistogram => "channel-histogram",
            ChartKind::Sweep => "bit-sweep",
        }
    }

    /// Whether a click on the chart selects a channel.
    pub fn clickable(self) -> bool {
        matches!(self, ChartKind::Ranges | ChartKind::Msqe)
    }
}

/// Draws chart `kind` of `report` (channel `selected`; `view` is that channel's, needed by the
/// selected-channel chart, and `sweep` the bit-width sweep, needed by the sweep chart; each draws
/// nothing without its data). Returns where the channels lie for a per-channel chart, for click
/// hit-testing.
pub fn draw_chart<DB: DrawingBackend>(
    kind: ChartKind,
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    selected: usize,
    view: Option<&ChannelView>,
    sweep: Option<&[SweepPoint]>,
    style: &Style,
) -> PlotResult<Option<ChannelAxis>> {
    match kind {
        ChartKind::Ranges => super::draw_channel_ranges(area, report, selected, style).map(Some),
        ChartKind::Msqe => super::draw_channel_msqe(area, report, selected, style).map(Some),
        ChartKind::TensorHistogram => {
            super::draw_tensor_histogram(area, report, style).map(|_| None)
        }
        ChartKind::ChannelHistogram => match view {
            Some(v) => super::draw_channel_histogram(area, report, v, style).map(|_| None),
            None => Ok(None),
        },
        ChartKind::Sweep => match sweep {
            Some(points) => {
                super::draw_bit_sweep(area, points, report.spec.bits, report.group.size, style)
                    .map(|_| None)
            }
            None => Ok(None),
        },
    }
}

/// Chart `kind` as an SVG document of `width` × `height` pixels (the same drawing as the page's).
pub fn svg(
    kind: ChartKind,
    report: &Report,
    selected: usize,
    view: Option<&ChannelView>,
    sweep: Option<&[SweepPoint]>,
    style: &Style,
    (width, height): (u32, u32),
) -> PlotResult<String> {
    let mut out = String::new();
    {
        let area =
            SVGBackend::with_string(&mut out, (width.max(1), height.max(1))).into_drawing_area();
        draw_chart(kind, &area, report, selected, view, sweep, style)?;
        area.present().map_err(super::err)?;
    }
    Ok(out)
}

/// A range in short numbers (three significant digits, as the axes write them).
fn range_text(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", format::tick(lo), format::tick(hi))
}

/// The key numbers of chart `kind` in one or two sentences, for screen readers (the canvas is an
/// image; this is its text).
pub fn describe(
    kind: ChartKind,
    report: &Report,
    selected: usize,
    view: Option<&ChannelView>,
    sweep: Option<&[SweepPoint]>,
) -> String {
    let n = report.channels.len();
    let width = |i: usize| {
        let c = &report.channels[i];
        f64::from(c.range.max) - f64::from(c.range.min)
    };
    let finite: Vec<usize> = (0..n)
        .filter(|&i| report.channels[i].has_finite())
        .collect();
    let channel_range = |i: usize| {
        let c = &report.channels[i];
        range_text(f64::from(c.range.min), f64::from(c.range.max))
    };
    let (t_lo, t_hi) = report.tensor_chosen;
    let sel = report.channels.get(selected);
    match kind {
        ChartKind::Ranges => {
            let narrow = finite
                .iter()
                .copied()
                .filter(|&i| width(i) > 0.0)
                .min_by(|&a, &b| width(a).total_cmp(&width(b)));
            let wide = finite
                .iter()
                .copied()
                .max_by(|&a, &b| width(a).total_cmp(&width(b)));
            let mut s = format!(
                "Per-channel ranges: {}",
                format::plural(n, "channel", "channels")
            );
            if let Some(i) = narrow {
                s += &format!(", narrowest channel {i} {}", channel_range(i));
            }
            if let Some(i) = wide {
                s += &format!(", widest channel {i} {}", channel_range(i));
            }
            s += &format!("; per-tensor range {}.", range_text(t_lo, t_hi));
            if let Some(c) = sel.filter(|c| c.has_finite()) {
                s += &format!(
                    " Selected channel {selected}: {}, own range {}.",
                    channel_range(selected),
                    range_text(c.chosen.0, c.chosen.1)
                );
            }
            s
        }
        ChartKind::Msqe => {
            let extreme = |f: fn(&crate::engine::ChannelStats) -> f64, max: bool| {
                let it = finite.iter().copied();
                let cmp = |a: &usize, b: &usize| {
                    f(&report.channels[*a]).total_cmp(&f(&report.channels[*b]))
                };
                if max {
                    it.max_by(cmp)
                } else {
                    it.min_by(cmp)
                }
            };
            let span = |f: fn(&crate::engine::ChannelStats) -> f64| match (
                extreme(f, false),
                extreme(f, true),
            ) {
                (Some(a), Some(b)) => format!(
                    "from {} (channel {a}) to {} (channel {b})",
                    format::number(f(&report.channels[a])),
                    format::number(f(&report.channels[b]))
                ),
                _ => "not measured (no finite values)".to_string(),
            };
            let mut s = format!(
                "MSQE per channel: with the per-tensor scale {}, overall {}; with each channel's own scale {}, overall {}; with groups of {}, {}, overall {}.",
                span(crate::engine::ChannelStats::msqe_per_tensor),
                format::number(report.per_tensor.msqe),
                span(crate::engine::ChannelStats::msqe_per_channel),
                format::number(report.per_channel.msqe),
                report.group.size,
                span(crate::engine::ChannelStats::msqe_per_group),
                format::number(report.per_group.msqe)
            );
            if let Some(c) = sel.filter(|c| c.has_finite()) {
                s += &format!(
                    " Selected channel {selected}: {} per-tensor, {} with its own scale.",
                    format::number(c.msqe_per_tensor()),
                    format::number(c.msqe_per_channel())
                );
            }
            s
        }
        ChartKind::TensorHistogram => {
            let mut s = format!(
                "Whole-tensor histogram: {} values",
                format::count(report.element_count())
            );
            if report.range.has_finite() {
                s += &format!(
                    " from {} to {}",
                    format::tick(f64::from(report.range.min)),
                    format::tick(f64::from(report.range.max))
                );
            }
            if report.nonfinite() > 0 {
                s += &format!(
                    " ({} not finite, left out)",
                    format::count(report.nonfinite())
                );
            }
            s += &format!(
                "; per-tensor range {}, scale {}.",
                range_text(t_lo, t_hi),
                format::number(f64::from(report.tensor_params.scale))
            );
            s
        }
        ChartKind::Sweep => match sweep {
            Some(points) if !points.is_empty() => {
                let list = points
                    .iter()
                    .map(|p| {
                        format!(
                            "{} bits: {} per-tensor, {} per-channel, {} per-group",
                            p.bits,
                            format::number(p.msqe[0]),
                            format::number(p.msqe[1]),
                            format::number(p.msqe[2])
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                format!(
                    "Total MSQE by bit width (groups of {}): {list}.",
                    report.group.size
                )
            }
            _ => "Bit-width sweep: not computed.".to_string(),
        },
        ChartKind::ChannelHistogram => {
            let (Some(v), Some(c)) = (view, report.channels.get(selected)) else {
                return "Selected channel: none.".to_string();
            };
            if !c.has_finite() {
                return format!("Channel {}: no finite values.", v.channel);
            }
            let scale = f64::from(report.tensor_params.scale);
            let zp = f64::from(report.tensor_params.zero_point);
            let (qmin, qmax) = report.spec.type_range();
            // Per-tensor levels that fall inside the channel's min..max.
            let lo = (f64::from(c.range.min) / scale + zp)
                .ceil()
                .max(f64::from(qmin));
            let hi = (f64::from(c.range.max) / scale + zp)
                .floor()
                .min(f64::from(qmax));
            let levels = if hi >= lo { (hi - lo) as u64 + 1 } else { 0 };
            // The clipping range each method picks, as the bars under the histogram show them.
            let methods: Vec<String> = v
                .methods
                .iter()
                .map(|(m, (a, b))| {
                    format!("{} {}", m.label(), range_text(f64::from(*a), f64::from(*b)))
                })
                .collect();
            format!(
                "Channel {}: {} values in {}; its own range {} with scale {}; the per-tensor grid has {} inside the channel's values (per-tensor range {}). Ranges by method: {}.",
                v.channel,
                format::count(c.err_per_channel.count),
                channel_range(selected),
                range_text(c.chosen.0, c.chosen.1),
                format::number(f64::from(c.params.scale)),
                format::plural(levels as usize, "level", "levels"),
                range_text(t_lo, t_hi),
                methods.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analysis::channel_view;
    use crate::engine::{analyze, QuantSpec, Tensor};

    fn report() -> (Tensor, Report) {
        let t = Tensor::new(
            vec![3, 4],
            vec![
                0.1, -0.2, 0.05, 0.0, //
                1.0, -3.0, 2.0, 0.5, //
                0.0, 0.0, 0.0, 0.0,
            ],
        )
        .unwrap();
        let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
        (t, r)
    }

    #[test]
    fn descriptions_carry_the_key_numbers() {
        let (t, r) = report();
        let v = channel_view(&t, &r, 0, 99.99).unwrap();
        let ranges = describe(ChartKind::Ranges, &r, 0, Some(&v), None);
        assert!(
            ranges.starts_with("Per-channel ranges: 3 channels, narrowest channel 0 [-0.2, 0.1], widest channel 1 [-3, 2]; per-tensor range [-3, 3]."),
            "{ranges}"
        );
        let msqe = describe(ChartKind::Msqe, &r, 0, Some(&v), None);
        assert!(
            msqe.starts_with("MSQE per channel: with the per-tensor scale from 0 (channel 2)"),
            "{msqe}"
        );
        let hist = describe(ChartKind::TensorHistogram, &r, 0, None, None);
        assert!(
            hist.starts_with("Whole-tensor histogram: 12 values from -3 to 2"),
            "{hist}"
        );
        let ch = describe(ChartKind::ChannelHistogram, &r, 0, Some(&v), None);
        assert!(ch.starts_with("Channel 0: 4 values in [-0.2, 0.1]"), "{ch}");
        assert!(ch.contains("levels inside"), "{ch}");
        assert_eq!(
            describe(ChartKind::ChannelHistogram, &r, 9, None, None),
            "Selected channel: none."
        );
    }

    #[test]
    fn every_chart_draws_as_svg() {
        let (t, r) = report();
        let v = channel_view(&t, &r, 1, 99.99).unwrap();
        let sweep = crate::engine::analysis::sweep(
            &t,
            0,
            &crate::engine::analysis::Options::new(QuantSpec::SYMMETRIC_INT8),
            2..=8,
        )
        .unwrap();
        for dark in [false, true] {
            let style = Style::new(1.0).with_dark(dark);
            for kind in ChartKind::ALL {
                let s = svg(kind, &r, 1, Some(&v), Some(&sweep), &style, (560, 300)).unwrap();
                assert!(s.starts_with("<svg") && s.contains("<text"), "{kind:?}");
                let bg = if dark { "#1A1B1E" } else { "#FFFFFF" };
                assert!(s.to_uppercase().contains(bg), "{kind:?} background");
            }
        }
    }
}
