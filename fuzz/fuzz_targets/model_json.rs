//! A registry `model.json` of any detector: loaded, then (when it loads)
//! scored on a small matrix of its width, thresholded and re-saved, as
//! `anml registry` + a script's `score` would.
#![no_main]
use anml::detectors::FittedDetector;
use libfuzzer_sys::fuzz_target;
use ndarray::Array2;

fuzz_target!(|data: &[u8]| {
    let Ok(f) = FittedDetector::from_bytes(data) else {
        return;
    };
    let d = f.n_features();
    if (1..=32).contains(&d) {
        let x = Array2::from_shape_fn((4, d), |(i, j)| (i as f64 - 1.5) * (j as f64 + 0.5));
        let _ = f.score_samples(x.view());
        let _ = f.predict(x.view(), None);
    }
    let _ = f.to_bytes();
});
