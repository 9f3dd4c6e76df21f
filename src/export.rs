//! What the page shows, as files: per-channel statistics (CSV, JSON) and the quantized tensor
//! (`.npz` with the integer codes, scales and zero points of both schemes). Pure Rust: the page
//! hands the bytes to the browser as a download, the tests read them back (numpy reads the `.npz`).
//!
//! Numbers are written in full precision: the shortest text that reads back as the same float
//! (a float32 value as float32, a float64 value as float64).

use std::io::{Cursor, Write};

use crate::engine::analysis::Report;
use crate::engine::quantize::{quantize_tensor, Grids};
use crate::engine::{metrics, QuantSpec, Tensor};
use crate::formats::npy;
use crate::samples::Sample;

/// Where the tensor came from, recorded in the JSON and the `.npz` metadata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExportSource<'a> {
    Sample(&'static Sample),
    /// The user's own file (and the tensor's name inside it, for `.npz` / `.safetensors`).
    File {
        name: &'a str,
        member: Option<&'a str>,
    },
}

/// What the exports record besides the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportMeta<'a> {
    /// The scheme's id as used in links (`sym-int8`).
    pub scheme: &'a str,
    pub source: ExportSource<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("cannot store {bits}-bit codes in a .npy: expected a signed or unsigned range that fits 8 or 16 bits, found [{qmin}, {qmax}]")]
    CodeType { bits: u32, qmin: i32, qmax: i32 },
    #[error("the tensor (shape {found:?}) is not the one analysed (shape {expected:?})")]
    Mismatch {
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("quantizing failed: {0}")]
    Engine(String),
    #[error("writing the .npz failed: {0}")]
    Zip(String),
}

/// A float64 in the shortest text that reads back exactly; `None` for NaN or infinity.
pub fn num64(v: f64) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    Some(if v == 0.0 {
        "0".to_string()
    } else if (1e-5..1e16).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    })
}

/// A float32 in the shortest text that reads back as the same float32; `None` for NaN or infinity.
pub fn num32(v: f32) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    Some(if v == 0.0 {
        "0".to_string()
    } else if (1e-5..1e16).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    })
}

/// A CSV field as RFC 4180 writes it: quoted (with doubled quotes) when it holds a comma, a quote
/// or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV columns, one row per channel.
pub const CSV_COLUMNS: &[&str] = &[
    "channel",
    "elements",
    "finite",
    "min",
    "max",
    "scale",
    "zero_point",
    "chosen_min",
    "chosen_max",
    "msqe_per_tensor",
    "msqe_per_channel",
    "sqnr_db_per_tensor",
    "sqnr_db_per_channel",
    "max_abs_err_per_tensor",
    "max_abs_err_per_channel",
    "msqe_per_group",
    "groups",
    "clipped_per_channel",
    "levels_per_channel",
    "clip_min",
    "clip_max",
    "all_zero",
    "no_finite",
    "degenerate_scale",
];

/// One channel's figures, in [`CSV_COLUMNS`] order. Empty text = no value (a channel without
/// finite values has no min or max); `inf` = an SQNR with zero error (exact).
fn channel_row(r: &Report, c: usize) -> Vec<String> {
    let Some(s) = r.channels.get(c) else {
        return Vec::new();
    };
    let opt = |v: Option<String>| v.unwrap_or_default();
    let sqnr =
        |e: &crate::engine::kernels::ErrorSums| match metrics::sqnr_db(e.sum_sq_x, e.sum_sq_err) {
            Some(d) => opt(num64(d)),
            None => "inf".to_string(),
        };
    vec![
        c.to_string(),
        (r.layout.outer * r.layout.inner).to_string(),
        s.err_per_channel.count.to_string(),
        opt(num32(s.range.min)),
        opt(num32(s.range.max)),
        opt(num32(s.params.scale)),
        s.params.zero_point.to_string(),
        opt(num64(s.chosen.0)),
        opt(num64(s.chosen.1)),
        opt(num64(s.msqe_per_tensor())),
        opt(num64(s.msqe_per_channel())),
        sqnr(&s.err_per_tensor),
        sqnr(&s.err_per_channel),
        opt(num64(s.err_per_tensor.max_abs_err)),
        opt(num64(s.err_per_channel.max_abs_err)),
        opt(num64(s.msqe_per_group())),
        s.groups.len().to_string(),
        s.own.clipped.to_string(),
        s.own.levels.to_string(),
        opt(num32(s.own.clip.0)),
        opt(num32(s.own.clip.1)),
        s.is_all_zero().to_string(),
        (!s.has_finite()).to_string(),
        s.params.degenerate.to_string(),
    ]
}

