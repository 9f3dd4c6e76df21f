//! Arbitrary bytes as a .safetensors file: every listed tensor opens or is refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use quantlens::formats::safetensors;

fuzz_target!(|data: &[u8]| {
    if let Ok(members) = safetensors::members(data) {
        for m in members.iter().take(8) {
            if let Ok(l) = safetensors::read_member(data, &m.name) {
                assert_eq!(l.tensor.shape(), &m.shape[..]);
            }
        }
    }
});
