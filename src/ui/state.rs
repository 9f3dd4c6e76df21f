//! App state shared through context, and the two ways a tensor arrives (sample fetch, file upload).

use std::sync::Arc;

use leptos::prelude::*;

use super::files;
use crate::engine::analysis::{self, ChannelView, Options, Report, SweepPoint};
use crate::engine::range::RangeMethod;
use crate::engine::spec::{Granularity, Preset, PRESETS};
use crate::engine::{QuantSpec, Tensor};

use crate::formats::{self, Container, Member};
use crate::samples::{self, Sample};
use crate::share::Theme;
pub use crate::share::DEFAULT_PERCENTILE;

/// Where the tensor on screen came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Sample(&'static Sample),
    Upload(Arc<Upload>),
}

/// A file the user opened, kept (in this page only) so another tensor in it can be picked.
#[derive(Debug, PartialEq)]
pub struct Upload {
    pub name: String,
    /// The whole file for `.npz` / `.safetensors` (to pick another tensor); empty for `.npy`.
    pub bytes: Vec<u8>,
    /// File size in bytes.
    pub size: u64,
    pub container: Container,
    /// The tensors of a `.npz` / `.safetensors` file (empty for `.npy`).
    pub members: Vec<Member>,
}

/// The tensor under the lens.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub tensor: Tensor,
    pub source: Source,
    /// The tensor's name inside a multi-tensor file.
    pub member: Option<String>,
    pub dtype: String,
    pub notes: Vec<String>,
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
    /// Bumped on window resize so the canvases redraw at their new size.
    pub resized: RwSignal<u32>,
    /// The analysis of the current tensor: a Memo, so charts and numbers share one computation
    /// and it reruns only when the tensor, scheme or axis changes (not on channel selection).
    pub report: Memo<Option<Result<Arc<Report>, String>>>,
    /// The selected channel's histogram and values: reruns on channel selection only.
    pub channel_view: Memo<Option<Arc<ChannelView>>>,
    /// Total MSQE at bits 2–8 for the three granularities (everything but the bit width as set).
    pub sweep: Memo<Option<Arc<Vec<SweepPoint>>>>,
    /// The theme picked (from the link or the theme control).
    pub theme: RwSignal<Theme>,
    /// The system's `prefers-color-scheme: dark`, for the `auto` theme (kept current by ui::share).
    pub system_dark: RwSignal<bool>,
    /// Axis and channel to show once a given load finishes (a link opened with `axis=` / `ch=`):
    /// `(load generation, axis, channel)`. Any other load ignores it.
    pending_view: StoredValue<Option<(u64, usize, Option<usize>)>>,
}

