//! Entropy calibration: the clipping threshold whose quantized histogram loses the least
//! information, measured as KL(P‖Q) (Migacz, "8-bit Inference with TensorRT", GTC 2017).
//!
//! The histogram is of `|x|` over `[0, max|x|]` in [`ENTROPY_BINS`] = 2048 equal bins (TensorRT,
//! pytorch-quantization `HistogramCalibrator`, ONNX Runtime `num_bins`). For a candidate keeping
//! the first `i` bins (`num_quantized_bins ≤ i ≤ 2048`, `num_quantized_bins = 2^(bits−1)`):
//!
//! - `P = hist[0..i]` with every count beyond bin `i` added to `P[i−1]` (the clipped values land on
//!   the last level);
//! - `Q`: the in-range bins `hist[0..i]` (without the clipped mass) are merged into
//!   `num_quantized_bins` groups, and each group's total is spread evenly over the bins where `P`
//!   is non-zero (`Q = 0` where `P = 0`), as in MXNet's `_get_optimal_threshold` and ONNX Runtime's
//!   `get_entropy_threshold`. Group `g` holds bins `[⌈g·i/nq⌉, ⌈(g+1)·i/nq⌉)`, the equal split of
//!   pytorch-quantization `_compute_amax_entropy` (`np.digitize` over `linspace(0, i, nq + 1)`),
//!   not MXNet's integer split that puts the whole remainder into the last group;
//! - `KL(P‖Q) = Σ p ln(p/q)` over the normalised distributions, terms with `p = 0` being 0. The only
//!   bin where `P > 0` and `Q = 0` is the last kept bin when its group holds no in-range value; that
//!   bin gets `q = 10⁻⁴` counts, the ε of MXNet's and ONNX Runtime's `_smooth_distribution`. Their
//!   smoothing also moves every other bin by at most `10⁻⁴·(zero bins)/(non-zero bins)` counts;
//!   leaving it out changes no ranking in practice and lets each candidate cost `O(nq)`
//!   (prefix sums of the counts, of the non-zero bins and of `h·ln h`). A candidate with no
//!   in-range value at all is rejected (their `smooth_distribution` fails on an all-zero `Q`).
//! - The threshold is the candidate's bin edge `i·width` (pytorch-quantization returns
//!   `calib_bin_edges[i]`; MXNet the edge `hist_edges[stop]`; the GTC slides' `(i + 0.5)·width` would
//!   lie half a bin beyond the kept bins). The widest candidate is exactly `max|x|` (no clipping).
//! - The smallest divergence wins; ties go to the widest candidate (pytorch-quantization takes the
//!   last argmin).
//!
//! Not done: pytorch-quantization's `bins[0] = bins[1]`, meant for the zero spike of ReLU
//! activations; weights keep their exact zero counts.
//!
//! Cost: at most [`ENTROPY_MAX_CANDIDATES`] candidates, evenly strided from 2048 bins down to
//! `num_quantized_bins` (stride 8 bins at 8 bits: 241 candidates), each `O(num_quantized_bins)`
//! with one logarithm per non-empty group, plus one `O(n)` pass to fill the histogram.
//! From 12 bits on `num_quantized_bins ≥ 2048`: the histogram is no finer than the grid, and the
//! only candidate is `max|x|`.

/// Bins of the `|x|` histogram.
pub const ENTROPY_BINS: usize = 2048;
/// Most candidate thresholds evaluated per granule.
pub const ENTROPY_MAX_CANDIDATES: usize = 256;
/// The count given to `Q` where `P > 0` and `Q = 0` (MXNet / ONNX Runtime smoothing ε).
const KL_EPS: f64 = 1e-4;

/// `2^(bits−1)`: the levels on one side of zero (128 at 8 bits), `bits` clamped to 2..=16.
pub fn num_quantized_bins(bits: u32) -> usize {
    1usize << (bits.clamp(2, 16) - 1)
}

/// Whether [`super::RangeMethod::Entropy`] really searches for a threshold on a granule with `n`
/// finite values at `bits`: it needs at least `num_quantized_bins` values and fewer levels than
/// histogram bins (bits ≤ 11). Otherwise it returns the min-max range.
pub fn entropy_applies(n: usize, bits: u32) -> bool {
    let nq = num_quantized_bins(bits);
    nq < ENTROPY_BINS && n >= nq
}

/// The entropy threshold (a clip level for `|x|`) of the finite values of `values`, whose largest
/// absolute value is `amax` (finite, ≥ 0). Returns `amax` itself when no candidate beats it.
pub(super) fn entropy_threshold(values: &[f32], amax: f32, bits: u32) -> f32 {
    let a = f64::from(amax);
    let nq = num_quantized_bins(bits);
    if a.is_nan() || a <= 0.0 || nq >= ENTROPY_BINS {
        return amax;
    }
    let sums = PrefixSums::new(values, a);
    if !entropy_applies(sums.total() as usize, bits) {
        return amax;
    }
    let span = ENTROPY_BINS - nq;
    let stride = span.div_ceil(ENTROPY_MAX_CANDIDATES - 1).max(1);
    let ln = ln_table();
    let mut best_i = ENTROPY_BINS;
    let mut best_kl = f64::INFINITY;
    let mut i = ENTROPY_BINS;
    loop {
        let kl = sums.divergence(i, nq, ln);
        // Widest first, replaced only by a strictly smaller divergence: ties keep the wider range.
        if kl < best_kl {
            best_kl = kl;
            best_i = i;
        }
        if i < nq + stride {
            break;
        }
        i -= stride;
    }
    if best_i == ENTROPY_BINS {
        return amax;
    }
    let t = (best_i as f64 * (a / ENTROPY_BINS as f64)) as f32;
    if t > amax {
        amax
    } else {
        t
    }
}

