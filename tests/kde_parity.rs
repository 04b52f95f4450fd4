//! Parity of anml's `kde` with PyOD 3.6.7's `KDE()` (scikit-learn's
//! `KernelDensity(kernel='gaussian', bandwidth=1)`) and with the exact sum.
//!
//! Against `tests/fixtures/kde/reference.json` (written by
//! `scripts/gen_density_reference.py`), on cardio, wbc, glass, satimage-2,
//! shuttle and mnist with the fixed modulo split (train = rows with index
//! % 5 in {0, 1, 2}, standardised on train), for test scores
//! (`decision_function`) and training scores (`decision_scores_`):
//!
//! * **exact**: the first 300 scores and the sum, sum of squares, min and
//!   max over all scores equal the directly summed `−ln p(x)` (direct
//!   differences + `scipy.special.logsumexp`) to a relative 1e-9, and the
//!   test ROC-AUC within 1e-9;
//! * **PyOD**: every stored score agrees to a relative 1e-6
//!   (`|a − b| <= 1e-6 · max(1, |b|)`), except the rows the fixture lists
//!   under `pyod_off`: rows far from every training row where
//!   scikit-learn's tree leaves a cancellation residual bigger than the
//!   true density (the generator confirms the exact value there with an
//!   extended-precision sum). On those rows anml's score must be *higher*
//!   than PyOD's (scikit-learn over-estimates the density). Where a part
//!   (test or train) has no such row its aggregates and ROC-AUC are
//!   compared with PyOD too (1e-6, 1e-9).
//!
//! The datasets come from the mirror `ANML_DATA_MIRROR`, else
//! `../shared/datasets` next to the crate; nothing is downloaded.

mod common;

use common::TestResult;

use anml::detectors::kde::KdeParams;
use anml::detectors::{DetectorParams, Model};
use serde_json::Value;
use std::time::Instant;

const PYOD_TOLERANCE: f64 = 1e-6;
const EXACT_TOLERANCE: f64 = 1e-9;
const AUC_TOLERANCE: f64 = 1e-9;
/// Scores against the exact sum.
const EXACT: common::Summary = common::Summary::new("exact", EXACT_TOLERANCE);
/// Scores against PyOD's; rows listed under `pyod_off` are skipped (and
/// with them the aggregates) by setting `skip`.
const PYOD: common::Summary = common::Summary::new("PyOD", PYOD_TOLERANCE);

fn rows(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("row list")
        .iter()
        .map(|i| i.as_u64().expect("row index") as usize)
        .collect()
}

fn check_dataset(name: &str) -> TestResult {
    let reference = common::fixture("kde/reference.json");
    let want = &reference["datasets"][name];
    let data = common::split_as_stored(name, want)?;

    let start = Instant::now();
    let fit = KdeParams::default().fit(data.x_train.view())?;
    let fit_time = start.elapsed();
    let start = Instant::now();
    let test = fit.model.score_samples(data.x_test.view());
    let score_time = start.elapsed();
    let train = fit.train_scores;
    common::assert_api_scores_match("kde", &data, &test, name)?;

    let auc = anml::metrics::roc_auc(data.y_test.view(), test.view())?;
    // The exact sum.
    let ex = &want["exact"];
    let e_test = EXACT.compare(&format!("{name}/kde test (exact)"), &test, &ex["test"]);
    let e_train = EXACT.compare(&format!("{name}/kde train (exact)"), &train, &ex["train"]);
    let exact_auc = common::num(&ex["test_roc_auc"]);
    assert!(
        (auc - exact_auc).abs() <= AUC_TOLERANCE,
        "{name}: ROC-AUC {auc} vs exact {exact_auc}"
    );

    // PyOD, except where its tree's residual is documented.
    let py = &want["pyod"];
    let off_test = rows(&want["pyod_off"]["test"]);
    let off_train = rows(&want["pyod_off"]["train"]);
    let p_test = common::Summary {
        skip: &off_test,
        ..PYOD
    }
    .compare(&format!("{name}/kde test (PyOD)"), &test, &py["test"]);
    let p_train = common::Summary {
        skip: &off_train,
        ..PYOD
    }
    .compare(&format!("{name}/kde train (PyOD)"), &train, &py["train"]);
    for (part, got, off) in [("test", &test, &off_test), ("train", &train, &off_train)] {
        let first = py[part]["first"].as_array().expect("first");
        for &i in off.iter().filter(|&&i| i < first.len()) {
            let b = common::num(&first[i]);
            assert!(
                got[i] > b,
                "{name} {part} row {i}: anml {} should exceed PyOD {b}",
                got[i]
            );
            eprintln!(
                "{name:11} {part} row {i}: anml {:.6} (exact), PyOD {b:.6}",
                got[i]
            );
        }
    }
    let pyod_auc = common::num(&py["test_roc_auc"]);
    if off_test.is_empty() {
        assert!(
            (auc - pyod_auc).abs() <= AUC_TOLERANCE,
            "{name}: ROC-AUC {auc} vs PyOD {pyod_auc}"
        );
    }
    eprintln!(
        "{name:11} kde: max rel err vs exact test {e_test:.2e} train {e_train:.2e}; vs PyOD \
         test {p_test:.2e} train {p_train:.2e} ({} test / {} train rows off in PyOD); ROC-AUC \
         {auc:.6} (PyOD {pyod_auc:.6}); fit+train scores {fit_time:.2?}, test scores {score_time:.2?}",
        off_test.len(),
        off_train.len()
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
fn shuttle_matches_pyod() -> TestResult {
    check_dataset("shuttle")
}

#[test]
fn mnist_matches_pyod() -> TestResult {
    check_dataset("mnist")
}
