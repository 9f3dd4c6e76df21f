//! The Web Worker's side of [`crate::service`]: messages in, answers out, one request at a time,
//! newest first (see [`Queue`]). This same module runs on the page and in the worker: `main`
//! calls [`start`] when it finds itself in a worker scope. [`Runner`] is also what the page uses
//! when no worker can start, so both paths answer alike.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::formats::FileBytes;
use crate::service::{self, Begun, Job, Pending, Queue, Request, Response, Service};

/// What may travel with a request: a file's bytes, or the file itself (read where it is used).
pub enum Payload {
    Buffer(js_sys::ArrayBuffer),
    File(web_sys::File),
}

/// True when this module runs in a dedicated worker.
pub fn in_worker() -> bool {
    js_sys::global()
        .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
        .is_ok()
}

/// A JS exception as text.
pub fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// How a runner sends an answer (or a progress report) for a request id.
pub type Post = Box<dyn Fn(u64, &Response)>;

/// The service and its queue, and how answers are sent.
pub struct Runner {
    service: RefCell<Service>,
    queue: RefCell<Queue<Payload>>,
    running: RefCell<bool>,
    post: Post,
}

impl Runner {
    pub fn new(post: Post) -> Rc<Runner> {
        Rc::new(Runner {
            service: RefCell::new(Service::new()),
            queue: RefCell::new(Queue::default()),
            running: RefCell::new(false),
            post,
        })
    }

    /// Queues a request (dropping the older one of its kind) and makes sure the queue is served.
    pub fn submit(self: &Rc<Self>, p: Pending<Payload>) {
        let dropped = self.queue.borrow_mut().push(p);
        for id in dropped {
            (self.post)(id, &Response::Superseded);
        }
        if self.running.replace(true) {
            return;
        }
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            me.serve().await;
            *me.running.borrow_mut() = false;
        });
    }

    async fn serve(&self) {
        loop {
            // Let messages that arrived meanwhile in first: they may make queued work stale.
            yield_to_events().await;
            let Some(Pending { id, request, bytes }) = self.queue.borrow_mut().pop() else {
                return;
            };
            let started = js_sys::Date::now();
            let bytes = match bytes {
                None => None,
                Some(Payload::Buffer(b)) => {
                    let view = js_sys::Uint8Array::new(&b);
                    let len = view.length() as usize;
                    let Some(mut file) = FileBytes::with_capacity(len) else {
                        let e =
                            format!("the browser could not set aside {len} bytes for this file");
                        (self.post)(id, &Response::Opened(Err(e)));
                        continue;
                    };
                    view.copy_to(file.grow(len));
                    Some(file)
                }
                Some(Payload::File(f)) => {
                    let progress = throttled(started, |x| (self.post)(id, &Response::Progress(x)));
                    match read_file(&f, progress).await {
                        Ok(b) => Some(b),
                        Err(e) => {
                            let label = match &request {
                                Request::Open { label, .. } => label.clone(),
                                _ => f.name(),
                            };
                            (self.post)(id, &Response::Opened(Err(format!("{label}: {e}"))));
                            continue;
                        }
                    }
                }
            };
            let read = js_sys::Date::now();
            let post = &self.post;
            let mut progress = throttled(started, |x| post(id, &Response::Progress(x)));
            let begun = self.service.borrow_mut().begin(request);
            let mut response = match begun {
                Begun::NotAJob(request) => {
                    self.service
                        .borrow_mut()
                        .handle(request, bytes, &mut progress)
                }
                Begun::Answer(r) => r,
                Begun::Job(job) => match self.slices(job, &mut progress).await {
                    Some(r) => r,
                    None => {
                        post(id, &Response::Superseded);
                        continue;
                    }
                },
            };
            if let Response::Opened(Ok(info)) = &mut response {
                info.memory_bytes = memory_bytes();
                info.read_ms = read - started;
                info.decode_ms = js_sys::Date::now() - read;
            }
            post(id, &response);
        }
    }
}

impl Runner {
    /// Runs a long request in slices of about [`SLICE_MS`], letting messages in between; `None`
    /// when a request that arrived meanwhile made it stale (it is then dropped unfinished).
    async fn slices(&self, mut job: Job, progress: &mut dyn FnMut(f64)) -> Option<Response> {
        loop {
            let slice_start = js_sys::Date::now();
            let mut budget = || js_sys::Date::now() - slice_start < SLICE_MS;
            match self.service.borrow_mut().resume(job, progress, &mut budget) {
                Ok(r) => return Some(r),
                Err(j) => job = j,
            }
            yield_now().await;
            if self.queue.borrow().any(|w| job.made_stale_by(w)) {
                return None;
            }
        }
    }
}

/// How long an analysis runs before the worker looks at its messages: a stale analysis is dropped
/// within about this long of the newer request, at a cost of one message round per slice.
const SLICE_MS: f64 = 12.0;

/// Resolves on the next task (a message through a MessageChannel: unlike a zero timeout it is not
/// clamped to 4 ms when chained), so messages that arrived meanwhile are delivered first.
async fn yield_now() {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        return yield_to_events().await;
    };
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        channel.port1().set_onmessage(Some(&resolve));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = JsFuture::from(promise).await;
    channel.port1().set_onmessage(None);
}

