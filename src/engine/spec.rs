//! What integer grid a scheme quantizes onto.

/// An integer quantization scheme: bit width, signedness and how the real range maps onto the grid.
///
/// The ranges follow ONNX Runtime's quantization tool (`get_qmin_qmax_for_qType`):
/// signed `[-2^(b-1), 2^(b-1)-1]`, narrow signed `[-(2^(b-1)-1), 2^(b-1)-1]`, unsigned `[0, 2^b-1]`;
/// `reduce_range` keeps one bit fewer: signed `[-2^(b-2), 2^(b-2)]`, unsigned `[0, 2^(b-1)-1]`
/// (ONNX Runtime's convention; PyTorch's signed reduce range is `[-2^(b-2), 2^(b-2)-1]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantSpec {
    /// Bits of the stored integer (2..=16).
    pub bits: u32,
    /// Signed (int8) or unsigned (uint8) storage.
    pub signed: bool,
    /// Symmetric: the range is `[-max|x|, +max|x|]` and the zero point is the grid's centre.
    pub symmetric: bool,
    /// Narrow signed grid, without the most negative code (`[-127, 127]` for int8).
    pub narrow: bool,
    /// ONNX Runtime's reduce_range: one bit fewer, for kernels that would overflow otherwise.
    pub reduce_range: bool,
}

impl QuantSpec {
    /// Symmetric int8 on the narrow grid `[-127, 127]`: `scale = max|x| / 127`, zero point 0.
    /// The weight convention of ONNX Runtime, TFLite and TensorRT.
    pub const SYMMETRIC_INT8: QuantSpec = QuantSpec {
        bits: 8,
        signed: true,
        symmetric: true,
        narrow: true,
        reduce_range: false,
    };

    /// Asymmetric (affine) uint8 on `[0, 255]`: `scale = (max - min) / 255` over a range widened to
    /// contain 0, `zero_point = round(-min / scale)`. ONNX Runtime's default uint8 activations.
    pub const ASYMMETRIC_UINT8: QuantSpec = QuantSpec {
        bits: 8,
        signed: false,
        symmetric: false,
        narrow: false,
        reduce_range: false,
    };

    /// The grid the real range is mapped onto when choosing scale and zero point.
    pub fn quantizer_range(&self) -> (i32, i32) {
        let b = self.bits.clamp(2, 16);
        match (self.signed, self.reduce_range) {
            (true, true) => (-(1 << (b - 2)), 1 << (b - 2)),
            (false, true) => (0, (1 << (b - 1)) - 1),
            (true, false) if self.narrow => (-((1 << (b - 1)) - 1), (1 << (b - 1)) - 1),
            (true, false) => (-(1 << (b - 1)), (1 << (b - 1)) - 1),
            (false, false) => (0, (1 << b) - 1),
        }
    }

    /// The saturation bounds of the stored integer type (what QuantizeLinear clamps to).
    pub fn type_range(&self) -> (i32, i32) {
        let b = self.bits.clamp(2, 16);
        if self.signed {
            (-(1 << (b - 1)), (1 << (b - 1)) - 1)
        } else {
            (0, (1 << b) - 1)
        }
    }

    /// Short name as shown on screen, e.g. "symmetric int8 [-127, 127]".
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
            self.bits
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_follow_onnx_runtime() {
        assert_eq!(QuantSpec::SYMMETRIC_INT8.quantizer_range(), (-127, 127));
        assert_eq!(QuantSpec::SYMMETRIC_INT8.type_range(), (-128, 127));
        assert_eq!(QuantSpec::ASYMMETRIC_UINT8.quantizer_range(), (0, 255));
        let rr = QuantSpec {
            reduce_range: true,
            ..QuantSpec::SYMMETRIC_INT8
        };
        assert_eq!(rr.quantizer_range(), (-64, 64));
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
        assert_eq!(
            QuantSpec::SYMMETRIC_INT8.label(),
            "symmetric int8 [-127, 127]"
        );
    }
}
