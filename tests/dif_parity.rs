//! Parity of anml's `dif` with PyOD 3.6.7's `DIF` (torch 2.15.0,
//! scikit-learn 1.9.1), from the fixtures `tests/fixtures/dif/{exact,
//! roc_auc}.json` written by `scripts/gen_dif_reference.py`.
//!
//! anml draws its weights and trees from ChaCha8 and computes in float64;
//! PyOD uses torch's and numpy's generators and float32 networks. So:
//!
//! * **Exact, given PyOD's draws** (two small configurations on ODDS pima
//!   and glass, the second with skip connections):
//!   - PyOD's representations and scikit-learn's trees → anml's
//!     deviation-enhanced member scores equal `_cal_score` to 1e-9, and
//!     their mean `decision_scores_` / `decision_function`;
//!   - PyOD's weights → anml's forward pass with PyOD's per-batch
//!     standardisation reproduces PyOD's representations to float32
//!     rounding;
//!   - the whole pipeline on PyOD's weights and trees reproduces PyOD's
//!     training scores (where anml's fixed statistics are the training
//!     batch's, by definition) up to the float32 representation, and the
//!     standardisation difference on the test rows is measured separately.
//! * **Statistically**: anml's mean test ROC-AUC over seeds 0-2 at default
//!   parameters is within 0.03 of PyOD's (seeds 0-2) on cardio (and, in the
//!   ignored test, on satellite and six more ODDS datasets). Measured gaps
//!   (anml − PyOD): cardio +0.014, satellite +0.012, the others within
//!   ±0.007. Satellite's is seed noise in PyOD's three runs (0.723, 0.727,
//!   0.723): PyOD's seeds 3-12 average 0.738 (sd 0.007), anml's seeds 0-19
//!   0.734 (sd 0.006); and with PyOD's own networks for seed 0, anml's
//!   trees give 0.720 where scikit-learn's give 0.724.
//!
//! Data: train = rows with index % 5 in {0, 1, 2}, test = the rest,
//! standardised on train. Relative error = |a − b| / max(1, |b|).

mod common;

use anml::data::scale::StandardScaler;
use anml::detectors::dif::{DifParams, MinMax, Network, member_scores};
use anml::detectors::isolation_forest::{IsolationForestModel, TreeArrays};
use anml::detectors::{DetectorParams, Model};
use anml::nn::Activation;
use common::TestResult;
use ndarray::{Array1, Array2, ArrayView2, s};
use serde_json::Value;

const AUC_TOLERANCE: f64 = 0.03;

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_i64().expect("integer"))
        .collect()
}

/// A matrix of float32 values stored in their shortest repr.
fn f32_matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|r| f64s(r).into_iter().map(|x| x as f32 as f64).collect())
        .collect();
    let (r, c) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((r, c), rows.concat()).expect("rectangular")
}

/// A scikit-learn tree (pre-order, left child = i + 1, leaves with
/// feature −2) as anml's tree arrays.
fn tree(t: &Value) -> TreeArrays {
    let feature = ints(&t["feature"]);
    let threshold = f64s(&t["threshold"]);
    let left = ints(&t["children_left"]);
    let right = ints(&t["children_right"]);
    let n_samples = ints(&t["n_node_samples"]);
    let mut out = TreeArrays {
        feature: Vec::new(),
        threshold: Vec::new(),
        right: Vec::new(),
        n_samples: n_samples.iter().map(|&v| v as u32).collect(),
    };
    for i in 0..feature.len() {
        if left[i] == -1 {
            out.feature.push(0);
            out.threshold.push(0.0);
            out.right.push(0);
        } else {
            assert_eq!(left[i], i as i64 + 1, "scikit-learn's pre-order layout");
            out.feature.push(feature[i] as u32);
            out.threshold.push(threshold[i]);
            out.right.push(right[i] as u32);
        }
    }
    out
}

fn forest(member: &Value, rep_dim: usize) -> IsolationForestModel {
    let trees = member["trees"]
        .as_array()
        .expect("trees")
        .iter()
        .map(tree)
        .collect();
    let psi = member["max_samples"].as_u64().expect("max_samples") as usize;
    IsolationForestModel::new(rep_dim, psi, trees).expect("a valid forest")
}

fn network(member: &Value, skip: bool) -> Network {
    let weights = member["weights"]
        .as_array()
        .expect("weights")
        .iter()
        .map(f32_matrix)
        .collect();
    Network::from_weights(weights, Activation::Tanh, skip).expect("a valid network")
}

