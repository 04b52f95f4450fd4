//! Parity of anml's `gmm` with PyOD 3.6.7's `GMM` (scikit-learn's
//! `GaussianMixture`).
//!
//! Against `tests/fixtures/gmm/reference.json` (written by
//! `scripts/gen_density_reference.py`), on the fixed modulo split (train =
//! rows with index % 5 in {0, 1, 2}, standardised on train):
//!
//! * `GMM()` (one full-covariance component, which does not depend on the
//!   randomness) on cardio, wbc, glass, satimage-2, shuttle and mnist: the
//!   first 300 test scores (`decision_function`) and training scores
//!   (`decision_scores_`) and the sum, sum of squares, min and max over all
//!   of them agree to a relative 1e-6 (`|a − b| <= 1e-6 · max(1, |b|)`); the
//!   test ROC-AUC within 1e-9.
//! * `GMM(n_components=k, random_state=0)` on cardio (k = 3), wbc (k = 2)
//!   and satimage-2 (k = 4): anml's `fit_from_labels`, started from the
//!   k-means labels scikit-learn's initialisation produced (stored in the
//!   fixture), reaches the same mixture: same iteration count and
//!   convergence flag, weights and lower bound to 1e-6, and scores as above.
//!   (anml's own k-means draws from ChaCha8, so its default path is not
//!   compared value by value.)
//!
//! The datasets come from the mirror `ANML_DATA_MIRROR`, else
//! `../shared/datasets` next to the crate; nothing is downloaded.

mod common;

use common::TestResult;

use anml::detectors::gmm::{GmmParams, fit_from_labels};
use anml::detectors::{DetectorParams, Model};
use ndarray::Array1;
use serde_json::Value;

const TOLERANCE: f64 = 1e-6;
const AUC_TOLERANCE: f64 = 1e-9;
/// Scores against PyOD's.
const SCORES: common::Summary = common::Summary::new("PyOD", TOLERANCE);

fn check_scores(
    what: &str,
    data: &common::ModuloSplit,
    test: &Array1<f64>,
    train: &Array1<f64>,
    want: &Value,
) -> TestResult {
    let e_test = SCORES.compare(&format!("{what} test"), test, &want["test"]);
    let e_train = SCORES.compare(&format!("{what} train"), train, &want["train"]);
    let auc = anml::metrics::roc_auc(data.y_test.view(), test.view())?;
    let want_auc = common::num(&want["test_roc_auc"]);
    assert!(
        (auc - want_auc).abs() <= AUC_TOLERANCE,
        "{what}: ROC-AUC {auc} vs PyOD {want_auc}"
    );
    eprintln!(
        "{what:22}: max rel err test {e_test:.2e} train {e_train:.2e}; ROC-AUC {auc:.6} \
         (PyOD {want_auc:.6})"
    );
    Ok(())
}

fn check_dataset(name: &str) -> TestResult {
    let reference = common::fixture("gmm/reference.json");
    let want = &reference["datasets"][name];
    let data = common::split_as_stored(name, want)?;

    // PyOD's default: one component.
    let fit = GmmParams::default().fit(data.x_train.view())?;
    assert!(fit.model.converged() && fit.model.n_iter() == 2);
    let test = fit.model.score_samples(data.x_test.view());
    check_scores(
        &format!("{name}/gmm"),
        &data,
        &test,
        &fit.train_scores,
        &want["pyod"],
    )?;

    // k components from scikit-learn's own k-means labels.
    let fl = &want["from_labels"];
    if fl.is_null() {
        return Ok(());
    }
    let k = fl["n_components"].as_u64().expect("n_components") as usize;
    let labels: Vec<usize> = fl["labels"]
        .as_str()
        .expect("labels")
        .bytes()
        .map(|b| usize::from(b - b'0'))
        .collect();
    let p = GmmParams {
        n_components: k,
        ..GmmParams::default()
    };
    let model = fit_from_labels(data.x_train.view(), &labels, &p)?;
    assert_eq!(
        model.n_iter() as u64,
        fl["n_iter"].as_u64().unwrap_or(0),
        "{name}: n_iter"
    );
    assert_eq!(
        Some(model.converged()),
        fl["converged"].as_bool(),
        "{name}: converged"
    );
    let lb = common::num(&fl["lower_bound"]);
    assert!(
        common::rel_err(model.lower_bound(), lb) <= TOLERANCE,
        "{name}: lower bound {} vs {lb}",
        model.lower_bound()
    );
    for (a, b) in model
        .weights()
        .iter()
        .zip(fl["weights"].as_array().expect("weights"))
    {
        assert!(
            (a - common::num(b)).abs() <= TOLERANCE,
            "{name}: weight {a} vs {b}"
        );
    }
    let test = model.score_samples(data.x_test.view());
    let train = model.score_samples(data.x_train.view());
    check_scores(
        &format!("{name}/gmm k={k} (labels)"),
        &data,
        &test,
        &train,
        fl,
    )
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
fn shuttle_matches_pyod() -> TestResult {
    check_dataset("shuttle")
}

#[test]
fn mnist_matches_pyod() -> TestResult {
    check_dataset("mnist")
}