/// Per-channel statistics as CSV (RFC 4180: a header row, CRLF line ends).
pub fn channel_stats_csv(r: &Report) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for c in 0..r.channels.len() {
        let row: Vec<String> = channel_row(r, c).iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(v: Option<String>) -> String {
    v.unwrap_or_else(|| "null".to_string())
}

fn json_list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    format!("[{}]", items.iter().map(f).collect::<Vec<_>>().join(", "))
}

fn source_json(s: &ExportSource) -> String {
    match s {
        ExportSource::Sample(x) => format!(
            "{{\"kind\": \"sample\", \"id\": {}, \"file\": {}, \"model\": {}, \"layer\": {}, \"license\": {}}}",
            json_str(x.id),
            json_str(x.file),
            json_str(x.model),
            json_str(x.layer),
            json_str(x.license)
        ),
        ExportSource::File { name, member } => format!(
            "{{\"kind\": \"file\", \"name\": {}, \"member\": {}}}",
            json_str(name),
            member.map(json_str).unwrap_or_else(|| "null".to_string())
        ),
    }
}

fn spec_json(spec: &QuantSpec) -> String {
    let (qmin, qmax) = spec.quantizer_range();
    let (tmin, tmax) = spec.type_range();
    format!(
        "{{\"label\": {}, \"bits\": {}, \"signed\": {}, \"symmetric\": {}, \"narrow\": {}, \"reduce_range\": {}, \"rounding\": {}, \"convention\": {}, \"qmin\": {qmin}, \"qmax\": {qmax}, \"type_min\": {tmin}, \"type_max\": {tmax}}}",
        json_str(&spec.label()),
        spec.bits,
        spec.signed,
        spec.symmetric,
        spec.narrow,
        spec.reduce_range,
        json_str(spec.rounding.id()),
        json_str(spec.convention.id())
    )
}

/// The setting the numbers were computed under, as a JSON object (also the `.npz`'s `meta`).
fn meta_json(r: &Report, meta: &ExportMeta) -> String {
    format!(
        "{{\"generator\": \"quantlens {}\", \"source\": {}, \"shape\": {}, \"axis\": {}, \"scheme\": {}, \"spec\": {}, \"range_method\": {}, \"group_size\": {}, \"group_axis\": {}, \"groups_per_channel\": {}, \"semantics\": {}, \"dequantize\": \"x_hat = float32(q - zero_point) * scale\"}}",
        env!("CARGO_PKG_VERSION"),
        source_json(&meta.source),
        json_list(&r.shape, |d| d.to_string()),
        r.axis.map(|a| a.to_string()).unwrap_or_else(|| "null".to_string()),
        json_str(meta.scheme),
        spec_json(&r.spec),
        json_str(&r.method.label()),
        r.group.size,
        r.group.axis.map(|a| a.to_string()).unwrap_or_else(|| "null".to_string()),
        r.group.per_channel,
        json_str(&r.spec.convention.rules().join("; "))
    )
}

