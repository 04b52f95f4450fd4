//! Unit tests of the GMM detector as a whole (params and k-means have their
//! own next to the code).

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, assert_thread_count_independent, bits,
    close_within, data, detector,
};
use ndarray::{Array2, array};
use serde_json::json;
use std::f64::consts::PI;

/// Two well-separated blobs (the second shifted by +8 in every column).
fn blobs(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut x = data(n, d, seed);
    for (i, mut r) in x.rows_mut().into_iter().enumerate() {
        if i % 2 == 1 {
            r += 8.0;
        }
    }
    x
}

#[test]
fn hand_computed_one_component() {
    // 1-d rows -1, 0, 1, 4: mean 1, variance (4 + 1 + 0 + 9) / 4 = 3.5
    // (+ reg_covar 1e-6); the score is -ln N(x | 1, 3.5 + 1e-6).
    let x = array![[-1.0], [0.0], [1.0], [4.0]];
    let fit = GmmParams::default().fit(x.view()).unwrap();
    let var = 3.5 + 1e-6;
    let nll = |v: f64| 0.5 * (2.0 * PI * var).ln() + 0.5 * (v - 1.0) * (v - 1.0) / var;
    for (i, v) in [-1.0, 0.0, 1.0, 4.0].into_iter().enumerate() {
        assert!(close_within(fit.train_scores[i], nll(v), 1e-14), "{i}");
    }
    let s = fit.model.score_samples(array![[10.0]].view());
    assert!(close_within(s[0], nll(10.0), 1e-14));
    assert!(close_within(fit.model.means()[[0, 0]], 1.0, 1e-14));
    assert!(close_within(
        fit.model.precisions()[[0, 0, 0]],
        1.0 / var,
        1e-14
    ));
    assert_eq!(fit.model.weights().to_vec(), vec![1.0]);
    // EM stops after the second iteration: the M-step reproduces the start.
    assert!(fit.model.converged());
    assert_eq!(fit.model.n_iter(), 2);
}

#[test]
fn one_component_is_the_mle_in_2d_and_ignores_the_seed() {
    let x = data(200, 2, 1);
    let n = x.nrows() as f64;
    let mean = x.mean_axis(ndarray::Axis(0)).unwrap();
    let c = &x - &mean;
    let mut cov = c.t().dot(&c) / n;
    cov[[0, 0]] += 1e-6;
    cov[[1, 1]] += 1e-6;
    let det = cov[[0, 0]] * cov[[1, 1]] - cov[[0, 1]] * cov[[1, 0]];
    let inv = array![[cov[[1, 1]], -cov[[0, 1]]], [-cov[[1, 0]], cov[[0, 0]]]] / det;
    let q = data(30, 2, 2);
    let a = detector("gmm", json!({"seed": 1})).fit(x.view()).unwrap();
    let b = detector("gmm", json!({"seed": 99})).fit(x.view()).unwrap();
    let sa = a.score_samples(q.view()).unwrap();
    assert_eq!(bits(&sa), bits(&b.score_samples(q.view()).unwrap()));
    for (i, r) in q.rows().into_iter().enumerate() {
        let v = &r - &mean;
        let m = v.dot(&inv.dot(&v));
        let want = (2.0 * PI).ln() + 0.5 * det.ln() + 0.5 * m;
        assert!(close_within(sa[i], want, 1e-10), "{i}: {} vs {want}", sa[i]);
    }
}

#[test]
fn two_blobs_give_two_components() {
    let x = blobs(400, 2, 3);
    let p = GmmParams {
        n_components: 2,
        ..GmmParams::default()
    };
    let fit = p.fit(x.view()).unwrap();
    let w = fit.model.weights();
    assert!(close_within(w.sum(), 1.0, 1e-12));
    assert!(w.iter().all(|&v| (v - 0.5).abs() < 0.01), "{w}");
    let mut m: Vec<f64> = fit.model.means().column(0).to_vec();
    m.sort_by(f64::total_cmp);
    assert!(m[0].abs() < 0.3 && (m[1] - 8.0).abs() < 0.3, "{m:?}");
    // A point between the blobs is far less likely than one inside a blob.
    let s = fit
        .model
        .score_samples(array![[4.0, 4.0], [0.0, 0.0]].view());
    assert!(s[0] > s[1] + 5.0, "{s}");
}

