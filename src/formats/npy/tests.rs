//! The `.npy` header parser: what NumPy writes (every version), the spellings Python allows, and
//! every malformed kind with its exact message.

use super::*;

/// A `.npy` file of format `major`.0 whose header is `text` exactly (no padding added).
fn raw(major: u8, text: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[major, 0]);
    match major {
        1 => out.extend_from_slice(&(text.len() as u16).to_le_bytes()),
        _ => out.extend_from_slice(&(text.len() as u32).to_le_bytes()),
    }
    out.extend_from_slice(text);
    out
}

/// The header of a format 1.0 file with this dict, padded as NumPy pads it.
fn read(dict: &str) -> Result<Header, FormatError> {
    read_header(&encode(dict, &[]))
}

fn f32_header(shape: &[usize], fortran_order: bool, data_start: usize) -> Header {
    Header {
        elem: Element::Float(4),
        big_endian: false,
        shape: shape.to_vec(),
        fortran_order,
        data_start,
        elements: shape.iter().product::<usize>() as u64,
        descr: "'<f4'".to_string(),
    }
}

const PLAIN: &str = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";

#[test]
fn numpy_written_headers_of_every_version() {
    // As numpy.lib.format writes them: padded with spaces to a multiple of 64 bytes, then '\n'.
    let padded = |preamble: usize| {
        let mut text = PLAIN.to_string();
        while (preamble + text.len() + 1) % 64 != 0 {
            text.push(' ');
        }
        text + "\n"
    };
    assert_eq!(read(PLAIN).unwrap(), f32_header(&[3, 4], false, 128));
    for major in [2, 3] {
        let bytes = raw(major, padded(12).as_bytes());
        assert_eq!(
            read_header(&bytes).unwrap(),
            f32_header(&[3, 4], false, 128)
        );
    }
    // Every .npy in the repository: the samples and the bug cases (format 1.0, 2.0 and 3.0).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut read_ok = 0;
    for dir in ["assets/samples", "tests/bugcases"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "npy") {
                let bytes = std::fs::read(&path).unwrap();
                if let Ok(h) = read_header(&bytes) {
                    assert_eq!(h.data_start, 128, "{path:?}");
                    read_ok += 1;
                }
            }
        }
    }
    assert!(read_ok >= 30, "{read_ok}");
    let fortran = read("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }").unwrap();
    assert_eq!(fortran, f32_header(&[2, 3], true, 128));
}

#[test]
fn spellings_python_allows() {
    // Where the data starts depends on the padding: not compared here.
    let read = |dict: &str| read(dict).map(|h| Header { data_start: 0, ..h });
    let want = |shape: &[usize]| Ok(f32_header(shape, false, 0));
    for dict in [
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 4)}",
        "{'descr': \"<f4\", \"fortran_order\": False, 'shape': (3, 4),}",
        "{'descr':'<f4','fortran_order':False,'shape':(3,4)}",
        "{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 3 , 4 , ) , }",
        "\n{\n\t'descr': '<f4',\r\n\t'fortran_order': False,\n\t'shape': (\n3,\n4\n),\n}\n\n",
        "  {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}  ",
        // Parentheses around a value change nothing in Python.
        "{'descr': ('<f4'), 'fortran_order': (False), 'shape': ((3, 4))}",
    ] {
        assert_eq!(read(dict), want(&[3, 4]), "{dict:?}");
    }
    // Every key order.
    let entries = [
        "'descr': '<f4'",
        "'fortran_order': False",
        "'shape': (3, 4)",
    ];
    for order in [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ] {
        let dict = format!("{{{}}}", order.map(|i| entries[i]).join(", "));
        assert_eq!(read(&dict), want(&[3, 4]), "{dict}");
    }
    for (shape, dims) in [("()", &[][..]), ("(5,)", &[5]), ("(0, 5)", &[0, 5])] {
        let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        assert_eq!(read(&dict), want(dims), "{dict}");
    }
    // Python 2 longs: NumPy strips the L from format 1.0 and 2.0 headers; 3.0 came after Python 2.
    let longs = "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }\n";
    assert_eq!(
        read_header(&raw(1, longs.as_bytes())).unwrap().shape,
        [3, 4]
    );
    assert_eq!(
        read_header(&raw(2, longs.as_bytes())).unwrap().shape,
        [3, 4]
    );
    assert_eq!(
        read_header(&raw(3, longs.as_bytes())).unwrap_err().to_string(),
        "malformed .npy header: the shape must be a tuple of whole numbers, found 3L at character 52"
    );
}

