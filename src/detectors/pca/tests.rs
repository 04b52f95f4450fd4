//! Unit tests of the PCA detector as a whole (params have their own next to
//! the code): hand-computed scores, the rank and component rules, thread
//! independence, save/load.

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, bits, close, data, detector,
};
use ndarray::{Array2, array};
use serde_json::json;

#[test]
fn hand_computed_case() {
    // Rows (±1, 0), (0, ±2): mean 0, covariance (n − 1 = 3) diag(2/3, 8/3).
    // Unstandardised: score(1, 1) = 1 / (2/3) + 1 / (8/3) = 1.5 + 0.375.
    // Standardised: std = (√0.5, √2), z = (√2, 1/√2), both variances 4/3:
    // |z|² / (4/3) = 2.5 · 0.75 = 1.875 too. Training rows: (±1, 0) ->
    // 1.5 and (0, ±2) -> 4 / (8/3) = 1.5.
    let x = array![[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]];
    let q = array![[1.0, 1.0], [0.0, 0.0]];
    for standardization in [false, true] {
        let p = PcaParams {
            standardization,
            ..PcaParams::default()
        };
        let fit = p.fit(x.view()).unwrap();
        assert_eq!(fit.model.n_components(), 2);
        let s = fit.model.score_samples(q.view());
        assert!(close(s[0], 1.875), "{standardization}: {s}");
        assert!(close(s[1], 0.0), "{s}");
        assert!(
            fit.train_scores.iter().all(|&v| close(v, 1.5)),
            "{}",
            fit.train_scores
        );
    }
}

#[test]
fn sign_of_the_data_does_not_matter() {
    // Negating the data flips eigenvector signs (if anything); the score of
    // −q under the model of −x equals the score of q under x.
    let x = data(200, 4, 1);
    let q = data(30, 4, 2);
    let a = PcaParams::default().fit(x.view()).unwrap();
    let b = PcaParams::default().fit((-&x).view()).unwrap();
    let sa = a.model.score_samples(q.view());
    let sb = b.model.score_samples((-&q).view());
    assert!(
        sa.iter()
            .zip(&sb)
            .all(|(u, v)| (u - v).abs() <= 1e-9 * u.abs().max(1.0))
    );
}

#[test]
fn constant_and_collinear_columns_are_dropped() {
    // Column 2 is constant, column 3 = 2 · column 0: rank 2 of 4.
    let mut x = data(100, 4, 3);
    for mut r in x.rows_mut() {
        r[2] = 5.0;
        r[3] = 2.0 * r[0];
    }
    let fit = PcaParams::default().fit(x.view()).unwrap();
    assert_eq!(fit.model.n_components(), 2);
    assert!(fit.train_scores.iter().all(|v| v.is_finite()));
    // A new value in the constant column is not scored.
    let mut q = x.slice(ndarray::s![..5, ..]).to_owned();
    let before = fit.model.score_samples(q.view());
    q.column_mut(2).fill(1e6);
    assert_eq!(bits(&before), bits(&fit.model.score_samples(q.view())));
    // All columns constant: nothing to model.
    let c = Array2::from_elem((10, 3), 1.5);
    let e = detector("pca", json!({})).fit(c.view()).unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
}

#[test]
fn component_rules_follow_sklearn() {
    let w = [3.0, 2.0, 1.0, 0.0];
    // ratios 0.5, 0.333, 0.167, 0 -> cumsum 0.5, 0.833, 1, 1.
    assert_eq!(kept_components(&w, NComponents::ALL), 3);
    assert_eq!(kept_components(&w, NComponents::fraction(0.4)), 1);
    assert_eq!(kept_components(&w, NComponents::fraction(0.5)), 2);
    assert_eq!(kept_components(&w, NComponents::fraction(0.9)), 3);
    assert_eq!(kept_components(&w, NComponents::count(2)), 2);
    assert_eq!(kept_components(&w, NComponents::count(4)), 3);
    // The rank rule is relative: λ <= λ_max · d · ε is dropped.
    let tiny = 3.0 * 4.0 * f64::EPSILON;
    assert_eq!(
        kept_components(&[3.0, 1.0, tiny, tiny * 0.5], NComponents::ALL),
        2
    );
    assert_eq!(
        kept_components(&[3.0, 1.0, tiny * 1.01, 0.0], NComponents::ALL),
        3
    );
    assert_eq!(kept_components(&[0.0, 0.0], NComponents::ALL), 0);
}

#[test]
fn one_component_keeps_the_leading_direction() {
    // Unstandardised, variance mostly along column 0: with k = 1 the score
    // is (x − mean)_0² / var_0 (to rounding, the leading eigenvector is e_0).
    let x = array![[3.0, 0.1], [-3.0, -0.1], [3.0, -0.1], [-3.0, 0.1]];
    let p = PcaParams {
        n_components: NComponents::count(1),
        standardization: false,
    };
    let fit = p.fit(x.view()).unwrap();
    assert_eq!(fit.model.n_components(), 1);
    let s = fit.model.score_samples(array![[6.0, 5.0]].view());
    assert!(close(s[0], 36.0 / 12.0), "{s}");
    // More components than min(n, d): refused like scikit-learn.
    let e = detector("pca", json!({"n_components": 3}))
        .fit(x.view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    let e = detector("pca", json!({}))
        .fit(array![[1.0, 2.0]].view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector("pca", json!({"n_components": 0.8}))
        .fit(data(300, 5, 5).view())
        .unwrap();
    assert_save_load_identical(&f, &data(60, 5, 6));
    assert_corrupt_refused(&f, "negative eigenvalue", |m| {
        m["eigenvalues"]["data"][0] = json!(-1.0)
    });
    assert_corrupt_refused(&f, "scale", |m| {
        m["scale"] = json!({"v": 1, "dim": [1], "data": [1.0]})
    });
    assert_corrupt_refused(&f, "extra", |m| m["extra"] = json!(1));
}
