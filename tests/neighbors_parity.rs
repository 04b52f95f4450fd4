//! Parity of anml's `knn`, `avg_knn`, `med_knn` and `lof` with PyOD 3.6.7's
//! `KNN(method='largest' | 'mean' | 'median')` and `LOF()` (scikit-learn's
//! `LocalOutlierFactor(novelty=True)`).
//!
//! Nothing is random, so scores are compared value by value against
//! `tests/fixtures/neighbors/pyod_reference.json` (written by
//! `scripts/gen_neighbors_reference.py`): on cardio, wbc, glass, satimage-2,
//! shuttle and mnist, train = rows with index % 5 in {0, 1, 2}, test = the
//! rest, standardised with a scaler fit on train. For test scores
//! (`decision_function`) and training scores (`decision_scores_`): the first
//! 300 values and the sum, sum of squares, min and max over all values agree
//! to a relative 1e-6 (`|a − b| <= 1e-6 · max(1, |b|)`), and the test ROC-AUC
//! equals PyOD's within 1e-9.
//!
//! Exception, shuttle's `lof`: its integer-valued features give many exactly
//! equidistant neighbours at the k-th position, and LOF's lrd depends on
//! *which* tied row is a neighbour (distances, hence the k-NN detectors, do
//! not). scikit-learn's choice depends on its search (`LOF()` uses a KD-tree
//! for d <= 15 and keeps whichever tied row its traversal meets first;
//! `LOF(algorithm='brute')` ranks by GEMM-rounded distances), and those two
//! references disagree on about a third of the rows. anml keeps the lower
//! training index among exactly equal distances: reproducible, but a third
//! choice. So for shuttle's `lof` the test asserts that >= 60% of the stored
//! scores agree to 1e-6 with each reference (observed ~82% with `LOF()`,
//! ~64% with the brute one) and the ROC-AUC within 1e-3 (observed 5e-5).
//! On the other datasets `lof` matches both references to 1e-6.
//!
//! The datasets come from the mirror `ANML_DATA_MIRROR`, else
//! `../shared/datasets` next to the crate; nothing is downloaded.

mod common;

use common::TestResult;

use anml::detectors::knn::{AvgKnnParams, KnnParams, MedKnnParams};
use anml::detectors::lof::LofParams;
use anml::detectors::{DetectorParams, Model};
use ndarray::Array1;
use serde_json::Value;
use std::time::{Duration, Instant};

const DETECTORS: [&str; 4] = ["knn", "avg_knn", "med_knn", "lof"];
const TOLERANCE: f64 = 1e-6;
const AUC_TOLERANCE: f64 = 1e-9;
/// Scores against PyOD's.
const SCORES: common::Summary = common::Summary::new("PyOD", TOLERANCE);
/// Shuttle LOF only (see [`check_tied_lof`]).
const MIN_TIED_FRACTION: f64 = 0.6;
const TIED_AUC_TOLERANCE: f64 = 1e-3;

fn check_dataset(name: &str) -> TestResult {
    let reference = common::fixture("neighbors/pyod_reference.json");
    let want = &reference["datasets"][name];
    let data = common::split_as_stored(name, want)?;
    for det_name in DETECTORS {
        let Run {
            train_scores,
            test_scores,
            fit_time,
            score_time,
        } = run_named(det_name, &data)?;
        common::assert_api_scores_match(
            det_name,
            &data,
            &test_scores,
            &format!("{name}/{det_name}"),
        )?;
        if det_name == "lof" && name == "shuttle" {
            check_tied_lof(name, &want["detectors"], &data, &test_scores, &train_scores)?;
            continue;
        }
        let w = &want["detectors"][det_name];
        let e_test = SCORES.compare(&format!("{name}/{det_name} test"), &test_scores, &w["test"]);
        let e_train = SCORES.compare(
            &format!("{name}/{det_name} train"),
            &train_scores,
            &w["train"],
        );
        let auc = anml::metrics::roc_auc(data.y_test.view(), test_scores.view())?;
        let want_auc = w["test_roc_auc"]
            .as_f64()
            .expect("fixture has test_roc_auc");
        assert!(
            (auc - want_auc).abs() <= AUC_TOLERANCE,
            "{name}/{det_name}: ROC-AUC {auc} vs PyOD {want_auc}"
        );
        eprintln!(
            "{name:11} {det_name:8}: max rel err test {e_test:.2e} train {e_train:.2e}; \
             ROC-AUC {auc:.6} (PyOD {want_auc:.6}); fit {fit_time:.2?}, score {score_time:.2?}"
        );
        if det_name == "lof" {
            // Where no neighbour ties matter, brute force and KD-tree agree too.
            let w = &want["detectors"]["lof_brute"];
            SCORES.compare(&format!("{name}/lof_brute test"), &test_scores, &w["test"]);
            SCORES.compare(
                &format!("{name}/lof_brute train"),
                &train_scores,
                &w["train"],
            );
        }
    }
    Ok(())
}

