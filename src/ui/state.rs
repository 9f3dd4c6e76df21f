//! App state shared through context, the two ways a tensor arrives (sample fetch, file upload),
//! and the Effects that ask the analysis worker for what the page shows.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;

use super::{engine, files};
use crate::engine::analysis::{ChannelView, Options, Report, SweepPoint};
use crate::engine::range::RangeMethod;
use crate::engine::spec::{Granularity, Preset, PRESETS};
use crate::engine::QuantSpec;
use crate::formats::{self, Container, Member};
use crate::samples::{self, Sample};
use crate::service::{Request, Response, TensorInfo};
use crate::share::Theme;
pub use crate::share::DEFAULT_PERCENTILE;
use crate::worker::Payload;

/// Where the tensor on screen came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Sample(&'static Sample),
    Upload(Arc<Upload>),
}

/// A file the user opened (its bytes stay in the analysis worker, which decoded them).
#[derive(Debug, PartialEq)]
pub struct Upload {
    pub name: String,
    /// File size in bytes.
    pub size: u64,
    pub container: Container,
    /// The tensors of a `.npz` / `.safetensors` file (empty for `.npy`).
    pub members: Vec<Member>,
}

/// The tensor under the lens, as the page knows it: its values live in the analysis worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub shape: Vec<usize>,
    pub source: Source,
    /// The tensor's name inside a multi-tensor file.
    pub member: Option<String>,
    pub dtype: String,
    pub notes: Vec<String>,
    /// The analysis worker's memory once it decoded the tensor (see [`TensorInfo::memory_bytes`]).
    pub memory_bytes: u64,
    /// How long the worker took to read and to decode the file, in ms.
    pub read_ms: f64,
    pub decode_ms: f64,
}

impl Current {
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Idle,
    /// What is loading and, for files, the fraction read so far.
    Loading(String, Option<f64>),
    Error(String),
}

/// Bytes of a file read first, to refuse what is too large or broken before reading the rest.
const HEAD_BYTES: f64 = 64.0 * 1024.0;

/// Signals shared by the components (small and `Copy`, handed out through context).
#[derive(Clone, Copy)]
pub struct AppState {
    pub current: RwSignal<Option<Arc<Current>>>,
    /// Bits, signedness, symmetry, grid, rounding and convention (a preset sets all of them).
    pub spec: RwSignal<QuantSpec>,
    /// How each granule's range is chosen.
    pub method: RwSignal<RangeMethod>,
    /// Group size and the axis groups run along (`None`: the default for the layout).
    pub group_size: RwSignal<usize>,
    pub group_axis: RwSignal<Option<usize>>,
    /// The granularity the chosen preset deploys (highlighted in the table).
    pub focus: RwSignal<Granularity>,
    /// Channel axis, normalized (`0..rank`).
    pub axis: RwSignal<usize>,
    pub channel: RwSignal<usize>,
    pub status: RwSignal<Status>,
    /// Bumped by every load that starts; a load that finishes after a newer one started is dropped,
    /// so the tensor shown is always the one picked last.
    pub generation: StoredValue<u64>,
    /// The analysis of the current tensor, as the worker last answered it. An Effect asks for a
    /// new one when the tensor, scheme or axis changes (not on channel selection or display
    /// options); an answer to a request older than the one shown is dropped.
    pub report: RwSignal<Option<Result<Arc<Report>, String>>>,
    /// The selected channel's histogram and values: asked for again on channel selection only.
    pub channel_view: RwSignal<Option<Arc<ChannelView>>>,
    /// Total MSQE at bits 2–8 for the three granularities (everything but the bit width as set).
    pub sweep: RwSignal<Option<Arc<Vec<SweepPoint>>>>,
    /// How far the running analysis has got, while it runs long enough to say.
    pub analysing: RwSignal<Option<f64>>,
    /// The theme picked (from the link or the theme control).
    pub theme: RwSignal<Theme>,
    /// The system's `prefers-color-scheme: dark`, for the `auto` theme (kept current by ui::share).
    pub system_dark: RwSignal<bool>,
    /// Axis and channel to show once a given load finishes (a link opened with `axis=` / `ch=`):
    /// `(load generation, axis, channel)`. Any other load ignores it.
    pending_view: StoredValue<Option<(u64, usize, Option<usize>)>>,
    /// A channel to select when the first report asked after request id `.0` arrives: `.1`, or
    /// (when `None` or out of range) the channel with the median range.
    pick_channel: StoredValue<Option<(u64, Option<usize>)>>,
    /// Request ids of the newest answers shown.
    shown: StoredValue<Shown>,
}

/// A performance mark when the first report arrives (the benchmark's "first paint").
fn mark_first_report() {
    static MARKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if MARKED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark("quantlens:first-report");
    }
}

