//! Raw element bytes -> float32, for every numeric dtype the loaders accept.

/// The element types the loaders accept, by family and byte size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// IEEE float of 2, 4 or 8 bytes.
    Float(usize),
    /// bfloat16 (safetensors `BF16`).
    BFloat16,
    Int(usize),
    Uint(usize),
    Bool,
}

impl Element {
    pub fn size(self) -> usize {
        match self {
            Element::Float(n) | Element::Int(n) | Element::Uint(n) => n,
            Element::BFloat16 => 2,
            Element::Bool => 1,
        }
    }

    /// `float32`, `bfloat16`, `int8`, `bool`, …
    pub fn name(self) -> String {
        match self {
            Element::Float(n) => format!("float{}", n * 8),
            Element::BFloat16 => "bfloat16".to_string(),
            Element::Int(n) => format!("int{}", n * 8),
            Element::Uint(n) => format!("uint{}", n * 8),
            Element::Bool => "bool".to_string(),
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Element::Float(_) | Element::BFloat16)
    }

    /// What the user should know about reading this type as float32, if anything.
    pub fn note(self) -> Option<String> {
        match self {
            Element::Float(8) => Some("float64 values were rounded to float32".to_string()),
            e if !e.is_float() => Some(format!(
                "the tensor was stored as {}, not float: its values were converted to float32",
                e.name()
            )),
            _ => None,
        }
    }
}

/// Decodes `data` (a whole number of elements) into float32 values.
pub fn decode(data: &[u8], elem: Element, big_endian: bool) -> Vec<f32> {
    macro_rules! conv {
        ($t:ty, $n:literal, $f:expr) => {
            data.chunks_exact($n)
                .map(|c| {
                    let mut a = [0u8; $n];
                    a.copy_from_slice(c);
                    let v = if big_endian {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    };
                    $f(v)
                })
                .collect()
        };
    }
    match elem {
        Element::Float(2) => conv!(u16, 2, |v| half::f16::from_bits(v).to_f32()),
        Element::BFloat16 => conv!(u16, 2, |v| half::bf16::from_bits(v).to_f32()),
        Element::Float(4) => conv!(f32, 4, |v| v),
        Element::Float(_) => conv!(f64, 8, |v: f64| v as f32),
        Element::Int(1) => data.iter().map(|&b| f32::from(b as i8)).collect(),
        Element::Int(2) => conv!(i16, 2, f32::from),
        Element::Int(4) => conv!(i32, 4, |v: i32| v as f32),
        Element::Int(_) => conv!(i64, 8, |v: i64| v as f32),
        Element::Uint(1) => data.iter().map(|&b| f32::from(b)).collect(),
        Element::Uint(2) => conv!(u16, 2, f32::from),
        Element::Uint(4) => conv!(u32, 4, |v: u32| v as f32),
        Element::Uint(_) => conv!(u64, 8, |v: u64| v as f32),
        Element::Bool => data
            .iter()
            .map(|&b| if b != 0 { 1.0 } else { 0.0 })
            .collect(),
    }
}

/// Float64 values that are finite but beyond the float32 range become ±inf when read as float32,
/// and are then excluded like non-finite values: say so, with the count, so nobody mistakes them
/// for infinities in the file.
pub fn overflow_note(
    data: &[u8],
    elem: Element,
    big_endian: bool,
    values: &[f32],
) -> Option<String> {
    if elem != Element::Float(8) {
        return None;
    }
    let overflowed = data
        .chunks_exact(8)
        .zip(values)
        .filter(|(c, v)| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            let x = if big_endian {
                f64::from_be_bytes(a)
            } else {
                f64::from_le_bytes(a)
            };
            x.is_finite() && v.is_infinite()
        })
        .count();
    (overflowed > 0).then(|| {
        format!(
            "{overflowed} float64 value(s) are beyond the float32 range (±3.4e38): they became ±inf and are excluded like non-finite values"
        )
    })
}
