//! The shared catalogue of inputs that real tools got wrong (tests/bugcases/CASES.md), as native
//! tests on the loader and the engine. Cases of later issues (npz archives, presets) are marked.

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use quantlens::engine::analysis::{channel_view, quantizer};
use quantlens::engine::quantize::{quantize_tensor, Grids};
use quantlens::engine::spec::{preset, Rounding, PRESETS};
use quantlens::engine::{analyze, QParams, QuantSpec, Report, Tensor};
use quantlens::formats::npy::read_npy;
use quantlens::formats::{FormatError, Loaded};

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/bugcases")
            .join(name),
    )
    .unwrap()
}

fn load(name: &str) -> Loaded {
    read_npy(&bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn refuse(name: &str) -> (FormatError, String) {
    match read_npy(&bytes(name)) {
        Ok(l) => panic!(
            "{name} loaded as {:?}, expected a refusal",
            l.tensor.shape()
        ),
        Err(e) => {
            let msg = e.to_string();
            (e, msg)
        }
    }
}

/// Report sanity that holds for every input: nothing non-finite anywhere a user could see it, in
/// every granularity and metric. Scales are finite and never negative (TFLite stores 0 for an
/// all-zero channel; every other convention a positive fallback).
fn assert_all_finite(r: &Report) {
    let ok_scale = |p: &QParams| p.scale.is_finite() && p.scale >= 0.0;
    assert!(ok_scale(&r.tensor_params), "{:?}", r.tensor_params);
    for s in [&r.per_tensor, &r.per_channel, &r.per_group] {
        for v in [
            s.msqe,
            s.max_abs_err,
            s.cosine,
            s.model_msqe,
            s.levels,
            s.effective_bits,
            s.clipped_fraction(),
            s.storage.total(),
            s.storage.overhead_percent(),
        ] {
            assert!(v.is_finite(), "{v} in {s:?}");
        }
        if let Some(db) = s.sqnr_db {
            assert!(db.is_finite());
        }
        assert!((-1.0..=1.0).contains(&s.cosine));
    }
    for c in &r.channels {
        assert!(ok_scale(&c.params), "{:?}", c.params);
        assert!(c.chosen.0.is_finite() && c.chosen.1.is_finite());
        for m in [
            c.msqe_per_channel(),
            c.msqe_per_tensor(),
            c.msqe_per_group(),
        ] {
            assert!(m.is_finite());
        }
    }
    for g in &r.groups {
        assert!(ok_scale(&g.params) && g.msqe().is_finite(), "{g:?}");
        assert!(g.clip.0.is_finite() && g.clip.1.is_finite());
    }
    assert!(r.histogram.lo < r.histogram.hi);
}

/// Every preset, range method and bit width on `t`: never a panic, never a NaN or infinity.
fn assert_finite_everywhere(t: &Tensor, axis: isize) {
    use quantlens::engine::analysis::{analyze_with, sweep, Options};
    use quantlens::engine::range::{AciqPrior, RangeMethod};
    let methods = [
        RangeMethod::MinMax,
        RangeMethod::Percentile(99.9),
        RangeMethod::Mse,
        RangeMethod::Entropy,
        RangeMethod::Aciq(AciqPrior::Laplace),
        RangeMethod::Aciq(AciqPrior::Gaussian),
    ];
    for p in &PRESETS {
        for m in methods {
            for bits in [2, 4, 8, 16] {
                let opts = Options {
                    spec: QuantSpec { bits, ..p.spec },
                    method: m,
                    group_size: p.group_size,
                    group_axis: None,
                };
                let r = analyze_with(t, axis, &opts)
                    .unwrap_or_else(|e| panic!("{} {m:?} {bits}: {e}", p.id));
                assert_all_finite(&r);
                for c in 0..r.channels.len().min(4) {
                    let v = channel_view(t, &r, c, 99.9).unwrap();
                    for (_, (lo, hi)) in &v.methods {
                        assert!(lo.is_finite() && hi.is_finite() && lo <= hi);
                    }
                    for &(x, a, b, g) in v.values.iter().flatten() {
                        assert!(x.is_finite() && a.is_finite() && b.is_finite() && g.is_finite());
                    }
                }
            }
            let opts = Options {
                spec: p.spec,
                method: m,
                group_size: p.group_size,
                group_axis: None,
            };
            for pt in sweep(t, axis, &opts, 2..=8).unwrap() {
                for v in pt.msqe.iter().chain(&pt.model) {
                    assert!(v.is_finite(), "{} {m:?}: {pt:?}", p.id);
                }
            }
        }
    }
}

// ---- .npy loading (01-10) ----

#[test]
fn case01_versions_2_and_3_load_and_4_is_refused() {
    for f in ["01_v2.npy", "01_v3.npy"] {
        let l = load(f);
        assert_eq!(l.tensor.shape(), &[2]);
        assert_eq!(l.tensor.data(), &[1.0, 2.0]);
    }
    let (e, msg) = refuse("01_v4_bad.npy");
    assert_eq!(e, FormatError::UnsupportedVersion { major: 4, minor: 0 });
    assert!(msg.contains("unsupported .npy format version 4.0"), "{msg}");
}

#[test]
fn case03_fortran_order_is_read_as_the_logical_array() {
    let l = load("03_fortran.npy");
    assert_eq!(l.tensor.shape(), &[2, 3]);
    assert_eq!(l.tensor.data(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let r = analyze(&l.tensor, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_eq!(r.channels[0].params.scale, (3.0f64 / 127.0) as f32);
    assert_eq!(r.channels[1].params.scale, (6.0f64 / 127.0) as f32);
}

#[test]
fn case04_float16_decodes_exactly() {
    let l = load("04_f16.npy");
    let d = l.tensor.data();
    assert_eq!(&d[..4], &[0.5, -2.0, 65504.0, 2f32.powi(-24)]);
    assert_eq!(d[4], f32::INFINITY);
    assert!(d[5].is_nan());
    let r = analyze(&l.tensor, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_eq!(r.nonfinite(), 2);
    assert_eq!(r.range.max, 65504.0);
    assert_all_finite(&r);
}

#[test]
fn case05_one_byte_dtypes_load_as_values_with_a_note() {
    assert_eq!(load("05_u1.npy").tensor.data(), &[0.0, 1.0, 255.0]);
    assert_eq!(load("05_i1.npy").tensor.data(), &[-1.0]);
    let b = load("05_b1.npy");
    assert_eq!(b.tensor.data(), &[1.0, 0.0, 1.0]);
    for f in ["05_u1.npy", "05_i1.npy", "05_b1.npy"] {
        assert!(load(f).notes.iter().any(|n| n.contains("not float")), "{f}");
    }
}

#[test]
fn case06_big_endian_floats() {
    for f in ["06_be_f4.npy", "06_be_f8.npy"] {
        assert_eq!(load(f).tensor.data(), &[1.0, -2.5], "{f}");
    }
}

#[test]
fn case07_zero_d_array_is_one_element_per_tensor() {
    let l = load("07_0d.npy");
    assert_eq!(l.tensor.shape(), &[] as &[usize]);
    assert_eq!(l.tensor.data(), &[5.0]);
    let r = analyze(&l.tensor, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_eq!(r.axis, None);
    assert_eq!(r.tensor_params.scale, (5.0f64 / 127.0) as f32);
    let codes = quantize_tensor(&l.tensor, &r.per_tensor_grids()).unwrap();
    assert_eq!(codes, vec![127]);
    assert_eq!(r.per_tensor.msqe, 0.0);
    // Per-channel on a 0-d tensor is refused with a message that says why.
    let err = l.tensor.layout(0).unwrap_err().to_string();
    assert!(err.contains("at least one dimension"), "{err}");
}

#[test]
fn case08_truncation_is_refused_and_trailing_bytes_are_noted() {
    let (e, msg) = refuse("08_trunc_data.npy");
    assert_eq!(
        e,
        FormatError::TruncatedData {
            elements: 6,
            expected: 24,
            found: 16,
            found_elements: 4
        }
    );
    assert!(
        msg.contains("6 elements (24 bytes) expected") && msg.contains("4 whole elements"),
        "{msg}"
    );
    let (e, msg) = refuse("08_trunc_header.npy");
    assert!(matches!(e, FormatError::TruncatedHeader { .. }), "{msg}");
    assert!(msg.contains("truncated header"), "{msg}");
    let l = load("08_extra.npy");
    assert_eq!(l.tensor.shape(), &[2, 3]);
    assert!(
        l.notes.iter().any(|n| n.contains("4 bytes")),
        "{:?}",
        l.notes
    );
}

#[test]
fn case09_object_and_structured_dtypes_are_refused() {
    let (e, msg) = refuse("09_object.npy");
    assert_eq!(e, FormatError::ObjectDtype);
    assert!(
        msg.contains("object arrays") && msg.contains("not supported"),
        "{msg}"
    );
    let (e, msg) = refuse("09_struct.npy");
    assert!(matches!(e, FormatError::StructuredDtype { .. }));
    assert!(msg.contains("'w'") && msg.contains("'b'"), "{msg}");
}

#[test]
fn case10_npz_archives_by_magic() {
    let opened = quantlens::formats::open(&bytes("10_compressed.npz"), None).unwrap();
    assert_eq!(opened.container, quantlens::formats::Container::Npz);
    let names: Vec<&str> = opened.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["a"]);
    assert_eq!(opened.loaded.tensor.shape(), &[4, 3]);
    let e = quantlens::formats::open(&bytes("10_empty.npz"), None).unwrap_err();
    assert_eq!(e, FormatError::EmptyArchive);
    assert!(e.to_string().contains("the archive holds no arrays"), "{e}");
}

// ---- quantization (11-19) ----

#[test]
fn case11_zero_and_constant_rows() {
    let l = load("11_zero_const_rows.npy");
    assert_eq!(l.tensor.shape(), &[32, 64]);
    let r = analyze(&l.tensor, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_all_finite(&r);
    let zero = &r.channels[0];
    assert!(zero.is_all_zero() && zero.params.degenerate);
    assert_eq!((zero.params.scale, zero.params.zero_point), (1.0, 0));
    assert_eq!(zero.err_per_channel.sum_sq_err, 0.0);
    let c1 = &r.channels[1];
    assert_eq!(c1.params.scale, (f64::from(0.3f32) / 127.0) as f32);
    assert_eq!(
        c1.err_per_channel.sum_sq_err, 0.0,
        "constant row dequantizes exactly"
    );
    let grids = r.per_channel_grids();
    let codes = quantize_tensor(&l.tensor, &grids).unwrap();
    assert!(codes[..64].iter().all(|&q| q == 0));
    assert!(codes[64..128].iter().all(|&q| q == 127));
    // Under every preset the zero row gets a zero point in range, codes equal to it, x̂ exactly 0
    // and no error; and nothing anywhere is NaN or infinite, for every method and bit width.
    for p in &PRESETS {
        let r = analyze(&l.tensor, 0, p.spec).unwrap();
        let z = &r.channels[0];
        let (qmin, qmax) = p.spec.quantizer_range();
        assert!((qmin..=qmax).contains(&z.params.zero_point), "{}", p.id);
        assert_eq!(z.err_per_channel.sum_sq_err, 0.0, "{}", p.id);
        assert_eq!(z.err_per_group.sum_sq_err, 0.0, "{}", p.id);
        let codes = quantize_tensor(&l.tensor, &r.per_channel_grids()).unwrap();
        assert!(
            codes[..64].iter().all(|&q| q == z.params.zero_point),
            "{}",
            p.id
        );
    }
    assert_finite_everywhere(&l.tensor, 0);
}

#[test]
fn case14_same_weight_in_pytorch_and_tflite_layouts_gives_the_same_scales() {
    let pt = load("14_dw_pt_32x1x3x3.npy").tensor;
    let tf = load("14_dw_tf_1x3x3x32.npy").tensor;
    let a = analyze(&pt, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    for axis in [3, -1] {
        let b = analyze(&tf, axis, QuantSpec::SYMMETRIC_INT8).unwrap();
        assert_eq!(b.channels.len(), 32);
        for (x, y) in a.channels.iter().zip(&b.channels) {
            assert_eq!(x.params.scale.to_bits(), y.params.scale.to_bits());
        }
        assert_eq!(a.per_channel.msqe, b.per_channel.msqe);
    }
    for axis in [4, -5] {
        let msg = analyze(&tf, axis, QuantSpec::SYMMETRIC_INT8)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("out of range") && msg.contains(&axis.to_string()),
            "{msg}"
        );
    }
}

#[test]
fn case13_convtranspose_axis_1_has_64_channels() {
    let t = load("13_convtranspose_3x64x3x3.npy").tensor;
    let r = analyze(&t, 1, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_eq!(r.channels.len(), 64);
    assert_eq!(r.layout.channel_len(), 27);
}

#[test]
fn case15_one_sided_range_is_widened_to_zero() {
    let t = load("15_one_sided.npy").tensor;
    assert_eq!(t.data(), &[1.0, 2.0, 3.0]);
    let r = analyze(&t, 0, QuantSpec::ASYMMETRIC_UINT8).unwrap();
    let p = r.tensor_params;
    assert_eq!((p.scale, p.zero_point), ((3.0f64 / 255.0) as f32, 0));
    let g = Grids::PerTensor(quantizer(&r.spec, &p));
    let codes = quantize_tensor(&t, &g).unwrap();
    assert_eq!(codes, vec![85, 170, 255]);
    let deq = quantlens::engine::quantize::dequantize_tensor(t.shape(), &codes, &g).unwrap();
    for (a, b) in deq.iter().zip(t.data()) {
        assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
    }
}

#[test]
fn case16_symmetric_maps_zero_exactly() {
    let t = load("16_sym_u8.npy").tensor;
    assert_eq!(t.data(), &[-1.0, 0.0, 1.0]);
    let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    let codes = quantize_tensor(&t, &r.per_tensor_grids()).unwrap();
    assert_eq!(codes, vec![-127, 0, 127]);
    // Symmetric uint8 on ONNX Runtime's [0, 255]: scale f32(2/255), zero point 128, and 0.0 -> 128.
    let su8 = QuantSpec {
        symmetric: true,
        ..QuantSpec::ASYMMETRIC_UINT8
    };
    let r = analyze(&t, 0, su8).unwrap();
    assert_eq!(
        (r.tensor_params.scale, r.tensor_params.zero_point),
        ((1.0f64 / 127.5) as f32, 128)
    );
    let codes = quantize_tensor(&t, &Grids::PerTensor(quantizer(&su8, &r.tensor_params))).unwrap();
    // The catalogue's [0, 128, 255] is exact real arithmetic (-1 / (1/127.5) = -127.5 -> -128).
    // Every framework works in float32: the scale is 0.0078431377 and -1 / scale (ONNX) or
    // -1 · f32(1 / scale) (PyTorch) is -127.49999, which rounds to -127, code 1. Both are checked.
    assert_eq!(codes, vec![1, 128, 255]);
    let pt = QuantSpec {
        symmetric: true,
        ..preset("pytorch-quint8").unwrap().spec
    };
    let r = analyze(&t, 0, pt).unwrap();
    assert_eq!(
        (r.tensor_params.scale, r.tensor_params.zero_point),
        (1.0f32 / 127.5, 128)
    );
    let codes = quantize_tensor(&t, &r.per_tensor_grids()).unwrap();
    assert_eq!(codes, vec![1, 128, 255]);
    let exact: Vec<i64> = t
        .data()
        .iter()
        .map(|&x| ((f64::from(x) * 127.5).round_ties_even() as i64 + 128).clamp(0, 255))
        .collect();
    assert_eq!(
        exact,
        vec![0, 128, 255],
        "the catalogue's real-arithmetic codes"
    );
    // The narrow unsigned grid [0, 254]: scale 1/127, zero point 127, codes [0, 127, 254].
    let narrow = QuantSpec {
        narrow: true,
        ..su8
    };
    assert_eq!(narrow.quantizer_range(), (0, 254));
    let r = analyze(&t, 0, narrow).unwrap();
    assert_eq!(
        (r.tensor_params.scale, r.tensor_params.zero_point),
        ((1.0f64 / 127.0) as f32, 127)
    );
    let codes = quantize_tensor(&t, &r.per_tensor_grids()).unwrap();
    assert_eq!(codes, vec![0, 127, 254]);
    // The convention in use is named (the page shows this label and the rules).
    assert_eq!(narrow.label(), "symmetric uint8 [0, 254]");
    assert_finite_everywhere(&t, 0);
}

#[test]
fn case17_ties_round_half_to_even() {
    let t = load("17_ties.npy").tensor;
    let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_eq!(r.tensor_params.scale, 1.0);
    let codes = quantize_tensor(&t, &r.per_tensor_grids()).unwrap();
    assert_eq!(codes, vec![127, 0, 2, 2, 0, -2]);
    assert!(
        (r.per_tensor.msqe - 0.208_333_333_333_333_3).abs() < 1e-12,
        "{}",
        r.per_tensor.msqe
    );
    // Ties away from zero (TFLite's TfLiteRound, ggml's roundf): [127, 1, 2, 3, -1, -3].
    let away = QuantSpec {
        rounding: Rounding::HalfAway,
        ..QuantSpec::SYMMETRIC_INT8
    };
    let r = analyze(&t, 0, away).unwrap();
    let codes = quantize_tensor(&t, &r.per_tensor_grids()).unwrap();
    assert_eq!(codes, vec![127, 1, 2, 3, -1, -3]);
    assert!((r.per_tensor.msqe - 0.208_333_333_333_333_3).abs() < 1e-12);
    assert_eq!(Rounding::HalfAway.label(), "ties away from zero");
}

#[test]
fn case19_non_finite_values_never_reach_the_scale() {
    let t = load("19_nan.npy").tensor;
    assert_eq!(t.shape(), &[3, 4]);
    let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_all_finite(&r);
    assert_eq!(r.nonfinite(), 6);
    assert_eq!(r.channels[0].range.nonfinite, 1);
    assert_eq!(
        r.channels[0].params.scale,
        (f64::from(0.3f32) / 127.0) as f32
    );
    assert!(!r.channels[1].has_finite());
    assert!(r.channels[1].params.degenerate);
    assert_eq!(r.channels_without_finite(), 1);
    assert_eq!(r.channels[2].range.nonfinite, 1);
    assert!(r.channels[2].params.scale.is_finite());
    assert_finite_everywhere(&t, 0);
}

/// Degenerate data beyond the catalogue: a single element, subnormal-only channels, values at
/// ±f32::MAX, constant channels, an empty tensor: every preset, method and bit width stays finite.
#[test]
fn degenerate_data_is_finite_under_every_scheme() {
    let tiny = f32::from_bits(1); // the smallest subnormal
    let cases = [
        Tensor::new(vec![1], vec![0.7]).unwrap(),
        Tensor::new(
            vec![2, 3],
            vec![tiny, -tiny, 3.0 * tiny, 0.0, tiny, 2.0 * tiny],
        )
        .unwrap(),
        Tensor::new(
            vec![2, 4],
            vec![
                f32::MAX,
                -f32::MAX,
                1.0,
                0.0,
                f32::MAX,
                f32::MAX,
                f32::MAX,
                3.4e38,
            ],
        )
        .unwrap(),
        Tensor::new(vec![3, 2], vec![0.25, 0.25, -4.0, -4.0, 0.0, 0.0]).unwrap(),
        Tensor::new(vec![0, 4], vec![]).unwrap(),
        Tensor::new(
            vec![2, 2],
            vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::NAN],
        )
        .unwrap(),
    ];
    for t in &cases {
        assert_finite_everywhere(t, 0);
    }
}

// ---- histograms (20-23) ----

#[test]
fn case20_constant_channels_get_one_bar_and_a_padded_axis() {
    let t = load("20_const.npy").tensor;
    let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    assert_all_finite(&r);
    for c in 0..r.channels.len() {
        let h = channel_view(&t, &r, c, 99.99).unwrap().histogram;
        assert!(h.lo < h.hi && h.lo.is_finite() && h.hi.is_finite());
        assert_eq!(
            h.counts.iter().filter(|&&n| n > 0).count(),
            1,
            "channel {c}"
        );
        let v = f64::from(r.channels[c].range.min);
        assert_eq!((h.lo, h.hi), (v - 0.5, v + 0.5));
    }
}

#[test]
fn case23_bimodal_has_empty_bins_between_clusters() {
    let t = load("23_bimodal.npy").tensor;
    let r = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    let h = &r.histogram;
    assert!(h.counts.contains(&0));
    assert!(h.counts.first().unwrap() > &0 && h.counts.last().unwrap() > &0);
    let _: &Tensor = &t;
}

/// The analysis input fuzzing found (values near f32::MAX): every figure finite.
#[test]
fn regression_analysis_near_f32_max() {
    let data = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions/analysis_near_f32_max.bin"),
    )
    .unwrap();
    let values: Vec<f32> = data[4..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let n = values.len();
    let t = Tensor::new(vec![n], values).unwrap();
    for spec in [
        QuantSpec::SYMMETRIC_INT8,
        QuantSpec::ASYMMETRIC_UINT8,
        QuantSpec {
            reduce_range: true,
            ..QuantSpec::SYMMETRIC_INT8
        },
        QuantSpec {
            symmetric: true,
            ..QuantSpec::ASYMMETRIC_UINT8
        },
    ] {
        let r = analyze(&t, 0, spec).unwrap();
        assert_all_finite(&r);
    }
}
