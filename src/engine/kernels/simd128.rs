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

/// Four lanes scaled, rounded and shifted by the zero point (`round(x / d or x · m) + zp`), before
/// saturation: NaN where the scaling gave NaN.
#[inline(always)]
fn rounded<const MUL: bool, const MODE: u8>(v: v128, k: &Consts) -> v128 {
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
    f32x4_add(r, k.zp_f)
}

/// `r` saturated to `[qmin, qmax]` and converted (a NaN lane becomes qmin).
#[inline(always)]
fn saturated(r: v128, k: &Consts) -> v128 {
    i32x4_trunc_sat_f32x4(f32x4_pmin(k.hi, f32x4_pmax(k.lo, r)))
}

/// Codes of four lanes, as [`scalar::quantize_one`]: a NaN after scaling gives the zero point.
#[inline(always)]
fn codes<const MUL: bool, const MODE: u8>(v: v128, k: &Consts) -> v128 {
    let r = rounded::<MUL, MODE>(v, k);
    v128_bitselect(k.zp_i, saturated(r, k), f32x4_ne(r, r))
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
    by_mode!(qz, error_impl(x, qz, Out::None))
}

pub fn quant_error_codes(x: &[f32], qz: &Quantizer, codes: &mut [i32]) -> ErrorSums {
    let n = x.len().min(codes.len());
    by_mode!(qz, error_impl(&x[..n], qz, Out::Codes(&mut codes[..n])))
}

pub fn quant_error_marks(x: &[f32], qz: &Quantizer, lo: i32, marks: &mut [u8]) -> ErrorSums {
    by_mode!(qz, error_impl(x, qz, Out::Marks(lo, marks)))
}

