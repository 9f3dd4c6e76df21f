//! WASM SIMD128 versions of the kernels in [`super::scalar`], equal to them bit for bit.
//!
//! Each function processes four float32 lanes at a time and hands the tail (fewer than four values)
//! to the scalar code, with float64 sums kept in the same four lanes the scalar reference uses.
//! Mapping: `f32x4_div` / `f32x4_mul` (IEEE), `f32x4_nearest` (round half to even), `f32x4_trunc`
//! plus an exact fraction test (ties away from zero), `f32x4_pmin/pmax`
//! (compare-and-select, as the scalar `if`s), `i32x4_trunc_sat_f32x4` (exact on the clamped integers).

use core::arch::wasm32::*;

use super::scalar;
use super::{ErrorSums, MinMax, Quantizer, Step};
use crate::engine::spec::Rounding;

#[inline(always)]
fn load(x: &[f32], i: usize) -> v128 {
    debug_assert!(i + 4 <= x.len());
    // SAFETY: callers only pass `i` with `i + 4 <= x.len()`; v128_load accepts unaligned pointers.
    unsafe { v128_load(x.as_ptr().add(i) as *const v128) }
}

#[inline(always)]
fn load_i32(x: &[i32], i: usize) -> v128 {
    debug_assert!(i + 4 <= x.len());
    // SAFETY: as in `load`.
    unsafe { v128_load(x.as_ptr().add(i) as *const v128) }
}

#[inline(always)]
fn store(out: &mut [f32], i: usize, v: v128) {
    debug_assert!(i + 4 <= out.len());
    // SAFETY: callers only pass `i` with `i + 4 <= out.len()`.
    unsafe { v128_store(out.as_mut_ptr().add(i) as *mut v128, v) }
}

#[inline(always)]
fn store_i32(out: &mut [i32], i: usize, v: v128) {
    debug_assert!(i + 4 <= out.len());
    // SAFETY: callers only pass `i` with `i + 4 <= out.len()`.
    unsafe { v128_store(out.as_mut_ptr().add(i) as *mut v128, v) }
}

/// All-ones lanes where `v` is finite (`|v| < inf` is false for NaN and ±inf).
#[inline(always)]
fn finite_mask(v: v128) -> v128 {
    f32x4_lt(f32x4_abs(v), f32x4_splat(f32::INFINITY))
}

pub fn min_max_finite(x: &[f32]) -> MinMax {
    let n4 = x.len() / 4 * 4;
    let inf = f32x4_splat(f32::INFINITY);
    let ninf = f32x4_splat(f32::NEG_INFINITY);
    let mut vmin = inf;
    let mut vmax = ninf;
    let mut finite = i32x4_splat(0);
    let mut i = 0;
    while i < n4 {
        let v = load(x, i);
        let m = finite_mask(v);
        vmin = f32x4_pmin(vmin, v128_bitselect(v, inf, m));
        vmax = f32x4_pmax(vmax, v128_bitselect(v, ninf, m));
        finite = i32x4_sub(finite, m); // mask lanes are -1
        i += 4;
    }
    let lanes_min = [
        f32x4_extract_lane::<0>(vmin),
        f32x4_extract_lane::<1>(vmin),
        f32x4_extract_lane::<2>(vmin),
        f32x4_extract_lane::<3>(vmin),
    ];
    let lanes_max = [
        f32x4_extract_lane::<0>(vmax),
        f32x4_extract_lane::<1>(vmax),
        f32x4_extract_lane::<2>(vmax),
        f32x4_extract_lane::<3>(vmax),
    ];
    let finite_count = (i32x4_extract_lane::<0>(finite) as u32 as usize)
        + (i32x4_extract_lane::<1>(finite) as u32 as usize)
        + (i32x4_extract_lane::<2>(finite) as u32 as usize)
        + (i32x4_extract_lane::<3>(finite) as u32 as usize);
    let mut acc = MinMax {
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        nonfinite: n4 - finite_count,
    };
    for k in 0..4 {
        acc = acc.merge(MinMax {
            min: lanes_min[k],
            max: lanes_max[k],
            nonfinite: 0,
        });
    }
    let tail = scalar::min_max_finite(&x[n4..]);
    let r = acc.merge(tail);
    MinMax {
        min: r.min + 0.0,
        max: r.max + 0.0,
        nonfinite: r.nonfinite,
    }
}

