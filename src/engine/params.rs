//! From a real range to (scale, zero point), with the degenerate rules.

use super::kernels::Step;
use super::spec::{Convention, QuantSpec};

/// Scale and zero point of one granule (the whole tensor, a channel or a group).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QParams {
    /// The stored scale, which dequantization multiplies by: always finite and never negative
    /// (0 only where a framework stores 0: TFLite's all-zero channels).
    pub scale: f32,
    pub zero_point: i32,
    /// The range was empty or too small for a float32 scale (all zero, no finite values, or
    /// subnormal only), so the convention's fallback was used.
    pub degenerate: bool,
    /// How values are brought onto the grid (division by the scale, or multiplication by an inverse).
    pub step: Step,
}

/// Smallest positive normal float32 (`numpy.finfo(float32).tiny`), the threshold of the degenerate rule.
pub const F32_TINY: f64 = 1.175_494_350_822_287_5e-38;

/// ONNX Runtime's `compute_scale_zp` (onnxruntime/python/tools/quantization/quant_utils.py), step by step:
///
/// 1. the range is widened to contain 0: `rmin = min(rmin, 0)`, `rmax = max(rmax, 0)`;
/// 2. optionally `rmax = max(rmax, rmin + min_real_range)`;
/// 3. symmetric: `rmin, rmax = -a, +a` with `a = max(|rmin|, |rmax|)`;
/// 4. `scale64 = (f64(rmax) - f64(rmin)) / (qmax - qmin)`, in float64;
/// 5. if `scale64 < f32 tiny` (all-zero, empty or subnormal range): scale 1, zero point 0;
/// 6. symmetric: `zero_point = round_half_even((qmin + qmax) / 2)`;
///    asymmetric: `zero_point = round_half_even(qmin - f64(rmin) / scale64)`;
/// 7. `scale = f32(scale64)`.
///
/// An empty range (`rmin = +inf`, `rmax = -inf`, what a reduction over no finite value gives) is
/// degenerate. A scale that would overflow float32 is clamped to `f32::MAX`, so it is never infinite.
pub fn scale_zero_point(
    rmin: f32,
    rmax: f32,
    qmin: i32,
    qmax: i32,
    symmetric: bool,
    min_real_range: Option<f32>,
) -> QParams {
    let mut lo = if rmin < 0.0 { rmin } else { 0.0 };
    let mut hi = if rmax > 0.0 { rmax } else { 0.0 };
    if !lo.is_finite() || !hi.is_finite() {
        // Only reachable with infinite inputs, which the range reductions exclude.
        lo = larger(lo, f32::MIN);
        hi = smaller(hi, f32::MAX);
    }
    if let Some(m) = min_real_range {
        hi = larger(hi, lo + m);
    }
    if symmetric {
        let a = larger(lo.abs(), hi.abs());
        lo = -a;
        hi = a;
    }
    let span = f64::from((qmax - qmin).max(1));
    let scale64 = (f64::from(hi) - f64::from(lo)) / span;
    // Written so that a NaN (impossible here: the inputs are finite) also takes the fallback.
    if scale64.is_nan() || scale64 < F32_TINY {
        return QParams {
            scale: 1.0,
            zero_point: 0,
            degenerate: true,
            step: Step::Divide(1.0),
        };
    }
    let zp = if symmetric {
        (f64::from(qmin + qmax) / 2.0).round_ties_even()
    } else {
        (f64::from(qmin) - f64::from(lo) / scale64).round_ties_even()
    };
    let scale = scale64 as f32;
    let scale = if scale.is_finite() { scale } else { f32::MAX };
    QParams {
        scale,
        zero_point: (zp as i32).clamp(qmin, qmax),
        degenerate: false,
        step: Step::Divide(scale),
    }
}

/// PyTorch's float32 epsilon, the smallest scale its observers return (`torch.finfo(torch.float32).eps`).
pub const TORCH_EPS: f32 = f32::EPSILON;
/// pytorch-quantization treats an amax at or below this as zero (`1 / (1 << 24)`).
pub const TENSORRT_ZERO_AMAX: f32 = 1.0 / 16_777_216.0;

/// The range a granule's scale is chosen for, for `spec`: widened to contain 0 and, for a
/// symmetric spec, made `±max|x|` (float32, as every convention starts).
pub fn widened(spec: &QuantSpec, rmin: f32, rmax: f32) -> (f32, f32) {
    let lo = if rmin < 0.0 {
        larger(rmin, f32::MIN)
    } else {
        0.0
    };
    let hi = if rmax > 0.0 {
        smaller(rmax, f32::MAX)
    } else {
        0.0
    };
    if spec.symmetric {
        let a = if -lo > hi { -lo } else { hi };
        (-a, a)
    } else {
        (lo, hi)
    }
}

