//! Parity of anml's stochastic detectors `loda`, `cblof` and `inne` with
//! PyOD 3.6.7 (`LODA`, `CBLOF` over scikit-learn 1.9.1's `KMeans`, `INNE`).
//!
//! anml draws from ChaCha8, PyOD from numpy's MT19937, so whole fits cannot
//! agree bit for bit. The fixtures (`tests/fixtures/{loda,cblof,inne}/
//! pyod_reference.json`, written by `scripts/gen_ensemble_reference.py`)
//! hold PyOD's random draws, so the deterministic rest is compared exactly:
//!
//! * LODA: PyOD's projections → anml's histograms (limits, probabilities,
//!   chosen bin counts for `n_bins="auto"`) and scores, relative 1e-9;
//! * CBLOF: scikit-learn's initial centres → anml's Lloyd gives the same
//!   number of iterations, cluster sizes and labels, and centres to 1e-9;
//!   scikit-learn's final centres → anml's CBLOF scores (also with
//!   `use_weights`) to 1e-6;
//! * iNNE: PyOD's sampled indices → scores to 1e-6.
//!
//! And the random whole statistically: anml's mean test ROC-AUC over seeds
//! 0..9 is within 0.03 of PyOD's mean over its seeds 0..9, per dataset
//! (0..39 for LODA, whose ROC-AUC varies a lot between seeds: per-seed sd
//! 0.12 on mnist and 0.055 on cardio in PyOD, so 10-seed means of two
//! correct implementations differ by more than 0.03 quite often).
//!
//! Data: ODDS cardio, wbc, glass, satimage-2, shuttle, mnist, pima, vowels;
//! train = rows with index % 5 in {0, 1, 2}, test = the rest, standardised
//! on train. Relative error = |a − b| / max(1, |b|).

mod common;

use common::{TestResult, usizes};

use anml::detectors::cblof::{CblofModel, CblofParams, kmeans};
use anml::detectors::inne::{InneModel, InneParams};
use anml::detectors::loda::{LodaModel, LodaParams, NBins};
use anml::detectors::{DetectorParams, Model};
use ndarray::{Array1, Array2, Axis};
use serde_json::Value;

const DATASETS: [&str; 8] = [
    "cardio",
    "wbc",
    "glass",
    "satimage-2",
    "shuttle",
    "mnist",
    "pima",
    "vowels",
];
const AUC_TOLERANCE: f64 = 0.03;
/// iNNE on shuttle: rows lying exactly on a hypersphere's boundary. Shuttle's
/// integer-valued features repeat rows, so some test rows equal a centroid's
/// nearest neighbour and sit exactly at distance τ. anml sums the squared
/// distance directly (exactly τ: covered, as `<=` says); PyOD's
/// `euclidean_distances` (`‖x‖² − 2x·c + ‖c‖²`) rounds some of them just
/// outside. Checked with PyOD's own centroids and a direct-distance
/// reimplementation in Python: 5 of 19,638 test rows differ, each by one
/// estimator's isolation score (0.005 = 1/200). The first 300 scores still
/// match to 1e-6; the aggregates (sum of squares off by 1.5e-6) get this
/// bound.
const INNE_SHUTTLE_AGGREGATE: f64 = 1e-5;

/// Measured ROC-AUC gaps above [`AUC_TOLERANCE`], each with its own bound.
///
/// LODA on shuttle: the per-seed ROC-AUC ranges from 0.33 to 0.97 (sd 0.17
/// in PyOD, 0.18 in anml), so 40-seed means have a standard error of 0.027
/// each; observed gap −0.034. Not a difference of algorithm: (1) given
/// PyOD's projections, anml's scoring reproduces PyOD's scores exactly (this
/// file, on cardio/wbc/glass; and checked in Python on shuttle for seeds
/// 0..19: identical scores and ROC-AUC); (2) over 400 seeds each the means
/// are anml 0.793 vs PyOD 0.814 (seeds 0..199: 0.781 vs 0.819; seeds
/// 200..399: 0.805 vs 0.808), a gap of 1.6 standard errors.
const KNOWN_GAPS: &[(&str, &str, f64)] = &[("loda", "shuttle", 0.05)];

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("array").iter().map(f64s).collect();
    let (r, c) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((r, c), rows.concat()).expect("rectangular")
}

