//! Range selection on both builds: natively, and under wasm32 (Node, SIMD128 `quant_error` in the
//! MSE search). The thorough tests live next to the code (`src/engine/range/tests.rs`); these
//! check that the wasm build gives finite ranges on degenerate granules and that the MSE search
//! picks the least-error candidate with the SIMD kernel too.

use quantlens::engine::analysis::quantizer;
use quantlens::engine::kernels::{self, Quantizer};
use quantlens::engine::params::params_for_range;
use quantlens::engine::range::{choose_range, AciqPrior, RangeChoice, RangeMethod, MSE_CANDIDATES};
use quantlens::engine::spec::QuantSpec;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test;

const METHODS: [RangeMethod; 6] = [
    RangeMethod::MinMax,
    RangeMethod::Percentile(99.99),
    RangeMethod::Mse,
    RangeMethod::Entropy,
    RangeMethod::Aciq(AciqPrior::Laplace),
    RangeMethod::Aciq(AciqPrior::Gaussian),
];

fn spec(bits: u32, symmetric: bool) -> QuantSpec {
    let base = if symmetric {
        QuantSpec::SYMMETRIC_INT8
    } else {
        QuantSpec::ASYMMETRIC_UINT8
    };
    QuantSpec { bits, ..base }
}

fn grid_of(spec: QuantSpec) -> impl Fn(f32, f32) -> Quantizer {
    move |lo, hi| quantizer(&spec, &params_for_range(&spec, lo, hi))
}

/// Deterministic values with a heavy tail (xorshift).
fn heavy_tailed(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = ((s >> 40) as f64 + 0.5) / (1u64 << 24) as f64 - 0.5;
            (-0.1 * u.signum() * (1.0 - 2.0 * u.abs()).ln()) as f32
        })
        .collect()
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn degenerate_granules_give_finite_ranges() {
    let sub = f32::from_bits(3);
    let cases: [&[f32]; 9] = [
        &[],
        &[0.0; 200],
        &[0.3; 200],
        &[-7.0],
        &[sub, -sub, sub, sub, 0.0],
        &[f32::MAX, -f32::MAX, f32::MAX, 1.0],
        &[f32::NAN; 5],
        &[f32::INFINITY, 1.0, f32::NEG_INFINITY, f32::NAN, -2.0],
        &[f32::INFINITY, f32::NEG_INFINITY],
    ];
    let mut scratch = Vec::new();
    for values in cases {
        for method in METHODS {
            for (bits, symmetric) in [(2, true), (4, false), (8, true), (8, false), (16, true)] {
                let grid = grid_of(spec(bits, symmetric));
                let r = choose_range(values, method, bits, symmetric, &grid, &mut scratch);
                assert!(
                    r.lo.is_finite() && r.hi.is_finite() && r.lo <= r.hi,
                    "{values:?} {} {bits} {symmetric}: {r:?}",
                    method.label()
                );
            }
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn mse_search_picks_its_least_error_candidate() {
    let mut scratch = Vec::new();
    for (n, bits, symmetric) in [(33, 4, true), (1000, 4, false), (1023, 8, true)] {
        let mut values = heavy_tailed(n, n as u64);
        values[n / 2] = f32::NAN;
        let grid = grid_of(spec(bits, symmetric));
        let got = choose_range(
            &values,
            RangeMethod::Mse,
            bits,
            symmetric,
            &grid,
            &mut scratch,
        );
        let mm = kernels::min_max_finite(&values);
        let amax = mm.min.abs().max(mm.max.abs());
        let (lo0, hi0) = if symmetric {
            (-f64::from(amax), f64::from(amax))
        } else {
            (f64::from(mm.min), f64::from(mm.max))
        };
        let mut best = (f64::INFINITY, RangeChoice { lo: 0.0, hi: 0.0 });
        for k in (1..=MSE_CANDIDATES).rev() {
            let f = k as f64 / MSE_CANDIDATES as f64;
            let c = RangeChoice {
                lo: (lo0 * f).max(lo0).min(hi0) as f32,
                hi: (hi0 * f).max(lo0).min(hi0) as f32,
            };
            let e = kernels::quant_error(&values, &grid(c.lo, c.hi)).sum_sq_err;
            if e < best.0 {
                best = (e, c);
            }
        }
        assert_eq!(got, best.1, "n={n} bits={bits} symmetric={symmetric}");
    }
}

/// Rough wasm timings (test profile, SIMD128 kernel):
/// `cargo test --target wasm32-unknown-unknown --test range -- --include-ignored`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test]
#[ignore]
fn timing_wasm() {
    let (channels, n) = (256usize, 16384usize);
    let values = heavy_tailed(channels * n, 1);
    let grid = grid_of(QuantSpec::SYMMETRIC_INT8);
    let mut scratch = Vec::new();
    for method in METHODS {
        let t = js_sys::Date::now();
        let mut acc = 0.0f64;
        for c in values.chunks(n) {
            acc += f64::from(choose_range(c, method, 8, true, &grid, &mut scratch).hi);
        }
        wasm_bindgen_test::console_log!(
            "{}: {} ms for {channels}x{n} ({acc})",
            method.label(),
            js_sys::Date::now() - t
        );
    }
    let small = &values[..20_000 * 32];
    for method in METHODS {
        let t = js_sys::Date::now();
        for c in small.chunks(32) {
            std::hint::black_box(choose_range(c, method, 4, false, &grid, &mut scratch));
        }
        wasm_bindgen_test::console_log!(
            "{}: {} ms for 20000 groups of 32",
            method.label(),
            js_sys::Date::now() - t
        );
    }
}
