//! Unit tests of the iNNE detector as a whole (params have their own next to
//! the code): a hand-computed case, refusals, thread independence,
//! save/load and corrupt models.

use super::*;
use crate::detectors::Model;
use crate::detectors::isolation_forest::MaxSamples;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, data, detector,
};
use ndarray::array;
use serde_json::json;

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
    let e = detector("inne", json!({}))
        .fit(array![[1.0]].view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("at least 2"), "{e}");
    let e = detector("inne", json!({"max_samples": 0.01}))
        .fit(data(50, 2, 1).view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    // Two rows are enough.
    let f = detector("inne", json!({}))
        .fit(array![[0.0], [1.0]].view())
        .unwrap();
    assert!(f.score_samples(array![[0.5]].view()).unwrap()[0].is_finite());
}

#[test]
fn samples_are_psi_distinct_rows() {
    let x = data(300, 3, 2);
    let fit = InneParams {
        n_estimators: 50,
        max_samples: MaxSamples::count(16),
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
fn save_load_gives_identical_scores() {
    let f = detector("inne", json!({"n_estimators": 20}))
        .fit(data(300, 4, 6).view())
        .unwrap();
    assert_save_load_identical(&f, &data(60, 4, 7));
    for (field, v) in [("radius", json!([1.0])), ("ratio", json!([]))] {
        assert_corrupt_refused(&f, field, |m| m["estimators"][0][field] = v);
    }
    assert_corrupt_refused(&f, "negative radius", |m| {
        m["estimators"][0]["radius"][0] = json!(-1.0)
    });
    assert_corrupt_refused(&f, "no estimators", |m| m["estimators"] = json!([]));
}

#[test]
fn scores_from_distances_are_the_cpu_scores() {
    // What the GPU path does, with the distances measured on the CPU: the
    // concatenated-centroid layout and the per-estimator offsets must give
    // score_samples' bits.
    use crate::detectors::distance::sq_dists_to_rows;
    let x = data(300, 7, 11);
    for n_estimators in [1, 5, 40] {
        // Eight centroids per estimator, drawn by a fixed stride.
        let indices: Vec<Vec<usize>> = (0..n_estimators)
            .map(|e| (0..8).map(|k| (e * 37 + k * 53 + 5) % x.nrows()).collect())
            .collect();
        let (model, _) = InneModel::from_indices(x.view(), &indices).unwrap();
        let centroids = model.centroid_rows();
        let total = model.centroid_count();
        assert_eq!(centroids.len(), total * 7);
        let mut dists = vec![0.0; x.nrows() * total];
        for (row, out) in x.rows().into_iter().zip(dists.chunks_mut(total)) {
            sq_dists_to_rows(row.as_slice().unwrap(), &centroids, 7, out);
        }
        let got = model.scores_from_sq_dists(&dists);
        let want = model.score_samples(x.view());
        let bits = |v: &[f64]| v.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&got),
            bits(want.as_slice().unwrap()),
            "{n_estimators} estimators"
        );
        // A shifted layout (one estimator's distances swapped with the
        // next's) changes the answer: the offsets matter.
        if n_estimators > 1 {
            let mut wrong = dists.clone();
            for row in wrong.chunks_mut(total) {
                row.rotate_left(1);
            }
            assert_ne!(
                bits(&model.scores_from_sq_dists(&wrong)),
                bits(want.as_slice().unwrap())
            );
        }
    }
}
