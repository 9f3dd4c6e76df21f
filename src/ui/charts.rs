//! The five charts: canvases drawn by [`crate::plots`] at device resolution.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use super::exports;
use super::state::AppState;
use crate::plots::{self, ChannelAxis, ChartKind, Style};

#[component]
pub fn Charts() -> impl IntoView {
    view! {
        <section class="charts" aria-label="Charts">
            <Chart
                title="Ranges per channel"
                help="Each bar is one channel's min..max. The dashed orange lines are the one range per-tensor quantization must cover; the blue shading is each channel's own range under per-channel. Click a channel to inspect it."
                testid="chart-ranges"
                kind=ChartKind::Ranges
            />
            <Chart
                title="MSQE per channel (log)"
                help="Error of every channel under the per-tensor scale (orange), its own scale (blue) and its groups' scales (green). Narrow channels lose most under one shared scale."
                testid="chart-msqe"
                kind=ChartKind::Msqe
            />
            <Chart
                title="Whole tensor"
                help="Histogram of every value (log counts, so rare outliers show). Per-tensor quantization spreads its 255 levels over the dashed range, set by the extremes."
                testid="chart-tensor-hist"
                kind=ChartKind::TensorHistogram
            />
            <Chart
                title="Selected channel"
                help="The selected channel's values with its own range (blue) and the per-tensor range (orange). Orange ticks are the per-tensor levels. The bars at the bottom are the clipping range each range method picks for this channel. For small channels, each value (◆) is shown with where it lands under per-tensor (orange), its own scale (blue) and its group's scale (green)."
                testid="chart-channel-hist"
                kind=ChartKind::ChannelHistogram
            />
            <Chart
                title="Bit-width sweep"
                help="Total MSQE at 2 to 8 bits for per-tensor (orange), per-channel (blue) and per-group (green), everything else as set; dashed: the Δ²/12 model. Each bit removed multiplies the error by about 4 (6 dB) until clipping or empty levels dominate."
                testid="chart-sweep"
                kind=ChartKind::Sweep
            />
        </section>
    }
}

