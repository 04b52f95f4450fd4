//! Parity of anml's `pca` (Shyu et al. 2003's principal-component score)
//! with the same score computed from scikit-learn 1.9.1's
//! `PCA(svd_solver="full")` (`components_`, `explained_variance_`), stored
//! in `tests/fixtures/pca/reference.json` by `scripts/gen_linalg_reference.py`.
//!
//! On cardio, wbc, glass, vertebral, pima, satimage-2, shuttle and mnist
//! (train = rows with index % 5 in {0, 1, 2}, test = the rest, standardised
//! on train): the number of kept components is equal; the first 300 test and
//! training scores and the sum, sum of squares, min and max over all of them
//! agree to a relative 1e-6 (`|a − b| <= 1e-6 · max(1, |b|)`); the test
//! ROC-AUC within 1e-9. With `n_components = 0.9` and `3` the kept count and
//! the test scores agree too.
//!
//! PyOD 3.6.7's `PCA()` scores differently (distances to the eigenvectors
//! taken as points; see `src/detectors/pca/mod.rs`), so only its test
//! ROC-AUC is stored and printed beside anml's (mnist: PyOD's scores are
//! infinite, stored as null).

mod common;

use common::TestResult;

use anml::detectors::pca::{NComponents, PcaParams};
use anml::detectors::{DetectorParams, Model};

const TOLERANCE: f64 = 1e-6;
const AUC_TOLERANCE: f64 = 1e-9;
/// Scores against the sklearn-based reference.
const SCORES: common::Summary = common::Summary::new("reference", TOLERANCE);

fn check_dataset(name: &str) -> TestResult {
    let reference = common::fixture("pca/reference.json");
    let want = &reference["datasets"][name];
    let data = common::split_as_stored(name, want)?;
    let fit = PcaParams::default().fit(data.x_train.view())?;
    assert_eq!(
        fit.model.n_components() as u64,
        want["n_kept"].as_u64().unwrap_or(0),
        "{name}: kept components"
    );
    let test = fit.model.score_samples(data.x_test.view());
    let e_test = SCORES.compare(&format!("{name} test"), &test, &want["test"]);
    let e_train = SCORES.compare(&format!("{name} train"), &fit.train_scores, &want["train"]);
    let auc = anml::metrics::roc_auc(data.y_test.view(), test.view())?;
    let want_auc = want["test_roc_auc"].as_f64().expect("test_roc_auc");
    assert!(
        (auc - want_auc).abs() <= AUC_TOLERANCE,
        "{name}: {auc} vs {want_auc}"
    );
    for (label, nc) in [
        ("0.9", NComponents::fraction(0.9)),
        ("3", NComponents::count(3)),
    ] {
        let p = PcaParams {
            n_components: nc,
            ..PcaParams::default()
        };
        let f = p.fit(data.x_train.view())?;
        let w = &want["n_components"][label];
        assert_eq!(
            f.model.n_components() as u64,
            w["n_kept"].as_u64().unwrap_or(0),
            "{name}: kept components with n_components = {label}"
        );
        SCORES.compare(
            &format!("{name} n_components={label} test"),
            &f.model.score_samples(data.x_test.view()),
            &w["test"],
        );
    }
    let pyod = match want["pyod_pca_test_roc_auc"].as_f64() {
        Some(v) => format!("{v:.4}"),
        None => "non-finite scores".to_string(),
    };
    eprintln!(
        "{name:11} pca: {} components; max rel err test {e_test:.2e} train {e_train:.2e}; \
         ROC-AUC Shyu {auc:.4} (sklearn-based reference {want_auc:.4}), PyOD PCA {pyod}",
        fit.model.n_components()
    );
    Ok(())
}

#[test]
fn cardio_matches_reference() -> TestResult {
    check_dataset("cardio")
}

#[test]
fn wbc_matches_reference() -> TestResult {
    check_dataset("wbc")
}

#[test]
fn glass_matches_reference() -> TestResult {
    check_dataset("glass")
}

#[test]
fn vertebral_matches_reference() -> TestResult {
    check_dataset("vertebral")
}

#[test]
fn pima_matches_reference() -> TestResult {
    check_dataset("pima")
}

#[test]
fn satimage2_matches_reference() -> TestResult {
    check_dataset("satimage-2")
}

#[test]
fn shuttle_matches_reference() -> TestResult {
    check_dataset("shuttle")
}

#[test]
fn mnist_matches_reference() -> TestResult {
    check_dataset("mnist")
}
