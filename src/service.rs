//! The analysis service: the work the page hands to its Web Worker, as plain Rust.
//!
//! The page sends [`Request`]s and gets [`Response`]s back, each as postcard bytes ([`encode`],
//! [`decode`]); a file's bytes travel beside the message (transferred, not copied). The worker owns
//! the tensor: it decodes the file, analyses, draws nothing. The same [`Service`] runs natively in
//! the tests, in the worker (`crate::worker`), and on the page itself when no worker can start.
//!
//! Stale work is dropped, not done: requests wait in a [`Queue`] where a newer request of the same
//! kind replaces an older one, a newly opened tensor drops everything asked of the old one, and the
//! bit-width sweep is asked for point by point, so a change of the controls overtakes it.

use serde::{Deserialize, Serialize};

use crate::engine::analysis::{self, Analysis, ChannelView, Options, Report, SweepPoint};
use crate::engine::{QuantSpec, Tensor};
use crate::export::{self, ExportMeta, ExportSource};
use crate::formats::{self, Container, FileBytes, Member};
use crate::samples;

/// What the page asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Decode the file sent with this request; `member` picks a tensor of a `.npz` / `.safetensors`.
    Open {
        label: String,
        member: Option<String>,
    },
    /// Another tensor of the multi-tensor file opened last.
    Pick { member: String },
    /// Analyse the tensor along `axis` (normalized).
    Analyze { axis: usize, opts: Options },
    /// The selected channel's histogram, values and range methods, from the last analysis.
    Channel { channel: usize, percentile: f64 },
    /// Total error at one bit width, everything else as `opts`.
    SweepPoint {
        axis: usize,
        opts: Options,
        bits: u32,
    },
    /// The quantized tensor as `.npz`, from the last analysis.
    Npz { scheme: String, source: SourceName },
}

/// Where the tensor came from, by name (for the exports' metadata).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SourceName {
    Sample(String),
    File {
        name: String,
        member: Option<String>,
    },
}

/// A decoded tensor as the page sees it: everything but the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorInfo {
    pub shape: Vec<usize>,
    pub dtype: String,
    pub notes: Vec<String>,
    pub container: Container,
    pub members: Vec<Member>,
    pub member: Option<String>,
    /// Bytes of memory the service's module holds once the tensor is decoded (its peak so far:
    /// wasm memory never shrinks); filled in by the worker, 0 elsewhere.
    pub memory_bytes: u64,
    /// Milliseconds the worker took to read the file into memory and to decode it (0 elsewhere).
    pub read_ms: f64,
    pub decode_ms: f64,
}

/// What the service answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    Opened(Result<TensorInfo, String>),
    /// Boxed: a report is far larger than the other answers.
    Report(Result<Box<Report>, String>),
    Channel(Option<ChannelView>),
    SweepPoint(Result<SweepPoint, String>),
    Npz(Result<Vec<u8>, String>),
    /// How far a long request has got (0..1).
    Progress(f64),
    /// Not done: a newer request of the same kind (or a newly opened tensor) replaced it.
    Superseded,
}

/// postcard bytes of a request or response.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(value).map_err(|e| format!("could not encode a message: {e}"))
}

pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("could not decode a message: {e}"))
}

/// The refusal of an analysis (`sweep_bits: None`) or of a sweep point, in its own answer kind.
fn refusal(sweep_bits: Option<u32>, e: String) -> Response {
    match sweep_bits {
        None => Response::Report(Err(e)),
        Some(_) => Response::SweepPoint(Err(e)),
    }
}

/// What [`Service::begin`] made of a request.
pub enum Begun {
    /// A long request to take in slices with [`Service::resume`].
    Job(Job),
    /// Answered at once (no tensor, or a bad axis).
    Answer(Response),
    /// Not an analysis or sweep point: for [`Service::handle`].
    NotAJob(Request),
}

/// An analysis or bit-sweep point in progress (see [`Analysis`]).
pub struct Job {
    /// `Some(bits)` for a sweep point.
    sweep_bits: Option<u32>,
    run: Box<Analysis>,
}

impl Job {
    /// Whether `waiting` makes this job's answer stale: a tensor request, or a newer request of
    /// the same kind (an analysis; a sweep point at the same bit width).
    pub fn made_stale_by(&self, waiting: &Request) -> bool {
        match (Slot::of(waiting), self.sweep_bits) {
            (Slot::Tensor, _) => true,
            (Slot::Analyze, None) => true,
            (Slot::Sweep(b), Some(bits)) => b == bits,
            _ => false,
        }
    }
}

/// The tensor, the file it came from (kept only when another tensor can be picked from it) and
/// the last analysis (what channel views and exports are taken from).
#[derive(Default)]
pub struct Service {
    tensor: Option<Tensor>,
    file: FileBytes,
    report: Option<Report>,
    /// What analyses of this tensor share (its histogram), kept until the next tensor.
    memo: analysis::TensorMemo,
}

