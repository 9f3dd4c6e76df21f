//! Bytes -> [`Tensor`](crate::engine::Tensor), with errors that say what was expected and what was found.

pub mod npy;

use crate::engine::Tensor;

/// The largest tensor the page accepts, in elements (1 GiB of float32).
pub const MAX_ELEMENTS: u64 = 256 * 1024 * 1024;

/// A decoded tensor and what the user should know about how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub tensor: Tensor,
    /// The stored dtype in words, e.g. `float32 (<f4)`.
    pub dtype: String,
    /// Visible notes: a conversion that happened, trailing bytes ignored, …
    pub notes: Vec<String>,
}

/// Every refusal of the loaders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the file is empty (0 bytes); expected a .npy file")]
    EmptyFile,
    #[error("not a .npy file: expected the magic bytes \\x93NUMPY at the start, found {found}")]
    BadMagic { found: String },
    #[error("this is a zip archive (.npz); this version reads single .npy files — save one array with numpy.save")]
    ZipArchive,
    #[error(
        "unsupported .npy format version {major}.{minor}; supported versions are 1.0, 2.0 and 3.0"
    )]
    UnsupportedVersion { major: u8, minor: u8 },
    #[error("truncated header: the file ends after {found} bytes, inside the .npy header (which needs {needed} bytes)")]
    TruncatedHeader { needed: u64, found: u64 },
    #[error("malformed .npy header: {reason}")]
    BadHeader { reason: String },
    #[error(
        "object arrays (dtype '|O', stored with pickle) are not supported; nothing was unpickled"
    )]
    ObjectDtype,
    #[error("structured dtypes are not supported (this array has fields {fields}); save one numeric field as its own array")]
    StructuredDtype { fields: String },
    #[error("unsupported dtype '{descr}'; expected a float (f2, f4, f8), integer (i1..i8, u1..u8) or bool array")]
    UnsupportedDtype { descr: String },
    #[error("the shape {shape} has more elements than can be addressed")]
    ShapeOverflow { shape: String },
    #[error(
        "tensor too large: {elements} elements, the limit is {limit} elements (1 GiB of float32)"
    )]
    TooLarge { elements: u64, limit: u64 },
    #[error("truncated data: {elements} elements ({expected} bytes) expected, {found} bytes ({found_elements} whole elements) found")]
    TruncatedData {
        elements: u64,
        expected: u64,
        found: u64,
        found_elements: u64,
    },
}
