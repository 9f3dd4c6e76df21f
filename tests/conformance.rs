//! Golden cases from independent implementations (onnxruntime, the ONNX backend tests, TensorFlow),
//! copied from the shared conformance set into tests/conformance/. Every folder there is a case: a
//! new folder is a new case, with no code change. Integers are compared exactly and floats bit for
//! bit unless the case states a tolerance. Prints `case <id>: pass | skip (<reason>) | FAIL (<what>)`.
//! Native only (it reads the case folders from disk); `make test` runs it with the other native tests.

use std::fs;
use std::path::{Path, PathBuf};

use quantlens::engine::analysis::quantizer;
use quantlens::engine::kernels::Quantizer;
use quantlens::engine::kernels::Step;
use quantlens::engine::params::{params_for_range, scale_zero_point};
use quantlens::engine::quantize::{dequantize_tensor, quantize_tensor, tf_fake_quant, Grids};
use quantlens::engine::spec::Rounding;
use quantlens::engine::{QuantSpec, Tensor};
use quantlens::formats::npy::read_npy;
use serde_json::Value;

enum Outcome {
    Pass,
    Skip(String),
    Fail(String),
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases found under {}", root.display());
    let (mut passed, mut skipped, mut failed) = (0, 0, 0);
    for dir in &dirs {
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match run_case(dir) {
            Ok(Outcome::Pass) => {
                passed += 1;
                println!("case {id}: pass");
            }
            Ok(Outcome::Skip(why)) => {
                skipped += 1;
                println!("case {id}: skip ({why})");
            }
            Ok(Outcome::Fail(what)) | Err(what) => {
                failed += 1;
                println!("case {id}: FAIL ({what})");
            }
        }
    }
    println!("conformance: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        std::process::exit(1);
    }
}

struct Case {
    dir: PathBuf,
    json: Value,
}

impl Case {
    fn params(&self) -> &Value {
        &self.json["params"]
    }
    fn load(&self, role: &str) -> Result<Tensor, String> {
        let file = self.json["files"][role]["file"]
            .as_str()
            .ok_or_else(|| format!("case.json names no file for role '{role}'"))?;
        let bytes = fs::read(self.dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
        read_npy(&bytes)
            .map(|l| l.tensor)
            .map_err(|e| format!("{file}: {e}"))
    }
    fn ints(&self, role: &str) -> Result<Vec<i32>, String> {
        Ok(self.load(role)?.data().iter().map(|&v| v as i32).collect())
    }
    fn int(&self, key: &str) -> Result<i32, String> {
        self.params()[key]
            .as_i64()
            .map(|v| v as i32)
            .ok_or_else(|| format!("params.{key} missing"))
    }
    /// `Some(axis)` for per-axis cases, `None` for per-tensor.
    fn axis(&self) -> Option<usize> {
        self.params()["axis_normalized"]
            .as_u64()
            .map(|a| a as usize)
    }
    fn grids(&self, scale: &[f32], zp: &[i32]) -> Result<Grids, String> {
        let (qmin, qmax) = (self.int("qmin")?, self.int("qmax")?);
        let grid = |i: usize| Quantizer::onnx(scale[i], zp[i], qmin, qmax);
        if self.params()["granularity"].as_str() == Some("blocked") {
            let block = self.params()["block_size"]
                .as_u64()
                .ok_or("params.block_size missing")? as usize;
            let axis = self.axis().ok_or("blocked case without an axis")?;
            return Ok(Grids::Blocked {
                axis,
                block,
                grids: (0..scale.len()).map(grid).collect(),
            });
        }
        Ok(match self.axis() {
            Some(axis) => Grids::PerAxis {
                axis,
                grids: (0..scale.len()).map(grid).collect(),
            },
            None if scale.len() == 1 => Grids::PerTensor(grid(0)),
            None => return Err(format!("per-tensor case with {} scales", scale.len())),
        })
    }
}

fn run_case(dir: &Path) -> Result<Outcome, String> {
    let text = fs::read_to_string(dir.join("case.json")).map_err(|e| format!("case.json: {e}"))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| format!("case.json: {e}"))?;
    let case = Case {
        dir: dir.to_path_buf(),
        json,
    };
    let kind = case.json["kind"].as_str().unwrap_or("").to_string();
    match kind.as_str() {
        "quantize_dequantize" => quantize_dequantize(&case, true),
        "quantize" => quantize_dequantize(&case, false),
        "dequantize" => dequantize(&case),
        "scale_zero_point" => scale_zp(&case),
        "weight_quantization" => weight_quantization(&case),
        "tf_quantize_scaled" => tf_quantize_scaled(&case),
        "tf_fake_quant_per_channel" => tf_fake_quant_case(&case),
        other => Ok(Outcome::Fail(format!("unknown kind '{other}'"))),
    }
}

