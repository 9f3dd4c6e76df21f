//! Reference kernels: plain Rust, always compiled. The SIMD128 kernels must equal these bit for bit.

use super::{ErrorSums, MinMax, Quantizer, Step};
use crate::engine::spec::Rounding;

/// Finite min and max (compare-and-select, not `f32::min`, which is slow in wasm), counting
/// non-finite values. `-0.0` results are returned as `+0.0` so that every summation order agrees.
pub fn min_max_finite(x: &[f32]) -> MinMax {
    let mut min = f32::INFINITY;
    let mut max = f32::NEG_INFINITY;
    let mut nonfinite = 0usize;
    for &v in x {
        if v.is_finite() {
            if v < min {
                min = v;
            }
            if v > max {
                max = v;
            }
        } else {
            nonfinite += 1;
        }
    }
    MinMax {
        min: min + 0.0,
        max: max + 0.0,
        nonfinite,
    }
}

/// One value: `saturate(round(x / d or x · m) + zero_point)`; a NaN result gives the zero point.
#[inline(always)]
pub fn quantize_one(v: f32, qz: &Quantizer) -> i32 {
    let t = match qz.step {
        Step::Divide(d) => v / d,
        Step::Multiply(m) => v * m,
    };
    let r = match qz.rounding {
        Rounding::HalfEven => round_half_even(t),
        Rounding::HalfAway => t.round(),
        Rounding::HalfUp => round_half_up(t),
    } + qz.zero_point as f32;
    if r.is_nan() {
        return qz.zero_point;
    }
    let lo = qz.qmin as f32;
    let hi = qz.qmax as f32;
    let c = if r < lo {
        lo
    } else if r > hi {
        hi
    } else {
        r
    };
    c as i32
}

/// Ties to even, equal to `f32::round_ties_even`. wasm has an instruction for it; on x86-64 without
/// SSE4.1 the standard function is a library call, so the native build adds and subtracts 2²³
/// (exact in round-to-nearest-even arithmetic for `|t| < 2²³`; larger floats are integers already).
#[inline(always)]
pub fn round_half_even(t: f32) -> f32 {
    #[cfg(target_arch = "wasm32")]
    {
        t.round_ties_even()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        const BIG: f32 = 8_388_608.0; // 2^23
        if t.abs() < BIG {
            let c = BIG.copysign(t);
            ((t + c) - c).copysign(t)
        } else {
            t
        }
    }
}

/// Ties toward +∞, exactly: `floor(t)`, plus one when the (exact) fraction is at least 0.5.
#[inline(always)]
pub fn round_half_up(t: f32) -> f32 {
    let f = t.floor();
    if t - f >= 0.5 {
        f + 1.0
    } else {
        f
    }
}

/// `x̂ = f32(q - zero_point) * scale`.
#[inline(always)]
pub fn dequantize_one(q: i32, qz: &Quantizer) -> f32 {
    (q - qz.zero_point) as f32 * qz.scale
}

/// `x̂` clamped to `±f32::MAX`. Only reachable for values within a step of `f32::MAX`, where the
/// float32 product `(q - zp) · scale` of DequantizeLinear rounds to infinity; the error measurement
/// uses the largest finite float instead, so no error figure is ever infinite.
#[inline(always)]
pub fn saturate_finite(xhat: f32) -> f32 {
    xhat.clamp(-f32::MAX, f32::MAX)
}

/// Quantizes `x` into `out` (same length).
pub fn quantize(x: &[f32], qz: &Quantizer, out: &mut [i32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = quantize_one(v, qz);
    }
}

/// Dequantizes `q` into `out` (same length).
pub fn dequantize(q: &[i32], qz: &Quantizer, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(q) {
        *o = dequantize_one(v, qz);
    }
}

