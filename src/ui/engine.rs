//! The page's handle on the analysis service ([`crate::service`]): a Web Worker running this same
//! module, so the page never blocks while a tensor is decoded or analysed. The worker is started
//! from a `blob:` copy of the page's own loader script (set up at build time by
//! `scripts/sandbox-hook.mjs`, which leaves `globalThis.__quantlensWorker = {module, url}`), so it
//! also starts inside a sandboxed iframe with an opaque origin, without `SharedArrayBuffer` or
//! cross-origin isolation. Where no worker can start, the same service runs on the page.
//!
//! Requests are tagged with an id; each answer goes to the callback given with its request, and
//! progress reports go to the same callback before it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::service::{self, Pending, Request, Response};
use crate::worker::{self, Payload, Runner};

type Callback = Box<dyn FnMut(u64, Response)>;

enum Backend {
    /// Started; requests wait in `backlog` until it says it is ready.
    Starting(web_sys::Worker),
    Worker(web_sys::Worker),
    Inline(Rc<Runner>),
}

struct Client {
    backend: Backend,
    next_id: u64,
    callbacks: HashMap<u64, Callback>,
    backlog: Vec<(u64, Vec<u8>, Option<Payload>)>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

/// Where the analysis runs: `"worker"` or `"page"` (shown to tests as `data-engine` on `<body>`).
pub fn kind() -> &'static str {
    CLIENT.with(|c| match c.borrow().as_ref().map(|c| &c.backend) {
        Some(Backend::Inline(_)) => "page",
        _ => "worker",
    })
}

/// Starts the worker (or the service on the page). Call once, before [`send`].
pub fn start() {
    let backend = match spawn_worker() {
        Ok(w) => Backend::Starting(w),
        Err(e) => {
            web_sys::console::warn_1(&JsValue::from_str(&format!(
                "quantlens: analysis runs on the page ({e})"
            )));
            inline_backend()
        }
    };
    CLIENT.with(|c| {
        *c.borrow_mut() = Some(Client {
            backend,
            next_id: 1,
            callbacks: HashMap::new(),
            backlog: Vec::new(),
        })
    });
    mark_body();
}

fn mark_body() {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-engine", kind());
    }
}

fn spawn_worker() -> Result<web_sys::Worker, String> {
    let global = js_sys::global();
    let boot = js_sys::Reflect::get(&global, &"__quantlensWorker".into())
        .ok()
        .filter(|v| v.is_object())
        .ok_or("the loader left no worker script")?;
    let url = js_sys::Reflect::get(&boot, &"url".into())
        .ok()
        .and_then(|u| u.as_string())
        .ok_or("the loader left no worker URL")?;
    let module = js_sys::Reflect::get(&boot, &"module".into())
        .ok()
        .filter(|m| m.is_object())
        .ok_or("the loader left no compiled module")?;
    // Classic, not a module worker: Chromium starts no module worker in an opaque origin.
    let options = web_sys::WorkerOptions::new();
    options.set_name("quantlens analysis");
    let w = web_sys::Worker::new_with_options(&url, &options).map_err(worker::js_error)?;
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_worker_message);
    w.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| {
        let what = e
            .dyn_ref::<web_sys::ErrorEvent>()
            .map(|e| e.message())
            .unwrap_or_else(|| "it could not start".to_string());
        fall_back(&what);
    });
    w.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    let init = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&init, &"module".into(), &module);
    w.post_message(&init).map_err(worker::js_error)?;
    // A worker that never says it is ready (blocked without an error event) must not hold the
    // requests back for ever: after a while the page does the work itself.
    if let Some(window) = web_sys::window() {
        let late = Closure::once_into_js(|| fall_back("it did not start within 20 s"));
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(late.unchecked_ref(), 20_000);
    }
    Ok(w)
}

fn inline_backend() -> Backend {
    Backend::Inline(Runner::new(Box::new(|id, r: &Response| {
        // The runner answers from inside its own task: deliver on a fresh one, as a worker would.
        let r = r.clone();
        wasm_bindgen_futures::spawn_local(async move { deliver(id, r) });
    })))
}

/// The worker failed before it was ready: run on the page and replay what was asked.
fn fall_back(why: &str) {
    let replay = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.as_mut()?;
        if !matches!(c.backend, Backend::Starting(_)) {
            return None;
        }
        if let Backend::Starting(w) = &c.backend {
            w.terminate();
        }
        c.backend = inline_backend();
        Some(std::mem::take(&mut c.backlog))
    });
    let Some(replay) = replay else {
        return; // already running (or already fallen back)
    };
    web_sys::console::warn_1(&JsValue::from_str(&format!(
        "quantlens: the analysis worker failed ({why}); analysis runs on the page"
    )));
    mark_body();
    for (id, body, payload) in replay {
        dispatch(id, body, payload);
    }
}

