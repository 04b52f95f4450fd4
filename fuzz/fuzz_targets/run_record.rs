//! A run-store record (tabular, time-series or failed run) and a sweep
//! manifest, as `results merge` and a resumed sweep read them.
#![no_main]
use anml::bench::{Manifest, is_run_id};
use anml::results::StoredRun;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(rec) = StoredRun::from_json(text) {
            let _ = rec.run_id();
            let _ = rec.sort_key();
            let _ = rec.to_json();
            let _ = anml::bench::deterministic_json(&rec);
        }
    }
    if let Ok(m) = serde_json::from_slice::<Manifest>(data) {
        for e in &m.grid {
            let _ = is_run_id(&e.run_id);
        }
    }
});
