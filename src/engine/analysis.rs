//! One call: tensor + channel axis + options -> everything the page shows, for three granularities
//! (per-tensor, per-channel, per-group), under one spec and one range method.
//!
//! Passes over the data: (1) every channel's finite min/max (and, for a range method other than
//! min-max, the per-tensor range from the whole tensor); (2) per channel, one gather of its values,
//! then, on that cache-resident copy, the whole-tensor histogram's counts and codes + error under
//! the tensor's grid, the channel's grid and each of its groups' grids. Two reads of the tensor.

use super::histogram::{self, Histogram};
use super::kernels::{self, ErrorSums, MinMax, Quantizer};
use super::metrics;
use super::params::{params_for_range, representable_range, widened, QParams};
use super::quantize::Grids;
use super::range::{self, RangeMethod};
use super::spec::{Convention, Granularity, QuantSpec};
use super::tensor::{ChannelLayout, Tensor};
use super::EngineError;

/// Bins of the whole-tensor histogram.
pub const TENSOR_HISTOGRAM_BINS: usize = 120;
/// Bins of a single channel's histogram.
pub const CHANNEL_HISTOGRAM_BINS: usize = 60;

/// What to compute besides the tensor and its channel axis.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Options {
    pub spec: QuantSpec,
    pub method: RangeMethod,
    /// Elements per group (≥ 1; larger than the axis gives one group per row).
    pub group_size: usize,
    /// The axis groups run along (normalized); `None`: along the whole row, i.e. the channel's
    /// other axes flattened in C order (ggml's and GPTQ-style layouts; equal to the last axis for a
    /// 2-D weight with channels on axis 0).
    pub group_axis: Option<usize>,
}

impl Options {
    pub fn new(spec: QuantSpec) -> Options {
        Options {
            spec,
            method: RangeMethod::MinMax,
            group_size: 32,
            group_axis: None,
        }
    }
}

/// One granule's grid and error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Granule {
    /// The range the method chose, widened to contain 0 (and ±max for symmetric specs): what the
    /// scale rule was given.
    pub clip: (f32, f32),
    pub params: QParams,
    pub err: ErrorSums,
    /// Finite values outside `clip`.
    pub clipped: usize,
    /// Distinct codes used.
    pub levels: u32,
}

impl Granule {
    pub fn msqe(&self) -> f64 {
        metrics::msqe(self.err.sum_sq_err, self.err.count)
    }
}

/// One channel under the three granularities.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelStats {
    /// Finite min and max (`+inf`/`-inf` when the channel has no finite value).
    pub range: MinMax,
    /// The channel's own scale and zero point (per-channel scheme).
    pub params: QParams,
    /// The real range the channel's own grid covers, `[(qmin - zp)·scale, (qmax - zp)·scale]`.
    pub chosen: (f64, f64),
    /// The per-channel granule (clip range, error, clipped values, levels).
    pub own: Granule,
    /// Error when the channel uses the tensor's one scale.
    pub err_per_tensor: ErrorSums,
    /// Error when the channel uses its own scale.
    pub err_per_channel: ErrorSums,
    /// Error when the channel's groups use their own scales (summed over its groups).
    pub err_per_group: ErrorSums,
    /// Indices of this channel's groups in [`Report::groups`].
    pub groups: std::ops::Range<usize>,
}

impl ChannelStats {
    pub fn msqe_per_tensor(&self) -> f64 {
        metrics::msqe(self.err_per_tensor.sum_sq_err, self.err_per_tensor.count)
    }
    pub fn msqe_per_channel(&self) -> f64 {
        metrics::msqe(self.err_per_channel.sum_sq_err, self.err_per_channel.count)
    }
    pub fn msqe_per_group(&self) -> f64 {
        metrics::msqe(self.err_per_group.sum_sq_err, self.err_per_group.count)
    }
    /// Every finite value is zero (and there is at least one).
    pub fn is_all_zero(&self) -> bool {
        self.range.min == 0.0 && self.range.max == 0.0
    }
    pub fn has_finite(&self) -> bool {
        self.range.has_finite()
    }
}

/// Bytes a quantized tensor takes under one granularity.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Storage {
    pub code_bytes: f64,
    pub scale_bytes: f64,
    pub zero_point_bytes: f64,
}

impl Storage {
    pub fn total(&self) -> f64 {
        self.code_bytes + self.scale_bytes + self.zero_point_bytes
    }
    /// `float32 bytes / total`.
    pub fn compression(&self, elements: usize) -> f64 {
        let t = self.total();
        if t > 0.0 {
            4.0 * elements as f64 / t
        } else {
            0.0
        }
    }
    /// Scales and zero points as a percentage of the total.
    pub fn overhead_percent(&self) -> f64 {
        let t = self.total();
        if t > 0.0 {
            100.0 * (self.scale_bytes + self.zero_point_bytes) / t
        } else {
            0.0
        }
    }
}

/// Bits one stored code occupies: the integer container a runtime would use (int2, int4, int8,
/// int16), packed.
pub fn container_bits(bits: u32) -> u32 {
    match bits {
        0..=2 => 2,
        3..=4 => 4,
        5..=8 => 8,
        _ => 16,
    }
}

