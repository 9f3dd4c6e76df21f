use super::*;
use crate::engine::analysis::quantizer;
use crate::engine::params::params_for_range;
use crate::engine::spec::QuantSpec;

/// Deterministic xorshift64* generator: uniform, Gaussian and Laplace samples.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f32 {
        (lo + (hi - lo) * self.unit()) as f32
    }
    fn gauss(&mut self) -> f64 {
        (-2.0 * self.unit().ln()).sqrt() * (2.0 * std::f64::consts::PI * self.unit()).cos()
    }
    fn laplace(&mut self, b: f64) -> f32 {
        let u = self.unit() - 0.5;
        (-b * u.signum() * (1.0 - 2.0 * u.abs()).ln()) as f32
    }
}

/// The grid a preset would use for a range: `spec`'s scale/zero-point rule.
fn grid_of(spec: QuantSpec) -> impl Fn(f32, f32) -> Quantizer {
    move |lo, hi| quantizer(&spec, &params_for_range(&spec, lo, hi))
}

fn spec(bits: u32, symmetric: bool) -> QuantSpec {
    if symmetric {
        QuantSpec {
            bits,
            ..QuantSpec::SYMMETRIC_INT8
        }
    } else {
        QuantSpec {
            bits,
            ..QuantSpec::ASYMMETRIC_UINT8
        }
    }
}

fn choose(values: &[f32], method: RangeMethod, bits: u32, symmetric: bool) -> RangeChoice {
    let grid = grid_of(spec(bits, symmetric));
    let mut scratch = Vec::new();
    choose_range(values, method, bits, symmetric, &grid, &mut scratch)
}

const ALL_METHODS: [RangeMethod; 8] = [
    RangeMethod::MinMax,
    RangeMethod::Percentile(99.99),
    RangeMethod::Percentile(50.0),
    RangeMethod::Percentile(100.0),
    RangeMethod::Mse,
    RangeMethod::Entropy,
    RangeMethod::Aciq(AciqPrior::Laplace),
    RangeMethod::Aciq(AciqPrior::Gaussian),
];

/// NumPy `percentile(method='linear')`, by sorting, in float64.
fn reference_percentile(values: &[f32], p: f64) -> f64 {
    let mut v: Vec<f64> = values
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| f64::from(x))
        .collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let index = (n - 1) as f64 * (p / 100.0);
    let below = index.floor();
    let gamma = index - below;
    let lo = below as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (v[lo], v[hi]);
    if gamma >= 0.5 {
        b - (b - a) * (1.0 - gamma)
    } else {
        a + (b - a) * gamma
    }
}

#[test]
fn percentile_matches_numpy_linear_exactly() {
    let mut rng = Rng::new(7);
    let mut scratch = Vec::new();
    for n in [1usize, 2, 3, 5, 10, 100, 1001, 4096] {
        for dup in [false, true] {
            let values: Vec<f32> = (0..n)
                .map(|_| {
                    let x = rng.gauss() as f32;
                    // Duplicates: quantise to a coarse lattice.
                    if dup {
                        (x * 4.0).round() / 4.0
                    } else {
                        x
                    }
                })
                .collect();
            for p in [
                50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0, 0.0, 0.001, 33.3,
            ] {
                scratch.clear();
                scratch.extend_from_slice(&values);
                let got = percentile_of(&mut scratch, p).unwrap();
                assert_eq!(
                    got,
                    reference_percentile(&values, p),
                    "n={n} dup={dup} p={p}"
                );
            }
            // Through choose_range: asymmetric [(100-p), p], symmetric on |x|.
            let abs: Vec<f32> = values.iter().map(|x| x.abs()).collect();
            for p in [99.0, 99.99, ORT_PERCENTILE] {
                let r = choose(&values, RangeMethod::Percentile(p), 8, false);
                assert_eq!(r.lo, reference_percentile(&values, 100.0 - p) as f32);
                assert_eq!(r.hi, reference_percentile(&values, p) as f32);
                let r = choose(&values, RangeMethod::Percentile(p), 8, true);
                assert_eq!(r.hi, reference_percentile(&abs, p) as f32);
                assert_eq!(r.lo, -r.hi);
            }
        }
    }
}

