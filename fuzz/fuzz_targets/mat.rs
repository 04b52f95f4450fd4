//! MAT-file reader: any bytes → Ok or a typed error, no panic, bounded memory.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = anml::data::formats::mat::read(data, Path::new("fuzz.mat"));
});
