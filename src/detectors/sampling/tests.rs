//! Unit tests of the sampling detector as a whole (params have their own
//! next to the code): hand-computed distances for every metric, sampled rows
//! scoring 0, refusals, thread independence, save/load and corrupt models.

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, assert_thread_count_independent, close,
    data, detector,
};
use ndarray::array;
use serde_json::json;

#[test]
fn hand_computed_case_for_every_distance() {
    // Subsample rows 0 and 1: (0, 0) and (3, 4).
    let x = array![[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [6.0, 8.0]];
    let q = array![[0.0, 2.0], [4.0, 4.0]];
    let cases = [
        // (1,1): to (0,0); (6,8): to (3,4) = (3,4) away.
        (
            Distance::Euclidean,
            vec![0.0, 0.0, 2f64.sqrt(), 5.0],
            vec![2.0, 1.0],
        ),
        (
            Distance::Manhattan,
            vec![0.0, 0.0, 2.0, 7.0],
            vec![2.0, 1.0],
        ),
        (
            Distance::Chebyshev,
            vec![0.0, 0.0, 1.0, 4.0],
            vec![2.0, 1.0],
        ),
        (
            Distance::Minkowski { p: 3.0 },
            vec![0.0, 0.0, 2f64.powf(1.0 / 3.0), 91f64.powf(1.0 / 3.0)],
            vec![8f64.powf(1.0 / 3.0), 1.0],
        ),
    ];
    for (distance, want_train, want_q) in cases {
        let (model, train) = SamplingModel::from_indices(x.view(), &[0, 1], distance).unwrap();
        for (a, b) in train.iter().zip(&want_train) {
            assert!(
                close(*a, *b),
                "{distance:?} train: {train} vs {want_train:?}"
            );
        }
        // The sampled rows are at distance exactly 0 from themselves.
        assert_eq!((train[0], train[1]), (0.0, 0.0), "{distance:?}");
        let s = model.score_samples(q.view());
        for (a, b) in s.iter().zip(&want_q) {
            assert!(close(*a, *b), "{distance:?} test: {s} vs {want_q:?}");
        }
    }
}

#[test]
fn from_indices_refuses_bad_indices() {
    let x = data(10, 2, 1);
    assert!(SamplingModel::from_indices(x.view(), &[3, 10], Distance::Euclidean).is_err());
    assert!(SamplingModel::from_indices(x.view(), &[], Distance::Euclidean).is_err());
}

#[test]
fn sampled_rows_are_distinct_training_rows_scoring_zero() {
    let x = data(300, 3, 2);
    for (subset_size, want) in [(SubsetSize::count(20), 20), (SubsetSize::fraction(0.1), 30)] {
        let fit = SamplingParams {
            subset_size,
            seed: 3,
            ..SamplingParams::default()
        }
        .fit(x.view())
        .unwrap();
        let subset = fit.model.subset();
        assert_eq!(subset.nrows(), want);
        // Every subsample row is a training row, no row twice; exactly those
        // rows score 0 (random data has no duplicates).
        let rows: Vec<usize> = subset
            .rows()
            .into_iter()
            .map(|r| x.rows().into_iter().position(|t| t == r).unwrap())
            .collect();
        let mut sorted = rows.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), want);
        for (i, &s) in fit.train_scores.iter().enumerate() {
            assert_eq!(s == 0.0, sorted.binary_search(&i).is_ok(), "row {i}: {s}");
        }
    }
}

#[test]
fn subset_sizes_the_data_cannot_give_are_refused() {
    let x = data(19, 2, 1);
    // The default 20 rows from 19: PyOD raises ValueError.
    let e = detector("sampling", json!({})).fit(x.view()).unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("between 1 and 19"), "{e}");
    // A fraction giving no row.
    let e = detector("sampling", json!({"subset_size": 0.01}))
        .fit(x.view())
        .unwrap_err();
    assert!(e.to_string().contains("gives 0 subsample row"), "{e}");
    // All rows: every training score is 0.
    let f = detector("sampling", json!({"subset_size": 1.0}))
        .fit(x.view())
        .unwrap();
    assert_eq!(f.decision_threshold(), 0.0);
    let one = detector("sampling", json!({"subset_size": 1}))
        .fit(x.view())
        .unwrap();
    assert!(
        one.score_samples(x.view())
            .unwrap()
            .iter()
            .all(|v| *v >= 0.0)
    );
}

#[test]
fn unsupported_metrics_are_param_errors() {
    let m = |v: serde_json::Value| match v {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    for params in [
        json!({"metric": "cosine"}),
        json!({"metric": "euclidean", "p": 3}),
        json!({"p": 0}),
    ] {
        let e = crate::detectors::Detector::new("sampling", &m(params.clone())).unwrap_err();
        assert!(matches!(e, DetectorError::Param(_)), "{params}: {e}");
    }
}

#[test]
fn scores_do_not_depend_on_the_thread_count() {
    let x = data(700, 5, 4);
    let q = data(600, 5, 5);
    for params in [
        json!({"subset_size": 50, "seed": 9}),
        json!({"metric": "minkowski", "p": 1.5}),
        json!({"metric": "chebyshev"}),
    ] {
        assert_thread_count_independent("sampling", params, &x, &q);
    }
}

#[test]
fn save_load_gives_identical_scores() {
    for params in [json!({}), json!({"p": 3}), json!({"metric": "manhattan"})] {
        let f = detector("sampling", params)
            .fit(data(200, 4, 6).view())
            .unwrap();
        assert_save_load_identical(&f, &data(60, 4, 7));
    }
    let f = detector("sampling", json!({"p": 3}))
        .fit(data(200, 4, 6).view())
        .unwrap();
    assert_corrupt_refused(&f, "bad p", |m| m["distance"]["p"] = json!(-1.0));
    assert_corrupt_refused(&f, "unknown metric", |m| {
        m["distance"] = json!({"metric": "cosine"})
    });
    assert_corrupt_refused(&f, "width", |m| m["n_features"] = json!(3));
    assert_corrupt_refused(&f, "no rows", |m| {
        m["subset"] = json!({"v": 1, "dim": [0, 4], "data": []})
    });
}