#[test]
fn percentile_known_values_and_non_finite_exclusion() {
    // np.percentile([1, 2, 3, 4], 50) == 2.5; np.percentile([1, 2, 3, 4], 90) == 3.7 (lerp from 4).
    let mut s = vec![4.0, 1.0, 3.0, 2.0];
    assert_eq!(percentile_of(&mut s, 50.0), Some(2.5));
    let mut s = vec![4.0, 1.0, 3.0, 2.0];
    assert!((percentile_of(&mut s, 90.0).unwrap() - 3.7).abs() < 1e-12);
    let data = [f32::NAN, 1.0, f32::INFINITY, 3.0, f32::NEG_INFINITY, 2.0];
    let r = choose(&data, RangeMethod::Percentile(100.0), 8, false);
    assert_eq!((r.lo, r.hi), (1.0, 3.0));
    let r = choose(&data, RangeMethod::Percentile(50.0), 8, false);
    assert_eq!((r.lo, r.hi), (2.0, 2.0));
    assert_eq!(percentile_of(&mut [], 50.0), None);
}

#[test]
fn minmax_is_the_finite_range() {
    let data = [f32::NAN, -2.0, 0.5, f32::INFINITY, 1.5];
    assert_eq!(
        choose(&data, RangeMethod::MinMax, 8, false),
        RangeChoice { lo: -2.0, hi: 1.5 }
    );
    assert_eq!(
        choose(&data, RangeMethod::MinMax, 8, true),
        RangeChoice { lo: -2.0, hi: 2.0 }
    );
}

/// Brute force: the MSE search's choice has the least error of its own candidates, and ties
/// resolve to the widest.
#[test]
fn mse_picks_the_least_error_candidate() {
    let mut rng = Rng::new(11);
    for (bits, symmetric) in [(8, true), (4, true), (4, false), (3, false), (8, false)] {
        let values: Vec<f32> = (0..777).map(|_| rng.laplace(0.1) + 0.02).collect();
        let one_sided: Vec<f32> = values.iter().map(|x| x.abs() + 0.05).collect();
        for values in [values, one_sided] {
            let grid = grid_of(spec(bits, symmetric));
            let got = choose(&values, RangeMethod::Mse, bits, symmetric);
            let mm = kernels::min_max_finite(&values);
            let amax = mm.min.abs().max(mm.max.abs());
            let (lo0, hi0) = if symmetric {
                (-amax, amax)
            } else {
                (mm.min, mm.max)
            };
            let mut errs = Vec::new();
            for k in 1..=MSE_CANDIDATES {
                let f = k as f64 / MSE_CANDIDATES as f64;
                let (lo0, hi0) = (f64::from(lo0), f64::from(hi0));
                let lo = (lo0 * f).max(lo0).min(hi0) as f32;
                let hi = (hi0 * f).max(lo0).min(hi0) as f32;
                let e = kernels::quant_error(&values, &grid(lo, hi)).sum_sq_err;
                errs.push((k, lo, hi, e));
            }
            let least = errs.iter().map(|e| e.3).fold(f64::INFINITY, f64::min);
            let widest = errs
                .iter()
                .filter(|e| e.3 == least)
                .map(|e| e.0)
                .max()
                .unwrap();
            let (_, lo, hi, _) = errs[widest - 1];
            assert_eq!(
                (got.lo, got.hi),
                (lo, hi),
                "bits={bits} symmetric={symmetric}"
            );
        }
    }
}

#[test]
fn mse_clips_heavy_tails_at_low_bits_and_keeps_uniform_ranges() {
    let mut rng = Rng::new(3);
    let laplace: Vec<f32> = (0..16384).map(|_| rng.laplace(1.0)).collect();
    let amax = laplace.iter().fold(0f32, |m, x| m.max(x.abs()));
    let r = choose(&laplace, RangeMethod::Mse, 4, true);
    assert!(
        r.hi < 0.7 * amax,
        "4-bit Laplace should clip: {} vs {amax}",
        r.hi
    );
    let clipped = r.clipped(&laplace);
    assert!(clipped > 0 && clipped < laplace.len() / 10, "{clipped}");

    let uniform: Vec<f32> = (0..16384).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let amax = uniform.iter().fold(0f32, |m, x| m.max(x.abs()));
    let r = choose(&uniform, RangeMethod::Mse, 8, true);
    assert!(r.hi >= 0.97 * amax && r.hi <= amax, "{} vs {amax}", r.hi);
}

