//! The ten bundled real tensors: the engine's figures against the float64 reference statistics
//! in assets/samples/samples.json, and the page's sample table against the same file.

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use quantlens::engine::{analyze, QuantSpec};
use quantlens::formats::npy::read_npy;
use quantlens::samples::SAMPLES;
use serde_json::Value;

fn reference() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/samples.json");
    let text = std::fs::read_to_string(&path).expect("assets/samples/samples.json");
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The `shape` of a samples.json entry.
fn shape_of(r: &Value) -> Vec<usize> {
    r["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// Per-tensor and per-channel symmetric int8 MSQE of every sample within 1e-6 (relative) of the
/// reference. Not exact, by design: the reference does everything in float64 (scale, division,
/// rounding, x̂), while the engine follows ONNX Runtime — a float32 scale, a float32 division and
/// a float32 x̂ (only the squared errors are summed in float64). Those float32 roundings move each
/// x̂ by at most half an ulp, which shifts MSQE by far less than 1e-6 relative on these tensors.
#[test]
fn msqe_of_every_sample_matches_the_float64_reference() {
    let refs = reference();
    assert_eq!(refs.len(), 10);
    for r in &refs {
        let file = r["file"].as_str().unwrap();
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("assets/samples")
                .join(file),
        )
        .unwrap();
        let loaded = read_npy(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let t = &loaded.tensor;
        let shape = shape_of(r);
        assert_eq!(t.shape(), &shape[..], "{file}");
        let rep = analyze(t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
        let want_t = r["msqe_per_tensor"].as_f64().unwrap();
        let want_c = r["msqe_per_channel"].as_f64().unwrap();
        assert!(
            rel(rep.per_tensor.msqe, want_t) < 1e-6,
            "{file}: per-tensor {} vs {want_t}",
            rep.per_tensor.msqe
        );
        assert!(
            rel(rep.per_channel.msqe, want_c) < 1e-6,
            "{file}: per-channel {} vs {want_c}",
            rep.per_channel.msqe
        );
        assert_eq!(
            rep.range.min,
            r["min"].as_f64().unwrap() as f32,
            "{file} min"
        );
        assert_eq!(
            rep.range.max,
            r["max"].as_f64().unwrap() as f32,
            "{file} max"
        );
        assert_eq!(
            rep.channels.len() as u64,
            r["channels"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(
            rep.zero_channels() as u64,
            r["zero_channels"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(rep.nonfinite(), 0);
        // The widest channel is the one the reference names.
        let widest = (0..rep.channels.len())
            .max_by(|&a, &b| {
                let w = |i: usize| {
                    f64::from(rep.channels[i].range.max) - f64::from(rep.channels[i].range.min)
                };
                w(a).total_cmp(&w(b))
            })
            .unwrap();
        assert_eq!(
            widest as u64,
            r["argmax_range_channel"].as_u64().unwrap(),
            "{file}"
        );
        // In total per-channel is better on every sample (not necessarily channel by channel: a
        // finer grid can land worse on a few values by chance).
        assert!(rep.per_channel.msqe < rep.per_tensor.msqe, "{file}");
        let ratio = rep.improvement().unwrap();
        assert!(
            rel(ratio, r["msqe_ratio"].as_f64().unwrap()) < 3e-6,
            "{file}: ratio {ratio}"
        );
    }
}

#[test]
fn the_page_sample_table_matches_samples_json() {
    let refs = reference();
    assert_eq!(SAMPLES.len(), refs.len());
    for (s, r) in SAMPLES.iter().zip(&refs) {
        assert_eq!(s.file, r["file"].as_str().unwrap());
        assert_eq!(s.id, s.file.trim_end_matches(".npy"));
        let shape = shape_of(r);
        assert_eq!(s.shape, &shape[..]);
        assert_eq!(s.layer, r["layer"].as_str().unwrap());
        assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/samples")
            .join(s.file)
            .is_file());
    }
    assert!(quantlens::samples::find(quantlens::samples::DEFAULT_SAMPLE).is_some());
    assert!(quantlens::samples::DEFAULT_SAMPLE.contains("depthwise"));
}
