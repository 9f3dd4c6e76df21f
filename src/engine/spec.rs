//! What integer grid a scheme quantizes onto, whose rules choose its scale, and the framework presets.
//!
//! Frameworks agree on the shape of the math (`q = saturate(round(x / s) + z)`, `x̂ = (q - z)·s`) and
//! disagree in details that change the integers: the symmetric denominator (127 or 127.5), the
//! reduce-range grid, float64 or float32 arithmetic for the scale, dividing by the scale or
//! multiplying by its inverse, rounding ties to even or away from zero, what an all-zero range
//! becomes, and whether the stored scale is rounded to float16. A [`Convention`] pins one
//! framework's choices; [`PRESETS`] names the usual combinations, each with its rules and sources.

/// How a value exactly halfway between two integers is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Rounding {
    /// Ties to even (`2.5 -> 2`, `-2.5 -> -2`): ONNX QuantizeLinear, PyTorch (`nearbyint`), TensorRT.
    HalfEven,
    /// Ties away from zero (`2.5 -> 3`, `-2.5 -> -3`): C `roundf`, TFLite's `TfLiteRound`, ggml.
    HalfAway,
    /// Ties toward +∞ (`2.5 -> 3`, `-2.5 -> -2`): TensorFlow fake-quant's `floor(v + 0.5)`.
    HalfUp,
}

impl Rounding {
    pub const ALL: [Rounding; 3] = [Rounding::HalfEven, Rounding::HalfAway, Rounding::HalfUp];
    pub fn id(self) -> &'static str {
        match self {
            Rounding::HalfEven => "even",
            Rounding::HalfAway => "away",
            Rounding::HalfUp => "up",
        }
    }
    pub fn from_id(id: &str) -> Option<Rounding> {
        Rounding::ALL.into_iter().find(|r| r.id() == id)
    }
    pub fn label(self) -> &'static str {
        match self {
            Rounding::HalfEven => "ties to even",
            Rounding::HalfAway => "ties away from zero",
            Rounding::HalfUp => "ties up (toward +∞)",
        }
    }
}

/// Whose rules turn a real range into (scale, zero point) and codes. Each variant's documentation
/// lists its rules; [`Convention::rules`] gives the same text for the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Convention {
    /// ONNX Runtime's quantization tool (`quant_utils.compute_scale_zp`) and ONNX QuantizeLinear:
    /// scale computed in float64 and rounded to float32; a range below the smallest normal float32
    /// gives scale 1, zero point 0; `q = saturate(round_half_even(x / s) + z)` with a float32
    /// division, saturating at the stored type's range. reduce_range: int8 `[-64, 64]`.
    OnnxRuntime,
    /// PyTorch observers (`torch.ao.quantization.observer._calculate_qparams`) and `quantize_val`
    /// (FBGEMM `Quantize<.., LEGACY=false>`): float32 arithmetic; symmetric scale = max|x| /
    /// ((qmax - qmin) / 2) (127.5 for qint8); scale at least float32 eps (2^-23); affine zero point
    /// `qmin - round(min / s)`; quint8 symmetric zero point 128; `q = z + nearbyint(x · (1/s))`
    /// (multiply by the float32 inverse, ties to even), saturating at the type range.
    /// reduce_range: qint8 `[-64, 63]`, quint8 `[0, 127]`.
    PyTorch,
    /// TFLite's model optimizer (`tensorflow/lite/tools/optimize/quantization_utils.cc`): weights
    /// symmetric per axis on `[-127, 127]`: `s = max|x| / 127`, `q = TfLiteRound(x · (127 / max|x|))`
    /// (ties away), an all-zero channel gets scale 0 and inverse 0 (codes 0). Asymmetric
    /// (`GetAsymmetricQuantizationParams`, activations): float32 `s = (max - min) / (qmax - qmin)`,
    /// zero point `round(qmin - min / s)` (ties away) clamped; the Quantize op divides and rounds
    /// ties away (`reference_ops::AffineQuantize`).
    TfLite,
    /// TensorRT explicit quantization as produced by NVIDIA's pytorch-quantization / ModelOpt:
    /// `s = amax / 127` in float32 (narrow `[-127, 127]`), `q = round_half_even(x / s)` (TensorRT's
    /// IQuantizeLayer), an amax at or below 2^-24 is treated as zero (scale 1, codes 0).
    TensorRt,
    /// ggml `quantize_row_q8_0_ref`: per block `d = amax / 127` (float32), `id = d ? 1/d : 0`,
    /// `q = roundf(x · id)` (ties away); `d` is stored as float16, so dequantization uses
    /// `f32(f16(d))`.
    Ggml,
}

