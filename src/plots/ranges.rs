//! Each channel's min..max as a bar, its own chosen range behind it, the per-tensor range across all.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::{
    base_mesh, channel_tick, clear, dashed, err, frame, is_narrow, message, note, pad,
    selection_band,
};
use super::{ChannelAxis, PlotResult, Style};
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
        return Ok(ChannelAxis::NONE);
    }
    clear(area, style)?;
    let (t_lo, t_hi) = report.tensor_chosen;
    let (y_lo, y_hi) = pad(
        t_lo.min(f64::from(report.range.min)),
        t_hi.max(f64::from(report.range.max)),
        0.06,
    );
    let narrow = is_narrow(area, style);
    let rows = if narrow { 2 } else { 1 };
    let mut chart = frame(area, style, rows)
        .build_cartesian_2d(0f64..n as f64, y_lo..y_hi)
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    base_mesh(&mut mesh, style);
    mesh.x_labels(8.min(n + 1))
        .y_labels(7)
        .x_label_formatter(&channel_tick)
        .y_label_formatter(&|v| format::tick_in(*v, y_hi - y_lo))
        .x_desc("channel")
        .y_desc("value")
        .draw()
        .map_err(err)?;
    selection_band(&mut chart, selected, n, (y_lo, y_hi), style)?;

    // Each channel's own chosen range (light) and its data min..max (dark).
    let gap = if n <= 64 { 0.15 } else { 0.0 };
    let finite = || {
        report
            .channels
            .iter()
            .enumerate()
            .filter(|(_, s)| s.has_finite())
    };
    chart
        .draw_series(finite().map(|(i, s)| {
            let x = i as f64;
            Rectangle::new(
                [(x + gap, s.chosen.0), (x + 1.0 - gap, s.chosen.1)],
                style.palette.per_channel.mix(0.22).filled(),
            )
        }))
        .map_err(err)?;
    // A zero-width range is still drawn, as a hairline.
    let min_h = (y_hi - y_lo) * 0.004;
    chart
        .draw_series(finite().map(|(i, s)| {
            let x = i as f64;
            let (lo, hi) = (f64::from(s.range.min), f64::from(s.range.max));
            let (lo, hi) = if hi - lo < min_h {
                (lo - min_h / 2.0, hi + min_h / 2.0)
            } else {
                (lo, hi)
            };
            Rectangle::new(
                [(x + gap, lo), (x + 1.0 - gap, hi)],
                style.palette.data.filled(),
            )
        }))
        .map_err(err)?;

    // The per-tensor range, one for all channels.
    for y in [t_lo, t_hi] {
        dashed(
            &mut chart,
            (0.0, y),
            (n as f64, y),
            style.palette.per_tensor,
            2.0,
            style,
        )?;
    }
    let label = format!(
        "per-tensor range [{}, {}]",
        format::tick(t_lo),
        format::tick(t_hi)
    );
    note(
        area,
        &chart,
        label,
        style.palette.per_tensor,
        HPos::Left,
        0,
        style,
    )?;
    let legend = "bars: channel min..max · shaded: its own per-channel range".to_string();
    note(
        area,
        &chart,
        legend,
        style.palette.per_channel,
        HPos::Right,
        rows - 1,
        style,
    )?;
    Ok(ChannelAxis::of(&chart, n))
}
