//! Arbitrary bytes as a .npy file: a tensor or a refusal, never a panic; a loaded tensor is consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use quantlens::formats::{self, npy};

fuzz_target!(|data: &[u8]| {
    let _ = formats::precheck(&data[..data.len().min(65536)], data.len() as u64);
    if let Ok(loaded) = npy::read_npy(data) {
        let n: usize = loaded.tensor.shape().iter().product();
        assert_eq!(n, loaded.tensor.len());
        if let Ok(h) = npy::read_header(data) {
            assert_eq!(h.elements as usize, n);
        }
    }
});