/// Largest relative error of `got` against the stored summary `want`;
/// fails above `tol` (a stored score) or `aggregate_tol` (an aggregate).
fn compare_with(what: &str, got: &Array1<f64>, want: &Value, tol: f64, aggregate_tol: f64) -> f64 {
    common::Summary {
        aggregate_tol,
        ..common::Summary::new("PyOD", tol)
    }
    .compare(what, got, want)
}

/// As [`compare_with`], one tolerance for all.
fn compare(what: &str, got: &Array1<f64>, want: &Value, tol: f64) -> f64 {
    compare_with(what, got, want, tol, tol)
}

fn check_loda_exact(name: &str, data: &common::ModuloSplit, want: &Value) -> f64 {
    let projections = matrix(&want["projections"]);
    let n_bins = match &want["n_bins"] {
        Value::String(s) if s == "auto" => NBins::AUTO,
        v => NBins::Number(v.as_u64().expect("n_bins")),
    };
    let (model, train) =
        LodaModel::from_projections(projections.view(), n_bins, data.x_train.view())
            .expect("model from PyOD's projections");
    let limits = want["limits"].as_array().expect("limits");
    let hists = want["histograms"].as_array().expect("histograms");
    let mut worst = 0.0f64;
    for (i, cut) in model.cuts().iter().enumerate() {
        let (wl, wh) = (f64s(&limits[i]), f64s(&hists[i]));
        assert_eq!(cut.limits.len(), wl.len(), "{name} cut {i}: bin count");
        for (a, b) in cut
            .limits
            .iter()
            .zip(&wl)
            .chain(cut.histogram.iter().zip(&wh))
        {
            let e = common::rel_err(*a, *b);
            assert!(e <= 1e-9, "{name} cut {i}: {a} vs {b}");
            worst = worst.max(e);
        }
    }
    if let Some(chosen) = want.get("n_bins_chosen") {
        let got: Vec<usize> = model.cuts().iter().map(|c| c.histogram.len()).collect();
        assert_eq!(got, usizes(chosen), "{name}: auto bin counts");
    }
    let test = model.score_samples(data.x_test.view());
    worst = worst.max(compare(
        &format!("{name} loda test"),
        &test,
        &want["test"],
        1e-9,
    ));
    worst.max(compare(
        &format!("{name} loda train"),
        &train,
        &want["train"],
        1e-9,
    ))
}