/// Totals of one granularity over the whole tensor.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SchemeSummary {
    pub msqe: f64,
    /// `None` when the error is exactly zero.
    pub sqnr_db: Option<f64>,
    pub max_abs_err: f64,
    pub sums: ErrorSums,
    /// Cosine similarity of x and x̂ (1 when both are zero).
    pub cosine: f64,
    /// Finite values outside their granule's clipping range.
    pub clipped: usize,
    /// Number of granules (scales).
    pub granules: usize,
    /// Distinct codes used, averaged over granules (weighted by their finite values).
    pub levels: f64,
    /// `log2(levels used)` averaged over granules (weighted by their finite values).
    pub effective_bits: f64,
    /// The uniform-noise model `Δ²/12` (Δ = each granule's scale), weighted by finite values.
    pub model_msqe: f64,
    pub storage: Storage,
}

impl SchemeSummary {
    pub fn clipped_fraction(&self) -> f64 {
        if self.sums.count == 0 {
            0.0
        } else {
            self.clipped as f64 / self.sums.count as f64
        }
    }
}

/// `log2(max(levels, 1))`; from a table up to 256 levels (one lookup per group instead of a
/// software logarithm: wasm has no instruction for it).
fn log2_levels(levels: u32) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (0..=256u32).map(|l| f64::from(l.max(1)).log2()).collect());
    match table.get(levels as usize) {
        Some(&v) => v,
        None => f64::from(levels).log2(),
    }
}

/// Accumulates a [`SchemeSummary`] granule by granule.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    sums: ErrorSums,
    clipped: usize,
    granules: usize,
    levels_w: f64,
    bits_w: f64,
    model_w: f64,
}

impl Totals {
    fn add(&mut self, g: &Granule) {
        self.sums = self.sums.merge(g.err);
        self.clipped += g.clipped;
        self.granules += 1;
        let n = g.err.count as f64;
        self.levels_w += n * f64::from(g.levels);
        self.bits_w += n * log2_levels(g.levels);
        // A fallback scale is no step: its values are exactly zero (or all rounded to it).
        if !g.params.degenerate {
            let s = f64::from(g.params.scale);
            self.model_w += n * s * s / 12.0;
        }
    }

    fn finish(self, spec: &QuantSpec, elements: usize, scale_bytes: f64) -> SchemeSummary {
        let n = self.sums.count as f64;
        let avg = |w: f64| if n > 0.0 { w / n } else { 0.0 };
        let code_bytes = elements as f64 * f64::from(container_bits(spec.bits)) / 8.0;
        let zero_point_bytes = if spec.symmetric {
            0.0
        } else {
            self.granules as f64 * f64::from(container_bits(spec.bits)) / 8.0
        };
        SchemeSummary {
            msqe: metrics::msqe(self.sums.sum_sq_err, self.sums.count),
            sqnr_db: metrics::sqnr_db(self.sums.sum_sq_x, self.sums.sum_sq_err),
            max_abs_err: self.sums.max_abs_err,
            sums: self.sums,
            cosine: metrics::cosine(
                self.sums.sum_sq_x,
                self.sums.sum_sq_xhat,
                self.sums.sum_sq_err,
            ),
            clipped: self.clipped,
            granules: self.granules,
            levels: avg(self.levels_w),
            effective_bits: avg(self.bits_w),
            model_msqe: avg(self.model_w),
            storage: Storage {
                code_bytes,
                scale_bytes: self.granules as f64 * scale_bytes,
                zero_point_bytes,
            },
        }
    }
}

/// How the groups tile the tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupLayout {
    /// The axis groups run along (normalized); `None` for whole rows (see [`Options::group_axis`]).
    pub axis: Option<usize>,
    /// Within one channel's gathered values: `(outer, extent, inner)` around the group direction.
    pub row: (usize, usize, usize),
    pub size: usize,
    /// Groups in each channel.
    pub per_channel: usize,
}

/// Everything the plots and numbers need.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub spec: QuantSpec,
    pub method: RangeMethod,
    pub shape: Vec<usize>,
    /// The normalized channel axis; `None` for a 0-d tensor, which is analysed as one channel.
    pub axis: Option<usize>,
    pub layout: ChannelLayout,
    pub group: GroupLayout,
    /// Finite min/max of the whole tensor and the count of non-finite values.
    pub range: MinMax,
    /// The per-tensor granule (one scale and zero point).
    pub tensor: Granule,
    /// The one scale and zero point of the per-tensor scheme.
    pub tensor_params: QParams,
    /// The real range the per-tensor grid covers.
    pub tensor_chosen: (f64, f64),
    pub channels: Vec<ChannelStats>,
    /// Every group, channel by channel (see [`ChannelStats::groups`]). Left out (empty) of the
    /// report the analysis worker sends the page: [`Report::group_count`] and
    /// [`Report::group_span`] say what the page shows of them.
    pub groups: Vec<Granule>,
    /// How many groups there are (also when `groups` was left out).
    pub group_count: usize,
    /// The groups' scales and zero points, in extremes.
    pub group_span: ParamSpan,
    pub per_tensor: SchemeSummary,
    pub per_channel: SchemeSummary,
    pub per_group: SchemeSummary,
    /// Histogram of all finite values (empty when computed without details).
    pub histogram: Histogram,
}

/// The extremes of a set of granules' parameters: scales over the granules whose range was not
/// degenerate (a fallback scale says nothing of the data), zero points over all.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParamSpan {
    pub count: usize,
    /// `(min, max)` of the non-fallback scales; `None` when every granule fell back.
    pub scale: Option<(f32, f32)>,
    /// `(min, max)` zero point; `None` for an empty set.
    pub zero_point: Option<(i32, i32)>,
}