fn quantize_dequantize(case: &Case, with_dequant: bool) -> Result<Outcome, String> {
    let input = case.load("input")?;
    let scale = case.load("scale")?.data().to_vec();
    let zp = case.ints("zero_point")?;
    let grids = case.grids(&scale, &zp)?;
    let codes = quantize_tensor(&input, &grids).map_err(|e| e.to_string())?;
    if let Some(d) = first_int_diff(&codes, &case.ints("expected_quantized")?) {
        return Ok(Outcome::Fail(format!("quantized {d}")));
    }
    if with_dequant {
        let deq = dequantize_tensor(input.shape(), &codes, &grids).map_err(|e| e.to_string())?;
        if let Some(d) = first_bit_diff(&deq, case.load("expected_dequantized")?.data()) {
            return Ok(Outcome::Fail(format!("dequantized {d}")));
        }
    }
    Ok(Outcome::Pass)
}

fn dequantize(case: &Case) -> Result<Outcome, String> {
    let input = case.load("input")?;
    let codes: Vec<i32> = input.data().iter().map(|&v| v as i32).collect();
    let scale = case.load("scale")?.data().to_vec();
    let zp = case.ints("zero_point")?;
    let grids = case.grids(&scale, &zp)?;
    let deq = dequantize_tensor(input.shape(), &codes, &grids).map_err(|e| e.to_string())?;
    match first_bit_diff(&deq, case.load("expected_dequantized")?.data()) {
        Some(d) => Ok(Outcome::Fail(format!("dequantized {d}"))),
        None => Ok(Outcome::Pass),
    }
}

fn scale_zp(case: &Case) -> Result<Outcome, String> {
    let p = case.params();
    let (qmin, qmax) = (case.int("qmin")?, case.int("qmax")?);
    let symmetric = p["symmetric"].as_bool().ok_or("params.symmetric missing")?;
    let min_real_range = p["min_real_range"].as_f64().map(|v| v as f32);
    // The app's own spec must choose the same grid for this case's qtype and flags.
    let spec = QuantSpec {
        bits: 8,
        signed: p["qtype"].as_str() == Some("int8"),
        symmetric,
        narrow: symmetric && p["qtype"].as_str() == Some("int8"),
        reduce_range: p["reduce_range"].as_bool().unwrap_or(false),
        ..QuantSpec::SYMMETRIC_INT8
    };
    if spec.quantizer_range() != (qmin, qmax) {
        return Ok(Outcome::Fail(format!(
            "grid: the spec gives {:?}, onnxruntime used ({qmin}, {qmax})",
            spec.quantizer_range()
        )));
    }
    let input = case.load("input")?;
    let scales = case.load("expected_scale")?;
    let zps = case.ints("expected_zero_point")?;
    for (i, row) in input.data().chunks_exact(2).enumerate() {
        let got = scale_zero_point(row[0], row[1], qmin, qmax, symmetric, min_real_range);
        let want = scales.data()[i];
        if got.scale.to_bits() != want.to_bits() || got.zero_point != zps[i] {
            return Ok(Outcome::Fail(format!(
                "row {i} [{:e}, {:e}]: got scale {:e} ({:#010x}) zp {}, expected {:e} ({:#010x}) zp {}",
                row[0],
                row[1],
                got.scale,
                got.scale.to_bits(),
                got.zero_point,
                want,
                want.to_bits(),
                zps[i]
            )));
        }
    }
    Ok(Outcome::Pass)
}

