//! NAB's label-window JSON, then labelling rows with the windows (the
//! timestamps are the input's lines, so odd strings reach the comparison).
#![no_main]
use anml::data::formats::series::{parse_nab_windows, window_labels};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(w) = parse_nab_windows(data, Path::new("windows.json")) {
        let stamps: Vec<String> = String::from_utf8_lossy(data)
            .lines()
            .take(64)
            .map(str::to_string)
            .collect();
        for spans in w.values() {
            let _ = window_labels(&stamps, spans);
        }
    }
});