/// `round(y)` with ties away from zero, exactly as `f32::round`: `t = trunc(y)`; `y - t` is exact,
/// and `|y - t| >= 0.5` moves `t` one step away from zero.
#[inline(always)]
fn round_away(y: v128) -> v128 {
    let t = f32x4_trunc(y);
    let frac = f32x4_abs(f32x4_sub(y, t));
    let up = f32x4_ge(frac, f32x4_splat(0.5));
    // copysign(1, y): the sign bit of y on 1.0.
    let one = v128_or(f32x4_splat(1.0), v128_and(y, u32x4_splat(0x8000_0000)));
    f32x4_add(t, v128_and(one, up))
}

/// Ties toward +∞, as [`scalar::round_half_up`]: `floor(y)` plus one where `y - floor(y) >= 0.5`.
#[inline(always)]
fn round_up(y: v128) -> v128 {
    let f = f32x4_floor(y);
    let up = f32x4_ge(f32x4_sub(y, f), f32x4_splat(0.5));
    f32x4_add(f, v128_and(f32x4_splat(1.0), up))
}

/// Rounding modes as const-generic parameters.
const EVEN: u8 = 0;
const AWAY: u8 = 1;
const UP: u8 = 2;

struct Consts {
    factor: v128,
    scale: v128,
    zp_f: v128,
    zp_i: v128,
    lo: v128,
    hi: v128,
}

#[inline(always)]
fn consts(qz: &Quantizer) -> Consts {
    let factor = match qz.step {
        Step::Divide(d) => d,
        Step::Multiply(m) => m,
    };
    Consts {
        factor: f32x4_splat(factor),
        scale: f32x4_splat(qz.scale),
        zp_f: f32x4_splat(qz.zero_point as f32),
        zp_i: i32x4_splat(qz.zero_point),
        lo: f32x4_splat(qz.qmin as f32),
        hi: f32x4_splat(qz.qmax as f32),
    }
}

/// Codes of four lanes, as [`scalar::quantize_one`]: a NaN after scaling gives the zero point.
#[inline(always)]
fn codes<const MUL: bool, const MODE: u8>(v: v128, k: &Consts) -> v128 {
    let y = if MUL {
        f32x4_mul(v, k.factor)
    } else {
        f32x4_div(v, k.factor)
    };
    let r = match MODE {
        AWAY => round_away(y),
        UP => round_up(y),
        _ => f32x4_nearest(y),
    };
    let r = f32x4_add(r, k.zp_f);
    let q = i32x4_trunc_sat_f32x4(f32x4_pmin(k.hi, f32x4_pmax(k.lo, r)));
    v128_bitselect(k.zp_i, q, f32x4_ne(r, r))
}

/// Runs `$body` with the const generics matching `qz`'s step and rounding.
macro_rules! by_mode {
    ($qz:expr, $f:ident($($arg:expr),*)) => {
        match ($qz.step, $qz.rounding) {
            (Step::Divide(_), Rounding::HalfEven) => $f::<false, EVEN>($($arg),*),
            (Step::Divide(_), Rounding::HalfAway) => $f::<false, AWAY>($($arg),*),
            (Step::Divide(_), Rounding::HalfUp) => $f::<false, UP>($($arg),*),
            (Step::Multiply(_), Rounding::HalfEven) => $f::<true, EVEN>($($arg),*),
            (Step::Multiply(_), Rounding::HalfAway) => $f::<true, AWAY>($($arg),*),
            (Step::Multiply(_), Rounding::HalfUp) => $f::<true, UP>($($arg),*),
        }
    };
}

pub fn quantize(x: &[f32], qz: &Quantizer, out: &mut [i32]) {
    by_mode!(qz, quantize_impl(x, qz, out))
}

fn quantize_impl<const MUL: bool, const MODE: u8>(x: &[f32], qz: &Quantizer, out: &mut [i32]) {
    let n = x.len().min(out.len());
    let n4 = n / 4 * 4;
    let k = consts(qz);
    let mut i = 0;
    while i < n4 {
        store_i32(out, i, codes::<MUL, MODE>(load(x, i), &k));
        i += 4;
    }
    scalar::quantize(&x[n4..n], qz, &mut out[n4..n]);
}

pub fn dequantize(q: &[i32], qz: &Quantizer, out: &mut [f32]) {
    let n = q.len().min(out.len());
    let n4 = n / 4 * 4;
    let k = consts(qz);
    let mut i = 0;
    while i < n4 {
        let c = load_i32(q, i);
        store(
            out,
            i,
            f32x4_mul(f32x4_convert_i32x4(i32x4_sub(c, k.zp_i)), k.scale),
        );
        i += 4;
    }
    scalar::dequantize(&q[n4..n], qz, &mut out[n4..n]);
}

pub fn quant_error(x: &[f32], qz: &Quantizer) -> ErrorSums {
    by_mode!(qz, error_impl(x, qz, &mut []))
}

