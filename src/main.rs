//! The page: a panic hook (so a bug shows in the console instead of dying silently) and the app.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    quantlens::ui::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("quantlens is a web app: run `make serve` and open http://127.0.0.1:8080");
}