/// Ids of the newest answers shown, per kind, so an older answer never replaces a newer one.
#[derive(Default, Clone, Copy)]
struct Shown {
    analyze_sent: u64,
    report: u64,
    channel: u64,
    sweep: u64,
    /// The channel view asked together with analysis `.0` (same tensor and axis as the report
    /// before it): `(analysis id, channel, percentile)`. The worker answers it right after the
    /// analysis, so the Effect that asks for views on a new report need not ask again.
    pipelined: Option<(u64, usize, f64)>,
    /// The tensor (by address) and axis of the last analysis asked.
    analysed: Option<(usize, usize)>,
}

/// The percentile the channel view compares (the method's own, or the default).
fn percentile_of(method: RangeMethod) -> f64 {
    match method {
        RangeMethod::Percentile(p) => p,
        _ => DEFAULT_PERCENTILE,
    }
}

/// Asks for channel `c`'s view; a newer answer is never replaced by an older one. Returns the id.
fn send_channel(state: AppState, c: usize, percentile: f64) -> u64 {
    let shown = state.shown;
    let request = Request::Channel {
        channel: c,
        percentile,
    };
    engine::send(&request, None, move |id, answer| {
        if let Response::Channel(v) = answer {
            if id > shown.with_value(|s| s.channel) {
                shown.update_value(|s| s.channel = id);
                state.channel_view.set(v.map(Arc::new));
            }
        }
    })
}

impl AppState {
    pub fn provide() -> AppState {
        engine::start();
        let current = RwSignal::new(None::<Arc<Current>>);
        let first = &PRESETS[0];
        let spec = RwSignal::new(first.spec);
        let method = RwSignal::new(RangeMethod::MinMax);
        let group_size = RwSignal::new(first.group_size);
        let group_axis = RwSignal::new(None::<usize>);
        let focus = RwSignal::new(first.granularity);
        let axis = RwSignal::new(0usize);
        let channel = RwSignal::new(0usize);
        let options = move || Options {
            spec: spec.get(),
            method: method.get(),
            group_size: group_size.get(),
            group_axis: group_axis.get(),
        };
        let state = AppState {
            current,
            spec,
            method,
            group_size,
            group_axis,
            focus,
            axis,
            channel,
            status: RwSignal::new(Status::Idle),
            generation: StoredValue::new(0),
            report: RwSignal::new(None),
            channel_view: RwSignal::new(None),
            sweep: RwSignal::new(None),
            analysing: RwSignal::new(None),
            theme: RwSignal::new(Theme::Auto),
            system_dark: RwSignal::new(false),
            pending_view: StoredValue::new(None),
            pick_channel: StoredValue::new(None),
            shown: StoredValue::new(Shown::default()),
        };
        let shown = state.shown;

        // This Effect asks for the analysis whenever the tensor, the scheme or the axis change.
        Effect::new(move |_| {
            let Some(tensor) = current.get() else {
                return;
            };
            let axis = axis.get();
            let request = Request::Analyze {
                axis,
                opts: options(),
            };
            let key = (Arc::as_ptr(&tensor) as usize, axis);
            let same_tensor = shown.with_value(|s| s.analysed) == Some(key);
            shown.update_value(|s| s.analysed = Some(key));
            let id = engine::send(&request, None, move |id, answer| {
                let latest = shown.with_value(|s| s.analyze_sent) == id;
                match answer {
                    Response::Progress(p) if latest => state.analysing.set(Some(p)),
                    Response::Report(r) => {
                        if latest {
                            state.analysing.set(None);
                        }
                        if id > shown.with_value(|s| s.report) {
                            let ok = r.is_ok();
                            shown.update_value(|s| s.report = id);
                            state.report.set(Some(r.map(|b| Arc::new(*b))));
                            state.apply_channel_pick(id);
                            if ok {
                                mark_first_report();
                            }
                        }
                    }
                    Response::Superseded if latest => state.analysing.set(None),
                    _ => {}
                }
            });
            shown.update_value(|s| {
                s.analyze_sent = id;
                s.pipelined = None;
            });
            // Same tensor and axis: the selected channel stays, so its view is asked now, to be
            // computed right after this analysis instead of after a round trip.
            let has_report = state.report.with_untracked(|r| matches!(r, Some(Ok(_))));
            if same_tensor && has_report {
                let (c, p) = (
                    channel.get_untracked(),
                    percentile_of(method.get_untracked()),
                );
                let channel_id = send_channel(state, c, p);
                if channel_id > 0 {
                    shown.update_value(|s| s.pipelined = Some((id, c, p)));
                }
            }
        });

        // This Effect asks for the selected channel's view when the report or the selection change.
        Effect::new(move |_| {
            let Some(Ok(_)) = state.report.get() else {
                state.channel_view.set(None);
                return;
            };
            let (c, p) = (channel.get(), percentile_of(method.get()));
            // Asked already, together with the analysis behind this report?
            let report_id = shown.with_value(|s| s.report);
            if shown.with_value(|s| s.pipelined) == Some((report_id, c, p)) {
                return;
            }
            send_channel(state, c, p);
        });

        // Everything but the bit width: a Memo, so changing only the bits does not rerun the sweep.
        let sweep_options = Memo::new(move |_| Options {
            spec: QuantSpec {
                bits: 8,
                ..spec.get()
            },
            ..options()
        });
        // This Effect asks for the sweep point by point (each can be overtaken by newer work) and
        // shows it once every point of the same asking has arrived.
        Effect::new(move |_| {
            if current.get().is_none() {
                return;
            }
            let opts = sweep_options.get();
            let axis = axis.get();
            let bits: Vec<u32> = (2..=8).collect();
            let points = Rc::new(RefCell::new(vec![None::<SweepPoint>; bits.len()]));
            let first_id = engine::last_id() + 1;
            for (i, &b) in bits.iter().enumerate() {
                let points = points.clone();
                engine::send(
                    &Request::SweepPoint {
                        axis,
                        opts,
                        bits: b,
                    },
                    None,
                    move |_, answer| {
                        let mut pts = points.borrow_mut();
                        match answer {
                            Response::SweepPoint(Ok(p)) => pts[i] = Some(p),
                            Response::SweepPoint(Err(_)) => {
                                if first_id > shown.with_value(|s| s.sweep) {
                                    shown.update_value(|s| s.sweep = first_id);
                                    state.sweep.set(None);
                                }
                                return;
                            }
                            _ => return,
                        }
                        if pts.iter().all(Option::is_some)
                            && first_id > shown.with_value(|s| s.sweep)
                        {
                            shown.update_value(|s| s.sweep = first_id);
                            state
                                .sweep
                                .set(Some(Arc::new(pts.iter().flatten().copied().collect())));
                        }
                    },
                );
            }
        });

        provide_context(state);
        state
    }

