//! Helpers shared by the detectors' unit tests (`src/detectors/*/tests.rs`):
//! building a detector from JSON parameters, comparing scores bit for bit or
//! to a relative tolerance, deterministic pseudo-random data, and the two
//! checks many detectors repeat with their own parameters (1 vs 3 rayon
//! threads, save → load).
//!
//! The generic versions of those checks, with default parameters, run over
//! every registered detector in `tests/detector_contract.rs`; a detector's
//! own test uses these helpers only where it adds something (non-default
//! parameters, more data, corrupt-model cases).

use crate::detectors::{Detector, FittedDetector};
use ndarray::{Array1, Array2};
use serde_json::Value;

/// The registered detector `name` with the parameters in the JSON object
/// `params` (panics on anything else or on a refused parameter).
pub fn detector(name: &str, params: Value) -> Detector {
    let Value::Object(m) = params else {
        panic!("params must be an object")
    };
    Detector::new(name, &m).unwrap()
}

/// The bit patterns of `a`, for exact (not merely `==`) comparisons.
pub fn bits(a: &Array1<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

/// Deterministic `n × d` data, uniform-looking in [-2, 2), from a small LCG
/// seeded by `seed` (no RNG crate involved, so the values never change with
/// a dependency's version; several tests depend on them exactly).
pub fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
    Array2::from_shape_simple_fn((n, d), || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    })
}

/// `|a − b| <= tol · max(1, |b|)`: relative to the expected value `b`,
/// absolute near zero.
pub fn close_within(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// [`close_within`] at 1e-12, for values computed two ways in double
/// precision.
pub fn close(a: f64, b: f64) -> bool {
    close_within(a, b, 1e-12)
}

/// Run `f` in a fresh rayon pool of `threads` threads (for tests that must
/// give the same bits for any thread count).
pub fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// Fit detector `name` with `params` on `x` and score `q`, once in a rayon
/// pool of 1 thread and once in one of 3: the scores and the decision
/// threshold must be bit-identical.
pub fn assert_thread_count_independent(
    name: &str,
    params: Value,
    x: &Array2<f64>,
    q: &Array2<f64>,
) {
    let run = |threads: usize| {
        in_pool(threads, || {
            let f = detector(name, params.clone()).fit(x.view()).unwrap();
            (
                bits(&f.score_samples(q.view()).unwrap()),
                f.decision_threshold().to_bits(),
            )
        })
    };
    let (a, ta) = run(1);
    let (b, tb) = run(3);
    assert_eq!(
        a, b,
        "{name} {params}: scores differ between 1 and 3 threads"
    );
    assert_eq!(ta, tb, "{name} {params}: threshold differs");
}

/// Save `f` to bytes and load it back: the bytes written again, the scores
/// of `q` and the decision threshold are bit-identical. Returns the loaded
/// copy, for further checks.
pub fn assert_save_load_identical(f: &FittedDetector, q: &Array2<f64>) -> FittedDetector {
    let bytes = f.to_bytes().unwrap();
    let g = FittedDetector::from_bytes(&bytes).unwrap();
    assert_eq!(g.to_bytes().unwrap(), bytes);
    assert_eq!(
        bits(&f.score_samples(q.view()).unwrap()),
        bits(&g.score_samples(q.view()).unwrap())
    );
    assert_eq!(
        f.decision_threshold().to_bits(),
        g.decision_threshold().to_bits()
    );
    g
}

/// The saved form of `f` with `edit` applied to its `"model"` object is
/// refused on load (`what` names the case in the failure message).
pub fn assert_corrupt_refused(f: &FittedDetector, what: &str, edit: impl FnOnce(&mut Value)) {
    let mut v = f.to_value().unwrap();
    edit(&mut v["model"]);
    assert!(
        FittedDetector::from_value(v).is_err(),
        "corrupt model accepted: {what}"
    );
}
