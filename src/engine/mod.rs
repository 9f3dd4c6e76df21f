//! The math, in pure Rust: no web types, so it is tested and benchmarked natively.

pub mod analysis;
pub mod histogram;
pub mod kernels;
pub mod metrics;
pub mod params;
pub mod quantize;
pub mod range;
pub mod spec;
pub mod tensor;

pub use analysis::{analyze, ChannelStats, Report, SchemeSummary};
pub use params::QParams;
pub use spec::QuantSpec;
pub use tensor::{ChannelLayout, Tensor};

/// Everything the engine can refuse, each saying what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("channel axis {axis} is out of range for a tensor with {rank} dimensions (expected {lo}..={hi})", lo = -(*rank as isize), hi = *rank as isize - 1)]
    AxisOutOfRange { axis: isize, rank: usize },
    #[error("per-channel quantization needs at least one dimension, but this tensor is 0-d (a single value)")]
    NeedsDimension,
    #[error("shape {shape:?} holds {expected} elements, but {found} values were given")]
    ShapeMismatch {
        shape: Vec<usize>,
        expected: usize,
        found: usize,
    },
    #[error("the shape {shape:?} has more elements than this machine can address")]
    ShapeOverflow { shape: Vec<usize> },
    #[error("an analysis started on a tensor of shape {started:?} was continued on one of shape {given:?}")]
    AnalysisTensorChanged {
        started: Vec<usize>,
        given: Vec<usize>,
    },
    #[error("the analysis is not finished: {done} of {channels} channels measured")]
    AnalysisUnfinished { done: usize, channels: usize },
}
