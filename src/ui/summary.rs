//! What the tensor is, and the numbers of the three granularities side by side.

use leptos::prelude::*;

use super::state::{AppState, Source};
use crate::engine::analysis::{ParamSpan, SchemeSummary};
use crate::engine::spec::Granularity;
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
            let shape = format::shape(&cur.shape);
            let n = format::plural(cur.len(), "value", "values");
            let dtype = cur.dtype.clone();
            let memory = cur.memory_bytes;
            let (read_ms, decode_ms) = (cur.read_ms, cur.decode_ms);
            let notes = cur.notes.clone();
            view! {
                <section class="info" aria-label="Tensor" data-testid="tensor-info"
                    data-worker-memory=memory.to_string() data-read-ms=read_ms.to_string() data-decode-ms=decode_ms.to_string()>
                    <div class="origin" data-testid="tensor-origin">{origin}</div>
                    <div class="facts">
                        <span>{detail}</span>
                        <span>"shape " <b data-testid="tensor-shape">{shape}</b></span>
                        <span>{n}</span>
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
            "{} no finite values: {}, and no error to measure",
            format::plural(none, "channel has", "channels have"),
            r.spec.rule_convention().zero_range_rule()
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
            "{} (channel {}{}): a zero range has no scale, so {}, and they quantize exactly",
            format::plural(zeros, "all-zero channel", "all-zero channels"),
            first.join(", "),
            if zeros > 5 { ", …" } else { "" },
            r.spec.rule_convention().zero_range_rule()
        ));
    }
    let tiny = r
        .channels
        .iter()
        .filter(|c| c.params.degenerate && c.has_finite() && !c.is_all_zero())
        .count();
    if tiny > 0 {
        out.push(format!(
            "{} a range too small for a float32 scale (below 1.2e-38 per step, subnormal values): {}",
            format::plural(tiny, "channel has", "channels have"),
            r.spec.rule_convention().zero_range_rule()
        ));
    }
    out
}

/// The three granularities' numbers in one table, with the headline ratio.
#[component]
pub fn Summary() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        {move || match state.report.get() {
            None => None,
            Some(Err(e)) => Some(view! { <section class="summary"><p class="status error" role="alert">{e}</p></section> }.into_any()),
            Some(Ok(r)) => Some(summary_table(&r, state.channel.get(), state.focus.get()).into_any()),
        }}
    }
}

/// `min … max` of the granules' scales (or the one value), skipping the fallback ones.
fn scale_span(span: ParamSpan) -> String {
    match span.scale {
        None => format!(
            "{} (fallback)",
            format::plural(span.count, "scale", "scales")
        ),
        Some((lo, hi)) if span.count == 1 || lo == hi => format::number(f64::from(lo)),
        Some((lo, hi)) => format!(
            "{} … {}",
            format::number(f64::from(lo)),
            format::number(f64::from(hi))
        ),
    }
}

fn zp_span(span: ParamSpan) -> String {
    match span.zero_point {
        None => String::new(),
        Some((lo, hi)) if lo == hi => lo.to_string(),
        Some((lo, hi)) => format!("{lo} … {hi}"),
    }
}