#[test]
fn dtypes_and_their_refusals() {
    let dtype = |descr: &str| {
        read(&format!(
            "{{'descr': {descr}, 'fortran_order': False, 'shape': (2,), }}"
        ))
    };
    for (descr, elem, big_endian) in [
        ("'<f2'", Element::Float(2), false),
        ("'<f4'", Element::Float(4), false),
        ("'>f8'", Element::Float(8), true),
        ("'|i1'", Element::Int(1), false),
        ("'>i1'", Element::Int(1), true),
        ("'<i2'", Element::Int(2), false),
        ("'>i4'", Element::Int(4), true),
        ("'<i8'", Element::Int(8), false),
        ("'|u1'", Element::Uint(1), false),
        ("'>u2'", Element::Uint(2), true),
        ("'<u4'", Element::Uint(4), false),
        ("'<u8'", Element::Uint(8), false),
        ("'|b1'", Element::Bool, false),
        ("'<b1'", Element::Bool, false),
        ("'=i1'", Element::Int(1), false),
        ("\"<f4\"", Element::Float(4), false),
    ] {
        let h = dtype(descr).unwrap_or_else(|e| panic!("{descr}: {e}"));
        assert_eq!((h.elem, h.big_endian), (elem, big_endian), "{descr}");
        assert_eq!(h.descr, format!("'{}'", &descr[1..descr.len() - 1]));
    }
    let object =
        "object arrays (dtype 'O', stored with pickle) are not supported; nothing was unpickled";
    let unsupported = |d: &str| {
        format!("unsupported dtype {d}; expected a float (16, 32 or 64 bit, or bfloat16), integer (8 to 64 bit) or bool tensor")
    };
    let no_order = |d: &str| {
        format!("malformed .npy header: the dtype {d} does not say its byte order; a multi-byte type needs '<' (little-endian) or '>' (big-endian)")
    };
    for (descr, message) in [
        ("'|O'", object.to_string()),
        ("'<O'", object.to_string()),
        ("'O'", object.to_string()),
        ("'<c8'", unsupported("'<c8'")),
        ("'<f16'", unsupported("'<f16'")),
        ("'<f3'", unsupported("'<f3'")),
        ("'<i16'", unsupported("'<i16'")),
        ("'<U5'", unsupported("'<U5'")),
        ("'|S5'", unsupported("'|S5'")),
        ("'|V8'", unsupported("'|V8'")),
        ("'<M8[ns]'", unsupported("'<M8[ns]'")),
        ("''", unsupported("''")),
        ("'<F4'", unsupported("'<F4'")),
        ("'|f4'", no_order("'|f4'")),
        ("'=f4'", no_order("'=f4'")),
        ("'f4'", no_order("'f4'")),
        ("[]", unsupported("[] (a structured dtype without fields)")),
        (
            "[('w', '<f4'), ('b', '<f4')]",
            "structured dtypes are not supported (this array has fields 'w', 'b'); save one numeric field as its own array".to_string(),
        ),
        (
            "[('w', '<f4', (2, 3)), ('b', [('c', '<i4')]), ('', '|V4')]",
            "structured dtypes are not supported (this array has fields 'w', 'b', ''); save one numeric field as its own array".to_string(),
        ),
        (
            "[('w', '<f4'), 1]",
            "malformed .npy header: a structured 'descr' must list (name, dtype) fields, found 1 at character 26".to_string(),
        ),
        (
            "[('w',)]",
            "malformed .npy header: a structured 'descr' must list (name, dtype) fields, found ('w',) at character 12".to_string(),
        ),
        (
            "1",
            "malformed .npy header: 'descr' must be a dtype string such as '<f4', found 1 at character 11".to_string(),
        ),
        (
            "('<f4',)",
            "malformed .npy header: 'descr' must be a dtype string such as '<f4', found ('<f4',) at character 11".to_string(),
        ),
    ] {
        assert_eq!(dtype(descr).unwrap_err().to_string(), message, "{descr}");
    }
    // A format 3.0 header is UTF-8: field names may be any text.
    let v3 = "{'descr': [('w\u{e9}', '<f4')], 'fortran_order': False, 'shape': (2,), }\n";
    assert!(read_header(&raw(3, v3.as_bytes()))
        .unwrap_err()
        .to_string()
        .contains("fields 'w\u{e9}'"));
}

