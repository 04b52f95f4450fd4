//! Per-row explanations against the libraries researchers use, from
//! `tests/fixtures/explain/reference.json` (written by
//! `scripts/gen_explain_reference.py`), and the exactness of the additive
//! ones on every row of real data.
//!
//! * ECOD / COPOD: each feature's contribution equals PyOD 3.6.7's
//!   per-dimension value `O[i, :]` (what `explain_outlier` plots) to 1e-12,
//!   on training rows of cardio, wbc and glass (modulo split, standardised
//!   on train); HBOS: PyOD's per-feature terms to 1e-12.
//! * HBOS, ECOD, COPOD, LODA: the contributions sum to the model's own
//!   `score_samples` to 1e-12 on every training and test row.
//! * knn / avg_knn / med_knn / lof (k = 5): the per-feature squared
//!   differences to scikit-learn's `NearestNeighbors` neighbours, averaged as
//!   each variant scores (lof: over all k), to 1e-12; for `knn` they sum to
//!   the squared score.
//! * isolation_forest: scikit-learn's trees (25 trees of ψ = 64 on cardio and
//!   ionosphere, data rounded to float32 as scikit-learn compares them) loaded
//!   as an anml model give scikit-learn's scores, and DIFFI's local and
//!   global (in-bag) importances equal the authors' reference code.
//! * Refusals: a detector without explanations, a wrong-width or non-finite
//!   row.

mod common;

use anml::detectors::isolation_forest::{IsolationForestModel, TreeArrays};
use anml::detectors::{Detector, DetectorError, ExplainMethod, FittedDetector};
use common::{TestResult, fixture, num, rel_err, usizes};
use ndarray::{Array2, ArrayView2};
use serde_json::{Value, json};

/// Every comparison: `|a − b| ≤ TOL · max(1, |b|)`.
const TOL: f64 = 1e-12;

fn reference() -> Value {
    fixture("explain/reference.json")
}

fn fit(name: &str, params: Value, x: ArrayView2<'_, f64>) -> Result<FittedDetector, DetectorError> {
    let Value::Object(p) = params else {
        return Err(DetectorError::Corrupt("params must be an object".into()));
    };
    Detector::new(name, &p)?.fit(x)
}

/// A fixture number, or the strings "inf" / "nan" it uses for non-finite ones.
fn value(v: &Value) -> f64 {
    match v.as_str() {
        Some("inf") => f64::INFINITY,
        Some("-inf") => f64::NEG_INFINITY,
        Some("nan") => f64::NAN,
        _ => num(v),
    }
}

fn values(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(value).collect()
}

/// Largest relative difference of two equal-length vectors (non-finite
/// values must match exactly).
fn max_diff(what: &str, got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    got.iter()
        .zip(want)
        .map(|(&a, &b)| {
            if b.is_finite() {
                rel_err(a, b)
            } else {
                assert!(a == b || (a.is_nan() && b.is_nan()), "{what}: {a} vs {b}");
                0.0
            }
        })
        .fold(0.0, f64::max)
}

#[test]
fn ecod_copod_and_hbos_terms_equal_pyod() -> TestResult {
    let r = reference();
    for (name, want) in r["additive"].as_object().expect("datasets") {
        let data = split_as_stored_train(name, want)?;
        let rows = usizes(&want["rows"]);
        for (det, key, terms) in [
            ("ecod", "ecod", "O"),
            ("copod", "copod", "O"),
            ("hbos", "hbos", "terms"),
        ] {
            let fitted = fit(det, json!({}), data.view())?;
            let mut worst = 0.0f64;
            for (i, &row) in rows.iter().enumerate() {
                let e = fitted.explain(data.row(row))?;
                assert_eq!(e.method, ExplainMethod::Additive);
                let what = format!("{name} {det} row {row}");
                worst = worst.max(max_diff(
                    &what,
                    &e.contributions(),
                    &values(&want[key][terms][i]),
                ));
                worst = worst.max(rel_err(e.score, num(&want[key]["scores"][i])));
            }
            println!("{name} {det}: max relative difference to PyOD {worst:e}");
            assert!(worst <= TOL, "{name} {det}: {worst:e}");
        }
    }
    Ok(())
}

/// The training rows of the modulo split the fixture used.
fn split_as_stored_train(
    name: &str,
    want: &Value,
) -> Result<Array2<f64>, Box<dyn std::error::Error>> {
    let x = common::modulo_split(name)?.x_train;
    assert_eq!(
        Some(x.nrows() as u64),
        want["n_train"].as_u64(),
        "{name}: training rows"
    );
    Ok(x)
}

#[test]
fn additive_contributions_sum_to_the_score_on_every_row() -> TestResult {
    for name in ["cardio", "wbc", "glass"] {
        let data = common::modulo_split(name)?;
        for (det, params) in [
            ("hbos", json!({})),
            ("hbos", json!({"n_bins": "auto"})),
            ("ecod", json!({})),
            ("copod", json!({})),
            ("loda", json!({"seed": 3})),
            ("loda", json!({"n_bins": "auto", "seed": 1})),
        ] {
            let fitted = fit(det, params.clone(), data.x_train.view())?;
            let mut worst = 0.0f64;
            for x in [&data.x_train, &data.x_test] {
                let scores = fitted.score_samples(x.view())?;
                for (row, &s) in x.rows().into_iter().zip(&scores) {
                    let e = fitted.explain(row)?;
                    assert_eq!(e.score, s, "{name} {det}: explained score");
                    worst = worst.max(rel_err(e.total(), s));
                }
            }
            println!("{name} {det} {params}: max |sum - score| {worst:e}");
            assert!(worst <= TOL, "{name} {det} {params}: {worst:e}");
        }
    }
    Ok(())
}

