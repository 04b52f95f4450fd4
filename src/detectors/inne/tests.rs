//! Unit tests of the iNNE detector as a whole (params have their own next to
//! the code): a hand-computed case, refusals, thread independence,
//! save/load and corrupt models.

use super::*;
use crate::detectors::{Detector, FittedDetector, Model};
use ndarray::{Array1, Array2, array};
use serde_json::{Value, json};

fn detector(p: Value) -> Detector {
    let Value::Object(m) = p else {
        panic!("params must be an object")
    };
    Detector::new("inne", &m).unwrap()
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

#[test]
fn hand_computed_case() {
    // Centroids 0, 1, 3 (rows 0, 1, 2). Squared distances: 0-1 = 1, 0-3 = 9,
    // 1-3 = 4. Radii (squared): 1 (nn 1), 1 (nn 0), 4 (nn 1).
    // Ratios: 0, 0, 1 - (1 + e) / (4 + e).
    let x = array![[0.0], [1.0], [3.0], [10.0]];
    let (model, train) = InneModel::from_indices(x.view(), &[vec![0, 1, 2]]).unwrap();
    let e = RATIO_EPSILON;
    let r2 = 1.0 - (1.0 + e) / (4.0 + e);
    let h = &model.estimators()[0];
    assert_eq!(h.radius, vec![1.0, 1.0, 4.0]);
    assert_eq!(h.ratio, vec![0.0, 0.0, r2]);
    // 0 and 1: inside the radius-1 spheres; 3: only its own; 10: none -> 1.
    assert_eq!(train.to_vec(), vec![0.0, 0.0, r2, 1.0]);
    // 2 lies on the boundary of 1's sphere (covered: <=); 4.5 in 3's only;
    // -1 on the boundary of 0's.
    let s = model.score_samples(array![[2.0], [4.5], [-1.0], [-1.5]].view());
    assert_eq!(s.to_vec(), vec![0.0, r2, 0.0, 1.0]);
    // Two estimators: the mean.
    let (_, two) = InneModel::from_indices(x.view(), &[vec![0, 1, 2], vec![2, 3]]).unwrap();
    // Second set: 3 and 10, both radius 49, ratio 0; 0 and 1 lie inside 3's
    // sphere (9 <= 49, 4 <= 49); everything is covered.
    assert_eq!(two.to_vec(), vec![0.0, 0.0, r2 / 2.0, 0.5]);
}

#[test]
fn duplicate_centroids_have_ratio_zero() {
    let x = array![[1.0, 1.0], [1.0, 1.0], [5.0, 5.0]];
    let (model, train) = InneModel::from_indices(x.view(), &[vec![0, 1, 2]]).unwrap();
    let h = &model.estimators()[0];
    assert_eq!(h.radius[..2], [0.0, 0.0]);
    assert_eq!(h.ratio[..2], [0.0, 0.0]);
    assert_eq!(train[0], 0.0);
    assert!(train.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn psi_below_two_is_refused() {
    let e = detector(json!({})).fit(array![[1.0]].view()).unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("at least 2"), "{e}");
    let e = detector(json!({"max_samples": 0.01}))
        .fit(data(50, 2, 1).view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    // Two rows are enough.
    let f = detector(json!({}))
        .fit(array![[0.0], [1.0]].view())
        .unwrap();
    assert!(f.score_samples(array![[0.5]].view()).unwrap()[0].is_finite());
}

#[test]
fn samples_are_psi_distinct_rows() {
    let x = data(300, 3, 2);
    let fit = InneParams {
        n_estimators: 50,
        max_samples: InneSamples::Count(16),
        seed: 3,
    }
    .fit(x.view())
    .unwrap();
    for h in fit.model.estimators() {
        assert_eq!(h.centroids.nrows(), 16);
        // Distinct rows of random data: all radii positive.
        assert!(h.radius.iter().all(|&r| r > 0.0));
        assert!(h.ratio.iter().all(|&r| (0.0..1.0).contains(&r)));
    }
    assert!(fit.train_scores.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn identical_for_any_thread_count() {
    let x = data(1500, 5, 4);
    let q = data(700, 5, 5);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let f = detector(json!({"seed": 11})).fit(x.view()).unwrap();
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
    let x = data(300, 4, 6);
    let q = data(60, 4, 7);
    let f = detector(json!({"n_estimators": 20})).fit(x.view()).unwrap();
    let bytes = f.to_bytes().unwrap();
    let g = FittedDetector::from_bytes(&bytes).unwrap();
    assert_eq!(g.to_bytes().unwrap(), bytes);
    assert_eq!(
        bits(&f.score_samples(q.view()).unwrap()),
        bits(&g.score_samples(q.view()).unwrap())
    );
    let good = f.to_value().unwrap();
    for (field, v) in [("radius", json!([1.0])), ("ratio", json!([]))] {
        let mut bad = good.clone();
        bad["model"]["estimators"][0][field] = v;
        assert!(FittedDetector::from_value(bad).is_err(), "{field}");
    }
    let mut bad = good.clone();
    bad["model"]["estimators"][0]["radius"][0] = json!(-1.0);
    assert!(FittedDetector::from_value(bad).is_err());
    let mut bad = good;
    bad["model"]["estimators"] = json!([]);
    assert!(FittedDetector::from_value(bad).is_err());
}
