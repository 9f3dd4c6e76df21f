//! The page (Leptos, client-side rendered). Components only: state, controls, panels; the math is
//! in [`crate::engine`], bytes are read by [`crate::formats`], charts are drawn by [`crate::plots`].

mod charts;
mod controls;
mod engine;
mod exports;
mod files;
mod scheme;
mod share;
mod state;
mod summary;

use leptos::prelude::*;

use charts::Charts;
use controls::Controls;
use share::{LinkNotices, ShareBar};
use state::{AppState, Status};
use summary::{Summary, TensorInfo};

/// Mounts the app into `<body>`.
pub fn mount() {
    leptos::mount::mount_to_body(App);
}

/// The whole page: a sample (or the user's file) under the lens, per-tensor vs per-channel.
/// The link says which (see [`crate::share`]); with `embed=1` the page chrome is left out.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::provide();
    let shell = share::start(state);
    let embed = shell.embed;
    let dragging = drop_anywhere(state);
    view! {
        <div class="drop-overlay" class:visible=move || dragging.get() aria-hidden="true">
            <div>"Drop a .npy, .npz or .safetensors file to open it here"<br/><small>"It is read by your browser and never uploaded."</small></div>
        </div>
        {(!embed).then(|| view! {
        <header class="top">
            <h1>"quantlens"</h1>
            <p class="tagline">
                "What int8 quantization does to a real weight tensor: one scale for the whole tensor ("
                <span class="per-tensor">"per-tensor"</span> "), one per output channel ("
                <span class="per-channel">"per-channel"</span> ") or one per small group of weights ("
                <span class="per-group">"per-group"</span>
                "), under the exact rules of ONNX Runtime, PyTorch, TFLite, TensorRT or ggml. Everything runs in this page; your file never leaves your browser."
            </p>
        </header>
        })}
        <main>
            <Controls />
            <ShareBar />
            <LinkNotices />
            <StatusBar />
            <TensorInfo />
            <Summary />
            <Charts />
        </main>
        {(!embed).then(|| view! {
        <footer>
            "Samples: real weights from EfficientNet-Lite0, PP-OCRv4, all-MiniLM-L6-v2 and Silero VAD (Apache-2.0 / MIT; see SAMPLES.md). "
            "Each preset reproduces its framework's integers (see \"Rules in use\" for the exact arithmetic and sources)."
        </footer>
        })}
    }
}

/// Loading indicator and error messages; an error never replaces the tensor already shown.
#[component]
fn StatusBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        {move || state.analysing.get().filter(|_| state.status.get() == Status::Idle).map(|p| view! {
            <div class="status loading" role="status" data-testid="analysing">
                <span class="spinner" aria-hidden="true"></span>
                "Analysing…"
                <progress max="1" value=p.to_string()></progress>
                <span>{format!("{:.0}%", p * 100.0)}</span>
            </div>
        })}
        {move || match state.status.get() {
            Status::Idle => None,
            Status::Loading(what, progress) => Some(view! {
                <div class="status loading" role="status" data-testid="loading">
                    <span class="spinner" aria-hidden="true"></span>
                    {format!("Loading {what}…")}
                    {progress.map(|p| view! {
                        <progress max="1" value=p.to_string()></progress>
                        <span>{format!("{:.0}%", p * 100.0)}</span>
                    })}
                </div>
            }.into_any()),
            Status::Error(msg) => Some(view! {
                <div class="status error" role="alert" data-testid="error">
                    <strong>"Could not load: "</strong> {msg}
                    <button class="dismiss" on:click=move |_| state.status.set(Status::Idle) aria-label="Dismiss">"×"</button>
                </div>
            }.into_any()),
        }}
    }
}

/// Files dropped anywhere on the page are opened; returns whether a file is being dragged over it
/// (to show the drop target).
fn drop_anywhere(state: AppState) -> RwSignal<bool> {
    use leptos::ev;
    let dragging = RwSignal::new(false);
    let has_files = |e: &web_sys::DragEvent| {
        e.data_transfer()
            .map(|dt| {
                dt.types()
                    .iter()
                    .any(|t| t.as_string().as_deref() == Some("Files"))
            })
            .unwrap_or(false)
    };
    let _ = window_event_listener(ev::dragover, move |e| {
        if has_files(&e) {
            e.prevent_default();
            dragging.set(true);
        }
    });
    let _ = window_event_listener(ev::dragleave, move |e| {
        // Leaving the window (not just moving between elements) has no related target.
        if e.related_target().is_none() {
            dragging.set(false);
        }
    });
    let _ = window_event_listener(ev::drop, move |e| {
        e.prevent_default();
        dragging.set(false);
        if let Some(file) = e
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|f| f.get(0))
        {
            state.load_file(file);
        }
    });
    dragging
}
