//! The controls: sample or file, preset and scheme details, channel axis, channel.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::scheme::{PresetPicker, SchemeDetails};
use super::state::{AppState, Source};
use crate::format;
use crate::samples::{self, SAMPLES};

const UPLOADED: &str = "__uploaded";

#[component]
pub fn Controls() -> impl IntoView {
    view! {
        <section class="controls" aria-label="Controls">
            <TensorPicker />
            <PresetPicker />
            <LayoutPicker />
            <AxisPicker />
            <ChannelPicker />
            <SchemeDetails />
        </section>
    }
}

/// The bundled samples (model · layer · shape) and the user's own `.npy`.
#[component]
fn TensorPicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    let selected = move || match state.current.get().map(|c| c.source.clone()) {
        Some(Source::Sample(s)) => s.id.to_string(),
        Some(Source::Upload(_)) => UPLOADED.to_string(),
        None => samples::DEFAULT_SAMPLE.to_string(),
    };
    let uploaded_name = move || match state.current.get().map(|c| c.source.clone()) {
        Some(Source::Upload(u)) => Some(u.name.clone()),
        _ => None,
    };
    let on_sample = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        if let Some(s) = samples::find(&id) {
            state.load_sample(s);
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        if let Some(input) = input {
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                state.load_file(file);
            }
            // Picking the same file again should load it again.
            input.set_value("");
        }
    };
    view! {
        <div class="field wide">
            <label for="sample-select">"Weight tensor"</label>
            <select id="sample-select" data-testid="sample-select" on:change=on_sample prop:value=selected>
                {SAMPLES.iter().map(|s| view! {
                    <option value=s.id>{format!("{} · {} · {}", s.model, short_layer(s.layer), format::shape(s.shape))}</option>
                }).collect_view()}
                {move || uploaded_name().map(|n| view! { <option value=UPLOADED>{format!("Your file: {n}")}</option> })}
            </select>
        </div>
        <div class="field">
            <label for="file-input">"…or open your own file"</label>
            <input id="file-input" data-testid="file-input" type="file" accept=".npy,.npz,.safetensors" on:change=on_file />
            <span class="hint">".npy, .npz, .safetensors — or drop one anywhere"</span>
        </div>
        <MemberPicker />
    }
}

