//! The view in the URL ([`crate::share`] does the parsing), the theme, embed mode, the height
//! messages to a host page, and the share panel (link and embed code).
//!
//! Only outgoing messages: the widget posts its height to its parent window and listens to no
//! message at all, so no other page can steer it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::html::Textarea;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::state::{AppState, Source};
use crate::engine::spec::{matching_preset, PRESETS};
use crate::samples;
use crate::share::{self, Choices, Theme, ViewState};

/// What the link asked for that holds for the page's whole life, shared through context.
#[derive(Clone)]
pub struct Shell {
    /// `embed=1`: plots and essential controls, no page chrome.
    pub embed: bool,
    /// The host's name for this widget, echoed in height messages.
    pub id: Option<String>,
    /// Parameters of the link that were ignored, each with the reason (shown until dismissed).
    pub notices: RwSignal<Vec<String>>,
}

/// Reads the link, loads what it names, and keeps the URL, the theme and the host page's
/// picture of the widget's height current from then on.
pub fn start(state: AppState) -> Shell {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let (view, notices) = ViewState::parse(&search, &Choices::ALL);
    state.spec.set(view.spec);
    state.method.set(view.method);
    state.group_size.set(view.group_size);
    state.group_axis.set(view.group_axis);
    state.focus.set(view.focus);
    state.theme.set(view.theme);
    match view.sample.as_deref().and_then(samples::find) {
        Some(s) => state.load_sample_at(s, view.axis, view.channel),
        None => state.load_default_sample(),
    }
    let notices = RwSignal::new(notices.into_iter().map(|n| n.0).collect::<Vec<_>>());
    let shell = Shell {
        embed: view.embed,
        id: view.id.clone(),
        notices,
    };
    if let Some(root) = document_element() {
        let _ = if shell.embed {
            root.set_attribute("data-embed", "1")
        } else {
            root.remove_attribute("data-embed")
        };
    }
    follow_system_theme(state);
    // This Effect puts the resolved theme on <html>, where the CSS custom properties switch.
    Effect::new(move |_| {
        let dark = state.dark();
        if let Some(root) = document_element() {
            let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
        }
    });
    // This Effect syncs the URL: history.replaceState (no new history entry, no scroll), so an
    // embedded widget never adds entries to its host page's history. At most every
    // URL_INTERVAL_MS, ending on the newest view: a replaceState costs Chromium ~8 ms of the main
    // thread (a third of a control change's budget), and it ignores calls past ~100 in 10 s.
    let embed = shell.embed;
    let id = shell.id.clone();
    let pending: Rc<RefCell<Option<String>>> = Rc::default();
    Effect::new(move |_| {
        let Some(v) = current_view(state, embed, id.clone()) else {
            return;
        };
        let first = pending.borrow_mut().replace(v.to_query()).is_none();
        if first {
            let pending = pending.clone();
            let later = Closure::once_into_js(move || {
                if let Some(q) = pending.borrow_mut().take() {
                    replace_query(&q);
                }
            });
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    later.unchecked_ref(),
                    URL_INTERVAL_MS,
                );
            }
        }
    });
    if is_framed() {
        if let Some(post) = post_heights(shell.id.clone()) {
            // Browsers pause rendering, and so ResizeObserver, in iframes scrolled out of view:
            // this Effect also measures after each change of content, so a host learns the height
            // of a widget below the fold before it is scrolled to.
            Effect::new(move |_| {
                state.report.track();
                state.channel.track();
                state.status.track();
                notices.track();
                let post = post.clone();
                let later = Closure::once_into_js(move || post());
                if let Some(w) = web_sys::window() {
                    let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                        later.unchecked_ref(),
                        30,
                    );
                }
            });
        }
    }
    provide_context(shell.clone());
    shell
}

/// How long the address may lag behind the view (see the Effect in [`start`]).
const URL_INTERVAL_MS: i32 = 200;

/// The view on screen as a link's state (`None` until a tensor is shown).
pub fn current_view(state: AppState, embed: bool, id: Option<String>) -> Option<ViewState> {
    let cur = state.current.get()?;
    let sample = match &cur.source {
        Source::Sample(s) => Some(s.id.to_string()),
        Source::Upload(_) => None,
    };
    let spec = state.spec.get();
    let group_size = state.group_size.get();
    // The preset the details start from: the matching one, else the one whose arithmetic is in use.
    let preset = matching_preset(&spec, group_size)
        .or_else(|| {
            PRESETS
                .iter()
                .find(|p| p.spec.convention == spec.convention)
        })
        .map(|p| p.id)
        .unwrap_or(PRESETS[0].id);
    Some(ViewState {
        sample,
        preset,
        spec,
        method: state.method.get(),
        group_size,
        group_axis: state.group_axis.get(),
        focus: state.focus.get(),
        axis: state.axis.get(),
        channel: Some(state.channel.get()),
        theme: state.theme.get(),
        embed,
        id,
    })
}

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