#[test]
fn shapes_too_large_are_refused_with_their_numbers() {
    let shape = |s: &str| {
        read(&format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': {s}, }}"
        ))
        .unwrap_err()
        .to_string()
    };
    let overflow = |s: &str| format!("the shape {s} has more elements than can be addressed");
    assert_eq!(
        shape("(4294967296, 4294967296)"),
        overflow("[4294967296, 4294967296]")
    );
    assert_eq!(
        shape("(0, 4294967296, 4294967296)"),
        overflow("[0, 4294967296, 4294967296]")
    );
    assert_eq!(
        shape("(18446744073709551615,)"),
        overflow("[18446744073709551615]")
    );
    // Too large for u64: shown as written, not clamped.
    assert_eq!(
        shape("(18446744073709551616,)"),
        overflow("[18446744073709551616]")
    );
    // Python refuses leading zeros (`012`), so NumPy does; `00` is zero.
    for s in ["(000099999999999999999999999999, 2)", "(012,)"] {
        assert!(
            shape(s).contains("(a Python integer cannot start with 0)"),
            "{s}: {}",
            shape(s)
        );
    }
    assert_eq!(
        shape("(00, 4294967296, 4294967296)"),
        overflow("[0, 4294967296, 4294967296]")
    );
    // The count fits in u64, its bytes do not.
    assert_eq!(
        shape("(4611686018427387904,)"),
        overflow("[4611686018427387904]")
    );
    assert_eq!(
        shape("(200000000,)"),
        "tensor too large: 200000000 elements, the limit is 134217728 elements (512 MiB as float32)"
    );
}