impl AppState {
    pub fn provide() -> AppState {
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
        let report = Memo::new(move |_| {
            let cur = current.get()?;
            let opts = options();
            let axis = axis.get();
            Some(
                analysis::analyze_with(&cur.tensor, axis as isize, &opts)
                    .map(Arc::new)
                    .map_err(|e| e.to_string()),
            )
        });
        let channel_view = Memo::new(move |_| {
            let cur = current.get()?;
            let report = report.get()?.ok()?;
            let c = channel.get();
            let p = match method.get() {
                RangeMethod::Percentile(p) => p,
                _ => DEFAULT_PERCENTILE,
            };
            analysis::channel_view(&cur.tensor, &report, c, p).map(Arc::new)
        });
        // Everything but the bit width: a Memo, so changing only the bits does not rerun the sweep.
        let sweep_options = Memo::new(move |_| Options {
            spec: QuantSpec {
                bits: 8,
                ..spec.get()
            },
            ..options()
        });
        let sweep = Memo::new(move |_| {
            let cur = current.get()?;
            let opts = sweep_options.get();
            analysis::sweep(&cur.tensor, axis.get() as isize, &opts, 2..=8)
                .ok()
                .map(Arc::new)
        });
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
            resized: RwSignal::new(0),
            report,
            channel_view,
            sweep,
            theme: RwSignal::new(Theme::Auto),
            system_dark: RwSignal::new(false),
            pending_view: StoredValue::new(None),
        };
        let _ = window_event_listener(leptos::ev::resize, move |_| {
            state.resized.update(|n| *n += 1)
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

    /// Fetches a bundled sample (relative URL, so the app works under any sub-path).
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
                Ok(bytes) => match formats::open(&bytes, None) {
                    Ok(opened) => state.show(opened.loaded, Source::Sample(sample), None),
                    Err(e) => state.fail(format!("{}: {e}", sample.file)),
                },
                Err(e) => state.fail(format!("could not fetch the sample {}: {e}", sample.file)),
            }
        });
    }

    /// Reads a file the user picked or dropped. Its header is checked before the rest is read, so a
    /// file that is too large is refused without loading it; on any error the current tensor stays.
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
            let progress_name = name.clone();
            let read = files::read_all(&file, |f| {
                // A newer load owns the status line.
                if state.is_current(generation) {
                    state
                        .status
                        .set(Status::Loading(progress_name.clone(), Some(f)));
                }
            })
            .await;
            if !state.is_current(generation) {
                return;
            }
            let bytes = match read {
                Ok(b) => b,
                Err(e) => return state.fail(format!("{name}: {e}")),
            };
            match formats::open(&bytes, None) {
                Ok(opened) => {
                    // The file's bytes are kept only when another tensor can be picked from them.
                    let bytes = if opened.members.is_empty() {
                        Vec::new()
                    } else {
                        bytes
                    };
                    let upload = Arc::new(Upload {
                        name,
                        size: file.size() as u64,
                        container: opened.container,
                        members: opened.members,
                        bytes,
                    });
                    state.show(opened.loaded, Source::Upload(upload), opened.member);
                }
                Err(e) => state.fail(format!("{name}: {e}")),
            }
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
        self.begin_load();
        let Some(cur) = self.current.get_untracked() else {
            return;
        };
        let Source::Upload(upload) = &cur.source else {
            return;
        };
        match formats::open(&upload.bytes, Some(member)) {
            Ok(opened) => self.show(opened.loaded, Source::Upload(upload.clone()), opened.member),
            Err(e) => self.fail(format!("{}: {e}", upload.name)),
        }
    }

    fn fail(&self, message: String) {
        self.status.set(Status::Error(message));
    }

    fn show(&self, loaded: formats::Loaded, source: Source, member: Option<String>) {
        let formats::Loaded {
            tensor,
            dtype,
            notes,
        } = loaded;
        if tensor.is_empty() {
            let label = member.clone().unwrap_or_else(|| match &source {
                Source::Sample(s) => s.file.to_string(),
                Source::Upload(u) => u.name.clone(),
            });
            return self.fail(format!(
                "{label}: the tensor is empty (shape {}), so there is nothing to quantize",
                crate::format::shape(tensor.shape())
            ));
        }
        // Default channel axis 0: output channels of PyTorch/ONNX conv and linear weights, unless
        // a link asked for another axis for this very load.
        let generation = self.generation.get_value();
        let pending = self
            .pending_view
            .try_update_value(|p| p.take())
            .flatten()
            .filter(|(g, _, _)| *g == generation);
        let rank = tensor.rank();
        let axis = pending
            .map(|(_, a, _)| a)
            .filter(|&a| a < rank)
            .unwrap_or(0);
        self.axis.set(axis);
        self.current.set(Some(Arc::new(Current {
            tensor,
            source,
            member,
            dtype,
            notes,
        })));
        self.select_default_channel();
        if let Some(c) = pending.and_then(|(_, _, c)| c) {
            let channels = self
                .report
                .with_untracked(|r| {
                    r.as_ref()
                        .and_then(|r| r.as_ref().ok())
                        .map(|r| r.channels.len())
                })
                .unwrap_or(0);
            if c < channels {
                self.channel.set(c);
            }
        }
        self.status.set(Status::Idle);
    }

    /// Selects the channel with the median range (among channels with a non-zero one): a typical
    /// channel, which under one shared scale gets only a few of the tensor's levels.
    pub fn select_default_channel(&self) {
        let median = self.report.with_untracked(|r| {
            let r = r.as_ref()?.as_ref().ok()?;
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
        self.channel.set(median.unwrap_or(0));
    }
}
