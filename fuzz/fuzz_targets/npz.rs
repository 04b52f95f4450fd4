//! `.npz` reader (zip + `.npy` members): no panic, bounded memory.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = anml::data::formats::npz::read(data, Path::new("fuzz.npz"));
});