    /// Applies a preset: every scheme control takes the framework's value.
    pub fn apply_preset(&self, p: &Preset) {
        self.spec.set(p.spec);
        self.group_size.set(p.group_size);
        self.focus.set(p.granularity);
        self.method.set(RangeMethod::MinMax);
    }

    pub fn load_default_sample(&self) {
        if let Some(s) = samples::find(samples::DEFAULT_SAMPLE) {
            self.load_sample(s);
        }
    }

    /// Whether the page is drawn dark now.
    pub fn dark(&self) -> bool {
        self.theme.get().is_dark(self.system_dark.get())
    }

    /// Loads a sample and then shows `axis` (if the tensor has it) and `channel` (if it exists;
    /// otherwise the default channel): how a link restores its view.
    pub fn load_sample_at(&self, sample: &'static Sample, axis: usize, channel: Option<usize>) {
        self.load_sample(sample);
        let generation = self.generation.get_value();
        self.pending_view
            .set_value(Some((generation, axis, channel)));
    }

    /// Fetches a bundled sample (relative URL, so the app works under any sub-path) and hands its
    /// bytes to the worker.
    pub fn load_sample(&self, sample: &'static Sample) {
        let state = *self;
        let generation = state.begin_load();
        state
            .status
            .set(Status::Loading(sample.file.to_string(), None));
        leptos::task::spawn_local(async move {
            let fetched = files::sample_bytes(sample.file).await;
            if !state.is_current(generation) {
                return;
            }
            match fetched {
                Ok(bytes) => {
                    let request = Request::Open {
                        label: sample.file.to_string(),
                        member: None,
                    };
                    engine::send(&request, Some(Payload::Buffer(bytes)), move |_, answer| {
                        if let Response::Opened(opened) = answer {
                            if state.is_current(generation) {
                                match opened {
                                    Ok(info) => state.show(info, Source::Sample(sample)),
                                    Err(e) => state.fail(e),
                                }
                            }
                        }
                    });
                }
                Err(e) => state.fail(format!("could not fetch the sample {}: {e}", sample.file)),
            }
        });
    }

