//! Range selection per granule: which real range `[lo, hi]` a granule's grid should cover.
//!
//! Every method looks at the finite values only (NaN and ±inf are always excluded) and returns a
//! finite `lo ≤ hi`, whatever the data: empty granules and granules without finite values give
//! `[0, 0]`; all-zero, constant, single-value, subnormal-only and near-`±f32::MAX` granules give
//! finite ranges (the scale/zero-point rule in `params.rs` then widens the range to contain 0 and
//! applies its degenerate rules). A method never widens the range beyond the finite min-max.
//!
//! | method | what | who |
//! |---|---|---|
//! | [`RangeMethod::MinMax`] | finite min and max (symmetric: ± the largest magnitude) | PyTorch/ORT/TFLite default for weights |
//! | [`RangeMethod::Percentile`] | the p-th percentile (numpy 'linear') | ORT 99.999, pytorch-quantization 99.99 |
//! | [`RangeMethod::Mse`] | the candidate range with the least `Σ(x − x̂)²` | pytorch-quantization 'mse', AIMET SQNR |
//! | [`RangeMethod::Entropy`] | TensorRT's KL-divergence threshold | TensorRT, ORT, MXNet |
//! | [`RangeMethod::Aciq`] | analytic clip for a Laplace/Gaussian fit | Banner et al. 2019, Distiller |

mod aciq;
mod entropy;
#[cfg(test)]
mod tests;

pub use aciq::{
    aciq_ratio, erfc, expected_mse, optimal_ratio, AciqPrior, ACIQ_GAUSSIAN, ACIQ_LAPLACE,
};
pub use entropy::{entropy_applies, num_quantized_bins, ENTROPY_BINS, ENTROPY_MAX_CANDIDATES};

use super::kernels::{self, Quantizer};

/// ONNX Runtime's `PercentileCalibrater` default percentile.
pub const ORT_PERCENTILE: f64 = 99.999;
/// pytorch-quantization's `HistogramCalibrator.compute_amax("percentile")` default (TensorRT).
pub const TENSORRT_PERCENTILE: f64 = 99.99;
/// Candidate ranges tried by [`RangeMethod::Mse`] (`k/K` of the min-max range, `k = 1..=K`).
pub const MSE_CANDIDATES: usize = 128;

/// How a granule's range is chosen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RangeMethod {
    /// The finite minimum and maximum (symmetric: `±max|x|`), via [`kernels::min_max_finite`].
    MinMax,
    /// The p-th percentile, `p` in `[50, 100]` (clamped; NaN means 100). Symmetric: `±t` with `t`
    /// the p-th percentile of `|x|`; asymmetric: `[(100 − p)-th, p-th]` percentiles of `x`.
    /// NumPy's default `method='linear'`: index `(n − 1)·p/100`, interpolated between the two
    /// neighbouring order statistics in float64 with NumPy's `_lerp`.
    Percentile(f64),
    /// The best of [`MSE_CANDIDATES`] shrunken ranges by measured `Σ(x − x̂)²` on the real grid.
    Mse,
    /// TensorRT's entropy (KL-divergence) calibration on a 2048-bin `|x|` histogram (details in
    /// `range/entropy.rs`). It gives a threshold `t` on `|x|`: symmetric `±t`; asymmetric
    /// `[max(−t, min), min(t, max)]` (TensorRT's method is symmetric only). Min-max when
    /// [`entropy_applies`] is false: fewer finite values than `2^(bits−1)`, or 12 bits and more.
    Entropy,
    /// ACIQ's analytic clipping for a fitted Laplace or Gaussian prior at the bit width (details
    /// in `range/aciq.rs`): `[μ − α, μ + α] ∩ [min, max]`, symmetric `±min(|μ| + α, max|x|)`.
    Aciq(AciqPrior),
}