/// The tensors inside an opened `.npz` / `.safetensors` file.
#[component]
fn MemberPicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    let members = move || match state.current.get().map(|c| c.source.clone()) {
        Some(Source::Upload(u)) if !u.members.is_empty() => Some(u.members.clone()),
        _ => None,
    };
    let selected = move || {
        state
            .current
            .get()
            .and_then(|c| c.member.clone())
            .unwrap_or_default()
    };
    move || {
        members().map(|ms| {
            view! {
                <div class="field wide">
                    <label for="member-select">{format!("Tensor in this file ({})", ms.len())}</label>
                    <select id="member-select" data-testid="member-select" prop:value=selected
                        on:change=move |ev| state.pick_member(&event_target_value(&ev))>
                        {ms.into_iter().map(|m| {
                            let label = format!("{} · {} · {}", m.name, m.dtype, format::shape(&m.shape));
                            let disabled = m.problem.is_some();
                            let title = m.problem.clone().unwrap_or_default();
                            view! { <option value=m.name.clone() disabled=disabled title=title>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
            }
        })
    }
}

/// Long derived layer names (the BN-folded sample) are cut for the picker, and marked so the two
/// samples of one layer are told apart; the info line has the whole name.
fn short_layer(layer: &str) -> String {
    match layer.split_once(" * ") {
        Some((base, _)) => format!("{base} (BatchNorm folded)"),
        None => layer.to_string(),
    }
}

/// Weight layouts and where their output channels are.
const LAYOUTS: &[(&str, &str, Layout)] = &[
    (
        "pt",
        "PyTorch Conv / Linear [out, in, …] — axis 0",
        Layout::Axis(0),
    ),
    (
        "pt-convt",
        "PyTorch ConvTranspose [in, out, …] — axis 1",
        Layout::Axis(1),
    ),
    (
        "tf",
        "TensorFlow / TFLite conv HWIO, depthwise — last axis",
        Layout::Last,
    ),
    (
        "onnx-matmul",
        "ONNX MatMul / Gemm B [in, out] — axis 1",
        Layout::Axis(1),
    ),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Axis(usize),
    Last,
}

impl Layout {
    fn axis(self, rank: usize) -> Option<usize> {
        match self {
            Layout::Axis(a) => (a < rank).then_some(a),
            Layout::Last => rank.checked_sub(1),
        }
    }
}

/// Layout presets set the channel axis in one click; "custom" when the axis matches none.
/// Several presets can give the same axis: the one picked last is remembered.
#[component]
fn LayoutPicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    let chosen = RwSignal::new("pt");
    let rank = move || state.current.get().map(|c| c.rank()).unwrap_or(0);
    let shown = move || {
        let (r, axis) = (rank(), state.axis.get());
        let matches = |id: &str| {
            LAYOUTS
                .iter()
                .any(|(i, _, l)| *i == id && l.axis(r) == Some(axis))
        };
        if matches(chosen.get()) {
            chosen.get()
        } else {
            LAYOUTS
                .iter()
                .find(|(_, _, l)| l.axis(r) == Some(axis))
                .map(|(i, _, _)| *i)
                .unwrap_or("custom")
        }
    };
    view! {
        <div class="field">
            <label for="layout-select">"Layout"</label>
            <select id="layout-select" data-testid="layout-select" prop:value=shown
                disabled=move || rank() == 0
                on:change=move |ev| {
                    let id = event_target_value(&ev);
                    if let Some((i, _, l)) = LAYOUTS.iter().find(|(i, _, _)| *i == id) {
                        if let Some(a) = l.axis(rank()) {
                            chosen.set(i);
                            state.axis.set(a);
                            state.select_default_channel();
                        }
                    }
                }>
                {move || {
                    let r = rank();
                    LAYOUTS.iter().map(|(id, label, l)| view! {
                        <option value=*id disabled=l.axis(r).is_none()>{*label}</option>
                    }).collect_view()
                }}
                <option value="custom" disabled=true>"custom axis"</option>
            </select>
        </div>
    }
}

#[component]
fn AxisPicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    let shape = move || {
        state
            .current
            .get()
            .map(|c| c.shape.clone())
            .unwrap_or_default()
    };
    view! {
        <div class="field">
            <label for="axis-select">"Channel axis"</label>
            <select id="axis-select" data-testid="axis-select"
                prop:value=move || state.axis.get().to_string()
                disabled=move || shape().is_empty()
                on:change=move |ev| {
                    if let Ok(a) = event_target_value(&ev).parse::<usize>() {
                        state.axis.set(a);
                        state.select_default_channel();
                    }
                }>
                {move || shape().is_empty().then(|| view! { <option value="0">"none: a 0-d tensor has no axes"</option> })}
                {move || {
                    let s = shape();
                    let rank = s.len() as isize;
                    s.into_iter().enumerate().map(|(i, d)| view! {
                        <option value=i.to_string()>{format!("axis {i} (= {}) · {}", i as isize - rank, format::plural(d, "channel", "channels"))}</option>
                    }).collect_view()
                }}
            </select>
        </div>
    }
}

/// Channel by number, step buttons, and jumps to the interesting ones.
#[component]
fn ChannelPicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    let count = move || {
        state
            .report
            .get()
            .and_then(|r| r.ok())
            .map(|r| r.channels.len())
            .unwrap_or(0)
    };
    let channel_error = RwSignal::new(None::<String>);
    let set = move |c: usize| {
        channel_error.set(None);
        let n = count();
        if n > 0 {
            state.channel.set(c.min(n - 1));
        }
    };
    let pick = move |widest: bool| {
        let r = state.report.get_untracked().and_then(|r| r.ok());
        if let Some(r) = r {
            let width = |i: usize| {
                let c = &r.channels[i];
                if c.has_finite() {
                    f64::from(c.range.max) - f64::from(c.range.min)
                } else {
                    0.0
                }
            };
            let idx = (0..r.channels.len()).filter(|&i| widest || width(i) > 0.0);
            let best = if widest {
                idx.max_by(|&a, &b| width(a).total_cmp(&width(b)))
            } else {
                idx.min_by(|&a, &b| width(a).total_cmp(&width(b)))
            };
            if let Some(b) = best {
                state.channel.set(b);
            }
        }
    };
    view! {
        <div class="field channel">
            <label for="channel-input">{move || format!("Channel (0–{})", count().saturating_sub(1))}</label>
            <div class="row">
                <button aria-label="Previous channel" on:click=move |_| set(state.channel.get_untracked().saturating_sub(1))>"◀"</button>
                <input id="channel-input" data-testid="channel-input" type="number" min="0"
                    max=move || count().saturating_sub(1).to_string()
                    prop:value=move || state.channel.get().to_string()
                    on:change=move |ev| {
                        // Any way of writing a whole number ("12", "1e3") selects that channel.
                        let text = event_target_value(&ev);
                        let typed = text.trim().parse::<f64>().ok();
                        let last = count().saturating_sub(1);
                        match typed.filter(|v| *v >= 0.0 && v.fract() == 0.0) {
                            Some(c) if c <= last as f64 => {
                                channel_error.set(None);
                                set(c as usize);
                            }
                            // Not a channel: say so, and put the current channel back in the box.
                            _ => {
                                let found = if text.trim().is_empty() {
                                    "an empty field".to_string()
                                } else {
                                    format!("\"{}\"", text.trim())
                                };
                                channel_error.set(Some(format!(
                                    "expected a channel number from 0 to {last}, found {found}"
                                )));
                                state.channel.update(|_| ());
                            }
                        }
                    } />
                <button aria-label="Next channel" on:click=move |_| set(state.channel.get_untracked() + 1)>"▶"</button>
                <button class="jump" on:click=move |_| pick(false) title="The channel with the smallest non-zero range">"narrowest"</button>
                <button class="jump" on:click=move |_| pick(true) title="The channel with the largest range">"widest"</button>
            </div>
            {move || channel_error.get().map(|e| view! { <span class="hint error" role="alert" data-testid="channel-error">{e}</span> })}
        </div>
    }
}
