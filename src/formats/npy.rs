//! `.npy` (NumPy format 1.0, 2.0, 3.0) -> float32 tensor.
//!
//! The header is parsed by the `npyz` crate. The preamble (magic, version, header length) is checked
//! here first so that each refusal names what was expected, and the data is decoded here straight
//! from the byte slice: npyz reads element by element through `io::Read`, which is slow for large
//! tensors, and it cannot tell "truncated" from other I/O errors.

use std::io::Cursor;

use npyz::{DType, Endianness, NpyHeader, Order, TypeChar};

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
    /// The dtype as written, e.g. `<f4`.
    pub descr: String,
}

impl Header {
    pub fn data_bytes(&self) -> u64 {
        self.elements * self.elem.size() as u64
    }
}

/// Parses and checks the header; `bytes` needs to hold only the header (not the data). Refuses a
/// tensor over [`MAX_ELEMENTS`] here, so a page can refuse a huge file before reading it.
pub fn read_header(bytes: &[u8]) -> Result<Header, FormatError> {
    let (text_start, header_end) = check_preamble(bytes)?;
    check_header_shape(&bytes[text_start..header_end])?;
    // npyz multiplies the shape (and its strides) without checking for overflow (a panic with
    // overflow checks on): refuse an overflowing or non-integer shape before handing it over.
    if let Some(dims) = declared_shape(&bytes[text_start..header_end])? {
        if dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d.max(1)))
            .is_none()
        {
            return Err(FormatError::ShapeOverflow {
                shape: format!("{dims:?}"),
            });
        }
    }
    let header = NpyHeader::from_reader(Cursor::new(&bytes[..header_end])).map_err(|e| {
        FormatError::BadHeader {
            reason: header_reason(&e.to_string()),
        }
    })?;
    let (elem, big_endian) = element_type(&header.dtype())?;
    let shape_text = || format!("{:?}", header.shape());
    let elements = header
        .shape()
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .filter(|n| n.checked_mul(elem.size() as u64).is_some())
        .ok_or_else(|| FormatError::ShapeOverflow {
            shape: shape_text(),
        })?;
    // Checked before converting to usize, so a 32-bit page says "too large", with the numbers.
    if elements > MAX_ELEMENTS {
        return Err(FormatError::TooLarge {
            elements,
            limit: MAX_ELEMENTS,
        });
    }
    let shape: Vec<usize> = header
        .shape()
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| FormatError::ShapeOverflow {
            shape: shape_text(),
        })?;
    Ok(Header {
        elem,
        big_endian,
        shape,
        fortran_order: header.order() == Order::Fortran,
        data_start: header_end,
        elements,
        descr: header.dtype().descr(),
    })
}

/// npyz's refusal in one line: its literal parser reports a syntax error as a multi-line drawing
/// (`--> 1:58`, the header text, a caret, `= expected EOI`); that becomes where and what.
fn header_reason(raw: &str) -> String {
    if !raw.contains('\n') {
        return raw.to_string();
    }
    let at = raw
        .split("-->")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|pos| pos.split(':').nth(1))
        .map(|col| format!(" at character {col}"))
        .unwrap_or_default();
    let expected = raw
        .lines()
        .find_map(|l| l.trim().strip_prefix("= "))
        .map(|e| {
            if e == "expected EOI" {
                " (nothing may follow the closing brace)".to_string()
            } else {
                format!(" ({e})")
            }
        })
        .unwrap_or_default();
    format!("the header is not a Python dict literal{at}{expected}")
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

/// Checks magic, version and header length; returns where the header text starts and ends
/// (the data starts where it ends).
fn check_preamble(bytes: &[u8]) -> Result<(usize, usize), FormatError> {
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
    Ok((start, end as usize))
}

/// The longest header accepted: NumPy writes a few hundred bytes (more for wide structured dtypes).
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The deepest bracket nesting accepted; a structured dtype with sub-array fields needs 3.
const MAX_NESTING: usize = 8;
/// The most brackets accepted in one header (a structured dtype uses two or three per field).
const MAX_BRACKETS: usize = 1024;