impl Service {
    pub fn new() -> Service {
        Service::default()
    }

    /// Answers one request. `bytes` are the file of an [`Request::Open`]; `progress` is told how
    /// far a long request has got. On a refused file the tensor shown before stays.
    pub fn handle(
        &mut self,
        request: Request,
        bytes: Option<FileBytes>,
        progress: &mut dyn FnMut(f64),
    ) -> Response {
        match request {
            Request::Open { label, member } => {
                let bytes = bytes.unwrap_or_default();
                Response::Opened(self.open(bytes, member.as_deref()).map_err(|e| {
                    if label.is_empty() {
                        e
                    } else {
                        format!("{label}: {e}")
                    }
                }))
            }
            Request::Pick { member } => {
                let file = std::mem::take(&mut self.file);
                let opened = self.open(file, Some(&member));
                Response::Opened(opened)
            }
            r @ (Request::Analyze { .. } | Request::SweepPoint { .. }) => match self.begin(r) {
                // An unlimited budget finishes the job in one call.
                Begun::Job(job) => self
                    .resume(job, progress, &mut || true)
                    .unwrap_or_else(|job| refusal(job.sweep_bits, "stopped early".to_string())),
                Begun::Answer(r) => r,
                Begun::NotAJob(r) => refusal(None, format!("not an analysis: {r:?}")),
            },
            Request::Channel {
                channel,
                percentile,
            } => {
                let view = match (&self.tensor, &self.report) {
                    (Some(t), Some(r)) => analysis::channel_view(t, r, channel, percentile),
                    _ => None,
                };
                Response::Channel(view)
            }
            Request::Npz { scheme, source } => Response::Npz(self.npz(&scheme, &source)),
        }
    }

    /// Starts an analysis or a bit-sweep point as a [`Job`] (pass 1, the channel ranges, is done
    /// here); any other request comes back as [`Begun::NotAJob`], for [`Service::handle`].
    pub fn begin(&mut self, request: Request) -> Begun {
        let (axis, opts, sweep_bits) = match request {
            Request::Analyze { axis, opts } => (axis, opts, None),
            Request::SweepPoint { axis, opts, bits } => (
                axis,
                Options {
                    spec: QuantSpec { bits, ..opts.spec },
                    ..opts
                },
                Some(bits),
            ),
            other => return Begun::NotAJob(other),
        };
        let refused = |e: String| refusal(sweep_bits, e);
        let Some(t) = &self.tensor else {
            return Begun::Answer(refused("no tensor is open".to_string()));
        };
        // Sweep points show only errors: no histogram, no level counts.
        let details = sweep_bits.is_none();
        match Analysis::start(t, axis as isize, &opts, details, Some(&self.memo)) {
            Ok(run) => Begun::Job(Job {
                sweep_bits,
                run: Box::new(run),
            }),
            Err(e) => Begun::Answer(refused(e.to_string())),
        }
    }

    /// Goes on with `job` while `budget()` allows; its answer when it is done, or the job back.
    pub fn resume(
        &mut self,
        mut job: Job,
        progress: &mut dyn FnMut(f64),
        budget: &mut dyn FnMut() -> bool,
    ) -> Result<Response, Job> {
        let refused = |e: String| refusal(job.sweep_bits, e);
        let Some(t) = &self.tensor else {
            return Ok(refused("no tensor is open".to_string()));
        };
        match job.run.run(t, progress, budget) {
            Ok(true) => {}
            Ok(false) => return Err(job),
            Err(e) => return Ok(refused(e.to_string())),
        }
        let Some(bits) = job.sweep_bits else {
            let r = job
                .run
                .finish(t, Some(&mut self.memo))
                .map_err(|e| e.to_string());
            // The page gets the report without its groups (see Report::without_groups); the
            // service keeps them, for channel views and the .npz export.
            let sent = r
                .as_ref()
                .map(|r| Box::new(r.without_groups()))
                .map_err(Clone::clone);
            self.report = r.ok();
            return Ok(Response::Report(sent));
        };
        Ok(Response::SweepPoint(
            job.run
                .finish(t, None)
                .map(|r| SweepPoint::of(bits, &r))
                .map_err(|e| e.to_string()),
        ))
    }

