//! The quantization scheme controls: a framework preset first, every detail on demand, and the
//! exact rules in use spelled out.

use leptos::prelude::*;

use super::state::{AppState, DEFAULT_PERCENTILE};
use crate::engine::range::RangeMethod;
use crate::engine::spec::{
    matching_preset, preset, Convention, Granularity, QuantSpec, Rounding, GROUP_SIZES, MAX_BITS,
    MAX_GROUP_SIZE, MIN_BITS, PRESETS,
};

const CUSTOM: &str = "custom";

/// The method's name in the picker (without the percentile's value, which has its own field).
fn method_name(m: RangeMethod) -> &'static str {
    match m {
        RangeMethod::Percentile(_) => "percentile",
        RangeMethod::MinMax => "min–max",
        RangeMethod::Mse => "MSE search",
        RangeMethod::Entropy => "entropy (KL)",
        RangeMethod::Aciq(crate::engine::range::AciqPrior::Laplace) => "ACIQ · Laplace",
        RangeMethod::Aciq(crate::engine::range::AciqPrior::Gaussian) => "ACIQ · Gaussian",
    }
}

/// Preset first: one choice sets every control; "custom" once any detail differs.
#[component]
pub fn PresetPicker() -> impl IntoView {
    let state = expect_context::<AppState>();
    let current = move || {
        matching_preset(&state.spec.get(), state.group_size.get())
            .map(|p| p.id)
            .unwrap_or(CUSTOM)
    };
    view! {
        <div class="field wide">
            <label for="preset-select">"Framework preset"</label>
            <select id="preset-select" data-testid="preset-select"
                prop:value=current
                on:change=move |ev| {
                    if let Some(p) = preset(&event_target_value(&ev)) {
                        state.apply_preset(p);
                    }
                }>
                {PRESETS.iter().map(|p| view! { <option value=p.id title=p.summary>{p.name}</option> }).collect_view()}
                <option value=CUSTOM disabled=true>"custom (details changed)"</option>
            </select>
            <span class="hint" data-testid="preset-summary">{move || {
                let s = state.spec.get();
                match matching_preset(&s, state.group_size.get()) {
                    Some(p) => p.summary.to_string(),
                    None => format!("custom: {}, {} arithmetic", s.label(), s.convention.name()),
                }
            }}</span>
        </div>
    }
}