/// One chart: a title, a one-line explanation, a canvas sized to device pixels, its key numbers as
/// text for screen readers, and PNG / SVG downloads. The Effect below redraws when the report,
/// the selection, the theme or the size changes.
#[component]
fn Chart(
    title: &'static str,
    help: &'static str,
    testid: &'static str,
    kind: ChartKind,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let canvas_ref = NodeRef::<Canvas>::new();
    // Where the channels were drawn, for clicks (not reactive: only read in the click handler).
    let hit = StoredValue::new(None::<ChannelAxis>);
    let failure = RwSignal::new(None::<String>);
    let clickable = kind.clickable();
    let report = move || state.report.get().and_then(|r| r.ok());

    // The canvas's CSS size, kept by a ResizeObserver (read once at mount): drawing never asks the
    // layout for it, which after the DOM changes would force a synchronous layout per chart.
    let size = RwSignal::new((0, 0));
    Effect::new(move |_| {
        if let Some(canvas) = canvas_ref.get() {
            size.set((canvas.client_width(), canvas.client_height()));
            watch_size(&canvas, size);
        }
    });

    // Drawing is deferred to a task of its own per chart (coalesced: one draw however many of its
    // inputs changed), so the answer that changes every chart never becomes one long main-thread
    // task, and the page paints between charts. `data-drawing` on <body> says draws are pending.
    let draw = move || {
        let (w, h) = size.get_untracked();
        let dark = untrack(|| state.dark());
        let Some(canvas) = canvas_ref.get_untracked() else {
            return;
        };
        let Some(r) = state.report.get_untracked().and_then(|r| r.ok()) else {
            // No analysis yet (a new tensor is on its way): an empty chart, not the last tensor's.
            canvas.set_width(canvas.width());
            return;
        };
        let Some(style) = fit_to_device_pixels(&canvas, w, h) else {
            return;
        };
        let Some(backend) = CanvasBackend::with_canvas_object(canvas) else {
            return;
        };
        let view = if kind == ChartKind::ChannelHistogram {
            state.channel_view.get_untracked()
        } else {
            None
        };
        let sweep = if kind == ChartKind::Sweep {
            state.sweep.get_untracked()
        } else {
            None
        };
        let area = backend.into_drawing_area();
        let style = style.with_dark(dark);
        let drawn = plots::draw_chart(
            kind,
            &area,
            &r,
            state.channel.get_untracked(),
            view.as_deref(),
            sweep.as_deref().map(|v| v.as_slice()),
            &style,
        )
        .and_then(|axis| area.present().map(|_| axis).map_err(plots::err));
        match drawn {
            Ok(axis) => {
                let _ = hit.try_set_value(axis);
                let _ = failure.try_set(None);
            }
            Err(e) => {
                let _ = failure.try_set(Some(e.to_string()));
            }
        }
    };
    let scheduled = StoredValue::new(false);
    Effect::new(move |_| {
        // What this chart shows: a new channel view redraws the selected channel's chart alone,
        // the sweep its own chart, the selected channel the two per-channel charts.
        size.track();
        state.dark();
        state.report.track();
        match kind {
            ChartKind::ChannelHistogram => state.channel_view.track(),
            ChartKind::Sweep => state.sweep.track(),
            ChartKind::Ranges | ChartKind::Msqe => state.channel.track(),
            ChartKind::TensorHistogram => {}
        }
        if scheduled.get_value() {
            return;
        }
        scheduled.set_value(true);
        drawing(1);
        set_timeout(
            move || {
                if scheduled.try_set_value(false).is_none() {
                    draw();
                }
                drawing(-1);
            },
            std::time::Duration::ZERO,
        );
    });

    let description = move || {
        report()
            .map(|r| {
                let sweep = if kind == ChartKind::Sweep { state.sweep.get() } else { None };
                let text = plots::describe(kind, &r, state.channel.get(), state.channel_view.get().as_deref(), sweep.as_deref().map(|v| v.as_slice()));
                if clickable {
                    format!("{text} Click a channel, or use the arrow keys here or the Channel field, to select one.")
                } else {
                    text
                }
            })
            .unwrap_or_default()
    };

    let on_click = move |ev: leptos::ev::MouseEvent| {
        if !clickable {
            return;
        }
        let dpr = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .unwrap_or(1.0);
        let (x, y) = (
            f64::from(ev.offset_x()) * dpr,
            f64::from(ev.offset_y()) * dpr,
        );
        if let Some(c) = hit.get_value().and_then(|a| a.channel_at(x, y)) {
            state.channel.set(c);
        }
    };
    // The keyboard equivalent of clicking: arrows step, Page keys jump by a tenth, Home / End.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if !clickable {
            return;
        }
        let n = report().map(|r| r.channels.len()).unwrap_or(0);
        if n == 0 {
            return;
        }
        let c = state.channel.get_untracked();
        let page = (n / 10).max(1);
        let next = match ev.key().as_str() {
            "ArrowLeft" | "ArrowDown" => c.saturating_sub(1),
            "ArrowRight" | "ArrowUp" => c + 1,
            "PageDown" => c.saturating_sub(page),
            "PageUp" => c + page,
            "Home" => 0,
            "End" => n - 1,
            _ => return,
        };
        ev.prevent_default();
        state.channel.set(next.min(n - 1));
    };

    let download_png = move |_| {
        if let Some(canvas) = canvas_ref.get_untracked() {
            let name = chart_file(state, kind, "png");
            let _ = exports::download_png(&canvas, name);
        }
    };
    let download_svg = move |_| {
        let Some(canvas) = canvas_ref.get_untracked() else {
            return;
        };
        let Some(r) = state.report.get_untracked().and_then(|r| r.ok()) else {
            return;
        };
        let size = (
            canvas.client_width().max(320) as u32,
            canvas.client_height().max(200) as u32,
        );
        let style = Style::new(1.0).with_dark(state.dark());
        let view = state.channel_view.get_untracked();
        let sweep = state.sweep.get_untracked();
        let result = plots::svg(
            kind,
            &r,
            state.channel.get_untracked(),
            view.as_deref(),
            sweep.as_deref().map(|v| v.as_slice()),
            &style,
            size,
        )
        .map_err(|e| e.to_string())
        .and_then(|svg| {
            exports::download_bytes(
                svg.as_bytes(),
                "image/svg+xml",
                &chart_file(state, kind, "svg"),
            )
        });
        failure.set(result.err());
    };
    let desc_id = format!("{testid}-text");
    view! {
        <figure class="chart" class:clickable=clickable>
            <figcaption>
                <div class="chart-head">
                    <h2>{title}</h2>
                    <span class="chart-downloads" role="group" aria-label=format!("Download {title}")>
                        <button type="button" class="small" data-testid=format!("{testid}-png") on:click=download_png
                            aria-label=format!("Download {title} as PNG")>"PNG"</button>
                        <button type="button" class="small" data-testid=format!("{testid}-svg") on:click=download_svg
                            aria-label=format!("Download {title} as SVG")>"SVG"</button>
                    </span>
                </div>
                <p>{help}</p>
            </figcaption>
            <canvas node_ref=canvas_ref data-testid=testid on:click=on_click on:keydown=on_key
                role="img" aria-label=title aria-describedby=desc_id.clone()
                tabindex=if clickable { Some("0") } else { None }
                aria-controls=if clickable { Some("channel-input") } else { None }></canvas>
            <p class="visually-hidden" id=desc_id data-testid=format!("{testid}-text") aria-live="off">{description}</p>
            {move || failure.get().map(|e| view! { <p class="status error">{e}</p> })}
        </figure>
    }
}