#[test]
fn every_init_and_restarts_work() {
    let x = blobs(300, 3, 4);
    for init in ["kmeans", "k-means++", "random", "random_from_data"] {
        let f = detector(
            "gmm",
            json!({"n_components": 2, "init_params": init, "n_init": 3}),
        )
        .fit(x.view())
        .unwrap();
        let s = f.score_samples(x.view()).unwrap();
        assert!(s.iter().all(|v| v.is_finite()), "{init}");
    }
    // More restarts never end with a lower final lower bound than the first.
    let one = GmmParams {
        n_components: 3,
        ..GmmParams::default()
    };
    let three = GmmParams {
        n_init: 3,
        ..one.clone()
    };
    let a = one.fit(x.view()).unwrap().model.lower_bound();
    let b = three.fit(x.view()).unwrap().model.lower_bound();
    assert!(b >= a, "{b} < {a}");
}

#[test]
fn max_iter_zero_keeps_the_initial_parameters() {
    let x = array![[-1.0], [0.0], [1.0], [4.0]];
    let p = GmmParams {
        max_iter: 0,
        ..GmmParams::default()
    };
    let fit = p.fit(x.view()).unwrap();
    assert!(!fit.model.converged());
    assert_eq!(fit.model.n_iter(), 0);
    // weights = nk / n with nk = n + 10ε, as scikit-learn's _initialize.
    assert!(close_within(fit.model.weights()[0], 1.0, 1e-15));
    assert!(close_within(fit.model.means()[[0, 0]], 1.0, 1e-14));
}

#[test]
fn singular_covariance_names_reg_covar() {
    // A constant column has zero variance: fine with reg_covar, an error without.
    let mut x = data(50, 2, 5);
    x.column_mut(1).fill(3.0);
    assert!(GmmParams::default().fit(x.view()).is_ok());
    let p = GmmParams {
        reg_covar: 0.0,
        ..GmmParams::default()
    };
    let Err(e) = p.fit(x.view()) else {
        panic!("a singular covariance must fail")
    };
    // The params' own fit does not know the registered name; `Detector` adds it.
    assert!(matches!(e, DetectorError::CannotFit(_)), "{e}");
    assert!(e.to_string().contains("reg_covar"), "{e}");
    let e = em::fit(x.view(), &p).unwrap_err();
    assert!(
        matches!(e, GmmError::SingularCovariance { component: 0, .. }),
        "{e}"
    );
}

#[test]
fn too_few_rows_are_refused() {
    let e = detector("gmm", json!({}))
        .fit(array![[1.0, 2.0]].view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    let e = detector("gmm", json!({"n_components": 4}))
        .fit(data(3, 2, 1).view())
        .unwrap_err();
    assert!(e.to_string().contains("n_components"), "{e}");
    let p = GmmParams::default();
    assert!(fit_from_labels(data(3, 1, 1).view(), &[0, 1, 0], &p).is_err());
    assert!(fit_from_labels(data(3, 1, 1).view(), &[0, 0], &p).is_err());
}

#[test]
fn far_rows_score_finite() {
    let x = data(100, 2, 6);
    let f = detector("gmm", json!({"n_components": 2}))
        .fit(x.view())
        .unwrap();
    let s = f.score_samples(array![[1e6, -1e6]].view()).unwrap();
    assert!(s[0].is_finite() && s[0] > 1e10, "{s}");
}

#[test]
fn identical_for_any_thread_count() {
    // Several components and restarts on enough rows for several blocks.
    assert_thread_count_independent(
        "gmm",
        json!({"n_components": 3, "n_init": 2}),
        &blobs(3000, 4, 7),
        &data(700, 4, 8),
    );
}

#[test]
fn seed_changes_the_fit_reproducibly() {
    let x = data(300, 3, 9);
    let fit = |seed: u64| {
        detector("gmm", json!({"n_components": 3, "seed": seed}))
            .fit(x.view())
            .unwrap()
            .score_samples(x.view())
            .unwrap()
    };
    assert_eq!(bits(&fit(1)), bits(&fit(1)));
    assert_ne!(bits(&fit(1)), bits(&fit(2)));
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector("gmm", json!({"n_components": 2}))
        .fit(blobs(300, 3, 10).view())
        .unwrap();
    assert_save_load_identical(&f, &data(60, 3, 11));
    for (key, value) in [
        ("weights", json!({"v": 1, "dim": [1], "data": [1.0]})),
        ("weights", json!({"v": 1, "dim": [2], "data": [0.0, 1.0]})),
        (
            "means",
            json!({"v": 1, "dim": [2, 2], "data": [0.0, 0.0, 1.0, 1.0]}),
        ),
        ("extra", json!(1)),
    ] {
        assert_corrupt_refused(&f, key, |m| m[key] = value);
    }
    assert_corrupt_refused(&f, "negative precisions_cholesky", |m| {
        m["precisions_cholesky"]["data"][0] = json!(-1.0)
    });
}
