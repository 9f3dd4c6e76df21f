//! Browser file access: fetch a URL, read part of a `File` (the worker reads the rest: see
//! [`crate::worker::read_file`]).
//! Bytes only; what they mean is for [`crate::formats`].

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::worker::js_error;

/// GETs a same-origin relative URL (the bundled samples).
pub async fn fetch_bytes(url: &str) -> Result<js_sys::ArrayBuffer, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(js_error)?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "not a response".to_string())?;
    if !resp.ok() {
        return Err(format!("HTTP {} {}", resp.status(), resp.status_text()));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    buf.dyn_into()
        .map_err(|_| "the response gave no bytes".to_string())
}

/// True when the page runs in an opaque origin: a sandboxed iframe without `allow-same-origin`.
/// There every file of the app counts as another origin's, so `fetch()` cannot read it without
/// CORS headers, which plain static servers do not send.
pub fn opaque_origin() -> bool {
    web_sys::window()
        .map(|w| w.origin() == "null")
        .unwrap_or(false)
}

/// The bytes of a bundled sample: fetched, or in an opaque origin loaded from the classic script
/// `samples/<file>.js` that the build writes next to it (scripts load without CORS).
pub async fn sample_bytes(file: &str) -> Result<js_sys::ArrayBuffer, String> {
    if opaque_origin() {
        sample_from_script(file).await
    } else {
        fetch_bytes(&format!("samples/{file}")).await
    }
}

async fn sample_from_script(file: &str) -> Result<js_sys::ArrayBuffer, String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let src = format!("samples/{file}.js");
    let script: web_sys::HtmlScriptElement = document
        .create_element("script")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not a script element".to_string())?;
    script.set_src(&src);
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    let head = document.head().ok_or("no <head>")?;
    head.append_child(&script).map_err(js_error)?;
    let outcome = JsFuture::from(loaded).await;
    let _ = head.remove_child(&script);
    outcome.map_err(|_| format!("the script {src} did not load"))?;
    let store = js_sys::Reflect::get(&window, &JsValue::from_str("__quantlensSamples"))
        .map_err(js_error)?;
    let key = JsValue::from_str(file);
    let b64 = js_sys::Reflect::get(&store, &key)
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| format!("{src} loaded but held no data for {file}"))?;
    // Free the text: the bytes are all that is kept.
    if let Ok(obj) = store.dyn_into::<js_sys::Object>() {
        let _ = js_sys::Reflect::delete_property(&obj, &key);
    }
    let binary = window.atob(&b64).map_err(js_error)?;
    // atob gives one character per byte (U+0000..U+00FF).
    let bytes: Vec<u8> = binary.chars().map(|c| c as u32 as u8).collect();
    Ok(js_sys::Uint8Array::from(&bytes[..]).buffer())
}

/// The first `len` bytes of a file (its header), without reading the rest.
pub async fn read_head(file: &web_sys::File, len: f64) -> Result<Vec<u8>, String> {
    let blob = file
        .slice_with_f64_and_f64(0.0, len.min(file.size()))
        .map_err(js_error)?;
    let buf = JsFuture::from(blob.array_buffer())
        .await
        .map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}
