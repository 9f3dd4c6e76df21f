//! Kernel exactness. Natively: the dispatched (scalar) kernels against a float64 reference.
//! Under wasm32 (Node, SIMD128 build): additionally SIMD128 == scalar bit for bit, over awkward
//! lengths, ±0, subnormals, exact ties, huge values, non-finite values, zero and constant data.

use quantlens::engine::kernels::{self, ErrorSums, Quantizer, Step};
#[cfg(target_arch = "wasm32")]
use quantlens::engine::kernels::{scalar, MinMax};
use quantlens::engine::spec::Rounding;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test;

const LENGTHS: &[usize] = &[0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 1000, 1023];

/// Deterministic pseudo-random values (xorshift), scaled to `amp`.
fn noise(n: usize, seed: u64, amp: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
        })
        .collect()
}

/// Named data sets of length `n` that exercise every edge the kernels must agree on.
fn datasets(n: usize) -> Vec<(&'static str, Vec<f32>)> {
    let specials = [
        0.0,
        -0.0,
        1e-40,
        -1e-45,
        f32::MIN_POSITIVE,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        126.5,
        127.5,
        -128.5,
        3e38,
        -3e38,
        f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        7.0,
    ];
    let cycle = |src: &[f32]| (0..n).map(|i| src[i % src.len()]).collect::<Vec<f32>>();
    // Exact ties for scale 0.5: (k + 0.5) * 0.5.
    let ties: Vec<f32> = (0..n).map(|i| ((i as f32) - 40.0 + 0.5) * 0.5).collect();
    vec![
        ("noise", noise(n, 1, 1.0)),
        ("wide", noise(n, 2, 300.0)),
        ("specials", cycle(&specials)),
        ("ties", ties),
        ("zeros", vec![0.0; n]),
        ("neg-zeros", vec![-0.0; n]),
        ("constant", vec![0.3; n]),
        ("subnormal", cycle(&[1e-40, -3e-42, 1e-45])),
        ("all-nan", vec![f32::NAN; n]),
    ]
}

fn quantizers() -> Vec<Quantizer> {
    vec![
        Quantizer::onnx(1.0, 0, -128, 127),
        Quantizer::onnx(0.5, -10, -128, 127),
        Quantizer::onnx(0.013, 128, 0, 255),
        Quantizer::onnx(0.0056070, 0, -128, 127),
        Quantizer::onnx(1e-30, 3, -128, 127),
        Quantizer::onnx(1e36, 0, 0, 255),
        // Multiply by an inverse (PyTorch, TFLite weights, ggml), other roundings, a stored scale
        // that differs from the inverse (ggml's float16 d), a zero inverse (TFLite's zero channel).
        Quantizer {
            step: Step::Multiply(1.0 / (1.0f32 / 127.5)),
            ..Quantizer::onnx(1.0f32 / 127.5, 128, 0, 255)
        },
        Quantizer {
            step: Step::Multiply(2.0),
            rounding: Rounding::HalfAway,
            ..Quantizer::onnx(0.5, 0, -127, 127)
        },
        Quantizer {
            rounding: Rounding::HalfAway,
            ..Quantizer::onnx(0.5, -10, -128, 127)
        },
        Quantizer {
            rounding: Rounding::HalfUp,
            ..Quantizer::onnx(0.5, 3, 0, 255)
        },
        Quantizer {
            step: Step::Multiply(127.0 / 0.731),
            rounding: Rounding::HalfAway,
            ..Quantizer::onnx(0.005_756_378, 0, -127, 127)
        },
        Quantizer {
            step: Step::Multiply(0.0),
            rounding: Rounding::HalfAway,
            ..Quantizer::onnx(0.0, 0, -127, 127)
        },
        Quantizer {
            step: Step::Multiply(3.0),
            rounding: Rounding::HalfUp,
            ..Quantizer::onnx(1.0 / 3.0, -5, -8, 7)
        },
        // 16-bit grids: (q − zp)² needs all 32 bits of a lane.
        Quantizer::onnx(0.001, 0, 0, 65535),
        Quantizer::onnx(0.0001, -7, -32768, 32767),
    ]
}

