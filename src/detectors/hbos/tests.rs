//! Unit tests of `hbos`: `np.histogram`'s edges and counts, a hand-computed
//! case (checked against PyOD 3.6.7), the `tol` rule outside the training
//! range, constant columns, `n_bins = "auto"`, row independence and the
//! save/load round trip.

use super::*;
use crate::detectors::test_support::{assert_save_load_identical, detector};
use ndarray::{Array2, array};
use serde_json::json;

fn train() -> Array2<f64> {
    array![
        [0.0, 5.0],
        [1.0, 5.0],
        [2.0, 5.0],
        [2.0, 5.0],
        [3.0, 5.0],
        [10.0, 5.0]
    ]
}

fn test_rows() -> Array2<f64> {
    array![
        [-1.0, 5.0],
        [-2.0, 5.0],
        [11.5, 5.6],
        [13.0, 5.0],
        [4.0, 4.4],
        [5.0, 5.0]
    ]
}

fn three_bins() -> HbosParams {
    HbosParams {
        n_bins: NBins::Number(3),
        ..HbosParams::default()
    }
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}

#[test]
fn histogram_matches_numpy() {
    // np.histogram([0, 1, 2, 2, 3, 10], bins=3)
    let (counts, edges) = histogram(array![0.0, 1.0, 2.0, 2.0, 3.0, 10.0].view(), 3);
    assert_eq!(counts, vec![5, 0, 1]);
    assert_eq!(
        edges,
        vec![0.0, 3.3333333333333335, 6.666666666666667, 10.0]
    );
    // A value on an inner edge is counted in the bin to its right; the
    // maximum in the last bin.
    let (counts, _) = histogram(array![0.0, 1.0, 2.0, 4.0].view(), 4);
    assert_eq!(counts, vec![1, 1, 1, 1]);
    // A constant column spans [c - 0.5, c + 0.5].
    let (counts, edges) = histogram(array![5.0, 5.0].view(), 3);
    assert_eq!(counts, vec![0, 2, 0]);
    assert_eq!(edges, vec![4.5, 4.833333333333333, 5.166666666666667, 5.5]);
}

#[test]
fn hand_computed_case_matches_pyod() {
    let fit = three_bins().fit(train().view()).unwrap();
    let f0 = &fit.model.features()[0];
    assert_close(f0.density(), &[0.25, 0.0, 0.05], 1e-15);
    let f1 = &fit.model.features()[1];
    assert_close(f1.density(), &[0.0, 3.0, 0.0], 1e-14);
    // Row 0: -(log2(0.25 + 0.1) + log2(3 + 0.1)).
    let row0 = -((0.35f64).log2() + (3.1f64).log2());
    assert!((fit.train_scores[0] - row0).abs() < 1e-12);
    // PyOD HBOS(n_bins=3).fit(X).decision_scores_ / .decision_function(T)
    let pyod_train = [
        -0.11769504,
        -0.11769504,
        -0.11769504,
        -0.11769504,
        -0.11769504,
        1.10469738,
    ];
    assert_close(fit.train_scores.as_slice().unwrap(), &pyod_train, 1e-7);
    let pyod_test = [
        -0.11769504,
        1.68965988,
        6.05889369,
        1.68965988,
        6.64385619,
        1.68965988,
    ];
    let s = fit.model.score_samples(test_rows().view());
    assert_close(s.as_slice().unwrap(), &pyod_test, 1e-7);
}

#[test]
fn tol_rule_outside_the_training_range() {
    let fit = three_bins().fit(train().view()).unwrap();
    let width = 10.0 / 3.0;
    let ld0 = (0.25f64 + 0.1).log2();
    let ld_min = (0.0f64 + 0.1).log2();
    let ld_last = (0.05f64 + 0.1).log2();
    let c1 = (3.1f64).log2();
    let score = |v: f64| fit.model.score_samples(array![[v, 5.0]].view())[0];
    // Within tol · width below the first edge: the first bin.
    assert!((score(-0.5 * width) + ld0 + c1).abs() < 1e-12);
    // Beyond it: the least dense bin.
    assert!((score(-0.5 * width - 1e-9) + ld_min + c1).abs() < 1e-12);
    assert!((score(-1e300) + ld_min + c1).abs() < 1e-12);
    // Above the last edge likewise.
    assert!((score(10.0 + 0.5 * width) + ld_last + c1).abs() < 1e-12);
    assert!((score(1e300) + ld_min + c1).abs() < 1e-12);
}

