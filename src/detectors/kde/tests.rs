//! Unit tests of the KDE detector as a whole (params have their own next to
//! the code).

use super::model::log_sum_exp;
use super::*;
use crate::detectors::{Detector, FittedDetector, Model};
use ndarray::{Array1, Array2, array};
use serde_json::{Value, json};
use std::f64::consts::PI;

fn detector(p: Value) -> Detector {
    let Value::Object(m) = p else {
        panic!("params must be an object")
    };
    Detector::new("kde", &m).unwrap()
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

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

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
    assert!(close(s[0], 0.5 + 0.5 * (2.0 * PI).ln(), 1e-15), "{s}");
    // Training row 0: (φ(0) + φ(2)) / 2.
    let want = -(((1.0 + (-2.0f64).exp()) / 2.0).ln() - 0.5 * (2.0 * PI).ln());
    assert!(close(fit.train_scores[0], want, 1e-15));
    assert!(close(fit.train_scores[1], want, 1e-15));
    // h = 0.5 in 2-d on one point: p(x) = exp(-|x|²/(2·0.25)) / (2π·0.25).
    let fit = KdeParams {
        bandwidth: Bandwidth::Value(0.5),
    }
    .fit(array![[0.0, 0.0]].view())
    .unwrap();
    let s = fit.model.score_samples(array![[0.3, 0.4]].view());
    assert!(
        close(s[0], 0.25 / 0.5 + (2.0 * PI * 0.25).ln(), 1e-15),
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
            assert!(close(s[i], naive(&x, h, &row.to_vec()), 1e-12));
        }
        for (i, row) in x.rows().into_iter().enumerate() {
            assert!(close(
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
    assert!(close(s[0], want, 1e-14), "{s}");
    // At 1e6 only the nearer point (1) matters: -ln(e^{-(1e6-1)²/2} / 2) + ln sqrt(2π).
    let want = 0.5 * (1e6 - 1.0f64).powi(2) + 2f64.ln() + 0.5 * (2.0 * PI).ln();
    assert!(s[1].is_finite() && close(s[1], want, 1e-15), "{s}");
    // Only when every term overflows is the density 0 (score +inf), as in sklearn.
    let s = fit.model.score_samples(array![[1e300]].view());
    assert_eq!(s[0], f64::INFINITY);
}

#[test]
fn log_sum_exp_is_stable() {
    assert_eq!(log_sum_exp(&[f64::NEG_INFINITY; 3]), f64::NEG_INFINITY);
    assert!(close(
        log_sum_exp(&[-1000.0, -1000.0]),
        -1000.0 + 2f64.ln(),
        1e-15
    ));
    assert!(close(
        log_sum_exp(&[700.0, 700.0]),
        700.0 + 2f64.ln(),
        1e-15
    ));
    assert_eq!(log_sum_exp(&[0.0]), 0.0);
}

#[test]
fn small_bandwidth_uses_direct_differences() {
    // Points far from the origin and close to each other: the GEMM form of
    // their squared distances loses the digits that matter at h = 1e-4.
    let base = data(100, 4, 3).mapv(|v| 1000.0 + 1e-3 * v);
    let q = data(20, 4, 4).mapv(|v| 1000.0 + 1e-3 * v);
    let h = 1e-4;
    let fit = KdeParams {
        bandwidth: Bandwidth::Value(h),
    }
    .fit(base.view())
    .unwrap();
    let s = fit.model.score_samples(q.view());
    for (i, row) in q.rows().into_iter().enumerate() {
        let row = row.to_vec();
        // Reference by log-sum-exp over direct differences.
        let terms: Vec<f64> = base
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
        let want = -(log_sum_exp(&terms) + fit.model.log_kernel_norm() - 100f64.ln());
        assert!(close(s[i], want, 1e-12), "{i}: {} vs {want}", s[i]);
    }
}

#[test]
fn identical_for_any_thread_count() {
    let x = data(5000, 5, 3);
    let q = data(700, 5, 4);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let f = detector(json!({})).fit(x.view()).unwrap();
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
    let x = data(300, 4, 5);
    let q = data(60, 4, 6);
    let f = detector(json!({"bandwidth": "scott"}))
        .fit(x.view())
        .unwrap();
    let bytes = f.to_bytes().unwrap();
    let g = FittedDetector::from_bytes(&bytes).unwrap();
    assert_eq!(g.to_bytes().unwrap(), bytes);
    assert_eq!(
        bits(&f.score_samples(q.view()).unwrap()),
        bits(&g.score_samples(q.view()).unwrap())
    );
    let good = f.to_value().unwrap();
    for (key, value) in [
        ("bandwidth", json!(0.0)),
        ("bandwidth", json!(-1.0)),
        ("train", json!({"v": 1, "dim": [0, 4], "data": []})),
        ("extra", json!(1)),
    ] {
        let mut bad = good.clone();
        bad["model"][key] = value;
        assert!(FittedDetector::from_value(bad).is_err(), "{key}");
    }
}
