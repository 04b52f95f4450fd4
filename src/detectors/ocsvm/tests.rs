//! Unit tests of the one-class SVM as a whole (params, the kernel cache and
//! the solver's start have their own next to the code).

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, bits, close_within, data, detector,
};
use ndarray::array;
use serde_json::{Value, json};

#[test]
fn two_points_split_the_mass_evenly() {
    // x = 0 and 1, gamma = auto = 1, nu = 0.5: Σα = 1, and by symmetry the
    // optimum is α = (½, ½). libsvm starts at (1, 0) and gets there in one
    // step; ρ = mean gradient = ½ (1 + k) with k = e^-1 in single precision.
    let x = array![[0.0], [1.0]];
    let fit = OcsvmParams::default().fit(x.view()).unwrap();
    let m = &fit.model;
    assert_eq!(m.dual_coef().to_vec(), vec![0.5, 0.5]);
    assert_eq!(m.n_iter(), 1);
    assert!(m.converged());
    let k32 = (-1.0f64).exp() as f32 as f64;
    assert_eq!(m.rho(), 0.5 * (1.0 + k32));
    // Scores: ρ − ½ (K(0, x) + K(1, x)).
    let q = array![[3.0], [0.0], [1.0]];
    let s = m.score_samples(q.view());
    let want = |v: f64| m.rho() - 0.5 * ((-v * v).exp() + (-(v - 1.0) * (v - 1.0)).exp());
    for (got, v) in s.iter().zip([3.0, 0.0, 1.0]) {
        assert!(close_within(*got, want(v), 1e-15), "{got} vs {}", want(v));
    }
    // scikit-learn: -decision_function = [0.674720201, 4.57487759e-09, same].
    assert!(close_within(s[0], 0.674720201, 1e-9));
    assert!((s[1] - 4.57487759e-09).abs() < 1e-15);
    assert_eq!(
        bits(&fit.train_scores),
        bits(&s.slice(ndarray::s![1..]).to_owned())
    );
}

/// Five points, gamma 0.5, nu 0.3, against scikit-learn 1.9.1's
/// `OneClassSVM(gamma=0.5, nu=0.3, max_iter=mi)` (values printed with repr).
#[test]
fn five_points_match_sklearn() {
    let x = array![[0.0], [1.0], [3.0], [3.5], [10.0]];
    let q = array![[2.0], [-1.0], [3.2]];
    let fit = |max_iter: i64| {
        OcsvmParams {
            gamma: Gamma::Number(0.5),
            nu: 0.3,
            max_iter,
            ..OcsvmParams::default()
        }
        .fit(x.view())
        .unwrap()
    };
    let f = fit(-1);
    let want_alpha = [
        0.31907239472533266,
        0.24138740165538855,
        0.1293025743809981,
        0.3424825035931182,
        0.46775512564516236,
    ];
    assert_eq!(f.model.support_vectors().nrows(), 5);
    for (a, b) in f.model.dual_coef().iter().zip(want_alpha) {
        assert!(close_within(*a, b, 1e-12), "{a} vs {b}");
    }
    assert!(close_within(f.model.rho(), 0.4677067894608862, 1e-12));
    assert_eq!(f.model.n_iter(), 11);
    let s = f.model.score_samples(q.view());
    for (a, b) in s.iter().zip([
        0.08850241101496248,
        0.2414542691745036,
        -0.009819175577564121,
    ]) {
        assert!(close_within(*a, b, 1e-12), "{a} vs {b}");
    }
    // Stopped after one iteration: support vectors 0, 1, 4.
    let f = fit(1);
    assert!(!f.model.converged());
    assert_eq!(f.model.n_iter(), 1);
    assert_eq!(
        f.model.support_vectors().column(0).to_vec(),
        vec![0.0, 1.0, 10.0]
    );
    for (a, b) in f
        .model
        .dual_coef()
        .iter()
        .zip([0.3483673334121704, 0.5, 0.6516326665878296])
    {
        assert!(close_within(*a, b, 1e-12), "{a} vs {b}");
    }
    assert!(close_within(f.model.rho(), 0.6715202680150583, 1e-12));
    let s = f.model.score_samples(q.view());
    for (a, b) in s
        .iter()
        .zip([0.3211085464210137, 0.3925571578399373, 0.6249776080657137])
    {
        assert!(close_within(*a, b, 1e-12), "{a} vs {b}");
    }
}

#[test]
fn nu_one_is_refused_at_fit_like_sklearn() {
    // Every α at its bound 1: no free variable and no lower bound, so ρ is
    // infinite; scikit-learn raises "dual coefficients or intercepts are not
    // finite".
    let e = detector("ocsvm", json!({"nu": 1.0}))
        .fit(array![[0.0], [1.0], [3.0]].view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("nu"), "{e}");
}

#[test]
fn one_row_and_duplicates_fit() {
    let f = OcsvmParams::default()
        .fit(array![[1.0, 2.0]].view())
        .unwrap();
    assert_eq!(f.model.dual_coef().to_vec(), vec![0.5]);
    assert!(f.train_scores.iter().all(|v| v.is_finite()));
    let x = array![[1.0], [1.0], [1.0], [1.0]];
    let f = OcsvmParams::default().fit(x.view()).unwrap();
    assert!(f.train_scores.iter().all(|v| v.is_finite()));
}

#[test]
fn cache_size_and_shrinking_do_not_change_scores_here() {
    let x = data(400, 3, 9);
    let q = data(50, 3, 10);
    let run = |p: Value| {
        detector("ocsvm", p)
            .fit(x.view())
            .unwrap()
            .score_samples(q.view())
            .unwrap()
    };
    let base = run(json!({}));
    // A tiny cache (two rows) recomputes rows; values and path are the same.
    assert_eq!(bits(&base), bits(&run(json!({"cache_size": 1e-6}))));
    // Without shrinking the path differs, but both stop within tol.
    let no_shrink = run(json!({"shrinking": false, "tol": 1e-9}));
    let tight = run(json!({"tol": 1e-9}));
    for (a, b) in no_shrink.iter().zip(&tight) {
        assert!(close_within(*a, *b, 1e-6), "{a} vs {b}");
    }
}

#[test]
fn scale_gamma_uses_the_variance() {
    let x = data(100, 4, 11) * 3.0;
    let f = OcsvmParams {
        gamma: Gamma::SCALE,
        ..OcsvmParams::default()
    }
    .fit(x.view())
    .unwrap();
    let mean = x.mean().unwrap();
    let var = x.mapv(|v| (v - mean) * (v - mean)).mean().unwrap();
    assert!(close_within(f.model.gamma(), 1.0 / (4.0 * var), 1e-12));
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector("ocsvm", json!({"nu": 0.2, "gamma": 0.3}))
        .fit(data(300, 4, 5).view())
        .unwrap();
    assert_save_load_identical(&f, &data(60, 4, 6));
    for (field, value) in [
        ("dual_coef", json!({"v": 1, "dim": [1], "data": [0.5]})),
        ("gamma", json!(0.0)),
        ("rho", json!(null)),
        (
            "support_vectors",
            json!({"v": 1, "dim": [0, 4], "data": []}),
        ),
        ("extra", json!(1)),
    ] {
        assert_corrupt_refused(&f, field, |m| m[field] = value);
    }
    assert_corrupt_refused(&f, "dual_coef above 1", |m| {
        m["dual_coef"]["data"][0] = json!(1.5)
    });
}
