//! The whole tensor's histogram with the per-tensor range, and one channel's histogram with its
//! own range, the per-tensor range and the per-tensor grid.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::{base_mesh, clear, dashed, err, frame, is_narrow, note, pad, Chart, PlotResult, Style};
use crate::engine::analysis::ChannelView;
use crate::engine::histogram::Histogram;
use crate::engine::range::{AciqPrior, RangeMethod};
use crate::engine::Report;
use crate::format;

/// Baseline of the log-count histogram.
const BASE: f64 = 0.5;

/// The whole tensor's histogram on a log count axis (outliers that set the per-tensor range stay
/// visible), with the per-tensor range marked. Empty bins are skipped; bars start at 0.5, so a bin
/// of one value is as tall as the step from 1 to 2.
pub fn draw_tensor_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &Style,
) -> PlotResult<()> {
    clear(area, style)?;
    let h = &report.histogram;
    let (t_lo, t_hi) = report.tensor_chosen;
    let (x_lo, x_hi) = pad(h.lo.min(t_lo), h.hi.max(t_hi), 0.03);
    let y_hi = (h.max_count().max(1) as f64 * 2.5).max(10.0);
    let mut chart = frame(area, style, 1)
        .build_cartesian_2d(x_lo..x_hi, (BASE..y_hi).log_scale())
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    base_mesh(&mut mesh, style);
    mesh.x_labels(7)
        .y_labels(6)
        .x_label_formatter(&|v| format::tick_in(*v, x_hi - x_lo))
        .y_label_formatter(&|v| format::tick(*v))
        .x_desc("value")
        .y_desc("count (log)")
        .draw()
        .map_err(err)?;
    for x in [t_lo, t_hi] {
        dashed(
            &mut chart,
            (x, BASE),
            (x, y_hi),
            style.palette.per_tensor,
            2.0,
            style,
        )?;
    }
    draw_bars(&mut chart, h, BASE, style)?;
    let text = format!(
        "per-tensor range [{}, {}], step {}",
        format::tick(t_lo),
        format::tick(t_hi),
        format::tick(f64::from(report.tensor_params.scale))
    );
    note(
        area,
        &chart,
        text,
        style.palette.per_tensor,
        HPos::Left,
        0,
        style,
    )?;
    Ok(())
}

