//! Histograms whose bins never degenerate: constant data, a single value, no data, or outliers.

/// Equal-width bins over `[lo, hi]`; `lo < hi` and both finite, always.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<u64>,
    /// Finite values outside `[lo, hi]` (not in any bin).
    pub outside: u64,
    /// Non-finite values skipped.
    pub nonfinite: u64,
}

impl Histogram {
    pub fn bin_width(&self) -> f64 {
        (self.hi - self.lo) / self.counts.len().max(1) as f64
    }

    /// `(left edge, right edge, count)` of every bin.
    pub fn bins(&self) -> impl Iterator<Item = (f64, f64, u64)> + '_ {
        let w = self.bin_width();
        self.counts
            .iter()
            .enumerate()
            .map(move |(i, &c)| (self.lo + w * i as f64, self.lo + w * (i + 1) as f64, c))
    }

    pub fn max_count(&self) -> u64 {
        self.counts.iter().copied().max().unwrap_or(0)
    }
}

/// Bin bounds for data with finite min and max (`min > max` when there was no finite value).
/// A single value `v` gets `[v - 0.5, v + 0.5]` as NumPy does; no data gets `[-0.5, 0.5]`; a range
/// too narrow to split into float64 bins is widened around its centre.
pub fn bounds(min: f32, max: f32) -> (f64, f64) {
    if min > max || !min.is_finite() || !max.is_finite() {
        return (-0.5, 0.5);
    }
    let (lo, hi) = (f64::from(min), f64::from(max));
    if lo == hi {
        return (lo - 0.5, hi + 0.5);
    }
    let centre = 0.5 * (lo + hi);
    let min_width = centre.abs() * 1e-12;
    if hi - lo < min_width {
        return (centre - min_width, centre + min_width);
    }
    (lo, hi)
}

/// Counts the finite values of `values` into `bins` equal bins over `[lo, hi]` (the last bin
/// includes `hi`). Invalid bounds are replaced by [`bounds`] of nothing; `bins` is at least 1.
pub fn histogram(values: &[f32], lo: f64, hi: f64, bins: usize) -> Histogram {
    let mut h = Histogram::empty(lo, hi, bins);
    h.add(values);
    h
}

impl Histogram {
    /// No counts yet, over `[lo, hi]` (invalid bounds become `[-0.5, 0.5]`), at least one bin.
    pub fn empty(lo: f64, hi: f64, bins: usize) -> Histogram {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo < hi {
            (lo, hi)
        } else {
            (-0.5, 0.5)
        };
        Histogram {
            lo,
            hi,
            counts: vec![0u64; bins.max(1)],
            outside: 0,
            nonfinite: 0,
        }
    }

    /// Adds `values` (so a histogram can be filled channel by channel, in the same pass as the
    /// error measurement; counting does not depend on the order).
    pub fn add(&mut self, values: &[f32]) {
        let (lo, hi) = (self.lo, self.hi);
        let inv = self.counts.len() as f64 / (hi - lo);
        let last = self.counts.len() - 1;
        for &v in values {
            if !v.is_finite() {
                self.nonfinite += 1;
                continue;
            }
            let v = f64::from(v);
            if v < lo || v > hi {
                self.outside += 1;
                continue;
            }
            let idx = ((v - lo) * inv) as usize;
            self.counts[idx.min(last)] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_data_gets_one_bar_and_a_padded_axis() {
        let (lo, hi) = bounds(0.25, 0.25);
        assert_eq!((lo, hi), (-0.25, 0.75));
        let h = histogram(&[0.25; 10], lo, hi, 64);
        assert_eq!(h.counts.iter().filter(|&&c| c > 0).count(), 1);
        assert_eq!(h.counts.iter().sum::<u64>(), 10);
    }

    #[test]
    fn empty_and_non_finite_data_never_degenerate() {
        let (lo, hi) = bounds(f32::INFINITY, f32::NEG_INFINITY);
        assert!(lo < hi);
        let h = histogram(&[f32::NAN, f32::INFINITY], lo, hi, 8);
        assert_eq!(h.nonfinite, 2);
        assert_eq!(h.max_count(), 0);
        let h = histogram(&[1.0], f64::NAN, 1.0, 0);
        assert_eq!(h.counts.len(), 1);
        assert!(h.lo < h.hi);
    }

    #[test]
    fn max_lands_in_last_bin_and_outliers_are_counted() {
        let h = histogram(&[0.0, 1.0, 0.5, 2.0], 0.0, 1.0, 4);
        assert_eq!(h.counts, vec![1, 0, 1, 1]);
        assert_eq!(h.outside, 1);
        let (lo, hi) = bounds(-f32::MAX, f32::MAX);
        let h = histogram(&[-f32::MAX, 0.0, f32::MAX], lo, hi, 2);
        assert_eq!(h.counts, vec![1, 2]);
    }

    #[test]
    fn filling_in_parts_equals_filling_at_once() {
        let x: Vec<f32> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f32 / 999.0 - 0.3)
            .collect();
        let whole = histogram(&x, -0.3, 0.5, 17);
        let mut parts = Histogram::empty(-0.3, 0.5, 17);
        for chunk in x.chunks(37) {
            parts.add(chunk);
        }
        assert_eq!(parts, whole);
    }

    #[test]
    fn tiny_ranges_still_split() {
        let (lo, hi) = bounds(1.0, 1.0 + f32::EPSILON);
        assert!(hi > lo);
        let h = histogram(&[1.0, 1.0 + f32::EPSILON], lo, hi, 16);
        assert_eq!(h.counts.iter().sum::<u64>(), 2);
    }
}
