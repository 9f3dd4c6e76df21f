# quantlens — the two commands (see README.md):
#   make serve   install what is missing (pinned), build in release mode, serve http://127.0.0.1:8080
#   make test    everything: fmt, clippy (native + wasm32), native tests, wasm tests in Node (SIMD128),
#                browser tests in Debian's headless Chromium
# and `make build`: a static dist/ with relative URLs, to host under any sub-path.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
WASM := --target wasm32-unknown-unknown

.PHONY: setup setup-browser serve build test lint test-native test-wasm test-browser clean fuzz bench

setup:
	@scripts/setup.sh

setup-browser:
	@scripts/setup.sh --browser

serve: setup
	trunk build --release
	@echo "quantlens: serving http://127.0.0.1:8080 (Ctrl-C to stop)"
	trunk serve --release --no-autoreload

build: setup
	trunk build --release
	@echo "quantlens: static site in dist/ ($$(du -sh dist | cut -f1)); it works from any sub-path"

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy $(WASM) --all-targets -- -D warnings

test-native:
	cargo test --all-targets

# wasm-bindgen-test under Node, with the SIMD128 kernels (.cargo/config.toml sets +simd128).
test-wasm:
	cargo test $(WASM) --test kernels --test engine_embedded

test-browser:
	trunk build --release
	node --test tests/browser/

test: setup-browser
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint test-native test-wasm test-browser && \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s"

clean:
	rm -rf dist target

# Fuzz every loader and the analysis entry point: FUZZ_SECONDS each (default 60), or FUZZ_RUNS executions.
FUZZ_SECONDS ?= 60
fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)

# Benchmarks (not part of `make test`, which runs one tiny iteration of each): writes docs/BENCHMARKS.md
# from one run: kernels (native, wasm SIMD128, wasm scalar), numpy, onnxruntime, bandwidth, the page in
# headless Chromium. REPS=7 by default.
bench: setup-browser
	trunk build --release
	node bench/run.mjs
