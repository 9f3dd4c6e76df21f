//! `.npz` (NumPy zip archives, stored or deflated) -> its members, each read as a `.npy`.
//!
//! The `zip` crate reads the archive, with only the codec NumPy uses (it writes archives stored or
//! deflated): deflate through flate2's pure-Rust backend, so it also runs in wasm. Each member is
//! read by [`super::npy`].

use std::io::{Cursor, Read};

use super::npy::{read_header, read_npy};
use super::{FormatError, Loaded, Member, MAX_ELEMENTS};

fn archive(bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, FormatError> {
    zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| FormatError::BadArchive {
        reason: e.to_string(),
    })
}

/// The `.npy` members of the archive (name without `.npy`), with dtype and shape from each header.
pub fn members(bytes: &[u8]) -> Result<Vec<Member>, FormatError> {
    let mut zip = archive(bytes)?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).map_err(|e| FormatError::BadArchive {
            reason: e.to_string(),
        })?;
        let Some(name) = file.name().strip_suffix(".npy").map(str::to_string) else {
            continue;
        };
        // Headers are small: the first 64 KiB hold any header NumPy writes.
        let mut head = Vec::new();
        (&mut file)
            .take(64 * 1024)
            .read_to_end(&mut head)
            .map_err(|e| FormatError::BadArchive {
                reason: format!("member '{name}': {e}"),
            })?;
        let member = match read_header(&head) {
            Ok(h) => Member {
                name,
                dtype: h.elem.name(),
                shape: h.shape,
                is_float: h.elem.is_float(),
                problem: None,
            },
            Err(e) => Member {
                name,
                dtype: "?".to_string(),
                shape: Vec::new(),
                is_float: false,
                problem: Some(e.to_string()),
            },
        };
        out.push(member);
    }
    if out.is_empty() {
        return Err(FormatError::EmptyArchive);
    }
    Ok(out)
}

/// Reads member `name` (as listed by [`members`]).
pub fn read_member(bytes: &[u8], name: &str) -> Result<Loaded, FormatError> {
    let mut zip = archive(bytes)?;
    let path = format!("{name}.npy");
    let mut file = match zip.by_name(&path) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(FormatError::MemberNotFound {
                name: name.to_string(),
            });
        }
        Err(e) => {
            return Err(FormatError::BadArchive {
                reason: e.to_string(),
            })
        }
    };
    // The declared size bounds what is read, so a zip bomb cannot exhaust memory.
    let limit = MAX_ELEMENTS * 8 + 64 * 1024;
    if file.size() > limit {
        return Err(FormatError::FileTooLarge {
            bytes: file.size(),
            limit,
        });
    }
    let mut data = Vec::with_capacity(file.size() as usize);
    (&mut file)
        .take(limit)
        .read_to_end(&mut data)
        .map_err(|e| FormatError::BadArchive {
            reason: format!("member '{name}': {e}"),
        })?;
    read_npy(&data).map_err(|e| FormatError::InMember {
        name: name.to_string(),
        error: Box::new(e),
    })
}
