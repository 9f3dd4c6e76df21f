//! The bit-width sweep: total MSQE against bits for the three granularities, log scale, with the
//! uniform-noise model Δ²/12 of each as a dashed line.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::{base_mesh, clear, dashed, err, frame, is_narrow, message, note};
use super::{PlotResult, Style};
use crate::engine::analysis::SweepPoint;
use crate::format;

/// Draws the sweep; `current` is the bit width in use (marked). Zero errors (exact at every
/// width) cannot sit on a log axis and are left out.
pub fn draw_bit_sweep<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[SweepPoint],
    current: u32,
    group_size: usize,
    style: &Style,
) -> PlotResult<()> {
    let positive = points
        .iter()
        .flat_map(|p| p.msqe.iter().chain(p.model.iter()).copied())
        .filter(|v| *v > 0.0 && v.is_finite());
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if points.is_empty() || hi <= 0.0 {
        return message(area, style, "no quantization error at any bit width");
    }
    clear(area, style)?;
    let b_lo = points.iter().map(|p| p.bits).min().unwrap_or(2) as f64;
    let b_hi = points.iter().map(|p| p.bits).max().unwrap_or(8) as f64;
    let y_lo = 10f64.powf(lo.log10().floor() - 0.3);
    let y_hi = 10f64.powf((hi.log10() + 0.4).ceil());
    let decades = (y_hi.log10() - y_lo.log10()).ceil() as usize;
    let narrow = is_narrow(area, style);
    let rows = if narrow { 3 } else { 2 };
    let mut chart = frame(area, style, rows)
        .build_cartesian_2d((b_lo - 0.3)..(b_hi + 0.3), (y_lo..y_hi).log_scale())
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    base_mesh(&mut mesh, style);
    mesh.x_labels((b_hi - b_lo) as usize + 1)
        .y_labels(decades.clamp(2, 12) + 1)
        .x_label_formatter(&|v| format!("{}", v.round() as i64))
        .y_label_formatter(&|v| format::tick(*v))
        .x_desc("bits")
        .y_desc("total MSQE (log)")
        .draw()
        .map_err(err)?;
    // The bit width in use.
    let cur = f64::from(current);
    if (b_lo..=b_hi).contains(&cur) {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(cur - 0.18, y_lo), (cur + 0.18, y_hi)],
                style.palette.selected.mix(0.12).filled(),
            )))
            .map_err(err)?;
    }
    let radius = style.pxf(3.0).round().max(1.0) as i32;
    for (k, color) in [
        style.palette.per_tensor,
        style.palette.per_channel,
        style.palette.per_group,
    ]
    .into_iter()
    .enumerate()
    {
        // The model, dashed, segment by segment.
        for w in points.windows(2) {
            let (a, b) = (w[0].model[k], w[1].model[k]);
            if a > 0.0 && b > 0.0 {
                dashed(
                    &mut chart,
                    (f64::from(w[0].bits), a),
                    (f64::from(w[1].bits), b),
                    color,
                    1.2,
                    style,
                )?;
            }
        }
        let measured: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.msqe[k] > 0.0)
            .map(|p| (f64::from(p.bits), p.msqe[k]))
            .collect();
        chart
            .draw_series(LineSeries::new(measured.clone(), style.line(color, 2.0)))
            .map_err(err)?;
        chart
            .draw_series(
                measured
                    .iter()
                    .map(|&pt| Circle::new(pt, radius, color.filled())),
            )
            .map_err(err)?;
    }
    let labels = [
        ("● per-tensor".to_string(), style.palette.per_tensor),
        ("● per-channel".to_string(), style.palette.per_channel),
        (
            format!("● per-group of {group_size}"),
            style.palette.per_group,
        ),
    ];
    for (i, (text, color)) in labels.into_iter().enumerate() {
        let (h, row) = match (narrow, i) {
            (true, i) => (HPos::Left, i as u32),
            (false, 0) => (HPos::Left, 0),
            (false, 1) => (HPos::Right, 0),
            (false, _) => (HPos::Left, 1),
        };
        note(area, &chart, text, color, h, row, style)?;
    }
    if !narrow {
        note(
            area,
            &chart,
            "dashed: Δ²/12 model".to_string(),
            style.palette.data,
            HPos::Right,
            1,
            style,
        )?;
    }
    Ok(())
}
