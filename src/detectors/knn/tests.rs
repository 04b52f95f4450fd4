//! Unit tests of the k-NN detectors as a whole (params have their own next
//! to the code; the neighbour search is tested in `neighbors.rs`).

use super::*;
use crate::detectors::{Detector, FittedDetector};
use ndarray::{Array1, Array2, array};
use serde_json::{Map, Value, json};

fn detector(name: &str, p: Value) -> Detector {
    let Value::Object(m) = p else {
        panic!("params must be an object")
    };
    Detector::new(name, &m).unwrap()
}

fn bits(a: &Array1<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

/// Deterministic spread-out data (a small LCG; no RNG crate needed).
fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
    Array2::from_shape_simple_fn((n, d), || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    })
}

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
fn identical_for_any_thread_count() {
    let x = data(1500, 6, 1);
    let q = data(400, 6, 2);
    for name in ["knn", "avg_knn", "med_knn"] {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let f = detector(name, json!({})).fit(x.view()).unwrap();
                (
                    f.score_samples(q.view()).unwrap(),
                    f.decision_threshold().to_bits(),
                )
            })
        };
        let (a, ta) = run(1);
        let (b, tb) = run(3);
        assert_eq!(bits(&a), bits(&b), "{name}");
        assert_eq!(ta, tb, "{name}");
    }
}

#[test]
fn save_load_gives_identical_scores() {
    let x = data(300, 4, 3);
    let q = data(50, 4, 4);
    for name in ["knn", "avg_knn", "med_knn"] {
        let f = detector(name, json!({"n_neighbors": 7, "contamination": 0.05}))
            .fit(x.view())
            .unwrap();
        let bytes = f.to_bytes().unwrap();
        let g = FittedDetector::from_bytes(&bytes).unwrap();
        assert_eq!(g.name(), name);
        assert_eq!(g.to_bytes().unwrap(), bytes);
        assert_eq!(
            bits(&f.score_samples(q.view()).unwrap()),
            bits(&g.score_samples(q.view()).unwrap())
        );
        assert_eq!(f.decision_threshold(), g.decision_threshold());
    }
}

#[test]
fn corrupt_saved_models_are_refused() {
    let x = data(20, 2, 5);
    let f = detector("knn", json!({})).fit(x.view()).unwrap();
    let good = f.to_value().unwrap();
    let mut bad = good.clone();
    bad["model"]["n_neighbors"] = json!(20);
    assert!(FittedDetector::from_value(bad).is_err());
    let mut bad = good.clone();
    bad["model"]["method"] = json!("mode");
    assert!(FittedDetector::from_value(bad).is_err());
    let mut bad = good;
    bad["model"]["extra"] = json!(1);
    assert!(FittedDetector::from_value(bad).is_err());
}