/// The onnxruntime quantizer on a real weight: the app's symmetric int8 preset must choose the
/// same scales and zero points (from each channel's min and max), and produce the same codes.
fn weight_quantization(case: &Case) -> Result<Outcome, String> {
    let p = case.params();
    if p["symmetric"].as_bool() != Some(true) || p["qtype"].as_str() != Some("int8") {
        return Ok(Outcome::Skip(
            "only symmetric int8 weights are in this slice".into(),
        ));
    }
    let spec = QuantSpec::SYMMETRIC_INT8;
    let (qmin, qmax) = (case.int("quantizer_qmin")?, case.int("quantizer_qmax")?);
    if spec.quantizer_range() != (qmin, qmax) {
        return Ok(Outcome::Fail(format!(
            "grid {:?} != ({qmin}, {qmax})",
            spec.quantizer_range()
        )));
    }
    let input = case.load("input")?;
    let want_scale = case.load("expected_scale")?.data().to_vec();
    let want_zp = case.ints("expected_zero_point")?;
    let report = quantlens::engine::analyze(&input, case.axis().unwrap_or(0) as isize, spec)
        .map_err(|e| e.to_string())?;
    let chosen: Vec<(f32, i32)> = match case.axis() {
        Some(_) => report
            .channels
            .iter()
            .map(|c| (c.params.scale, c.params.zero_point))
            .collect(),
        None => vec![(report.tensor_params.scale, report.tensor_params.zero_point)],
    };
    if chosen.len() != want_scale.len() {
        return Ok(Outcome::Fail(format!(
            "{} scales, expected {}",
            chosen.len(),
            want_scale.len()
        )));
    }
    for (i, (&(s, z), (&ws, &wz))) in chosen
        .iter()
        .zip(want_scale.iter().zip(&want_zp))
        .enumerate()
    {
        if s.to_bits() != ws.to_bits() || z != wz {
            return Ok(Outcome::Fail(format!(
                "granule {i}: scale {s:e} zp {z}, expected {ws:e} zp {wz}"
            )));
        }
    }
    let scale: Vec<f32> = chosen.iter().map(|c| c.0).collect();
    let zp: Vec<i32> = chosen.iter().map(|c| c.1).collect();
    let grids = case.grids(&scale, &zp)?;
    let codes = quantize_tensor(&input, &grids).map_err(|e| e.to_string())?;
    if let Some(d) = first_int_diff(&codes, &case.ints("expected_quantized")?) {
        return Ok(Outcome::Fail(format!("quantized {d}")));
    }
    let deq = dequantize_tensor(input.shape(), &codes, &grids).map_err(|e| e.to_string())?;
    if let Some(d) = first_bit_diff(&deq, case.load("expected_dequantized")?.data()) {
        return Ok(Outcome::Fail(format!("dequantized {d}")));
    }
    Ok(Outcome::Pass)
}

