//! Each framework preset against quantlens' own cases (tests/presets/cases.json, written by
//! tests/presets/make_cases.py from each framework's documented rules, with the sources named in
//! every case), plus cases taken from the frameworks' own unit tests. Scales are compared bit for
//! bit, zero points and codes exactly.

use std::fs;
use std::path::Path;

use quantlens::engine::analysis::{analyze_with, Options};
use quantlens::engine::kernels::{self, Quantizer, Step};
use quantlens::engine::quantize::quantize_tensor;
use quantlens::engine::spec::{preset, Granularity, Rounding};
use quantlens::engine::{QParams, Tensor};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/presets/cases.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"].as_array().unwrap().clone()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

#[test]
fn every_preset_reproduces_its_framework() {
    let all = cases();
    assert_eq!(all.len(), 8);
    let mut seen = Vec::new();
    for c in &all {
        let id = c["preset"].as_str().unwrap();
        let p = preset(id).unwrap_or_else(|| panic!("no preset {id}"));
        seen.push(id);
        assert!(!c["source"].as_str().unwrap().is_empty());
        let shape: Vec<usize> = ints(&c["shape"]).iter().map(|&d| d as usize).collect();
        let t = Tensor::new(shape, floats(&c["input"])).unwrap();
        let opts = Options {
            group_size: p.group_size,
            ..Options::new(p.spec)
        };
        let r = analyze_with(&t, 0, &opts).unwrap();
        let (params, grids): (Vec<QParams>, _) = match c["granularity"].as_str().unwrap() {
            "tensor" => (vec![r.tensor_params], r.per_tensor_grids()),
            "channel" => (
                r.channels.iter().map(|ch| ch.params).collect(),
                r.per_channel_grids(),
            ),
            "group" => {
                assert_eq!(p.granularity, Granularity::PerGroup);
                (
                    r.groups.iter().map(|g| g.params).collect(),
                    r.per_group_grids().unwrap(),
                )
            }
            g => panic!("granularity {g}"),
        };
        let want_bits: Vec<u32> = ints(&c["expected_scale_bits"])
            .iter()
            .map(|&b| b as u32)
            .collect();
        let got_bits: Vec<u32> = params.iter().map(|q| q.scale.to_bits()).collect();
        assert_eq!(got_bits, want_bits, "{id}: scales {params:?}");
        let want_zp = ints(&c["expected_zero_point"]);
        let got_zp: Vec<i64> = params.iter().map(|q| i64::from(q.zero_point)).collect();
        assert_eq!(got_zp, want_zp, "{id}: zero points");
        let codes: Vec<i64> = quantize_tensor(&t, &grids)
            .unwrap()
            .into_iter()
            .map(i64::from)
            .collect();
        assert_eq!(codes, ints(&c["expected_codes"]), "{id}: codes");
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8, "one case per preset family: {seen:?}");
}

/// TensorFlow's own unit test of the TFLite weight quantizer
/// (tensorflow/lite/tools/optimize/quantization_utils_test.cc, `SymmetricPerChannelQuantizeValues`):
/// inverse scales {2, 0.5, 3} on channels {13, 21}, {21, 22}, {31, 40} give {26, 42}, {11, 11},
/// {93, 120} — 21 · 0.5 = 10.5 rounds away from zero to 11.
#[test]
fn tflite_unit_test_values() {
    let spec = preset("tflite-int8").unwrap().spec;
    let (qmin, qmax) = spec.saturation_range();
    for (inv, x, want) in [
        (2.0f32, [13.0f32, 21.0], [26, 42]),
        (0.5, [21.0, 22.0], [11, 11]),
        (3.0, [31.0, 40.0], [93, 120]),
    ] {
        let q = Quantizer {
            step: Step::Multiply(inv),
            rounding: spec.rounding,
            ..Quantizer::onnx(1.0 / inv, 0, qmin, qmax)
        };
        let mut out = [0i32; 2];
        kernels::quantize(&x, &q, &mut out);
        assert_eq!(out, want);
    }
    assert_eq!(spec.rounding, Rounding::HalfAway);
}