impl Convention {
    pub const ALL: [Convention; 5] = [
        Convention::OnnxRuntime,
        Convention::PyTorch,
        Convention::TfLite,
        Convention::TensorRt,
        Convention::Ggml,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Convention::OnnxRuntime => "ort",
            Convention::PyTorch => "pytorch",
            Convention::TfLite => "tflite",
            Convention::TensorRt => "tensorrt",
            Convention::Ggml => "ggml",
        }
    }
    pub fn from_id(id: &str) -> Option<Convention> {
        Convention::ALL.into_iter().find(|c| c.id() == id)
    }
    pub fn name(self) -> &'static str {
        match self {
            Convention::OnnxRuntime => "ONNX Runtime",
            Convention::PyTorch => "PyTorch",
            Convention::TfLite => "TFLite",
            Convention::TensorRt => "TensorRT",
            Convention::Ggml => "ggml",
        }
    }
    /// The rounding a framework uses unless the user changes it.
    pub fn default_rounding(self) -> Rounding {
        match self {
            Convention::TfLite | Convention::Ggml => Rounding::HalfAway,
            _ => Rounding::HalfEven,
        }
    }
    /// The exact rules, one line each, as shown on the page.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Convention::OnnxRuntime => &[
                "range widened to contain 0; symmetric uses ±max|x|",
                "scale = (max − min) / (qmax − qmin) in float64, then rounded to float32",
                "a scale below 1.18e-38 (all-zero range) becomes scale 1, zero point 0",
                "zero point: symmetric (qmin + qmax) / 2; asymmetric round(qmin − min / scale)",
                "q = saturate(round_half_even(x / scale) + zero point): float32 division, saturating at the type range",
                "reduce_range: int8 [−64, 64], uint8 [0, 127]",
            ],
            Convention::PyTorch => &[
                "float32 arithmetic throughout",
                "symmetric: scale = max|x| / ((qmax − qmin) / 2) — 127.5 for qint8 [−128, 127]",
                "affine: scale = (max − min) / (qmax − qmin), zero point = qmin − round(min / scale)",
                "scale = max(scale, eps = 2⁻²³): an all-zero range gets scale 1.19e-7",
                "q = zero point + nearbyint(x · (1 / scale)): multiply by the float32 inverse, ties to even",
                "reduce_range: qint8 [−64, 63], quint8 [0, 127]",
            ],
            Convention::TfLite => &[
                "weights: symmetric int8 on [−127, 127], scale = max|x| / 127 (float32)",
                "codes = round(x · (127 / max|x|)), ties away from zero (TfLiteRound)",
                "an all-zero channel is stored with scale 0 and codes 0",
                "activations: asymmetric, scale = (max − min) / (qmax − qmin), zero point = round(qmin − min / scale) clamped",
                "activation codes = round(x / scale) + zero point, ties away from zero",
            ],
            Convention::TensorRt => &[
                "symmetric only: scale = amax / 127 (float32), narrow range [−127, 127]",
                "q = round_half_even(x / scale), saturating at [−128, 127] (IQuantizeLayer)",
                "an amax ≤ 2⁻²⁴ is treated as zero: scale 1, codes 0",
            ],
            Convention::Ggml => &[
                "Q8_0: blocks of 32 consecutive weights along a row",
                "d = amax / 127 (float32); id = 1 / d, or 0 when d = 0",
                "q = roundf(x · id): ties away from zero",
                "d is stored as float16: x̂ = q · f32(f16(d)); 34 bytes per 32 weights",
            ],
        }
    }
    /// What an all-zero (or subnormal-only) range becomes, in words.
    pub fn zero_range_rule(self) -> &'static str {
        match self {
            Convention::OnnxRuntime => "scale 1, zero point 0 (ONNX Runtime's rule)",
            Convention::PyTorch => "scale = eps 1.19e-7 (PyTorch's rule)",
            Convention::TfLite => "scale 0 and codes 0 (TFLite's rule)",
            Convention::TensorRt => "amax treated as 0: scale 1, codes 0 (TensorRT's rule)",
            Convention::Ggml => "d = 0, codes 0 (ggml's rule)",
        }
    }

    /// Where the rules come from.
    pub fn sources(self) -> &'static str {
        match self {
            Convention::OnnxRuntime => {
                "onnxruntime python/tools/quantization/quant_utils.py (compute_scale_zp, get_qmin_qmax_for_qType); ONNX QuantizeLinear spec"
            }
            Convention::PyTorch => {
                "pytorch torch/ao/quantization/observer.py (_calculate_qparams), utils.py (calculate_qmin_qmax); aten quantize_val → FBGEMM QuantUtils.h Quantize"
            }
            Convention::TfLite => {
                "tensorflow/lite/tools/optimize/quantization_utils.cc (SymmetricPerChannelQuantization, GetAsymmetricQuantizationParams); LiteRT 8-bit quantization spec"
            }
            Convention::TensorRt => {
                "NVIDIA TensorRT pytorch-quantization tensor_quant.py; TensorRT IQuantizeLayer documentation"
            }
            Convention::Ggml => "ggml-org/llama.cpp ggml/src/ggml-quants.c (quantize_row_q8_0_ref)",
        }
    }
    /// Whether this framework saturates at the narrow grid rather than the stored type's range.
    pub fn saturates_at_grid(self, symmetric: bool) -> bool {
        match self {
            Convention::TfLite => symmetric,
            Convention::Ggml => true,
            _ => false,
        }
    }
}

