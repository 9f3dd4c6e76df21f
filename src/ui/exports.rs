//! Downloads: the files [`crate::export`] builds, and each chart as PNG or SVG. A Blob, an object
//! URL and a clicked `<a download>`: this works inside an iframe sandboxed with
//! `allow-scripts allow-downloads`.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::engine;
use super::state::{AppState, Source};
use crate::export::{self, ExportMeta, ExportSource};
use crate::service::{Request, Response, SourceName};

/// Offers `blob` as a download named `name`.
pub fn download_blob(blob: &web_sys::Blob, name: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let url = web_sys::Url::create_object_url_with_blob(blob)
        .map_err(|_| "the browser could not make a download URL".to_string())?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "could not create a link".to_string())?
        .dyn_into()
        .map_err(|_| "not a link element".to_string())?;
    a.set_href(&url);
    a.set_download(name);
    let body = document.body().ok_or("no <body>")?;
    let _ = body.append_child(&a);
    a.click();
    let _ = body.remove_child(&a);
    // The download has started reading the URL by now; free it a little later, not at once.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    Ok(())
}

/// Offers `bytes` as a download of type `mime` named `name`.
pub fn download_bytes(bytes: &[u8], mime: &str, name: &str) -> Result<(), String> {
    let array = js_sys::Array::new();
    array.push(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options).map_err(|_| {
            format!(
                "the browser could not hold {} bytes for {name}",
                bytes.len()
            )
        })?;
    download_blob(&blob, name)
}

/// A canvas as a PNG at its backing-store (device) resolution.
pub fn download_png(canvas: &web_sys::HtmlCanvasElement, name: String) -> Result<(), String> {
    let done = Closure::once_into_js(move |blob: Option<web_sys::Blob>| {
        if let Some(b) = blob {
            let _ = download_blob(&b, &name);
        }
    });
    canvas
        .to_blob(done.unchecked_ref())
        .map_err(|_| "the browser could not encode the chart as PNG".to_string())
}

/// The exports' setting for the tensor on screen.
pub fn with_meta<T>(
    state: AppState,
    f: impl FnOnce(&crate::engine::Report, &ExportMeta) -> T,
) -> Option<T> {
    let cur = state.current.get_untracked()?;
    let report = state.report.get_untracked()?.ok()?;
    let scheme = scheme_id(state);
    let source = match &cur.source {
        Source::Sample(s) => ExportSource::Sample(s),
        Source::Upload(u) => ExportSource::File {
            name: &u.name,
            member: cur.member.as_deref(),
        },
    };
    let meta = ExportMeta {
        scheme: &scheme,
        source,
    };
    Some(f(&report, &meta))
}

/// The scheme's id as links name it (a preset's id, or `custom`).
fn scheme_id(state: AppState) -> String {
    let spec = state.spec.get_untracked();
    crate::engine::spec::matching_preset(&spec, state.group_size.get_untracked())
        .map(|p| p.id)
        .unwrap_or("custom")
        .to_string()
}

/// CSV, JSON and `.npz` downloads of what is on screen. CSV and JSON are written here from the
/// report; the `.npz` needs the tensor's values, so the analysis worker writes it.
#[component]
pub fn ExportButtons() -> impl IntoView {
    let state = expect_context::<AppState>();
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let npz = move || {
        let Some(cur) = state.current.get_untracked() else {
            return failure.set(Some(
                "Nothing to export yet: no tensor is shown".to_string(),
            ));
        };
        let Some(stem) = with_meta(state, export::file_stem) else {
            return failure.set(Some(
                "Nothing to export yet: no tensor is shown".to_string(),
            ));
        };
        let source = match &cur.source {
            Source::Sample(s) => SourceName::Sample(s.id.to_string()),
            Source::Upload(u) => SourceName::File {
                name: u.name.clone(),
                member: cur.member.clone(),
            },
        };
        busy.set(true);
        let request = Request::Npz {
            scheme: scheme_id(state),
            source,
        };
        engine::send(&request, None, move |_, answer| {
            let result = match answer {
                Response::Npz(r) => r.and_then(|b| {
                    download_bytes(&b, "application/zip", &format!("{stem}_quantized.npz"))
                }),
                Response::Progress(_) => return,
                _ => Err("a newer export replaced this one".to_string()),
            };
            busy.set(false);
            failure.set(result.err().map(|e| format!("Export failed: {e}")));
        });
    };
    let run = move |what: &'static str| {
        if what == "npz" {
            return npz();
        }
        let result = with_meta(state, |r, m| {
            let stem = export::file_stem(r, m);
            if what == "csv" {
                download_bytes(
                    export::channel_stats_csv(r).as_bytes(),
                    "text/csv",
                    &format!("{stem}_channels.csv"),
                )
            } else {
                download_bytes(
                    export::channel_stats_json(r, m).as_bytes(),
                    "application/json",
                    &format!("{stem}_channels.json"),
                )
            }
        });
        failure.set(match result {
            Some(Ok(())) => None,
            Some(Err(e)) => Some(format!("Export failed: {e}")),
            None => Some("Nothing to export yet: no tensor is shown".to_string()),
        });
    };
    let ready = move || matches!(state.report.get(), Some(Ok(_)));
    view! {
        <div class="exports" role="group" aria-label="Download">
            <span class="group-label">"Download"</span>
            <button type="button" data-testid="export-csv" disabled=move || !ready() on:click=move |_| run("csv")
                title="Per-channel statistics: ranges, scales, zero points, errors under both schemes">"CSV"</button>
            <button type="button" data-testid="export-json" disabled=move || !ready() on:click=move |_| run("json")
                title="The same statistics with the setting (source, shape, axis, scheme)">"JSON"</button>
            <button type="button" data-testid="export-npz" disabled=move || !ready() || busy.get() on:click=move |_| run("npz")
                title="The quantized tensor for NumPy: integer codes, scales and zero points of both schemes">".npz"</button>
            {move || failure.get().map(|e| view! { <span class="status error" role="alert">{e}</span> })}
        </div>
    }
}