/// Zero point of a symmetric grid: its centre, `round_half_even((qmin + qmax) / 2)`
/// (0 for every signed grid, 128 for uint8 [0, 255], 127 for [0, 254]).
fn centre(qmin: i32, qmax: i32) -> i32 {
    (f64::from(qmin + qmax) / 2.0).round_ties_even() as i32
}

/// `a.max(b)` for operands that are not NaN (here they never are), as a compare and select:
/// `f32::max` is a library call in wasm, once per granule of every analysis.
#[inline(always)]
fn larger(a: f32, b: f32) -> f32 {
    if b > a {
        b
    } else {
        a
    }
}

/// `a.min(b)` for operands that are not NaN, as [`larger`].
#[inline(always)]
fn smaller(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// A finite float32 (an overflow gives `f32::MAX`).
fn finite(v: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        f32::MAX
    }
}

/// Scale, zero point and quantizing step for the real range `[rmin, rmax]` under `spec`'s
/// convention (see [`Convention`] for each framework's rules and sources). Never NaN or infinite.
pub fn params_for_range(spec: &QuantSpec, rmin: f32, rmax: f32) -> QParams {
    let (qmin, qmax) = spec.quantizer_range();
    // A grid the convention does not define is computed by ONNX Runtime's rule (`own_rule`).
    match (spec.rule_convention(), spec.symmetric) {
        (Convention::OnnxRuntime, _) | (Convention::TensorRt | Convention::Ggml, false) => {
            scale_zero_point(rmin, rmax, qmin, qmax, spec.symmetric, None)
        }
        (Convention::PyTorch, symmetric) => pytorch(spec, rmin, rmax, qmin, qmax, symmetric),
        (Convention::TfLite, true) => {
            // SymmetricPerChannelQuantization: scale = half_range / 127, inverse = 127 / half_range,
            // both 0 for an all-zero channel.
            let (_, a) = widened(spec, rmin, rmax);
            let q = qmax as f32;
            let degenerate = a == 0.0;
            let inv = if degenerate { 0.0 } else { finite(q / a) };
            QParams {
                scale: a / q,
                zero_point: centre(qmin, qmax),
                degenerate,
                step: Step::Multiply(inv),
            }
        }
        (Convention::TfLite, false) => {
            // GetAsymmetricQuantizationParams, then AffineQuantize divides by the scale.
            let (lo, hi) = widened(spec, rmin, rmax);
            let (qlo, qhi) = (qmin as f32, qmax as f32);
            let scale = finite((hi - lo) / (qhi - qlo));
            let from_min = if scale != 0.0 { qlo - lo / scale } else { qlo };
            let zero_point = if from_min < qlo {
                qmin
            } else if from_min > qhi {
                qmax
            } else {
                from_min.round() as i32
            };
            let degenerate = scale == 0.0;
            QParams {
                scale,
                zero_point,
                degenerate,
                step: if degenerate {
                    Step::Multiply(0.0)
                } else {
                    Step::Divide(scale)
                },
            }
        }
        (Convention::TensorRt, true) => {
            let (_, a) = widened(spec, rmin, rmax);
            if a <= TENSORRT_ZERO_AMAX {
                return QParams {
                    scale: 1.0,
                    zero_point: centre(qmin, qmax),
                    degenerate: true,
                    step: Step::Divide(1.0),
                };
            }
            let scale = a / qmax as f32;
            QParams {
                scale,
                zero_point: centre(qmin, qmax),
                degenerate: false,
                step: Step::Divide(scale),
            }
        }
        (Convention::Ggml, true) => {
            // quantize_row_q8_0_ref: d = amax / 127, id = d ? 1/d : 0, stored d = fp16(d).
            let (_, a) = widened(spec, rmin, rmax);
            let d = a / qmax as f32;
            let id = if d != 0.0 { finite(1.0 / d) } else { 0.0 };
            // A d beyond float16's range (amax > 8.3e6) would be stored as inf; it is shown
            // saturated at f16::MAX (65504) so no infinity reaches the page.
            let stored = half::f16::from_f32(d).to_f32();
            QParams {
                scale: if stored.is_finite() {
                    stored
                } else {
                    half::f16::MAX.to_f32()
                },
                zero_point: centre(qmin, qmax),
                degenerate: d == 0.0,
                step: Step::Multiply(id),
            }
        }
    }
}