/// A chart's download name, e.g. `quantlens_silero_vad__conv1_sym-int8_axis0_ranges.svg`.
fn chart_file(state: AppState, kind: ChartKind, ext: &str) -> String {
    let stem = exports::with_meta(state, crate::export::file_stem)
        .unwrap_or_else(|| "quantlens".to_string());
    format!("{stem}_{}.{ext}", kind.slug())
}

/// Counts chart draws waiting for their task, shown as `data-drawing` on `<body>` while any are
/// (tests and benchmarks wait for it to go).
fn drawing(delta: i32) {
    thread_local! {
        static PENDING: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
    }
    let n = PENDING.with(|p| {
        p.set((p.get() + delta).max(0));
        p.get()
    });
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = if n > 0 {
            body.set_attribute("data-drawing", "")
        } else {
            body.remove_attribute("data-drawing")
        };
    }
}

/// Keeps `size` at the canvas's content-box size (CSS pixels) as layout changes it.
fn watch_size(canvas: &web_sys::HtmlCanvasElement, size: RwSignal<(i32, i32)>) {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let Ok(entry) = entries.get(0).dyn_into::<web_sys::ResizeObserverEntry>() else {
            return;
        };
        let rect = entry.content_rect();
        let next = (rect.width().round() as i32, rect.height().round() as i32);
        if size.get_untracked() != next {
            size.set(next);
        }
    });
    if let Ok(observer) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
        observer.observe(canvas);
    }
    // The chart lives as long as the page.
    on_resize.forget();
}

/// Sizes the canvas backing store to its CSS size (`w` × `h`) times the device pixel ratio.
fn fit_to_device_pixels(canvas: &web_sys::HtmlCanvasElement, w: i32, h: i32) -> Option<Style> {
    let dpr = web_sys::window()?.device_pixel_ratio();
    if w <= 0 || h <= 0 {
        return None;
    }
    let style = Style::new(dpr);
    let (pw, ph) = (
        (f64::from(w) * style.scale).round() as u32,
        (f64::from(h) * style.scale).round() as u32,
    );
    if canvas.width() != pw {
        canvas.set_width(pw);
    }
    if canvas.height() != ph {
        canvas.set_height(ph);
    }
    Some(style)
}