/// The ONNX blocked layout of the per-group scheme matches the groups' own order: quantizing
/// with [`Report::per_group_grids`] gives the same error as the analysis measured, for a group
/// axis before and after the channel axis.
#[test]
fn per_group_grids_follow_the_onnx_blocked_layout() {
    let shape = vec![3, 4, 10];
    let data: Vec<f32> = (0..120)
        .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.13 + (i / 40) as f32)
        .collect();
    let t = Tensor::new(shape, data).unwrap();
    for (axis, group_axis) in [(0isize, 2usize), (1, 2), (2, 0), (1, 0)] {
        let opts = Options {
            group_size: 3,
            group_axis: Some(group_axis),
            ..Options::new(preset("ort-int8").unwrap().spec)
        };
        let r = analyze_with(&t, axis, &opts).unwrap();
        assert_eq!(r.group.axis, Some(group_axis));
        let grids = r.per_group_grids().unwrap();
        let codes = quantize_tensor(&t, &grids).unwrap();
        let deq =
            quantlens::engine::quantize::dequantize_tensor(t.shape(), &codes, &grids).unwrap();
        let sse: f64 = t
            .data()
            .iter()
            .zip(&deq)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum();
        let rel = (sse - r.per_group.sums.sum_sq_err).abs() / sse.max(1e-30);
        assert!(
            rel < 1e-12,
            "axis {axis} group axis {group_axis}: {sse} vs {}",
            r.per_group.sums.sum_sq_err
        );
        assert_eq!(r.groups.len(), r.channels.len() * r.group.per_channel);
        assert_eq!(
            r.per_group_codes(&t).unwrap(),
            codes,
            "axis {axis} group axis {group_axis}"
        );
    }
    // Whole rows (the default): per_group_codes against the error the analysis measured.
    for axis in [0isize, 1, 2] {
        let opts = Options {
            group_size: 7,
            ..Options::new(preset("ggml-q8_0").unwrap().spec)
        };
        let r = analyze_with(&t, axis, &opts).unwrap();
        assert_eq!(r.group.axis, None);
        let codes = r.per_group_codes(&t).unwrap();
        let mut sse = 0.0;
        for (c, stats) in r.channels.iter().enumerate() {
            let layout = r.layout;
            let vals: Vec<(usize, f32)> = (0..layout.outer)
                .flat_map(|o| {
                    (0..layout.inner).map(move |i| (o * layout.channels + c) * layout.inner + i)
                })
                .map(|idx| (idx, t.data()[idx]))
                .collect();
            for (j, (idx, x)) in vals.iter().enumerate() {
                let g = &r.groups[stats.groups.start + j / 7];
                let xh = (codes[*idx] - g.params.zero_point) as f32 * g.params.scale;
                sse += (f64::from(*x) - f64::from(xh)).powi(2);
            }
        }
        let rel = (sse - r.per_group.sums.sum_sq_err).abs() / sse;
        assert!(
            rel < 1e-12,
            "axis {axis}: {sse} vs {}",
            r.per_group.sums.sum_sq_err
        );
    }
}

/// Grids a convention does not define (TFLite, TensorRT and ggml on a symmetric *unsigned* grid;
/// TensorRT and ggml asymmetric) use ONNX Runtime's scale rule, so the numbers stay sound: the
/// grid covers every granule's range (nothing clipped with min-max) and the error is that of
/// rounding (close to the Δ²/12 model), on a real sample, at several bit widths and grids.
#[test]
fn grids_a_convention_does_not_define_follow_onnx_runtime() {
    use quantlens::engine::params::params_for_range;
    use quantlens::engine::spec::Convention;
    let bytes = fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/samples/efficientnet_lite0__blocks15_depthwise_conv.npy"),
    )
    .unwrap();
    let tensor = quantlens::formats::npy::read_npy(&bytes).unwrap().tensor;
    for convention in [Convention::TfLite, Convention::TensorRt, Convention::Ggml] {
        for (signed, symmetric) in [(false, true), (false, false), (true, false)] {
            for bits in [4, 8, 16] {
                for (narrow, reduce_range) in [(false, false), (true, false), (false, true)] {
                    let mut spec = preset("ort-int8").unwrap().spec;
                    spec.convention = convention;
                    spec.signed = signed;
                    spec.symmetric = symmetric;
                    spec.bits = bits;
                    spec.narrow = narrow;
                    spec.reduce_range = reduce_range;
                    let what = format!("{convention:?} signed={signed} symmetric={symmetric} bits={bits} narrow={narrow} rr={reduce_range}");
                    if !spec.own_rule() {
                        let ort = quantlens::engine::QuantSpec {
                            convention: Convention::OnnxRuntime,
                            ..spec
                        };
                        let (a, b) = (
                            params_for_range(&spec, -0.5, 0.25),
                            params_for_range(&ort, -0.5, 0.25),
                        );
                        assert_eq!(
                            (a.scale.to_bits(), a.zero_point),
                            (b.scale.to_bits(), b.zero_point),
                            "{what}"
                        );
                    }
                    let r = analyze_with(&tensor, 0, &Options::new(spec)).unwrap();
                    for s in [&r.per_tensor, &r.per_channel] {
                        assert_eq!(s.clipped, 0, "{what}");
                        // Rounding error only: near the uniform model (which low bit widths on a
                        // peaked distribution beat or miss by a little), never orders above it.
                        assert!(
                            s.msqe <= 2.0 * s.model_msqe,
                            "{what}: MSQE {} vs Δ²/12 {}",
                            s.msqe,
                            s.model_msqe
                        );
                    }
                    if !spec.own_rule() {
                        let ort = quantlens::engine::QuantSpec {
                            convention: Convention::OnnxRuntime,
                            ..spec
                        };
                        let o = analyze_with(&tensor, 0, &Options::new(ort)).unwrap();
                        assert_eq!(
                            r.per_channel.msqe.to_bits(),
                            o.per_channel.msqe.to_bits(),
                            "{what}"
                        );
                    }
                }
            }
        }
    }
}
