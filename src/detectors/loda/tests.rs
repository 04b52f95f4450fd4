//! Unit tests of the LODA detector as a whole (params have their own next to
//! the code): a hand-computed case, the sparsity of the projections, thread
//! independence, save/load and corrupt models.

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, bits, close, data, detector,
};
use ndarray::array;
use serde_json::json;

#[test]
fn hand_computed_case() {
    // One column, projection weight 1, 3 bins over [0, 10]:
    // edges [0, 10/3, 20/3, 10]; counts [3, 0, 1] for 0, 1, 2, 10.
    let x = array![[0.0], [1.0], [2.0], [10.0]];
    let (model, train) =
        LodaModel::from_projections(array![[1.0]].view(), NBins::Number(3), x.view()).unwrap();
    let e = BIN_EPSILON;
    let total = 4.0 + 3.0 * e;
    let p = [(3.0 + e) / total, e / total, (1.0 + e) / total];
    let cut = &model.cuts()[0];
    assert_eq!(cut.limits, vec![0.0, 10.0 / 3.0, 20.0 / 3.0, 10.0]);
    for (a, b) in cut.histogram.iter().zip(p) {
        assert!(close(*a, b), "{a} vs {b}");
    }
    // PyOD's lookup: index = #{e_0, e_1} < v. 0 -> bin 0; 1 and 2 -> bin 1
    // (the empty one: PyOD's off-by-one); 10 -> bin 2.
    let want = [-p[0].ln(), -p[1].ln(), -p[1].ln(), -p[2].ln()];
    for (a, b) in train.iter().zip(want) {
        assert!(close(*a, b), "{a} vs {b}");
    }
    // Outside the training range: below -> bin 0, above -> last bin.
    let s = model.score_samples(array![[-5.0], [100.0], [5.0]].view());
    assert!(close(s[0], -p[0].ln()));
    assert!(close(s[1], -p[2].ln()));
    assert!(close(s[2], -p[2].ln()));
}

#[test]
fn scores_are_mean_neg_log_divided_by_cuts() {
    // Two identical projections: each contributes -(1/2) ln p, the sum is
    // divided by 2 again, as PyOD does.
    let x = array![[0.0], [1.0], [2.0], [10.0]];
    let (_, one) =
        LodaModel::from_projections(array![[1.0]].view(), NBins::Number(3), x.view()).unwrap();
    let (_, two) =
        LodaModel::from_projections(array![[1.0], [1.0]].view(), NBins::Number(3), x.view())
            .unwrap();
    for (a, b) in two.iter().zip(one.iter()) {
        assert!(close(*a, b / 2.0), "{a} vs {b}");
    }
}

#[test]
fn constant_projection_and_single_bin() {
    // A constant column: range [c - 0.5, c + 0.5]; all rows in one bin.
    let x = array![[2.0], [2.0], [2.0]];
    let (model, train) =
        LodaModel::from_projections(array![[1.0]].view(), NBins::Number(1), x.view()).unwrap();
    assert_eq!(model.cuts()[0].limits, vec![1.5, 2.5]);
    assert!(train.iter().all(|&v| v.abs() < 1e-11), "{train}");
}

#[test]
fn projections_keep_floor_sqrt_d_columns() {
    let x = data(200, 10, 1);
    let fit = LodaParams::default().fit(x.view()).unwrap();
    assert_eq!(fit.model.cuts().len(), 100);
    for c in fit.model.cuts() {
        assert_eq!(c.features.len(), 3);
        assert!(c.features.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(c.histogram.len(), 10);
        assert!((c.histogram.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    // Gaussian weights: mean about 0, variance about 1.
    let w: Vec<f64> = fit
        .model
        .cuts()
        .iter()
        .flat_map(|c| c.weights.clone())
        .collect();
    let m = w.iter().sum::<f64>() / w.len() as f64;
    let v = w.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / w.len() as f64;
    assert!(m.abs() < 0.2 && (v - 1.0).abs() < 0.25, "{m} {v}");
}

#[test]
fn auto_bins_fit_and_score() {
    let x = data(400, 4, 2);
    let fit = LodaParams {
        n_bins: NBins::AUTO,
        n_random_cuts: 20,
        seed: 1,
    }
    .fit(x.view())
    .unwrap();
    for c in fit.model.cuts() {
        assert!(
            (1..20).contains(&c.histogram.len()),
            "{}",
            c.histogram.len()
        );
    }
    assert!(fit.train_scores.iter().all(|v| v.is_finite()));
}

#[test]
fn seeds_change_the_projections() {
    let x = data(100, 4, 3);
    let a = detector("loda", json!({"seed": 1})).fit(x.view()).unwrap();
    let b = detector("loda", json!({"seed": 2})).fit(x.view()).unwrap();
    let c = detector("loda", json!({"seed": 1})).fit(x.view()).unwrap();
    let sa = a.score_samples(x.view()).unwrap();
    assert_ne!(bits(&sa), bits(&b.score_samples(x.view()).unwrap()));
    assert_eq!(bits(&sa), bits(&c.score_samples(x.view()).unwrap()));
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector("loda", json!({"n_random_cuts": 30}))
        .fit(data(300, 5, 6).view())
        .unwrap();
    assert_save_load_identical(&f, &data(60, 5, 7));
    for (path, v) in [
        ("histogram", json!([0.5])),
        ("features", json!([7])),
        (
            "limits",
            json!([3.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
        ),
        ("weights", json!([])),
    ] {
        assert_corrupt_refused(&f, path, |m| m["cuts"][0][path] = v);
    }
    assert_corrupt_refused(&f, "no cuts", |m| m["cuts"] = json!([]));
}