    /// Opens a file the user picked or dropped. Its header is checked here before the worker reads
    /// the rest, so a file that is too large is refused without loading it; on any error the
    /// current tensor stays.
    pub fn load_file(&self, file: web_sys::File) {
        let state = *self;
        let name = file.name();
        let generation = state.begin_load();
        state.status.set(Status::Loading(name.clone(), Some(0.0)));
        leptos::task::spawn_local(async move {
            let head = files::read_head(&file, HEAD_BYTES).await;
            if !state.is_current(generation) {
                return;
            }
            let head = match head {
                Ok(h) => h,
                Err(e) => {
                    return state.fail(format!("{name}: the browser could not read the file ({e})"))
                }
            };
            if let Err(e) = formats::precheck(&head, file.size() as u64) {
                return state.fail(format!("{name}: {e}"));
            }
            let request = Request::Open {
                label: name.clone(),
                member: None,
            };
            let size = file.size() as u64;
            engine::send(&request, Some(Payload::File(file)), move |_, answer| {
                // A newer load owns the status line.
                if !state.is_current(generation) {
                    return;
                }
                match answer {
                    Response::Progress(f) => {
                        state.status.set(Status::Loading(name.clone(), Some(f)))
                    }
                    Response::Opened(Ok(info)) => {
                        let upload = Arc::new(Upload {
                            name: name.clone(),
                            size,
                            container: info.container,
                            members: info.members.clone(),
                        });
                        state.show(info, Source::Upload(upload));
                    }
                    Response::Opened(Err(e)) => state.fail(e),
                    _ => {}
                }
            });
        });
    }

    fn begin_load(&self) -> u64 {
        self.generation.update_value(|g| *g += 1);
        self.generation.get_value()
    }

    fn is_current(&self, generation: u64) -> bool {
        self.generation.get_value() == generation
    }

    /// Shows another tensor of the open `.npz` / `.safetensors` file.
    pub fn pick_member(&self, member: &str) {
        let state = *self;
        let generation = state.begin_load();
        let Some(cur) = state.current.get_untracked() else {
            return;
        };
        let Source::Upload(upload) = &cur.source else {
            return;
        };
        let upload = upload.clone();
        let request = Request::Pick {
            member: member.to_string(),
        };
        engine::send(&request, None, move |_, answer| {
            if let Response::Opened(opened) = answer {
                if state.is_current(generation) {
                    match opened {
                        Ok(info) => state.show(info, Source::Upload(upload.clone())),
                        Err(e) => state.fail(format!("{}: {e}", upload.name)),
                    }
                }
            }
        });
    }

    fn fail(&self, message: String) {
        self.status.set(Status::Error(message));
    }

    fn show(&self, info: TensorInfo, source: Source) {
        let TensorInfo {
            shape,
            dtype,
            notes,
            member,
            memory_bytes,
            read_ms,
            decode_ms,
            ..
        } = info;
        // Default channel axis 0: output channels of PyTorch/ONNX conv and linear weights, unless
        // a link asked for another axis for this very load.
        let generation = self.generation.get_value();
        let pending = self
            .pending_view
            .try_update_value(|p| p.take())
            .flatten()
            .filter(|(g, _, _)| *g == generation);
        let rank = shape.len();
        let axis = pending
            .map(|(_, a, _)| a)
            .filter(|&a| a < rank)
            .unwrap_or(0);
        // What was shown belongs to the old tensor: clear it, and drop answers still on their way.
        let asked = engine::last_id();
        self.shown.update_value(|s| {
            s.report = asked;
            s.channel = asked;
            s.sweep = asked;
        });
        self.report.set(None);
        self.channel_view.set(None);
        self.sweep.set(None);
        self.pick_channel
            .set_value(Some((asked, pending.and_then(|(_, _, c)| c))));
        self.axis.set(axis);
        self.current.set(Some(Arc::new(Current {
            shape,
            source,
            member,
            dtype,
            notes,
            memory_bytes,
            read_ms,
            decode_ms,
        })));
        self.status.set(Status::Idle);
    }

    /// Selects the channel with the median range once the analysis asked for next arrives (call
    /// right after changing what the report depends on, such as the axis).
    pub fn select_default_channel(&self) {
        self.pick_channel.set_value(Some((engine::last_id(), None)));
    }

    /// A report (answer to request `id`) has arrived: make the pending channel pick, if any was
    /// asked before that request.
    fn apply_channel_pick(&self, id: u64) {
        let Some((after, wanted)) = self.pick_channel.get_value() else {
            return;
        };
        if id <= after {
            return;
        }
        self.pick_channel.set_value(None);
        let pick = self.report.with_untracked(|r| {
            let r = r.as_ref()?.as_ref().ok()?;
            if let Some(c) = wanted.filter(|&c| c < r.channels.len()) {
                return Some(c);
            }
            // The median range (among channels with a non-zero one): a typical channel, which
            // under one shared scale gets only a few of the tensor's levels.
            let mut widths: Vec<(f64, usize)> = r
                .channels
                .iter()
                .enumerate()
                .filter(|(_, c)| c.has_finite() && c.range.max > c.range.min)
                .map(|(i, c)| (f64::from(c.range.max) - f64::from(c.range.min), i))
                .collect();
            widths.sort_by(|a, b| a.0.total_cmp(&b.0));
            widths.get(widths.len() / 2).map(|&(_, i)| i)
        });
        self.channel.set(pick.unwrap_or(0));
    }
}
