//! Per-channel MSQE under the per-tensor scale and under each channel's own scale, log scale.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::{
    clear, err, grid_colors, message, ChannelAxis, PlotResult, Style, PER_CHANNEL, PER_TENSOR,
    SELECTED,
};
use crate::engine::Report;
use crate::format;

/// Draws both schemes' per-channel MSQE on one log axis and returns where the channels lie.
/// Channels with zero error (all-zero channels, or exactly representable ones) cannot sit on a log
/// axis: they are left out and counted in the legend.
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
        .flat_map(|c| [c.msqe_per_tensor(), c.msqe_per_channel()])
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
        return Ok(ChannelAxis {
            left: 0,
            right: 0,
            top: 0,
            bottom: 0,
            channels: 0,
        });
    }
    clear(area)?;
    // Whole decades, so the log axis reads cleanly.
    let y_lo = 10f64.powf(lo.log10().floor());
    let y_hi = 10f64.powf((hi.log10() + 0.35).ceil());
    let (grid, _) = grid_colors();
    let mut chart = ChartBuilder::on(area)
        .margin_top(style.px(18.0))
        .margin_right(style.px(12.0))
        .margin_left(style.px(4.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(58.0))
        .build_cartesian_2d(0f64..n as f64, (y_lo..y_hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(style.line(grid, 1.0))
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| format!("{}", v.floor() as i64))
        .y_label_formatter(&|v| format::tick(*v))
        .x_desc("channel")
        .y_desc("MSQE (log)")
        .label_style(style.label())
        .axis_desc_style(style.label())
        .draw()
        .map_err(err)?;

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

    let radius = style.pxf(if n > 600 { 1.4 } else { 2.2 }).round().max(1.0) as i32;
    let points = |f: fn(&crate::engine::ChannelStats) -> f64, color: RGBColor| {
        let style_fill = color.mix(0.8).filled();
        report
            .channels
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| {
                let v = f(s);
                (v > 0.0).then(|| Circle::new((i as f64 + 0.5, v), radius, style_fill))
            })
    };
    chart
        .draw_series(points(|s| s.msqe_per_tensor(), PER_TENSOR))
        .map_err(err)?;
    chart
        .draw_series(points(|s| s.msqe_per_channel(), PER_CHANNEL))
        .map_err(err)?;

    // The totals as dashed lines.
    for (v, color) in [
        (report.per_tensor.msqe, PER_TENSOR),
        (report.per_channel.msqe, PER_CHANNEL),
    ] {
        if v > 0.0 {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, v), (n as f64, v)],
                    style.px(6.0),
                    style.px(4.0),
                    style.line(color, 1.5),
                ))
                .map_err(err)?;
        }
    }
    let zero_t = report
        .channels
        .iter()
        .filter(|s| s.msqe_per_tensor() == 0.0)
        .count();
    let zero_c = report
        .channels
        .iter()
        .filter(|s| s.msqe_per_channel() == 0.0)
        .count();
    let (x_px, y_px) = chart.plotting_area().get_pixel_range();
    area.draw(&Text::new(
        format!(
            "● per-tensor (dashed: total {})",
            format::tick(report.per_tensor.msqe)
        ),
        (x_px.start + style.px(4.0) as i32, style.px(2.0) as i32),
        style.note(PER_TENSOR, HPos::Left),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        format!(
            "● per-channel (dashed: total {})",
            format::tick(report.per_channel.msqe)
        ),
        (x_px.end, style.px(2.0) as i32),
        style.note(PER_CHANNEL, HPos::Right),
    ))
    .map_err(err)?;
    if zero_t + zero_c > 0 {
        area.draw(&Text::new(
            format!("zero error, not on the log axis: {zero_t} per-tensor, {zero_c} per-channel"),
            (x_px.end, y_px.end - style.px(16.0) as i32),
            style.note(super::DATA, HPos::Right),
        ))
        .map_err(err)?;
    }
    Ok(ChannelAxis {
        left: x_px.start,
        right: x_px.end,
        top: y_px.start,
        bottom: y_px.end,
        channels: n,
    })
}