    /// Decodes `bytes`; keeps them only when they hold more than one tensor.
    fn open(&mut self, bytes: FileBytes, member: Option<&str>) -> Result<TensorInfo, String> {
        // A lone .npy takes its buffer (float32 data becomes the tensor in place); a .npz or
        // .safetensors is read from the bytes, which are kept for picking another member.
        let lone_npy = member.is_none()
            && bytes.len() as u64 <= formats::MAX_FILE_BYTES
            && formats::detect(bytes.as_bytes()) == Ok(Container::Npy);
        let (opened, bytes) = if lone_npy {
            let loaded = formats::npy::read_npy_owned(bytes).map_err(|e| e.to_string())?;
            let opened = formats::Opened {
                container: Container::Npy,
                members: Vec::new(),
                member: None,
                loaded,
            };
            (opened, FileBytes::default())
        } else {
            match formats::open(bytes.as_bytes(), member) {
                Ok(o) => (o, bytes),
                Err(e) => {
                    // A failed pick keeps the file it was picked from.
                    if member.is_some() && self.file.is_empty() {
                        self.file = bytes;
                    }
                    return Err(e.to_string());
                }
            }
        };
        let formats::Loaded {
            tensor,
            dtype,
            notes,
        } = opened.loaded;
        if tensor.is_empty() {
            // As above: a refused pick keeps the file, so another member can still be picked.
            if member.is_some() && self.file.is_empty() {
                self.file = bytes;
            }
            return Err(format!(
                "the tensor is empty (shape {}), so there is nothing to quantize",
                crate::format::shape(tensor.shape())
            ));
        }
        let info = TensorInfo {
            shape: tensor.shape().to_vec(),
            dtype,
            notes,
            container: opened.container,
            member: opened.member,
            members: opened.members,
            memory_bytes: 0,
            read_ms: 0.0,
            decode_ms: 0.0,
        };
        self.file = if info.members.is_empty() {
            FileBytes::default()
        } else {
            bytes
        };
        self.tensor = Some(tensor);
        self.memo = analysis::TensorMemo::default();
        self.report = None;
        Ok(info)
    }

    fn npz(&self, scheme: &str, source: &SourceName) -> Result<Vec<u8>, String> {
        let (Some(t), Some(r)) = (&self.tensor, &self.report) else {
            return Err("nothing to export yet: no tensor has been analysed".to_string());
        };
        let source = match source {
            SourceName::Sample(id) => ExportSource::Sample(
                samples::find(id).ok_or_else(|| format!("unknown sample '{id}'"))?,
            ),
            SourceName::File { name, member } => ExportSource::File {
                name,
                member: member.as_deref(),
            },
        };
        export::quantized_npz(t, r, &ExportMeta { scheme, source }).map_err(|e| e.to_string())
    }
}

/// Which requests replace each other while they wait: a newer one of the same kind is all that
/// is worth doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Tensor,
    Analyze,
    Channel,
    Sweep(u32),
    Npz,
}

impl Slot {
    fn of(r: &Request) -> Slot {
        match r {
            Request::Open { .. } | Request::Pick { .. } => Slot::Tensor,
            Request::Analyze { .. } => Slot::Analyze,
            Request::Channel { .. } => Slot::Channel,
            Request::SweepPoint { bits, .. } => Slot::Sweep(*bits),
            Request::Npz { .. } => Slot::Npz,
        }
    }
    /// Lower first: the tensor, then what four of the five charts and the numbers show, then the
    /// selected channel, then the sweep, then downloads.
    fn rank(self) -> u32 {
        match self {
            Slot::Tensor => 0,
            Slot::Analyze => 1,
            Slot::Channel => 2,
            Slot::Npz => 3,
            Slot::Sweep(b) => 4 + b,
        }
    }
}

/// A request as it waits: its id (echoed in the response), the request and any file bytes.
#[derive(Debug)]
pub struct Pending<B> {
    pub id: u64,
    pub request: Request,
    pub bytes: Option<B>,
}

/// Requests waiting for the worker, newest of each kind only.
#[derive(Debug)]
pub struct Queue<B> {
    waiting: Vec<Pending<B>>,
}

impl<B> Default for Queue<B> {
    fn default() -> Self {
        Queue {
            waiting: Vec::new(),
        }
    }
}

impl<B> Queue<B> {
    /// Adds a request, dropping the older request of its kind; a tensor request drops everything
    /// asked before it (it was asked of the old tensor). Returns the ids dropped.
    pub fn push(&mut self, p: Pending<B>) -> Vec<u64> {
        let slot = Slot::of(&p.request);
        let mut dropped = Vec::new();
        self.waiting.retain(|w| {
            let keep = slot != Slot::Tensor && Slot::of(&w.request) != slot;
            if !keep {
                dropped.push(w.id);
            }
            keep
        });
        self.waiting.push(p);
        dropped
    }

    /// The most urgent waiting request (oldest first among equals).
    pub fn pop(&mut self) -> Option<Pending<B>> {
        let i = self
            .waiting
            .iter()
            .enumerate()
            .min_by_key(|(i, w)| (Slot::of(&w.request).rank(), *i))
            .map(|(i, _)| i)?;
        Some(self.waiting.remove(i))
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether any waiting request satisfies `f`.
    pub fn any(&self, f: impl Fn(&Request) -> bool) -> bool {
        self.waiting.iter().any(|w| f(&w.request))
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}