#[test]
fn entropy_clips_an_outlier_at_8_bits() {
    let mut rng = Rng::new(5);
    let mut values: Vec<f32> = (0..16384).map(|_| rng.gauss() as f32).collect();
    values[100] = 40.0;
    let r = choose(&values, RangeMethod::Entropy, 8, true);
    assert!(r.hi > 2.0 && r.hi < 20.0, "{r:?}");
    assert_eq!(r.lo, -r.hi);
    // Asymmetric: the same |x| threshold, intersected with [min, max].
    let a = choose(&values, RangeMethod::Entropy, 8, false);
    let mm = kernels::min_max_finite(&values);
    assert_eq!(a.hi, r.hi);
    assert_eq!(a.lo, (-r.hi).max(mm.min));
    // Without the outlier the Gaussian keeps most of its range.
    values[100] = 0.0;
    let amax = values.iter().fold(0f32, |m, x| m.max(x.abs()));
    let r = choose(&values, RangeMethod::Entropy, 8, true);
    assert!(r.hi > 0.5 * amax && r.hi <= amax, "{r:?} {amax}");
}

#[test]
fn entropy_falls_back_to_minmax_when_it_does_not_apply() {
    assert!(!entropy_applies(127, 8));
    assert!(entropy_applies(128, 8));
    assert!(!entropy_applies(1 << 20, 12));
    assert!(entropy_applies(1 << 20, 11));
    assert_eq!(num_quantized_bins(8), 128);
    let values: Vec<f32> = (0..100).map(|i| (i as f32 - 50.0) / 7.0).collect();
    assert_eq!(
        choose(&values, RangeMethod::Entropy, 8, false),
        choose(&values, RangeMethod::MinMax, 8, false)
    );
    let mut rng = Rng::new(9);
    let values: Vec<f32> = (0..5000).map(|_| rng.gauss() as f32).collect();
    assert_eq!(
        choose(&values, RangeMethod::Entropy, 12, true),
        choose(&values, RangeMethod::MinMax, 12, true)
    );
}

/// The classic algorithm written out bin by bin with MXNet's full ε-smoothing of P and Q, for
/// comparison with the prefix-sum version: the same threshold on ordinary data.
#[test]
fn entropy_agrees_with_a_bin_by_bin_reference() {
    fn smooth(p: &mut [f64]) -> bool {
        let zeros = p.iter().filter(|&&x| x == 0.0).count() as f64;
        let nonzeros = p.len() as f64 - zeros;
        if nonzeros == 0.0 {
            return false;
        }
        let eps1 = 1e-4 * zeros / nonzeros;
        for x in p.iter_mut() {
            *x = if *x == 0.0 { 1e-4 } else { *x - eps1 };
        }
        p.iter().all(|&x| x > 0.0)
    }
    fn reference(values: &[f32], bits: u32) -> f32 {
        let amax = values.iter().fold(0f32, |m, x| m.max(x.abs()));
        let nq = num_quantized_bins(bits);
        let mut hist = vec![0f64; ENTROPY_BINS];
        for v in values {
            let i = (f64::from(v.abs()) * (ENTROPY_BINS as f64 / f64::from(amax))) as usize;
            hist[i.min(ENTROPY_BINS - 1)] += 1.0;
        }
        let stride = (ENTROPY_BINS - nq).div_ceil(ENTROPY_MAX_CANDIDATES - 1);
        let (mut best, mut best_kl) = (ENTROPY_BINS, f64::INFINITY);
        let mut i = ENTROPY_BINS;
        while i >= nq {
            let mut p = hist[..i].to_vec();
            p[i - 1] += hist[i..].iter().sum::<f64>();
            let mut q = vec![0f64; i];
            for g in 0..nq {
                let (s, e) = ((g * i).div_ceil(nq), ((g + 1) * i).div_ceil(nq));
                let total: f64 = hist[s..e].iter().sum();
                let nz = p[s..e].iter().filter(|&&x| x > 0.0).count() as f64;
                for j in s..e {
                    if p[j] > 0.0 {
                        q[j] = total / nz;
                    }
                }
            }
            let kl = if smooth(&mut p) && smooth(&mut q) {
                let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
                p.iter()
                    .zip(&q)
                    .map(|(a, b)| (a / sp) * ((a / sp) / (b / sq)).ln())
                    .sum()
            } else {
                f64::INFINITY
            };
            if kl < best_kl {
                (best, best_kl) = (i, kl);
            }
            if i < nq + stride {
                break;
            }
            i -= stride;
        }
        (best as f64 * (f64::from(amax) / ENTROPY_BINS as f64)) as f32
    }
    let mut rng = Rng::new(21);
    for (case, bits) in [(0, 8), (1, 8), (2, 6), (3, 4)] {
        let values: Vec<f32> = (0..20000)
            .map(|k| match case {
                0 => rng.gauss() as f32 * if k == 7 { 12.0 } else { 1.0 },
                1 => rng.laplace(0.5),
                2 => rng.gauss() as f32,
                _ => rng.laplace(1.0),
            })
            .collect();
        let got = choose(&values, RangeMethod::Entropy, bits, true).hi;
        let want = reference(&values, bits);
        assert_eq!(got, want, "case {case}");
        if case == 0 {
            assert!(got < 0.5 * 12.0, "the outlier is clipped: {got}");
        }
    }
}