/// Refuses a header that cannot be a NumPy header dict before it reaches npyz: the header parser it
/// uses (py_literal) backtracks exponentially on some malformed inputs (fuzzing found a 300-byte
/// header with nested braces that took minutes), which would freeze the page.
fn check_header_shape(text: &[u8]) -> Result<(), FormatError> {
    let bad = |reason: String| Err(FormatError::BadHeader { reason });
    if text.len() > MAX_HEADER_BYTES {
        return bad(format!(
            "the header is {} bytes long; at most {MAX_HEADER_BYTES} are accepted",
            text.len()
        ));
    }
    // NumPy writes no escapes in headers (dtype strings, field names); Python escapes such as
    // `\N{…}` and runs of backslashes are what sends that parser into its slowest paths.
    if let Some(at) = text.iter().position(|&b| b == b'\\') {
        return bad(format!(
            "unexpected backslash at byte {at} of the header; NumPy headers hold no escapes"
        ));
    }
    let (mut depth, mut braces, mut brackets, mut quote) = (0usize, 0usize, 0usize, None::<u8>);
    for &b in text {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'{' => {
                braces += 1;
                if braces > 1 || depth > 0 {
                    return bad(
                        "expected one dict literal {...}, found a nested or second '{'".to_string(),
                    );
                }
                depth += 1;
            }
            b'(' | b'[' => {
                depth += 1;
                brackets += 1;
                if depth > MAX_NESTING {
                    return bad(format!("brackets nested deeper than {MAX_NESTING} levels"));
                }
                if brackets > MAX_BRACKETS {
                    return bad(format!("more than {MAX_BRACKETS} brackets in the header"));
                }
            }
            b'}' | b')' | b']' => {
                if depth == 0 {
                    return bad(format!("unbalanced '{}'", b as char));
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    if braces != 1 || depth != 0 || quote.is_some() {
        return bad(
            "expected one complete dict literal {...} with balanced brackets and quotes"
                .to_string(),
        );
    }
    Ok(())
}

/// The integers of the header's `'shape': (…)` tuple; `None` when the header names no shape (the
/// full parser then says so). A shape that is not a plain tuple of whole numbers is refused here:
/// NumPy only ever writes those, and the parser behind npyz would evaluate `1+2` and the like.
/// Integers too large for u64 count as overflow (`u64::MAX`).
fn declared_shape(header: &[u8]) -> Result<Option<Vec<u64>>, FormatError> {
    let Ok(text) = std::str::from_utf8(header) else {
        return Ok(None);
    };
    let Some(at) = text.find("'shape'").or_else(|| text.find("\"shape\"")) else {
        return Ok(None);
    };
    let rest = &text[at + 7..];
    let bad = || FormatError::BadHeader {
        reason: format!(
            "the shape must be a tuple of whole numbers, found {}",
            rest.trim_start_matches([':', ' '])
                .chars()
                .take(40)
                .collect::<String>()
        ),
    };
    let rest = rest
        .trim_start()
        .strip_prefix(':')
        .ok_or_else(bad)?
        .trim_start();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.split_once(')'))
        .map(|(i, _)| i)
        .ok_or_else(bad)?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let t = t.strip_suffix('L').unwrap_or(t);
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                Ok(t.parse::<u64>().unwrap_or(u64::MAX))
            } else {
                Err(bad())
            }
        })
        .collect::<Result<Vec<u64>, _>>()
        .map(Some)
}

fn element_type(dtype: &DType) -> Result<(Element, bool), FormatError> {
    match dtype {
        DType::Record(fields) => Err(FormatError::StructuredDtype {
            fields: fields
                .iter()
                .map(|f| format!("'{}'", f.name))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        DType::Array(..) => Err(FormatError::UnsupportedDtype {
            descr: dtype.descr(),
        }),
        DType::Plain(ts) => {
            let size = ts.size_field() as usize;
            let elem = match (ts.type_char(), size) {
                (TypeChar::Float, 2 | 4 | 8) => Element::Float(size),
                (TypeChar::Int, 1 | 2 | 4 | 8) => Element::Int(size),
                (TypeChar::Uint, 1 | 2 | 4 | 8) => Element::Uint(size),
                (TypeChar::Bool, 1) => Element::Bool,
                (TypeChar::Object, _) => return Err(FormatError::ObjectDtype),
                _ => {
                    return Err(FormatError::UnsupportedDtype {
                        descr: dtype.descr(),
                    })
                }
            };
            Ok((elem, matches!(ts.endianness(), Endianness::Big)))
        }
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
