//! Loaders: .npz and .safetensors members, container detection, limits, and every refusal the
//! loaders can give, each with its exact message, which docs/INPUTS.md must show word for word.

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use quantlens::formats::{
    self, npy, precheck, Container, FileBytes, FormatError, MAX_ELEMENTS, MAX_FILE_BYTES,
};

fn file(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// A .npy v1.0 file with the given header dict text and payload.
fn npy_with(dict: &str, payload: &[u8]) -> Vec<u8> {
    npy::encode(dict, payload)
}

#[test]
fn encoded_npy_reads_back() {
    let bytes = npy::encode_f32(&[2, 3], &[1.0, -2.0, 3.5, 0.0, 5.0, -6.25]);
    // 24 bytes of data after a header padded to a multiple of 64.
    assert_eq!(bytes.len() % 64, 24, "data starts at a multiple of 64");
    let l = npy::read_npy(&bytes).unwrap();
    assert_eq!(l.tensor.shape(), &[2, 3]);
    assert_eq!(l.tensor.data(), &[1.0, -2.0, 3.5, 0.0, 5.0, -6.25]);
    assert_eq!(
        npy::read_npy(&npy::encode_f32(&[3], &[1.0, 2.0, 3.0]))
            .unwrap()
            .tensor
            .shape(),
        &[3]
    );
}

#[test]
fn npz_members_are_listed_and_each_can_be_opened() {
    let bytes = file("tests/fixtures/two_members.npz");
    let opened = formats::open(&bytes, None).unwrap();
    assert_eq!(opened.container, Container::Npz);
    let names: Vec<&str> = opened.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["bias", "weight", "labels"]);
    assert_eq!(
        opened.member.as_deref(),
        Some("weight"),
        "the 2-D float tensor is shown first"
    );
    assert_eq!(opened.loaded.tensor.shape(), &[6, 4]);
    let labels = &opened.members[2];
    assert!(labels.problem.as_deref().unwrap().contains("object arrays"));
    let bias = formats::open(&bytes, Some("bias")).unwrap().loaded;
    assert_eq!(bias.tensor.shape(), &[6]);
    assert!(bias.notes.iter().any(|n| n.contains("float64")));
    assert!((bias.tensor.data()[5] - 0.3).abs() < 1e-7);
    let stored = formats::open(&file("tests/fixtures/stored.npz"), None).unwrap();
    assert_eq!(stored.loaded.tensor.data(), &[1.0, -2.0, 0.5, 4.0]);
}

