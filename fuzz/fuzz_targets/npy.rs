//! The checked `.npy` reader: no panic, nothing allocated beyond the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = anml::data::formats::npy::read(data, Path::new("fuzz.npy"), "fuzz");
});