/// The page's URL without query and fragment (absolute, so links work when pasted elsewhere).
fn page_base() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let end = href.find(['?', '#']).unwrap_or(href.len());
    href[..end].to_string()
}

fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hash = window.location().hash().unwrap_or_default();
    let url = format!("?{query}{hash}");
    if window.location().search().ok().as_deref() == Some(&format!("?{query}")) {
        return;
    }
    if let Ok(history) = window.history() {
        // Some sandboxes refuse to rewrite the URL: the view still works, only the address bar
        // stays behind (the share panel builds its links from the state, not from the address).
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// Keeps `state.system_dark` equal to the system's colour-scheme preference.
fn follow_system_theme(state: AppState) {
    let Some(mql) = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok())
        .flatten()
    else {
        return;
    };
    state.system_dark.set(mql.matches());
    let watched = mql.clone();
    let on_change = Closure::<dyn Fn()>::new(move || state.system_dark.set(watched.matches()));
    let _ = mql.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    // Lives as long as the page.
    on_change.forget();
}

/// True inside an iframe (the parent window is another window).
fn is_framed() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    match w.parent() {
        Ok(Some(p)) => !js_sys::Object::is(&p, &w),
        _ => false,
    }
}

/// Posts `{type: 'quantlens:height', height, id}` to the parent window now and whenever the
/// page's height changes (ResizeObserver on <body>), so a host can size the iframe to fit.
/// Returns the posting function (it skips a height already posted), for other moments to call.
fn post_heights(id: Option<String>) -> Option<Rc<dyn Fn()>> {
    let window = web_sys::window()?;
    let body = window.document().and_then(|d| d.body())?;
    let last = Rc::new(Cell::new(-1.0f64));
    let measured = body.clone();
    let post = move || {
        let height = measured.get_bounding_client_rect().height().ceil();
        if height <= 0.0 || height == last.get() {
            return;
        }
        last.set(height);
        let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
            return;
        };
        let msg = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&msg, &JsValue::from_str(k), &v);
        let _ = set("type", JsValue::from_str("quantlens:height"));
        let _ = set("height", JsValue::from_f64(height));
        if let Some(id) = &id {
            let _ = set("id", JsValue::from_str(id));
        }
        let _ = parent.post_message(&msg, "*");
    };
    let post: Rc<dyn Fn()> = Rc::new(post);
    let observed = post.clone();
    let on_resize = Closure::<dyn Fn()>::new(move || observed());
    if let Ok(observer) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
        // The observer reports the first size as soon as it starts: that is the "on load" message.
        observer.observe(&body);
        std::mem::forget(observer);
    }
    on_resize.forget();
    Some(post)
}

/// Copies `text` to the clipboard; where the clipboard is not available (a sandboxed frame, an
/// old browser) the text in `area` is selected for the user to copy. Returns what happened.
async fn copy(text: String, area: Option<web_sys::HtmlTextAreaElement>) -> &'static str {
    // A browser may hold the clipboard promise open (a permission prompt, a headless browser):
    // after 1.5 s the text is selected instead, so the button always answers.
    let written = match clipboard_write(&text) {
        Some(p) => {
            let late = js_sys::Promise::new(&mut |_, reject| {
                if let Some(w) = web_sys::window() {
                    let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&reject, 1500);
                }
            });
            let first = js_sys::Promise::race(&js_sys::Array::of2(&p, &late));
            wasm_bindgen_futures::JsFuture::from(first).await.is_ok()
        }
        None => false,
    };
    if written {
        return "Copied to the clipboard.";
    }
    if let Some(a) = area {
        let _ = a.focus();
        a.select();
        // The older copy command works in some frames where the clipboard API does not.
        if exec_copy() {
            return "Copied to the clipboard.";
        }
    }
    "The clipboard is not available here: the text is selected, press Ctrl+C (⌘C on a Mac) to copy it."
}

fn clipboard_write(text: &str) -> Option<js_sys::Promise> {
    let nav = web_sys::window()?.navigator();
    let clip = js_sys::Reflect::get(&nav, &JsValue::from_str("clipboard")).ok()?;
    if clip.is_undefined() || clip.is_null() {
        return None;
    }
    let write: js_sys::Function = js_sys::Reflect::get(&clip, &JsValue::from_str("writeText"))
        .ok()?
        .dyn_into()
        .ok()?;
    write
        .call1(&clip, &JsValue::from_str(text))
        .ok()?
        .dyn_into()
        .ok()
}