impl RangeMethod {
    /// Stable identifier (URL query values, tests).
    pub fn id(&self) -> &'static str {
        match self {
            RangeMethod::MinMax => "minmax",
            RangeMethod::Percentile(_) => "percentile",
            RangeMethod::Mse => "mse",
            RangeMethod::Entropy => "entropy",
            RangeMethod::Aciq(AciqPrior::Laplace) => "aciq-laplace",
            RangeMethod::Aciq(AciqPrior::Gaussian) => "aciq-gaussian",
        }
    }

    /// Every method, with `p` for the percentile one (the order the page lists them).
    pub fn all(p: f64) -> [RangeMethod; 6] {
        [
            RangeMethod::MinMax,
            RangeMethod::Percentile(p),
            RangeMethod::Mse,
            RangeMethod::Entropy,
            RangeMethod::Aciq(AciqPrior::Laplace),
            RangeMethod::Aciq(AciqPrior::Gaussian),
        ]
    }

    /// The method with this [`id`](Self::id); `p` is used when it is the percentile.
    pub fn from_id(id: &str, p: f64) -> Option<RangeMethod> {
        RangeMethod::all(p).into_iter().find(|m| m.id() == id)
    }

    /// Short name for the UI, e.g. "percentile 99.99".
    pub fn label(&self) -> String {
        match self {
            RangeMethod::MinMax => "min-max".to_string(),
            RangeMethod::Percentile(p) => format!("percentile {}", clamp_percentile(*p)),
            RangeMethod::Mse => "MSE search".to_string(),
            RangeMethod::Entropy => "entropy (KL)".to_string(),
            RangeMethod::Aciq(AciqPrior::Laplace) => "ACIQ Laplace".to_string(),
            RangeMethod::Aciq(AciqPrior::Gaussian) => "ACIQ Gaussian".to_string(),
        }
    }

    /// One sentence: what the method does and who uses it.
    pub fn describe(&self) -> &'static str {
        match self {
            RangeMethod::MinMax => {
                "Covers every value from the smallest to the largest, never clipping; the default \
                 for weights in PyTorch, ONNX Runtime, TFLite and TensorRT."
            }
            RangeMethod::Percentile(_) => {
                "Clips the rarest extreme values beyond the chosen percentile (ONNX Runtime's \
                 default is 99.999, TensorRT's pytorch-quantization uses 99.99)."
            }
            RangeMethod::Mse => {
                "Tries 128 shrunken ranges and keeps the one with the smallest squared error \
                 after quantization, clipping included, as the MSE calibrators of \
                 pytorch-quantization, Brevitas and AIMET do."
            }
            RangeMethod::Entropy => {
                "Picks the clipping threshold whose 2048-bin histogram loses the least \
                 information (KL divergence) when merged into the quantized levels: TensorRT's \
                 classic calibration, also in ONNX Runtime and MXNet."
            }
            RangeMethod::Aciq(AciqPrior::Laplace) => {
                "Fits a Laplace distribution and clips at the analytic optimum for the bit width \
                 (ACIQ, Banner et al. 2019; 9.89 mean absolute deviations at 8 bits)."
            }
            RangeMethod::Aciq(AciqPrior::Gaussian) => {
                "Fits a Gaussian distribution and clips at the analytic optimum for the bit width \
                 (ACIQ, Banner et al. 2019; 3.92 standard deviations at 8 bits)."
            }
        }
    }
}

/// The clipping range chosen for one granule: finite, `lo ≤ hi`. It need not contain 0: the
/// scale/zero-point rule widens it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeChoice {
    pub lo: f32,
    pub hi: f32,
}

impl RangeChoice {
    const ZERO: RangeChoice = RangeChoice { lo: 0.0, hi: 0.0 };

    /// Finite values of `values` strictly outside this range.
    pub fn clipped(&self, values: &[f32]) -> usize {
        clipped_count(values, f64::from(self.lo), f64::from(self.hi))
    }
}

/// Chooses the range of one granule.
///
/// - `values`: the granule (may contain NaN/inf, which are excluded).
/// - `bits`: the bit width 2..=16 (ACIQ constants, entropy level count; clamped).
/// - `symmetric`: a threshold `t` on `|x|` (the result is `[-t, t]`) instead of `[lo, hi]`.
/// - `grid`: the quantizer the scheme uses for a candidate range (its scale/zero-point rule),
///   used by the MSE search only.
/// - `scratch`: reused buffer (percentile only), so no call allocates once it has grown.
///
/// With no finite value the result is `[0, 0]`. A symmetric result always has `lo == -hi`.
/// Cost: min-max, percentile and ACIQ are `O(n)`; entropy `O(n)` plus a fixed ~60 k operations
/// (2048 bins, ≤ 256 candidates × `2^(bits−1)` groups); the MSE search is 128 quantization passes,
/// `O(128·n)`. Entropy keeps ~36 KB of prefix sums on the stack.
pub fn choose_range(
    values: &[f32],
    method: RangeMethod,
    bits: u32,
    symmetric: bool,
    grid: &dyn Fn(f32, f32) -> Quantizer,
    scratch: &mut Vec<f32>,
) -> RangeChoice {
    let mm = kernels::min_max_finite(values);
    if !mm.has_finite() {
        return RangeChoice::ZERO;
    }
    let amax = if -mm.min > mm.max { -mm.min } else { mm.max };
    let minmax = if symmetric {
        RangeChoice {
            lo: -amax,
            hi: amax,
        }
    } else {
        RangeChoice {
            lo: mm.min,
            hi: mm.max,
        }
    };
    let chosen = match method {
        RangeMethod::MinMax => minmax,
        RangeMethod::Percentile(p) => percentile_range(values, p, symmetric, scratch),
        RangeMethod::Mse => mse_range(values, minmax, grid),
        RangeMethod::Entropy => {
            let t = entropy::entropy_threshold(values, amax, bits);
            if symmetric {
                RangeChoice { lo: -t, hi: t }
            } else {
                // TensorRT's method is symmetric: apply its |x| threshold to both ends, within the data.
                RangeChoice {
                    lo: if -t > mm.min { -t } else { mm.min },
                    hi: if t < mm.max { t } else { mm.max },
                }
            }
        }
        RangeMethod::Aciq(prior) => {
            match aciq::aciq_range(values, mm.min, mm.max, prior, bits, symmetric) {
                Some((lo, hi)) => RangeChoice { lo, hi },
                None => minmax,
            }
        }
    };
    // Belt and braces: every path above is finite with lo ≤ hi; never hand out anything else.
    if chosen.lo.is_finite() && chosen.hi.is_finite() && chosen.lo <= chosen.hi {
        chosen
    } else {
        minmax
    }
}