pub fn quant_error_codes(x: &[f32], qz: &Quantizer, codes: &mut [i32]) -> ErrorSums {
    let n = x.len().min(codes.len());
    by_mode!(qz, error_impl(&x[..n], qz, &mut codes[..n]))
}

/// The fused quantize + dequantize + error kernel; stores codes when `out` is not empty
/// (it is then as long as `x`).
#[inline(always)]
fn error_impl<const MUL: bool, const MODE: u8>(
    x: &[f32],
    qz: &Quantizer,
    out: &mut [i32],
) -> ErrorSums {
    let store_codes = !out.is_empty();
    let n4 = x.len() / 4 * 4;
    let k = consts(qz);
    let zero = f64x2_splat(0.0);
    let (mut err_lo, mut err_hi, mut sq_lo, mut sq_hi, mut max_lo, mut max_hi) =
        (zero, zero, zero, zero, zero, zero);
    let (mut hat_lo, mut hat_hi) = (zero, zero);
    let mut finite = i32x4_splat(0);
    let mut i = 0;
    while i < n4 {
        let v = load(x, i);
        let m = finite_mask(v);
        let q = codes::<MUL, MODE>(v, &k);
        if store_codes {
            store_i32(out, i, q);
        }
        let xhat = f32x4_mul(f32x4_convert_i32x4(i32x4_sub(q, k.zp_i)), k.scale);
        // As scalar::saturate_finite: ±inf -> ±f32::MAX.
        let xhat = f32x4_pmin(
            f32x4_splat(f32::MAX),
            f32x4_pmax(f32x4_splat(-f32::MAX), xhat),
        );
        let v_hi4 = i32x4_shuffle::<2, 3, 0, 1>(v, v);
        let xhat_hi4 = i32x4_shuffle::<2, 3, 0, 1>(xhat, xhat);
        let (x_lo, x_hi) = (f64x2_promote_low_f32x4(v), f64x2_promote_low_f32x4(v_hi4));
        let (h_lo, h_hi) = (
            f64x2_promote_low_f32x4(xhat),
            f64x2_promote_low_f32x4(xhat_hi4),
        );
        let e_lo = f64x2_sub(x_lo, h_lo);
        let e_hi = f64x2_sub(x_hi, h_hi);
        // Non-finite lanes contribute +0.0 (their bits are masked to zero after the arithmetic).
        let m_lo = i64x2_extend_low_i32x4(m);
        let m_hi = i64x2_extend_high_i32x4(m);
        err_lo = f64x2_add(err_lo, v128_and(f64x2_mul(e_lo, e_lo), m_lo));
        err_hi = f64x2_add(err_hi, v128_and(f64x2_mul(e_hi, e_hi), m_hi));
        sq_lo = f64x2_add(sq_lo, v128_and(f64x2_mul(x_lo, x_lo), m_lo));
        sq_hi = f64x2_add(sq_hi, v128_and(f64x2_mul(x_hi, x_hi), m_hi));
        hat_lo = f64x2_add(hat_lo, v128_and(f64x2_mul(h_lo, h_lo), m_lo));
        hat_hi = f64x2_add(hat_hi, v128_and(f64x2_mul(h_hi, h_hi), m_hi));
        max_lo = f64x2_pmax(max_lo, v128_and(f64x2_abs(e_lo), m_lo));
        max_hi = f64x2_pmax(max_hi, v128_and(f64x2_abs(e_hi), m_hi));
        finite = i32x4_sub(finite, m);
        i += 4;
    }
    let lanes2 = |lo: v128, hi: v128| {
        [
            f64x2_extract_lane::<0>(lo),
            f64x2_extract_lane::<1>(lo),
            f64x2_extract_lane::<0>(hi),
            f64x2_extract_lane::<1>(hi),
        ]
    };
    let mut lanes = scalar::ErrorLanes {
        err: lanes2(err_lo, err_hi),
        sq: lanes2(sq_lo, sq_hi),
        sq_hat: lanes2(hat_lo, hat_hi),
        max_abs: 0.0,
        count: (i32x4_extract_lane::<0>(finite) as u32 as usize)
            + (i32x4_extract_lane::<1>(finite) as u32 as usize)
            + (i32x4_extract_lane::<2>(finite) as u32 as usize)
            + (i32x4_extract_lane::<3>(finite) as u32 as usize),
    };
    for a in lanes2(max_lo, max_hi) {
        if a > lanes.max_abs {
            lanes.max_abs = a;
        }
    }
    // The tail: the scalar reference's arithmetic, into the same lanes.
    for (j, &v) in x.iter().enumerate().skip(n4) {
        if store_codes {
            out[j] = scalar::quantize_one(v, qz);
        }
        lanes.push(j, v, qz);
    }
    lanes.finish()
}