#[test]
fn loda_histograms_and_scores_match_pyod_given_its_projections() -> TestResult {
    let reference = common::fixture("loda/pyod_reference.json");
    let mut checked = 0;
    for name in DATASETS {
        let want = &reference["datasets"][name];
        for key in ["exact", "exact_auto"] {
            if want.get(key).is_none() {
                continue;
            }
            let data = common::modulo_split(name)?;
            let worst = check_loda_exact(name, &data, &want[key]);
            eprintln!("{name:11} loda {key:10}: max rel err {worst:.2e}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "fixture holds too few exact LODA cases");
    Ok(())
}

#[test]
fn cblof_kmeans_and_scores_match_sklearn_and_pyod() -> TestResult {
    let reference = common::fixture("cblof/pyod_reference.json");
    for name in DATASETS {
        let want = &reference["datasets"][name]["exact"];
        let data = common::modulo_split(name)?;
        let x = data.x_train.view();
        // 1. Lloyd from scikit-learn's initial centres.
        let init = x.select(Axis(0), &usizes(&want["init_indices"]));
        let km = kmeans::lloyd(x, init.view());
        let sk_centres = matrix(&want["centres"]);
        let mut worst_c = 0.0f64;
        for (a, b) in km.centres.iter().zip(sk_centres.iter()) {
            worst_c = worst_c.max(common::rel_err(*a, *b));
        }
        assert!(worst_c <= 1e-9, "{name}: centres differ by {worst_c:.2e}");
        let mut sizes = vec![0u64; km.centres.nrows()];
        for &l in &km.labels {
            sizes[l] += 1;
        }
        let want_sizes: Vec<u64> = usizes(&want["cluster_sizes"])
            .into_iter()
            .map(|v| v as u64)
            .collect();
        assert_eq!(sizes, want_sizes, "{name}: cluster sizes");
        let first = usizes(&want["labels_first"]);
        assert_eq!(&km.labels[..first.len()], &first[..], "{name}: labels");
        let checksum: u64 = km
            .labels
            .iter()
            .enumerate()
            .map(|(i, &l)| (i * l) as u64)
            .sum();
        assert_eq!(
            checksum,
            want["labels_checksum"].as_u64().expect("checksum"),
            "{name}: labels checksum"
        );
        assert_eq!(km.n_iter as u64, want["n_iter"].as_u64().expect("n_iter"));
        // 2. CBLOF scores from scikit-learn's final centres.
        let mut worst = 0.0f64;
        for (weighted, test_key, train_key) in [
            (false, "test", "train"),
            (true, "weighted_test", "weighted_train"),
        ] {
            let (model, train) =
                CblofModel::from_centres(x, sk_centres.clone(), 0.9, 5.0, weighted)?;
            assert_eq!(
                model.large_clusters(),
                &usizes(&want["large_clusters"])[..],
                "{name}: large clusters"
            );
            let test = model.score_samples(data.x_test.view());
            worst = worst.max(compare(
                &format!("{name} cblof {test_key}"),
                &test,
                &want[test_key],
                1e-6,
            ));
            worst = worst.max(compare(
                &format!("{name} cblof {train_key}"),
                &train,
                &want[train_key],
                1e-6,
            ));
        }
        eprintln!(
            "{name:11} cblof: {} Lloyd iterations as sklearn, centres rel err {worst_c:.2e}, \
             labels equal; scores max rel err {worst:.2e}",
            km.n_iter
        );
    }
    Ok(())
}

#[test]
fn inne_scores_match_pyod_given_its_samples() -> TestResult {
    let reference = common::fixture("inne/pyod_reference.json");
    for name in DATASETS {
        let want = &reference["datasets"][name]["exact"];
        let data = common::modulo_split(name)?;
        let indices: Vec<Vec<usize>> = want["indices"]
            .as_array()
            .expect("indices")
            .iter()
            .map(usizes)
            .collect();
        let (model, train) = InneModel::from_indices(data.x_train.view(), &indices)?;
        let test = model.score_samples(data.x_test.view());
        let agg = if name == "shuttle" {
            INNE_SHUTTLE_AGGREGATE
        } else {
            1e-6
        };
        let e_test = compare_with(
            &format!("{name} inne test"),
            &test,
            &want["test"],
            1e-6,
            agg,
        );
        let e_train = compare_with(
            &format!("{name} inne train"),
            &train,
            &want["train"],
            1e-6,
            agg,
        );
        eprintln!("{name:11} inne: max rel err test {e_test:.2e} train {e_train:.2e}");
    }
    Ok(())
}

/// anml's mean test ROC-AUC over as many seeds as the fixture lists against
/// PyOD's mean.
fn check_auc<P: DetectorParams>(detector: &str, make: impl Fn(u64) -> P) -> TestResult {
    let reference = common::fixture(&format!("{detector}/pyod_reference.json"));
    let mut failures = Vec::new();
    for name in DATASETS {
        let want = &reference["datasets"][name]["auc"];
        let seeds = want["seeds"].as_array().expect("seeds").len() as u64;
        let pyod = want["mean"].as_f64().expect("mean");
        let data = common::modulo_split(name)?;
        let mut aucs = Vec::new();
        for seed in 0..seeds {
            let fit = make(seed).fit(data.x_train.view())?;
            let s = fit.model.score_samples(data.x_test.view());
            aucs.push(anml::metrics::roc_auc(data.y_test.view(), s.view())?);
        }
        let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
        let gap = mean - pyod;
        eprintln!(
            "{name:11} {detector:5}: mean ROC-AUC anml {mean:.4} PyOD {pyod:.4} (gap {gap:+.4}; \
             anml range {:.3}..{:.3})",
            aucs.iter().copied().fold(f64::INFINITY, f64::min),
            aucs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        );
        let bound = KNOWN_GAPS
            .iter()
            .find(|(d, n, _)| *d == detector && *n == name)
            .map_or(AUC_TOLERANCE, |g| g.2);
        if gap.abs() > bound {
            failures.push(format!("{name}: anml {mean:.4} vs PyOD {pyod:.4}"));
        }
    }
    assert!(failures.is_empty(), "{detector}: {failures:?}");
    Ok(())
}

#[test]
fn loda_mean_roc_auc_matches_pyod() -> TestResult {
    check_auc("loda", |seed| LodaParams {
        seed,
        ..LodaParams::default()
    })
}

#[test]
fn cblof_mean_roc_auc_matches_pyod() -> TestResult {
    check_auc("cblof", |seed| CblofParams {
        seed,
        ..CblofParams::default()
    })
}

#[test]
fn inne_mean_roc_auc_matches_pyod() -> TestResult {
    check_auc("inne", |seed| InneParams {
        seed,
        ..InneParams::default()
    })
}
