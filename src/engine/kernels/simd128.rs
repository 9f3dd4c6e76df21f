//! WASM SIMD128 versions of the kernels in [`super::scalar`], equal to them bit for bit.
//!
//! Each function processes four float32 lanes at a time and hands the tail (fewer than four values)
//! to the scalar code, with float64 sums kept in the same four lanes the scalar reference uses.
//! Mapping: `f32x4_div` (IEEE division), `f32x4_nearest` (round half to even), `f32x4_pmin/pmax`
//! (compare-and-select, as the scalar `if`s), `i32x4_trunc_sat_f32x4` (exact on the clamped integers).

use core::arch::wasm32::*;

use super::scalar;
use super::{ErrorSums, MinMax, Quantizer};

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

/// Codes of four lanes (finite or not; NaN lanes are fixed by the caller when it matters).
#[inline(always)]
fn codes(v: v128, scale: v128, zp_f: v128, lo: v128, hi: v128) -> v128 {
    let r = f32x4_add(f32x4_nearest(f32x4_div(v, scale)), zp_f);
    i32x4_trunc_sat_f32x4(f32x4_pmin(hi, f32x4_pmax(lo, r)))
}

struct Consts {
    scale: v128,
    zp_f: v128,
    zp_i: v128,
    lo: v128,
    hi: v128,
}

#[inline(always)]
fn consts(qz: &Quantizer) -> Consts {
    Consts {
        scale: f32x4_splat(qz.scale),
        zp_f: f32x4_splat(qz.zero_point as f32),
        zp_i: i32x4_splat(qz.zero_point),
        lo: f32x4_splat(qz.qmin as f32),
        hi: f32x4_splat(qz.qmax as f32),
    }
}

pub fn quantize(x: &[f32], qz: &Quantizer, out: &mut [i32]) {
    let n = x.len().min(out.len());
    let n4 = n / 4 * 4;
    let k = consts(qz);
    let mut i = 0;
    while i < n4 {
        let v = load(x, i);
        let q = codes(v, k.scale, k.zp_f, k.lo, k.hi);
        let is_nan = f32x4_ne(v, v);
        store_i32(out, i, v128_bitselect(k.zp_i, q, is_nan));
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
    let n4 = x.len() / 4 * 4;
    let k = consts(qz);
    let zero = f64x2_splat(0.0);
    let (mut err_lo, mut err_hi, mut sq_lo, mut sq_hi, mut max_lo, mut max_hi) =
        (zero, zero, zero, zero, zero, zero);
    let mut finite = i32x4_splat(0);
    let mut i = 0;
    while i < n4 {
        let v = load(x, i);
        let m = finite_mask(v);
        let q = codes(v, k.scale, k.zp_f, k.lo, k.hi);
        let xhat = f32x4_mul(f32x4_convert_i32x4(i32x4_sub(q, k.zp_i)), k.scale);
        // As scalar::saturate_finite: ±inf -> ±f32::MAX.
        let xhat = f32x4_pmin(
            f32x4_splat(f32::MAX),
            f32x4_pmax(f32x4_splat(-f32::MAX), xhat),
        );
        let v_hi4 = i32x4_shuffle::<2, 3, 0, 1>(v, v);
        let xhat_hi4 = i32x4_shuffle::<2, 3, 0, 1>(xhat, xhat);
        let (x_lo, x_hi) = (f64x2_promote_low_f32x4(v), f64x2_promote_low_f32x4(v_hi4));
        let e_lo = f64x2_sub(x_lo, f64x2_promote_low_f32x4(xhat));
        let e_hi = f64x2_sub(x_hi, f64x2_promote_low_f32x4(xhat_hi4));
        // Non-finite lanes contribute +0.0 (their bits are masked to zero after the arithmetic).
        let m_lo = i64x2_extend_low_i32x4(m);
        let m_hi = i64x2_extend_high_i32x4(m);
        err_lo = f64x2_add(err_lo, v128_and(f64x2_mul(e_lo, e_lo), m_lo));
        err_hi = f64x2_add(err_hi, v128_and(f64x2_mul(e_hi, e_hi), m_hi));
        sq_lo = f64x2_add(sq_lo, v128_and(f64x2_mul(x_lo, x_lo), m_lo));
        sq_hi = f64x2_add(sq_hi, v128_and(f64x2_mul(x_hi, x_hi), m_hi));
        max_lo = f64x2_pmax(max_lo, v128_and(f64x2_abs(e_lo), m_lo));
        max_hi = f64x2_pmax(max_hi, v128_and(f64x2_abs(e_hi), m_hi));
        finite = i32x4_sub(finite, m);
        i += 4;
    }
    let mut lanes = scalar::ErrorLanes {
        err: [
            f64x2_extract_lane::<0>(err_lo),
            f64x2_extract_lane::<1>(err_lo),
            f64x2_extract_lane::<0>(err_hi),
            f64x2_extract_lane::<1>(err_hi),
        ],
        sq: [
            f64x2_extract_lane::<0>(sq_lo),
            f64x2_extract_lane::<1>(sq_lo),
            f64x2_extract_lane::<0>(sq_hi),
            f64x2_extract_lane::<1>(sq_hi),
        ],
        max_abs: 0.0,
        count: (i32x4_extract_lane::<0>(finite) as u32 as usize)
            + (i32x4_extract_lane::<1>(finite) as u32 as usize)
            + (i32x4_extract_lane::<2>(finite) as u32 as usize)
            + (i32x4_extract_lane::<3>(finite) as u32 as usize),
    };
    for a in [
        f64x2_extract_lane::<0>(max_lo),
        f64x2_extract_lane::<1>(max_lo),
        f64x2_extract_lane::<0>(max_hi),
        f64x2_extract_lane::<1>(max_hi),
    ] {
        if a > lanes.max_abs {
            lanes.max_abs = a;
        }
    }
    // The tail: the scalar reference's arithmetic, into the same lanes.
    for (j, &v) in x.iter().enumerate().skip(n4) {
        lanes.push(j, v, qz);
    }
    lanes.finish()
}
