//! Jupyter `.ipynb` → percent format: any bytes give a notebook that
//! parses, or a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rhai) = anml::notebook::ipynb::from_ipynb(&text) {
        assert!(anml::notebook::parse(&rhai).is_ok());
        let _ = anml::notebook::ipynb::to_ipynb(&rhai);
    }
});
