//! `.safetensors` (Hugging Face) -> its tensors, read with the `safetensors` crate (built without
//! `std` so it also runs in wasm). The crate validates the header, offsets and total length.

use safetensors::tensor::{Dtype, SafeTensors};

use super::decode::{decode, Element};
use super::{FormatError, Loaded, Member, MAX_ELEMENTS};
use crate::engine::Tensor;

fn open(bytes: &[u8]) -> Result<SafeTensors<'_>, FormatError> {
    SafeTensors::deserialize(bytes).map_err(|e| FormatError::BadSafetensors {
        reason: e.to_string(),
    })
}

fn element(dtype: Dtype) -> Option<Element> {
    Some(match dtype {
        Dtype::F16 => Element::Float(2),
        Dtype::BF16 => Element::BFloat16,
        Dtype::F32 => Element::Float(4),
        Dtype::F64 => Element::Float(8),
        Dtype::I8 => Element::Int(1),
        Dtype::I16 => Element::Int(2),
        Dtype::I32 => Element::Int(4),
        Dtype::I64 => Element::Int(8),
        Dtype::U8 => Element::Uint(1),
        Dtype::U16 => Element::Uint(2),
        Dtype::U32 => Element::Uint(4),
        Dtype::U64 => Element::Uint(8),
        Dtype::BOOL => Element::Bool,
        _ => return None,
    })
}

/// Every tensor in the file, sorted by name, with its dtype and shape.
pub fn members(bytes: &[u8]) -> Result<Vec<Member>, FormatError> {
    let st = open(bytes)?;
    let mut out: Vec<Member> = st
        .iter()
        .map(|(name, view)| {
            let elem = element(view.dtype());
            Member {
                name: name.to_string(),
                dtype: elem
                    .map(Element::name)
                    .unwrap_or_else(|| format!("{:?}", view.dtype())),
                shape: view.shape().to_vec(),
                is_float: elem.is_some_and(Element::is_float),
                problem: elem
                    .is_none()
                    .then(|| unsupported(view.dtype()).to_string()),
            }
        })
        .collect();
    if out.is_empty() {
        return Err(FormatError::NoTensors);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn unsupported(dtype: Dtype) -> FormatError {
    FormatError::UnsupportedDtype {
        descr: format!("'{dtype:?}'"),
    }
}

/// Reads tensor `name`.
pub fn read_member(bytes: &[u8], name: &str) -> Result<Loaded, FormatError> {
    let st = open(bytes)?;
    let view = st.tensor(name).map_err(|_| FormatError::MemberNotFound {
        name: name.to_string(),
    })?;
    let elem = element(view.dtype()).ok_or_else(|| unsupported(view.dtype()))?;
    let elements = view
        .shape()
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| FormatError::ShapeOverflow {
            shape: format!("{:?}", view.shape()),
        })?;
    if elements > MAX_ELEMENTS {
        return Err(FormatError::TooLarge {
            elements,
            limit: MAX_ELEMENTS,
        });
    }
    let values = decode(view.data(), elem, false);
    let mut notes: Vec<String> = elem.note().into_iter().collect();
    notes.extend(super::decode::overflow_note(
        view.data(),
        elem,
        false,
        &values,
    ));
    let tensor =
        Tensor::new(view.shape().to_vec(), values).map_err(|e| FormatError::BadSafetensors {
            reason: e.to_string(),
        })?;
    Ok(Loaded {
        tensor,
        dtype: format!("{} ({:?})", elem.name(), view.dtype()),
        notes,
    })
}
