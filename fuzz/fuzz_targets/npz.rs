//! Arbitrary bytes as a .npz archive: every listed member opens or is refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use quantlens::formats::{self, npz};

fuzz_target!(|data: &[u8]| {
    if let Ok(members) = npz::members(data) {
        for m in members.iter().take(8) {
            let _ = npz::read_member(data, &m.name);
        }
    }
    let _ = formats::open(data, None);
});
