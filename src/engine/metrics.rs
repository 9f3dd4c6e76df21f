//! Error figures from the float64 sums of the kernels.

/// Mean squared quantization error; 0 when there is nothing to average.
pub fn msqe(sum_sq_err: f64, count: usize) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum_sq_err / count as f64
    }
}

/// Signal-to-quantization-noise ratio `10·log10(Σx² / Σ(x-x̂)²)` in dB, or `None` when the
/// error is exactly zero (lossless; this includes an all-zero tensor).
pub fn sqnr_db(sum_sq_x: f64, sum_sq_err: f64) -> Option<f64> {
    if sum_sq_err > 0.0 && sum_sq_x > 0.0 {
        Some(10.0 * (sum_sq_x / sum_sq_err).log10())
    } else if sum_sq_err > 0.0 {
        // Only non-finite-free all-zero signals have Σx² = 0, and they quantize exactly; keep finite.
        Some(f64::MIN_POSITIVE.log10() * 10.0)
    } else {
        None
    }
}

/// Cosine similarity of x and x̂ from `Σx²`, `Σx̂²` and `Σ(x − x̂)²` (`Σxx̂ = (Σx² + Σx̂² − Σe²) / 2`).
/// 1 when both are zero; 0 when exactly one is.
pub fn cosine(sum_sq_x: f64, sum_sq_xhat: f64, sum_sq_err: f64) -> f64 {
    if sum_sq_x == 0.0 && sum_sq_xhat == 0.0 {
        return 1.0;
    }
    let denom = (sum_sq_x * sum_sq_xhat).sqrt();
    if denom == 0.0 || !denom.is_finite() {
        return 0.0;
    }
    ((sum_sq_x + sum_sq_xhat - sum_sq_err) / (2.0 * denom)).clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqnr_matches_the_definition() {
        assert_eq!(sqnr_db(100.0, 1.0), Some(20.0));
        assert_eq!(sqnr_db(1.0, 0.0), None);
        assert_eq!(sqnr_db(0.0, 0.0), None);
        assert_eq!(msqe(3.0, 0), 0.0);
        assert_eq!(msqe(3.0, 2), 1.5);
        // x = (1, 0), x̂ = (0, 1): orthogonal.
        assert_eq!(cosine(1.0, 1.0, 2.0), 0.0);
        // x̂ = x: identical.
        assert_eq!(cosine(5.0, 5.0, 0.0), 1.0);
        assert_eq!(cosine(0.0, 0.0, 0.0), 1.0);
        assert_eq!(cosine(1.0, 0.0, 1.0), 0.0);
    }
}