/// `ln k` for the counts `k < LN_TABLE` that dominate small granules (filled once).
const LN_TABLE: usize = 4096;

fn ln_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| (0..LN_TABLE).map(|k| (k as f64).ln()).collect())
}

/// `ln k` of a count, from the table when it is small.
#[inline]
fn ln_count(k: u64, table: &[f64]) -> f64 {
    match table.get(k as usize) {
        Some(&v) => v,
        None => (k as f64).ln(),
    }
}

/// The `|x|` histogram as prefix sums over bins `[0, k)`: counts, non-empty bins, `Σ h·ln h`.
struct PrefixSums {
    cum: [u64; ENTROPY_BINS + 1],
    nonzero: [u16; ENTROPY_BINS + 1],
    hlnh: [f64; ENTROPY_BINS + 1],
}

impl PrefixSums {
    fn new(values: &[f32], amax: f64) -> PrefixSums {
        let mut s = PrefixSums {
            cum: [0; ENTROPY_BINS + 1],
            nonzero: [0; ENTROPY_BINS + 1],
            hlnh: [0.0; ENTROPY_BINS + 1],
        };
        // Count bin k into cum[k + 1], then accumulate in place.
        let inv = ENTROPY_BINS as f64 / amax;
        for &v in values {
            if v.is_finite() {
                let idx = (f64::from(v.abs()) * inv) as usize;
                s.cum[idx.min(ENTROPY_BINS - 1) + 1] += 1;
            }
        }
        let table = ln_table();
        for k in 0..ENTROPY_BINS {
            let h = s.cum[k + 1];
            s.cum[k + 1] = s.cum[k] + h;
            s.nonzero[k + 1] = s.nonzero[k] + u16::from(h > 0);
            s.hlnh[k + 1] = s.hlnh[k]
                + if h > 0 {
                    h as f64 * ln_count(h, table)
                } else {
                    0.0
                };
        }
        s
    }

    fn total(&self) -> u64 {
        self.cum[ENTROPY_BINS]
    }

    /// KL(P‖Q) of the candidate keeping bins `[0, i)`; `+inf` when it has no in-range value.
    fn divergence(&self, i: usize, nq: usize, ln: &[f64]) -> f64 {
        let total = self.total();
        let in_range = self.cum[i];
        if in_range == 0 {
            return f64::INFINITY;
        }
        let tail = total - in_range;
        let last_h = self.cum[i] - self.cum[i - 1];
        let p_last = last_h + tail;
        // Σ p ln p over P (P's last bin carries the clipped mass).
        let sum_plnp = self.hlnh[i - 1]
            + if p_last > 0 {
                p_last as f64 * ln_count(p_last, ln)
            } else {
                0.0
            };
        // Σ p ln q, group by group (q is constant over a group's non-zero bins).
        let mut sum_plnq = 0.0f64;
        let mut q_eps = false;
        // ⌈g·i/nq⌉ with a shift: nq is a power of two (an integer division per group was the
        // largest cost on small granules).
        let shift = nq.trailing_zeros();
        let round_up = nq - 1;
        for g in 0..nq {
            let start = (g * i + round_up) >> shift;
            let end = ((g + 1) * i + round_up) >> shift;
            let group = self.cum[end] - self.cum[start];
            let mut nonzero = u64::from(self.nonzero[end] - self.nonzero[start]);
            let mut p_mass = group;
            if end == i && tail > 0 {
                p_mass += tail;
                if last_h == 0 {
                    nonzero += 1;
                }
            }
            if p_mass == 0 {
                continue;
            }
            if group == 0 {
                // Only the clipped mass in the last bin: smoothed q = ε.
                sum_plnq += p_mass as f64 * KL_EPS.ln();
                q_eps = true;
            } else {
                sum_plnq += p_mass as f64 * (ln_count(group, ln) - ln_count(nonzero, ln));
            }
        }
        // KL = Σ (p/N) ln((p/N) / (q/Sq)) = (Σ p ln p − Σ p ln q)/N + ln Sq − ln N.
        let ln_q_total = if q_eps {
            (in_range as f64 + KL_EPS).ln()
        } else {
            ln_count(in_range, ln)
        };
        let kl = (sum_plnp - sum_plnq) / total as f64 + ln_q_total - ln_count(total, ln);
        if kl.is_nan() {
            f64::INFINITY
        } else {
            kl
        }
    }
}
