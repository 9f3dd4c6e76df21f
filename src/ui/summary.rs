//! What the tensor is, and the numbers of both schemes side by side.

use leptos::prelude::*;

use super::state::{AppState, Source};
use crate::engine::Report;
use crate::format;

/// One line about the tensor: origin, shape, dtype, channel count, and anything to be aware of.
#[component]
pub fn TensorInfo() -> impl IntoView {
    let state = expect_context::<AppState>();
    let report = move || state.report.get().and_then(|r| r.ok());
    view! {
        {move || state.current.get().map(|cur| {
            let (origin, detail) = match &cur.source {
                Source::Sample(s) => (format!("{} · {}", s.model, s.layer), format!("{} · licence {}", s.kind, s.license)),
                Source::Upload(u) => (
                    match &cur.member {
                        Some(m) => format!("Your file: {} · {m}", u.name),
                        None => format!("Your file: {}", u.name),
                    },
                    format!("{} {} read in this page; nothing was uploaded", format::bytes(u.size), u.container.name()),
                ),
            };
            let shape = format::shape(cur.tensor.shape());
            let n = format::count(cur.tensor.len());
            let dtype = cur.dtype.clone();
            let notes = cur.notes.clone();
            view! {
                <section class="info" aria-label="Tensor">
                    <div class="origin" data-testid="tensor-origin">{origin}</div>
                    <div class="facts">
                        <span>{detail}</span>
                        <span>"shape " <b data-testid="tensor-shape">{shape}</b></span>
                        <span>{n} " values"</span>
                        <span>{dtype}</span>
                        <span>
                            <b data-testid="channel-count">{move || report().map(|r| r.channels.len().to_string()).unwrap_or_default()}</b>
                            {move || report().map(|r| match r.axis {
                                Some(a) => format!(
                                    " {} along axis {a}, {} each",
                                    if r.channels.len() == 1 { "channel" } else { "channels" },
                                    format::plural(r.layout.channel_len(), "value", "values")
                                ),
                                None => " channel: a 0-d tensor has no axis, so per-channel equals per-tensor".to_string(),
                            })}
                        </span>
                    </div>
                    <ul class="notes">
                        {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                        {move || report().map(|r| warnings(&r).into_iter().map(|w| view! { <li class="warn">{w}</li> }).collect_view())}
                    </ul>
                </section>
            }
        })}
    }
}

/// Facts about the data a user must see: non-finite values, all-zero channels.
fn warnings(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if r.nonfinite() > 0 {
        out.push(format!(
            "{} non-finite values (NaN or ±inf) were excluded from ranges and errors",
            format::count(r.nonfinite())
        ));
    }
    let none = r.channels_without_finite();
    if none > 0 {
        out.push(format!(
            "{} no finite values: scale 1, zero point 0, and no error to measure",
            format::plural(none, "channel has", "channels have")
        ));
    }
    if r.shape.len() == 1 && r.channels.len() > 1 {
        out.push(
            "a 1-D tensor (such as a bias) has one value per channel along axis 0, so per-channel quantization is exact: per-tensor is the view that matters here"
                .to_string(),
        );
    }
    let zeros = r.zero_channels();
    if zeros > 0 {
        let first: Vec<String> = r
            .channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_all_zero())
            .take(5)
            .map(|(i, _)| i.to_string())
            .collect();
        out.push(format!(
            "{} (channel {}{}): a zero range has no scale, so scale 1, zero point 0 (ONNX Runtime's rule), and they quantize exactly",
            format::plural(zeros, "all-zero channel", "all-zero channels"),
            first.join(", "),
            if zeros > 5 { ", …" } else { "" }
        ));
    }
    let tiny = r
        .channels
        .iter()
        .filter(|c| c.params.degenerate && c.has_finite() && !c.is_all_zero())
        .count();
    if tiny > 0 {
        out.push(format!(
            "{} a range too small for a float32 scale (below 1.2e-38 per step, subnormal values): scale 1, zero point 0 (ONNX Runtime's rule), so every value rounds to 0",
            format::plural(tiny, "channel has", "channels have")
        ));
    }
    out
}

/// Both schemes' numbers in one table, with the headline ratio.
#[component]
pub fn Summary() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        {move || match state.report.get() {
            None => None,
            Some(Err(e)) => Some(view! { <section class="summary"><p class="status error" role="alert">{e}</p></section> }.into_any()),
            Some(Ok(r)) => Some(summary_table(&r, state.channel.get()).into_any()),
        }}
    }
}

