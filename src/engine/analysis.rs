//! One call: tensor + channel axis + scheme -> everything the page shows, for both granularities.

use super::histogram::{self, Histogram};
use super::kernels::{self, ErrorSums, MinMax, Quantizer};
use super::metrics;
use super::params::{params_for_range, representable_range, QParams};
use super::quantize::Grids;
use super::spec::QuantSpec;
use super::tensor::{ChannelLayout, Tensor};
use super::EngineError;

/// Bins of the whole-tensor histogram.
pub const TENSOR_HISTOGRAM_BINS: usize = 120;
/// Bins of a single channel's histogram.
pub const CHANNEL_HISTOGRAM_BINS: usize = 60;

/// One channel under both granularities.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelStats {
    /// Finite min and max (`+inf`/`-inf` when the channel has no finite value).
    pub range: MinMax,
    /// The channel's own scale and zero point (per-channel scheme).
    pub params: QParams,
    /// The real range the channel's own grid covers, `[(qmin - zp)·scale, (qmax - zp)·scale]`.
    pub chosen: (f64, f64),
    /// Error when the channel uses the tensor's one scale.
    pub err_per_tensor: ErrorSums,
    /// Error when the channel uses its own scale.
    pub err_per_channel: ErrorSums,
}

impl ChannelStats {
    pub fn msqe_per_tensor(&self) -> f64 {
        metrics::msqe(self.err_per_tensor.sum_sq_err, self.err_per_tensor.count)
    }
    pub fn msqe_per_channel(&self) -> f64 {
        metrics::msqe(self.err_per_channel.sum_sq_err, self.err_per_channel.count)
    }
    /// Every finite value is zero (and there is at least one).
    pub fn is_all_zero(&self) -> bool {
        self.range.min == 0.0 && self.range.max == 0.0
    }
    pub fn has_finite(&self) -> bool {
        self.range.has_finite()
    }
}

/// Totals of one granularity over the whole tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SchemeSummary {
    pub msqe: f64,
    /// `None` when the error is exactly zero.
    pub sqnr_db: Option<f64>,
    pub max_abs_err: f64,
    pub sums: ErrorSums,
}

impl SchemeSummary {
    fn from_sums(sums: ErrorSums) -> SchemeSummary {
        SchemeSummary {
            msqe: metrics::msqe(sums.sum_sq_err, sums.count),
            sqnr_db: metrics::sqnr_db(sums.sum_sq_x, sums.sum_sq_err),
            max_abs_err: sums.max_abs_err,
            sums,
        }
    }
}

/// Everything the plots and numbers need.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub spec: QuantSpec,
    pub shape: Vec<usize>,
    /// The normalized channel axis; `None` for a 0-d tensor, which is analysed as one channel.
    pub axis: Option<usize>,
    pub layout: ChannelLayout,
    /// Finite min/max of the whole tensor and the count of non-finite values.
    pub range: MinMax,
    /// The one scale and zero point of the per-tensor scheme.
    pub tensor_params: QParams,
    /// The real range the per-tensor grid covers.
    pub tensor_chosen: (f64, f64),
    pub channels: Vec<ChannelStats>,
    pub per_tensor: SchemeSummary,
    pub per_channel: SchemeSummary,
    /// Histogram of all finite values.
    pub histogram: Histogram,
}