#[test]
fn every_malformed_kind_has_its_own_message() {
    let dict = |rest: &str| format!("{{'descr': '<f4', 'fortran_order': False, {rest}");
    let shape = |s: &str| dict(&format!("'shape': {s}, }}"));
    let syntax = |at: usize, what: &str| {
        format!("malformed .npy header: the header is not a Python dict literal at character {at} ({what})")
    };
    let not_whole = |found: &str| {
        format!("malformed .npy header: the shape must be a tuple of whole numbers, found {found}")
    };
    for (header, message) in [
        // Keys.
        (
            "{'descr': '<f4', 'shape': (2,), }".to_string(),
            "malformed .npy header: dict is missing key 'fortran_order'".to_string(),
        ),
        (
            dict("}"),
            "malformed .npy header: dict is missing key 'shape'".to_string(),
        ),
        (
            "{'fortran_order': False, 'shape': (2,)}".to_string(),
            "malformed .npy header: dict is missing key 'descr'".to_string(),
        ),
        (
            "{}".to_string(),
            "malformed .npy header: dict is missing key 'fortran_order'".to_string(),
        ),
        (
            dict("'shape': (2,), 'shape': (3,), }"),
            "malformed .npy header: the key 'shape' appears twice, at characters 42 and 57"
                .to_string(),
        ),
        (
            dict("'shape': (2,), 'x': 1}"),
            "malformed .npy header: unexpected key 'x' at character 57; a .npy header has exactly the keys 'descr', 'fortran_order' and 'shape'".to_string(),
        ),
        (
            dict("'shape': (2,), 1: 2}"),
            syntax(57, "expected a quoted key ('descr', 'fortran_order' or 'shape') or '}', found '1'"),
        ),
        (
            "{'descr' '<f4', 'fortran_order': False, 'shape': (2,), }".to_string(),
            syntax(10, "expected ':' after the key 'descr', found \"'\""),
        ),
        // Strings.
        (
            dict("'shape': (2,), 'a"),
            syntax(57, "the string that starts here does not end on its line"),
        ),
        (
            "{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }".to_string(),
            syntax(18, "expected ',' or '}' after the value of 'descr', found 'f'"),
        ),
        (
            "{'descr': '<' 'f4', 'fortran_order': False, 'shape': (2,), }".to_string(),
            syntax(15, "expected ',' or '}' after the value of 'descr', found \"'\""),
        ),
        (
            dict("'shape': (2,), 'x': '\\n'}"),
            "malformed .npy header: unexpected backslash at character 63 of the header; NumPy headers hold no escapes".to_string(),
        ),
        // fortran_order.
        (
            "{'descr': '<f4', 'fortran_order': false, 'shape': (2,), }".to_string(),
            "malformed .npy header: 'fortran_order' must be True or False, found false at character 35".to_string(),
        ),
        (
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }".to_string(),
            "malformed .npy header: 'fortran_order' must be True or False, found 0 at character 35".to_string(),
        ),
        (
            "{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,), }".to_string(),
            "malformed .npy header: 'fortran_order' must be True or False, found 'False' at character 35".to_string(),
        ),
        // Shapes.
        (shape("(-1,)"), not_whole("-1 at character 52 (a dimension cannot be negative)")),
        (shape("(2, -3)"), not_whole("-3 at character 55 (a dimension cannot be negative)")),
        (shape("(2.5,)"), not_whole("2.5 at character 52")),
        (shape("(x,)"), not_whole("x at character 52")),
        (shape("('2',)"), not_whole("'2' at character 52")),
        (shape("(1+2,)"), not_whole("1+2 at character 52")),
        (shape("(True,)"), not_whole("True at character 52")),
        (shape("((2,),)"), not_whole("(2,) at character 52")),
        (
            shape("(5)"),
            not_whole("(5) at character 51 (parentheses alone do not make a tuple: one dimension is written (5,))"),
        ),
        (shape("5"), not_whole("5 at character 51")),
        (shape("[3, 4]"), not_whole("[3, 4] at character 51")),
        (shape("None"), not_whole("None at character 51")),
        (shape("(,)"), syntax(52, "expected a value, found ','")),
        (shape("(3 4)"), syntax(54, "expected ',' or ')', found '4'")),
        (shape("(3,,4)"), syntax(54, "expected a value, found ','")),
        (dict("'shape': (2, 3, }"), syntax(58, "expected a value, found '}'")),
        (
            shape("(1) (2)"),
            syntax(55, "expected ',' or '}' after the value of 'shape', found '('"),
        ),
        // After the dict, and not a dict.
        (
            dict("'shape': (2,), } trailing"),
            syntax(59, "nothing may follow the closing brace"),
        ),
        (
            dict("'shape': (2,), } # comment"),
            syntax(59, "nothing may follow the closing brace"),
        ),
        (
            dict("'shape': (2,), }}"),
            syntax(58, "nothing may follow the closing brace"),
        ),
        (
            dict("'shape': (2,), }{}"),
            "malformed .npy header: expected one dict literal {...}, found a nested or second '{' at character 58".to_string(),
        ),
        ("['descr', '<f4']".to_string(), syntax(1, "expected '{', found '['")),
        ("'hello'".to_string(), syntax(1, "expected '{', found \"'\"")),
        ("(1, 2)".to_string(), syntax(1, "expected '{', found '('")),
        ("}".to_string(), syntax(1, "expected '{', found '}'")),
        // Padded with spaces to 54 characters and '\n': nothing there.
        (String::new(), syntax(55, "expected '{', found the end of the header")),
        (
            dict("'shape': (2,), "),
            syntax(119, "expected a quoted key ('descr', 'fortran_order' or 'shape') or '}', found the end of the header"),
        ),
        ("{,}".to_string(), syntax(2, "expected a quoted key ('descr', 'fortran_order' or 'shape') or '}', found ','")),
        // Nested garbage.
        (
            dict("'shape': (2,), 'x': {{{{}}}}}"),
            "malformed .npy header: expected one dict literal {...}, found a nested or second '{' at character 62".to_string(),
        ),
        (
            shape(&format!("{}1{}", "(".repeat(9), ")".repeat(9))),
            "malformed .npy header: brackets nested deeper than 8 levels at character 58".to_string(),
        ),
        (
            shape("\\(2,)"),
            "malformed .npy header: unexpected backslash at character 51 of the header; NumPy headers hold no escapes".to_string(),
        ),
    ] {
        assert_eq!(
            read(&header).map_err(|e| e.to_string()),
            Err(message),
            "{header:?}"
        );
    }
    // Up to 8 levels, parentheses that Python ignores.
    let deep = shape(&format!("{}1,{}", "(".repeat(7), ")".repeat(7)));
    assert_eq!(read(&deep).unwrap().shape, [1]);
}