/// Progress reports worth a message: none in the first 100 ms of a request (a quick one shows no
/// progress bar), then at most one per 1 % and 20 ms.
fn throttled(started: f64, mut post: impl FnMut(f64)) -> impl FnMut(f64) {
    let mut last = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    move |x| {
        let now = js_sys::Date::now();
        if now - started >= 100.0 && x - last.0 >= 0.01 && now - last.1 >= 20.0 {
            last = (x, now);
            post(x);
        }
    }
}

/// The size of this module's linear memory.
fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map(|b| b.byte_length() as u64)
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// Resolves on a later turn of the event loop (a zero-delay timeout), so queued messages are
/// delivered before the next request is taken.
async fn yield_to_events() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from(0));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Reads a whole file chunk by chunk into memory, calling `progress(fraction)` as it goes.
pub async fn read_file(
    file: &web_sys::File,
    mut progress: impl FnMut(f64),
) -> Result<FileBytes, String> {
    let total = file.size();
    let mut out = FileBytes::with_capacity(total as usize).ok_or_else(|| {
        format!(
            "the browser could not set aside {} bytes for this file",
            total as u64
        )
    })?;
    // In the worker: synchronous reads of 16 MiB slices, straight into the buffer (a 256 MB file
    // in 16 reads, where the stream below takes thousands of 64 KiB chunks, each a promise).
    if in_worker() {
        if let Ok(sync) = web_sys::FileReaderSync::new() {
            const SLICE: f64 = 16.0 * 1024.0 * 1024.0;
            let mut at = 0.0;
            while at < total {
                let end = (at + SLICE).min(total);
                let part = file.slice_with_f64_and_f64(at, end).map_err(js_error)?;
                let buf = sync.read_as_array_buffer(&part).map_err(js_error)?;
                let view = js_sys::Uint8Array::new(&buf);
                view.copy_to(out.grow(view.length() as usize));
                at = end;
                progress(at / total);
            }
            return Ok(out);
        }
    }
    let reader: web_sys::ReadableStreamDefaultReader = file.stream().get_reader().unchecked_into();
    let mut reported = 0.0;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(js_error)?;
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
            .map(|v| v.is_truthy())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")).map_err(js_error)?;
        let bytes: js_sys::Uint8Array = value
            .dyn_into()
            .map_err(|_| "the file stream gave no bytes".to_string())?;
        bytes.copy_to(out.grow(bytes.length() as usize));
        let f = if total > 0.0 {
            out.len() as f64 / total
        } else {
            1.0
        };
        if f - reported >= 0.01 || f >= 1.0 {
            reported = f;
            progress(f);
        }
    }
    Ok(out)
}

/// A message as it crosses: `{id, body}` (postcard bytes) plus, for requests, `payload`.
pub fn message(id: u64, body: &[u8], payload: Option<&Payload>) -> (js_sys::Object, js_sys::Array) {
    let msg = js_sys::Object::new();
    let transfer = js_sys::Array::new();
    let body = js_sys::Uint8Array::from(body);
    let _ = js_sys::Reflect::set(&msg, &"id".into(), &JsValue::from(id as f64));
    let _ = js_sys::Reflect::set(&msg, &"body".into(), &body);
    transfer.push(&body.buffer());
    match payload {
        Some(Payload::Buffer(b)) => {
            let _ = js_sys::Reflect::set(&msg, &"payload".into(), b);
            transfer.push(b);
        }
        Some(Payload::File(f)) => {
            let _ = js_sys::Reflect::set(&msg, &"payload".into(), f);
        }
        None => {}
    }
    (msg, transfer)
}

/// `{id, body, payload}` back into its parts.
pub fn unpack(data: &JsValue) -> Option<(u64, Vec<u8>, Option<Payload>)> {
    let id = js_sys::Reflect::get(data, &"id".into()).ok()?.as_f64()? as u64;
    let body: js_sys::Uint8Array = js_sys::Reflect::get(data, &"body".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let payload = js_sys::Reflect::get(data, &"payload".into())
        .ok()
        .and_then(|p| {
            if let Some(f) = p.dyn_ref::<web_sys::File>() {
                Some(Payload::File(f.clone()))
            } else {
                p.dyn_into::<js_sys::ArrayBuffer>()
                    .ok()
                    .map(Payload::Buffer)
            }
        });
    Some((id, body.to_vec(), payload))
}

/// The worker's entry: answer every request the page posts, then say so with `{ready: true}`.
pub fn start() {
    let Ok(scope) = js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>() else {
        return;
    };
    let out = scope.clone();
    let runner = Runner::new(Box::new(move |id, response| {
        let body = match service::encode(response) {
            Ok(b) => b,
            Err(e) => match service::encode(&Response::Report(Err(e))) {
                Ok(b) => b,
                Err(_) => return,
            },
        };
        let (msg, transfer) = message(id, &body, None);
        let _ = out.post_message_with_transfer(&msg, &transfer);
    }));
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Some((id, body, payload)) = unpack(&e.data()) else {
                return;
            };
            match service::decode::<Request>(&body) {
                Ok(request) => runner.submit(Pending {
                    id,
                    request,
                    bytes: payload,
                }),
                Err(e) => web_sys::console::error_1(&JsValue::from_str(&e)),
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let ready = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = scope.post_message(&ready);
}
