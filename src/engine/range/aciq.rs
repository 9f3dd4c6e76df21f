//! ACIQ, analytical clipping for integer quantization (Banner, Nahshan, Soudry, arXiv:1810.05723):
//! fit a Laplace or Gaussian prior to the granule and clip at the `α` that minimises the expected
//! mean squared error `clipping noise + quantization noise` of an `M`-bit uniform quantizer on
//! `[-α, α]`. The quantization noise is `Δ²/12` with `Δ = 2α / 2^M`, i.e. `α² / (3·4^M)`.
//!
//! - Laplace(b): `E(α) = 2·b²·e^(-α/b) + α²/(3·4^M)`, so `α* = c_L(M)·b`;
//! - Gaussian(σ): `E(α) = (α² + σ²)·erfc(α/(√2σ)) − √(2/π)·α·σ·e^(−α²/(2σ²)) + α²/(3·4^M)`,
//!   so `α* = c_G(M)·σ`.
//!
//! The constants below are the minimisers of these expressions for `M = 2..=16` (the root of
//! `dE/dα`, found by bisection in float64 by [`optimal_ratio`]; a test recomputes every entry).
//! They reproduce the two-decimal values published with the paper and in IntelLabs/distiller
//! `q_utils.py` `AciqClipper` (Laplace 2.83, 3.89, 5.03, 9.89 and Gaussian 1.71, 2.15, 2.55, 3.92
//! at 2, 3, 4, 8 bits): those tables truncate the optimum (3.897 → 3.89, 9.897 → 9.89,
//! 2.559 → 2.55), except Laplace at 4 bits, rounded (5.0286 → 5.03).

/// The prior fitted to a granule by [`super::RangeMethod::Aciq`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AciqPrior {
    /// `b = mean |x − μ|`, `α = c_L(bits)·b`.
    Laplace,
    /// `σ` = population standard deviation, `α = c_G(bits)·σ`.
    Gaussian,
}

/// `α*/b` of a Laplace prior for 2..=16 bits (index `bits − 2`).
pub const ACIQ_LAPLACE: [f64; 15] = [
    2.830682989370234,
    3.8972294649451023,
    5.028640136236213,
    6.204766334013321,
    7.4131262138435705,
    8.645619984034422,
    9.896759770017528,
    11.162685017744,
    12.440591282905359,
    13.728384695912993,
    15.024464765264185,
    16.327583091398935,
    17.636748628849055,
    18.951162433673048,
    20.2701716385439,
];

/// `α*/σ` of a Gaussian prior for 2..=16 bits (index `bits − 2`).
pub const ACIQ_GAUSSIAN: [f64; 15] = [
    1.71063516811404,
    2.1515927447403573,
    2.559136461975303,
    2.9362006121081965,
    3.286914215213039,
    3.6151142152627767,
    3.9240354898807777,
    4.216329825704012,
    4.494160529300531,
    4.759299756218999,
    5.013210465701292,
    5.2571112107898745,
    5.492026275918473,
    5.718824295350807,
    5.938248084612049,
];

/// The optimal clipping ratio `α*/b` (Laplace) or `α*/σ` (Gaussian) at `bits` (clamped to 2..=16).
pub fn aciq_ratio(prior: AciqPrior, bits: u32) -> f64 {
    let i = (bits.clamp(2, 16) - 2) as usize;
    match prior {
        AciqPrior::Laplace => ACIQ_LAPLACE[i],
        AciqPrior::Gaussian => ACIQ_GAUSSIAN[i],
    }
}

/// Expected squared error of clipping a unit prior (`b = 1` or `σ = 1`) at `a` with `bits` bits.
pub fn expected_mse(prior: AciqPrior, a: f64, bits: u32) -> f64 {
    let quant = a * a / (3.0 * 4f64.powi(bits as i32));
    match prior {
        AciqPrior::Laplace => 2.0 * (-a).exp() + quant,
        AciqPrior::Gaussian => {
            (a * a + 1.0) * erfc(a / std::f64::consts::SQRT_2)
                - (2.0 / std::f64::consts::PI).sqrt() * a * (-a * a / 2.0).exp()
                + quant
        }
    }
}

/// `dE/da / 2` of [`expected_mse`]; increasing in `a`, so its single root is the minimum.
fn half_derivative(prior: AciqPrior, a: f64, bits: u32) -> f64 {
    let quant = a / (3.0 * 4f64.powi(bits as i32));
    match prior {
        AciqPrior::Laplace => -(-a).exp() + quant,
        AciqPrior::Gaussian => {
            a * erfc(a / std::f64::consts::SQRT_2)
                - (2.0 / std::f64::consts::PI).sqrt() * (-a * a / 2.0).exp()
                + quant
        }
    }
}

/// Minimises [`expected_mse`] over `a` by bisection on its derivative (float64, to ~1e-14).
/// This is how [`ACIQ_LAPLACE`] and [`ACIQ_GAUSSIAN`] were computed (tests recompute them).
pub fn optimal_ratio(prior: AciqPrior, bits: u32) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 64.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if half_derivative(prior, mid, bits) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Complementary error function in float64, relative error ~1e-15 on `[0, 27]`:
/// the series `erf(x) = 2/√π · e^(−x²) · Σ 2^n x^(2n+1) / (1·3·…·(2n+1))` (all terms positive)
/// below `x = 2.5`, the continued fraction of `erfc` (Lentz's method) above. Odd: `erfc(−x) = 2 − erfc(x)`.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    if x < 2.5 {
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        return 1.0 - two_over_sqrt_pi * (-x2).exp() * sum;
    }
    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..300 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

/// The ACIQ range of `values` (non-finite values excluded) given its finite `min`, `max`:
/// `[μ − α, μ + α] ∩ [min, max]`, or symmetric `±min(|μ| + α, max|x|)`. `None` without finite values.
///
/// IntelLabs/distiller's `AciqSymmetricClipper` uses `±(|μ| + α)` and its asymmetric clipper
/// `[max(min, μ − α), that + 2α]`; here the range is also capped at the data, so ACIQ never
/// widens a range beyond min-max (a prior fitted to few values can give `α` above the data).
pub(super) fn aciq_range(
    values: &[f32],
    min: f32,
    max: f32,
    prior: AciqPrior,
    bits: u32,
    symmetric: bool,
) -> Option<(f32, f32)> {
    let mut n = 0usize;
    let mut sum = 0.0f64;
    for &v in values {
        if v.is_finite() {
            n += 1;
            sum += f64::from(v);
        }
    }
    if n == 0 {
        return None;
    }
    let (min64, max64) = (f64::from(min), f64::from(max));
    // Rounding can put the mean of a constant granule one ulp outside [min, max].
    let mu = (sum / n as f64).clamp(min64, max64);
    let mut spread = 0.0f64;
    for &v in values {
        if v.is_finite() {
            let d = f64::from(v) - mu;
            spread += match prior {
                AciqPrior::Laplace => d.abs(),
                AciqPrior::Gaussian => d * d,
            };
        }
    }
    let spread = match prior {
        AciqPrior::Laplace => spread / n as f64,
        AciqPrior::Gaussian => (spread / n as f64).sqrt(),
    };
    let alpha = aciq_ratio(prior, bits) * spread;
    if symmetric {
        let amax = min64.abs().max(max64.abs());
        let t = (mu.abs() + alpha).min(amax) as f32;
        Some((-t, t))
    } else {
        let lo = (mu - alpha).max(min64) as f32;
        let hi = (mu + alpha).min(max64) as f32;
        Some((lo, hi))
    }
}