/// An integer quantization scheme: bit width, signedness, how the real range maps onto the grid,
/// rounding, and whose arithmetic ([`Convention`]).
///
/// Grids ([`QuantSpec::quantizer_range`]): signed `[-2^(b-1), 2^(b-1)-1]`, narrow signed
/// `[-(2^(b-1)-1), 2^(b-1)-1]`, unsigned `[0, 2^b-1]`, narrow unsigned `[0, 2^b-2]` (so that a
/// symmetric zero point sits exactly in the middle); `reduce_range` keeps one bit fewer:
/// unsigned `[0, 2^(b-1)-1]`, signed `[-2^(b-2), 2^(b-2)]` in ONNX Runtime and `[-2^(b-2), 2^(b-2)-1]`
/// in PyTorch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct QuantSpec {
    /// Bits of the stored integer (2..=16).
    pub bits: u32,
    /// Signed (int8) or unsigned (uint8) storage.
    pub signed: bool,
    /// Symmetric: the range is `[-max|x|, +max|x|]` and the zero point is the grid's centre.
    pub symmetric: bool,
    /// Narrow grid without one extreme code (`[-127, 127]` for int8, `[0, 254]` for uint8).
    pub narrow: bool,
    /// One bit fewer, for kernels that would overflow otherwise (x86 `vpmaddubsw`).
    pub reduce_range: bool,
    pub rounding: Rounding,
    pub convention: Convention,
}

/// The largest group size a link or the group-size field accepts.
pub const MAX_GROUP_SIZE: usize = 1 << 20;

/// Bit widths the engine supports.
pub const MIN_BITS: u32 = 2;
pub const MAX_BITS: u32 = 16;

impl QuantSpec {
    /// Whether the convention has its own scale rule for this spec. TensorRT and ggml define only
    /// symmetric signed grids, TFLite's symmetric rule only signed ones (`max|x| / 127`); any other
    /// combination is computed with ONNX Runtime's rule, and the rules panel says so.
    pub fn own_rule(&self) -> bool {
        match self.convention {
            Convention::OnnxRuntime | Convention::PyTorch => true,
            Convention::TfLite => !self.symmetric || self.signed,
            Convention::TensorRt | Convention::Ggml => self.symmetric && self.signed,
        }
    }