impl ParamSpan {
    pub fn of(params: impl IntoIterator<Item = QParams>) -> ParamSpan {
        let mut span = ParamSpan {
            count: 0,
            scale: None,
            zero_point: None,
        };
        for p in params {
            span.count += 1;
            let (lo, hi) = span.zero_point.unwrap_or((p.zero_point, p.zero_point));
            span.zero_point = Some((lo.min(p.zero_point), hi.max(p.zero_point)));
            if !p.degenerate && p.scale > 0.0 {
                let (lo, hi) = span.scale.unwrap_or((p.scale, p.scale));
                // Compare and select (scales here are positive, never NaN): `f32::min` is a
                // library call in wasm, and this runs once per group.
                let lo = if p.scale < lo { p.scale } else { lo };
                let hi = if p.scale > hi { p.scale } else { hi };
                span.scale = Some((lo, hi));
            }
        }
        span
    }
}

impl Report {
    /// The report without the individual groups (what the page is sent: a 64 M-weight tensor in
    /// groups of 128 has half a million of them, which the page never draws one by one).
    pub fn without_groups(&self) -> Report {
        Report {
            groups: Vec::new(),
            channels: self.channels.clone(),
            histogram: self.histogram.clone(),
            shape: self.shape.clone(),
            ..*self
        }
    }

    /// How many times lower the per-channel MSQE is (`None` when per-channel error is zero).
    pub fn improvement(&self) -> Option<f64> {
        (self.per_channel.msqe > 0.0).then(|| self.per_tensor.msqe / self.per_channel.msqe)
    }
    pub fn summary(&self, g: Granularity) -> &SchemeSummary {
        match g {
            Granularity::PerTensor => &self.per_tensor,
            Granularity::PerChannel => &self.per_channel,
            Granularity::PerGroup => &self.per_group,
        }
    }
    pub fn zero_channels(&self) -> usize {
        self.channels.iter().filter(|c| c.is_all_zero()).count()
    }
    pub fn channels_without_finite(&self) -> usize {
        self.channels.iter().filter(|c| !c.has_finite()).count()
    }
    pub fn nonfinite(&self) -> usize {
        self.range.nonfinite
    }
    /// The per-tensor scheme's grid, for quantizing the whole tensor.
    pub fn per_tensor_grids(&self) -> Grids {
        Grids::PerTensor(quantizer(&self.spec, &self.tensor_params))
    }

    /// The per-channel scheme's grids along the report's axis (a 0-d tensor has one grid).
    pub fn per_channel_grids(&self) -> Grids {
        match self.axis {
            Some(axis) => Grids::PerAxis {
                axis,
                grids: self
                    .channels
                    .iter()
                    .map(|c| quantizer(&self.spec, &c.params))
                    .collect(),
            },
            None => self.per_tensor_grids(),
        }
    }

    pub fn element_count(&self) -> usize {
        self.layout.outer * self.layout.channels * self.layout.inner
    }
}

/// The integer grid of a granule for `spec`: its scale, zero point and step, saturating where the
/// spec's convention saturates, rounding as the spec says.
pub fn quantizer(spec: &QuantSpec, p: &QParams) -> Quantizer {
    let (qmin, qmax) = spec.saturation_range();
    Quantizer {
        scale: p.scale,
        zero_point: p.zero_point,
        qmin,
        qmax,
        step: p.step,
        rounding: spec.rounding,
    }
}

/// Distinct codes, with a reusable table of one byte per code of the grid. Bytes, not bits:
/// marking a code is then an independent store, where setting a bit is a read-modify-write of a
/// word that the next code usually hits too (a dependency chain through memory, several times
/// slower on the hot path of the analysis).
struct LevelCounter {
    lo: i32,
    /// 0 or 1 per code, padded to whole 8-byte words.
    seen: Vec<u8>,
    sorted: Vec<i32>,
}

impl LevelCounter {
    fn new(spec: &QuantSpec) -> LevelCounter {
        let (lo, hi) = spec.type_range();
        let n = (hi - lo + 1) as usize;
        LevelCounter {
            lo,
            seen: vec![0; n.div_ceil(8) * 8],
            sorted: Vec::new(),
        }
    }
    fn count_marked(&self) -> u32 {
        // Each byte is 0 or 1: a word's set bits count its marked bytes. (A plain loop of whole
        // words: at opt-level "s" an iterator chain here is a called function per granule.)
        let mut n = 0;
        for w in self.seen.chunks_exact(8) {
            n += u64::from_ne_bytes(w.try_into().unwrap_or_default()).count_ones();
        }
        n
    }
    fn mark(&mut self, codes: &[i32]) {
        for &c in codes {
            // Codes are saturated to the grid, so always in the table; a stray one is ignored.
            if let Some(s) = self.seen.get_mut((c - self.lo) as usize) {
                *s = 1;
            }
        }
    }
    /// Whether `n` codes are few for the grid (16 bits): sorting them is then cheaper than
    /// clearing and counting the table.
    fn few(&self, n: usize) -> bool {
        n * 8 < self.seen.len() / 8
    }
    /// Distinct codes among a few `codes` (of finite values only), by sorting.
    fn distinct_few(&mut self, codes: &[i32]) -> u32 {
        self.sorted.clear();
        self.sorted.extend_from_slice(codes);
        self.sorted.sort_unstable();
        self.sorted.dedup();
        self.sorted.len() as u32
    }
}

/// Working buffers reused across granules.
#[derive(Default)]
struct Scratch {
    values: Vec<f32>,
    group: Vec<f32>,
    codes: Vec<i32>,
    finite_codes: Vec<i32>,
    method: Vec<f32>,
    /// Count the integer levels each granule uses (not for bit-sweep points, which show only
    /// errors).
    count_levels: bool,
}