fn summary_table(r: &Report, selected: usize, focus: Granularity) -> impl IntoView {
    let cols = [
        (Granularity::PerTensor, "tensor", "per-tensor".to_string()),
        (
            Granularity::PerChannel,
            "channel",
            "per-channel".to_string(),
        ),
        (
            Granularity::PerGroup,
            "group",
            format!("per-group of {}", r.group.size),
        ),
    ];
    let n = r.element_count();
    let spans = [
        ParamSpan::of([r.tensor_params]),
        ParamSpan::of(r.channels.iter().map(|c| c.params)),
        r.group_span,
    ];
    let scales = spans.map(scale_span);
    let zps = spans.map(zp_span);
    // One row: a header with an explanation, and a cell per granularity.
    let row = |label: &'static str,
               title: &'static str,
               key: &'static str,
               cell: &dyn Fn(usize, &SchemeSummary) -> (String, String)| {
        let cells = cols
            .iter()
            .enumerate()
            .map(|(i, (g, id, _))| {
                let (text, value) = cell(i, r.summary(*g));
                view! {
                    <td class=format!("per-{id}") class:focus=*g == focus
                        data-testid=format!("{key}-per-{id}") data-value=value>{text}</td>
                }
            })
            .collect_view();
        view! { <tr><th scope="row" title=title>{label}</th>{cells}</tr> }
    };
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
                " · "
                <span class="per-channel">{format!("{} with its own scale {}", format::number(c.msqe_per_channel()), format::number(f64::from(c.params.scale)))}</span>
                " · "
                <span class="per-group">{format!("{} in {}", format::number(c.msqe_per_group()), format::plural(c.groups.len(), "group", "groups"))}</span>
            </p>
        }
        .into_any()
    });
    let num = |v: f64| (format::number(v), v.to_string());
    view! {
        <section class="summary" aria-label="Summary">
            <p class="headline" data-testid="headline" data-value=r.improvement().map(|x| x.to_string()).unwrap_or_default()>{headline}</p>
            <div class="table-scroll">
            <table>
                <thead>
                    <tr><th></th>
                        {cols.iter().map(|(g, id, label)| view! {
                            <th scope="col" class=format!("per-{id}") class:focus=*g == focus>{label.clone()}</th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {row("MSQE", "mean of (x − x̂)² over finite values, in float64", "msqe", &|_, s| num(s.msqe))}
                    {row("Δ²/12 model", "the uniform-noise model: each granule's step squared over 12, averaged; close to MSQE when nothing is clipped", "model", &|_, s| num(s.model_msqe))}
                    {row("SQNR", "10·log10(Σx² / Σ(x − x̂)²)", "sqnr", &|_, s| (format::db(s.sqnr_db), s.sqnr_db.map(|v| v.to_string()).unwrap_or_default()))}
                    {row("max |error|", "largest |x − x̂|", "maxerr", &|_, s| num(s.max_abs_err))}
                    {row("cosine similarity", "Σxx̂ / √(Σx² Σx̂²)", "cosine", &|_, s| (format!("{:.7}", s.cosine), s.cosine.to_string()))}
                    {row("clipped", "values outside the range the method chose for their granule", "clipped", &|_, s| (format!("{} ({})", format::count(s.clipped), percent_f(s.clipped_fraction())), s.clipped_fraction().to_string()))}
                    {row("levels used", "distinct integer codes per granule, averaged (weighted by values); effective bits = log2", "levels", &|_, s| (format!("{} · {} bits", format::sig(s.levels, 4), format::sig(s.effective_bits, 3)), s.effective_bits.to_string()))}
                    {row("scales", "granules and the spread of their scales", "scales", &|i, s| (format!("{} · {}", format::count(s.granules), scales[i]), s.granules.to_string()))}
                    {row("zero points", "the zero points in use", "zp", &|i, _| (zps[i].clone(), zps[i].clone()))}
                    {row("storage", "codes + scales + zero points; compression vs float32; metadata overhead", "storage", &|_, s| (
                        format!("{} · {}× · {} meta", format::bytes(s.storage.total().round() as u64), format::sig(s.storage.compression(n), 3), percent_f(s.storage.overhead_percent() / 100.0)),
                        s.storage.total().to_string()
                    ))}
                </tbody>
            </table>
            </div>
            {sel}
        </section>
    }
}

fn percent_f(fraction: f64) -> String {
    format!("{}%", format::sig(100.0 * fraction, 3))
}

/// The one-sentence answer: how much better (or not) per-channel is on this tensor, and what
/// per-group adds.
fn headline(r: &Report) -> String {
    let first = channel_headline(r);
    let (pc, pg) = (r.per_channel.msqe, r.per_group.msqe);
    if r.group_count <= r.channels.len() || pc <= 0.0 || pg <= 0.0 {
        return first;
    }
    let x = pc / pg;
    if (x - 1.0).abs() < 0.005 {
        format!("{first}; groups of {} add nothing here", r.group.size)
    } else if x > 1.0 {
        format!(
            "{first}; groups of {} lower it another {}",
            r.group.size,
            format::times(Some(x))
        )
    } else {
        format!(
            "{first}; groups of {} raise it {} (their grids land worse by chance)",
            r.group.size,
            format::times(Some(1.0 / x))
        )
    }
}

fn channel_headline(r: &Report) -> String {
    let (pt, pc) = (r.per_tensor.msqe, r.per_channel.msqe);
    if r.per_tensor.sums.count == 0 {
        return "No finite values in this tensor: there is nothing to quantize or measure"
            .to_string();
    }
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
