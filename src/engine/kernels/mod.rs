//! The hot loops. [`scalar`] is the reference and always compiled; on wasm32 the same functions
//! run as SIMD128 code ([`simd128`]), and tests hold the two equal bit for bit.
//!
//! Every kernel here is defined so that a vectorised version can match it exactly:
//! - quantize: `q = saturate(round(x / d) + zero_point)` or `saturate(round(x · m) + zero_point)`
//!   ([`Step`]), rounding ties to even or away from zero ([`Rounding`]) before the zero point,
//!   saturation to `[qmin, qmax]` in float before the integer conversion (ONNX QuantizeLinear with
//!   ties to even and a division); `+inf -> qmax`, `-inf -> qmin`, and a NaN (a NaN input, or
//!   `inf · 0` under a zero inverse scale) -> the zero point;
//! - dequantize: `x̂ = f32(q - zero_point) * scale` (ONNX DequantizeLinear);
//! - the error measurement saturates x̂ at ±f32::MAX (DequantizeLinear's float32 product can round
//!   to infinity within one step of f32::MAX), so error figures stay finite;
//! - the error of a value is `e = x − x̂` in float32 ([`scalar::error_of`]: exact unless the value is
//!   clipped), squared in float64 (exact); `Σe²` and `Σx²` are accumulated in float64 in four
//!   interleaved lanes (element `i` goes to lane `i % 4`), combined as `(l0 + l1) + (l2 + l3)`: one
//!   summation order for every build; `Σx̂²` likewise, of the float32 x̂.

pub mod scalar;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod simd128;

#[cfg(all(
    target_arch = "wasm32",
    not(target_feature = "simd128"),
    not(feature = "scalar-wasm")
))]
compile_error!(
    "quantlens' wasm build needs SIMD128: build with RUSTFLAGS containing `-C target-feature=+simd128` \
     (.cargo/config.toml sets it; an exported RUSTFLAGS replaces it), or enable the `scalar-wasm` \
     feature for the scalar comparison build"
);

use super::spec::Rounding;

/// How `x` is brought onto the integer grid before rounding.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Step {
    /// `x / d` (float32 division): ONNX QuantizeLinear, TensorRT, TFLite's Quantize op.
    Divide(f32),
    /// `x · m` with a precomputed float32 inverse: PyTorch/FBGEMM, TFLite weights, ggml.
    Multiply(f32),
}

/// Integer grid of one granule: how values are scaled and rounded, the zero point, the
/// saturation bounds, and the scale dequantization multiplies by (the stored scale, which for
/// ggml is the float16-rounded one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantizer {
    /// `x̂ = f32(q - zero_point) · scale`.
    pub scale: f32,
    pub zero_point: i32,
    pub qmin: i32,
    pub qmax: i32,
    pub step: Step,
    pub rounding: Rounding,
}

impl Quantizer {
    /// ONNX QuantizeLinear / DequantizeLinear: divide by `scale`, ties to even.
    pub const fn onnx(scale: f32, zero_point: i32, qmin: i32, qmax: i32) -> Quantizer {
        Quantizer {
            scale,
            zero_point,
            qmin,
            qmax,
            step: Step::Divide(scale),
            rounding: Rounding::HalfEven,
        }
    }
}

/// Finite minimum and maximum of a slice and how many values were not finite.
/// An all-non-finite (or empty) slice gives `min = +inf`, `max = -inf`. Zeros come out as `+0.0`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MinMax {
    pub min: f32,
    pub max: f32,
    pub nonfinite: usize,
}

impl MinMax {
    pub const EMPTY: MinMax = MinMax {
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        nonfinite: 0,
    };

    /// True when at least one finite value was seen.
    pub fn has_finite(&self) -> bool {
        self.min <= self.max
    }

    /// Combines the results of two slices.
    pub fn merge(self, other: MinMax) -> MinMax {
        MinMax {
            min: if other.min < self.min {
                other.min
            } else {
                self.min
            },
            max: if other.max > self.max {
                other.max
            } else {
                self.max
            },
            nonfinite: self.nonfinite + other.nonfinite,
        }
    }
}

/// Error of quantizing then dequantizing a slice, over its finite values.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ErrorSums {
    /// `Σ (x - x̂)²` in float64.
    pub sum_sq_err: f64,
    /// `Σ x²` in float64 (for SQNR).
    pub sum_sq_x: f64,
    /// `Σ x̂²` in float64 (for the cosine similarity), of the float32 x̂ the error is measured on.
    pub sum_sq_xhat: f64,
    /// `max |x - x̂|`.
    pub max_abs_err: f64,
    /// Number of finite values the sums cover.
    pub count: usize,
}

impl ErrorSums {
    pub fn merge(self, o: ErrorSums) -> ErrorSums {
        ErrorSums {
            sum_sq_err: self.sum_sq_err + o.sum_sq_err,
            sum_sq_x: self.sum_sq_x + o.sum_sq_x,
            sum_sq_xhat: self.sum_sq_xhat + o.sum_sq_xhat,
            max_abs_err: if o.max_abs_err > self.max_abs_err {
                o.max_abs_err
            } else {
                self.max_abs_err
            },
            count: self.count + o.count,
        }
    }
}

macro_rules! dispatch {
    ($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[inline]
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            {
                simd128::$name($($arg),*)
            }
            #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
            {
                scalar::$name($($arg),*)
            }
        }
    };
}

dispatch!(min_max_finite(x: &[f32]) -> MinMax);
dispatch!(quantize(x: &[f32], qz: &Quantizer, out: &mut [i32]) -> ());
dispatch!(dequantize(q: &[i32], qz: &Quantizer, out: &mut [f32]) -> ());
dispatch!(quant_error(x: &[f32], qz: &Quantizer) -> ErrorSums);
dispatch!(quant_error_codes(x: &[f32], qz: &Quantizer, codes: &mut [i32]) -> ErrorSums);
dispatch!(quant_error_marks(x: &[f32], qz: &Quantizer, lo: i32, marks: &mut [u8]) -> ErrorSums);