/// Codes, error, clipped count and levels of `values` under `params`.
#[allow(clippy::too_many_arguments)]
fn measure(
    spec: &QuantSpec,
    values: &[f32],
    range: MinMax,
    clip: (f32, f32),
    params: QParams,
    counter: &mut LevelCounter,
    s: &mut Scratch,
    mark_tensor: Option<&mut LevelCounter>,
) -> Granule {
    let q = quantizer(spec, &params);
    let (lo, hi) = clip;
    // `range` is these values' own (finite min/max, non-finite count): when the clip range holds
    // it, nothing is clipped. That holds for min-max ranges, so the common case takes no extra
    // pass over the values.
    let may_clip = range.min <= range.max && (range.min < lo || range.max > hi);
    let mut clipped = 0;
    if may_clip {
        clipped = values
            .iter()
            .filter(|v| v.is_finite() && (**v < lo || **v > hi))
            .count();
    }
    let few = counter.few(values.len());
    let (err, levels) = match (s.count_levels, few, mark_tensor) {
        (false, _, _) => (kernels::quant_error(values, &q), 0),
        (true, false, Some(t)) => {
            // A channel's share of the per-tensor granule: its levels count toward the tensor's
            // (its own count would be unused).
            let err = kernels::quant_error_marks(values, &q, counter.lo, &mut counter.seen);
            for (a, b) in t.seen.iter_mut().zip(&counter.seen) {
                *a |= b;
            }
            (err, 0)
        }
        (true, false, None) => {
            let err = kernels::quant_error_marks(values, &q, counter.lo, &mut counter.seen);
            (err, counter.count_marked())
        }
        (true, true, mark_tensor) => {
            // Few values on a wide (16-bit) grid: their codes, sorted, instead of the table.
            s.codes.resize(values.len(), 0);
            let err = kernels::quant_error_codes(values, &q, &mut s.codes);
            let codes: &[i32] = if range.nonfinite == 0 {
                &s.codes
            } else {
                s.finite_codes.clear();
                s.finite_codes.extend(
                    values
                        .iter()
                        .zip(&s.codes)
                        .filter(|(v, _)| v.is_finite())
                        .map(|(_, &c)| c),
                );
                &s.finite_codes
            };
            match mark_tensor {
                Some(t) => {
                    t.mark(codes);
                    (err, 0)
                }
                None => (err, counter.distinct_few(codes)),
            }
        }
    };
    Granule {
        clip,
        params,
        err,
        clipped,
        levels,
    }
}

/// The range `method` picks for `values`, widened as the scale rule will widen it.
fn clip_range(
    opts: &Options,
    values: &[f32],
    minmax: MinMax,
    scratch: &mut Vec<f32>,
) -> (f32, f32) {
    let spec = &opts.spec;
    let (lo, hi) = match opts.method {
        RangeMethod::MinMax => {
            if minmax.has_finite() {
                (minmax.min, minmax.max)
            } else {
                (0.0, 0.0)
            }
        }
        m => {
            let grid = |lo: f32, hi: f32| quantizer(spec, &params_for_range(spec, lo, hi));
            let c = range::choose_range(values, m, spec.bits, spec.symmetric, &grid, scratch);
            (c.lo, c.hi)
        }
    };
    widened(spec, lo, hi)
}

/// Quantizes `tensor` per tensor, per channel along `axis` (negative axes count from the end) and
/// per group, with `opts`, and measures all three. A 0-d tensor is analysed as a single channel
/// with `axis: None`.
pub fn analyze(tensor: &Tensor, axis: isize, spec: QuantSpec) -> Result<Report, EngineError> {
    analyze_with(tensor, axis, &Options::new(spec))
}

pub fn analyze_with(tensor: &Tensor, axis: isize, opts: &Options) -> Result<Report, EngineError> {
    analyze_inner(tensor, axis, opts, true, None, &mut |_| {})
}

/// What every analysis of one tensor shares, whatever the axis and scheme: the whole-tensor
/// histogram (its bins span the tensor's range). A memo belongs to one tensor: start a new one
/// (`TensorMemo::default()`) for the next.
#[derive(Debug, Default, Clone)]
pub struct TensorMemo {
    histogram: Option<Histogram>,
}

/// [`analyze_with`] that takes the tensor's histogram from `memo` (filling it on the
/// first call), so a control change does not count 16 M values into the same bins again.
pub fn analyze_memo(
    tensor: &Tensor,
    axis: isize,
    opts: &Options,
    memo: &mut TensorMemo,
    progress: &mut dyn FnMut(f64),
) -> Result<Report, EngineError> {
    analyze_inner(tensor, axis, opts, true, Some(memo), progress)
}

fn analyze_inner(
    tensor: &Tensor,
    axis: isize,
    opts: &Options,
    details: bool,
    memo: Option<&mut TensorMemo>,
    progress: &mut dyn FnMut(f64),
) -> Result<Report, EngineError> {
    let mut run = Analysis::start(tensor, axis, opts, details, memo.as_deref())?;
    run.run(tensor, progress, &mut || true)?;
    run.finish(tensor, memo)
}

