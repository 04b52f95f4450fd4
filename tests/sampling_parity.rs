//! Parity of anml's `sampling` with PyOD 3.6.7's `Sampling` (over
//! scikit-learn 1.9.1's `DistanceMetric`).
//!
//! anml draws its subsample from ChaCha8, PyOD from numpy's MT19937, so whole
//! fits cannot agree row for row. The fixture
//! (`tests/fixtures/sampling/pyod_reference.json`, written by
//! `scripts/gen_sampling_reference.py`) holds PyOD's sampled indices, so the
//! deterministic rest is compared exactly:
//!
//! * given PyOD's indices, anml's training scores (`decision_scores_`, where
//!   sampled rows score exactly 0) and test scores (`decision_function`)
//!   agree to a *relative* 1e-10 (`|a − b| <= 1e-10 · |b|`, so PyOD's zeros
//!   must be anml's zeros), as do the sum, sum of squares, min and max over
//!   all scores, and the number of exact zeros is the same. Cases: PyOD's
//!   defaults (20 rows, Minkowski p = 2) and a fraction (`subset_size=0.05`)
//!   on every dataset; Manhattan, Chebyshev and Minkowski p = 3 on cardio.
//!
//! And the random whole statistically: anml's mean test ROC-AUC over its
//! seeds 0..39 is within max(0.03, 3 standard errors of the difference) of
//! PyOD's over its seeds 0..39 (a 20-row subsample makes single runs noisy:
//! sd 0.09 per seed on cardio, in PyOD as in anml).
//!
//! Data: ODDS cardio, wbc, satimage-2; train = rows with index % 5 in
//! {0, 1, 2}, test = the rest, standardised on train.

mod common;

use common::{TestResult, usizes};

use anml::detectors::sampling::{SamplingModel, SamplingParams, SubsetSize};
use anml::detectors::{DetectorParams, Model};
use ndarray::Array1;
use serde_json::Value;

const DATASETS: [&str; 3] = ["cardio", "wbc", "satimage-2"];
const REL_TOL: f64 = 1e-10;

/// `|a − b| / |b|`, 0 when both are 0 and infinite when only `b` is.
fn strict_rel_err(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / b.abs() }
}

/// Compare `got` with a stored summary (first scores, aggregates, count of
/// exact zeros) to a relative [`REL_TOL`]; returns the largest error.
fn compare(what: &str, got: &Array1<f64>, want: &Value) -> f64 {
    let mut worst = 0.0f64;
    let mut check = |label: String, a: f64, b: f64| {
        let e = strict_rel_err(a, b);
        assert!(
            e <= REL_TOL,
            "{what} {label}: anml {a:?} vs PyOD {b:?} (relative error {e:.3e})"
        );
        worst = worst.max(e);
    };
    let first = want["first"].as_array().expect("first");
    assert!(got.len() >= first.len(), "{what}: too few scores");
    for (i, (a, b)) in got.iter().zip(first).enumerate() {
        check(format!("score {i}"), *a, common::num(b));
    }
    let sum: f64 = got.sum();
    let sum_sq: f64 = got.iter().map(|v| v * v).sum();
    let min = got.iter().copied().fold(f64::INFINITY, f64::min);
    let max = got.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (label, a) in [("sum", sum), ("sum_sq", sum_sq), ("min", min), ("max", max)] {
        check(label.to_string(), a, common::num(&want[label]));
    }
    let zeros = got.iter().filter(|v| **v == 0.0).count() as u64;
    assert_eq!(
        zeros,
        want["n_zero"].as_u64().expect("n_zero"),
        "{what}: scores exactly 0"
    );
    worst
}

/// anml's parameters for a fixture case (PyOD's `subset_size`, `metric` and
/// `metric_params={"p": p}`).
fn params_of(case: &Value) -> SamplingParams {
    let subset_size = match &case["subset_size"] {
        v if v.is_u64() => SubsetSize::count(v.as_u64().expect("count")),
        v => SubsetSize::fraction(v.as_f64().expect("fraction")),
    };
    SamplingParams {
        subset_size,
        metric: case["metric"].as_str().expect("metric").to_string(),
        p: case["p"].as_f64().expect("p"),
        seed: 0,
    }
}

#[test]
fn scores_match_pyod_given_its_subsample() -> TestResult {
    let reference = common::fixture("sampling/pyod_reference.json");
    let mut checked = 0;
    for name in DATASETS {
        let want = &reference["datasets"][name];
        let data = common::split_as_stored(name, want)?;
        let n = data.x_train.nrows();
        for (case_name, case) in want["exact"].as_object().expect("exact cases") {
            let params = params_of(case);
            params.validate()?;
            let indices = usizes(&case["indices"]);
            // anml resolves the subsample size as PyOD did.
            assert_eq!(params.subset_rows(n), indices.len(), "{name} {case_name}");
            let (model, train) =
                SamplingModel::from_indices(data.x_train.view(), &indices, params.distance()?)?;
            let test = model.score_samples(data.x_test.view());
            let what = format!("{name} {case_name}");
            let e_train = compare(&format!("{what} train"), &train, &case["train"]);
            let e_test = compare(&format!("{what} test"), &test, &case["test"]);
            // Every sampled training row scores exactly 0.
            assert!(indices.iter().all(|&i| train[i] == 0.0), "{what}");
            eprintln!(
                "{name:11} {case_name:13} ({:?}, {} rows): max rel err train {e_train:.2e} test {e_test:.2e}",
                model.distance(),
                indices.len()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 9, "fixture cases");
    Ok(())
}

#[test]
fn mean_roc_auc_matches_pyod() -> TestResult {
    let reference = common::fixture("sampling/pyod_reference.json");
    let mut failures = Vec::new();
    for name in DATASETS {
        let want = &reference["datasets"][name]["auc"];
        let theirs: Vec<f64> = want["roc_auc"]
            .as_array()
            .expect("roc_auc")
            .iter()
            .map(common::num)
            .collect();
        let data = common::modulo_split(name)?;
        let mut ours = Vec::new();
        for seed in 0..theirs.len() as u64 {
            let fit = SamplingParams {
                seed,
                ..SamplingParams::default()
            }
            .fit(data.x_train.view())?;
            let s = fit.model.score_samples(data.x_test.view());
            ours.push(anml::metrics::roc_auc(data.y_test.view(), s.view())?);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let var = |v: &[f64]| {
            let m = mean(v);
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
        };
        let (a, b) = (mean(&ours), mean(&theirs));
        let noise = (var(&ours) / ours.len() as f64 + var(&theirs) / theirs.len() as f64).sqrt();
        let bound = 0.03f64.max(3.0 * noise);
        eprintln!(
            "{name:11} sampling: mean ROC-AUC anml {a:.4} PyOD {b:.4} (gap {:+.4}, bound {bound:.4}, \
             sd per seed anml {:.3} PyOD {:.3})",
            a - b,
            var(&ours).sqrt(),
            var(&theirs).sqrt()
        );
        assert!(
            (b - common::num(&want["mean"])).abs() < 1e-5,
            "{name}: fixture mean"
        );
        if (a - b).abs() > bound {
            failures.push(format!("{name}: anml {a:.4} vs PyOD {b:.4}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    Ok(())
}