/// Long slices on wide grids (16 and 10 bits) and a clipping 8-bit one.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn long_slices_on_wide_grids_match_the_reference() {
    let x = noise(300_001, 9, 40.0);
    for q in [
        Quantizer::onnx(0.001, 0, 0, 65535),
        Quantizer::onnx(0.0013, 3, -32768, 32767),
        Quantizer::onnx(0.08, 0, -512, 511),
        Quantizer::onnx(0.3, 0, -128, 127),
    ] {
        let got = kernels::quant_error(&x, &q);
        let want = reference_error(&x, &q);
        assert!(
            close(got.sum_sq_err, want.sum_sq_err),
            "{q:?}: {got:?} vs {want:?}"
        );
        assert!(
            close(got.sum_sq_xhat, want.sum_sq_xhat),
            "{q:?}: {got:?} vs {want:?}"
        );
        assert_eq!(got.max_abs_err, want.max_abs_err, "{q:?}");
        assert_eq!(got.count, want.count, "{q:?}");
        #[cfg(target_arch = "wasm32")]
        {
            use quantlens::engine::kernels::{scalar, simd128};
            let (a, b) = (simd128::quant_error(&x, &q), scalar::quant_error(&x, &q));
            assert_eq!(a.sum_sq_err.to_bits(), b.sum_sq_err.to_bits(), "{q:?}");
            assert_eq!(a.sum_sq_xhat.to_bits(), b.sum_sq_xhat.to_bits(), "{q:?}");
            assert_eq!(a.max_abs_err.to_bits(), b.max_abs_err.to_bits(), "{q:?}");
        }
    }
}

/// QuantizeLinear in float64: the float32 quotient (a correctly rounded division, which is what
/// rounding the float64 quotient gives), round half to even, add the zero point, saturate.
fn reference_code(x: f32, q: &Quantizer) -> i32 {
    // The float32 quotient or product (float64 then rounded once: the correctly rounded result).
    let t = match q.step {
        Step::Divide(d) => (f64::from(x) / f64::from(d)) as f32,
        Step::Multiply(m) => (f64::from(x) * f64::from(m)) as f32,
    };
    let t = f64::from(t);
    let r = match q.rounding {
        Rounding::HalfEven => t.round_ties_even(),
        Rounding::HalfAway => t.round(),
        // Exact in float64: t is a float32, t + 0.5 needs at most 25 bits more.
        Rounding::HalfUp => (t + 0.5).floor(),
    } + f64::from(q.zero_point);
    if r.is_nan() {
        return q.zero_point;
    }
    r.clamp(f64::from(q.qmin), f64::from(q.qmax)) as i32
}

fn reference_error(x: &[f32], q: &Quantizer) -> ErrorSums {
    let mut s = ErrorSums::default();
    for &v in x.iter().filter(|v| v.is_finite()) {
        let steps = reference_code(v, q) - q.zero_point;
        let xhat = (steps as f32 * q.scale).clamp(-f32::MAX, f32::MAX);
        // The kernels' definition: the float32 difference, the float64 one only where it overflows.
        let e32 = v - xhat;
        let e = if e32.is_finite() {
            f64::from(e32)
        } else {
            f64::from(v) - f64::from(xhat)
        };
        s.sum_sq_err += e * e;
        s.sum_sq_x += f64::from(v) * f64::from(v);
        s.sum_sq_xhat += f64::from(xhat) * f64::from(xhat);
        s.max_abs_err = s.max_abs_err.max(e.abs());
        s.count += 1;
    }
    s
}