/// Quantize, dequantize and accumulate the error of every finite value, without storing codes
/// (x̂ saturated with [`saturate_finite`]).
/// Sums go to lane `i % 4` and are combined as `(l0 + l1) + (l2 + l3)`.
pub fn quant_error(x: &[f32], qz: &Quantizer) -> ErrorSums {
    let mut lanes = ErrorLanes::default();
    for (i, &v) in x.iter().enumerate() {
        lanes.push(i, v, qz);
    }
    lanes.finish()
}

/// [`quant_error`] that also stores every code (non-finite values included) in `codes`
/// (same length as `x`).
pub fn quant_error_codes(x: &[f32], qz: &Quantizer, codes: &mut [i32]) -> ErrorSums {
    let mut lanes = ErrorLanes::default();
    for (i, (&v, c)) in x.iter().zip(codes.iter_mut()).enumerate() {
        *c = quantize_one(v, qz);
        lanes.push(i, v, qz);
    }
    lanes.finish()
}

/// [`quant_error`] that also records the levels the finite values use: `marks` is cleared, then
/// `marks[q − lo] = 1` for the code `q` of every finite value (a code outside the table marks
/// nothing). Levels used = marked entries, counted by the caller.
pub fn quant_error_marks(x: &[f32], qz: &Quantizer, lo: i32, marks: &mut [u8]) -> ErrorSums {
    marks.fill(0);
    let mut lanes = ErrorLanes::default();
    for (i, &v) in x.iter().enumerate() {
        if v.is_finite() {
            mark(marks, quantize_one(v, qz), lo);
        }
        lanes.push(i, v, qz);
    }
    lanes.finish()
}

/// `marks[q − lo] = 1` when that entry exists.
#[inline(always)]
pub fn mark(marks: &mut [u8], q: i32, lo: i32) {
    if let Some(m) = usize::try_from(i64::from(q) - i64::from(lo))
        .ok()
        .and_then(|k| marks.get_mut(k))
    {
        *m = 1;
    }
}

/// The accumulators of [`quant_error`], shared with the SIMD kernel's tail: four float64 lanes each
/// for `Σe²`, `Σx²` and `Σx̂²`, the largest `|e|` and the finite count.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ErrorLanes {
    pub err: [f64; 4],
    pub sq: [f64; 4],
    pub sq_hat: [f64; 4],
    pub max_abs: f64,
    pub count: usize,
}

/// `x − x̂` as the kernels define it: the float32 difference (exact whenever `x` lies within half a
/// step of the grid, by Sterbenz' lemma; rounded once for a clipped value), or the float64 one
/// where the float32 difference overflows.
#[inline(always)]
pub fn error_of(v: f32, xhat: f32) -> f64 {
    let e = v - xhat;
    if e.is_finite() {
        f64::from(e)
    } else {
        f64::from(v) - f64::from(xhat)
    }
}

impl ErrorLanes {
    /// Adds element `i` (value `v`); non-finite values are skipped.
    #[inline(always)]
    pub fn push(&mut self, i: usize, v: f32, qz: &Quantizer) {
        if !v.is_finite() {
            return;
        }
        let q = quantize_one(v, qz);
        let xhat = saturate_finite(dequantize_one(q, qz));
        let e = error_of(v, xhat);
        let lane = i & 3;
        self.err[lane] += e * e;
        self.sq[lane] += f64::from(v) * f64::from(v);
        self.sq_hat[lane] += f64::from(xhat) * f64::from(xhat);
        let a = e.abs();
        if a > self.max_abs {
            self.max_abs = a;
        }
        self.count += 1;
    }

    pub fn finish(self) -> ErrorSums {
        ErrorSums {
            sum_sq_err: (self.err[0] + self.err[1]) + (self.err[2] + self.err[3]),
            sum_sq_x: (self.sq[0] + self.sq[1]) + (self.sq[2] + self.sq[3]),
            sum_sq_xhat: (self.sq_hat[0] + self.sq_hat[1]) + (self.sq_hat[2] + self.sq_hat[3]),
            max_abs_err: self.max_abs,
            count: self.count,
        }
    }
}
