//! `.npy` (NumPy format 1.0, 2.0, 3.0) -> float32 tensor.
//!
//! Read here without a parser crate: the preamble (magic, version, header length) is checked first
//! so that each refusal names what was expected, the header dict is parsed by [`header`] (a small
//! strict parser following NumPy's own `format.py`), and the data is decoded straight from the byte
//! slice.

mod header;
#[cfg(test)]
mod tests;

use header::{Descr, Dims};

use super::decode::{decode, Element};
use super::{show_bytes, FileBytes, FormatError, Loaded, MAX_ELEMENTS};
use crate::engine::Tensor;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// What a `.npy` header says, checked: element type, shape, memory order and where the data starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub elem: Element,
    pub big_endian: bool,
    pub shape: Vec<usize>,
    pub fortran_order: bool,
    /// Byte offset of the first element.
    pub data_start: usize,
    pub elements: u64,
    /// The dtype as written, in quotes as messages show it, e.g. `'<f4'`.
    pub descr: String,
}

impl Header {
    pub fn data_bytes(&self) -> u64 {
        self.elements * self.elem.size() as u64
    }
}

/// The longest header accepted: NumPy writes a few hundred bytes (more for wide structured dtypes).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Parses and checks the header; `bytes` needs to hold only the header (not the data). Refuses a
/// tensor over [`MAX_ELEMENTS`] here, so a page can refuse a huge file before reading it.
pub fn read_header(bytes: &[u8]) -> Result<Header, FormatError> {
    let (major, text_start, header_end) = check_preamble(bytes)?;
    let raw = bytes.get(text_start..header_end).unwrap_or_default();
    if raw.len() > MAX_HEADER_BYTES {
        return Err(FormatError::BadHeader {
            reason: format!(
                "the header is {} bytes long; at most {MAX_HEADER_BYTES} are accepted",
                raw.len()
            ),
        });
    }
    let dict = header::parse(&header_text(raw, major)?, major < 3)?;
    let overflow = |dims: &Dims| FormatError::ShapeOverflow { shape: dims.show() };
    // Every dimension counts here, zeros as ones: a shape with a 0 in it is still refused when the
    // others multiply past u64.
    let dims = Option::<Vec<u64>>::from_iter(dict.shape.values.iter().copied())
        .filter(|dims| {
            dims.iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d.max(1)))
                .is_some()
        })
        .ok_or_else(|| overflow(&dict.shape))?;
    let (elem, big_endian) = element_type(&dict.descr)?;
    let elements = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .filter(|n| n.checked_mul(elem.size() as u64).is_some())
        .ok_or_else(|| overflow(&dict.shape))?;
    // Checked before converting to usize, so a 32-bit page says "too large", with the numbers.
    if elements > MAX_ELEMENTS {
        return Err(FormatError::TooLarge {
            elements,
            limit: MAX_ELEMENTS,
        });
    }
    let shape: Vec<usize> = dims
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| overflow(&dict.shape))?;
    Ok(Header {
        elem,
        big_endian,
        shape,
        fortran_order: dict.fortran_order,
        data_start: header_end,
        elements,
        descr: dict.descr.shown(),
    })
}

/// The header bytes as text, decoded as NumPy decodes them: Latin-1 for format 1.0 and 2.0 (every
/// byte is a character), UTF-8 for 3.0.
fn header_text(raw: &[u8], major: u8) -> Result<Vec<char>, FormatError> {
    if major < 3 {
        return Ok(raw.iter().map(|&b| char::from(b)).collect());
    }
    std::str::from_utf8(raw)
        .map(|s| s.chars().collect())
        .map_err(|e| {
            let valid = raw.get(..e.valid_up_to()).unwrap_or_default();
            FormatError::BadHeader {
                reason: format!(
                    "the header is not valid UTF-8 at character {} (a format 3.0 header is UTF-8 text)",
                    String::from_utf8_lossy(valid).chars().count() + 1
                ),
            }
        })
}

/// A `.npy` version 1.0 file from a header dict literal and raw data: the header is padded with
/// spaces so the data starts at a multiple of 64 bytes, as NumPy writes it.
pub fn encode(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// A little-endian float32 `.npy` of `shape` (C order).
pub fn encode_f32(shape: &[usize], values: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    encode(
        &format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}"),
        &data,
    )
}

/// Reads a `.npy` file, taking its buffer: little-endian float32 data in C order becomes the
/// tensor in place (see [`FileBytes`]); anything else is decoded as by [`read_npy`].
pub fn read_npy_owned(file: FileBytes) -> Result<Loaded, FormatError> {
    let h = read_header(file.as_bytes())?;
    let in_place = h.elem == Element::Float(4)
        && !h.big_endian
        && !(h.fortran_order && h.shape.len() > 1)
        && (file.len() - h.data_start) as u64 >= h.data_bytes();
    if !in_place {
        return read_npy(file.as_bytes());
    }
    let extra = (file.len() - h.data_start) as u64 - h.data_bytes();
    let notes = if extra > 0 {
        vec![trailing_note(extra)]
    } else {
        Vec::new()
    };
    let values = file.into_f32_le(h.data_start, h.elements as usize);
    loaded(h, values, notes)
}

/// The tensor the header describes, from its decoded C-order values.
fn loaded(h: Header, values: Vec<f32>, notes: Vec<String>) -> Result<Loaded, FormatError> {
    let dtype = format!("{} ({})", h.elem.name(), h.descr);
    let tensor = Tensor::new(h.shape, values).map_err(|e| FormatError::BadHeader {
        reason: e.to_string(),
    })?;
    Ok(Loaded {
        tensor,
        dtype,
        notes,
    })
}

