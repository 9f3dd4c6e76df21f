//! The page, or its analysis worker: a panic hook (so a bug shows in the console instead of dying
//! silently), then the app or the worker's message loop.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    // The same module is the page and its analysis worker (see quantlens::worker).
    if quantlens::worker::in_worker() {
        quantlens::worker::start();
    } else {
        quantlens::ui::mount();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("quantlens is a web app: run `make serve` and open http://127.0.0.1:8080");
}
