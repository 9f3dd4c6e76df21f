//! Native kernel benchmark: the operations of `quantlens::bench` on 1 M and 16 M float32 weights
//! (1024 channels), median of repetitions, printed as JSON lines for `bench/run.mjs`.
//!
//!   cargo bench --bench kernels -- --bench [--reps N] [--write-npy DIR]
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it does one tiny iteration of every
//! operation, so the suite checks that the benchmark builds and runs.

use std::time::Instant;

use quantlens::bench::{Runner, OPS};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let reps: usize = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(7);
    let write_dir = args
        .iter()
        .position(|a| a == "--write-npy")
        .and_then(|i| args.get(i + 1).cloned());
    let sizes: &[usize] = if full { &[1 << 20, 16 << 20] } else { &[4096] };
    for &n in sizes {
        let mut r = Runner::new(n, 1024);
        if let Some(dir) = &write_dir {
            write_npy(&format!("{dir}/workload_{n}.npy"), &r);
        }
        for &(op, name) in OPS {
            let mut times = Vec::new();
            let mut sink = 0.0;
            for _ in 0..if full { reps } else { 1 } {
                let t = Instant::now();
                sink += r.run(op);
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            assert!(!sink.is_nan(), "{name}");
            println!(
                "{{\"impl\":\"native\",\"n\":{n},\"op\":\"{name}\",\"median_s\":{median:e},\"reps\":{}}}",
                times.len()
            );
        }
    }
}

/// The workload as a .npy file, so numpy and onnxruntime time the same numbers.
fn write_npy(path: &str, r: &Runner) {
    let bytes = quantlens::formats::npy::encode_f32(r.tensor.shape(), r.tensor.data());
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
}
