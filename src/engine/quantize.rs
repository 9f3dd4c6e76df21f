//! Whole-tensor quantize / dequantize with one grid per granule (tensor or channel).

use super::kernels::{self, Quantizer};
use super::tensor::Tensor;
use super::EngineError;

/// The granules of a quantization: one grid for the whole tensor, or one per index along `axis`.
#[derive(Debug, Clone, PartialEq)]
pub enum Grids {
    PerTensor(Quantizer),
    PerAxis {
        axis: usize,
        grids: Vec<Quantizer>,
    },
    /// ONNX blocked quantization: along `axis`, index `i` uses block `i / block`; the grids are in
    /// the C order of the scale tensor (the input's shape with `ceil(dim / block)` along `axis`).
    Blocked {
        axis: usize,
        block: usize,
        grids: Vec<Quantizer>,
    },
}

impl Grids {
    fn check(&self, shape: &[usize]) -> Result<(), EngineError> {
        let (axis, grids, per_axis) = match self {
            Grids::PerTensor(_) => return Ok(()),
            Grids::PerAxis { axis, grids } => (*axis, grids, None),
            Grids::Blocked { axis, block, grids } => (*axis, grids, Some(*block)),
        };
        let a = super::tensor::normalize_axis(axis as isize, shape.len())?;
        let expected = match per_axis {
            None => shape[a],
            Some(block) => {
                let mut s = shape.to_vec();
                s[a] = shape[a].div_ceil(block.max(1));
                super::tensor::element_count(&s)?
            }
        };
        if grids.len() != expected {
            return Err(EngineError::ShapeMismatch {
                shape: vec![expected],
                expected,
                found: grids.len(),
            });
        }
        Ok(())
    }

    /// Calls `f(range, grid)` for every contiguous run of values sharing one grid.
    fn for_each_run(
        &self,
        shape: &[usize],
        len: usize,
        mut f: impl FnMut(std::ops::Range<usize>, &Quantizer),
    ) {
        match self {
            Grids::PerTensor(q) => f(0..len, q),
            Grids::Blocked { axis, block, grids } => {
                let dim = shape[*axis];
                let inner: usize = shape[axis + 1..].iter().product();
                let outer: usize = shape[..*axis].iter().product();
                let blocks = dim.div_ceil((*block).max(1));
                for o in 0..outer {
                    for k in 0..dim {
                        let start = (o * dim + k) * inner;
                        let row = (o * blocks + k / block) * inner;
                        for i in 0..inner {
                            f(start + i..start + i + 1, &grids[row + i]);
                        }
                    }
                }
            }
            Grids::PerAxis { axis, grids } => {
                let channels = grids.len();
                let inner: usize = shape[axis + 1..].iter().product();
                let outer: usize = shape[..*axis].iter().product();
                for o in 0..outer {
                    for (c, q) in grids.iter().enumerate() {
                        let start = (o * channels + c) * inner;
                        f(start..start + inner, q);
                    }
                }
            }
        }
    }
}

/// Integer codes of every value of `t` (C order), with ONNX QuantizeLinear semantics.
pub fn quantize_tensor(t: &Tensor, grids: &Grids) -> Result<Vec<i32>, EngineError> {
    grids.check(t.shape())?;
    let mut out = vec![0i32; t.len()];
    grids.for_each_run(t.shape(), t.len(), |r, q| {
        kernels::quantize(&t.data()[r.clone()], q, &mut out[r])
    });
    Ok(out)
}

/// Values of `codes` (C order, shape `shape`) dequantized with ONNX DequantizeLinear semantics.
pub fn dequantize_tensor(
    shape: &[usize],
    codes: &[i32],
    grids: &Grids,
) -> Result<Vec<f32>, EngineError> {
    grids.check(shape)?;
    let expected = super::tensor::element_count(shape)?;
    if expected != codes.len() {
        return Err(EngineError::ShapeMismatch {
            shape: shape.to_vec(),
            expected,
            found: codes.len(),
        });
    }
    let mut out = vec![0f32; codes.len()];
    grids.for_each_run(shape, codes.len(), |r, q| {
        kernels::dequantize(&codes[r.clone()], q, &mut out[r])
    });
    Ok(out)
}

/// TensorFlow's fake quantization (`FakeQuantWithMinMaxVars[PerChannel]`, the QAT op) of one
/// channel, in TF's own float32 order of operations: nudge the range ([`super::params::tf_nudged`]),
/// `nudged_min = (qmin - zp)·s`, `nudged_max = (qmax - zp)·s`, then
/// `y = floor((clamp(x, nudged_min, nudged_max) - nudged_min) · (1/s) + 0.5) · s + nudged_min`.
/// Shifting before scaling rounds differently from `round(x / s) + zp` near ties, so this is kept
/// as its own function rather than a [`Quantizer`] mode. `min == max == 0` outputs zeros; NaN stays NaN.
pub fn tf_fake_quant(x: &[f32], rmin: f32, rmax: f32, qmin: i32, qmax: i32) -> Vec<f32> {
    let p = super::params::tf_nudged(rmin, rmax, qmin, qmax);
    if p.degenerate {
        return x
            .iter()
            .map(|&v| if v.is_nan() { v } else { 0.0 })
            .collect();
    }
    let s = p.scale;
    let inv = 1.0 / s;
    let lo = (qmin - p.zero_point) as f32 * s;
    let hi = (qmax - p.zero_point) as f32 * s;
    x.iter()
        .map(|&v| {
            let c = if v < lo {
                lo
            } else if v > hi {
                hi
            } else {
                v
            };
            ((c - lo) * inv + 0.5).floor() * s + lo
        })
        .collect()
}