#[test]
fn safetensors_tensors_of_every_float_and_integer_dtype() {
    let bytes = file("tests/fixtures/mixed.safetensors");
    let opened = formats::open(&bytes, None).unwrap();
    assert_eq!(opened.container, Container::Safetensors);
    let listed: Vec<(String, String)> = opened
        .members
        .iter()
        .map(|m| (m.name.clone(), m.dtype.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            ("conv.bias", "bfloat16"),
            ("conv.weight", "float16"),
            ("fc.weight", "float32"),
            ("fc.weight_fp64", "float64"),
            ("fp8", "F8_E4M3"),
            ("steps", "int64")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(opened.members[4]
        .problem
        .as_deref()
        .unwrap()
        .contains("unsupported dtype"));
    assert!(opened.member.as_deref().unwrap().ends_with("weight"));
    let conv = formats::open(&bytes, Some("conv.weight")).unwrap().loaded;
    assert_eq!(conv.tensor.shape(), &[6, 1, 2, 2]);
    let want0 = half::f16::from_f32(0.01 * (0.0f32).sin()).to_f32();
    assert_eq!(conv.tensor.data()[0], want0);
    let bias = formats::open(&bytes, Some("conv.bias")).unwrap().loaded;
    // The fixture truncates float32 to bfloat16 (the top 16 bits).
    assert_eq!(
        bias.tensor.data()[0],
        half::bf16::from_bits(((-0.2f32).to_bits() >> 16) as u16).to_f32()
    );
    assert!(bias.dtype.starts_with("bfloat16"));
    let steps = formats::open(&bytes, Some("steps")).unwrap().loaded;
    assert_eq!(steps.tensor.data(), &[1000.0]);
    assert!(steps.notes.iter().any(|n| n.contains("int64, not float")));
    let fp64 = formats::open(&bytes, Some("fc.weight_fp64"))
        .unwrap()
        .loaded;
    assert_eq!(fp64.tensor.data(), &[1.0, -1.0, 0.5, 2.0]);
}

#[test]
fn every_numeric_npy_dtype_in_both_byte_orders_and_versions() {
    for (descr, bytes_of) in [
        ("f2", 2usize),
        ("f4", 4),
        ("f8", 8),
        ("i1", 1),
        ("i2", 2),
        ("i4", 4),
        ("i8", 8),
        ("u1", 1),
        ("u2", 2),
        ("u4", 4),
        ("u8", 8),
    ] {
        for order in ['<', '>'] {
            // The value 3 in that type.
            let mut one = vec![0u8; bytes_of];
            match descr.as_bytes()[0] {
                b'f' => match bytes_of {
                    2 => one.copy_from_slice(&half::f16::from_f32(3.0).to_bits().to_le_bytes()),
                    4 => one.copy_from_slice(&3f32.to_le_bytes()),
                    _ => one.copy_from_slice(&3f64.to_le_bytes()),
                },
                _ => one[0] = 3,
            }
            if order == '>' {
                one.reverse();
            }
            let payload: Vec<u8> = one.iter().chain(&one).copied().collect();
            let bytes = npy_with(
                &format!("{{'descr': '{order}{descr}', 'fortran_order': False, 'shape': (2,), }}"),
                &payload,
            );
            let l = npy::read_npy(&bytes).unwrap_or_else(|e| panic!("{order}{descr}: {e}"));
            assert_eq!(l.tensor.data(), &[3.0, 3.0], "{order}{descr}");
        }
    }
    let b = npy_with(
        "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
        &[1, 0, 1],
    );
    assert_eq!(npy::read_npy(&b).unwrap().tensor.data(), &[1.0, 0.0, 1.0]);
    // Empty arrays load (the page then says there is nothing to quantize).
    let e = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }",
        &[],
    );
    assert_eq!(npy::read_npy(&e).unwrap().tensor.shape(), &[0, 5]);
}

#[test]
fn limits_are_checked_from_the_header_before_reading() {
    // A header declaring 2^40 float32 values in a 100-byte file: refused from the first bytes.
    let huge = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }",
        &[0; 36],
    );
    let e = precheck(&huge[..huge.len() - 36], huge.len() as u64).unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::TooLarge {
                elements: 1_099_511_627_776,
                limit: MAX_ELEMENTS
            }
        ),
        "{e}"
    );
    // A 1 GiB upload is refused by its size before a byte of data is read.
    let head = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (268435456,), }",
        &[],
    );
    let e = precheck(&head, 1 << 30).unwrap_err();
    assert!(matches!(e, FormatError::TooLarge { .. }), "{e}");
    let small = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
        &[],
    );
    let e = precheck(&small, MAX_FILE_BYTES + 1).unwrap_err();
    assert!(matches!(e, FormatError::FileTooLarge { .. }), "{e}");
    // Declared data longer than the file: refused before reading.
    let e = precheck(&small, small.len() as u64 + 8).unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::TruncatedData {
                elements: 4,
                expected: 16,
                found: 8,
                found_elements: 2
            }
        ),
        "{e}"
    );
    // A header longer than the head read so far is not refused while the file is long enough.
    assert!(precheck(&small[..20], small.len() as u64 + 16).is_ok());
    assert!(precheck(&file("tests/bugcases/10_compressed.npz")[..10], 300).is_ok());
}