/// IntelLabs/distiller `AciqClipper.alpha_laplace` / `alpha_gauss` (2..=8 bits; the paper gives
/// 2, 3, 4 and 8). The published two decimals are the exact optimum truncated (3.897 → 3.89,
/// 9.897 → 9.89, 2.559 → 2.55) except Laplace 4 bits, rounded (5.0286 → 5.03; Distiller's own
/// half-range table lists the same optimum as 5.02). So each must be one of the two.
#[test]
fn aciq_constants_reproduce_the_published_ones() {
    let laplace = [2.83, 3.89, 5.03, 6.2, 7.41, 8.64, 9.89];
    let gauss = [1.71, 2.15, 2.55, 2.93, 3.28, 3.61, 3.92];
    for bits in 2..=8u32 {
        let i = bits as usize - 2;
        for (prior, published) in [
            (AciqPrior::Laplace, laplace[i]),
            (AciqPrior::Gaussian, gauss[i]),
        ] {
            let c = optimal_ratio(prior, bits);
            let truncated = (c * 100.0).floor() / 100.0;
            let rounded = (c * 100.0).round() / 100.0;
            let ok = (published - truncated).abs() < 1e-9 || (published - rounded).abs() < 1e-9;
            assert!(
                ok,
                "{prior:?} {bits} bits: optimum {c}, published {published}"
            );
        }
    }
    for bits in 2..=16 {
        for prior in [AciqPrior::Laplace, AciqPrior::Gaussian] {
            let a = optimal_ratio(prior, bits);
            assert!(
                (aciq_ratio(prior, bits) - a).abs() < 1e-12,
                "{prior:?} {bits}: {a:?}"
            );
            // And it is a minimum of the analytic error.
            let e = expected_mse(prior, a, bits);
            assert!(e <= expected_mse(prior, a * 0.99, bits));
            assert!(e <= expected_mse(prior, a * 1.01, bits));
        }
    }
}

#[test]
fn erfc_matches_known_values() {
    // erfc(0.5), erfc(1), erfc(2), erfc(3), erfc(5) from tables (15 significant digits).
    for (x, want) in [
        (0.0, 1.0),
        (0.5, 0.479_500_122_186_953_5),
        (1.0, 0.157_299_207_050_285_1),
        (2.0, 0.004_677_734_981_047_266),
        (2.5, 0.000_406_952_017_444_959),
        (3.0, 2.209_049_699_858_544e-5),
        (5.0, 1.537_459_794_428_035e-12),
    ] {
        let got = erfc(x);
        assert!(
            ((got - want) / want).abs() < 1e-13,
            "erfc({x}) = {got}, want {want}"
        );
        assert!(((erfc(-x) - (2.0 - want)) / (2.0 - want)).abs() < 1e-14);
    }
}

#[test]
fn aciq_fits_the_prior_and_stays_within_the_data() {
    let mut rng = Rng::new(13);
    let values: Vec<f32> = (0..50000).map(|_| rng.laplace(0.25)).collect();
    let r = choose(&values, RangeMethod::Aciq(AciqPrior::Laplace), 4, true);
    // b ≈ 0.25, so t ≈ 5.03·0.25 (+|μ| ≈ 0).
    assert!((r.hi - 5.03 * 0.25).abs() < 0.05, "{r:?}");
    let mm = kernels::min_max_finite(&values);
    let r8 = choose(&values, RangeMethod::Aciq(AciqPrior::Laplace), 8, false);
    assert!(r8.lo >= mm.min && r8.hi <= mm.max);
    // A few values: the prior's α exceeds the data, and the range stops at min-max.
    let few = [0.0f32, 1.0];
    assert_eq!(
        choose(&few, RangeMethod::Aciq(AciqPrior::Gaussian), 8, false),
        RangeChoice { lo: 0.0, hi: 1.0 }
    );
}