/// Finite values of `values` strictly outside `[lo, hi]` (compared in float64).
pub fn clipped_count(values: &[f32], lo: f64, hi: f64) -> usize {
    values
        .iter()
        .filter(|v| v.is_finite() && (f64::from(**v) < lo || f64::from(**v) > hi))
        .count()
}

/// `p` clamped to `[50, 100]`; NaN becomes 100 (min-max).
pub fn clamp_percentile(p: f64) -> f64 {
    if p.is_nan() {
        100.0
    } else {
        p.clamp(50.0, 100.0)
    }
}

fn percentile_range(
    values: &[f32],
    p: f64,
    symmetric: bool,
    scratch: &mut Vec<f32>,
) -> RangeChoice {
    let p = clamp_percentile(p);
    scratch.clear();
    if symmetric {
        scratch.extend(values.iter().filter(|v| v.is_finite()).map(|v| v.abs()));
        let t = percentile_of(scratch, p).unwrap_or(0.0) as f32;
        RangeChoice { lo: -t, hi: t }
    } else {
        scratch.extend(values.iter().filter(|v| v.is_finite()));
        let lo = percentile_of(scratch, 100.0 - p).unwrap_or(0.0) as f32;
        let hi = percentile_of(scratch, p).unwrap_or(0.0) as f32;
        RangeChoice { lo, hi }
    }
}

/// NumPy's `np.percentile(data, p)` with the default `method='linear'`, in O(n)
/// (`select_nth_unstable`; `data` is reordered and must hold finite values). `None` for no data.
///
/// `index = (n − 1)·(p/100)`, `below = ⌊index⌋`, `γ = index − below`; with `a`, `b` the order
/// statistics at `below` and `below + 1` (both the last one when `index ≥ n − 1`), NumPy's `_lerp`:
/// `a + (b − a)·γ`, or `b − (b − a)·(1 − γ)` when `γ ≥ 0.5`, all in float64.
pub fn percentile_of(data: &mut [f32], p: f64) -> Option<f64> {
    let n = data.len();
    if n == 0 {
        return None;
    }
    let index = (n - 1) as f64 * (p / 100.0);
    let index = if index.is_nan() {
        0.0
    } else {
        index.clamp(0.0, (n - 1) as f64)
    };
    let below = index.floor();
    let k = below as usize;
    let gamma = index - below;
    let (_, at, rest) = data.select_nth_unstable_by(k, f32::total_cmp);
    let a = f64::from(*at);
    let b = if k + 1 < n {
        // The next order statistic is the smallest value after position k.
        let mut m = f32::INFINITY;
        for &v in rest.iter() {
            if v < m {
                m = v;
            }
        }
        f64::from(m)
    } else {
        a
    };
    Some(lerp(a, b, gamma))
}

/// NumPy's `_lerp(a, b, t)` (numpy/lib/_function_base_impl.py).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The MSE search.
///
/// Candidates: the min-max range scaled about 0 by `k/K`, `k = 1..=K` ([`MSE_CANDIDATES`] = 128):
/// symmetric `±amax·k/K` (pytorch-quantization's `_compute_amax_mse` and AIMET's symmetric
/// candidates scan thresholds the same way), asymmetric `[min·k/K, max·k/K]` clamped to
/// `[min, max]`, a 1-D family that shrinks both ends toward 0 together (the grid rule widens a
/// range to 0 anyway, so a one-sided granule keeps its near end and shrinks its far end, down to
/// the near end at most). Each candidate's grid comes from `grid(lo, hi)` and its error
/// `Σ(x − x̂)²` over all finite values from [`kernels::quant_error`] (clipping error included),
/// exactly, with no subsampling: the cost is `K` passes over the granule (`128·n` quantizations).
/// The smallest error wins; ties go to the widest range, so all-zero errors (or a degenerate
/// granule) give the min-max range.
fn mse_range(
    values: &[f32],
    minmax: RangeChoice,
    grid: &dyn Fn(f32, f32) -> Quantizer,
) -> RangeChoice {
    if minmax.lo == minmax.hi {
        return minmax;
    }
    let (lo0, hi0) = (f64::from(minmax.lo), f64::from(minmax.hi));
    let mut best = minmax;
    let mut best_err = f64::INFINITY;
    for k in (1..=MSE_CANDIDATES).rev() {
        let f = k as f64 / MSE_CANDIDATES as f64;
        let cand = RangeChoice {
            lo: (lo0 * f).clamp(lo0, hi0) as f32,
            hi: (hi0 * f).clamp(lo0, hi0) as f32,
        };
        let err = kernels::quant_error(values, &grid(cand.lo, cand.hi)).sum_sq_err;
        // Strictly smaller only: ties (and NaN, which cannot happen) keep the wider range.
        if err < best_err {
            best_err = err;
            best = cand;
        }
    }
    best
}