/// Every refusal, from a real input, with the message the page shows.
fn refusals() -> Vec<(&'static str, FormatError)> {
    let open = |b: &[u8]| formats::open(b, None).unwrap_err();
    let two = file("tests/fixtures/two_members.npz");
    let small = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
        &[],
    );
    let mut st = 9u64.to_le_bytes().to_vec();
    st.extend_from_slice(b"{\"a\":1}  ");
    vec![
        ("empty file", open(b"")),
        ("unknown format", open(b"hello, world\n")),
        (
            "file over the size limit",
            precheck(&small, MAX_FILE_BYTES + 1).unwrap_err(),
        ),
        (
            "unsupported .npy version",
            open(&file("tests/bugcases/01_v4_bad.npy")),
        ),
        (
            "truncated header",
            open(&file("tests/bugcases/08_trunc_header.npy")),
        ),
        (
            "malformed header",
            open(&npy_with("{'descr': '<f4', 'shape': (2,), }", &[0; 8])),
        ),
        ("object dtype", open(&file("tests/bugcases/09_object.npy"))),
        (
            "structured dtype",
            open(&file("tests/bugcases/09_struct.npy")),
        ),
        (
            "unsupported dtype",
            open(&npy_with(
                "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                &[0; 8],
            )),
        ),
        (
            "overflowing shape product",
            open(&npy_with(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                &[],
            )),
        ),
        (
            "too many elements",
            open(&npy_with(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (200000000,), }",
                &[],
            )),
        ),
        (
            "truncated data",
            open(&file("tests/bugcases/08_trunc_data.npy")),
        ),
        (
            "broken zip archive",
            open(b"PK\x03\x04 this is not really a zip"),
        ),
        (
            "archive without arrays",
            open(&file("tests/bugcases/10_empty.npz")),
        ),
        ("broken safetensors", open(&st)),
        (
            "safetensors without tensors",
            open(&{
                let header = br#"{"__metadata__":{"format":"pt"}}"#;
                let mut b = (header.len() as u64).to_le_bytes().to_vec();
                b.extend_from_slice(header);
                b
            }),
        ),
        (
            "no such tensor",
            formats::open(&two, Some("nope")).unwrap_err(),
        ),
        (
            "unreadable member",
            formats::open(&two, Some("labels")).unwrap_err(),
        ),
    ]
}

#[test]
fn every_refusal_is_documented_word_for_word_in_docs_inputs_md() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/INPUTS.md"))
        .unwrap();
    let mut missing = Vec::new();
    let mut kinds = std::collections::HashSet::new();
    for (what, e) in refusals() {
        let msg = e.to_string();
        kinds.insert(std::mem::discriminant(&e));
        if !doc.contains(&msg) {
            missing.push(format!("| {what} | `{msg}` |"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/INPUTS.md lacks:\n{}",
        missing.join("\n")
    );
    assert_eq!(kinds.len(), 18, "one input per kind of refusal");
}

/// Fuzzing found a 300-byte header (nested braces, runs of backslashes) on which the header parser
/// used then (py_literal, through npyz) backtracked for minutes: it must be refused at once, as
/// malformed.
#[test]
fn regression_pathological_header_is_refused_quickly() {
    let bytes = file("tests/regressions/npy_header_nested_braces.npy");
    let t = std::time::Instant::now();
    let e = formats::open(&bytes, None).unwrap_err();
    assert!(t.elapsed().as_secs_f64() < 1.0, "took {:?}", t.elapsed());
    assert!(matches!(e, FormatError::BadHeader { .. }), "{e}");
    // (Refused for its backslashes now, which come first; the brace rule is checked below.)
    assert!(e.to_string().starts_with("malformed .npy header"), "{e}");
    let braces = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': {{{{}}}}}",
        &[0; 4],
    );
    let e = formats::open(&braces, None).unwrap_err();
    assert!(e.to_string().contains("nested or second '{'"), "{e}");
    // Headers NumPy writes still pass, including nested structured dtypes.
    let ok = npy_with(
        "{'descr': [('w', '<f4', (2, 3)), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }",
        &[0; 28],
    );
    assert!(matches!(
        formats::open(&ok, None).unwrap_err(),
        FormatError::StructuredDtype { .. }
    ));
    let deep = npy_with(
        &format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': {}1{}, }}",
            "(".repeat(9),
            ")".repeat(9)
        ),
        &[],
    );
    assert!(formats::open(&deep, None)
        .unwrap_err()
        .to_string()
        .contains("nested deeper"));
}