/// TensorFlow's fake-quant nudging (`FakeQuantWithMinMaxVarsPerChannel`, `Nudge` in
/// tensorflow/core/kernels/fake_quant_ops_functor.h): the range is *not* widened to contain 0;
/// `scale = (max - min) / (qmax - qmin)`, `zp = round(qmin - min / scale)` (ties away) clamped to
/// the grid, so a range that excludes 0 is shifted until one grid point is 0. Codes multiply by
/// `1 / scale` (TF's `inv_nudged_scale`); values beyond the nudged range clamp. `min == max == 0` gives scale 0 and codes 0.
pub fn tf_nudged(rmin: f32, rmax: f32, qmin: i32, qmax: i32) -> QParams {
    let (qlo, qhi) = (qmin as f32, qmax as f32);
    let scale = finite((rmax - rmin) / (qhi - qlo));
    if scale.is_nan() || scale <= 0.0 {
        return QParams {
            scale: 0.0,
            zero_point: qmin,
            degenerate: true,
            step: Step::Multiply(0.0),
        };
    }
    let from_min = qlo - rmin / scale;
    let zero_point = if from_min < qlo {
        qmin
    } else if from_min > qhi {
        qmax
    } else {
        from_min.round() as i32
    };
    QParams {
        scale,
        zero_point,
        degenerate: false,
        step: Step::Multiply(finite(1.0 / scale)),
    }
}

/// PyTorch `_calculate_qparams` in float32, with FBGEMM's multiply-by-inverse quantization.
fn pytorch(
    spec: &QuantSpec,
    rmin: f32,
    rmax: f32,
    qmin: i32,
    qmax: i32,
    symmetric: bool,
) -> QParams {
    let (lo, hi) = widened(spec, rmin, rmax);
    let raw = if symmetric {
        hi / ((qmax - qmin) as f32 / 2.0)
    } else {
        finite(hi - lo) / (qmax - qmin) as f32
    };
    let degenerate = raw <= TORCH_EPS;
    let scale = if degenerate { TORCH_EPS } else { finite(raw) };
    let zero_point = if symmetric {
        centre(qmin, qmax)
    } else {
        (qmin - (lo / scale).round_ties_even() as i32).clamp(qmin, qmax)
    };
    QParams {
        scale,
        zero_point,
        degenerate,
        step: Step::Multiply(finite(1.0 / scale)),
    }
}

/// The real range a scheme can represent without clipping: `[(qmin - zp) * scale, (qmax - zp) * scale]`.
pub fn representable_range(spec: &QuantSpec, p: &QParams) -> (f64, f64) {
    let (qmin, qmax) = spec.quantizer_range();
    let s = f64::from(p.scale);
    (
        f64::from(qmin - p.zero_point) * s,
        f64::from(qmax - p.zero_point) * s,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_int8_is_absmax_over_127() {
        let p = params_for_range(&QuantSpec::SYMMETRIC_INT8, -0.5, 0.25);
        assert_eq!(p.scale, (0.5f64 / 127.0) as f32);
        assert_eq!(p.zero_point, 0);
        assert!(!p.degenerate);
    }

    #[test]
    fn one_sided_range_is_widened_to_zero() {
        // bug case 15: [1, 2, 3] asymmetric uint8 -> scale 3/255, zero point 0
        let p = params_for_range(&QuantSpec::ASYMMETRIC_UINT8, 1.0, 3.0);
        assert_eq!(p.scale, (3.0f64 / 255.0) as f32);
        assert_eq!(p.zero_point, 0);
        let p = params_for_range(&QuantSpec::ASYMMETRIC_UINT8, -3.0, -1.0);
        assert_eq!(p.zero_point, 255);
    }

    #[test]
    fn degenerate_ranges_get_scale_one() {
        for (lo, hi) in [
            (0.0, 0.0),
            (f32::INFINITY, f32::NEG_INFINITY),
            (-1e-40, 1e-40),
        ] {
            for spec in [QuantSpec::SYMMETRIC_INT8, QuantSpec::ASYMMETRIC_UINT8] {
                let p = params_for_range(&spec, lo, hi);
                assert_eq!(
                    (p.scale, p.zero_point, p.degenerate),
                    (1.0, 0, true),
                    "{lo} {hi}"
                );
            }
        }
    }

    #[test]
    fn huge_ranges_never_give_an_infinite_scale() {
        let spec = QuantSpec {
            reduce_range: true,
            bits: 2,
            ..QuantSpec::SYMMETRIC_INT8
        };
        let p = params_for_range(&spec, -f32::MAX, f32::MAX);
        assert!(p.scale.is_finite() && p.scale > 0.0);
        let p = params_for_range(&QuantSpec::ASYMMETRIC_UINT8, -f32::MAX, f32::MAX);
        assert!(p.scale.is_finite());
        assert_eq!(p.zero_point, 128);
    }
}