/// Per-channel statistics as JSON: the setting (source, shape, axis, scheme, spec), the totals of
/// both schemes, and one object per channel with the CSV's columns (`null` = no value; an SQNR of
/// `null` means the error is zero).
pub fn channel_stats_json(r: &Report, meta: &ExportMeta) -> String {
    let summary = |s: &crate::engine::SchemeSummary| {
        format!(
            "{{\"msqe\": {}, \"sqnr_db\": {}, \"max_abs_err\": {}}}",
            json_num(num64(s.msqe)),
            json_num(s.sqnr_db.and_then(num64)),
            json_num(num64(s.max_abs_err))
        )
    };
    let tp = &r.tensor_params;
    let mut out = String::from("{\n");
    let m = meta_json(r, meta);
    // The meta object's fields, then the figures.
    out.push_str(&format!("  \"meta\": {m},\n"));
    out.push_str(&format!(
        "  \"per_tensor\": {{\"scale\": {}, \"zero_point\": {}, \"chosen_min\": {}, \"chosen_max\": {}, \"min\": {}, \"max\": {}, \"nonfinite\": {}, \"errors\": {}}},\n",
        json_num(num32(tp.scale)),
        tp.zero_point,
        json_num(num64(r.tensor_chosen.0)),
        json_num(num64(r.tensor_chosen.1)),
        json_num(num32(r.range.min)),
        json_num(num32(r.range.max)),
        r.range.nonfinite,
        summary(&r.per_tensor)
    ));
    out.push_str(&format!(
        "  \"per_channel\": {{\"errors\": {}}},\n",
        summary(&r.per_channel)
    ));
    out.push_str(&format!(
        "  \"per_group\": {{\"group_size\": {}, \"groups\": {}, \"errors\": {}}},\n",
        r.group.size,
        r.group_count,
        summary(&r.per_group)
    ));
    out.push_str("  \"channels\": [\n");
    let rows: Vec<String> = (0..r.channels.len())
        .map(|c| {
            let row = channel_row(r, c);
            let fields: Vec<String> = CSV_COLUMNS
                .iter()
                .zip(&row)
                .map(|(k, v)| {
                    let value = match *k {
                        "all_zero" | "no_finite" | "degenerate_scale" => v.clone(),
                        _ if v.is_empty() || v == "inf" => "null".to_string(),
                        _ => v.clone(),
                    };
                    format!("\"{k}\": {value}")
                })
                .collect();
            format!("    {{{}}}", fields.join(", "))
        })
        .collect();
    out.push_str(&rows.join(",\n"));
    out.push_str("\n  ]\n}\n");
    out
}

/// Little-endian bytes of one integer code in the export's dtype.
type CodeBytes = fn(i32) -> Vec<u8>;

/// The `.npy` dtype of the codes (and zero points) for `spec`, and the bytes of one value.
fn code_type(spec: &QuantSpec) -> Result<(&'static str, CodeBytes), ExportError> {
    let (lo, hi) = spec.type_range();
    let fits = |a: i64, b: i64| i64::from(lo) >= a && i64::from(hi) <= b;
    if fits(-128, 127) {
        Ok(("|i1", |v| (v as i8).to_le_bytes().to_vec()))
    } else if fits(0, 255) {
        Ok(("|u1", |v| (v as u8).to_le_bytes().to_vec()))
    } else if fits(-32768, 32767) {
        Ok(("<i2", |v| (v as i16).to_le_bytes().to_vec()))
    } else if fits(0, 65535) {
        Ok(("<u2", |v| (v as u16).to_le_bytes().to_vec()))
    } else {
        Err(ExportError::CodeType {
            bits: spec.bits,
            qmin: lo,
            qmax: hi,
        })
    }
}

