//! Per-channel MSQE under the per-tensor scale and under each channel's own scale, log scale.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::{
    base_mesh, channel_tick, clear, dashed, err, frame, is_narrow, message, note, selection_band,
};
use super::{ChannelAxis, PlotResult, Style};
use crate::engine::{ChannelStats, Report};
use crate::format;

/// Draws both schemes' per-channel MSQE on one log axis and returns where the channels lie.
/// Channels with zero error (all-zero channels, or exactly representable ones) cannot sit on a log
/// axis: they are left out and counted in a note.
pub fn draw_channel_msqe<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    selected: usize,
    style: &Style,
) -> PlotResult<ChannelAxis> {
    let n = report.channels.len();
    let positive = report
        .channels
        .iter()
        .flat_map(|c| {
            [
                c.msqe_per_tensor(),
                c.msqe_per_channel(),
                c.msqe_per_group(),
            ]
        })
        .filter(|v| *v > 0.0 && v.is_finite());
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if n == 0 || hi <= 0.0 {
        message(
            area,
            style,
            "every channel is quantized exactly: no error to plot",
        )?;
        return Ok(ChannelAxis::NONE);
    }
    clear(area, style)?;
    let zero_t = report
        .channels
        .iter()
        .filter(|s| s.has_finite() && s.msqe_per_tensor() == 0.0)
        .count();
    let zero_c = report
        .channels
        .iter()
        .filter(|s| s.has_finite() && s.msqe_per_channel() == 0.0)
        .count();
    let zero_g = report
        .channels
        .iter()
        .filter(|s| s.has_finite() && s.msqe_per_group() == 0.0)
        .count();
    let narrow = is_narrow(area, style);
    let rows = if narrow { 3 } else { 2 } + u32::from(zero_t + zero_c + zero_g > 0);
    // Whole decades with a margin below the smallest point, so no point sits on the axis.
    let y_lo = 10f64.powf(lo.log10().floor() - 0.5);
    let y_hi = 10f64.powf((hi.log10() + 0.35).ceil());
    let decades = (y_hi.log10() - y_lo.log10()).ceil() as usize;
    let mut chart = frame(area, style, rows)
        .build_cartesian_2d(0f64..n as f64, (y_lo..y_hi).log_scale())
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    base_mesh(&mut mesh, style);
    mesh.x_labels(8.min(n + 1))
        .y_labels(decades.clamp(2, 12) + 1)
        .x_label_formatter(&channel_tick)
        .y_label_formatter(&|v| format::tick(*v))
        .x_desc("channel")
        .y_desc("MSQE (log)")
        .draw()
        .map_err(err)?;
    selection_band(&mut chart, selected, n, (y_lo, y_hi), style)?;

    let radius = style.pxf(if n > 600 { 1.4 } else { 2.2 }).round().max(1.0) as i32;
    let series = [
        (
            ChannelStats::msqe_per_tensor as fn(&ChannelStats) -> f64,
            style.palette.per_tensor,
        ),
        (ChannelStats::msqe_per_channel, style.palette.per_channel),
        (ChannelStats::msqe_per_group, style.palette.per_group),
    ];
    for (msqe, color) in series {
        let fill = color.mix(0.8).filled();
        chart
            .draw_series(report.channels.iter().enumerate().filter_map(|(i, s)| {
                let v = msqe(s);
                (v > 0.0).then(|| Circle::new((i as f64 + 0.5, v), radius, fill))
            }))
            .map_err(err)?;
    }
    // The totals as dashed lines.
    for (v, color) in [
        (report.per_tensor.msqe, style.palette.per_tensor),
        (report.per_channel.msqe, style.palette.per_channel),
        (report.per_group.msqe, style.palette.per_group),
    ] {
        if v > 0.0 {
            dashed(&mut chart, (0.0, v), (n as f64, v), color, 1.5, style)?;
        }
    }
    let total = |v: f64| format::tick(v);
    let t_text = format!(
        "● per-tensor (dashed: total {})",
        total(report.per_tensor.msqe)
    );
    let c_text = format!(
        "● per-channel (dashed: total {})",
        total(report.per_channel.msqe)
    );
    note(
        area,
        &chart,
        t_text,
        style.palette.per_tensor,
        HPos::Left,
        0,
        style,
    )?;
    note(
        area,
        &chart,
        c_text,
        style.palette.per_channel,
        HPos::Right,
        u32::from(narrow),
        style,
    )?;
    let g_text = format!(
        "● per-group of {} (total {})",
        report.group.size,
        total(report.per_group.msqe)
    );
    note(
        area,
        &chart,
        g_text,
        style.palette.per_group,
        if narrow { HPos::Left } else { HPos::Right },
        if narrow { 2 } else { 1 },
        style,
    )?;
    if zero_t + zero_c + zero_g > 0 {
        let text = format!(
            "zero error, not on the log axis: {zero_t} per-tensor, {zero_c} per-channel, {zero_g} per-group"
        );
        note(
            area,
            &chart,
            text,
            style.palette.data,
            HPos::Left,
            rows - 1,
            style,
        )?;
    }
    Ok(ChannelAxis::of(&chart, n))
}
