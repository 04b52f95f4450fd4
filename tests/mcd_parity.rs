//! Parity of anml's `mcd` with PyOD 3.6.7's `MCD` (scikit-learn 1.9.1's
//! `MinCovDet`), against `tests/fixtures/mcd/reference.json` (written by
//! `scripts/gen_linalg_reference.py`; split: train = rows with index % 5 in
//! {0, 1, 2}, test = the rest, standardised on train).
//!
//! * χ² functions: anml's inverse CDF and CDF against scipy's `chi2.ppf`,
//!   `chi2.cdf` and `chi2.isf(0.025)` on a grid of degrees of freedom.
//! * Deterministic part: started from the raw support scikit-learn found
//!   (`MCD(random_state=0).raw_support_`) on wbc, glass, vertebral and
//!   cardio, the consistency correction, reweighting and Mahalanobis
//!   distances must equal scikit-learn's `correct_covariance` +
//!   `reweight_covariance` + `mahalanobis` from that support: location and
//!   covariance, the first 300 training/test scores and sum / sum of
//!   squares / min / max, all to a relative 1e-6.
//! * Stochastic part: anml draws its own random subsets (ChaCha8), so the
//!   full fit is compared by test ROC-AUC: the mean over anml seeds 0..4
//!   must be within 0.03 of the mean over PyOD `random_state` 0..4, on
//!   wbc, glass, vertebral, pima, cardio, satimage-2 and shuttle.

mod common;

use common::TestResult;

use anml::detectors::mcd::{McdParams, chi2_ppf_cdf, reweighted_from_support};
use anml::detectors::{DetectorParams, Model};

const TOLERANCE: f64 = 1e-6;
const AUC_GAP: f64 = 0.03;
/// Scores against scikit-learn's.
const SCORES: common::Summary = common::Summary::new("sklearn", TOLERANCE);

#[test]
fn chi2_matches_scipy() {
    let reference = common::fixture("mcd/reference.json");
    let rows = reference["chi2"].as_array().expect("chi2 table");
    assert!(rows.len() > 100);
    let mut worst = 0.0f64;
    for r in rows {
        let (df, p) = (common::num(&r["df"]), common::num(&r["p"]));
        let (ppf, _) = chi2_ppf_cdf(p, df, 0.0);
        let want = common::num(&r["ppf"]);
        let e = (ppf - want).abs() / want.abs().max(1e-300);
        assert!(
            e <= 1e-9,
            "chi2.ppf({p}, {df}) = {ppf} vs scipy {want} ({e:.2e})"
        );
        worst = worst.max(e);
        let (_, cdf) = chi2_ppf_cdf(0.5, df + 2.0, want);
        let want_cdf = common::num(&r["cdf_df_plus_2"]);
        let e = (cdf - want_cdf).abs() / want_cdf.abs().max(1e-300);
        assert!(
            e <= 1e-9,
            "chi2.cdf({want}, {}) = {cdf} vs scipy {want_cdf}",
            df + 2.0
        );
        let (isf, _) = chi2_ppf_cdf(0.975, df, 0.0);
        assert!(
            common::rel_err(isf, common::num(&r["isf_0_025"])) <= 1e-12,
            "isf df {df}"
        );
    }
    eprintln!(
        "chi2: worst relative error {worst:.2e} over {} cases",
        rows.len()
    );
}

fn check_deterministic(name: &str) -> TestResult {
    let reference = common::fixture("mcd/reference.json");
    let want = &reference["datasets"][name]["deterministic"];
    let data = common::modulo_split(name)?;
    let support: Vec<usize> = want["raw_support"]
        .as_array()
        .expect("raw_support")
        .iter()
        .map(|v| v.as_u64().expect("index") as usize)
        .collect();
    let (model, train) = reweighted_from_support(data.x_train.view(), &support)?;
    let mut worst = 0.0f64;
    for (label, got, w) in [
        (
            "location",
            model.location().iter().copied().collect::<Vec<_>>(),
            &want["location"],
        ),
        (
            "covariance",
            model.covariance().iter().copied().collect(),
            &want["covariance"],
        ),
    ] {
        let w = w.as_array().expect("array");
        assert_eq!(got.len(), w.len(), "{name} {label}");
        for (i, (a, b)) in got.iter().zip(w).enumerate() {
            let e = common::rel_err(*a, common::num(b));
            assert!(
                e <= TOLERANCE,
                "{name} {label}[{i}]: {a} vs {} ({e:.2e})",
                common::num(b)
            );
            worst = worst.max(e);
        }
    }
    let test = model.score_samples(data.x_test.view());
    worst = worst.max(SCORES.compare(&format!("{name} train"), &train, &want["train"]));
    worst = worst.max(SCORES.compare(&format!("{name} test"), &test, &want["test"]));
    eprintln!(
        "{name:11} mcd from sklearn's raw support ({} rows): max rel err {worst:.2e}",
        support.len()
    );
    Ok(())
}

#[test]
fn deterministic_part_matches_sklearn_wbc() -> TestResult {
    check_deterministic("wbc")
}

#[test]
fn deterministic_part_matches_sklearn_glass() -> TestResult {
    check_deterministic("glass")
}

#[test]
fn deterministic_part_matches_sklearn_vertebral() -> TestResult {
    check_deterministic("vertebral")
}

#[test]
fn deterministic_part_matches_sklearn_cardio() -> TestResult {
    check_deterministic("cardio")
}

fn check_auc(name: &str) -> TestResult {
    let reference = common::fixture("mcd/reference.json");
    let want = &reference["datasets"][name];
    let data = common::modulo_split(name)?;
    let mut aucs = Vec::new();
    let start = std::time::Instant::now();
    for seed in 0..5u64 {
        let fit = McdParams {
            support_fraction: None,
            seed,
        }
        .fit(data.x_train.view())?;
        let test = fit.model.score_samples(data.x_test.view());
        assert!(test.iter().all(|v| v.is_finite()));
        aucs.push(anml::metrics::roc_auc(data.y_test.view(), test.view())?);
    }
    let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
    let pyod = common::num(&want["pyod_mcd_mean_test_roc_auc"]);
    eprintln!(
        "{name:11} mcd ROC-AUC seeds 0-4 {aucs:.4?} mean {mean:.4} vs PyOD mean {pyod:.4} \
         (gap {:+.4}; {:.1?} for 5 fits)",
        mean - pyod,
        start.elapsed()
    );
    assert!(
        (mean - pyod).abs() <= AUC_GAP,
        "{name}: {mean} vs PyOD {pyod}"
    );
    Ok(())
}

#[test]
fn roc_auc_close_to_pyod_wbc() -> TestResult {
    check_auc("wbc")
}

#[test]
fn roc_auc_close_to_pyod_glass() -> TestResult {
    check_auc("glass")
}

#[test]
fn roc_auc_close_to_pyod_vertebral() -> TestResult {
    check_auc("vertebral")
}

#[test]
fn roc_auc_close_to_pyod_pima() -> TestResult {
    check_auc("pima")
}

#[test]
fn roc_auc_close_to_pyod_cardio() -> TestResult {
    check_auc("cardio")
}

#[test]
fn roc_auc_close_to_pyod_satimage2() -> TestResult {
    check_auc("satimage-2")
}

#[test]
fn roc_auc_close_to_pyod_shuttle() -> TestResult {
    check_auc("shuttle")
}
