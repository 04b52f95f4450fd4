//! The percent-format notebook cell parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(cells) = anml::notebook::parse(&text) {
        for c in &cells {
            let _ = c.name();
        }
    }
});
