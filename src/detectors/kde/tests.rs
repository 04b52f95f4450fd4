//! Unit tests of the KDE detector as a whole (params have their own next to
//! the code).

use super::model::log_sum_exp;
use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, close_within, data, detector,
};
use ndarray::{Array2, array};
use serde_json::json;
use std::f64::consts::PI;

/// `-ln p(x)` by the textbook formula, with direct differences.
fn naive(train: &Array2<f64>, h: f64, x: &[f64]) -> f64 {
    let d = train.ncols() as f64;
    let n = train.nrows() as f64;
    let dens: f64 = train
        .rows()
        .into_iter()
        .map(|t| {
            let sq: f64 = t.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum();
            (-sq / (2.0 * h * h)).exp()
        })
        .sum();
    -((dens / n).ln() - 0.5 * d * (2.0 * PI).ln() - d * h.ln())
}

#[test]
fn hand_computed_case() {
    // 1-d, training points 0 and 2, h = 1:
    // p(1) = (φ(1) + φ(1)) / 2 = φ(1) = exp(-1/2) / sqrt(2π).
    let x = array![[0.0], [2.0]];
    let fit = KdeParams::default().fit(x.view()).unwrap();
    let s = fit.model.score_samples(array![[1.0]].view());
    assert!(
        close_within(s[0], 0.5 + 0.5 * (2.0 * PI).ln(), 1e-15),
        "{s}"
    );
    // Training row 0: (φ(0) + φ(2)) / 2.
    let want = -(((1.0 + (-2.0f64).exp()) / 2.0).ln() - 0.5 * (2.0 * PI).ln());
    assert!(close_within(fit.train_scores[0], want, 1e-15));
    assert!(close_within(fit.train_scores[1], want, 1e-15));
    // h = 0.5 in 2-d on one point: p(x) = exp(-|x|²/(2·0.25)) / (2π·0.25).
    let fit = KdeParams {
        bandwidth: Bandwidth::Number(0.5),
    }
    .fit(array![[0.0, 0.0]].view())
    .unwrap();
    let s = fit.model.score_samples(array![[0.3, 0.4]].view());
    assert!(
        close_within(s[0], 0.25 / 0.5 + (2.0 * PI * 0.25).ln(), 1e-15),
        "{s}"
    );
}

#[test]
fn matches_the_textbook_formula() {
    let x = data(200, 3, 1);
    let q = data(50, 3, 2);
    for bw in [json!(1.0), json!(0.3), json!("scott"), json!("silverman")] {
        let p: KdeParams = serde_json::from_value(json!({ "bandwidth": bw })).unwrap();
        let fit = p.fit(x.view()).unwrap();
        let h = fit.model.bandwidth();
        let s = fit.model.score_samples(q.view());
        for (i, row) in q.rows().into_iter().enumerate() {
            assert!(close_within(s[i], naive(&x, h, &row.to_vec()), 1e-12));
        }
        for (i, row) in x.rows().into_iter().enumerate() {
            assert!(close_within(
                fit.train_scores[i],
                naive(&x, h, &row.to_vec()),
                1e-12
            ));
        }
    }
}

#[test]
fn far_rows_do_not_underflow() {
    // exp(-|x|²/2) underflows to 0 beyond |x| ≈ 38.6; the log-sum-exp does not.
    let x = array![[0.0], [1.0]];
    let fit = KdeParams::default().fit(x.view()).unwrap();
    let s = fit.model.score_samples(array![[100.0], [1e6]].view());
    // -ln p(100) = -ln((e^{-5000} + e^{-4900.5}) / 2) + ln sqrt(2π).
    let want = 4900.5 - (1.0 + (-99.5f64).exp()).ln() + 2f64.ln() + 0.5 * (2.0 * PI).ln();
    assert!(close_within(s[0], want, 1e-14), "{s}");
    // At 1e6 only the nearer point (1) matters: -ln(e^{-(1e6-1)²/2} / 2) + ln sqrt(2π).
    let want = 0.5 * (1e6 - 1.0f64).powi(2) + 2f64.ln() + 0.5 * (2.0 * PI).ln();
    assert!(s[1].is_finite() && close_within(s[1], want, 1e-15), "{s}");
    // Only when every term overflows is the density 0 (score +inf), as in sklearn.
    let s = fit.model.score_samples(array![[1e300]].view());
    assert_eq!(s[0], f64::INFINITY);
}

#[test]
fn log_sum_exp_is_stable() {
    assert_eq!(log_sum_exp(&mut [f64::NEG_INFINITY; 3]), f64::NEG_INFINITY);
    assert!(close_within(
        log_sum_exp(&mut [-1000.0, -1000.0]),
        -1000.0 + 2f64.ln(),
        1e-15
    ));
    assert!(close_within(
        log_sum_exp(&mut [700.0, 700.0]),
        700.0 + 2f64.ln(),
        1e-15
    ));
    assert_eq!(log_sum_exp(&mut [0.0]), 0.0);
}

#[test]
fn small_bandwidth_uses_direct_differences() {
    // Points far from the origin and close to each other: the GEMM form of
    // their squared distances loses the digits that matter at h = 1e-4.
    let base = data(100, 4, 3).mapv(|v| 1000.0 + 1e-3 * v);
    let q = data(20, 4, 4).mapv(|v| 1000.0 + 1e-3 * v);
    let h = 1e-4;
    let fit = KdeParams {
        bandwidth: Bandwidth::Number(h),
    }
    .fit(base.view())
    .unwrap();
    let s = fit.model.score_samples(q.view());
    for (i, row) in q.rows().into_iter().enumerate() {
        let row = row.to_vec();
        // Reference by log-sum-exp over direct differences.
        let mut terms: Vec<f64> = base
            .rows()
            .into_iter()
            .map(|t| {
                -t.iter()
                    .zip(&row)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    / (2.0 * h * h)
            })
            .collect();
        let want = -(log_sum_exp(&mut terms) + fit.model.log_kernel_norm() - 100f64.ln());
        assert!(close_within(s[i], want, 1e-12), "{i}: {} vs {want}", s[i]);
    }
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector("kde", json!({"bandwidth": "scott"}))
        .fit(data(300, 4, 5).view())
        .unwrap();
    assert_save_load_identical(&f, &data(60, 4, 6));
    for (key, value) in [
        ("bandwidth", json!(0.0)),
        ("bandwidth", json!(-1.0)),
        ("train", json!({"v": 1, "dim": [0, 4], "data": []})),
        ("extra", json!(1)),
    ] {
        assert_corrupt_refused(&f, key, |m| m[key] = value);
    }
}