/// One analysis that can be taken in steps: [`Analysis::start`] takes every channel's range (pass 1),
/// [`Analysis::run`] measures channels until its budget says stop (pass 2, resumable), and
/// [`Analysis::finish`] builds the [`Report`]. Channels are measured in the same order however the
/// steps fall, so the report is bit for bit the one [`analyze_with`] gives. The Web Worker runs an
/// analysis in slices of a few milliseconds and abandons it when a newer request makes it stale.
pub struct Analysis {
    opts: Options,
    shape: Vec<usize>,
    axis: Option<usize>,
    layout: ChannelLayout,
    group_axis: Option<usize>,
    across: bool,
    row: (usize, usize, usize),
    blocks: usize,
    per_channel_groups: usize,
    s: Scratch,
    counter: LevelCounter,
    tensor_levels: LevelCounter,
    ranges: Vec<MinMax>,
    range: MinMax,
    tensor_clip: (f32, f32),
    tensor_params: QParams,
    channels: Vec<ChannelStats>,
    groups: Vec<Granule>,
    histogram: Histogram,
    fill_histogram: bool,
    t_channel: Totals,
    t_group: Totals,
    tensor_err: ErrorSums,
    tensor_clipped: usize,
    values_buf: Vec<f32>,
}

impl Analysis {
    /// Checks the axis, takes every channel's range and the tensor's grid. `memo` (of this
    /// tensor) supplies the whole-tensor histogram when it has one; `details: false` skips the
    /// histogram and level counts (bit-sweep points).
    pub fn start(
        tensor: &Tensor,
        axis: isize,
        opts: &Options,
        details: bool,
        memo: Option<&TensorMemo>,
    ) -> Result<Analysis, EngineError> {
        let spec = opts.spec;
        let (axis, layout) = if tensor.rank() == 0 {
            (
                None,
                ChannelLayout {
                    outer: 1,
                    channels: 1,
                    inner: tensor.len(),
                },
            )
        } else {
            let a = tensor.normalize_axis(axis)?;
            (Some(a), tensor.layout(a)?)
        };
        let shape = tensor.shape();
        let rank = shape.len();
        let data = tensor.data();
        let group_size = opts.group_size.max(1);
        // A named axis other than the channel axis, or whole rows.
        let group_axis = match (axis, opts.group_axis) {
            (Some(a), Some(g)) if g < rank && g != a && rank > 1 => Some(g),
            _ => None,
        };
        // Within one channel's gathered values (the other axes in C order): the group direction's
        // extent and what lies before and after it. A 1-D tensor groups across channels instead.
        let across = rank <= 1;
        let (g_outer, g_dim, g_inner) = match (across, group_axis, axis) {
            (false, Some(g), Some(a)) => {
                let rest: Vec<usize> = (0..rank).filter(|&d| d != a).map(|d| shape[d]).collect();
                let gp = if g > a { g - 1 } else { g };
                (
                    rest[..gp].iter().product::<usize>(),
                    rest[gp],
                    rest[gp + 1..].iter().product::<usize>(),
                )
            }
            _ => (1, layout.channel_len(), 1),
        };
        let blocks = g_dim.div_ceil(group_size);
        let per_channel_groups = g_outer * blocks * g_inner;

        let mut s = Scratch {
            count_levels: details,
            ..Scratch::default()
        };

        // Pass 1: the range of every channel; the tensor's range is their union.
        let mut ranges = Vec::with_capacity(layout.channels);
        for c in 0..layout.channels {
            let values = channel_values(tensor, data, layout, c, &mut s.values);
            ranges.push(kernels::min_max_finite(values));
        }
        let range = ranges.iter().fold(MinMax::EMPTY, |acc, r| acc.merge(*r));
        let tensor_clip = clip_range(opts, data, range, &mut s.method);
        let tensor_params = params_for_range(&spec, tensor_clip.0, tensor_clip.1);

        let groups = Vec::with_capacity(if across {
            layout.channels.div_ceil(group_size)
        } else {
            layout.channels * per_channel_groups
        });
        // The whole-tensor histogram is filled in pass 2, channel by channel (unless known).
        let known = memo.and_then(|m| m.histogram.clone());
        let fill_histogram = details && known.is_none();
        let histogram = match known {
            Some(h) if details => h,
            _ if details => {
                let (lo, hi) = histogram::bounds(range.min, range.max);
                Histogram::empty(lo, hi, TENSOR_HISTOGRAM_BINS)
            }
            _ => Histogram::empty(0.0, 1.0, 1),
        };
        let values_buf = std::mem::take(&mut s.values);
        Ok(Analysis {
            opts: *opts,
            shape: shape.to_vec(),
            axis,
            layout,
            group_axis,
            across,
            row: (g_outer, g_dim, g_inner),
            blocks,
            per_channel_groups,
            s,
            counter: LevelCounter::new(&spec),
            tensor_levels: LevelCounter::new(&spec),
            ranges,
            range,
            tensor_clip,
            tensor_params,
            channels: Vec::with_capacity(layout.channels),
            groups,
            histogram,
            fill_histogram,
            t_channel: Totals::default(),
            t_group: Totals::default(),
            tensor_err: ErrorSums::default(),
            tensor_clipped: 0,
            values_buf,
        })
    }

    /// Channels measured so far, of [`Analysis::channel_count`].
    pub fn channels_done(&self) -> usize {
        self.channels.len()
    }

    pub fn channel_count(&self) -> usize {
        self.layout.channels
    }