fn cases() -> Vec<(String, Value)> {
    let reference = common::fixture("dif/exact.json");
    let cases = reference["cases"].as_object().expect("cases");
    assert_eq!(cases.len(), 2, "the fixture's two configurations");
    cases.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn rep_dim(case: &Value) -> usize {
    case["params"]["representation_dim"].as_u64().expect("dim") as usize
}

fn skip(case: &Value) -> bool {
    case["params"]["skip_connection"].as_bool().expect("skip")
}

fn max_rel_err(what: &str, got: &[f64], want: &[f64], tol: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let mut worst = 0.0f64;
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        let e = common::rel_err(*a, *b);
        assert!(e <= tol, "{what} row {i}: {a} vs {b} (rel err {e:.2e})");
        worst = worst.max(e);
    }
    worst
}

/// The mean of the members' scores, in member order.
fn mean_of(per_member: &[Array1<f64>]) -> Vec<f64> {
    let mut total = Array1::<f64>::zeros(per_member[0].len());
    for s in per_member {
        total += s;
    }
    (total / per_member.len() as f64).to_vec()
}

#[test]
fn cal_score_matches_pyod_given_its_representations_and_trees() {
    for (name, case) in cases() {
        let members = case["members"].as_array().expect("members");
        let mut worst = 0.0f64;
        for part in ["train", "test"] {
            let mut per_member = Vec::new();
            for (i, m) in members.iter().enumerate() {
                let z = f32_matrix(&m[format!("{part}_representation")]);
                let got = member_scores(&forest(m, rep_dim(&case)), z.view());
                worst = worst.max(max_rel_err(
                    &format!("{name} member {i} {part}"),
                    got.as_slice().unwrap(),
                    &f64s(&m[format!("{part}_member_score")]),
                    1e-9,
                ));
                per_member.push(got);
            }
            let stored = per_member[0].len();
            worst = worst.max(max_rel_err(
                &format!("{name} {part} scores"),
                &mean_of(&per_member),
                &f64s(&case[part])[..stored],
                1e-9,
            ));
        }
        eprintln!("{name}: _cal_score max rel err {worst:.2e}");
    }
}

/// PyOD's representation: the batch's own standardisation, then tanh.
fn batch_standardised(raw: &Array2<f64>) -> Array2<f64> {
    StandardScaler::fit(raw.view())
        .transform(raw.view())
        .mapv(f64::tanh)
}

fn max_abs_diff(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn forward_pass_with_pyod_weights_reproduces_its_representations() -> TestResult {
    for (name, case) in cases() {
        let data = common::split_as_stored(case["dataset"].as_str().expect("dataset"), &case)?;
        let scaler = MinMax::fit(data.x_train.view());
        max_rel_err(
            &format!("{name} data_min"),
            &scaler.data_min,
            &f64s(&case["data_min"]),
            1e-12,
        );
        max_rel_err(
            &format!("{name} data_max"),
            &scaler.data_max,
            &f64s(&case["data_max"]),
            1e-12,
        );
        let xs_train = scaler.transform(data.x_train.view());
        let xs_test = scaler.transform(data.x_test.view());
        for (i, m) in case["members"]
            .as_array()
            .expect("members")
            .iter()
            .enumerate()
        {
            let net = network(m, skip(&case));
            for (part, xs) in [("train", &xs_train), ("test", &xs_test)] {
                let z = batch_standardised(&net.forward(xs.view()));
                let want = f32_matrix(&m[format!("{part}_representation")]);
                let diff = max_abs_diff(z.slice(s![..want.nrows(), ..]), want.view());
                eprintln!("{name} member {i} {part}: representation max abs diff {diff:.2e}");
                assert!(diff < 1e-4, "{name} member {i} {part}: {diff}");
            }
        }
    }
    Ok(())
}

/// Scores of every row through the whole pipeline on PyOD's weights and
/// trees, the representation standardised with `stats_of`'s statistics.
fn pipeline_scores(
    case: &Value,
    scaler: &MinMax,
    x: ArrayView2<'_, f64>,
    stats_of: ArrayView2<'_, f64>,
) -> Vec<f64> {
    let xs = scaler.transform(x);
    let xs_stats = scaler.transform(stats_of);
    let per_member: Vec<Array1<f64>> = case["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            let net = network(m, skip(case));
            let stats = StandardScaler::fit(net.forward(xs_stats.view()).view());
            let z = stats
                .transform(net.forward(xs.view()).view())
                .mapv(f64::tanh);
            member_scores(&forest(m, rep_dim(case)), z.view())
        })
        .collect();
    mean_of(&per_member)
}

/// Share of rows within `tol`, and the median relative error.
fn agreement(got: &[f64], want: &[f64], tol: f64) -> (f64, f64) {
    let mut errs: Vec<f64> = got
        .iter()
        .zip(want)
        .map(|(a, b)| common::rel_err(*a, *b))
        .collect();
    let within = errs.iter().filter(|&&e| e <= tol).count() as f64 / errs.len() as f64;
    errs.sort_by(f64::total_cmp);
    (within, errs[errs.len() / 2])
}