fn trailing_note(extra: u64) -> String {
    format!("{extra} bytes after the array data were ignored (NumPy ignores them too)")
}

/// Reads a `.npy` file held in memory.
pub fn read_npy(bytes: &[u8]) -> Result<Loaded, FormatError> {
    let h = read_header(bytes)?;
    let expected = h.data_bytes();
    let data = &bytes[h.data_start..];
    if (data.len() as u64) < expected {
        return Err(FormatError::TruncatedData {
            elements: h.elements,
            expected,
            found: data.len() as u64,
            found_elements: data.len() as u64 / h.elem.size() as u64,
        });
    }
    let mut notes = Vec::new();
    if data.len() as u64 > expected {
        notes.push(trailing_note(data.len() as u64 - expected));
    }
    let values = decode(&data[..expected as usize], h.elem, h.big_endian);
    notes.extend(h.elem.note());
    notes.extend(super::decode::overflow_note(
        &data[..expected as usize],
        h.elem,
        h.big_endian,
        &values,
    ));
    let values = if h.fortran_order && h.shape.len() > 1 {
        fortran_to_c(&h.shape, values)
    } else {
        values
    };
    loaded(h, values, notes)
}

/// Checks magic, version and header length; returns the major version and where the header text
/// starts and ends (the data starts where it ends).
fn check_preamble(bytes: &[u8]) -> Result<(u8, usize, usize), FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::EmptyFile);
    }
    let head = &bytes[..bytes.len().min(MAGIC.len())];
    if head != &MAGIC[..head.len()] || bytes.len() < MAGIC.len() {
        if head == &MAGIC[..head.len()] {
            return Err(FormatError::TruncatedHeader {
                needed: 10,
                found: bytes.len() as u64,
            });
        }
        return Err(FormatError::BadMagic {
            found: show_bytes(head),
        });
    }
    let (Some(&major), Some(&minor)) = (bytes.get(6), bytes.get(7)) else {
        return Err(FormatError::TruncatedHeader {
            needed: 10,
            found: bytes.len() as u64,
        });
    };
    let (len_bytes, start) = match major {
        1 => (2usize, 10usize),
        2 | 3 => (4, 12),
        _ => return Err(FormatError::UnsupportedVersion { major, minor }),
    };
    let Some(len_field) = bytes.get(8..8 + len_bytes) else {
        return Err(FormatError::TruncatedHeader {
            needed: start as u64,
            found: bytes.len() as u64,
        });
    };
    let header_len = len_field
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let end = start as u64 + header_len;
    if (bytes.len() as u64) < end {
        return Err(FormatError::TruncatedHeader {
            needed: end,
            found: bytes.len() as u64,
        });
    }
    Ok((major, start, end as usize))
}

/// The element type of a dtype string and whether it is big-endian. NumPy writes a byte order
/// (`<` little, `>` big, `|` not applicable) then a kind and a size in bytes: `<f4`, `>i8`, `|b1`.
/// A multi-byte type must say its byte order; `=` (the writer's native order) is accepted only
/// where the order does not matter, as `|` is.
fn element_type(descr: &Descr) -> Result<(Element, bool), FormatError> {
    let s = match descr {
        Descr::Plain(s) => s,
        // NumPy reads an empty field list as a dtype of no bytes.
        Descr::Fields(names) if names.is_empty() => {
            return Err(FormatError::UnsupportedDtype {
                descr: "[] (a structured dtype without fields)".to_string(),
            })
        }
        Descr::Fields(names) => {
            return Err(FormatError::StructuredDtype {
                fields: Descr::names(names),
            })
        }
    };
    let (order, rest) = match s.strip_prefix(['<', '>', '|', '=']) {
        Some(rest) => (s.chars().next(), rest),
        None => (None, s.as_str()),
    };
    let mut chars = rest.chars();
    let kind = chars.next();
    if kind == Some('O') {
        return Err(FormatError::ObjectDtype);
    }
    let size_text = chars.as_str();
    let size = if !size_text.is_empty() && size_text.bytes().all(|b| b.is_ascii_digit()) {
        size_text.parse::<usize>().ok()
    } else {
        None
    };
    let elem = match (kind, size) {
        (Some('f'), Some(n @ (2 | 4 | 8))) => Element::Float(n),
        (Some('i'), Some(n @ (1 | 2 | 4 | 8))) => Element::Int(n),
        (Some('u'), Some(n @ (1 | 2 | 4 | 8))) => Element::Uint(n),
        (Some('b'), Some(1)) => Element::Bool,
        _ => {
            return Err(FormatError::UnsupportedDtype {
                descr: descr.shown(),
            })
        }
    };
    match order {
        Some('<') => Ok((elem, false)),
        Some('>') => Ok((elem, true)),
        _ if elem.size() == 1 => Ok((elem, false)),
        _ => Err(FormatError::BadHeader {
            reason: format!(
                "the dtype '{s}' does not say its byte order; a multi-byte type needs '<' \
                 (little-endian) or '>' (big-endian)"
            ),
        }),
    }
}

/// Column-major values of `shape` -> row-major.
fn fortran_to_c(shape: &[usize], values: Vec<f32>) -> Vec<f32> {
    use ndarray::{ArrayD, IxDyn, ShapeBuilder};
    match ArrayD::from_shape_vec(IxDyn(shape).f(), values) {
        // `iter` walks in logical (row-major) order whatever the memory order.
        Ok(a) => a.iter().copied().collect(),
        Err(e) => unreachable_shape(e),
    }
}

#[cold]
fn unreachable_shape(e: ndarray::ShapeError) -> Vec<f32> {
    // The element count was checked against the shape before decoding.
    debug_assert!(false, "shape checked before decoding: {e}");
    Vec::new()
}