fn on_worker_message(e: web_sys::MessageEvent) {
    let data = e.data();
    if let Some(why) = js_sys::Reflect::get(&data, &"failed".into())
        .ok()
        .and_then(|v| v.as_string())
    {
        fall_back(&why);
        return;
    }
    if js_sys::Reflect::get(&data, &"ready".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false)
    {
        let backlog = CLIENT.with(|c| {
            let mut c = c.borrow_mut();
            let c = c.as_mut()?;
            if let Backend::Starting(w) = &c.backend {
                c.backend = Backend::Worker(w.clone());
            }
            Some(std::mem::take(&mut c.backlog))
        });
        for (id, body, payload) in backlog.into_iter().flatten() {
            dispatch(id, body, payload);
        }
        return;
    }
    let Some((id, body, _)) = worker::unpack(&data) else {
        return;
    };
    match service::decode::<Response>(&body) {
        Ok(r) => deliver(id, r),
        Err(e) => web_sys::console::error_1(&JsValue::from_str(&e)),
    }
}

/// Hands an answer to its request's callback (kept for progress reports, dropped after the answer).
fn deliver(id: u64, r: Response) {
    let progress = matches!(r, Response::Progress(_));
    let cb = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.as_mut()?;
        c.callbacks.remove(&id)
    });
    let Some(mut cb) = cb else {
        return;
    };
    cb(id, r);
    let idle = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(c) = c.as_mut() else {
            return true;
        };
        if progress {
            c.callbacks.entry(id).or_insert(cb);
        }
        c.callbacks.is_empty()
    });
    if idle {
        mark_busy(false);
    }
}

/// `data-busy` on `<body>` while any request is unanswered, and `data-asked`, the id asked last:
/// tests and benchmarks wait for every request asked after a change to be answered.
fn mark_busy(busy: bool) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = if busy {
            body.set_attribute("data-busy", "")
        } else {
            body.remove_attribute("data-busy")
        };
    }
}

/// The id of the request sent last (0 before any).
pub fn last_id() -> u64 {
    CLIENT.with(|c| c.borrow().as_ref().map(|c| c.next_id - 1).unwrap_or(0))
}

/// Sends `request` (with a file's bytes or the file itself); `on_answer` gets the progress reports
/// and the answer. Returns the request's id (ids grow: a larger one was asked later).
pub fn send(
    request: &Request,
    payload: Option<Payload>,
    on_answer: impl FnMut(u64, Response) + 'static,
) -> u64 {
    let body = match service::encode(request) {
        Ok(b) => b,
        Err(e) => {
            web_sys::console::error_1(&JsValue::from_str(&e));
            return 0;
        }
    };
    let id = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(c) = c.as_mut() else {
            return 0;
        };
        let id = c.next_id;
        c.next_id += 1;
        c.callbacks.insert(id, Box::new(on_answer));
        id
    });
    if id == 0 {
        return 0;
    }
    mark_busy(true);
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-asked", &id.to_string());
    }
    dispatch(id, body, payload);
    id
}

fn dispatch(id: u64, body: Vec<u8>, payload: Option<Payload>) {
    enum To {
        Worker(web_sys::Worker),
        Inline(Rc<Runner>),
        Held,
    }
    let to = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.as_mut()?;
        Some(match &c.backend {
            Backend::Worker(w) => To::Worker(w.clone()),
            Backend::Inline(r) => To::Inline(r.clone()),
            Backend::Starting(_) => To::Held,
        })
    });
    match to {
        Some(To::Worker(w)) => {
            let (msg, transfer) = worker::message(id, &body, payload.as_ref());
            if let Err(e) = w.post_message_with_transfer(&msg, &transfer) {
                web_sys::console::error_1(&e);
            }
        }
        Some(To::Inline(r)) => match service::decode::<Request>(&body) {
            Ok(request) => r.submit(Pending {
                id,
                request,
                bytes: payload,
            }),
            Err(e) => web_sys::console::error_1(&JsValue::from_str(&e)),
        },
        Some(To::Held) => CLIENT.with(|c| {
            if let Some(c) = c.borrow_mut().as_mut() {
                c.backlog.push((id, body, payload));
            }
        }),
        None => {}
    }
}