    /// Pass 2 from where it stopped: per channel, error under the tensor's grid, its own grid and
    /// its groups' grids. Before each channel after the first of this call, `budget()` says
    /// whether to go on; `progress` hears the fraction of channels done (at most every 1 %).
    /// Returns whether every channel is done. `tensor` must be the one the analysis started on.
    pub fn run(
        &mut self,
        tensor: &Tensor,
        progress: &mut dyn FnMut(f64),
        budget: &mut dyn FnMut() -> bool,
    ) -> Result<bool, EngineError> {
        self.check(tensor)?;
        let spec = self.opts.spec;
        let opts = self.opts;
        let data = tensor.data();
        let layout = self.layout;
        let (g_outer, g_dim, g_inner) = self.row;
        let group_size = opts.group_size.max(1);
        let step = layout.channels.div_ceil(100).max(1);
        let first_of_call = self.channels.len();
        while self.channels.len() < layout.channels {
            let c = self.channels.len();
            if c > first_of_call && !budget() {
                return Ok(false);
            }
            if c % step == 0 && c > 0 {
                progress(c as f64 / layout.channels as f64);
            }
            let r = self.ranges[c];
            let s = &mut self.s;
            let counter = &mut self.counter;
            let values = channel_values(tensor, data, layout, c, &mut self.values_buf);
            if self.fill_histogram {
                self.histogram.add(values);
            }
            // Per tensor: the channel's share of the one granule.
            let shared = measure(
                &spec,
                values,
                r,
                self.tensor_clip,
                self.tensor_params,
                counter,
                s,
                Some(&mut self.tensor_levels),
            );
            self.tensor_err = self.tensor_err.merge(shared.err);
            self.tensor_clipped += shared.clipped;
            // Per channel.
            let clip = clip_range(&opts, values, r, &mut s.method);
            let params = params_for_range(&spec, clip.0, clip.1);
            let own = measure(&spec, values, r, clip, params, counter, s, None);
            self.t_channel.add(&own);
            // Per group.
            let first = self.groups.len();
            let mut err_per_group = ErrorSums::default();
            if !self.across {
                for o in 0..g_outer {
                    for b in 0..self.blocks {
                        let k0 = b * group_size;
                        let k1 = (k0 + group_size).min(g_dim);
                        for i in 0..g_inner {
                            let g = if g_inner == 1 {
                                // Consecutive values: the group is a slice of the channel's.
                                let base = o * g_dim;
                                group_granule(&opts, &values[base + k0..base + k1], counter, s)
                            } else {
                                let mut gv = std::mem::take(&mut s.group);
                                gv.clear();
                                gv.extend((k0..k1).map(|k| values[(o * g_dim + k) * g_inner + i]));
                                let g = group_granule(&opts, &gv, counter, s);
                                s.group = gv;
                                g
                            };
                            err_per_group = err_per_group.merge(g.err);
                            self.t_group.add(&g);
                            self.groups.push(g);
                        }
                    }
                }
            }
            self.channels.push(ChannelStats {
                range: r,
                params,
                chosen: representable_range(&spec, &params),
                own,
                err_per_tensor: shared.err,
                err_per_channel: own.err,
                err_per_group,
                groups: first..self.groups.len(),
            });
        }
        Ok(true)
    }

    fn check(&self, tensor: &Tensor) -> Result<(), EngineError> {
        if tensor.shape() == self.shape.as_slice() {
            Ok(())
        } else {
            Err(EngineError::AnalysisTensorChanged {
                started: self.shape.clone(),
                given: tensor.shape().to_vec(),
            })
        }
    }

    /// The report, once [`Analysis::run`] has done every channel; fills `memo`'s histogram when
    /// this analysis counted it.
    pub fn finish(
        mut self,
        tensor: &Tensor,
        memo: Option<&mut TensorMemo>,
    ) -> Result<Report, EngineError> {
        self.check(tensor)?;
        if self.channels.len() < self.layout.channels {
            return Err(EngineError::AnalysisUnfinished {
                done: self.channels.len(),
                channels: self.layout.channels,
            });
        }
        let spec = self.opts.spec;
        let opts = self.opts;
        let data = tensor.data();
        let group_size = opts.group_size.max(1);
        if self.across {
            // A 1-D tensor: groups of consecutive elements, each channel (one element) inside one.
            for (gi, chunk) in data.chunks(group_size).enumerate() {
                let g = group_granule(&opts, chunk, &mut self.counter, &mut self.s);
                self.t_group.add(&g);
                for (k, &v) in chunk.iter().enumerate() {
                    let c = gi * group_size + k;
                    let e = kernels::quant_error(&[v], &quantizer(&spec, &g.params));
                    self.channels[c].err_per_group = e;
                    self.channels[c].groups = gi..gi + 1;
                }
                self.groups.push(g);
            }
        }
        if self.fill_histogram {
            if let Some(m) = memo {
                m.histogram = Some(self.histogram.clone());
            }
        }
        let tensor_granule = Granule {
            clip: self.tensor_clip,
            params: self.tensor_params,
            err: self.tensor_err,
            clipped: self.tensor_clipped,
            levels: self.tensor_levels.count_marked(),
        };
        let mut t_tensor = Totals::default();
        t_tensor.add(&tensor_granule);

        let elements = data.len();
        let scale_bytes = if spec.convention == Convention::Ggml {
            2.0
        } else {
            4.0
        };
        let (g_outer, g_dim, g_inner) = self.row;
        Ok(Report {
            spec,
            method: opts.method,
            shape: self.shape,
            axis: self.axis,
            layout: self.layout,
            group: GroupLayout {
                axis: self.group_axis,
                row: (g_outer, g_dim, g_inner),
                size: group_size,
                per_channel: if self.across {
                    1
                } else {
                    self.per_channel_groups
                },
            },
            range: self.range,
            tensor: tensor_granule,
            tensor_params: self.tensor_params,
            tensor_chosen: representable_range(&spec, &self.tensor_params),
            channels: self.channels,
            group_count: self.groups.len(),
            group_span: ParamSpan::of(self.groups.iter().map(|g| g.params)),
            groups: self.groups,
            per_tensor: t_tensor.finish(&spec, elements, scale_bytes),
            per_channel: self.t_channel.finish(&spec, elements, scale_bytes),
            per_group: self.t_group.finish(&spec, elements, scale_bytes),
            histogram: self.histogram,
        })
    }
}