#[test]
fn bytes_that_are_not_header_text() {
    let text = |major: u8, bytes: &[u8]| {
        read_header(&raw(major, bytes))
            .map_err(|e| e.to_string())
            .unwrap_err()
    };
    // Format 3.0 is UTF-8; 1.0 and 2.0 are Latin-1 (any byte is a character), as NumPy reads them.
    let bad_key = b"{'descr\xff': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    assert_eq!(
        text(3, bad_key),
        "malformed .npy header: the header is not valid UTF-8 at character 8 (a format 3.0 header is UTF-8 text)"
    );
    assert_eq!(
        text(1, bad_key),
        "malformed .npy header: unexpected key 'descr\u{ff}' at character 2; a .npy header has exactly the keys 'descr', 'fortran_order' and 'shape'"
    );
    assert_eq!(
        text(2, b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\xff\n"),
        "malformed .npy header: the header is not a Python dict literal at character 58 (nothing may follow the closing brace)"
    );
    assert_eq!(
        text(1, b"{'descr': '<f4\0', 'fortran_order': False, 'shape': (2,), }\n"),
        "malformed .npy header: the header is not a Python dict literal at character 15 (unexpected '\\0' inside a string)"
    );
    assert_eq!(
        text(1, b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\0\0"),
        "malformed .npy header: the header is not a Python dict literal at character 58 (nothing may follow the closing brace)"
    );
    assert_eq!(
        text(1, b""),
        "malformed .npy header: the header is not a Python dict literal at character 1 (expected '{', found the end of the header)"
    );
    // Newlines other than NumPy's one are whitespace to Python too.
    let crlf = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\r\n\n";
    assert_eq!(read_header(&raw(1, crlf)).unwrap().shape, [2]);
    let long = format!("{PLAIN}{}\n", " ".repeat(70_000));
    assert_eq!(
        text(2, long.as_bytes()),
        "malformed .npy header: the header is 70060 bytes long; at most 65536 are accepted"
    );
}

/// Arbitrary edits of a real header: a header or a one-line refusal, never a panic.
#[test]
fn mangled_headers_never_panic() {
    let base = encode(
        "{'descr': [('w', '<f4', (2, 3))], 'fortran_order': False, 'shape': (3, 4), }",
        &[],
    );
    let alphabet = b"{}()[]'\",: \n\\-+L0123456789TrueFalsedescrshape<>|f4O\xff\x00\xe9";
    let check = |bytes: &[u8]| {
        if let Err(e) = read_header(bytes) {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message}");
        }
    };
    for len in 0..base.len() {
        check(&base[..len]);
    }
    for at in 10..base.len() {
        for &b in alphabet {
            let mut bytes = base.clone();
            bytes[at] = b;
            check(&bytes);
            bytes.remove(at);
            check(&bytes);
        }
    }
    // Random headers from the same alphabet, in all three versions.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..20_000 {
        let len = 1 + i % 90;
        let text: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                alphabet[(state % alphabet.len() as u64) as usize]
            })
            .collect();
        let mut dict = b"{'descr': '<f4', 'fortran_order': False, 'shape': ".to_vec();
        dict.extend_from_slice(&text);
        check(&raw(1 + (i % 3) as u8, &text));
        check(&raw(1 + (i % 3) as u8, &dict));
    }
}
