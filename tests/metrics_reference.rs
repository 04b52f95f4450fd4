//! anml's metrics against scikit-learn / PyOD reference values.
//!
//! The fixtures in `tests/fixtures/metrics/` were written by
//! `scripts/gen_metric_fixtures.py` (which records the library versions in
//! each file); this test needs no Python.

use anml::metrics::{self, MetricError};
use ndarray::Array1;
use serde::Deserialize;
use std::path::{Path, PathBuf};

const TOLERANCE: f64 = 1e-12;

#[derive(Debug, Deserialize)]
struct Fixture {
    case: String,
    versions: serde_json::Map<String, serde_json::Value>,
    n: usize,
    n_anomalies: usize,
    y: Vec<u8>,
    scores: Vec<f64>,
    #[serde(default)]
    expected: Option<Expected>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Expected {
    roc_auc: f64,
    pr_auc: f64,
    /// `None` stands for `+inf` (JSON has no infinity).
    youden_threshold: Option<f64>,
    f1_at_youden: f64,
    precision_at_n: f64,
    roc_curve: RocPoints,
    pr_curve: PrPoints,
}

/// `sklearn.metrics.roc_curve` output; `None` thresholds stand for `+inf`.
#[derive(Debug, Deserialize)]
struct RocPoints {
    fpr: Vec<f64>,
    tpr: Vec<f64>,
    thresholds: Vec<Option<f64>>,
}

/// `sklearn.metrics.precision_recall_curve` output.
#[derive(Debug, Deserialize)]
struct PrPoints {
    precision: Vec<f64>,
    recall: Vec<f64>,
    thresholds: Vec<f64>,
}

fn assert_all_close(case: &str, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{case}: {what} length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert_close(case, &format!("{what}[{i}]"), g, w);
    }
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics")
}

fn load_fixtures() -> Vec<Fixture> {
    let dir = fixture_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            let f: Fixture = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("parsing {}: {e}", p.display()));
            assert_eq!(f.y.len(), f.n, "{}: n", f.case);
            assert_eq!(f.scores.len(), f.n, "{}: n", f.case);
            assert_eq!(
                f.y.iter().filter(|&&v| v != 0).count(),
                f.n_anomalies,
                "{}: n_anomalies",
                f.case
            );
            for lib in ["numpy", "scikit-learn", "pyod"] {
                assert!(f.versions.contains_key(lib), "{}: no {lib} version", f.case);
            }
            f
        })
        .collect()
}

fn assert_close(case: &str, metric: &str, got: f64, want: f64) {
    let diff = (got - want).abs();
    assert!(
        diff <= TOLERANCE,
        "{case}: {metric} = {got:?}, sklearn/PyOD = {want:?} (|diff| = {diff:e})"
    );
}

#[test]
fn fixtures_cover_the_required_cases() {
    let names: Vec<String> = load_fixtures().into_iter().map(|f| f.case).collect();
    for required in [
        "cardio_iforest",
        "wbc_distance",
        "glass_distance",
        "heavy_ties",
        "all_tied",
        "perfect",
        "inverted",
        "minimal_separated",
        "minimal_inverted",
        "minimal_tied",
        "one_class_normal",
        "one_class_anomaly",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "missing fixture {required}"
        );
    }
}