fn group_granule(
    opts: &Options,
    values: &[f32],
    counter: &mut LevelCounter,
    s: &mut Scratch,
) -> Granule {
    let mm = kernels::min_max_finite(values);
    let clip = clip_range(opts, values, mm, &mut s.method);
    let params = params_for_range(&opts.spec, clip.0, clip.1);
    measure(&opts.spec, values, mm, clip, params, counter, s, None)
}

fn channel_values<'a>(
    tensor: &'a Tensor,
    data: &'a [f32],
    layout: ChannelLayout,
    c: usize,
    scratch: &'a mut Vec<f32>,
) -> &'a [f32] {
    if layout.channels == 1 && layout.outer == 1 {
        return data;
    }
    tensor.channel(layout, c, scratch)
}

/// Total MSQE and the Δ²/12 model of the three granularities at each bit width.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepPoint {
    pub bits: u32,
    pub msqe: [f64; 3],
    pub model: [f64; 3],
}

impl SweepPoint {
    /// The point of a report analysed at `bits`.
    pub fn of(bits: u32, r: &Report) -> SweepPoint {
        let sums = [&r.per_tensor, &r.per_channel, &r.per_group];
        SweepPoint {
            bits,
            msqe: sums.map(|s| s.msqe),
            model: sums.map(|s| s.model_msqe),
        }
    }
}

/// The bit-width sweep: [`analyze_with`] at each of `bits` (other options unchanged), summaries only.
pub fn sweep(
    tensor: &Tensor,
    axis: isize,
    opts: &Options,
    bits: impl IntoIterator<Item = u32>,
) -> Result<Vec<SweepPoint>, EngineError> {
    bits.into_iter()
        .map(|b| {
            let o = Options {
                spec: QuantSpec {
                    bits: b,
                    ..opts.spec
                },
                ..*opts
            };
            let r = analyze_inner(tensor, axis, &o, false, None, &mut |_| {})?;
            Ok(SweepPoint::of(b, &r))
        })
        .collect()
}

/// Channels with at most this many values also get every value drawn with where it lands.
pub const MAX_CHANNEL_VALUES_SHOWN: usize = 64;

/// The range methods compared on the selected channel's histogram.
pub fn compared_methods(percentile: f64) -> [RangeMethod; 6] {
    use super::range::AciqPrior;
    [
        RangeMethod::MinMax,
        RangeMethod::Percentile(percentile),
        RangeMethod::Mse,
        RangeMethod::Entropy,
        RangeMethod::Aciq(AciqPrior::Laplace),
        RangeMethod::Aciq(AciqPrior::Gaussian),
    ]
}

/// What the selected-channel chart needs: the histogram of channel `c` over its own finite range
/// (see [`histogram::bounds`]); for a small channel, each value with its dequantized value under
/// the per-tensor, per-channel and per-group grids; the clipping range every range method picks
/// for this channel; the real ranges of its groups' grids.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelView {
    pub channel: usize,
    pub histogram: Histogram,
    /// `(x, x̂ per-tensor, x̂ per-channel, x̂ per-group)` for every finite value, when few enough.
    pub values: Option<Vec<(f32, f32, f32, f32)>>,
    /// `(method, clip range)` for each of [`compared_methods`].
    pub methods: Vec<(RangeMethod, (f32, f32))>,
    /// The representable range of each of this channel's groups.
    pub group_ranges: Vec<(f64, f64)>,
}

pub fn channel_view(
    tensor: &Tensor,
    report: &Report,
    c: usize,
    percentile: f64,
) -> Option<ChannelView> {
    let stats = report.channels.get(c)?;
    let spec = report.spec;
    let mut scratch = Vec::new();
    let values = channel_values(tensor, tensor.data(), report.layout, c, &mut scratch);
    let (lo, hi) = histogram::bounds(stats.range.min, stats.range.max);
    let histogram = histogram::histogram(values, lo, hi, CHANNEL_HISTOGRAM_BINS);
    let mut method_scratch = Vec::new();
    let methods = compared_methods(percentile)
        .into_iter()
        .map(|m| {
            let opts = Options {
                method: m,
                ..Options::new(spec)
            };
            (
                m,
                clip_range(&opts, values, stats.range, &mut method_scratch),
            )
        })
        .collect();
    let group_ranges = report.groups[stats.groups.clone()]
        .iter()
        .map(|g| representable_range(&spec, &g.params))
        .collect();
    let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let values = (finite.len() <= MAX_CHANNEL_VALUES_SHOWN && report.axis.is_some()).then(|| {
        let roundtrip = |x: &[f32], p: &QParams| {
            let q = quantizer(&spec, p);
            let mut codes = vec![0i32; x.len()];
            kernels::quantize(x, &q, &mut codes);
            let mut out = vec![0f32; x.len()];
            kernels::dequantize(&codes, &q, &mut out);
            // As in the error measurement: within a step of f32::MAX, x̂ saturates (no infinity on screen).
            out.iter_mut()
                .for_each(|v| *v = kernels::scalar::saturate_finite(*v));
            out
        };
        let t = roundtrip(&finite, &report.tensor_params);
        let own = roundtrip(&finite, &stats.params);
        // Per group: each value under the grid of the group it belongs to.
        let g = group_roundtrip(report, values, c, &roundtrip);
        finite
            .iter()
            .enumerate()
            .map(|(i, &x)| (x, t[i], own[i], g.get(i).copied().unwrap_or(x)))
            .collect()
    });
    Some(ChannelView {
        channel: c,
        histogram,
        values,
        methods,
        group_ranges,
    })
}