fn shape_tuple(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        ds => format!(
            "({})",
            ds.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn npy_of(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    npy::encode(
        &format!(
            "{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}",
            shape_tuple(shape)
        ),
        data,
    )
}

/// The names of the arrays in the `.npz`, for documentation and tests.
pub const NPZ_MEMBERS: &[&str] = &[
    "codes_per_tensor",
    "scale_per_tensor",
    "zero_point_per_tensor",
    "codes_per_channel",
    "scale_per_channel",
    "zero_point_per_channel",
    "codes_per_group",
    "scale_per_group",
    "zero_point_per_group",
    "axis",
    "meta",
];

/// The quantized tensor as a NumPy `.npz`: for each granularity the integer codes (the tensor's
/// shape, int8/uint8/int16/uint16 as the spec stores them), the float32 scale(s) and the zero
/// point(s) (same dtype as the codes); `axis` (int64, -1 for a 0-d tensor); `meta`, a 0-d unicode
/// array holding the JSON setting (spec, convention, range method, group size and axis).
/// Dequantize with `(codes - zero_point) * scale`, broadcasting the per-channel arrays along
/// `axis`; the per-group arrays are `[channels, groups per channel]`, groups in the order of the
/// channel's values (whole rows: consecutive runs of `group_size` in C order).
pub fn quantized_npz(t: &Tensor, r: &Report, meta: &ExportMeta) -> Result<Vec<u8>, ExportError> {
    if t.shape() != r.shape.as_slice() {
        return Err(ExportError::Mismatch {
            expected: r.shape.clone(),
            found: t.shape().to_vec(),
        });
    }
    let (descr, code_bytes) = code_type(&r.spec)?;
    let codes = |g: &Grids| -> Result<Vec<u8>, ExportError> {
        let q = quantize_tensor(t, g).map_err(|e| ExportError::Engine(e.to_string()))?;
        Ok(q.into_iter().flat_map(code_bytes).collect())
    };
    let f32s = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let zps = |v: &[i32]| -> Vec<u8> { v.iter().flat_map(|&z| code_bytes(z)).collect() };

    let c = r.channels.len();
    let scales: Vec<f32> = r.channels.iter().map(|s| s.params.scale).collect();
    let points: Vec<i32> = r.channels.iter().map(|s| s.params.zero_point).collect();
    let meta_text = meta_json(r, meta);
    // A 0-d '<U{n}' array: n UTF-32LE code points.
    let n = meta_text.chars().count().max(1);
    let mut utf32: Vec<u8> = meta_text
        .chars()
        .flat_map(|ch| (ch as u32).to_le_bytes())
        .collect();
    utf32.resize(n * 4, 0);
    let axis = r.axis.map(|a| a as i64).unwrap_or(-1);
    // Groups channel by channel: [channels, groups per channel] (one row for a 0-d/1-D tensor).
    let group_scales: Vec<f32> = r.groups.iter().map(|g| g.params.scale).collect();
    let group_points: Vec<i32> = r.groups.iter().map(|g| g.params.zero_point).collect();
    let group_shape = if r.shape.len() <= 1 {
        vec![r.groups.len()]
    } else {
        vec![r.channels.len(), r.group.per_channel]
    };

    let members: Vec<(&str, Vec<u8>)> = vec![
        (
            "codes_per_tensor",
            npy_of(descr, t.shape(), &codes(&r.per_tensor_grids())?),
        ),
        (
            "scale_per_tensor",
            npy_of("<f4", &[], &f32s(&[r.tensor_params.scale])),
        ),
        (
            "zero_point_per_tensor",
            npy_of(descr, &[], &zps(&[r.tensor_params.zero_point])),
        ),
        (
            "codes_per_channel",
            npy_of(descr, t.shape(), &codes(&r.per_channel_grids())?),
        ),
        ("scale_per_channel", npy_of("<f4", &[c], &f32s(&scales))),
        ("zero_point_per_channel", npy_of(descr, &[c], &zps(&points))),
        (
            "codes_per_group",
            npy_of(
                descr,
                t.shape(),
                &r.per_group_codes(t)
                    .map_err(|e| ExportError::Engine(e.to_string()))?
                    .into_iter()
                    .flat_map(code_bytes)
                    .collect::<Vec<u8>>(),
            ),
        ),
        (
            "scale_per_group",
            npy_of("<f4", &group_shape, &f32s(&group_scales)),
        ),
        (
            "zero_point_per_group",
            npy_of(descr, &group_shape, &zps(&group_points)),
        ),
        ("axis", npy_of("<i8", &[], &axis.to_le_bytes())),
        ("meta", npy_of(&format!("<U{n}"), &[], &utf32)),
    ];

    let zerr = |e: &dyn std::fmt::Display| ExportError::Zip(e.to_string());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    for (name, bytes) in members {
        zip.start_file(format!("{name}.npy"), options)
            .map_err(|e| zerr(&e))?;
        zip.write_all(&bytes).map_err(|e| zerr(&e))?;
    }
    Ok(zip.finish().map_err(|e| zerr(&e))?.into_inner())
}

/// A file name stem for downloads, e.g. `quantlens_silero_vad__conv1_sym-int8_axis0`: letters,
/// digits, `-`, `_` and `.` only.
pub fn file_stem(r: &Report, meta: &ExportMeta) -> String {
    let what = match meta.source {
        ExportSource::Sample(s) => s.id.to_string(),
        ExportSource::File { name, member } => {
            let base = name.rsplit_once('.').map(|(b, _)| b).unwrap_or(name);
            match member {
                Some(m) => format!("{base}_{m}"),
                None => base.to_string(),
            }
        }
    };
    let axis = r
        .axis
        .map(|a| format!("axis{a}"))
        .unwrap_or_else(|| "0d".to_string());
    let raw = format!("quantlens_{what}_{}_{axis}", meta.scheme);
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    clean.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analyze;
    use crate::formats::npz;
    use crate::samples;

    fn small() -> (Tensor, Report) {
        // Two channels of three values, one all zero; one NaN.
        let t = Tensor::new(vec![3, 2], vec![0.5, 0.0, -1.25, 0.0, f32::NAN, 0.0]).unwrap();
        let r = analyze(&t, 1, QuantSpec::SYMMETRIC_INT8).unwrap();
        (t, r)
    }

    fn meta() -> ExportMeta<'static> {
        ExportMeta {
            scheme: "sym-int8",
            source: ExportSource::File {
                name: "my, \"odd\" file.npy",
                member: None,
            },
        }
    }

    #[test]
    fn numbers_read_back_exactly() {
        for v in [0.1f64, 1.0 / 3.0, 2.6497e-6, 1e-300, 123456.789, -7.0, 1e20] {
            assert_eq!(num64(v).unwrap().parse::<f64>().unwrap(), v);
        }
        for v in [0.1f32, 1.0 / 3.0, 1.175_494_4e-38, f32::MAX, -0.004] {
            assert_eq!(num32(v).unwrap().parse::<f32>().unwrap(), v);
        }
        assert_eq!(num32(0.1).unwrap(), "0.1");
        assert_eq!(num64(2.6497e-6).unwrap(), "2.6497e-6");
        assert_eq!(num64(-0.0).unwrap(), "0");
        assert_eq!(num64(f64::NAN), None);
        assert_eq!(num32(f32::INFINITY), None);
    }

    #[test]
    fn csv_quoting_follows_rfc_4180() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_channel() {
        let (_, r) = small();
        let csv = channel_stats_csv(&r);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 2 + 2, "{csv}"); // header, 2 rows, trailing empty
        assert_eq!(lines[0].split(',').count(), CSV_COLUMNS.len());
        let row0: Vec<&str> = lines[1].split(',').collect();
        let row1: Vec<&str> = lines[2].split(',').collect();
        assert_eq!(row0.len(), CSV_COLUMNS.len());
        let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(row0[col("elements")], "3");
        assert_eq!(row0[col("finite")], "2", "the NaN is not counted");
        assert_eq!(row0[col("min")], "-1.25");
        assert_eq!(row0[col("max")], "0.5");
        assert_eq!(row1[col("all_zero")], "true");
        assert_eq!(row1[col("degenerate_scale")], "true");
        assert_eq!(row1[col("scale")], "1");
        assert_eq!(row1[col("sqnr_db_per_channel")], "inf");
        let scale: f32 = row0[col("scale")].parse().unwrap();
        assert_eq!(scale, r.channels[0].params.scale);
    }

    #[test]
    fn json_records_the_setting() {
        let (_, r) = small();
        let j = channel_stats_json(&r, &meta());
        assert!(j.contains("\"name\": \"my, \\\"odd\\\" file.npy\""), "{j}");
        assert!(j.contains("\"shape\": [3, 2]"));
        assert!(j.contains("\"axis\": 1"));
        assert!(j.contains("\"scheme\": \"sym-int8\""));
        assert!(j.contains("\"qmin\": -127"));
        assert!(j.contains("\"sqnr_db_per_channel\": null"));
        assert!(!j.contains("NaN") && !j.contains("inf"));
        let v: serde_json::Value = serde_json::from_str(&j).expect("valid JSON");
        assert_eq!(v["channels"].as_array().unwrap().len(), 2);
        assert_eq!(v["channels"][0]["min"], -1.25);
        assert_eq!(v["meta"]["spec"]["bits"], 8);
        assert_eq!(json_str("a\u{1}\"\\"), "\"a\\u0001\\\"\\\\\"");
    }

    #[test]
    fn npz_holds_codes_scales_and_zero_points_that_reproduce_the_errors() {
        let s = samples::find("silero_vad__conv1").unwrap();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/samples")
            .join(s.file);
        let t = npy::read_npy(&std::fs::read(path).unwrap()).unwrap().tensor;
        for (spec, scheme, dtype) in [
            (QuantSpec::SYMMETRIC_INT8, "sym-int8", "int8"),
            (QuantSpec::ASYMMETRIC_UINT8, "asym-uint8", "uint8"),
        ] {
            let r = analyze(&t, 1, spec).unwrap();
            let m = ExportMeta {
                scheme,
                source: ExportSource::Sample(s),
            };
            let bytes = quantized_npz(&t, &r, &m).unwrap();
            let members = npz::members(&bytes).unwrap();
            let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, NPZ_MEMBERS);
            let codes = members
                .iter()
                .find(|m| m.name == "codes_per_channel")
                .unwrap();
            assert_eq!(codes.shape, t.shape());
            assert_eq!(codes.dtype, dtype);
            // Dequantize the stored codes with the stored scales: the error is the report's.
            let read = |name: &str| npz::read_member(&bytes, name).unwrap().tensor;
            let q = read("codes_per_channel");
            let scales = read("scale_per_channel");
            let zps = read("zero_point_per_channel");
            assert_eq!(scales.shape(), &[129]);
            let layout = t.layout(1).unwrap();
            let mut sum = 0f64;
            for (i, (&x, &code)) in t.data().iter().zip(q.data()).enumerate() {
                let ch = (i / layout.inner) % layout.channels;
                let xh = (code - zps.data()[ch]) * scales.data()[ch];
                sum += (f64::from(x) - f64::from(xh)).powi(2);
            }
            let msqe = sum / t.len() as f64;
            assert!(
                (msqe - r.per_channel.msqe).abs() <= r.per_channel.msqe * 1e-9,
                "{scheme}: {msqe} vs {}",
                r.per_channel.msqe
            );
            let meta = npz::members(&bytes).unwrap();
            assert!(meta.iter().any(|m| m.name == "meta"));
        }
    }

    #[test]
    fn a_0d_tensor_and_a_mismatched_tensor() {
        let t = Tensor::new(vec![], vec![2.0]).unwrap();
        let r = analyze(&t, 0, QuantSpec::ASYMMETRIC_UINT8).unwrap();
        let bytes = quantized_npz(&t, &r, &meta()).unwrap();
        assert!(npz::members(&bytes).unwrap().len() == NPZ_MEMBERS.len());
        let other = Tensor::new(vec![1], vec![2.0]).unwrap();
        let e = quantized_npz(&other, &r, &meta()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the tensor (shape [1]) is not the one analysed (shape [])"
        );
    }

    #[test]
    fn file_names_are_plain() {
        let (_, r) = small();
        assert_eq!(
            file_stem(&r, &meta()),
            "quantlens_my___odd__file_sym-int8_axis1"
        );
    }
}