fn close(a: f64, b: f64) -> bool {
    a == b || ((a - b) / b.abs().max(f64::MIN_POSITIVE)).abs() < 1e-12
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn kernels_match_the_float64_reference() {
    for &n in LENGTHS {
        for (name, x) in datasets(n) {
            let mm = kernels::min_max_finite(&x);
            let finite: Vec<f32> = x.iter().copied().filter(|v| v.is_finite()).collect();
            assert_eq!(mm.nonfinite, n - finite.len(), "{name} n={n}");
            if finite.is_empty() {
                assert!(!mm.has_finite());
            } else {
                let lo = finite.iter().copied().fold(f32::INFINITY, f32::min);
                let hi = finite.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                assert_eq!((mm.min, mm.max), (lo + 0.0, hi + 0.0), "{name} n={n}");
                assert!(
                    mm.min.to_bits() != (-0.0f32).to_bits()
                        && mm.max.to_bits() != (-0.0f32).to_bits()
                );
            }
            for q in quantizers() {
                let mut codes = vec![0i32; n];
                kernels::quantize(&x, &q, &mut codes);
                for (i, (&c, &v)) in codes.iter().zip(&x).enumerate() {
                    assert_eq!(c, reference_code(v, &q), "{name} n={n} i={i} x={v:e} {q:?}");
                }
                let mut deq = vec![0f32; n];
                kernels::dequantize(&codes, &q, &mut deq);
                for (&d, &c) in deq.iter().zip(&codes) {
                    assert_eq!(d.to_bits(), ((c - q.zero_point) as f32 * q.scale).to_bits());
                }
                let got = kernels::quant_error(&x, &q);
                let want = reference_error(&x, &q);
                assert_eq!(got.count, want.count, "{name} n={n}");
                assert_eq!(got.max_abs_err, want.max_abs_err, "{name} n={n} {q:?}");
                assert!(
                    close(got.sum_sq_err, want.sum_sq_err),
                    "{name} n={n} {q:?}: {got:?} vs {want:?}"
                );
                assert!(close(got.sum_sq_x, want.sum_sq_x), "{name} n={n}");
                assert!(
                    close(got.sum_sq_xhat, want.sum_sq_xhat),
                    "{name} n={n} {q:?}"
                );
                // The fused kernel that also stores codes: the same codes and the same sums.
                let mut stored = vec![7i32; n];
                let fused = kernels::quant_error_codes(&x, &q, &mut stored);
                let lo = q.qmin - 1;
                let size = (q.qmax - lo + 2) as usize;
                let mut marks = vec![1u8; size];
                let marked = kernels::quant_error_marks(&x, &q, lo, &mut marks);
                assert_eq!(marks, marks_of(&x, &stored, lo, size), "{name} n={n} {q:?}");
                assert_eq!(marked, fused, "{name} n={n} {q:?}");
                assert_eq!(stored, codes, "{name} n={n} {q:?}");
                assert_eq!(fused, got, "{name} n={n} {q:?}");
            }
        }
    }
}

/// The level table of the finite values' codes.
fn marks_of(x: &[f32], codes: &[i32], lo: i32, size: usize) -> Vec<u8> {
    let mut m = vec![0u8; size];
    for (v, &c) in x.iter().zip(codes) {
        if v.is_finite() {
            m[(c - lo) as usize] = 1;
        }
    }
    m
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test]
fn simd128_equals_scalar_bit_for_bit() {
    use quantlens::engine::kernels::simd128;
    fn same_minmax(a: MinMax, b: MinMax) -> bool {
        a.min.to_bits() == b.min.to_bits()
            && a.max.to_bits() == b.max.to_bits()
            && a.nonfinite == b.nonfinite
    }
    fn same_err(a: ErrorSums, b: ErrorSums) -> bool {
        a.sum_sq_err.to_bits() == b.sum_sq_err.to_bits()
            && a.sum_sq_x.to_bits() == b.sum_sq_x.to_bits()
            && a.sum_sq_xhat.to_bits() == b.sum_sq_xhat.to_bits()
            && a.max_abs_err.to_bits() == b.max_abs_err.to_bits()
            && a.count == b.count
    }
    let mut checked = 0usize;
    for &n in LENGTHS {
        for (name, x) in datasets(n) {
            // Every start offset too, so unaligned loads and every tail length are covered.
            for start in 0..4.min(n + 1) {
                let x = &x[start..];
                assert!(
                    same_minmax(simd128::min_max_finite(x), scalar::min_max_finite(x)),
                    "{name} n={n}+{start}"
                );
                for q in quantizers() {
                    let (mut a, mut b) = (vec![0i32; x.len()], vec![0i32; x.len()]);
                    simd128::quantize(x, &q, &mut a);
                    scalar::quantize(x, &q, &mut b);
                    assert_eq!(a, b, "{name} n={n}+{start} {q:?}");
                    let (mut da, mut db) = (vec![0f32; x.len()], vec![0f32; x.len()]);
                    simd128::dequantize(&a, &q, &mut da);
                    scalar::dequantize(&b, &q, &mut db);
                    assert!(
                        da.iter().zip(&db).all(|(p, q)| p.to_bits() == q.to_bits()),
                        "{name} n={n}"
                    );
                    let (ea, eb) = (simd128::quant_error(x, &q), scalar::quant_error(x, &q));
                    assert!(
                        same_err(ea, eb),
                        "{name} n={n}+{start} {q:?}: {ea:?} vs {eb:?}"
                    );
                    let (mut ca, mut cb) = (vec![0i32; x.len()], vec![0i32; x.len()]);
                    let fa = simd128::quant_error_codes(x, &q, &mut ca);
                    let fb = scalar::quant_error_codes(x, &q, &mut cb);
                    assert_eq!(ca, cb, "{name} n={n}+{start} {q:?}");
                    assert_eq!(ca, a, "{name} n={n}+{start} {q:?}");
                    assert!(
                        same_err(fa, fb) && same_err(fa, ea),
                        "{name} n={n}+{start} {q:?}"
                    );
                    // Levels: a table with a stale mark in it, cleared and filled by both.
                    let lo = q.qmin.min(-128) - 3;
                    let size = (q.qmax - lo + 1) as usize;
                    let (mut ma, mut mb) = (vec![1u8; size], vec![1u8; size]);
                    let la = simd128::quant_error_marks(x, &q, lo, &mut ma);
                    let lb = scalar::quant_error_marks(x, &q, lo, &mut mb);
                    assert_eq!(ma, mb, "{name} n={n}+{start} {q:?}");
                    assert!(same_err(la, ea) && same_err(lb, ea), "{name} n={n}+{start}");
                    assert_eq!(ma, marks_of(x, &ca, lo, size), "{name} n={n}+{start} {q:?}");
                    // A table short of the grid: codes past its end mark nothing, in both.
                    let (mut sa, mut sb) = (vec![0u8; size / 2], vec![0u8; size / 2]);
                    simd128::quant_error_marks(x, &q, lo, &mut sa);
                    scalar::quant_error_marks(x, &q, lo, &mut sb);
                    assert_eq!(sa, sb, "{name} n={n}+{start} {q:?}");
                    checked += x.len();
                }
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
}

/// Fuzzing found values within one step of f32::MAX whose dequantized value rounds to infinity:
/// the error figures must stay finite (x̂ saturates at ±f32::MAX), natively and in SIMD128.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn regression_error_stays_finite_next_to_f32_max() {
    let x = [f32::MAX, -f32::MAX, 3.3e38, 1.0, f32::MAX];
    for q in [
        Quantizer::onnx(f32::MAX / 64.0, 0, -128, 127),
        Quantizer::onnx(f32::MAX / 127.0 * 1.0001, 0, -128, 127),
    ] {
        let e = kernels::quant_error(&x, &q);
        assert!(
            e.sum_sq_err.is_finite() && e.max_abs_err.is_finite() && e.sum_sq_x.is_finite(),
            "{e:?}"
        );
    }
}
