//! Arbitrary values, shapes, axes and schemes through the analysis the page runs: an error or a
//! report in which every number a user can see is finite, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use quantlens::engine::analysis::{analyze, channel_view};
use quantlens::engine::{QuantSpec, Tensor};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, rest) = data.split_at(4);
    let values: Vec<f32> = rest.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let rank = usize::from(head[0] % 5);
    let spec = match head[1] % 4 {
        0 => QuantSpec::SYMMETRIC_INT8,
        1 => QuantSpec::ASYMMETRIC_UINT8,
        2 => QuantSpec { reduce_range: true, ..QuantSpec::SYMMETRIC_INT8 },
        _ => QuantSpec { symmetric: true, ..QuantSpec::ASYMMETRIC_UINT8 },
    };
    let axis = isize::from(head[2] as i8 % 6);
    // Leading dims from the header byte, the last one takes what is left.
    let mut shape: Vec<usize> = (0..rank.saturating_sub(1)).map(|i| usize::from((head[3] >> (2 * i)) & 3) + 1).collect();
    let lead: usize = shape.iter().product();
    if rank > 0 {
        shape.push(values.len() / lead);
    }
    let n: usize = shape.iter().product();
    if n > values.len() {
        return;
    }
    let Ok(t) = Tensor::new(shape, values[..n].to_vec()) else { return };
    let Ok(r) = analyze(&t, axis, spec) else { return };
    assert!(r.tensor_params.scale.is_finite() && r.tensor_params.scale > 0.0);
    for s in [&r.per_tensor, &r.per_channel] {
        assert!(s.msqe.is_finite() && s.max_abs_err.is_finite(), "{s:?}");
        assert!(s.sqnr_db.is_none_or(f64::is_finite));
    }
    for c in &r.channels {
        assert!(c.params.scale.is_finite() && c.params.scale > 0.0);
        assert!(c.chosen.0.is_finite() && c.chosen.1.is_finite());
    }
    assert!(r.histogram.lo < r.histogram.hi);
    if let Some(v) = channel_view(&t, &r, 0) {
        assert!(v.histogram.lo < v.histogram.hi);
    }
});