/// Fuzzing found a shape with arithmetic in it (`140882+8437999444818`) whose strides overflowed
/// inside the header parser used then (npyz; a panic with overflow checks on): shapes must be plain
/// whole numbers.
#[test]
fn regression_shape_must_be_plain_integers() {
    let e = formats::open(
        &file("tests/regressions/npy_shape_with_arithmetic.npy"),
        None,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("the shape must be a tuple of whole numbers"),
        "{e}"
    );
    // Zero-sized shapes whose other dimensions multiply past u64 are refused too.
    let z = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }",
        &[],
    );
    assert!(matches!(
        formats::open(&z, None).unwrap_err(),
        FormatError::ShapeOverflow { .. }
    ));
}

/// Fuzzing found a second slow header for the parser used then: Python escapes (`\N{`, runs of
/// backslashes) inside what it took for strings. NumPy headers hold no backslash at all: refused at
/// once.
#[test]
fn regression_header_with_escapes_is_refused_quickly() {
    let bytes = file("tests/regressions/npy_header_escapes.npy");
    let t = std::time::Instant::now();
    let e = formats::open(&bytes, None).unwrap_err();
    assert!(t.elapsed().as_secs_f64() < 1.0, "took {:?}", t.elapsed());
    assert!(e.to_string().contains("unexpected backslash"), "{e}");
}

/// Opening a lone .npy takes its buffer (float32 data becomes the tensor in place): every sample and
/// every bad-input case reads exactly as the copying reader reads it, bit for bit, refusals alike.
#[test]
fn in_place_npy_reads_every_file_as_the_copying_reader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for dir in ["assets/samples", "tests/bugcases", "tests/fixtures"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "npy") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let copied = npy::read_npy(&bytes);
            let owned = npy::read_npy_owned(FileBytes::from(bytes.as_slice()));
            match (&copied, &owned) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.tensor.shape(), b.tensor.shape(), "{path:?}");
                    let bits = |t: &[f32]| t.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(a.tensor.data()), bits(b.tensor.data()), "{path:?}");
                    assert_eq!((&a.dtype, &a.notes), (&b.dtype, &b.notes), "{path:?}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{path:?}"),
                _ => panic!("{path:?}: {copied:?} vs {owned:?}"),
            }
            seen += 1;
        }
    }
    assert!(seen >= 25, "only {seen} files");
    // Trailing bytes after float32 data: noted, and not part of the tensor.
    let mut bytes = npy::encode_f32(&[3], &[1.0, 2.0, 3.0]);
    bytes.extend_from_slice(&[9, 9, 9]);
    let l = npy::read_npy_owned(FileBytes::from(bytes)).unwrap();
    assert_eq!(l.tensor.data(), &[1.0, 2.0, 3.0]);
    assert_eq!(
        l.notes,
        ["3 bytes after the array data were ignored (NumPy ignores them too)"]
    );
}

/// A header dict with text after it: one line naming where and what, not the parser's drawing.
#[test]
fn a_header_with_trailing_text_is_refused_in_one_line() {
    let bytes = npy_with(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } trailing",
        &[0; 8],
    );
    let e = formats::open(&bytes, None).unwrap_err().to_string();
    assert!(!e.contains('\n'), "{e}");
    assert!(
        e.starts_with(
            "malformed .npy header: the header is not a Python dict literal at character "
        ),
        "{e}"
    );
}

/// A multi-tensor file with no readable member is refused as picking its first member would be
/// (here: an `.npz` holding only an object array), not as a malformed `.npy` header.
#[test]
fn a_file_with_no_readable_member_is_refused_as_that_member() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("x.npy", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&file("tests/bugcases/09_object.npy"))
        .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let first = formats::open(&bytes, None).unwrap_err().to_string();
    let picked = formats::open(&bytes, Some("x")).unwrap_err().to_string();
    assert_eq!(first, picked);
    assert!(first.starts_with("member 'x': object arrays"), "{first}");
}