    /// The convention whose rules compute this spec's scale and zero point: its own, or ONNX
    /// Runtime's for a grid it does not define (see [`QuantSpec::own_rule`]).
    pub fn rule_convention(&self) -> Convention {
        if self.own_rule() {
            self.convention
        } else {
            Convention::OnnxRuntime
        }
    }

    /// Symmetric int8 on the narrow grid `[-127, 127]`: `scale = max|x| / 127`, zero point 0.
    /// The weight convention of ONNX Runtime, TFLite and TensorRT (ONNX Runtime's arithmetic).
    pub const SYMMETRIC_INT8: QuantSpec = QuantSpec {
        bits: 8,
        signed: true,
        symmetric: true,
        narrow: true,
        reduce_range: false,
        rounding: Rounding::HalfEven,
        convention: Convention::OnnxRuntime,
    };

    /// Asymmetric (affine) uint8 on `[0, 255]`: `scale = (max - min) / 255` over a range widened to
    /// contain 0, `zero_point = round(-min / scale)`. ONNX Runtime's default uint8 activations.
    pub const ASYMMETRIC_UINT8: QuantSpec = QuantSpec {
        bits: 8,
        signed: false,
        symmetric: false,
        narrow: false,
        reduce_range: false,
        rounding: Rounding::HalfEven,
        convention: Convention::OnnxRuntime,
    };

    fn b(&self) -> u32 {
        self.bits.clamp(MIN_BITS, MAX_BITS)
    }

    /// The grid the real range is mapped onto when choosing scale and zero point.
    pub fn quantizer_range(&self) -> (i32, i32) {
        let b = self.b();
        let pytorch = self.convention == Convention::PyTorch;
        match (self.signed, self.reduce_range) {
            (true, true) if pytorch => (-(1 << (b - 2)), (1 << (b - 2)) - 1),
            (true, true) => (-(1 << (b - 2)), 1 << (b - 2)),
            (false, true) => (0, (1 << (b - 1)) - 1),
            (true, false) if self.narrow => (-((1 << (b - 1)) - 1), (1 << (b - 1)) - 1),
            (true, false) => (-(1 << (b - 1)), (1 << (b - 1)) - 1),
            (false, false) if self.narrow => (0, (1 << b) - 2),
            (false, false) => (0, (1 << b) - 1),
        }
    }

    /// The saturation bounds of the stored integer type (what QuantizeLinear clamps to).
    pub fn type_range(&self) -> (i32, i32) {
        let b = self.b();
        if self.signed {
            (-(1 << (b - 1)), (1 << (b - 1)) - 1)
        } else {
            (0, (1 << b) - 1)
        }
    }

    /// Where codes saturate under this spec's convention: the stored type's range, or the narrow
    /// grid for frameworks that clamp there (TFLite weights, ggml).
    pub fn saturation_range(&self) -> (i32, i32) {
        if self.own_rule() && self.convention.saturates_at_grid(self.symmetric) {
            self.quantizer_range()
        } else {
            self.type_range()
        }
    }

    pub fn label(&self) -> String {
        let (lo, hi) = self.quantizer_range();
        format!(
            "{} {}{} [{lo}, {hi}]",
            if self.symmetric {
                "symmetric"
            } else {
                "asymmetric"
            },
            if self.signed { "int" } else { "uint" },
            self.b()
        )
    }

    /// Bytes one code takes when stored (1 up to 8 bits, 2 above; sub-byte widths are counted
    /// packed, `bits / 8` bytes per value, as int4/int2 storage does).
    pub fn code_bits(&self) -> u32 {
        self.b()
    }
}

/// How finely scales are shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Granularity {
    PerTensor,
    PerChannel,
    PerGroup,
}

