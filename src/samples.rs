//! The bundled real weight tensors (assets/samples, provenance and licences in SAMPLES.md).
//! Generated from assets/samples/samples.json; `tests/samples.rs` checks that the two agree.

/// One bundled tensor: where it came from and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Stable id used in the page (and later in URLs): the file name without `.npy`.
    pub id: &'static str,
    pub file: &'static str,
    pub model: &'static str,
    pub layer: &'static str,
    pub kind: &'static str,
    pub shape: &'static [usize],
    pub license: &'static str,
}

/// The sample shown first: an EfficientNet-Lite0 depthwise conv, the textbook case for per-channel
/// (channel ranges differ 39× and one channel is all zero).
pub const DEFAULT_SAMPLE: &str = "efficientnet_lite0__blocks15_depthwise_conv";

pub const SAMPLES: &[Sample] = &[
    Sample {
        id: "efficientnet_lite0__blocks15_depthwise_conv",
        file: "efficientnet_lite0__blocks15_depthwise_conv.npy",
        model: "EfficientNet-Lite0",
        layer: "_blocks.15._depthwise_conv.weight",
        kind: "depthwise conv 3x3 (raw, BN not folded)",
        shape: &[1152, 1, 3, 3],
        license: "Apache-2.0",
    },
    Sample {
        id: "efficientnet_lite0__blocks7_depthwise_conv",
        file: "efficientnet_lite0__blocks7_depthwise_conv.npy",
        model: "EfficientNet-Lite0",
        layer: "_blocks.7._depthwise_conv.weight",
        kind: "depthwise conv 3x3 (raw, BN not folded)",
        shape: &[480, 1, 3, 3],
        license: "Apache-2.0",
    },
    Sample {
        id: "efficientnet_lite0__blocks7_depthwise_conv_bnfolded",
        file: "efficientnet_lite0__blocks7_depthwise_conv_bnfolded.npy",
        model: "EfficientNet-Lite0",
        layer: "_blocks.7._depthwise_conv.weight * _blocks.7._bn1.weight/sqrt(_blocks.7._bn1.running_var+1e-3)",
        kind: "depthwise conv 3x3, BatchNorm folded (DERIVED here, as a deployment converter would)",
        shape: &[480, 1, 3, 3],
        license: "Apache-2.0",
    },
    Sample {
        id: "ppocrv4_det__conv2d_412_depthwise",
        file: "ppocrv4_det__conv2d_412_depthwise.npy",
        model: "PP-OCRv4 text detection",
        layer: "conv2d_412.w_0",
        kind: "depthwise conv 5x5 (BN already folded by the exporter, as shipped)",
        shape: &[192, 1, 5, 5],
        license: "Apache-2.0",
    },
    Sample {
        id: "ppocrv4_det__conv2d_156_conv3x3",
        file: "ppocrv4_det__conv2d_156_conv3x3.npy",
        model: "PP-OCRv4 text detection",
        layer: "conv2d_156.w_0",
        kind: "regular conv 3x3 (96->24, neck)",
        shape: &[24, 96, 3, 3],
        license: "Apache-2.0",
    },
    Sample {
        id: "ppocrv4_rec__conv2d_180_pointwise",
        file: "ppocrv4_rec__conv2d_180_pointwise.npy",
        model: "PP-OCRv4 text recognition",
        layer: "conv2d_180.w_0",
        kind: "pointwise conv 1x1 (480->480) with outlier output channels",
        shape: &[480, 480, 1, 1],
        license: "Apache-2.0",
    },
    Sample {
        id: "all_minilm_l6_v2__layer0_attention_query",
        file: "all_minilm_l6_v2__layer0_attention_query.npy",
        model: "sentence-transformers/all-MiniLM-L6-v2",
        layer: "encoder.layer.0.attention.self.query.weight",
        kind: "transformer linear [out,in] (attention query)",
        shape: &[384, 384],
        license: "Apache-2.0 (model weights); wrapper package MIT",
    },
    Sample {
        id: "all_minilm_l6_v2__layer0_ffn_output",
        file: "all_minilm_l6_v2__layer0_ffn_output.npy",
        model: "sentence-transformers/all-MiniLM-L6-v2",
        layer: "encoder.layer.0.output.dense.weight",
        kind: "transformer FFN down-projection [out=384,in=1536]; outlier output channel",
        shape: &[384, 1536],
        license: "Apache-2.0 (model weights); wrapper package MIT",
    },
    Sample {
        id: "all_minilm_l6_v2__word_embeddings_rows0-1999",
        file: "all_minilm_l6_v2__word_embeddings_rows0-1999.npy",
        model: "sentence-transformers/all-MiniLM-L6-v2",
        layer: "embeddings.word_embeddings.weight[0:2000, :]",
        kind: "embedding matrix slice (rows = token ids 0..1999 of 30522; axis 0 = token)",
        shape: &[2000, 384],
        license: "Apache-2.0 (model weights); wrapper package MIT",
    },
    Sample {
        id: "silero_vad__conv1",
        file: "silero_vad__conv1.npy",
        model: "Silero VAD v6 16 kHz",
        layer: "conv1.weight",
        kind: "conv1d [Cout=128, Cin=129, k=3] with one outlier channel",
        shape: &[128, 129, 3],
        license: "MIT",
    },
];

/// The sample with this id.
pub fn find(id: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|s| s.id == id)
}
