//! The four charts: canvases drawn by [`crate::plots`] at device resolution.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use super::state::AppState;
use crate::plots::{self, ChannelAxis, PlotResult, Style};

type Area = DrawingArea<CanvasBackend, Shift>;

#[component]
pub fn Charts() -> impl IntoView {
    let state = expect_context::<AppState>();
    let report = move || state.report.get().and_then(|r| r.ok());
    view! {
        <section class="charts" aria-label="Charts">
            <Chart
                title="Ranges per channel"
                help="Each bar is one channel's min..max. The dashed orange lines are the one range per-tensor quantization must cover; the blue shading is each channel's own range under per-channel. Click a channel to inspect it."
                testid="chart-ranges"
                clickable=true
                draw=move |area: &Area, style: &Style| match report() {
                    Some(r) => plots::draw_channel_ranges(area, &r, state.channel.get(), style).map(Some),
                    None => Ok(None),
                }
            />
            <Chart
                title="MSQE per channel (log)"
                help="Error of every channel under the per-tensor scale (orange), its own scale (blue) and its groups' scales (green). Narrow channels lose most under one shared scale."
                testid="chart-msqe"
                clickable=true
                draw=move |area: &Area, style: &Style| match report() {
                    Some(r) => plots::draw_channel_msqe(area, &r, state.channel.get(), style).map(Some),
                    None => Ok(None),
                }
            />
            <Chart
                title="Whole tensor"
                help="Histogram of every value (log counts, so rare outliers show). Per-tensor quantization spreads its 255 levels over the dashed range, set by the extremes."
                testid="chart-tensor-hist"
                clickable=false
                draw=move |area: &Area, style: &Style| match report() {
                    Some(r) => plots::draw_tensor_histogram(area, &r, style).map(|_| None),
                    None => Ok(None),
                }
            />
            <Chart
                title="Selected channel"
                help="The selected channel's values with its own range (blue) and the per-tensor range (orange). Orange ticks are the per-tensor levels. The bars at the bottom are the clipping range each range method picks for this channel. For small channels, each value (◆) is shown with where it lands under per-tensor (orange), its own scale (blue) and its group's scale (green)."
                testid="chart-channel-hist"
                clickable=false
                draw=move |area: &Area, style: &Style| {
                    match (report(), state.channel_view.get()) {
                        (Some(r), Some(v)) => plots::draw_channel_histogram(area, &r, &v, style).map(|_| None),
                        _ => Ok(None),
                    }
                }
            />
            <Chart
                title="Bit-width sweep"
                help="Total MSQE at 2 to 8 bits for per-tensor (orange), per-channel (blue) and per-group (green), everything else as set; dashed: the Δ²/12 model. Each bit removed multiplies the error by about 4 (6 dB) until clipping or empty levels dominate."
                testid="chart-sweep"
                clickable=false
                draw=move |area: &Area, style: &Style| match state.sweep.get() {
                    Some(points) => plots::draw_bit_sweep(area, &points, state.spec.get().bits, state.group_size.get(), style).map(|_| None),
                    None => Ok(None),
                }
            />
        </section>
    }
}

/// One chart: a title, a one-line explanation and a canvas sized to device pixels.
/// `draw` reads the signals it depends on, so the effect below redraws when they change.
#[component]
fn Chart<F>(
    title: &'static str,
    help: &'static str,
    testid: &'static str,
    clickable: bool,
    draw: F,
) -> impl IntoView
where
    F: Fn(&Area, &Style) -> PlotResult<Option<ChannelAxis>> + 'static,
{
    let state = expect_context::<AppState>();
    let canvas_ref = NodeRef::<Canvas>::new();
    // Where the channels were drawn, for clicks (not reactive: only read in the click handler).
    let hit = StoredValue::new(None::<ChannelAxis>);
    let failure = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        state.resized.track();
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let Some(style) = fit_to_device_pixels(&canvas) else {
            return;
        };
        let Some(backend) = CanvasBackend::with_canvas_object(canvas) else {
            return;
        };
        let area = backend.into_drawing_area();
        match draw(&area, &style).and_then(|axis| area.present().map(|_| axis).map_err(plots::err))
        {
            Ok(axis) => {
                hit.set_value(axis);
                failure.set(None);
            }
            Err(e) => failure.set(Some(e.to_string())),
        }
    });

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
    view! {
        <figure class="chart" class:clickable=clickable>
            <figcaption><h2>{title}</h2><p>{help}</p></figcaption>
            <canvas node_ref=canvas_ref data-testid=testid on:click=on_click role="img" aria-label=help></canvas>
            {move || failure.get().map(|e| view! { <p class="status error">{e}</p> })}
        </figure>
    }
}

/// Sizes the canvas backing store to its CSS size times the device pixel ratio.
fn fit_to_device_pixels(canvas: &web_sys::HtmlCanvasElement) -> Option<Style> {
    let dpr = web_sys::window()?.device_pixel_ratio();
    let (w, h) = (canvas.client_width(), canvas.client_height());
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