impl Granularity {
    pub const ALL: [Granularity; 3] = [
        Granularity::PerTensor,
        Granularity::PerChannel,
        Granularity::PerGroup,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Granularity::PerTensor => "tensor",
            Granularity::PerChannel => "channel",
            Granularity::PerGroup => "group",
        }
    }
    pub fn from_id(id: &str) -> Option<Granularity> {
        Granularity::ALL.into_iter().find(|g| g.id() == id)
    }
    pub fn label(self) -> &'static str {
        match self {
            Granularity::PerTensor => "per-tensor",
            Granularity::PerChannel => "per-channel",
            Granularity::PerGroup => "per-group",
        }
    }
}

/// Group sizes offered first on the page (any size ≥ 1 works in the engine).
pub const GROUP_SIZES: [usize; 5] = [16, 32, 64, 128, 256];

/// A named combination of settings that reproduces one framework's integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    pub id: &'static str,
    pub name: &'static str,
    /// What the preset is for, in a few words.
    pub summary: &'static str,
    pub spec: QuantSpec,
    /// The granularity this framework uses for weights (the highlighted column on the page).
    pub granularity: Granularity,
    /// Group size when `granularity` is per-group.
    pub group_size: usize,
}

const fn spec(
    bits: u32,
    signed: bool,
    symmetric: bool,
    narrow: bool,
    convention: Convention,
    rounding: Rounding,
) -> QuantSpec {
    QuantSpec {
        bits,
        signed,
        symmetric,
        narrow,
        reduce_range: false,
        rounding,
        convention,
    }
}

/// The presets, in the order the page lists them. The first is the default.
pub const PRESETS: [Preset; 9] = [
    Preset {
        id: "ort-int8",
        name: "ONNX Runtime · int8 weights",
        summary: "quantize_static / quantize_dynamic weights: symmetric int8 [−127, 127], per channel",
        spec: QuantSpec::SYMMETRIC_INT8,
        granularity: Granularity::PerChannel,
        group_size: 32,
    },
    Preset {
        id: "ort-uint8",
        name: "ONNX Runtime · uint8 asymmetric",
        summary: "QUInt8 affine [0, 255] with a zero point (activations, older weight default)",
        spec: QuantSpec::ASYMMETRIC_UINT8,
        granularity: Granularity::PerTensor,
        group_size: 32,
    },
    Preset {
        id: "pytorch-qint8",
        name: "PyTorch · qint8 symmetric",
        summary: "per_channel_symmetric qint8 observer: scale = max|x| / 127.5 on [−128, 127]",
        spec: spec(
            8,
            true,
            true,
            false,
            Convention::PyTorch,
            Rounding::HalfEven,
        ),
        granularity: Granularity::PerChannel,
        group_size: 32,
    },
    Preset {
        id: "pytorch-quint8",
        name: "PyTorch · quint8 affine",
        summary: "per_tensor_affine quint8 [0, 255] (activations)",
        spec: spec(
            8,
            false,
            false,
            false,
            Convention::PyTorch,
            Rounding::HalfEven,
        ),
        granularity: Granularity::PerTensor,
        group_size: 32,
    },
    Preset {
        id: "tflite-int8",
        name: "TFLite · int8 weights",
        summary: "per-axis symmetric int8 [−127, 127], ties away from zero",
        spec: spec(
            8,
            true,
            true,
            true,
            Convention::TfLite,
            Rounding::HalfAway,
        ),
        granularity: Granularity::PerChannel,
        group_size: 32,
    },
    Preset {
        id: "tflite-act",
        name: "TFLite · int8 activations",
        summary: "per-tensor asymmetric int8 [−128, 127] with a zero point",
        spec: spec(
            8,
            true,
            false,
            false,
            Convention::TfLite,
            Rounding::HalfAway,
        ),
        granularity: Granularity::PerTensor,
        group_size: 32,
    },
    Preset {
        id: "tensorrt",
        name: "TensorRT · int8",
        summary: "explicit Q/DQ int8: scale = amax / 127, per channel for weights",
        spec: spec(
            8,
            true,
            true,
            true,
            Convention::TensorRt,
            Rounding::HalfEven,
        ),
        granularity: Granularity::PerChannel,
        group_size: 32,
    },
    Preset {
        id: "ggml-q8_0",
        name: "ggml · Q8_0",
        summary: "blocks of 32 along each row, float16 scale, ties away from zero",
        spec: spec(8, true, true, true, Convention::Ggml, Rounding::HalfAway),
        granularity: Granularity::PerGroup,
        group_size: 32,
    },
    Preset {
        id: "int4-g128",
        name: "int4 · groups of 128",
        summary: "symmetric int4 [−7, 7] in groups of 128 (the usual LLM weight-only layout), ONNX Runtime arithmetic",
        spec: spec(
            4,
            true,
            true,
            true,
            Convention::OnnxRuntime,
            Rounding::HalfEven,
        ),
        granularity: Granularity::PerGroup,
        group_size: 128,
    },
];

pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

/// The preset whose settings equal these, if any (so the page can say "custom" otherwise).
pub fn matching_preset(spec: &QuantSpec, group_size: usize) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| {
        p.spec == *spec && (p.granularity != Granularity::PerGroup || p.group_size == group_size)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_follow_each_framework() {
        assert_eq!(QuantSpec::SYMMETRIC_INT8.quantizer_range(), (-127, 127));
        assert_eq!(QuantSpec::SYMMETRIC_INT8.type_range(), (-128, 127));
        assert_eq!(QuantSpec::ASYMMETRIC_UINT8.quantizer_range(), (0, 255));
        let rr = QuantSpec {
            reduce_range: true,
            ..QuantSpec::SYMMETRIC_INT8
        };
        assert_eq!(rr.quantizer_range(), (-64, 64));
        let pt = QuantSpec {
            convention: Convention::PyTorch,
            ..rr
        };
        assert_eq!(pt.quantizer_range(), (-64, 63));
        let rr = QuantSpec {
            reduce_range: true,
            ..QuantSpec::ASYMMETRIC_UINT8
        };
        assert_eq!(rr.quantizer_range(), (0, 127));
        let full = QuantSpec {
            narrow: false,
            symmetric: false,
            ..QuantSpec::SYMMETRIC_INT8
        };
        assert_eq!(full.quantizer_range(), (-128, 127));
        let narrow_u8 = QuantSpec {
            narrow: true,
            ..QuantSpec::ASYMMETRIC_UINT8
        };
        assert_eq!(narrow_u8.quantizer_range(), (0, 254));
        assert_eq!(
            QuantSpec::SYMMETRIC_INT8.label(),
            "symmetric int8 [-127, 127]"
        );
        let int2 = QuantSpec {
            bits: 2,
            ..QuantSpec::SYMMETRIC_INT8
        };
        assert_eq!(int2.quantizer_range(), (-1, 1));
        let int16 = QuantSpec {
            bits: 16,
            ..QuantSpec::SYMMETRIC_INT8
        };
        assert_eq!(int16.quantizer_range(), (-32767, 32767));
    }

    #[test]
    fn tflite_and_ggml_saturate_at_the_narrow_grid() {
        let tfl = preset("tflite-int8").unwrap().spec;
        assert_eq!(tfl.saturation_range(), (-127, 127));
        assert_eq!(
            preset("tflite-act").unwrap().spec.saturation_range(),
            (-128, 127)
        );
        assert_eq!(QuantSpec::SYMMETRIC_INT8.saturation_range(), (-128, 127));
    }

    #[test]
    fn presets_are_unique_and_found_again() {
        for (i, p) in PRESETS.iter().enumerate() {
            assert_eq!(preset(p.id).map(|q| q.id), Some(p.id));
            assert_eq!(
                matching_preset(&p.spec, p.group_size).map(|q| q.id),
                Some(p.id),
                "{}",
                p.id
            );
            for q in &PRESETS[i + 1..] {
                assert_ne!(p.id, q.id);
            }
            assert!(!p.spec.convention.rules().is_empty());
        }
        assert_eq!(Rounding::from_id("away"), Some(Rounding::HalfAway));
        assert_eq!(Convention::from_id("ggml"), Some(Convention::Ggml));
        assert_eq!(Granularity::from_id("group"), Some(Granularity::PerGroup));
    }
}