fn exec_copy() -> bool {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    js_sys::Reflect::get(&doc, &JsValue::from_str("execCommand"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call1(&doc, &JsValue::from_str("copy")).ok())
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

/// Default height of the iframe in the embed code: the widget is about 2100 px tall at 800 px wide; hosts that
/// listen to the height messages resize it.
const EMBED_HEIGHT: u32 = 2100;

/// A readonly text box with a copy button and a line that says whether the copy worked.
#[component]
fn CopyBox(
    /// The box's label.
    label: &'static str,
    /// Element id of the text box (its label points at it).
    id: &'static str,
    /// The text (reactive).
    text: Signal<String>,
    rows: u32,
) -> impl IntoView {
    let area = NodeRef::<Textarea>::new();
    let status = RwSignal::new("");
    let on_copy = move |_| {
        let t = text.get_untracked();
        let a = area.get_untracked();
        status.set("Copying…");
        leptos::task::spawn_local(async move {
            status.set(copy(t, a).await);
        });
    };
    view! {
        <div class="copy-box">
            <label for=id>{label}</label>
            <textarea id=id data-testid=id node_ref=area readonly rows=rows prop:value=move || text.get()
                on:focus=move |ev| {
                    if let Some(t) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                        t.select();
                    }
                }></textarea>
            <div class="row">
                <button type="button" data-testid=format!("{id}-copy") on:click=on_copy>"Copy"</button>
                <span class="hint" role="status" aria-live="polite">{move || status.get()}</span>
            </div>
        </div>
    }
}

/// Share, embed, export and theme: a toolbar under the controls. In embed mode it also links to
/// the full view of the same state.
#[component]
pub fn ShareBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let shell = expect_context::<Shell>();
    let open = RwSignal::new(false);
    let embed = shell.embed;
    let view_now = move |embed_flag: bool| current_view(state, embed_flag, None);
    let full_link = Signal::derive(move || match view_now(false) {
        Some(v) => format!("{}?{}", page_base(), v.full_view().to_query()),
        None => page_base(),
    });
    let embed_code = Signal::derive(move || {
        let Some(v) = view_now(true) else {
            return String::new();
        };
        let what = match state.current.get().map(|c| c.source.clone()) {
            Some(Source::Sample(s)) => format!("{} {}", s.model, s.layer),
            _ => "a weight tensor".to_string(),
        };
        let title = format!("quantlens: per-tensor vs per-channel quantization of {what}");
        share::iframe_snippet(
            &format!("{}?{}", page_base(), v.to_query()),
            &title,
            EMBED_HEIGHT,
        )
    });
    let is_upload = move || {
        matches!(
            state.current.get().map(|c| c.source.clone()),
            Some(Source::Upload(_))
        )
    };
    view! {
        <section class="sharebar" aria-label="Share and export">
            {embed.then(|| view! {
                <a class="full-view" data-testid="open-full-view" href=move || full_link.get() target="_blank" rel="noopener">
                    "Open full view ↗"
                </a>
            })}
            <button type="button" data-testid="share-toggle" aria-expanded=move || open.get().to_string()
                aria-controls="share-panel" on:click=move |_| open.update(|o| *o = !*o)>
                "Link & embed code"
            </button>
            <super::exports::ExportButtons />
            {(!embed).then(|| view! { <ThemePicker /> })}
        </section>
        <div id="share-panel" class="share-panel" hidden=move || !open.get()>
            {move || is_upload().then(|| view! {
                <p class="hint">"Your own file is not part of the link (it never leaves your browser): whoever opens the link sees the default sample with your scheme and theme."</p>
            })}
            <CopyBox label="Link to this view" id="share-link" text=full_link rows=2 />
            <CopyBox label="Embed code (an iframe; see docs/EMBEDDING.md for auto-height)" id="embed-code" text=embed_code rows=4 />
        </div>
    }
}

/// Light, dark, or the system's choice.
#[component]
fn ThemePicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <div class="field inline">
            <label for="theme-select">"Theme"</label>
            <select id="theme-select" data-testid="theme-select"
                prop:value=move || state.theme.get().id()
                on:change=move |ev| {
                    if let Some(t) = Theme::from_id(&event_target_value(&ev)) {
                        state.theme.set(t);
                    }
                }>
                <option value="auto">"auto (system)"</option>
                <option value="light">"light"</option>
                <option value="dark">"dark"</option>
            </select>
        </div>
    }
}

/// Parameters of the link that were ignored: visible, and out of the way until dismissed.
#[component]
pub fn LinkNotices() -> impl IntoView {
    let shell = expect_context::<Shell>();
    let notices = shell.notices;
    move || {
        let list = notices.get();
        (!list.is_empty()).then(|| {
            view! {
                <div class="status notice" role="status" data-testid="link-notice">
                    <ul>{list.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                    <button class="dismiss" aria-label="Dismiss" on:click=move |_| notices.set(Vec::new())>"×"</button>
                </div>
            }
        })
    }
}
