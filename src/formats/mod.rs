//! Bytes -> [`Tensor`](crate::engine::Tensor), with errors that say what was expected and what was found.
//!
//! Three containers, told apart by their first bytes (never by the file name): `.npy` (NumPy's
//! magic `\x93NUMPY`), `.npz` (a zip archive of `.npy` members) and `.safetensors` (an 8-byte
//! little-endian header length followed by a JSON header).

pub mod decode;
mod file_bytes;
pub mod npy;
pub mod npz;
pub mod safetensors;

pub use file_bytes::FileBytes;

use crate::engine::Tensor;

/// The largest tensor the page accepts: 128 Mi elements (512 MiB as float32).
pub const MAX_ELEMENTS: u64 = 128 * 1024 * 1024;
/// The largest file the page reads into memory (it holds the file and a float32 copy at once).
pub const MAX_FILE_BYTES: u64 = 768 * 1024 * 1024;

/// A decoded tensor and what the user should know about how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub tensor: Tensor,
    /// The stored dtype in words, e.g. `float32 (<f4)`.
    pub dtype: String,
    /// Visible notes: a conversion that happened, trailing bytes ignored, …
    pub notes: Vec<String>,
}

/// One tensor inside a multi-tensor file, for the picker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub is_float: bool,
    /// Why it cannot be read, when it cannot.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Container {
    Npy,
    Npz,
    Safetensors,
}

impl Container {
    pub fn name(self) -> &'static str {
        match self {
            Container::Npy => ".npy",
            Container::Npz => ".npz",
            Container::Safetensors => ".safetensors",
        }
    }
}

/// A file opened: its tensors, the one chosen and that tensor decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub container: Container,
    /// Empty for `.npy` (one array, no name).
    pub members: Vec<Member>,
    pub member: Option<String>,
    pub loaded: Loaded,
}

/// Every refusal of the loaders (docs/INPUTS.md lists them with their messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the file is empty (0 bytes); expected a .npy, .npz or .safetensors file")]
    EmptyFile,
    #[error("not a .npy, .npz or .safetensors file: expected \\x93NUMPY, a zip archive or a safetensors header at the start, found {found}")]
    BadMagic { found: String },
    #[error("file too large: {} ({bytes} bytes); the limit is {} (the page holds the file and a float32 copy in memory)", crate::format::bytes(*bytes), crate::format::bytes(*limit))]
    FileTooLarge { bytes: u64, limit: u64 },
    #[error(
        "unsupported .npy format version {major}.{minor}; supported versions are 1.0, 2.0 and 3.0"
    )]
    UnsupportedVersion { major: u8, minor: u8 },
    #[error("truncated header: the file ends after {found} bytes, inside the .npy header (which needs {needed} bytes)")]
    TruncatedHeader { needed: u64, found: u64 },
    #[error("malformed .npy header: {reason}")]
    BadHeader { reason: String },
    #[error(
        "object arrays (dtype 'O', stored with pickle) are not supported; nothing was unpickled"
    )]
    ObjectDtype,
    #[error("structured dtypes are not supported (this array has fields {fields}); save one numeric field as its own array")]
    StructuredDtype { fields: String },
    #[error("unsupported dtype {descr}; expected a float (16, 32 or 64 bit, or bfloat16), integer (8 to 64 bit) or bool tensor")]
    UnsupportedDtype { descr: String },
    #[error("the shape {shape} has more elements than can be addressed")]
    ShapeOverflow { shape: String },
    #[error("tensor too large: {elements} elements, the limit is {limit} elements ({} as float32)", crate::format::bytes(*limit * 4))]
    TooLarge { elements: u64, limit: u64 },
    #[error("truncated data: {elements} elements ({expected} bytes) expected, {found} bytes ({found_elements} whole elements) found")]
    TruncatedData {
        elements: u64,
        expected: u64,
        found: u64,
        found_elements: u64,
    },
    #[error("not a readable zip archive: {reason}")]
    BadArchive { reason: String },
    #[error("the archive holds no arrays (no .npy members)")]
    EmptyArchive,
    #[error("the .safetensors file holds no tensors (its header lists none besides __metadata__)")]
    NoTensors,
    #[error("not a valid .safetensors file: {reason}")]
    BadSafetensors { reason: String },
    #[error("the file has no tensor named '{name}'")]
    MemberNotFound { name: String },
    #[error("member '{name}': {error}")]
    InMember {
        name: String,
        error: Box<FormatError>,
    },
}