#[test]
fn knn_squared_differences_equal_sklearn_neighbours() -> TestResult {
    let r = reference();
    for (name, want) in r["additive"].as_object().expect("datasets") {
        let data = common::modulo_split(name)?;
        let k = &want["knn"];
        let rows = usizes(&k["test_rows"]);
        // lof explains with the mean over the same k neighbours as avg_knn.
        for (det, key) in [
            ("knn", "knn"),
            ("avg_knn", "avg_knn"),
            ("med_knn", "med_knn"),
            ("lof", "avg_knn"),
        ] {
            let fitted = fit(det, json!({"n_neighbors": k["k"]}), data.x_train.view())?;
            let mut worst = 0.0f64;
            for (i, &row) in rows.iter().enumerate() {
                let e = fitted.explain(data.x_test.row(row))?;
                assert_eq!(e.method, ExplainMethod::KnnSqDiff);
                let what = format!("{name} {det} test row {row}");
                worst = worst.max(max_diff(&what, &e.contributions(), &values(&k[key][i])));
                let score =
                    fitted.score_samples(data.x_test.slice(ndarray::s![row..row + 1, ..]))?[0];
                assert_eq!(e.score, score, "{what}: score");
                if det == "knn" {
                    worst = worst.max(rel_err(e.total(), score * score));
                }
            }
            println!("{name} {det}: max relative difference {worst:e}");
            assert!(worst <= TOL, "{name} {det}: {worst:e}");
        }
    }
    Ok(())
}

/// scikit-learn's forest as an anml fitted detector (through the saved-model
/// format, so `FittedDetector::explain` is what is tested).
fn sklearn_forest(want: &Value) -> Result<FittedDetector, Box<dyn std::error::Error>> {
    let trees: Vec<TreeArrays> = serde_json::from_value(want["trees"].clone())?;
    let d = want["n_features"].as_u64().unwrap_or(0) as usize;
    let psi = want["max_samples"].as_u64().unwrap_or(0) as usize;
    // Checks the trees; the saved form below is the same.
    IsolationForestModel::new(d, psi, trees.clone())?;
    let saved = json!({
        "format": "anml-model",
        "format_version": anml::detectors::MODEL_FORMAT_VERSION,
        "detector": "isolation_forest",
        "params": {"n_estimators": trees.len(), "max_samples": psi, "seed": 0},
        "contamination": 0.1,
        "threshold": want["threshold"],
        "n_features": d,
        "model": {"n_features": d, "max_samples": psi, "trees": want["trees"]},
    });
    Ok(FittedDetector::from_value(saved)?)
}

/// The ODDS matrix rounded to float32, as scikit-learn's trees see it.
fn float32_rows(name: &str) -> Result<Array2<f64>, Box<dyn std::error::Error>> {
    Ok(common::load_dataset(name)?.x.mapv(|v| v as f32 as f64))
}

#[test]
fn diffi_equals_the_reference_implementation() -> TestResult {
    let r = reference();
    for (name, want) in r["diffi"].as_object().expect("datasets") {
        let x = float32_rows(name)?;
        let fitted = sklearn_forest(want)?;
        let rows = usizes(&want["rows"]);
        let mut worst = 0.0f64;
        for (i, &row) in rows.iter().enumerate() {
            let e = fitted.explain(x.row(row))?;
            assert_eq!(e.method, ExplainMethod::Diffi);
            worst = worst.max(rel_err(e.score, num(&want["scores"][i])));
            let what = format!("{name} local DIFFI row {row}");
            worst = worst.max(max_diff(
                &what,
                &e.contributions(),
                &values(&want["local"][i]),
            ));
        }
        println!("{name}: local DIFFI and scores, max relative difference {worst:e}");
        assert!(worst <= TOL, "{name} local: {worst:e}");

        let trees: Vec<TreeArrays> = serde_json::from_value(want["trees"].clone())?;
        let model = IsolationForestModel::new(
            x.ncols(),
            want["max_samples"].as_u64().unwrap_or(0) as usize,
            trees,
        )?;
        let in_bag: Vec<Vec<usize>> = want["in_bag"]
            .as_array()
            .expect("in_bag")
            .iter()
            .map(usizes)
            .collect();
        let global = model.diffi_global(x.view(), &in_bag, num(&want["threshold"]))?;
        let g = max_diff(
            &format!("{name} global DIFFI"),
            &global,
            &values(&want["global"]),
        );
        println!("{name}: global DIFFI max relative difference {g:e}");
        assert!(g <= TOL, "{name} global: {g:e}");
    }
    Ok(())
}

#[test]
fn refusals_are_typed() -> TestResult {
    let data = common::modulo_split("glass")?;
    let pca = fit("pca", json!({}), data.x_train.view())?;
    let e = pca.explain(data.x_train.row(0)).unwrap_err();
    assert!(matches!(e, DetectorError::NotExplainable { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("pca") && text.contains("ecod") && text.contains("isolation_forest"),
        "{text}"
    );

    let ecod = fit("ecod", json!({}), data.x_train.view())?;
    let short = ndarray::Array1::zeros(data.x_train.ncols() - 1);
    let e = ecod.explain(short.view()).unwrap_err();
    assert!(matches!(e, DetectorError::WrongColumns { .. }), "{e}");
    let mut bad = data.x_train.row(0).to_owned();
    bad[2] = f64::NAN;
    let e = ecod.explain(bad.view()).unwrap_err();
    assert!(matches!(e, DetectorError::NonFinite { col: 2, .. }), "{e}");
    Ok(())
}
