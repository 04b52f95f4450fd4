//! Unit tests of the MCD detector as a whole (params and the χ² functions
//! have their own next to the code): hand cases, robustness to planted
//! outliers, thread independence, seeds, save/load.

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, assert_thread_count_independent, bits,
    detector,
};
use ndarray::{Array2, array};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Standard-normal rows (Box–Muller on a seeded ChaCha8 stream).
fn gaussian(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((n, d), || {
        let u: f64 = rng.random::<f64>().max(1e-300);
        let v: f64 = rng.random();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    })
}

#[test]
fn full_support_in_one_dimension_is_hand_computable() {
    // d = 1, support_fraction = 1: support = all rows, location = mean 2,
    // raw variance 2, raw distance (x − 2)² / 2. Correction at α = 1 is 1.
    // Rows 0..4: corrected distances 2, 0.5, 0, 0.5, 2, all below the
    // χ²(1) 0.975 quantile 5.02, so the reweighted estimate is again mean 2,
    // variance 2, times c(0.975) = 0.975 / F_{χ²(3)}(5.0239).
    let x = array![[0.0], [1.0], [2.0], [3.0], [4.0]];
    let p = McdParams {
        support_fraction: Some(1.0),
        seed: 0,
    };
    let fit = p.fit(x.view()).unwrap();
    let c = chi2::consistency_factor(1, 0.975);
    assert!((c - 0.975 / chi2::chi2_cdf(chi2::chi2_ppf(0.975, 1.0), 3.0)).abs() < 1e-15);
    assert!((fit.model.location()[0] - 2.0).abs() < 1e-15);
    assert!((fit.model.covariance()[[0, 0]] - 2.0 * c).abs() < 1e-12);
    for (i, s) in fit.train_scores.iter().enumerate() {
        let want = (i as f64 - 2.0).powi(2) / (2.0 * c);
        assert!((s - want).abs() < 1e-12, "{i}: {s} vs {want}");
    }
}

#[test]
fn shortest_half_in_one_dimension_matches_sklearn() {
    // Rows 0..9, 100, 200: h = ceil(14 / 2) = 7; scikit-learn's windows
    // x[i + 7] − x[i] are shortest (7) for i = 0, 1, 2, so the raw location
    // is the mean of the midpoints (0 + 7, 1 + 8, 2 + 9) / 2 = 4.5.
    // Expected: scikit-learn 1.9.1 `MinCovDet().fit(x).dist_`.
    let x = Array2::from_shape_vec(
        (12, 1),
        vec![
            0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0, 200.0,
        ],
    )
    .unwrap();
    let want = [
        2.08936847e+00,
        1.26393895e+00,
        6.44866812e-01,
        2.32152052e-01,
        2.57946725e-02,
        2.57946725e-02,
        2.32152052e-01,
        6.44866812e-01,
        1.26393895e+00,
        2.08936847e+00,
        9.41015447e+02,
        3.94351532e+03,
    ];
    let fit = McdParams::default().fit(x.view()).unwrap();
    for (a, b) in fit.train_scores.iter().zip(want) {
        assert!((a - b).abs() <= 1e-8 * b, "{a} vs {b}");
    }
    assert!((fit.model.location()[0] - 4.5).abs() < 1e-12);
    // scikit-learn fails on [100, 3, 0, 50, 1, 4, 2] (its window of h + 1
    // values puts the location at 25, and no row survives reweighting);
    // anml refuses it with a typed error.
    let x = array![[100.0], [3.0], [0.0], [50.0], [1.0], [4.0], [2.0]];
    let e = detector("mcd", json!({})).fit(x.view()).unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
}

#[test]
fn planted_outliers_score_highest() {
    for (n, seed) in [(200, 1), (800, 2)] {
        let mut x = gaussian(n, 3, seed);
        for i in 0..10 {
            x.row_mut(i).fill(8.0);
        }
        let fit = McdParams::default().fit(x.view()).unwrap();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| fit.train_scores[b].total_cmp(&fit.train_scores[a]));
        let mut top: Vec<usize> = order[..10].to_vec();
        top.sort_unstable();
        assert_eq!(top, (0..10).collect::<Vec<_>>(), "n = {n}");
        // The robust location ignores them.
        assert!(
            fit.model.location().iter().all(|v| v.abs() < 0.3),
            "{}",
            fit.model.location()
        );
    }
}

#[test]
fn from_support_is_deterministic_and_checks_input() {
    let x = gaussian(60, 2, 3);
    let support: Vec<usize> = (0..40).collect();
    let (m, s) = reweighted_from_support(x.view(), &support).unwrap();
    assert_eq!(bits(&m.score_samples(x.view())), bits(&s));
    assert!(reweighted_from_support(x.view(), &[]).is_err());
    assert!(reweighted_from_support(x.view(), &[60]).is_err());
}

#[test]
fn singular_data_uses_the_pseudo_inverse() {
    // Column 2 = column 0 + column 1: every covariance is singular; the
    // exact-fit path returns early and the scores stay finite.
    let mut x = gaussian(120, 3, 4);
    for mut r in x.rows_mut() {
        r[2] = r[0] + r[1];
    }
    let fit = McdParams::default().fit(x.view()).unwrap();
    assert!(fit.train_scores.iter().all(|v| v.is_finite()));
    // All rows identical: the support covariance is 0, refused.
    let c = Array2::from_elem((20, 2), 3.0);
    let e = detector("mcd", json!({})).fit(c.view()).unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    let e = detector("mcd", json!({}))
        .fit(array![[1.0, 2.0]].view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
}

#[test]
fn seeds_change_the_draws_and_repeat_exactly() {
    let x = gaussian(700, 3, 5);
    let a = detector("mcd", json!({"seed": 1})).fit(x.view()).unwrap();
    let a2 = detector("mcd", json!({"seed": 1})).fit(x.view()).unwrap();
    let b = detector("mcd", json!({"seed": 2})).fit(x.view()).unwrap();
    let q = gaussian(50, 3, 6);
    let sa = a.score_samples(q.view()).unwrap();
    assert_eq!(bits(&sa), bits(&a2.score_samples(q.view()).unwrap()));
    assert_ne!(bits(&sa), bits(&b.score_samples(q.view()).unwrap()));
}

#[test]
fn identical_for_any_thread_count() {
    // 1600 rows take FastMCD's subset path (more than the contract's 600).
    for n in [300, 1600] {
        assert_thread_count_independent(
            "mcd",
            json!({"seed": 3}),
            &gaussian(n, 4, 7),
            &gaussian(100, 4, 8),
        );
    }
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector("mcd", json!({"support_fraction": 0.8}))
        .fit(gaussian(200, 3, 9).view())
        .unwrap();
    assert_save_load_identical(&f, &gaussian(40, 3, 10));
    assert_corrupt_refused(&f, "precision", |m| {
        m["precision"] = json!({"v": 1, "dim": [2, 2], "data": [1.0, 0.0, 0.0, 1.0]})
    });
    assert_corrupt_refused(&f, "null location", |m| {
        m["location"]["data"][0] = json!(null)
    });
}
