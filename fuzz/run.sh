#!/usr/bin/env bash
# Runs every fuzz target, seeded with the repository's real inputs.
#   fuzz/run.sh [seconds per target]        (default 60)
#   FUZZ_RUNS=10000000 fuzz/run.sh          a fixed number of executions per target instead
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the machine's stable rustc.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1
CARGO_FUZZ_VERSION=0.13.1
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
seconds=${1:-60}
mkdir -p corpus/npy corpus/npz corpus/safetensors corpus/analysis
cp -n ../tests/bugcases/*.npy ../tests/conformance/*/input.npy corpus/npy/ 2>/dev/null || true
for f in ../tests/conformance/*/*.npy; do cp -n "$f" "corpus/npy/$(basename "$(dirname "$f")")_$(basename "$f")"; done
cp -n ../tests/bugcases/*.npz ../tests/fixtures/*.npz corpus/npz/ 2>/dev/null || true
cp -n ../tests/fixtures/*.safetensors corpus/safetensors/ 2>/dev/null || true
for f in ../tests/bugcases/1*.npy ../tests/bugcases/2*.npy; do tail -c +129 "$f" | head -c 4096 > "corpus/analysis/$(basename "$f").bin"; done
for target in npy npz safetensors analysis; do
  if [ -n "${FUZZ_RUNS:-}" ]; then limit="-runs=$FUZZ_RUNS"; else limit="-max_total_time=$seconds"; fi
  echo "== fuzz $target ($limit)"
  # No sanitizer: the code is safe Rust (one small audited unsafe block, in the wasm-only SIMD
  # kernels); what is hunted here is panics, aborts, hangs and runaway memory.
  cargo fuzz run -s none "$target" "corpus/$target" -- "$limit" -max_len=8192 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 \
    | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)|panicked|ERROR" || true
  if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
    echo "fuzz: crash in $target: $(ls artifacts/$target/crash-*)"; exit 1
  fi
done