/// Fraction of the stored first scores within the tolerance.
fn fraction_close(got: &Array1<f64>, want: &Value) -> f64 {
    let first = want["first"].as_array().expect("fixture has `first`");
    let ok = got
        .iter()
        .zip(first)
        .filter(|(a, b)| common::rel_err(**a, b.as_f64().unwrap_or(f64::NAN)) <= TOLERANCE)
        .count();
    ok as f64 / first.len() as f64
}

/// Shuttle's LOF: exact ties between distinct neighbours at the k-th
/// position make scikit-learn's choice of neighbour depend on its search
/// (KD-tree traversal for `LOF()`, GEMM rounding for `algorithm='brute'`), and
/// the two references disagree with each other on about a third of the
/// rows. anml's choice (lower index) is a third, reproducible one, so only
/// the bulk of the scores and the ranking are compared.
fn check_tied_lof(
    name: &str,
    want: &Value,
    data: &common::ModuloSplit,
    test_scores: &Array1<f64>,
    train_scores: &Array1<f64>,
) -> TestResult {
    let auc = anml::metrics::roc_auc(data.y_test.view(), test_scores.view())?;
    for key in ["lof", "lof_brute"] {
        let w = &want[key];
        let f_test = fraction_close(test_scores, &w["test"]);
        let f_train = fraction_close(train_scores, &w["train"]);
        let want_auc = w["test_roc_auc"]
            .as_f64()
            .expect("fixture has test_roc_auc");
        eprintln!(
            "{name:11} lof vs PyOD {key}: {:.1}% of test and {:.1}% of train scores within \
             1e-6; ROC-AUC {auc:.6} (PyOD {want_auc:.6})",
            100.0 * f_test,
            100.0 * f_train
        );
        assert!(
            f_test >= MIN_TIED_FRACTION && f_train >= MIN_TIED_FRACTION,
            "{name}/{key}"
        );
        assert!(
            (auc - want_auc).abs() <= TIED_AUC_TOLERANCE,
            "{name}/{key}: {auc} vs {want_auc}"
        );
    }
    Ok(())
}

/// Training scores (`decision_scores_`, which `FittedDetector` does not
/// expose), test scores, fit time and scoring time, through the params type.
struct Run {
    train_scores: Array1<f64>,
    test_scores: Array1<f64>,
    fit_time: Duration,
    score_time: Duration,
}

fn run<P: DetectorParams>(
    p: P,
    data: &common::ModuloSplit,
) -> Result<Run, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let fit = p.fit(data.x_train.view())?;
    let fit_time = start.elapsed();
    let start = Instant::now();
    let test_scores = fit.model.score_samples(data.x_test.view());
    Ok(Run {
        train_scores: fit.train_scores,
        test_scores,
        fit_time,
        score_time: start.elapsed(),
    })
}

fn run_named(
    det_name: &str,
    data: &common::ModuloSplit,
) -> Result<Run, Box<dyn std::error::Error>> {
    match det_name {
        "knn" => run(KnnParams::default(), data),
        "avg_knn" => run(AvgKnnParams::default(), data),
        "med_knn" => run(MedKnnParams::default(), data),
        "lof" => run(LofParams::default(), data),
        other => Err(format!("unknown detector {other}").into()),
    }
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
