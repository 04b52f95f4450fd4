//! Parity of anml's `ocsvm` with PyOD 3.6.7's `OCSVM()` (scikit-learn
//! 1.9.1's `OneClassSVM`, libsvm's SMO solver).
//!
//! Nothing is random, so scores are compared value by value against
//! `tests/fixtures/ocsvm/pyod_reference.json` (written by
//! `scripts/gen_ocsvm_reference.py`): on cardio, wbc, glass, satimage-2,
//! mnist and shuttle, train = rows with index % 5 in {0, 1, 2}, test = the
//! rest, standardised with a scaler fit on train, default parameters. For
//! test scores (`decision_function`) and training scores
//! (`decision_scores_`): the first 300 values and the sum, sum of squares,
//! min and max over all values agree to a relative 1e-4
//! (`|a − b| <= 1e-4 · max(1, |b|)`); ρ (`offset_`) and the sum of the dual
//! coefficients agree to the same tolerance, and the test ROC-AUC within
//! 1e-6. The number of support vectors and solver iterations are printed
//! next to libsvm's (the port takes the same path, so they match; they are
//! not asserted, since a one-ulp difference in a kernel value may
//! legitimately change the path without changing the scores beyond tol).
//!
//! Fit times (wall-clock and process CPU, anml's and scikit-learn's from
//! the fixture) are printed for information, never asserted.
//!
//! shuttle (29,459 training rows) takes a while in the dev profile; it runs
//! with the others (`cargo test --release --test ocsvm_parity` is faster).
//!
//! The datasets come from the mirror `ANML_DATA_MIRROR`, else
//! `../shared/datasets` next to the crate; nothing is downloaded.

mod common;

use anml::detectors::ocsvm::OcsvmParams;
use anml::detectors::{Detector, DetectorParams, Model};
use ndarray::Array1;
use serde_json::Value;
use std::time::Instant;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TOLERANCE: f64 = 1e-4;
const AUC_TOLERANCE: f64 = 1e-6;

/// CPU time of this process (all threads) in seconds, from
/// `/proc/self/stat` (utime + stime at Linux's usual 100 ticks/s); `None`
/// where that file does not exist. Only printed, never asserted: run with
/// `--test-threads=1` for a per-dataset figure.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("fixture has no number `{key}`"))
}

/// Largest relative error of `got` against the stored summary `want`.
fn compare(what: &str, got: &Array1<f64>, want: &Value) -> f64 {
    let first = want["first"].as_array().expect("fixture has `first`");
    assert!(got.len() >= first.len(), "{what}: too few scores");
    let mut worst = 0.0f64;
    let mut check = |label: String, a: f64, b: f64| {
        let e = rel_err(a, b);
        assert!(
            e <= TOLERANCE,
            "{what} {label}: anml {a} vs PyOD {b} (relative error {e:.3e})"
        );
        worst = worst.max(e);
    };
    for (i, (a, b)) in got.iter().zip(first).enumerate() {
        check(format!("score {i}"), *a, b.as_f64().expect("number"));
    }
    let sum: f64 = got.sum();
    let sum_sq: f64 = got.iter().map(|v| v * v).sum();
    let min = got.iter().copied().fold(f64::INFINITY, f64::min);
    let max = got.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (label, a) in [("sum", sum), ("sum_sq", sum_sq), ("min", min), ("max", max)] {
        check(label.to_string(), a, num(want, label));
    }
    worst
}

fn check_dataset(name: &str) -> TestResult {
    let reference = common::fixture("ocsvm/pyod_reference.json");
    let want = &reference["datasets"][name];
    let data = common::modulo_split(name)?;
    assert_eq!(
        data.x_train.nrows() as u64,
        want["n_train"].as_u64().unwrap_or(0)
    );
    assert_eq!(
        data.x_test.nrows() as u64,
        want["n_test"].as_u64().unwrap_or(0)
    );

    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let fit = OcsvmParams::default().fit(data.x_train.view())?;
    let fit_time = start.elapsed();
    let fit_cpu = cpu_seconds().zip(cpu_start).map(|(b, a)| b - a);
    let start = Instant::now();
    let test_scores = fit.model.score_samples(data.x_test.view());
    let score_time = start.elapsed();
    let m = &fit.model;
    assert!(m.converged(), "{name}: solver hit max_iter");

    let rho_err = rel_err(m.rho(), num(want, "rho"));
    assert!(
        rho_err <= TOLERANCE,
        "{name}: rho {} vs {}",
        m.rho(),
        num(want, "rho")
    );
    let coef_sum = m.dual_coef().sum();
    let coef_err = rel_err(coef_sum, num(want, "dual_coef_sum"));
    assert!(coef_err <= TOLERANCE, "{name}: sum alpha {coef_sum}");

    let e_test = compare(&format!("{name} test"), &test_scores, &want["test"]);
    let e_train = compare(&format!("{name} train"), &fit.train_scores, &want["train"]);
    let auc = anml::metrics::roc_auc(data.y_test.view(), test_scores.view())?;
    let want_auc = num(want, "test_roc_auc");
    assert!(
        (auc - want_auc).abs() <= AUC_TOLERANCE,
        "{name}: ROC-AUC {auc} vs PyOD {want_auc}"
    );
    // The public path gives the same bits (checked where it is cheap).
    if data.x_train.nrows() < 5000 {
        let fitted = Detector::new("ocsvm", &serde_json::Map::new())?.fit(data.x_train.view())?;
        let via_api = fitted.score_samples(data.x_test.view())?;
        assert!(
            via_api
                .iter()
                .zip(&test_scores)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{name}: Detector API scores differ from the params path"
        );
    }
    eprintln!(
        "{name:11}: max rel err test {e_test:.2e} train {e_train:.2e} rho {rho_err:.2e}; \
         nSV {} (libsvm {}), iter {} (libsvm {}); ROC-AUC {auc:.6} (PyOD {want_auc:.6}); \
         fit {fit_time:.2?} (sklearn {:.2}s), fit CPU {} (sklearn {:.2}s), score {score_time:.2?}",
        m.dual_coef().len(),
        want["n_support"],
        m.n_iter(),
        want["n_iter"],
        num(want, "fit_seconds"),
        fit_cpu.map_or("n/a".to_string(), |c| format!("{c:.2}s")),
        num(want, "fit_cpu_seconds"),
    );
    Ok(())
}

#[test]
fn cardio_matches_pyod() -> TestResult {
    check_dataset("cardio")
}

#[test]
fn wbc_matches_pyod() -> TestResult {
    check_dataset("wbc")
}

#[test]
fn glass_matches_pyod() -> TestResult {
    check_dataset("glass")
}

#[test]
fn satimage2_matches_pyod() -> TestResult {
    check_dataset("satimage-2")
}

#[test]
fn mnist_matches_pyod() -> TestResult {
    check_dataset("mnist")
}

#[test]
fn shuttle_matches_pyod() -> TestResult {
    check_dataset("shuttle")
}
