//! The charts drawn to SVG (the same plotters code the page draws to canvas), for every sample
//! and for the degenerate inputs: something is drawn, and no NaN or infinity reaches the drawing.

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use plotters::prelude::*;
use quantlens::engine::analysis::channel_view;
use quantlens::engine::{analyze, QuantSpec, Tensor};
use quantlens::formats::npy::read_npy;
use quantlens::plots::{self, Style};

fn load(dir: &str, file: &str) -> Tensor {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(file);
    read_npy(&std::fs::read(&p).unwrap()).unwrap().tensor
}

/// Draws all four charts for `t` and returns the SVG documents.
fn draw_all(t: &Tensor, spec: QuantSpec, scale: f64) -> Vec<String> {
    let r = analyze(t, 0, spec).unwrap();
    let style = Style::new(scale);
    let c = r.channels.len() / 2;
    let view = channel_view(t, &r, c, 99.99).unwrap();
    let (w, hgt) = ((560.0 * scale) as u32, (300.0 * scale) as u32);
    let mut out = Vec::new();
    for which in 0..4 {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (w, hgt)).into_drawing_area();
            match which {
                0 => {
                    let axis = plots::draw_channel_ranges(&area, &r, c, &style).unwrap();
                    if r.range.has_finite() {
                        assert!(axis.left < axis.right && axis.right <= w as i32);
                        // The middle of the plotting area is the middle channel.
                        let mid = f64::from(axis.left + axis.right) / 2.0;
                        let got = axis
                            .channel_at(mid, f64::from(axis.top + axis.bottom) / 2.0)
                            .unwrap();
                        assert!(got.abs_diff(r.channels.len() / 2) <= 1);
                    }
                }
                1 => {
                    plots::draw_channel_msqe(&area, &r, c, &style).unwrap();
                }
                2 => plots::draw_tensor_histogram(&area, &r, &style).unwrap(),
                _ => plots::draw_channel_histogram(&area, &r, &view, &style).unwrap(),
            }
            area.present().unwrap();
        }
        out.push(svg);
    }
    out
}

fn assert_clean(svgs: &[String], what: &str) {
    for (i, svg) in svgs.iter().enumerate() {
        assert!(
            svg.len() > 200 && svg.contains("<text"),
            "{what} chart {i}: nothing drawn"
        );
        for bad in ["NaN", "inf"] {
            assert!(
                !svg.contains(bad),
                "{what} chart {i}: '{bad}' in the drawing"
            );
        }
    }
}

#[test]
fn every_sample_draws_cleanly_at_1x_and_2x() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".npy"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for f in &files {
        let t = load("assets/samples", f);
        for (spec, scale) in [
            (QuantSpec::SYMMETRIC_INT8, 1.0),
            (QuantSpec::ASYMMETRIC_UINT8, 2.0),
        ] {
            let svgs = draw_all(&t, spec, scale);
            assert_clean(&svgs, f);
            // Per-tensor range labels are on the charts.
            assert!(svgs[0].contains("per-tensor range"), "{f}");
        }
    }
}

#[test]
fn degenerate_inputs_draw_without_nan() {
    for f in [
        "11_zero_const_rows.npy",
        "19_nan.npy",
        "20_const.npy",
        "23_bimodal.npy",
        "07_0d.npy",
        "17_ties.npy",
        "04_f16.npy",
    ] {
        let t = load("tests/bugcases", f);
        assert_clean(&draw_all(&t, QuantSpec::SYMMETRIC_INT8, 1.0), f);
        assert_clean(&draw_all(&t, QuantSpec::ASYMMETRIC_UINT8, 1.5), f);
    }
    // All zero: nothing to plot on a log axis, said in words.
    let t = Tensor::new(vec![4, 3], vec![0.0; 12]).unwrap();
    let svgs = draw_all(&t, QuantSpec::SYMMETRIC_INT8, 1.0);
    assert_clean(&svgs, "all zero");
    assert!(svgs[1].contains("quantized exactly"));
    // All NaN: no finite values.
    let t = Tensor::new(vec![2, 2], vec![f32::NAN; 4]).unwrap();
    let svgs = draw_all(&t, QuantSpec::SYMMETRIC_INT8, 1.0);
    assert!(svgs[0].contains("no finite values"));
}

#[test]
fn small_channels_show_each_value_and_where_it_lands() {
    let t = load(
        "assets/samples",
        "efficientnet_lite0__blocks15_depthwise_conv.npy",
    );
    let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    let view = channel_view(&t, &r, 291, 99.99).unwrap();
    let values = view
        .values
        .as_ref()
        .expect("9 values per channel are shown");
    assert_eq!(values.len(), 9);
    // Each landing point is the dequantized value under that grid: recompute the errors.
    let err = |f: fn(&(f32, f32, f32, f32)) -> f32| -> f64 {
        values
            .iter()
            .map(|v| (f64::from(v.0) - f64::from(f(v))).powi(2))
            .sum::<f64>()
            / 9.0
    };
    let c = &r.channels[291];
    assert!((err(|v| v.1) - c.msqe_per_tensor()).abs() <= 1e-18);
    assert!((err(|v| v.2) - c.msqe_per_channel()).abs() <= 1e-18);
    assert!((err(|v| v.3) - c.msqe_per_group()).abs() <= 1e-18);
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (560, 300)).into_drawing_area();
        plots::draw_channel_histogram(&area, &r, &view, &Style::new(1.0)).unwrap();
        area.present().unwrap();
    }
    assert!(svg.contains("per-channel x̂") && svg.contains("<polygon"));
    // A large channel gets no strip.
    let t = load("assets/samples", "all_minilm_l6_v2__layer0_ffn_output.npy");
    let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert!(channel_view(&t, &r, 0, 99.99).unwrap().values.is_none());
}