#[test]
fn whole_pipeline_on_pyod_parts_matches_pyod_and_measures_the_standardisation() -> TestResult {
    for (name, case) in cases() {
        let data = common::split_as_stored(case["dataset"].as_str().expect("dataset"), &case)?;
        let scaler = MinMax::fit(data.x_train.view());
        // Training rows: anml's fixed statistics are the training batch's,
        // so this is both PyOD's decision_scores_ and anml's definition.
        // float64 vs float32 representations can move a row across a
        // split, so a few rows may differ by more than rounding.
        let train = pipeline_scores(&case, &scaler, data.x_train.view(), data.x_train.view());
        let (within, median) = agreement(&train, &f64s(&case["train"]), 1e-4);
        eprintln!(
            "{name} train: {:.1}% within 1e-4, median rel err {median:.1e}",
            within * 100.0
        );
        assert!(
            within >= 0.97 && median < 1e-5,
            "{name} train: {within} {median}"
        );
        // Test rows PyOD's way (statistics of the test batch).
        let test_pyod = pipeline_scores(&case, &scaler, data.x_test.view(), data.x_test.view());
        let (within, median) = agreement(&test_pyod, &f64s(&case["test"]), 1e-4);
        eprintln!(
            "{name} test (PyOD's way): {:.1}% within 1e-4, median rel err {median:.1e}",
            within * 100.0
        );
        assert!(
            within >= 0.97 && median < 1e-5,
            "{name} test: {within} {median}"
        );
        // Test rows anml's way (training statistics): different scores,
        // comparable ranking.
        let test_anml = pipeline_scores(&case, &scaler, data.x_test.view(), data.x_train.view());
        let (_, median) = agreement(&test_anml, &f64s(&case["test"]), 1e-4);
        let auc_pyod = anml::metrics::roc_auc(data.y_test.view(), Array1::from(test_pyod).view())?;
        let auc_anml = anml::metrics::roc_auc(data.y_test.view(), Array1::from(test_anml).view())?;
        let stored = case["test_roc_auc"].as_f64().expect("auc");
        eprintln!(
            "{name} test ROC-AUC: PyOD's way {auc_pyod:.4} (PyOD {stored:.4}), training \
             statistics {auc_anml:.4}; median rel score change {median:.1e}"
        );
        assert!(
            (auc_pyod - stored).abs() < 0.005,
            "{name}: {auc_pyod} vs {stored}"
        );
        assert!(
            (auc_anml - stored).abs() < 0.05,
            "{name}: {auc_anml} vs {stored}"
        );
    }
    Ok(())
}

/// anml's default `dif`, seeds 0..k, against PyOD's stored mean test ROC-AUC.
fn check_auc(names: &[&str]) -> TestResult {
    let reference = common::fixture("dif/roc_auc.json");
    let mut failures = Vec::new();
    for &name in names {
        let want = &reference["datasets"][name];
        let seeds = want["seeds"].as_array().expect("seeds").len() as u64;
        let pyod = want["mean"].as_f64().expect("mean");
        let data = common::split_as_stored(name, want)?;
        let mut aucs = Vec::new();
        for seed in 0..seeds {
            let fit = DifParams {
                seed,
                ..DifParams::default()
            }
            .fit(data.x_train.view())?;
            let s = fit.model.score_samples(data.x_test.view());
            aucs.push(anml::metrics::roc_auc(data.y_test.view(), s.view())?);
        }
        let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
        let gap = mean - pyod;
        eprintln!(
            "{name:11} dif: mean ROC-AUC anml {mean:.4} PyOD {pyod:.4} (gap {gap:+.4}; PyOD with \
             fixed statistics {:.4}; anml {aucs:.4?})",
            want["fixed_stats_mean"].as_f64().unwrap_or(f64::NAN)
        );
        if gap.abs() > AUC_TOLERANCE {
            failures.push(format!("{name}: anml {mean:.4} vs PyOD {pyod:.4}"));
        }
    }
    assert!(failures.is_empty(), "dif: {failures:?}");
    Ok(())
}

#[test]
fn mean_roc_auc_matches_pyod_on_cardio() -> TestResult {
    check_auc(&["cardio"])
}

/// Satellite (3861 training rows) and six smaller ODDS datasets: about a
/// minute in a debug build. `cargo test --release --test dif_parity --
/// --ignored`.
#[test]
#[ignore]
fn mean_roc_auc_matches_pyod_on_more_datasets() -> TestResult {
    check_auc(&[
        "satellite",
        "wbc",
        "pima",
        "glass",
        "vowels",
        "ionosphere",
        "arrhythmia",
    ])
}
