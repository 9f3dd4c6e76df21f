//! From a real range to (scale, zero point), with the degenerate rules.

use super::spec::QuantSpec;

/// Scale and zero point of one granule (the whole tensor or one channel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QParams {
    /// Always finite and positive.
    pub scale: f32,
    pub zero_point: i32,
    /// The range was empty or too small for a float32 scale (all zero, no finite values, or
    /// subnormal only), so the fallback scale 1 / zero point 0 was used.
    pub degenerate: bool,
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
        lo = lo.max(f32::MIN);
        hi = hi.min(f32::MAX);
    }
    if let Some(m) = min_real_range {
        hi = hi.max(lo + m);
    }
    if symmetric {
        let a = lo.abs().max(hi.abs());
        lo = -a;
        hi = a;
    }
    let span = f64::from(qmax - qmin).max(1.0);
    let scale64 = (f64::from(hi) - f64::from(lo)) / span;
    // Written so that a NaN (impossible here: the inputs are finite) also takes the fallback.
    if scale64.is_nan() || scale64 < F32_TINY {
        return QParams {
            scale: 1.0,
            zero_point: 0,
            degenerate: true,
        };
    }
    let zp = if symmetric {
        (f64::from(qmin + qmax) / 2.0).round_ties_even()
    } else {
        (f64::from(qmin) - f64::from(lo) / scale64).round_ties_even()
    };
    let scale = scale64 as f32;
    QParams {
        scale: if scale.is_finite() { scale } else { f32::MAX },
        zero_point: (zp as i32).clamp(qmin, qmax),
        degenerate: false,
    }
}

/// Scale and zero point of `spec` for a data range `[rmin, rmax]` (the finite min and max).
pub fn params_for_range(spec: &QuantSpec, rmin: f32, rmax: f32) -> QParams {
    let (qmin, qmax) = spec.quantizer_range();
    scale_zero_point(rmin, rmax, qmin, qmax, spec.symmetric, None)
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
