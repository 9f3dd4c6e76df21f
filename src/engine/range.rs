//! Range selection per granule (placeholder until the range-methods branch lands: min-max only).

use super::kernels::{self, Quantizer};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AciqPrior {
    Laplace,
    Gaussian,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RangeMethod {
    MinMax,
    Percentile(f64),
    Mse,
    Entropy,
    Aciq(AciqPrior),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeChoice {
    pub lo: f32,
    pub hi: f32,
}

pub fn choose_range(
    values: &[f32],
    _method: RangeMethod,
    _bits: u32,
    symmetric: bool,
    _grid: &dyn Fn(f32, f32) -> Quantizer,
    _scratch: &mut Vec<f32>,
) -> RangeChoice {
    let r = kernels::min_max_finite(values);
    if !r.has_finite() {
        return RangeChoice { lo: 0.0, hi: 0.0 };
    }
    if symmetric {
        let a = r.min.abs().max(r.max.abs());
        RangeChoice { lo: -a, hi: a }
    } else {
        RangeChoice {
            lo: r.min,
            hi: r.max,
        }
    }
}

pub fn clipped_count(values: &[f32], lo: f64, hi: f64) -> usize {
    values
        .iter()
        .filter(|v| v.is_finite() && (f64::from(**v) < lo || f64::from(**v) > hi))
        .count()
}