#[test]
fn auto_bins_match_pyod() {
    let p = HbosParams {
        n_bins: NBins::AUTO,
        ..HbosParams::default()
    };
    let fit = p.fit(train().view()).unwrap();
    // With n = 6 only b = 1 is a candidate (upper bound max(2, floor(sqrt 6)) = 2).
    assert!(fit.model.features().iter().all(|f| f.density().len() == 1));
    let pyod = 2.18442457;
    assert!(fit.train_scores.iter().all(|s| (s - pyod).abs() < 1e-7));
    let s = fit.model.score_samples(test_rows().view());
    assert!(s.iter().all(|s| (s - pyod).abs() < 1e-7));
    // Bimodal data with n = 100: more than one bin wins.
    let col: Vec<f64> = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                i as f64 / 100.0
            } else {
                50.0 + i as f64 / 100.0
            }
        })
        .collect();
    let b = optimal_n_bins(ndarray::Array1::from(col).view());
    assert!(b > 1, "{b}");
}

#[test]
fn constant_columns_are_fine() {
    let x = Array2::from_elem((5, 3), -2.0);
    let fit = HbosParams::default().fit(x.view()).unwrap();
    assert!(fit.train_scores.iter().all(|s| s.is_finite()));
    assert!(fit.train_scores.iter().all(|&s| s == fit.train_scores[0]));
}

#[test]
fn unusably_narrow_range_is_an_error_not_a_nan() {
    // Two values one ulp apart cannot hold 10 bins of positive width.
    let a = 1.0f64;
    let b = f64::from_bits(a.to_bits() + 1);
    let x = array![[a], [b]];
    match HbosParams::default().fit(x.view()) {
        Ok(fit) => assert!(fit.train_scores.iter().all(|s| s.is_finite())),
        Err(e) => assert!(e.to_string().contains("narrow"), "{e}"),
    }
    // A range too wide for f64.
    let x = array![[-1e308], [1e308]];
    let Err(e) = HbosParams::default().fit(x.view()) else {
        panic!("a range of 2e308 must be refused");
    };
    assert!(e.to_string().contains("too wide"), "{e}");
}

#[test]
fn a_row_scores_the_same_alone_and_in_a_batch() {
    let fit = HbosParams::default().fit(train().view()).unwrap();
    let batch = test_rows();
    let all = fit.model.score_samples(batch.view());
    for (i, row) in batch.rows().into_iter().enumerate() {
        let alone = fit.model.score_samples(row.insert_axis(ndarray::Axis(0)));
        assert_eq!(alone[0], all[i]);
    }
}

#[test]
fn save_load_round_trip_gives_identical_scores() {
    for params in [json!({}), json!({"n_bins": "auto", "alpha": 0.2})] {
        let f = detector("hbos", params).fit(train().view()).unwrap();
        assert_save_load_identical(&f, &test_rows());
    }
}

#[test]
fn corrupt_saved_models_are_refused() {
    let bad = [
        json!({"alpha": 0.1, "tol": 0.5, "features": [{"edges": [0.0], "density": [1.0]}]}),
        json!({"alpha": 0.1, "tol": 0.5, "features": [{"edges": [1.0, 0.0], "density": [1.0]}]}),
        json!({"alpha": 0.1, "tol": 0.5, "features": [{"edges": [0.0, 1.0], "density": [-1.0]}]}),
        json!({"alpha": 1.5, "tol": 0.5, "features": []}),
    ];
    for v in bad {
        assert!(
            serde_json::from_value::<HbosModel>(v.clone()).is_err(),
            "{v}"
        );
    }
    let ok =
        json!({"alpha": 0.1, "tol": 0.5, "features": [{"edges": [0.0, 1.0], "density": [1.0]}]});
    assert!(serde_json::from_value::<HbosModel>(ok).is_ok());
}