/// Every detail of the scheme, folded away until asked for, plus the exact rules in use.
#[component]
pub fn SchemeDetails() -> impl IntoView {
    let state = expect_context::<AppState>();
    let set = move |f: &dyn Fn(&mut QuantSpec)| state.spec.update(|s| f(s));
    let rank = move || state.current.get().map(|c| c.rank()).unwrap_or(0);
    let percent_error = RwSignal::new(None::<String>);
    let group_error = RwSignal::new(None::<String>);
    view! {
        <details class="scheme-details wide" data-testid="scheme-details">
            <summary>"Scheme details: bits, grid, rounding, range method, groups"</summary>
            <div class="detail-grid">
                <div class="field">
                    <label for="bits-select">"Bits"</label>
                    <select id="bits-select" data-testid="bits-select"
                        prop:value=move || state.spec.get().bits.to_string()
                        on:change=move |ev| { if let Ok(b) = event_target_value(&ev).parse::<u32>() {
                            set(&|s| s.bits = b.clamp(MIN_BITS, MAX_BITS));
                        } }>
                        {(MIN_BITS..=MAX_BITS).map(|b| view! { <option value=b.to_string()>{b.to_string()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="signed-select">"Integer type"</label>
                    <select id="signed-select" data-testid="signed-select"
                        prop:value=move || if state.spec.get().signed { "signed" } else { "unsigned" }
                        on:change=move |ev| {
                            let signed = event_target_value(&ev) == "signed";
                            set(&|s| s.signed = signed);
                        }>
                        <option value="signed">"signed (int)"</option>
                        <option value="unsigned">"unsigned (uint)"</option>
                    </select>
                </div>
                <Check id="symmetric" label="symmetric (zero point at the centre)"
                    get=Signal::derive(move || state.spec.get().symmetric)
                    put=move |v| set(&|s| s.symmetric = v) />
                <Check id="narrow" label="narrow grid (drop one extreme code)"
                    get=Signal::derive(move || state.spec.get().narrow)
                    put=move |v| set(&|s| s.narrow = v) />
                <Check id="reduce-range" label="reduce_range (one bit fewer)"
                    get=Signal::derive(move || state.spec.get().reduce_range)
                    put=move |v| set(&|s| s.reduce_range = v) />
                <div class="field">
                    <label for="rounding-select">"Rounding of ties"</label>
                    <select id="rounding-select" data-testid="rounding-select"
                        prop:value=move || state.spec.get().rounding.id()
                        on:change=move |ev| { if let Some(r) = Rounding::from_id(&event_target_value(&ev)) {
                            set(&|s| s.rounding = r);
                        } }>
                        {Rounding::ALL.into_iter().map(|r| view! { <option value=r.id()>{r.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="convention-select">"Scale arithmetic of"</label>
                    <select id="convention-select" data-testid="convention-select"
                        prop:value=move || state.spec.get().convention.id()
                        on:change=move |ev| { if let Some(c) = Convention::from_id(&event_target_value(&ev)) {
                            set(&|s| s.convention = c);
                        } }>
                        {Convention::ALL.into_iter().map(|c| view! { <option value=c.id()>{c.name()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="method-select">"Range method"</label>
                    <select id="method-select" data-testid="method-select"
                        prop:value=move || state.method.get().id()
                        on:change=move |ev| { if let Some(m) = RangeMethod::from_id(&event_target_value(&ev), DEFAULT_PERCENTILE) {
                            percent_error.set(None);
                            state.method.set(m);
                        } }>
                        {RangeMethod::all(DEFAULT_PERCENTILE).into_iter().map(|m| view! { <option value=m.id() title=m.describe()>{method_name(m)}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="percentile-input">"Percentile p"</label>
                    <input id="percentile-input" data-testid="percentile-input" type="number"
                        min="50" max="100" step="0.001" list="percentiles"
                        prop:disabled=move || !matches!(state.method.get(), RangeMethod::Percentile(_))
                        prop:value=move || match state.method.get() {
                            RangeMethod::Percentile(p) => p.to_string(),
                            _ => DEFAULT_PERCENTILE.to_string(),
                        }
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            match text.trim().parse::<f64>() {
                                Ok(p) if (50.0..=100.0).contains(&p) => {
                                    percent_error.set(None);
                                    state.method.set(RangeMethod::Percentile(p));
                                }
                                _ if text.trim().is_empty() => percent_error.set(Some(
                                    "expected a percentile between 50 and 100, found an empty field".to_string(),
                                )),
                                _ => percent_error.set(Some(format!(
                                    "expected a percentile between 50 and 100, found \"{}\"", text.trim()
                                ))),
                            }
                        } />
                    <datalist id="percentiles">
                        <option value="99.9"></option><option value="99.99"></option><option value="99.999"></option>
                    </datalist>
                    {move || percent_error.get().map(|e| view! { <span class="hint error" role="alert">{e}</span> })}
                </div>
                <div class="field">
                    <label for="group-size-input">"Group size"</label>
                    <input id="group-size-input" data-testid="group-size-input" type="number" min="1" step="1"
                        list="group-sizes"
                        prop:value=move || state.group_size.get().to_string()
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            match text.trim().parse::<usize>() {
                                Ok(g) if (1..=MAX_GROUP_SIZE).contains(&g) => {
                                    group_error.set(None);
                                    state.group_size.set(g);
                                }
                                _ if text.trim().is_empty() => group_error.set(Some(format!(
                                    "expected a whole number of elements from 1 to {MAX_GROUP_SIZE}, found an empty field"
                                ))),
                                _ => group_error.set(Some(format!(
                                    "expected a whole number of elements from 1 to {MAX_GROUP_SIZE}, found \"{}\"", text.trim()
                                ))),
                            }
                        } />
                    <datalist id="group-sizes">
                        {GROUP_SIZES.iter().map(|g| view! { <option value=g.to_string()></option> }).collect_view()}
                    </datalist>
                    {move || group_error.get().map(|e| view! { <span class="hint error" role="alert">{e}</span> })}
                </div>
                <div class="field">
                    <label for="group-axis-select">"Groups run along"</label>
                    <select id="group-axis-select" data-testid="group-axis-select"
                        prop:value=move || state.group_axis.get().map(|a| a.to_string()).unwrap_or_else(|| "auto".into())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            state.group_axis.set(v.parse::<usize>().ok());
                        }>
                        <option value="auto">"whole rows (other axes flattened)"</option>
                        {move || {
                            let channel_axis = state.axis.get();
                            (0..rank()).filter(|&a| a != channel_axis).map(|a| view! {
                                <option value=a.to_string()>{format!("axis {a}")}</option>
                            }).collect_view()
                        }}
                    </select>
                </div>
            </div>
        </details>
        <Rules />
    }
}

#[component]
fn Check(
    id: &'static str,
    label: &'static str,
    get: Signal<bool>,
    put: impl Fn(bool) + 'static,
) -> impl IntoView {
    let input_id = format!("{id}-check");
    view! {
        <div class="field check">
            <input type="checkbox" id=input_id.clone() data-testid=input_id.clone()
                prop:checked=move || get.get()
                on:change=move |ev| put(event_target_checked(&ev)) />
            <label for=input_id>{label}</label>
        </div>
    }
}

/// The exact rules of the convention in use, the grid, the rounding and the range method.
#[component]
fn Rules() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <details class="rules wide" data-testid="rules">
            <summary>{move || {
                let s = state.spec.get();
                let (qmin, qmax) = s.quantizer_range();
                let (smin, smax) = s.saturation_range();
                let who = if s.own_rule() {
                    s.convention.name().to_string()
                } else {
                    format!("{} (ONNX Runtime's rule for this grid)", s.convention.name())
                };
                format!(
                    "Rules in use: {who} · grid [{qmin}, {qmax}], saturating at [{smin}, {smax}] · {} · {}",
                    s.rounding.label(),
                    state.method.get().label()
                )
            }}</summary>
            {move || {
                let s = state.spec.get();
                let focus = state.focus.get();
                view! {
                    <ul>
                        {(!s.own_rule()).then(|| view! {
                            <li class="warn" data-testid="rule-fallback">{format!(
                                "{} defines no rule for {} {} grids: the scale and zero point below follow ONNX Runtime's rule",
                                s.convention.name(),
                                if s.symmetric { "symmetric" } else { "asymmetric" },
                                if s.signed { "signed" } else { "unsigned" },
                            )}</li>
                        })}
                        {s.rule_convention().rules().iter().map(|r| view! { <li>{*r}</li> }).collect_view()}
                        {(s.rounding != s.convention.default_rounding()).then(|| view! {
                            <li class="warn">{format!("rounding changed to {} ({} rounds {})", s.rounding.label(), s.convention.name(), s.convention.default_rounding().label())}</li>
                        })}
                        <li>{format!("range method, {}: {}", state.method.get().label(), state.method.get().describe())}</li>
                        <li>{format!("{} is what this preset deploys; all three granularities are measured side by side", focus_label(focus, state.group_size.get()))}</li>
                    </ul>
                    <p class="hint">"Sources: " {s.rule_convention().sources()}</p>
                }
            }}
        </details>
    }
}

pub fn focus_label(g: Granularity, group: usize) -> String {
    match g {
        Granularity::PerGroup => format!("per-group ({group})"),
        g => g.label().to_string(),
    }
}
