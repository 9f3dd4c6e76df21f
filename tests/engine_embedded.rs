//! The whole engine on real data embedded in the test binary, so the same test runs natively and
//! as the SIMD128 wasm build under Node: a real depthwise weight quantized exactly as onnxruntime's
//! quantizer did (bit-exact codes), and every bundled sample's MSQE against the float64 reference.

use quantlens::engine::quantize::{dequantize_tensor, quantize_tensor};
use quantlens::engine::{analyze, QuantSpec};
use quantlens::formats::npy::read_npy;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test;

const CASE: &str = "ort_quantizer_per_channel_int8_sym_efficientnet_lite0_blocks15_dw";

macro_rules! case_file {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/conformance/ort_quantizer_per_channel_int8_sym_efficientnet_lite0_blocks15_dw/",
            $name
        ))
    };
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn real_depthwise_weight_matches_onnxruntime_bit_for_bit() {
    let input = read_npy(case_file!("input.npy")).unwrap().tensor;
    let want_scale = read_npy(case_file!("expected_scale.npy")).unwrap().tensor;
    let want_codes = read_npy(case_file!("expected_quantized.npy"))
        .unwrap()
        .tensor;
    let want_deq = read_npy(case_file!("expected_dequantized.npy"))
        .unwrap()
        .tensor;
    let r = analyze(&input, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
    for (c, (s, w)) in r.channels.iter().zip(want_scale.data()).enumerate() {
        assert_eq!(
            s.params.scale.to_bits(),
            w.to_bits(),
            "{CASE}: channel {c} scale"
        );
        assert_eq!(s.params.zero_point, 0);
    }
    assert!(r.channels[494].is_all_zero() && r.channels[494].params.scale == 1.0);
    let grids = r.per_channel_grids();
    let codes = quantize_tensor(&input, &grids).unwrap();
    let want: Vec<i32> = want_codes.data().iter().map(|&v| v as i32).collect();
    assert_eq!(codes, want, "{CASE}: codes");
    let deq = dequantize_tensor(input.shape(), &codes, &grids).unwrap();
    assert!(
        deq.iter()
            .zip(want_deq.data())
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "{CASE}: dequantized"
    );
}

macro_rules! sample {
    ($file:literal) => {
        (
            $file,
            &include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/samples/",
                $file
            ))[..],
        )
    };
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn every_sample_msqe_matches_the_reference_in_this_build() {
    let refs: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/samples/samples.json"
    )))
    .unwrap();
    let files = [
        sample!("efficientnet_lite0__blocks15_depthwise_conv.npy"),
        sample!("efficientnet_lite0__blocks7_depthwise_conv.npy"),
        sample!("efficientnet_lite0__blocks7_depthwise_conv_bnfolded.npy"),
        sample!("ppocrv4_det__conv2d_412_depthwise.npy"),
        sample!("ppocrv4_det__conv2d_156_conv3x3.npy"),
        sample!("ppocrv4_rec__conv2d_180_pointwise.npy"),
        sample!("all_minilm_l6_v2__layer0_attention_query.npy"),
        sample!("all_minilm_l6_v2__layer0_ffn_output.npy"),
        sample!("all_minilm_l6_v2__word_embeddings_rows0-1999.npy"),
        sample!("silero_vad__conv1.npy"),
    ];
    for (file, bytes) in files {
        let r = refs
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["file"] == file)
            .unwrap();
        let t = read_npy(bytes).unwrap().tensor;
        let rep = analyze(&t, 0, QuantSpec::SYMMETRIC_INT8).unwrap();
        for (got, key) in [
            (rep.per_tensor.msqe, "msqe_per_tensor"),
            (rep.per_channel.msqe, "msqe_per_channel"),
        ] {
            let want = r[key].as_f64().unwrap();
            assert!(
                ((got - want) / want).abs() < 1e-6,
                "{file} {key}: {got} vs {want}"
            );
        }
    }
}