/// Which container the bytes are, from their first bytes.
pub fn detect(bytes: &[u8]) -> Result<Container, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::EmptyFile);
    }
    if bytes.starts_with(b"\x93NUMPY") || b"\x93NUMPY".starts_with(bytes) {
        return Ok(Container::Npy);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(Container::Npz);
    }
    if bytes.len() >= 9 && bytes[8] == b'{' {
        return Ok(Container::Safetensors);
    }
    Err(FormatError::BadMagic {
        found: show_bytes(&bytes[..bytes.len().min(8)]),
    })
}

/// How the first bytes of an unknown file are shown in a message.
pub fn show_bytes(b: &[u8]) -> String {
    let printable = |c: u8| c.is_ascii_graphic() || c == b' ';
    if b.iter().all(|&c| printable(c)) {
        format!("\"{}\"", String::from_utf8_lossy(b))
    } else {
        // As the magic is written in the message: printable ASCII as itself (a backslash
        // doubled), every other byte as \xNN, e.g. \x93NUMPX\x01\x00.
        b.iter()
            .map(|&c| match c {
                b'\\' => "\\\\".to_string(),
                c if printable(c) => (c as char).to_string(),
                c => format!("\\x{c:02x}"),
            })
            .collect()
    }
}

/// The tensor to show first: the largest float tensor with at least two dimensions (a weight),
/// else the largest readable one.
pub fn default_member(members: &[Member]) -> Option<&Member> {
    let size = |m: &Member| m.shape.iter().map(|&d| d as u128).product::<u128>();
    let readable = || members.iter().filter(|m| m.problem.is_none());
    readable()
        .filter(|m| m.is_float && m.shape.len() >= 2)
        .max_by_key(|m| size(m))
        .or_else(|| readable().max_by_key(|m| size(m)))
}

/// Opens a whole file: detects the container and decodes `member` (or the default one).
pub fn open(bytes: &[u8], member: Option<&str>) -> Result<Opened, FormatError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FormatError::FileTooLarge {
            bytes: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    let container = detect(bytes)?;
    if container == Container::Npy {
        return Ok(Opened {
            container,
            members: Vec::new(),
            member: None,
            loaded: npy::read_npy(bytes)?,
        });
    }
    let members = match container {
        Container::Npz => npz::members(bytes)?,
        _ => safetensors::members(bytes)?,
    };
    let name = match member {
        Some(m) => m.to_string(),
        None => match default_member(&members) {
            Some(m) => m.name.clone(),
            // Nothing readable: reading the first member gives its refusal, worded as when it
            // is picked.
            None => members[0].name.clone(),
        },
    };
    let loaded = match container {
        Container::Npz => npz::read_member(bytes, &name)?,
        _ => safetensors::read_member(bytes, &name)?,
    };
    Ok(Opened {
        container,
        members,
        member: Some(name),
        loaded,
    })
}

/// What can be refused from the first bytes of a file and its size, before reading all of it:
/// files over [`MAX_FILE_BYTES`], and a `.npy` whose header declares too many elements or more
/// data than the file holds. `head` is the start of the file (64 KiB is plenty for any header).
pub fn precheck(head: &[u8], file_size: u64) -> Result<(), FormatError> {
    if file_size == 0 {
        return Err(FormatError::EmptyFile);
    }
    if detect(head)? == Container::Npy {
        match npy::read_header(head) {
            Ok(h) => {
                let available = file_size.saturating_sub(h.data_start as u64);
                if available < h.data_bytes() {
                    return Err(FormatError::TruncatedData {
                        elements: h.elements,
                        expected: h.data_bytes(),
                        found: available,
                        found_elements: available / h.elem.size() as u64,
                    });
                }
            }
            // The header continues past `head`: only a file that really ends there is refused.
            Err(FormatError::TruncatedHeader { needed, .. }) if needed <= file_size => {}
            Err(e) => return Err(e),
        }
    }
    if file_size > MAX_FILE_BYTES {
        return Err(FormatError::FileTooLarge {
            bytes: file_size,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::show_bytes;

    #[test]
    fn unknown_first_bytes_are_shown_readably() {
        assert_eq!(show_bytes(b"hello, w"), "\"hello, w\"");
        assert_eq!(show_bytes(b"\x93NUMPX\x01\x00"), "\\x93NUMPX\\x01\\x00");
        assert_eq!(show_bytes(b"a\\b\n"), "a\\\\b\\x0a");
        assert_eq!(show_bytes(&[0xff, 0x00]), "\\xff\\x00");
    }
}
