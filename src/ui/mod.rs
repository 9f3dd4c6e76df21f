//! The page (Leptos, client-side rendered). Components only: state, controls, panels; the math is
//! in [`crate::engine`], bytes are read by [`crate::formats`], charts are drawn by [`crate::plots`].

mod charts;
mod controls;
mod state;
mod summary;

use leptos::prelude::*;

use charts::Charts;
use controls::Controls;
use state::{AppState, Status};
use summary::{Summary, TensorInfo};

/// Mounts the app into `<body>`.
pub fn mount() {
    leptos::mount::mount_to_body(App);
}

/// The whole page: a sample (or the user's file) under the lens, per-tensor vs per-channel.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::provide();
    state.load_default_sample();
    view! {
        <header class="top">
            <h1>"quantlens"</h1>
            <p class="tagline">
                "What int8 quantization does to a real weight tensor: one scale for the whole tensor ("
                <span class="per-tensor">"per-tensor"</span> ") or one per output channel ("
                <span class="per-channel">"per-channel"</span>
                "). Everything runs in this page; your file never leaves your browser."
            </p>
        </header>
        <main>
            <Controls />
            <StatusBar />
            <TensorInfo />
            <Summary />
            <Charts />
        </main>
        <footer>
            "Samples: real weights from EfficientNet-Lite0, PP-OCRv4, all-MiniLM-L6-v2 and Silero VAD (Apache-2.0 / MIT; see SAMPLES.md). "
            "Semantics: ONNX QuantizeLinear (float32 division, round half to even, saturate) with ONNX Runtime's scale rules."
        </footer>
    }
}

/// Loading indicator and error messages; an error never replaces the tensor already shown.
#[component]
fn StatusBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        {move || match state.status.get() {
            Status::Idle => None,
            Status::Loading(what) => Some(view! {
                <div class="status loading" role="status" data-testid="loading">
                    <span class="spinner" aria-hidden="true"></span> {format!("Loading {what}…")}
                </div>
            }.into_any()),
            Status::Error(msg) => Some(view! {
                <div class="status error" role="alert" data-testid="error">
                    <strong>"Could not use that file: "</strong> {msg}
                    <button class="dismiss" on:click=move |_| state.status.set(Status::Idle) aria-label="Dismiss">"×"</button>
                </div>
            }.into_any()),
        }}
    }
}
