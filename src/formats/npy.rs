//! `.npy` (NumPy format 1.0, 2.0, 3.0) -> float32 tensor.
//!
//! The header is parsed by the `npyz` crate. The preamble (magic, version, header length) is checked
//! here first so that each refusal names what was expected, and the data is decoded here straight
//! from the byte slice: npyz reads element by element through `io::Read`, which is slow for large
//! tensors, and it cannot tell "truncated" from other I/O errors.

use std::io::Cursor;

use npyz::{DType, Endianness, NpyHeader, Order, TypeChar};

use super::{FormatError, Loaded, MAX_ELEMENTS};
use crate::engine::Tensor;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Reads a `.npy` file held in memory.
pub fn read_npy(bytes: &[u8]) -> Result<Loaded, FormatError> {
    let header_end = check_preamble(bytes)?;
    let header = NpyHeader::from_reader(Cursor::new(&bytes[..header_end])).map_err(|e| {
        FormatError::BadHeader {
            reason: e.to_string(),
        }
    })?;
    let (kind, size, endian) = element_type(&header.dtype())?;

    let shape: Vec<usize> = header
        .shape()
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| FormatError::ShapeOverflow {
            shape: format!("{:?}", header.shape()),
        })?;
    let elements = header
        .shape()
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| FormatError::ShapeOverflow {
            shape: format!("{:?}", header.shape()),
        })?;
    if elements > MAX_ELEMENTS {
        return Err(FormatError::TooLarge {
            elements,
            limit: MAX_ELEMENTS,
        });
    }
    let expected = elements * size as u64;
    let data = &bytes[header_end..];
    if (data.len() as u64) < expected {
        return Err(FormatError::TruncatedData {
            elements,
            expected,
            found: data.len() as u64,
            found_elements: data.len() as u64 / size as u64,
        });
    }
    let mut notes = Vec::new();
    if data.len() as u64 > expected {
        notes.push(format!(
            "{} bytes after the array data were ignored (NumPy ignores them too)",
            data.len() as u64 - expected
        ));
    }
    let values = decode(&data[..expected as usize], kind, size, endian);
    if !matches!(kind, Kind::Float) {
        notes.push(format!(
            "the tensor was stored as {}, not float: its values were converted to float32",
            type_name(kind, size)
        ));
    } else if size == 8 {
        notes.push("float64 values were rounded to float32".to_string());
    }
    let values = if header.order() == Order::Fortran && shape.len() > 1 {
        fortran_to_c(&shape, values)
    } else {
        values
    };
    let tensor = Tensor::new(shape, values).map_err(|e| FormatError::BadHeader {
        reason: e.to_string(),
    })?;
    Ok(Loaded {
        tensor,
        dtype: format!("{} ({})", type_name(kind, size), header.dtype().descr()),
        notes,
    })
}

/// Checks magic, version and header length; returns the offset where the data starts.
fn check_preamble(bytes: &[u8]) -> Result<usize, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::EmptyFile);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Err(FormatError::ZipArchive);
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
    Ok(end as usize)
}

fn show_bytes(b: &[u8]) -> String {
    let printable = b.iter().all(|c| c.is_ascii_graphic() || *c == b' ');
    if printable {
        format!("\"{}\"", String::from_utf8_lossy(b))
    } else {
        b.iter().map(|c| format!("\\x{c:02x}")).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

fn element_type(dtype: &DType) -> Result<(Kind, usize, Endianness), FormatError> {
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
            let kind = match (ts.type_char(), size) {
                (TypeChar::Float, 2 | 4 | 8) => Kind::Float,
                (TypeChar::Int, 1 | 2 | 4 | 8) => Kind::Int,
                (TypeChar::Uint, 1 | 2 | 4 | 8) => Kind::Uint,
                (TypeChar::Bool, 1) => Kind::Bool,
                (TypeChar::Object, _) => return Err(FormatError::ObjectDtype),
                _ => {
                    return Err(FormatError::UnsupportedDtype {
                        descr: dtype.descr(),
                    })
                }
            };
            Ok((kind, size, ts.endianness()))
        }
    }
}

fn type_name(kind: Kind, size: usize) -> String {
    match kind {
        Kind::Float => format!("float{}", size * 8),
        Kind::Int => format!("int{}", size * 8),
        Kind::Uint => format!("uint{}", size * 8),
        Kind::Bool => "bool".to_string(),
    }
}

/// Decodes `data` (exactly `n * size` bytes) into float32 values.
fn decode(data: &[u8], kind: Kind, size: usize, endian: Endianness) -> Vec<f32> {
    let big = matches!(endian, Endianness::Big);
    macro_rules! conv {
        ($t:ty, $n:literal, $f:expr) => {
            data.chunks_exact($n)
                .map(|c| {
                    let mut a = [0u8; $n];
                    a.copy_from_slice(c);
                    let v = if big {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    };
                    $f(v)
                })
                .collect()
        };
    }
    match (kind, size) {
        (Kind::Float, 2) => conv!(u16, 2, |v| half::f16::from_bits(v).to_f32()),
        (Kind::Float, 4) => conv!(f32, 4, |v| v),
        (Kind::Float, _) => conv!(f64, 8, |v: f64| v as f32),
        (Kind::Int, 1) => data.iter().map(|&b| f32::from(b as i8)).collect(),
        (Kind::Int, 2) => conv!(i16, 2, f32::from),
        (Kind::Int, 4) => conv!(i32, 4, |v: i32| v as f32),
        (Kind::Int, _) => conv!(i64, 8, |v: i64| v as f32),
        (Kind::Uint, 1) => data.iter().map(|&b| f32::from(b)).collect(),
        (Kind::Uint, 2) => conv!(u16, 2, f32::from),
        (Kind::Uint, 4) => conv!(u32, 4, |v: u32| v as f32),
        (Kind::Uint, _) => conv!(u64, 8, |v: u64| v as f32),
        (Kind::Bool, _) => data
            .iter()
            .map(|&b| if b != 0 { 1.0 } else { 0.0 })
            .collect(),
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
