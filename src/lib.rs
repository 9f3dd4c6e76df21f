//! quantlens: what per-tensor and per-channel integer quantization do to a real weight tensor.
//!
//! Rooms, with arrows pointing down only:
//! - [`engine`]: pure math (ranges, scale/zero point, kernels, metrics, histograms, the analysis report);
//! - [`formats`]: bytes -> [`engine::Tensor`], with precise errors;
//! - [`plots`]: plotters drawing functions, generic over the backend (canvas in the page, SVG in tests);
//! - [`format`]: how every number a user sees is written;
//! - [`service`]: the requests the page sends its analysis worker, and the answers;
//! - `ui` (wasm32 only): Leptos components, no math; `worker` (wasm32 only): the Web Worker's side.

pub mod bench;
pub mod engine;
pub mod export;
pub mod format;
pub mod formats;
pub mod plots;
pub mod samples;
pub mod service;
pub mod share;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod worker;
