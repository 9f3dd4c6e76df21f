//! The benchmark workload and operations, shared by the native bench (`benches/kernels.rs`) and the
//! wasm bench (`bench/wasm`), so both time exactly the same code on exactly the same data.

use crate::engine::analysis::{analyze_memo, quantizer, Options, TensorMemo};
use crate::engine::histogram::{bounds, histogram};
use crate::engine::kernels::{self, MinMax, Quantizer};
use crate::engine::params::params_for_range;
use crate::engine::{QuantSpec, Tensor};

/// A weight-like tensor `[channels, n / channels]`: channel `c` is noise with a range spread over
/// three decades (channels differ in range, as in the depthwise samples). Deterministic.
pub fn workload(n: usize, channels: usize) -> Tensor {
    let channels = channels.clamp(1, n.max(1));
    let per = n / channels;
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut data = Vec::with_capacity(per * channels);
    for c in 0..channels {
        let amp = 10f32.powf(-3.0 + 3.0 * c as f32 / channels as f32);
        for _ in 0..per {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 40) as f32 / (1u64 << 24) as f32;
            data.push((u * 2.0 - 1.0) * amp);
        }
    }
    Tensor::new(vec![channels, per], data)
        .unwrap_or_else(|_| unreachable!("shape built from the data"))
}

/// One timed operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    RangePerTensor,
    RangePerChannel,
    QuantizePerTensor,
    QuantizePerChannel,
    DequantizePerChannel,
    QdqErrorPerTensor,
    QdqErrorPerChannel,
    Histogram,
    Analysis,
    AnalysisFirst,
}

pub const OPS: &[(Op, &str)] = &[
    (Op::RangePerTensor, "range reduction, per-tensor"),
    (Op::RangePerChannel, "range reduction, per-channel"),
    (Op::QuantizePerTensor, "quantize, per-tensor"),
    (Op::QuantizePerChannel, "quantize, per-channel"),
    (Op::DequantizePerChannel, "dequantize, per-channel"),
    (
        Op::QdqErrorPerTensor,
        "quantize + dequantize + error, per-tensor",
    ),
    (
        Op::QdqErrorPerChannel,
        "quantize + dequantize + error, per-channel",
    ),
    (Op::Histogram, "histogram (120 bins)"),
    (
        Op::Analysis,
        "whole analysis behind the page, on a control change",
    ),
    (
        Op::AnalysisFirst,
        "whole analysis behind the page, of a newly opened tensor",
    ),
];

/// The workload with everything an operation needs prepared outside the timing.
pub struct Runner {
    pub tensor: Tensor,
    per: usize,
    tensor_q: Quantizer,
    channel_q: Vec<Quantizer>,
    codes: Vec<i32>,
    out: Vec<f32>,
    /// What the page's service keeps between analyses of the tensor (filled before any timing).
    memo: TensorMemo,
}

impl Runner {
    pub fn new(n: usize, channels: usize) -> Runner {
        let tensor = workload(n, channels);
        let spec = QuantSpec::SYMMETRIC_INT8;
        let per = tensor.shape()[1];
        let r = kernels::min_max_finite(tensor.data());
        let tensor_q = quantizer(&spec, &params_for_range(&spec, r.min, r.max));
        let channel_q = tensor
            .data()
            .chunks_exact(per.max(1))
            .map(|ch| {
                let r = kernels::min_max_finite(ch);
                quantizer(&spec, &params_for_range(&spec, r.min, r.max))
            })
            .collect();
        let len = tensor.len();
        let mut runner = Runner {
            tensor,
            per,
            tensor_q,
            channel_q,
            codes: vec![0; len],
            out: vec![0.0; len],
            memo: TensorMemo::default(),
        };
        runner.run(Op::AnalysisFirst);
        runner.run(Op::QuantizePerChannel);
        runner
    }

    pub fn len(&self) -> usize {
        self.tensor.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tensor.is_empty()
    }

    /// Runs `op` once; returns a value derived from the result so no work can be optimised away.
    pub fn run(&mut self, op: Op) -> f64 {
        let data = self.tensor.data();
        let per = self.per.max(1);
        match op {
            Op::RangePerTensor => f64::from(kernels::min_max_finite(data).max),
            Op::RangePerChannel => data
                .chunks_exact(per)
                .map(kernels::min_max_finite)
                .fold(MinMax::EMPTY, MinMax::merge)
                .max
                .into(),
            Op::QuantizePerTensor => {
                kernels::quantize(data, &self.tensor_q, &mut self.codes);
                f64::from(self.codes[self.codes.len() / 2])
            }
            Op::QuantizePerChannel => {
                for ((x, q), qz) in data
                    .chunks_exact(per)
                    .zip(self.codes.chunks_exact_mut(per))
                    .zip(&self.channel_q)
                {
                    kernels::quantize(x, qz, q);
                }
                f64::from(self.codes[self.codes.len() / 2])
            }
            Op::DequantizePerChannel => {
                for ((q, o), qz) in self
                    .codes
                    .chunks_exact(per)
                    .zip(self.out.chunks_exact_mut(per))
                    .zip(&self.channel_q)
                {
                    kernels::dequantize(q, qz, o);
                }
                f64::from(self.out[self.out.len() / 2])
            }
            Op::QdqErrorPerTensor => kernels::quant_error(data, &self.tensor_q).sum_sq_err,
            Op::QdqErrorPerChannel => data
                .chunks_exact(per)
                .zip(&self.channel_q)
                .map(|(x, qz)| kernels::quant_error(x, qz).sum_sq_err)
                .sum(),
            Op::Histogram => {
                let r = kernels::min_max_finite(data);
                let (lo, hi) = bounds(r.min, r.max);
                histogram(data, lo, hi, 120).counts[60] as f64
            }
            Op::Analysis => {
                let opts = Options::new(QuantSpec::SYMMETRIC_INT8);
                analyze_memo(&self.tensor, 0, &opts, &mut self.memo, &mut |_| {})
                    .map(|r| r.per_channel.msqe)
                    .unwrap_or(f64::NAN)
            }
            Op::AnalysisFirst => {
                // A fresh memo, as after opening a tensor: the histogram is counted too.
                self.memo = TensorMemo::default();
                let opts = Options::new(QuantSpec::SYMMETRIC_INT8);
                analyze_memo(&self.tensor, 0, &opts, &mut self.memo, &mut |_| {})
                    .map(|r| r.per_channel.msqe)
                    .unwrap_or(f64::NAN)
            }
        }
    }
}