#[test]
fn every_metric_matches_the_reference() {
    let mut checked = 0;
    for f in load_fixtures() {
        let Some(want) = &f.expected else { continue };
        let y = Array1::from(f.y.clone());
        let s = Array1::from(f.scores.clone());
        let case = f.case.as_str();
        let want_threshold = want.youden_threshold.unwrap_or(f64::INFINITY);

        let roc = metrics::roc_auc(y.view(), s.view()).expect("roc_auc");
        assert_close(case, "roc_auc", roc, want.roc_auc);
        let ap = metrics::pr_auc(y.view(), s.view()).expect("pr_auc");
        assert_close(case, "pr_auc", ap, want.pr_auc);
        let youden = metrics::f1_at_youden(y.view(), s.view()).expect("f1_at_youden");
        assert_close(case, "f1_at_youden", youden.f1, want.f1_at_youden);
        if want_threshold.is_infinite() {
            assert_eq!(youden.threshold, f64::INFINITY, "{case}: youden threshold");
        } else {
            assert_close(case, "youden threshold", youden.threshold, want_threshold);
        }
        let p_at_n = metrics::precision_at_n(y.view(), s.view()).expect("precision_at_n");
        assert_close(case, "precision_at_n", p_at_n, want.precision_at_n);

        // the scorecard is the same numbers, bit for bit
        let card = metrics::scorecard(y.view(), s.view()).expect("scorecard");
        assert_eq!(card.roc_auc.to_bits(), roc.to_bits(), "{case}");
        assert_eq!(card.pr_auc.to_bits(), ap.to_bits(), "{case}");
        assert_eq!(card.f1.to_bits(), youden.f1.to_bits(), "{case}");
        assert_eq!(
            card.threshold.to_bits(),
            youden.threshold.to_bits(),
            "{case}"
        );
        assert_eq!(card.precision_at_n.to_bits(), p_at_n.to_bits(), "{case}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} two-class fixtures");
}

#[test]
fn curves_match_the_reference_points() {
    let mut checked = 0;
    for f in load_fixtures() {
        let Some(want) = &f.expected else { continue };
        let y = Array1::from(f.y.clone());
        let s = Array1::from(f.scores.clone());
        let case = f.case.as_str();

        let roc = metrics::roc_curve(y.view(), s.view()).expect("roc_curve");
        assert_all_close(case, "roc fpr", &roc.fpr, &want.roc_curve.fpr);
        assert_all_close(case, "roc tpr", &roc.tpr, &want.roc_curve.tpr);
        let thresholds: Vec<f64> = want
            .roc_curve
            .thresholds
            .iter()
            .map(|t| t.unwrap_or(f64::INFINITY))
            .collect();
        assert_eq!(
            roc.thresholds.len(),
            thresholds.len(),
            "{case}: roc thresholds"
        );
        for (g, w) in roc.thresholds.iter().zip(&thresholds) {
            assert!(
                g == w || (g - w).abs() <= TOLERANCE,
                "{case}: threshold {g} vs {w}"
            );
        }

        let pr = metrics::precision_recall_curve(y.view(), s.view()).expect("pr curve");
        assert_all_close(case, "precision", &pr.precision, &want.pr_curve.precision);
        assert_all_close(case, "recall", &pr.recall, &want.pr_curve.recall);
        assert_all_close(
            case,
            "pr thresholds",
            &pr.thresholds,
            &want.pr_curve.thresholds,
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} two-class fixtures");
}

#[test]
fn one_class_fixtures_are_refused() {
    let mut checked = 0;
    for f in load_fixtures() {
        let Some(error) = &f.error else { continue };
        assert_eq!(error, "one_class", "{}: unknown expected error", f.case);
        let y = Array1::from(f.y.clone());
        let s = Array1::from(f.scores.clone());
        let label = u8::from(f.n_anomalies == f.n);
        let want = MetricError::OneClass { label, n: f.n };
        assert_eq!(
            metrics::roc_auc(y.view(), s.view()),
            Err(want.clone()),
            "{}",
            f.case
        );
        assert_eq!(
            metrics::pr_auc(y.view(), s.view()),
            Err(want.clone()),
            "{}",
            f.case
        );
        assert_eq!(
            metrics::f1_at_youden(y.view(), s.view()),
            Err(want.clone()),
            "{}",
            f.case
        );
        assert_eq!(
            metrics::precision_at_n(y.view(), s.view()),
            Err(want.clone()),
            "{}",
            f.case
        );
        assert_eq!(
            metrics::scorecard(y.view(), s.view()),
            Err(want),
            "{}",
            f.case
        );
        checked += 1;
    }
    assert_eq!(
        checked, 2,
        "expected the all-normal and all-anomaly fixtures"
    );
}

#[test]
fn invalid_input_gives_its_error() {
    let y = Array1::from(vec![0u8, 1, 0]);
    let s = Array1::from(vec![0.1, 0.2]);
    let e = metrics::roc_auc(y.view(), s.view());
    assert_eq!(
        e,
        Err(MetricError::LengthMismatch {
            labels: 3,
            scores: 2
        })
    );

    let empty_y = Array1::<u8>::zeros(0);
    let empty_s = Array1::<f64>::zeros(0);
    assert_eq!(
        metrics::pr_auc(empty_y.view(), empty_s.view()),
        Err(MetricError::Empty)
    );

    let s = Array1::from(vec![0.1, f64::NAN, 0.3]);
    match metrics::scorecard(y.view(), s.view()) {
        Err(MetricError::NonFinite { index: 1, value }) => assert!(value.is_nan()),
        other => panic!("expected NonFinite at index 1, got {other:?}"),
    }
    let s = Array1::from(vec![0.1, 0.2, f64::NEG_INFINITY]);
    assert_eq!(
        metrics::precision_at_n(y.view(), s.view()),
        Err(MetricError::NonFinite {
            index: 2,
            value: f64::NEG_INFINITY
        })
    );
}

#[test]
fn registry_lists_every_metric() {
    let names: Vec<&str> = metrics::METRICS.iter().map(|m| m.name).collect();
    assert_eq!(
        names,
        ["roc_auc", "pr_auc", "f1_at_youden", "precision_at_n"]
    );
    assert!(
        metrics::METRICS
            .iter()
            .all(|m| m.higher_is_better && !m.summary.is_empty())
    );
}
