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

use common::TestResult;

use anml::detectors::ocsvm::OcsvmParams;
use anml::detectors::{DetectorParams, Model};
use std::time::Instant;

const TOLERANCE: f64 = 1e-4;
const AUC_TOLERANCE: f64 = 1e-6;
/// Scores against PyOD's.
const SCORES: common::Summary = common::Summary::new("PyOD", TOLERANCE);

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

fn check_dataset(name: &str) -> TestResult {
    let reference = common::fixture("ocsvm/pyod_reference.json");
    let want = &reference["datasets"][name];
    let data = common::split_as_stored(name, want)?;

    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let fit = OcsvmParams::default().fit(data.x_train.view())?;
    let fit_time = start.elapsed();
    let fit_cpu = cpu_seconds().zip(cpu_start).map(|(b, a)| b - a);
    let start = Instant::now();
    let test_scores = fit.model.score_samples(data.x_test.view());
    let score_time = start.elapsed();
    let m = &fit.model;
    assert!(m.converged(), "{name}: solver hit max_iter");

    let rho_err = common::rel_err(m.rho(), common::num(&want["rho"]));
    assert!(
        rho_err <= TOLERANCE,
        "{name}: rho {} vs {}",
        m.rho(),
        common::num(&want["rho"])
    );
    let coef_sum = m.dual_coef().sum();
    let coef_err = common::rel_err(coef_sum, common::num(&want["dual_coef_sum"]));
    assert!(coef_err <= TOLERANCE, "{name}: sum alpha {coef_sum}");

    let e_test = SCORES.compare(&format!("{name} test"), &test_scores, &want["test"]);
    let e_train = SCORES.compare(&format!("{name} train"), &fit.train_scores, &want["train"]);
    let auc = anml::metrics::roc_auc(data.y_test.view(), test_scores.view())?;
    let want_auc = common::num(&want["test_roc_auc"]);
    assert!(
        (auc - want_auc).abs() <= AUC_TOLERANCE,
        "{name}: ROC-AUC {auc} vs PyOD {want_auc}"
    );
    common::assert_api_scores_match("ocsvm", &data, &test_scores, name)?;
    eprintln!(
        "{name:11}: max rel err test {e_test:.2e} train {e_train:.2e} rho {rho_err:.2e}; \
         nSV {} (libsvm {}), iter {} (libsvm {}); ROC-AUC {auc:.6} (PyOD {want_auc:.6}); \
         fit {fit_time:.2?} (sklearn {:.2}s), fit CPU {} (sklearn {:.2}s), score {score_time:.2?}",
        m.dual_coef().len(),
        want["n_support"],
        m.n_iter(),
        want["n_iter"],
        common::num(&want["fit_seconds"]),
        fit_cpu.map_or("n/a".to_string(), |c| format!("{c:.2}s")),
        common::num(&want["fit_cpu_seconds"]),
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