/// What the fused kernel writes besides the sums: nothing, every code (as long as `x`), or the
/// levels the finite values use (`marks` cleared, then `marks[q − lo] = 1`).
enum Out<'a> {
    None,
    Codes(&'a mut [i32]),
    Marks(i32, &'a mut [u8]),
}

/// The fused quantize + dequantize + error kernel.
///
/// The vector loop assumes what weights almost always are: finite values, a finite non-zero step
/// factor (so no NaN after scaling) and products `(q − zp) · scale` that cannot overflow. The
/// factor and the products are checked before the loop; a non-finite value shows as a non-finite
/// float64 sum after it. Where an assumption fails, the scalar reference (which masks, selects and
/// saturates value by value) computes the whole slice again, so the result is the reference's
/// either way (it overwrites the codes, and clears and sets the marks again).
#[inline(always)]
fn error_impl<const MUL: bool, const MODE: u8>(
    x: &[f32],
    qz: &Quantizer,
    mut out: Out,
) -> ErrorSums {
    let factor = match qz.step {
        Step::Divide(d) => d,
        Step::Multiply(m) => m,
    };
    let widest = (i64::from(qz.qmin) - i64::from(qz.zero_point))
        .abs()
        .max((i64::from(qz.qmax) - i64::from(qz.zero_point)).abs()) as u64;
    let fits = widest as f64 * f64::from(qz.scale).abs() <= f64::from(f32::MAX);
    // Marks are written without bounds checks: every code lies in [qmin, qmax], so the table
    // must cover that.
    let covered = match &out {
        Out::Marks(lo, m) => {
            *lo <= qz.qmin
                && usize::try_from(i64::from(qz.qmax) - i64::from(*lo)).is_ok_and(|k| k < m.len())
        }
        _ => true,
    };
    if factor.is_finite() && factor != 0.0 && fits && covered {
        let fast = match &mut out {
            Out::None => fast_error::<MUL, MODE, NONE>(x, qz, &mut [], 0, &mut []),
            Out::Codes(c) => fast_error::<MUL, MODE, CODES>(x, qz, c, 0, &mut []),
            Out::Marks(lo, m) => {
                m.fill(0);
                fast_error::<MUL, MODE, MARKS>(x, qz, &mut [], *lo, m)
            }
        };
        if let Some(sums) = fast {
            return sums;
        }
    }
    match out {
        Out::None => scalar::quant_error(x, qz),
        Out::Codes(c) => scalar::quant_error_codes(x, qz, c),
        Out::Marks(lo, m) => scalar::quant_error_marks(x, qz, lo, m),
    }
}

const NONE: u8 = 0;
const CODES: u8 = 1;
const MARKS: u8 = 2;

/// The vector loop of [`error_impl`]; `None` when a sum came out non-finite (a non-finite value, or
/// a float32 difference that overflowed).
#[inline(always)]
fn fast_error<const MUL: bool, const MODE: u8, const OUT: u8>(
    x: &[f32],
    qz: &Quantizer,
    out: &mut [i32],
    lo: i32,
    marks: &mut [u8],
) -> Option<ErrorSums> {
    let lo_v = i32x4_splat(lo);
    let n4 = x.len() / 4 * 4;
    let k = consts(qz);
    let zero = f64x2_splat(0.0);
    let (mut err_lo, mut err_hi, mut sq_lo, mut sq_hi) = (zero, zero, zero, zero);
    let (mut hat_lo, mut hat_hi) = (zero, zero);
    let mut max_e = f32x4_splat(0.0);
    let mut i = 0;
    while i < n4 {
        let v = load(x, i);
        // No NaN select: the factor is finite and non-zero, and a NaN input shows in the sums.
        let q = saturated(rounded::<MUL, MODE>(v, &k), &k);
        if OUT == CODES {
            store_i32(out, i, q);
        }
        if OUT == MARKS {
            // A non-finite value marks qmin or qmax here; the sums then come out non-finite
            // and the scalar reference clears and marks again.
            let idx = i32x4_sub(q, lo_v);
            // SAFETY: q is clamped to [qmin, qmax] above (a NaN lane to qmin), and
            // `error_impl` checked that marks[qmin − lo ..= qmax − lo] exists. (Written out
            // lane by lane: at opt-level "s" an array loop here stays a loop.)
            unsafe {
                *marks.get_unchecked_mut(i32x4_extract_lane::<0>(idx) as u32 as usize) = 1;
                *marks.get_unchecked_mut(i32x4_extract_lane::<1>(idx) as u32 as usize) = 1;
                *marks.get_unchecked_mut(i32x4_extract_lane::<2>(idx) as u32 as usize) = 1;
                *marks.get_unchecked_mut(i32x4_extract_lane::<3>(idx) as u32 as usize) = 1;
            }
        }
        let xhat = f32x4_mul(f32x4_convert_i32x4(i32x4_sub(q, k.zp_i)), k.scale);
        let e = f32x4_sub(v, xhat);
        max_e = f32x4_pmax(max_e, f32x4_abs(e));
        let e_lo = f64x2_promote_low_f32x4(e);
        let e_hi = f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 0, 1>(e, e));
        err_lo = f64x2_add(err_lo, f64x2_mul(e_lo, e_lo));
        err_hi = f64x2_add(err_hi, f64x2_mul(e_hi, e_hi));
        let x_lo = f64x2_promote_low_f32x4(v);
        let x_hi = f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 0, 1>(v, v));
        sq_lo = f64x2_add(sq_lo, f64x2_mul(x_lo, x_lo));
        sq_hi = f64x2_add(sq_hi, f64x2_mul(x_hi, x_hi));
        let h_lo = f64x2_promote_low_f32x4(xhat);
        let h_hi = f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 0, 1>(xhat, xhat));
        hat_lo = f64x2_add(hat_lo, f64x2_mul(h_lo, h_lo));
        hat_hi = f64x2_add(hat_hi, f64x2_mul(h_hi, h_hi));
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
        count: n4,
    };
    if !lanes.err.iter().chain(&lanes.sq).all(|s| s.is_finite()) {
        return None;
    }
    for a in [
        f32x4_extract_lane::<0>(max_e),
        f32x4_extract_lane::<1>(max_e),
        f32x4_extract_lane::<2>(max_e),
        f32x4_extract_lane::<3>(max_e),
    ] {
        let a = f64::from(a);
        if a > lanes.max_abs {
            lanes.max_abs = a;
        }
    }
    // The tail: the scalar reference's arithmetic, into the same lanes.
    for (j, &v) in x.iter().enumerate().skip(n4) {
        if OUT == CODES {
            out[j] = scalar::quantize_one(v, qz);
        }
        if OUT == MARKS && v.is_finite() {
            scalar::mark(marks, scalar::quantize_one(v, qz), lo);
        }
        lanes.push(j, v, qz);
    }
    Some(lanes.finish())
}
