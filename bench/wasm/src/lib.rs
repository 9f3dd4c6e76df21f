//! `quantlens::bench` exported to JavaScript, so Node times the same kernels the page runs.

use quantlens::bench::{Runner, OPS};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Bench {
    runner: Runner,
}

#[wasm_bindgen]
impl Bench {
    /// Prepares `n` weights in `channels` channels (outside any timing).
    #[wasm_bindgen(constructor)]
    pub fn new(n: usize, channels: usize) -> Bench {
        Bench { runner: Runner::new(n, channels) }
    }

    /// Runs operation `i` of [`OPS`] once.
    pub fn run(&mut self, i: usize) -> f64 {
        OPS.get(i).map(|&(op, _)| self.runner.run(op)).unwrap_or(f64::NAN)
    }
}

#[wasm_bindgen]
pub fn op_names() -> Vec<String> {
    OPS.iter().map(|(_, n)| n.to_string()).collect()
}

/// Whether this module was built with the SIMD128 kernels.
#[wasm_bindgen]
pub fn simd128() -> bool {
    cfg!(target_feature = "simd128")
}
