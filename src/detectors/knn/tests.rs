//! Unit tests of the k-NN detectors as a whole (params have their own next
//! to the code; the neighbour search is tested in `neighbors.rs`).

use super::*;
use crate::detectors::Detector;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, data, detector,
};
use ndarray::array;
use serde_json::{Map, json};

#[test]
fn hand_computed_scores() {
    // Points on a line at 0, 1, 3, 6, 10.
    let x = array![[0.0], [1.0], [3.0], [6.0], [10.0]];
    let k2 = json!({"n_neighbors": 2});
    // Training neighbour distances (self left out):
    // 0: [1, 3]; 1: [1, 2]; 3: [2, 3]; 6: [3, 4]; 10: [4, 7].
    let fit = KnnParams { n_neighbors: 2 }.fit(x.view()).unwrap();
    assert_eq!(fit.train_scores, array![3.0, 2.0, 3.0, 4.0, 7.0]);
    let fit = AvgKnnParams { n_neighbors: 2 }.fit(x.view()).unwrap();
    assert_eq!(fit.train_scores, array![2.0, 1.5, 2.5, 3.5, 5.5]);
    // Even k: the median is the mean of the two middle values.
    let fit = MedKnnParams { n_neighbors: 2 }.fit(x.view()).unwrap();
    assert_eq!(fit.train_scores, array![2.0, 1.5, 2.5, 3.5, 5.5]);
    // Test points at 2 and 20: distances [1, 1, 2, ...] and [10, 14, ...].
    let q = array![[2.0], [20.0]];
    for (name, want) in [
        ("knn", array![1.0, 14.0]),
        ("avg_knn", array![1.0, 12.0]),
        ("med_knn", array![1.0, 12.0]),
    ] {
        let f = detector(name, k2.clone()).fit(x.view()).unwrap();
        assert_eq!(f.score_samples(q.view()).unwrap(), want, "{name}");
    }
    // Odd k = 3: median is the middle distance. Point 2: [1, 1, 2] -> 1;
    // point 20: [10, 14, 17] -> 14, mean 41 / 3, largest 17.
    let k3 = json!({"n_neighbors": 3});
    let med = detector("med_knn", k3.clone()).fit(x.view()).unwrap();
    assert_eq!(med.score_samples(q.view()).unwrap(), array![1.0, 14.0]);
    let avg = detector("avg_knn", k3.clone()).fit(x.view()).unwrap();
    assert_eq!(
        avg.score_samples(q.view()).unwrap(),
        array![4.0 / 3.0, 41.0 / 3.0]
    );
    let knn = detector("knn", k3).fit(x.view()).unwrap();
    assert_eq!(knn.score_samples(q.view()).unwrap(), array![2.0, 17.0]);
}

#[test]
fn training_scores_leave_self_out_but_keep_duplicates() {
    // Rows 0 and 1 coincide: each is the other's nearest neighbour at 0.
    let x = array![[0.0, 0.0], [0.0, 0.0], [3.0, 4.0], [6.0, 8.0]];
    let fit = KnnParams { n_neighbors: 1 }.fit(x.view()).unwrap();
    assert_eq!(fit.train_scores, array![0.0, 0.0, 5.0, 5.0]);
    let fit = KnnParams { n_neighbors: 2 }.fit(x.view()).unwrap();
    assert_eq!(fit.train_scores, array![5.0, 5.0, 5.0, 10.0]);
    // Three copies and k = 2: both neighbours are copies.
    let x = array![[1.0], [1.0], [1.0], [9.0]];
    let fit = AvgKnnParams { n_neighbors: 2 }.fit(x.view()).unwrap();
    assert_eq!(fit.train_scores, array![0.0, 0.0, 0.0, 8.0]);
}

#[test]
fn fit_needs_more_rows_than_neighbors() {
    let x = array![[0.0], [1.0], [2.0]];
    let e = detector("knn", json!({"n_neighbors": 3}))
        .fit(x.view())
        .unwrap_err();
    assert!(
        matches!(&e, DetectorError::BadParams { detector, .. } if detector == "knn"),
        "{e}"
    );
    assert!(e.to_string().contains("n_neighbors"), "{e}");
    assert!(
        detector("knn", json!({"n_neighbors": 2}))
            .fit(x.view())
            .is_ok()
    );
    let e = Detector::new(
        "avg_knn",
        &Map::from_iter([("n_neighbors".into(), json!(0))]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("n_neighbors"), "{e}");
}

#[test]
fn save_load_gives_identical_scores() {
    let x = data(300, 4, 3);
    let q = data(50, 4, 4);
    for name in ["knn", "avg_knn", "med_knn"] {
        let f = detector(name, json!({"n_neighbors": 7, "contamination": 0.05}))
            .fit(x.view())
            .unwrap();
        let g = assert_save_load_identical(&f, &q);
        assert_eq!(g.name(), name);
    }
}

#[test]
fn corrupt_saved_models_are_refused() {
    let f = detector("knn", json!({}))
        .fit(data(20, 2, 5).view())
        .unwrap();
    assert_corrupt_refused(&f, "n_neighbors", |m| m["n_neighbors"] = json!(20));
    assert_corrupt_refused(&f, "method", |m| m["method"] = json!("mode"));
    assert_corrupt_refused(&f, "extra", |m| m["extra"] = json!(1));
}