fn summary_table(r: &Report, selected: usize) -> impl IntoView {
    let pt = r.per_tensor;
    let pc = r.per_channel;
    let (smin, smax) = r.channels.iter().filter(|c| !c.params.degenerate).fold(
        (f64::INFINITY, 0.0f64),
        |(lo, hi), c| {
            (
                lo.min(f64::from(c.params.scale)),
                hi.max(f64::from(c.params.scale)),
            )
        },
    );
    let channel_scales = if smax > 0.0 {
        format!(
            "{} scales, {} … {}",
            r.channels.len(),
            format::number(smin),
            format::number(smax)
        )
    } else {
        format!("{} scales", r.channels.len())
    };
    let zp = |v: i32| v.to_string();
    let (zmin, zmax) = r.channels.iter().fold((i32::MAX, i32::MIN), |(lo, hi), c| {
        (lo.min(c.params.zero_point), hi.max(c.params.zero_point))
    });
    let channel_zps = if zmin == zmax {
        format!("{zmin} (all)")
    } else {
        format!("{zmin} … {zmax}")
    };
    let n = r.element_count() as u64;
    let meta_t = 8u64; // one float32 scale + one zero point (stored as int32 in ONNX: 4 bytes)
    let meta_c = 8u64 * r.channels.len() as u64;
    let headline = headline(r);
    let sel = r.channels.get(selected).map(|c| {
        if !c.has_finite() {
            return view! {
                <p class="selected-line" data-testid="selected-channel">
                    {format!("Channel {selected} has no finite values: nothing to quantize")}
                </p>
            }
            .into_any();
        }
        view! {
            <p class="selected-line" data-testid="selected-channel">
                {format!("Channel {selected}: range [{}, {}]", format::number(f64::from(c.range.min)), format::number(f64::from(c.range.max)))}
                " · MSQE "
                <span class="per-tensor">{format!("{} per-tensor", format::number(c.msqe_per_tensor()))}</span>
                " vs "
                <span class="per-channel">{format!("{} with its own scale {}", format::number(c.msqe_per_channel()), format::number(f64::from(c.params.scale)))}</span>
            </p>
        }
        .into_any()
    });
    view! {
        <section class="summary" aria-label="Summary">
            <p class="headline" data-testid="headline" data-value=r.improvement().map(|x| x.to_string()).unwrap_or_default()>{headline}</p>
            <table>
                <thead>
                    <tr><th></th><th class="per-tensor">"per-tensor"</th><th class="per-channel">"per-channel"</th></tr>
                </thead>
                <tbody>
                    <tr><th>"MSQE"</th>
                        <td data-testid="msqe-per-tensor" data-value=pt.msqe.to_string()>{format::number(pt.msqe)}</td>
                        <td data-testid="msqe-per-channel" data-value=pc.msqe.to_string()>{format::number(pc.msqe)}</td></tr>
                    <tr><th>"SQNR"</th>
                        <td data-testid="sqnr-per-tensor" data-value=pt.sqnr_db.map(|v| v.to_string()).unwrap_or_default()>{format::db(pt.sqnr_db)}</td>
                        <td data-testid="sqnr-per-channel" data-value=pc.sqnr_db.map(|v| v.to_string()).unwrap_or_default()>{format::db(pc.sqnr_db)}</td></tr>
                    <tr><th>"max |error|"</th>
                        <td data-testid="maxerr-per-tensor">{format::number(pt.max_abs_err)}</td>
                        <td data-testid="maxerr-per-channel">{format::number(pc.max_abs_err)}</td></tr>
                    <tr><th>"scale"</th>
                        <td data-testid="scale-per-tensor">{format::number(f64::from(r.tensor_params.scale))}</td>
                        <td>{channel_scales}</td></tr>
                    <tr><th>"zero point"</th><td>{zp(r.tensor_params.zero_point)}</td><td>{channel_zps}</td></tr>
                    <tr><th title="float32 scale + int32 zero point per granule">"scales + zero points"</th>
                        <td>{format!("{} ({} of codes)", format::bytes(meta_t), percent(meta_t, n))}</td>
                        <td>{format!("{} ({} of codes)", format::bytes(meta_c), percent(meta_c, n))}</td></tr>
                </tbody>
            </table>
            {sel}
        </section>
    }
}

/// The one-sentence answer: how much better (or not) per-channel is on this tensor.
fn headline(r: &Report) -> String {
    let (pt, pc) = (r.per_tensor.msqe, r.per_channel.msqe);
    if r.channels.len() == 1 {
        return "One channel along this axis: per-channel is the same as per-tensor".to_string();
    }
    match (pt > 0.0, pc > 0.0) {
        (false, false) => "Both schemes quantize this tensor exactly".to_string(),
        (true, false) => {
            "Per-channel quantizes this tensor exactly; per-tensor does not".to_string()
        }
        (false, true) => {
            "Per-tensor happens to quantize this tensor exactly; per-channel does not".to_string()
        }
        (true, true) => {
            let x = pt / pc;
            if (x - 1.0).abs() < 0.005 {
                "Per-channel and per-tensor give the same error here".to_string()
            } else if x < 1.0 {
                format!(
                    "Per-channel error is {} higher here (a finer grid can land worse by chance)",
                    format::times(Some(1.0 / x))
                )
            } else {
                format!("Per-channel error is {} lower", format::times(Some(x)))
            }
        }
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".to_string();
    }
    format!("{}%", format::sig(100.0 * part as f64 / whole as f64, 3))
}