#[test]
fn clipped_count_counts_finite_values_strictly_outside() {
    let data = [
        f32::NAN,
        -3.0,
        -1.0,
        0.0,
        1.0,
        2.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    assert_eq!(clipped_count(&data, -1.0, 1.0), 2);
    assert_eq!(clipped_count(&data, -3.0, 2.0), 0);
    assert_eq!(clipped_count(&data, 0.5, 0.5), 5);
    assert_eq!(clipped_count(&[], 0.0, 0.0), 0);
}

#[test]
fn every_method_survives_degenerate_granules() {
    let sub = f32::from_bits(1);
    let cases: Vec<(&str, Vec<f32>)> = vec![
        ("empty", vec![]),
        ("zeros", vec![0.0; 300]),
        ("signed zeros", vec![-0.0, 0.0, -0.0]),
        ("constant", vec![0.3; 300]),
        ("negative constant", vec![-0.3; 300]),
        ("single", vec![-1.5]),
        (
            "subnormal",
            (0..300).map(|i| sub * (i % 7) as f32).collect(),
        ),
        (
            "subnormal mixed",
            (0..300)
                .map(|i| if i % 2 == 0 { sub } else { -sub * 3.0 })
                .collect(),
        ),
        (
            "huge",
            (0..300)
                .map(|i| if i % 2 == 0 { f32::MAX } else { -f32::MAX })
                .collect(),
        ),
        (
            "huge one-sided",
            (0..300).map(|i| f32::MAX * (i % 3) as f32 / 2.0).collect(),
        ),
        ("all nan", vec![f32::NAN; 300]),
        (
            "mixed inf",
            (0..300)
                .map(|i| match i % 4 {
                    0 => f32::INFINITY,
                    1 => f32::NEG_INFINITY,
                    2 => f32::NAN,
                    _ => i as f32,
                })
                .collect(),
        ),
        ("only inf", vec![f32::INFINITY, f32::NEG_INFINITY]),
        ("two values", vec![1e-30, 1e30]),
    ];
    for (name, values) in &cases {
        let mm = kernels::min_max_finite(values);
        for method in ALL_METHODS {
            for bits in [2, 4, 8, 11, 16] {
                for symmetric in [false, true] {
                    let r = choose(values, method, bits, symmetric);
                    let ctx = format!(
                        "{name} {} bits={bits} sym={symmetric}: {r:?}",
                        method.label()
                    );
                    assert!(
                        r.lo.is_finite() && r.hi.is_finite() && r.lo <= r.hi,
                        "{ctx}"
                    );
                    if mm.has_finite() {
                        let amax = mm.min.abs().max(mm.max.abs());
                        let (lo, hi) = if symmetric {
                            (-amax, amax)
                        } else {
                            (mm.min, mm.max)
                        };
                        assert!(r.lo >= lo && r.hi <= hi, "wider than min-max: {ctx}");
                    } else {
                        assert_eq!((r.lo, r.hi), (0.0, 0.0), "{ctx}");
                    }
                    let c = r.clipped(values);
                    assert!(c <= values.len(), "{ctx}");
                }
            }
        }
    }
}

#[test]
fn labels_and_ids() {
    assert_eq!(RangeMethod::Percentile(99.99).label(), "percentile 99.99");
    assert_eq!(
        RangeMethod::Percentile(ORT_PERCENTILE).label(),
        "percentile 99.999"
    );
    assert_eq!(RangeMethod::Percentile(20.0).label(), "percentile 50");
    let ids: Vec<&str> = ALL_METHODS.iter().map(|m| m.id()).collect();
    assert_eq!(ids[0], "minmax");
    for m in ALL_METHODS {
        assert!(m.describe().ends_with('.'));
    }
}

/// Rough timings: `cargo test --release --lib engine::range::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let mut rng = Rng::new(1);
    let (channels, n) = (1024usize, 16384usize);
    let values: Vec<f32> = (0..channels * n).map(|_| rng.laplace(0.05)).collect();
    let grid = grid_of(QuantSpec::SYMMETRIC_INT8);
    let mut scratch = Vec::new();
    for method in ALL_METHODS {
        let t = std::time::Instant::now();
        let mut acc = 0.0f64;
        for c in values.chunks(n) {
            acc += f64::from(choose_range(c, method, 8, true, &grid, &mut scratch).hi);
        }
        println!(
            "{:>16}: {:>8.1} ms  ({acc:.3})",
            method.label(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    let grid8 = grid(-0.5, 0.5);
    let t = std::time::Instant::now();
    let e = kernels::quant_error(&values, &grid8);
    println!(
        "one quant_error pass over all values: {:.1} ms ({:.2} ns/value, {e:?})",
        t.elapsed().as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e9 / values.len() as f64
    );
    let small: Vec<f32> = values[..100_000 * 32].to_vec();
    for method in ALL_METHODS {
        let t = std::time::Instant::now();
        for c in small.chunks(32) {
            std::hint::black_box(choose_range(c, method, 4, false, &grid, &mut scratch));
        }
        println!(
            "{:>16}: {:>8.1} ms  (100000 groups of 32, 4 bits)",
            method.label(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}