/// TensorFlow `quantize(mode='SCALED', round_mode='HALF_TO_EVEN', narrow_range=True)` per channel:
/// the app's TFLite convention (codes = round(x · (127 / m)), narrow [-127, 127]) with the rounding
/// switched to ties-to-even, fed each channel's given min/max. TF also reports the range it used,
/// `±127 / scale_factor` with `scale_factor = 127 / m` capped at f32::MAX (so an all-zero channel
/// reports ±127 / f32::MAX ≈ 3.7e-37): checked against the app's inverse scale.
fn tf_quantize_scaled(case: &Case) -> Result<Outcome, String> {
    let spec = QuantSpec {
        rounding: Rounding::HalfEven,
        ..quantlens::engine::spec::preset("tflite-int8")
            .ok_or("no tflite-int8 preset")?
            .spec
    };
    if spec.quantizer_range() != (case.int("qmin")?, case.int("qmax")?) {
        return Ok(Outcome::Fail(format!("grid {:?}", spec.quantizer_range())));
    }
    let input = case.load("input")?;
    let (mins, maxs) = (case.load("min")?, case.load("max")?);
    let mut grids = Vec::new();
    let (mut out_min, mut out_max) = (Vec::new(), Vec::new());
    for (&lo, &hi) in mins.data().iter().zip(maxs.data()) {
        let p = params_for_range(&spec, lo, hi);
        grids.push(quantizer(&spec, &p));
        let inv = match p.step {
            Step::Multiply(m) if m > 0.0 => m,
            Step::Multiply(_) => f32::MAX,
            Step::Divide(d) => 1.0 / d,
        };
        out_max.push(127.0f32 / inv);
        out_min.push(-(127.0f32 / inv));
    }
    let axis = case.axis().ok_or("no axis")?;
    let codes =
        quantize_tensor(&input, &Grids::PerAxis { axis, grids }).map_err(|e| e.to_string())?;
    if let Some(d) = first_int_diff(&codes, &case.ints("expected_quantized")?) {
        return Ok(Outcome::Fail(format!("quantized {d}")));
    }
    if let Some(d) = first_bit_diff(&out_min, case.load("expected_output_min")?.data()) {
        return Ok(Outcome::Fail(format!("output_min {d}")));
    }
    if let Some(d) = first_bit_diff(&out_max, case.load("expected_output_max")?.data()) {
        return Ok(Outcome::Fail(format!("output_max {d}")));
    }
    Ok(Outcome::Pass)
}

/// TensorFlow `fake_quant_with_min_max_vars_per_channel` (last axis): the engine's
/// [`tf_fake_quant`] (TF's nudging and its shift-then-scale arithmetic) per channel, compared with
/// the tolerance the case states.
fn tf_fake_quant_case(case: &Case) -> Result<Outcome, String> {
    let p = case.params();
    let (qmin, qmax) = (
        p["quant_min"].as_i64().ok_or("quant_min")? as i32,
        p["quant_max"].as_i64().ok_or("quant_max")? as i32,
    );
    let input = case.load("input")?;
    let (mins, maxs) = (case.load("min")?, case.load("max")?);
    let channels = mins.len();
    if case.axis() != Some(input.rank() - 1) || channels == 0 {
        return Ok(Outcome::Fail("expected channels on the last axis".into()));
    }
    let want = case.load("expected_output")?;
    for c in 0..channels {
        let column: Vec<f32> = input
            .data()
            .iter()
            .skip(c)
            .step_by(channels)
            .copied()
            .collect();
        let out = tf_fake_quant(&column, mins.data()[c], maxs.data()[c], qmin, qmax);
        let tol = 1e-6 * 1f32.max(mins.data()[c].abs()).max(maxs.data()[c].abs());
        for (r, &g) in out.iter().enumerate() {
            let w = want.data()[r * channels + c];
            if (g - w).abs() > tol {
                return Ok(Outcome::Fail(format!(
                    "row {r} channel {c}: got {g:e}, expected {w:e}, tolerance {tol:e}"
                )));
            }
        }
    }
    Ok(Outcome::Pass)
}

fn first_int_diff(got: &[i32], want: &[i32]) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("length {} != {}", got.len(), want.len()));
    }
    let bad: Vec<usize> = (0..got.len()).filter(|&i| got[i] != want[i]).collect();
    bad.first().map(|&i| {
        format!(
            "{} of {} codes differ; first at {i}: got {}, expected {}",
            bad.len(),
            got.len(),
            got[i],
            want[i]
        )
    })
}

fn first_bit_diff(got: &[f32], want: &[f32]) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("length {} != {}", got.len(), want.len()));
    }
    let bad: Vec<usize> = (0..got.len())
        .filter(|&i| got[i].to_bits() != want[i].to_bits())
        .collect();
    bad.first().map(|&i| {
        format!(
            "{} of {} values differ in bits; first at {i}: got {:e}, expected {:e}",
            bad.len(),
            got.len(),
            got[i],
            want[i]
        )
    })
}
