//! Whole-tensor quantize / dequantize with one grid per granule (tensor or channel).

use super::kernels::{self, Quantizer};
use super::tensor::Tensor;
use super::EngineError;

/// The granules of a quantization: one grid for the whole tensor, or one per index along `axis`.
#[derive(Debug, Clone, PartialEq)]
pub enum Grids {
    PerTensor(Quantizer),
    PerAxis { axis: usize, grids: Vec<Quantizer> },
}

impl Grids {
    fn check(&self, shape: &[usize]) -> Result<(), EngineError> {
        if let Grids::PerAxis { axis, grids } = self {
            let a = super::tensor::normalize_axis(*axis as isize, shape.len())?;
            if grids.len() != shape[a] {
                return Err(EngineError::ShapeMismatch {
                    shape: vec![shape[a]],
                    expected: shape[a],
                    found: grids.len(),
                });
            }
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