impl Report {
    /// How many times lower the per-channel MSQE is (`None` when per-channel error is zero).
    pub fn improvement(&self) -> Option<f64> {
        (self.per_channel.msqe > 0.0).then(|| self.per_tensor.msqe / self.per_channel.msqe)
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

/// The integer grid of a granule for `spec`: its scale/zero point, saturating at the type range.
pub fn quantizer(spec: &QuantSpec, p: &QParams) -> Quantizer {
    let (qmin, qmax) = spec.type_range();
    Quantizer {
        scale: p.scale,
        zero_point: p.zero_point,
        qmin,
        qmax,
    }
}

/// Quantizes `tensor` per-tensor and per-channel along `axis` (negative axes count from the end)
/// with `spec`, and measures both. A 0-d tensor is analysed as a single channel with `axis: None`.
pub fn analyze(tensor: &Tensor, axis: isize, spec: QuantSpec) -> Result<Report, EngineError> {
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
    let data = tensor.data();
    let mut scratch = Vec::new();

    // Pass 1: the range of every channel; the tensor's range is their union.
    let mut ranges = Vec::with_capacity(layout.channels);
    for c in 0..layout.channels {
        let values = channel_values(tensor, data, layout, c, &mut scratch);
        ranges.push(kernels::min_max_finite(values));
    }
    let range = ranges.iter().fold(MinMax::EMPTY, |acc, r| acc.merge(*r));
    let tensor_params = params_for_range(&spec, range.min, range.max);
    let tensor_q = quantizer(&spec, &tensor_params);

    // Pass 2: error of every channel under the tensor's grid and under its own.
    let mut channels = Vec::with_capacity(layout.channels);
    let mut total_t = ErrorSums::default();
    let mut total_c = ErrorSums::default();
    for (c, r) in ranges.iter().enumerate() {
        let values = channel_values(tensor, data, layout, c, &mut scratch);
        let params = params_for_range(&spec, r.min, r.max);
        let err_per_tensor = kernels::quant_error(values, &tensor_q);
        let err_per_channel = kernels::quant_error(values, &quantizer(&spec, &params));
        total_t = total_t.merge(err_per_tensor);
        total_c = total_c.merge(err_per_channel);
        channels.push(ChannelStats {
            range: *r,
            params,
            chosen: representable_range(&spec, &params),
            err_per_tensor,
            err_per_channel,
        });
    }

    let (lo, hi) = histogram::bounds(range.min, range.max);
    Ok(Report {
        spec,
        shape: tensor.shape().to_vec(),
        axis,
        layout,
        range,
        tensor_params,
        tensor_chosen: representable_range(&spec, &tensor_params),
        channels,
        per_tensor: SchemeSummary::from_sums(total_t),
        per_channel: SchemeSummary::from_sums(total_c),
        histogram: histogram::histogram(data, lo, hi, TENSOR_HISTOGRAM_BINS),
    })
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

/// Channels with at most this many values also get every value drawn with where it lands.
pub const MAX_CHANNEL_VALUES_SHOWN: usize = 64;

/// What the selected-channel chart needs: the histogram of channel `c` over its own finite range
/// (see [`histogram::bounds`]) and, for a small channel, each value with its dequantized value
/// under the per-tensor grid and under the channel's own grid.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    pub channel: usize,
    pub histogram: Histogram,
    /// `(x, x̂ per-tensor, x̂ per-channel)` for every finite value, when there are few enough.
    pub values: Option<Vec<(f32, f32, f32)>>,
}

pub fn channel_view(tensor: &Tensor, report: &Report, c: usize) -> Option<ChannelView> {
    let stats = report.channels.get(c)?;
    let mut scratch = Vec::new();
    let values = channel_values(tensor, tensor.data(), report.layout, c, &mut scratch);
    let (lo, hi) = histogram::bounds(stats.range.min, stats.range.max);
    let histogram = histogram::histogram(values, lo, hi, CHANNEL_HISTOGRAM_BINS);
    let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let values = (finite.len() <= MAX_CHANNEL_VALUES_SHOWN).then(|| {
        let roundtrip = |p: &QParams| {
            let q = quantizer(&report.spec, p);
            let mut codes = vec![0i32; finite.len()];
            kernels::quantize(&finite, &q, &mut codes);
            let mut out = vec![0f32; finite.len()];
            kernels::dequantize(&codes, &q, &mut out);
            out
        };
        let (t, own) = (roundtrip(&report.tensor_params), roundtrip(&stats.params));
        finite
            .iter()
            .zip(t.iter().zip(&own))
            .map(|(&x, (&a, &b))| (x, a, b))
            .collect()
    });
    Some(ChannelView {
        channel: c,
        histogram,
        values,
    })
}