/// The selected channel (from [`crate::engine::analysis::channel_view`]): its histogram with its own
/// chosen range, the per-tensor range when it fits in view (a note when it does not), the per-tensor
/// grid's levels as ticks when there are few enough to see, and for a small channel a strip above
/// the bars with every value (◆) and where it lands under per-tensor (orange) and per-channel (blue).
pub fn draw_channel_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    view: &ChannelView,
    style: &Style,
) -> PlotResult<()> {
    clear(area, style)?;
    let (c, hist) = (view.channel, &view.histogram);
    let Some(stats) = report.channels.get(c) else {
        return super::message(area, style, "no such channel");
    };
    // The scale-1 fallback of a zero or subnormal range is no range to show: use the data's.
    let (c_lo, c_hi) = if stats.params.degenerate {
        (
            hist.lo.max(f64::from(stats.range.min).min(0.0)),
            hist.hi.min(f64::from(stats.range.max).max(0.0)),
        )
    } else {
        stats.chosen
    };
    let (t_lo, t_hi) = report.tensor_chosen;
    // View: the channel's data and its own range; the per-tensor range too when it is at most
    // three times wider (otherwise the channel would shrink to a sliver, which the text says).
    let (v_lo, v_hi) = (hist.lo.min(c_lo), hist.hi.max(c_hi));
    let tensor_fits = (t_hi - t_lo) <= 3.0 * (v_hi - v_lo);
    let (x_lo, x_hi) = if tensor_fits {
        pad(v_lo.min(t_lo), v_hi.max(t_hi), 0.04)
    } else {
        pad(v_lo, v_hi, 0.08)
    };
    // Room on the left for the row labels (value strip, range methods).
    let x_lo = x_lo - 0.2 * (x_hi - x_lo);
    let bars_top = hist.max_count().max(1) as f64;
    // With the value strip, the bars use the lower 60 % of the height and the strip the top.
    let y_hi = if view.values.is_some() {
        bars_top / 0.6
    } else {
        bars_top * 1.18
    };
    // Below the bars, one row per range method.
    let band = if view.methods.is_empty() {
        0.0
    } else {
        y_hi * 0.45
    };
    let narrow = is_narrow(area, style);
    let rows = if narrow { 3 } else { 2 };
    let mut chart = frame(area, style, rows)
        .build_cartesian_2d(x_lo..x_hi, -band..y_hi)
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    base_mesh(&mut mesh, style);
    mesh.x_labels(7)
        // Small counts: one label per integer, so no label repeats after rounding.
        .y_labels((hist.max_count() as usize + 1).clamp(2, 6))
        .y_max_light_lines(0)
        .x_label_formatter(&|v| format::tick_in(*v, x_hi - x_lo))
        .y_label_formatter(&|v| {
            if *v < 0.0 {
                String::new()
            } else {
                format!("{}", v.round() as i64)
            }
        })
        .x_desc(format!("value in channel {c}"))
        .y_desc("count")
        .draw()
        .map_err(err)?;

    // The per-tensor grid: every level inside the view, when there are few enough to tell apart.
    let step = f64::from(report.tensor_params.scale);
    let levels_in_view = ((x_hi - x_lo) / step).floor();
    if step > 0.0 && levels_in_view <= 96.0 {
        let first = (x_lo / step).ceil() as i64;
        let last = (x_hi / step).floor() as i64;
        let tick_h = y_hi * 0.05;
        chart
            .draw_series((first..=last).map(|k| {
                let x = k as f64 * step;
                PathElement::new(
                    vec![(x, 0.0), (x, tick_h)],
                    style.line(style.palette.per_tensor, 1.0),
                )
            }))
            .map_err(err)?;
    }
    // The channel's own range first, thin, so the bars on top stay visible at the edges.
    for x in [c_lo, c_hi] {
        chart
            .draw_series(LineSeries::new(
                [(x, 0.0), (x, y_hi)],
                style.line(style.palette.per_channel, 1.5),
            ))
            .map_err(err)?;
    }
    draw_bars(&mut chart, hist, 0.0, style)?;
    // The clipping range each range method picks for this channel, one row each below the bars,
    // so methods that agree are visibly equal.
    let method_rows = view.methods.len().max(1) as f64;
    let row_h = band / method_rows;
    for (k, (m, (lo, hi))) in view.methods.iter().enumerate() {
        let y = -row_h * (k as f64 + 0.5);
        let color = style.palette.methods[k % style.palette.methods.len()];
        let (lo, hi) = (f64::from(*lo), f64::from(*hi));
        let (a, b) = (lo.max(x_lo), hi.min(x_hi));
        if a <= b {
            let tick = row_h * 0.3;
            chart
                .draw_series([
                    PathElement::new(vec![(a, y), (b, y)], style.line(color, 2.0)),
                    PathElement::new(vec![(a, y - tick), (a, y + tick)], style.line(color, 2.0)),
                    PathElement::new(vec![(b, y - tick), (b, y + tick)], style.line(color, 2.0)),
                ])
                .map_err(err)?;
        }
        chart
            .draw_series(std::iter::once(Text::new(
                method_tag(m),
                (x_lo, y + row_h * 0.45),
                style.note(color, HPos::Left),
            )))
            .map_err(err)?;
    }
    if tensor_fits {
        for x in [t_lo, t_hi] {
            dashed(
                &mut chart,
                (x, 0.0),
                (x, y_hi),
                style.palette.per_tensor,
                2.0,
                style,
            )?;
        }
    }
    if let Some(values) = &view.values {
        let rows = [
            (y_hi * 0.92, style.palette.data),
            (y_hi * 0.84, style.palette.per_tensor),
            (y_hi * 0.76, style.palette.per_channel),
            (y_hi * 0.68, style.palette.per_group),
        ];
        let r = style.pxf(3.0).round() as i32;
        chart
            .draw_series(values.iter().flat_map(|&(x, t, own, g)| {
                let (x, t, own, g) = (f64::from(x), f64::from(t), f64::from(own), f64::from(g));
                [
                    PathElement::new(
                        vec![(x, rows[0].0), (t, rows[1].0)],
                        style.line(style.palette.per_tensor, 1.0),
                    ),
                    PathElement::new(
                        vec![(x, rows[0].0), (own, rows[2].0)],
                        style.line(style.palette.per_channel, 1.0),
                    ),
                    PathElement::new(
                        vec![(x, rows[0].0), (g, rows[3].0)],
                        style.line(style.palette.per_group, 1.0),
                    ),
                ]
            }))
            .map_err(err)?;
        for (i, &(y, color)) in rows.iter().enumerate() {
            chart
                .draw_series(values.iter().map(|v| {
                    let x = f64::from([v.0, v.1, v.2, v.3][i]);
                    EmptyElement::at((x, y))
                        + Polygon::new(
                            vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
                            color.filled(),
                        )
                }))
                .map_err(err)?;
        }
        for (label, &(y, color)) in ["value", "per-tensor x̂", "per-channel x̂", "per-group x̂"]
            .iter()
            .zip(&rows)
        {
            chart
                .draw_series(std::iter::once(Text::new(
                    label.to_string(),
                    (x_lo, y),
                    style.note(color, HPos::Left),
                )))
                .map_err(err)?;
        }
    }
    let levels_t = if stats.has_finite() {
        ((f64::from(stats.range.max) - f64::from(stats.range.min)) / step).max(0.0)
    } else {
        0.0
    };
    let tensor_note = if tensor_fits {
        format!(
            "per-tensor range [{}, {}]",
            format::tick(t_lo),
            format::tick(t_hi)
        )
    } else {
        format!(
            "per-tensor range [{}, {}] (wider than this view)",
            format::tick(t_lo),
            format::tick(t_hi)
        )
    };
    note(
        area,
        &chart,
        tensor_note,
        style.palette.per_tensor,
        HPos::Left,
        0,
        style,
    )?;
    let ticks = format!(
        "orange ticks: per-tensor levels ({} steps here)",
        format::sig(levels_t, 2)
    );
    note(
        area,
        &chart,
        ticks,
        style.palette.per_tensor,
        HPos::Left,
        1,
        style,
    )?;
    let own = if stats.params.degenerate {
        "own scale: fallback 1 (zero range)".to_string()
    } else {
        format!("own range [{}, {}]", format::tick(c_lo), format::tick(c_hi))
    };
    note(
        area,
        &chart,
        own,
        style.palette.per_channel,
        HPos::Right,
        if narrow { 2 } else { 0 },
        style,
    )?;
    Ok(())
}

fn draw_bars<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'_, DB, Y>,
    hist: &Histogram,
    base: f64,
    style: &Style,
) -> PlotResult<()> {
    chart
        .draw_series(hist.bins().filter(|&(_, _, n)| n > 0).map(|(l, r, n)| {
            Rectangle::new(
                [(l, base), (r, n as f64)],
                style.palette.data.mix(0.85).filled(),
            )
        }))
        .map_err(err)?;
    Ok(())
}

/// A short tag for a range method on the chart.
fn method_tag(m: &RangeMethod) -> String {
    match m {
        RangeMethod::MinMax => "min-max".into(),
        RangeMethod::Percentile(p) => format!("p{p}"),
        RangeMethod::Mse => "MSE".into(),
        RangeMethod::Entropy => "KL".into(),
        RangeMethod::Aciq(AciqPrior::Laplace) => "ACIQ-L".into(),
        RangeMethod::Aciq(AciqPrior::Gaussian) => "ACIQ-G".into(),
    }
}
