//! Unit tests of the LOF detector as a whole (params have their own next to
//! the code; the neighbour search is tested in `neighbors.rs`).

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, bits, close, data, detector,
};
use ndarray::array;
use serde_json::json;

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
    let big = detector("lof", json!({"n_neighbors": 50}))
        .fit(x.view())
        .unwrap();
    let five = detector("lof", json!({"n_neighbors": 5}))
        .fit(x.view())
        .unwrap();
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
    let e = detector("lof", json!({}))
        .fit(array![[1.0]].view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector("lof", json!({"n_neighbors": 10}))
        .fit(data(300, 4, 5).view())
        .unwrap();
    assert_save_load_identical(&f, &data(60, 4, 6));
    assert_corrupt_refused(&f, "lrd", |m| m["lrd"] = json!([1.0]));
    assert_corrupt_refused(&f, "n_neighbors", |m| m["n_neighbors"] = json!(0));
}