/// x̂ of channel `c`'s finite values (in channel order) under their groups' grids.
fn group_roundtrip(
    report: &Report,
    values: &[f32],
    c: usize,
    roundtrip: &dyn Fn(&[f32], &QParams) -> Vec<f32>,
) -> Vec<f32> {
    let stats = &report.channels[c];
    let groups = &report.groups[stats.groups.clone()];
    if report.shape.len() <= 1 {
        return groups
            .first()
            .map(|g| {
                roundtrip(
                    &values
                        .iter()
                        .copied()
                        .filter(|v| v.is_finite())
                        .collect::<Vec<_>>(),
                    &g.params,
                )
            })
            .unwrap_or_default();
    }
    // Which group each position of the gathered channel belongs to.
    let (_, dim, inner) = report.group.row;
    let blocks = dim.div_ceil(report.group.size);
    let mut out = Vec::new();
    for (pos, &v) in values.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        let i = pos % inner;
        let k = (pos / inner) % dim;
        let o = pos / (inner * dim);
        let gi = (o * blocks + k / report.group.size) * inner + i;
        let xh = groups
            .get(gi)
            .map(|g| roundtrip(&[v], &g.params)[0])
            .unwrap_or(v);
        out.push(xh);
    }
    out
}

impl Report {
    /// The per-group scheme as ONNX blocked grids (`block` = group size along the group axis), in the
    /// C order of the scale tensor (the input's shape with `ceil(dim / size)` along the group axis).
    /// `None` for 0-d and 1-D tensors, whose groups run across channels.
    pub fn per_group_grids(&self) -> Option<Grids> {
        let axis = self.axis?;
        let rank = self.shape.len();
        if rank < 2 {
            return None;
        }
        // Whole rows are one axis only for a 2-D tensor.
        let ga = match self.group.axis {
            Some(g) => g,
            None if rank == 2 => 1 - axis,
            None => return None,
        };
        let size = self.group.size;
        let mut scale_shape = self.shape.clone();
        scale_shape[ga] = self.shape[ga].div_ceil(size);
        // Extents of the channel's other axes, in order, with the group axis counted in blocks.
        let rest: Vec<usize> = (0..rank).filter(|&d| d != axis).collect();
        let total: usize = scale_shape.iter().product();
        let mut grids = Vec::with_capacity(total);
        let mut idx = vec![0usize; rank];
        for _ in 0..total {
            let c = idx[axis];
            let mut local = 0usize;
            for &d in &rest {
                local = local * scale_shape[d] + idx[d];
            }
            let g = self.groups.get(c * self.group.per_channel + local)?;
            grids.push(quantizer(&self.spec, &g.params));
            // Next index in C order.
            for d in (0..rank).rev() {
                idx[d] += 1;
                if idx[d] < scale_shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        Some(Grids::Blocked {
            axis: ga,
            block: size,
            grids,
        })
    }
}

impl Report {
    /// The per-group scheme's codes for `tensor` (the tensor analysed), in the tensor's own
    /// element order: every group quantized with its own grid, whatever the group layout.
    pub fn per_group_codes(&self, tensor: &Tensor) -> Result<Vec<i32>, EngineError> {
        if tensor.shape() != self.shape.as_slice() {
            return Err(EngineError::ShapeMismatch {
                shape: self.shape.clone(),
                expected: self.element_count(),
                found: tensor.len(),
            });
        }
        let data = tensor.data();
        let mut out = vec![0i32; data.len()];
        let size = self.group.size.max(1);
        if self.shape.len() <= 1 {
            // Groups of consecutive elements across the (one-element) channels.
            for (chunk, (o, g)) in data
                .chunks(size)
                .zip(out.chunks_mut(size).zip(&self.groups))
            {
                kernels::quantize(chunk, &quantizer(&self.spec, &g.params), o);
            }
            return Ok(out);
        }
        let layout = self.layout;
        let (g_outer, g_dim, g_inner) = self.group.row;
        let blocks = g_dim.div_ceil(size);
        let mut scratch = Vec::new();
        let mut codes = Vec::new();
        for (c, stats) in self.channels.iter().enumerate() {
            let values = channel_values(tensor, data, layout, c, &mut scratch);
            codes.clear();
            codes.resize(values.len(), 0);
            let groups = &self.groups[stats.groups.clone()];
            for o in 0..g_outer {
                for b in 0..blocks {
                    for i in 0..g_inner {
                        let q =
                            quantizer(&self.spec, &groups[(o * blocks + b) * g_inner + i].params);
                        for k in b * size..((b + 1) * size).min(g_dim) {
                            let j = (o * g_dim + k) * g_inner + i;
                            codes[j] = kernels::scalar::quantize_one(values[j], &q);
                        }
                    }
                }
            }
            // Scatter the channel back: gathered position j is (outer o, inner i) of channel c.
            for (j, &q) in codes.iter().enumerate() {
                let (o, i) = (j / layout.inner, j % layout.inner);
                out[(o * layout.channels + c) * layout.inner + i] = q;
            }
        }
        Ok(out)
    }
}
