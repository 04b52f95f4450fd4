//! Unit tests of the LOF detector as a whole (params have their own next to
//! the code; the neighbour search is tested in `neighbors.rs`).

use super::*;
use crate::detectors::{Detector, FittedDetector, Model};
use ndarray::{Array1, Array2, array};
use serde_json::{Value, json};

fn detector(p: Value) -> Detector {
    let Value::Object(m) = p else {
        panic!("params must be an object")
    };
    Detector::new("lof", &m).unwrap()
}

fn bits(a: &Array1<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
    Array2::from_shape_simple_fn((n, d), || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn hand_computed_case() {
    // Points 0, 1, 3 on a line, k = 1.
    // Neighbours (self out): 0 -> 1 (d 1), 1 -> 0 (d 1), 3 -> 1 (d 2).
    // k_distance = [1, 1, 2].
    // lrd(0) = 1 / (max(1, kd(1) = 1) + 1e-10); lrd(1) likewise;
    // lrd(3) = 1 / (max(2, kd(1) = 1) + 1e-10) = 1 / (2 + 1e-10).
    let x = array![[0.0], [1.0], [3.0]];
    let fit = LofParams { n_neighbors: 1 }.fit(x.view()).unwrap();
    let l1 = 1.0 / (1.0 + LRD_EPSILON);
    let l3 = 1.0 / (2.0 + LRD_EPSILON);
    assert!(close(fit.train_scores[0], 1.0));
    assert!(close(fit.train_scores[1], 1.0));
    assert!(close(fit.train_scores[2], l1 / l3));
    assert_eq!(fit.model.k_distance().to_vec(), vec![1.0, 1.0, 2.0]);
    // Query at 5: neighbour 3 (d 2, kd 2) -> lrd 1 / (2 + 1e-10) -> LOF 1.
    // Query at 0.5: neighbour 0 (d 0.5, kd 1) -> reach 1 -> LOF 1.
    // Query at 9: neighbour 3 (d 6) -> LOF (1/(2+e)) / (1/(6+e)).
    let q = array![[5.0], [0.5], [9.0]];
    let s = fit.model.score_samples(q.view());
    assert!(close(s[0], 1.0));
    assert!(close(s[1], 1.0));
    assert!(close(s[2], (6.0 + LRD_EPSILON) / (2.0 + LRD_EPSILON)));
}

#[test]
fn duplicates_give_finite_large_factors() {
    // Three copies with k = 2: reach distances 0, lrd = 1e10; the outlier's
    // lrd is small, so a copy's LOF is ~1 and the outlier's huge but finite.
    let x = array![[1.0], [1.0], [1.0], [4.0]];
    let fit = LofParams { n_neighbors: 2 }.fit(x.view()).unwrap();
    let s = &fit.train_scores;
    assert!(s.iter().all(|v| v.is_finite()));
    assert!(
        close(s[0], 1.0) && close(s[1], 1.0) && close(s[2], 1.0),
        "{s}"
    );
    assert!(close(fit.model.lrd()[0], 1e10));
    // Outlier: neighbours two copies at 3 (kd 0) -> lrd 1/(3 + 1e-10).
    assert!(close(s[3], 1e10 * (3.0 + LRD_EPSILON)), "{s}");
}

#[test]
fn n_neighbors_is_clipped_to_n_minus_one() {
    let x = data(6, 2, 1);
    let big = detector(json!({"n_neighbors": 50})).fit(x.view()).unwrap();
    let five = detector(json!({"n_neighbors": 5})).fit(x.view()).unwrap();
    let q = data(4, 2, 2);
    assert_eq!(
        bits(&big.score_samples(q.view()).unwrap()),
        bits(&five.score_samples(q.view()).unwrap())
    );
    let fit = LofParams { n_neighbors: 50 }.fit(x.view()).unwrap();
    assert_eq!(fit.model.n_neighbors(), 5);
    // Two rows: one neighbour each. One row: refused, as scikit-learn does.
    let two = array![[0.0], [2.0]];
    let fit = LofParams::default().fit(two.view()).unwrap();
    assert_eq!(fit.model.n_neighbors(), 1);
    assert!(fit.train_scores.iter().all(|&v| close(v, 1.0)));
    let e = detector(json!({})).fit(array![[1.0]].view()).unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
}

#[test]
fn identical_for_any_thread_count() {
    let x = data(1200, 5, 3);
    let q = data(300, 5, 4);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let f = detector(json!({})).fit(x.view()).unwrap();
            (
                f.score_samples(q.view()).unwrap(),
                f.decision_threshold().to_bits(),
            )
        })
    };
    let (a, ta) = run(1);
    let (b, tb) = run(3);
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(ta, tb);
}

#[test]
fn save_load_gives_identical_scores() {
    let x = data(300, 4, 5);
    let q = data(60, 4, 6);
    let f = detector(json!({"n_neighbors": 10})).fit(x.view()).unwrap();
    let bytes = f.to_bytes().unwrap();
    let g = FittedDetector::from_bytes(&bytes).unwrap();
    assert_eq!(g.to_bytes().unwrap(), bytes);
    assert_eq!(
        bits(&f.score_samples(q.view()).unwrap()),
        bits(&g.score_samples(q.view()).unwrap())
    );
    let good = f.to_value().unwrap();
    let mut bad = good.clone();
    bad["model"]["lrd"] = json!([1.0]);
    assert!(FittedDetector::from_value(bad).is_err());
    let mut bad = good;
    bad["model"]["n_neighbors"] = json!(0);
    assert!(FittedDetector::from_value(bad).is_err());
}
