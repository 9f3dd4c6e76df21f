//! A dense float32 tensor in C (row-major) order and the channel view the analysis works in.

use super::EngineError;

/// A dense float32 tensor, C order. Values may be non-finite; the engine counts and excludes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

/// How channel `c` along an axis is laid out in a C-order buffer: `outer` runs of `inner`
/// contiguous values, run `o` of channel `c` starting at `(o * channels + c) * inner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelLayout {
    pub outer: usize,
    pub channels: usize,
    pub inner: usize,
}

impl ChannelLayout {
    /// Number of values in one channel.
    pub fn channel_len(&self) -> usize {
        self.outer * self.inner
    }
}

impl Tensor {
    /// A tensor from a shape and C-order values; the element count must match the shape.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor, EngineError> {
        let expected = element_count(&shape)?;
        if expected != data.len() {
            return Err(EngineError::ShapeMismatch {
                shape,
                expected,
                found: data.len(),
            });
        }
        Ok(Tensor { shape, data })
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Turns a possibly negative axis (as NumPy and ONNX accept) into `0..rank`.
    pub fn normalize_axis(&self, axis: isize) -> Result<usize, EngineError> {
        normalize_axis(axis, self.rank())
    }

    /// The channel layout along a normalized axis.
    pub fn layout(&self, axis: usize) -> Result<ChannelLayout, EngineError> {
        if self.rank() == 0 {
            return Err(EngineError::NeedsDimension);
        }
        let axis = normalize_axis(axis as isize, self.rank())?;
        Ok(ChannelLayout {
            outer: self.shape[..axis].iter().product(),
            channels: self.shape[axis],
            inner: self.shape[axis + 1..].iter().product(),
        })
    }

    /// The values of channel `c`: borrowed when contiguous (the channel axis is the first
    /// non-unit one), otherwise gathered into `scratch`.
    pub fn channel<'a>(
        &'a self,
        layout: ChannelLayout,
        c: usize,
        scratch: &'a mut Vec<f32>,
    ) -> &'a [f32] {
        let ChannelLayout {
            outer,
            channels,
            inner,
        } = layout;
        if outer == 1 {
            let start = c * inner;
            return &self.data[start..start + inner];
        }
        scratch.clear();
        scratch.reserve(outer * inner);
        for o in 0..outer {
            let start = (o * channels + c) * inner;
            scratch.extend_from_slice(&self.data[start..start + inner]);
        }
        scratch
    }
}

/// The number of elements of a shape, refusing one that overflows `usize`.
pub fn element_count(shape: &[usize]) -> Result<usize, EngineError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| EngineError::ShapeOverflow {
            shape: shape.to_vec(),
        })
}

/// `axis` in `-rank..rank` -> `0..rank`.
pub fn normalize_axis(axis: isize, rank: usize) -> Result<usize, EngineError> {
    if rank == 0 {
        return Err(EngineError::NeedsDimension);
    }
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        Ok(a as usize)
    } else {
        Err(EngineError::AxisOutOfRange { axis, rank })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_axes_normalize_and_out_of_range_is_refused() {
        assert_eq!(normalize_axis(-1, 4), Ok(3));
        assert_eq!(normalize_axis(-4, 4), Ok(0));
        assert_eq!(normalize_axis(3, 4), Ok(3));
        assert_eq!(
            normalize_axis(4, 4),
            Err(EngineError::AxisOutOfRange { axis: 4, rank: 4 })
        );
        assert_eq!(
            normalize_axis(-5, 4),
            Err(EngineError::AxisOutOfRange { axis: -5, rank: 4 })
        );
        assert_eq!(normalize_axis(0, 0), Err(EngineError::NeedsDimension));
        let msg = EngineError::AxisOutOfRange { axis: 4, rank: 4 }.to_string();
        assert!(msg.contains("axis 4") && msg.contains("-4..=3"), "{msg}");
    }

    #[test]
    fn channels_gather_along_any_axis() {
        // shape (2, 3, 2): value = 100*i + 10*j + k
        let mut data = Vec::new();
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..2 {
                    data.push((100 * i + 10 * j + k) as f32);
                }
            }
        }
        let t = Tensor::new(vec![2, 3, 2], data).unwrap();
        let mut s = Vec::new();
        let l = t.layout(1).unwrap();
        assert_eq!(
            l,
            ChannelLayout {
                outer: 2,
                channels: 3,
                inner: 2
            }
        );
        assert_eq!(t.channel(l, 2, &mut s), &[20.0, 21.0, 120.0, 121.0]);
        let l = t.layout(0).unwrap();
        assert_eq!(
            t.channel(l, 1, &mut s),
            &[100.0, 101.0, 110.0, 111.0, 120.0, 121.0]
        );
        let l = t.layout(2).unwrap();
        assert_eq!(
            t.channel(l, 1, &mut s),
            &[1.0, 11.0, 21.0, 101.0, 111.0, 121.0]
        );
    }

    #[test]
    fn shape_mismatch_and_overflow_are_refused() {
        assert!(matches!(
            Tensor::new(vec![2, 3], vec![0.0; 5]),
            Err(EngineError::ShapeMismatch {
                expected: 6,
                found: 5,
                ..
            })
        ));
        assert!(matches!(
            element_count(&[usize::MAX, 2]),
            Err(EngineError::ShapeOverflow { .. })
        ));
        assert_eq!(element_count(&[]), Ok(1));
        assert_eq!(element_count(&[3, 0]), Ok(0));
    }
}
