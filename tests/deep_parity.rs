//! Parity of anml's deep detectors `autoencoder` and `deep_svdd` with PyOD
//! 3.6.7 (`AutoEncoder`, `DeepSVDD`) on ODDS data.
//!
//! The fixtures (`tests/fixtures/deep/`, written by
//! `scripts/gen_deep_reference.py`) hold PyOD's networks; see the script's
//! docstring for what each case stores. Checked here:
//!
//! * **scoring**: PyOD's trained weights, batch-norm running statistics,
//!   scaler and centre loaded into anml's model types give PyOD's scores.
//!   PyOD computes in float32 and anml in float64, so against PyOD's own
//!   `decision_function` / `decision_scores_` the tolerance is a relative
//!   [`FLOAT32_TOL`]; against the same torch network run in float64 it is
//!   [`FLOAT64_TOL`];
//! * **training replayed**: from PyOD's initial weights and its per-epoch
//!   row orders, anml's training (`fit_replay`: the detector's own loop,
//!   loss, Adam, batch norm, best-epoch rule) lands on PyOD's epoch losses,
//!   trained weights within [`REPLAY_TOL`] and scores within
//!   [`REPLAY_SCORE_TOL`] (float32 against float64 over 15-40 Adam steps),
//!   and on the same best epoch;
//! * **the random whole**: with its own seeds, anml's mean held-out ROC-AUC
//!   (default parameters) is within [`AUC_TOLERANCE`] of PyOD's mean over
//!   its seeds, per dataset.
//!
//! Relative error = |a − b| / max(1, |b|). Data: raw ODDS rows (the
//! detectors scale them), train = rows with index % 5 in {0, 1, 2}, test =
//! the rest.

mod common;

use anml::detectors::autoencoder::{AutoencoderModel, AutoencoderParams};
use anml::detectors::deep::Scaler;
use anml::detectors::deep_svdd::{DeepSvddModel, DeepSvddParams};
use anml::detectors::{DetectorParams, Model};
use anml::metrics::roc_auc;
use anml::nn::{History, Layer, Mlp};
use common::{TestResult, rel_err};
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// PyOD's float32 scores against anml's float64 ones.
const FLOAT32_TOL: f64 = 1e-5;
/// The same network in float64 (torch `model.double()`) against anml.
const FLOAT64_TOL: f64 = 1e-10;
/// Replayed training, epoch losses and trained weights: float32 against
/// float64 through every step (measured: at most 5e-7).
const REPLAY_TOL: f64 = 1e-5;
/// Replayed training, scores: the autoencoder's Linear biases before batch
/// norm drift apart (see [`check_replay`]) and move the running means a
/// little (measured: 4e-5; Deep SVDD 6e-7).
const REPLAY_SCORE_TOL: f64 = 1e-3;
/// anml's mean ROC-AUC against PyOD's, per dataset.
const AUC_TOLERANCE: f64 = 0.05;

struct Split {
    x_train: Array2<f64>,
    x_test: Array2<f64>,
    y_test: Array1<u8>,
}

/// The raw modulo split the reference script uses, checked against the
/// row counts the fixture stored.
fn split(name: &str, want: &Value) -> Split {
    let ds = common::load_dataset(name).expect("dataset from the mirror");
    let n = ds.x.nrows();
    let train: Vec<usize> = (0..n).filter(|i| i % 5 < 3).collect();
    let test: Vec<usize> = (0..n).filter(|i| i % 5 >= 3).collect();
    assert_eq!(
        train.len() as u64,
        want["n_train"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        test.len() as u64,
        want["n_test"].as_u64().unwrap(),
        "{name}"
    );
    Split {
        x_train: ds.x.select(Axis(0), &train),
        x_test: ds.x.select(Axis(0), &test),
        y_test: ds.y.select(Axis(0), &test),
    }
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("integer") as usize)
        .collect()
}

/// The `data` of every stored tensor, in order.
fn tensors(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("tensor list")
        .iter()
        .map(|t| f64s(&t["data"]))
        .collect()
}

/// Largest relative error of `got` against `want`; fails above `tol`.
fn compare(what: &str, got: &[f64], want: &[f64], tol: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let mut worst = 0.0f64;
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        let e = rel_err(*a, *b);
        assert!(
            e <= tol,
            "{what} [{i}]: anml {a} vs PyOD {b} (relative error {e:.3e})"
        );
        worst = worst.max(e);
    }
    worst
}

/// anml's architecture for `params` on `d` columns with PyOD's tensors:
/// parameters in `model.parameters()` order, then each batch norm's
/// running mean and variance.
fn with_pyod_tensors(mut net: Mlp, parameters: &Value, buffers: Option<&Value>) -> Mlp {
    net.set_params(&tensors(parameters))
        .expect("PyOD's parameters fit anml's architecture");
    if let Some(buffers) = buffers {
        let names: Vec<&str> = buffers
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        let values = tensors(buffers);
        let mut bns = net.layers.iter_mut().filter_map(|l| match l {
            Layer::BatchNorm(bn) => Some(bn),
            _ => None,
        });
        for (pair, names) in values.chunks(2).zip(names.chunks(2)) {
            assert!(names[0].ends_with("running_mean") && names[1].ends_with("running_var"));
            let bn = bns.next().expect("as many batch norms as PyOD");
            bn.running_mean = Array1::from_vec(pair[0].clone());
            bn.running_var = Array1::from_vec(pair[1].clone());
        }
        assert!(bns.next().is_none(), "PyOD has fewer batch norms");
    }
    net
}

fn autoencoder_params(case: &Value) -> AutoencoderParams {
    let p = &case["pyod_params"];
    AutoencoderParams {
        epochs: p["epoch_num"].as_u64().unwrap() as usize,
        dropout_rate: p.get("dropout_rate").map_or(0.2, |v| v.as_f64().unwrap()),
        ..AutoencoderParams::default()
    }
}

fn deep_svdd_params(case: &Value) -> DeepSvddParams {
    DeepSvddParams {
        epochs: case["pyod_params"]["epochs"].as_u64().unwrap() as usize,
        ..DeepSvddParams::default()
    }
}

/// Scores of `model` against the case's float32 and float64 references.
fn check_scores(what: &str, model: &dyn ScoreFn, data: &Split, case: &Value) {
    let test = model.scores(&data.x_test);
    let train = model.scores(&data.x_train);
    let e32 = compare(
        &format!("{what} test"),
        test.as_slice().unwrap(),
        &f64s(&case["test_scores"]),
        FLOAT32_TOL,
    )
    .max(compare(
        &format!("{what} train"),
        train.as_slice().unwrap(),
        &f64s(&case["train_scores"]),
        FLOAT32_TOL,
    ));
    let e64 = compare(
        &format!("{what} test (float64)"),
        test.as_slice().unwrap(),
        &f64s(&case["test_scores_f64"]),
        FLOAT64_TOL,
    )
    .max(compare(
        &format!("{what} train (float64)"),
        train.as_slice().unwrap(),
        &f64s(&case["train_scores_f64"]),
        FLOAT64_TOL,
    ));
    eprintln!("{what}: worst relative error {e32:.2e} vs float32, {e64:.2e} vs float64");
}

trait ScoreFn {
    fn scores(&self, x: &Array2<f64>) -> Array1<f64>;
}

impl<M: Model> ScoreFn for M {
    fn scores(&self, x: &Array2<f64>) -> Array1<f64> {
        self.score_samples(x.view())
    }
}

/// Epoch losses, trained weights (largest difference relative to the
/// largest weight of each tensor) and scores of a replayed fit.
fn check_replay(
    what: &str,
    history: &History,
    net: &Mlp,
    scores: &Array1<f64>,
    data: &Split,
    case: &Value,
) {
    let e_loss = compare(
        &format!("{what} epoch losses"),
        &history.loss,
        &f64s(&case["epoch_loss"]),
        REPLAY_TOL,
    );
    let mut e_weights = 0.0f64;
    let names: Vec<&str> = case["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for (i, (got, want)) in net
        .params()
        .iter()
        .zip(tensors(&case["parameters"]))
        .enumerate()
    {
        // A Linear bias followed by train-mode batch norm has an exactly
        // zero gradient; what each side computes is rounding noise (float32
        // in PyOD), which Adam scales up to steps of size ~lr. Such a bias
        // drifts differently but only reaches the scores through the
        // running means' lag, which the score comparison covers.
        if names[i].ends_with("linear.bias")
            && names.contains(&&*names[i].replace("linear.bias", "bn.weight"))
        {
            continue;
        }
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
        let diff = got
            .iter()
            .zip(&want)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            diff / scale <= REPLAY_TOL,
            "{what}: trained tensor {i} differs by {diff:.3e} (largest |w| {scale:.3e})"
        );
        e_weights = e_weights.max(diff / scale);
    }
    let e_scores = compare(
        &format!("{what} replayed test scores"),
        scores.as_slice().unwrap(),
        &f64s(&case["test_scores"]),
        REPLAY_SCORE_TOL,
    );
    assert_eq!(data.x_test.nrows(), scores.len());
    eprintln!(
        "{what} replayed: losses {e_loss:.2e}, weights {e_weights:.2e}, scores {e_scores:.2e}"
    );
}

fn orders(case: &Value) -> Vec<Vec<usize>> {
    case["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(usizes)
        .collect()
}

#[test]
fn pyods_weights_give_pyods_scores_and_its_training_replays() -> TestResult {
    let reference = common::fixture("deep/pyod_reference.json");
    let cases = reference["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for case in cases {
        let det = case["detector"].as_str().unwrap();
        let name = case["dataset"].as_str().unwrap();
        let what = format!("{det} on {name}");
        let data = split(name, case);
        let d = data.x_train.ncols();
        let scaler = &case["scaler"];
        let mean = Array1::from_vec(f64s(&scaler["mean"]));
        let replay = case["kind"] == "replay";
        let rng = &mut ChaCha8Rng::seed_from_u64(0);
        match det {
            "autoencoder" => {
                let params = autoencoder_params(case);
                let net = with_pyod_tensors(
                    params.network(d, rng),
                    &case["parameters"],
                    Some(&case["buffers"]),
                );
                let scaler = Scaler::from_pyod(mean, Array1::from_vec(f64s(&scaler["std"])))?;
                let model = AutoencoderModel::from_parts(Some(scaler), net)?;
                check_scores(&what, &model, &data, case);
                if replay {
                    let init = with_pyod_tensors(
                        params.network(d, rng),
                        &case["initial_parameters"],
                        None,
                    );
                    let fit = params.fit_replay(data.x_train.view(), init, &orders(case))?;
                    let scores = fit.model.score_samples(data.x_test.view());
                    let history = fit.model.history().unwrap();
                    check_replay(&what, history, fit.model.network(), &scores, &data, case);
                }
            }
            "deep_svdd" => {
                let params = deep_svdd_params(case);
                let net = with_pyod_tensors(params.network(d, rng), &case["parameters"], None);
                let scaler = Scaler::new(mean, Array1::from_vec(f64s(&scaler["scale"])))?;
                let centre = Array1::from_vec(f64s(&case["centre"]));
                let model = DeepSvddModel::from_parts(Some(scaler), net, centre.clone())?;
                check_scores(&what, &model, &data, case);
                if replay {
                    let init = with_pyod_tensors(
                        params.network(d, rng),
                        &case["initial_parameters"],
                        None,
                    );
                    let fit = params.fit_replay(data.x_train.view(), init, &orders(case))?;
                    // The centre from PyOD's initial weights: PyOD's within
                    // float32 rounding.
                    compare(
                        &format!("{what} centre"),
                        fit.model.centre().as_slice().unwrap(),
                        centre.as_slice().unwrap(),
                        1e-6,
                    );
                    let history = fit.model.history().unwrap();
                    assert_eq!(
                        history.best_epoch,
                        case["best_epoch"].as_u64().map(|b| b as usize),
                        "{what}: best epoch"
                    );
                    let scores = fit.model.score_samples(data.x_test.view());
                    check_replay(&what, history, fit.model.network(), &scores, &data, case);
                }
            }
            other => panic!("unknown detector {other}"),
        }
    }
    Ok(())
}

/// anml's mean held-out ROC-AUC over `seeds` for `detector` (default
/// parameters) against PyOD's mean in the fixture.
fn check_roc_auc(detector: &str, datasets: &[&str], seeds: u64) -> TestResult {
    let reference = common::fixture("deep/pyod_roc_auc.json");
    for name in datasets {
        let want = &reference["datasets"][name];
        let data = split(name, want);
        let mut aucs = Vec::new();
        for seed in 0..seeds {
            let scores = match detector {
                "autoencoder" => {
                    let p = AutoencoderParams {
                        seed,
                        ..AutoencoderParams::default()
                    };
                    p.fit(data.x_train.view())?
                        .model
                        .score_samples(data.x_test.view())
                }
                _ => {
                    let p = DeepSvddParams {
                        seed,
                        ..DeepSvddParams::default()
                    };
                    p.fit(data.x_train.view())?
                        .model
                        .score_samples(data.x_test.view())
                }
            };
            aucs.push(roc_auc(data.y_test.view(), scores.view())?);
        }
        let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
        let pyod = want[detector]["mean"].as_f64().expect("PyOD mean");
        eprintln!("{detector} on {name}: anml {mean:.4} vs PyOD {pyod:.4} ({aucs:.3?})");
        assert!(
            (mean - pyod).abs() <= AUC_TOLERANCE,
            "{detector} on {name}: anml mean ROC-AUC {mean:.4} vs PyOD {pyod:.4}"
        );
    }
    Ok(())
}

#[test]
fn autoencoder_roc_auc_matches_pyod_on_wbc_and_pima() -> TestResult {
    check_roc_auc("autoencoder", &["wbc", "pima"], 20)
}

#[test]
fn deep_svdd_roc_auc_matches_pyod_on_wbc_and_pima() -> TestResult {
    check_roc_auc("deep_svdd", &["wbc", "pima"], 20)
}

/// The other datasets: cardio's fits take a few seconds each in a debug
/// build; vertebral's ROC-AUC varies most between seeds (sd ~0.06-0.07).
#[test]
#[ignore = "slower and noisier; cargo test --release --test deep_parity -- --ignored"]
fn roc_auc_matches_pyod_on_cardio_and_vertebral() -> TestResult {
    check_roc_auc("autoencoder", &["cardio", "vertebral"], 20)?;
    check_roc_auc("deep_svdd", &["cardio", "vertebral"], 20)
}

#[test]
fn training_lowers_the_loss_on_real_data_and_records_the_best_epoch() -> TestResult {
    let want = &common::fixture("deep/pyod_roc_auc.json")["datasets"]["wbc"];
    let data = split("wbc", want);
    let ae = AutoencoderParams::default().fit(data.x_train.view())?;
    let h = ae.model.history().unwrap();
    assert_eq!(h.loss.len(), 10);
    assert_eq!(h.best_epoch, None);
    assert!(h.loss[9] < 0.8 * h.loss[0], "{:?}", h.loss);
    let svdd = DeepSvddParams::default().fit(data.x_train.view())?;
    let h = svdd.model.history().unwrap();
    assert_eq!(h.loss.len(), 100);
    let best = h.best_epoch.expect("best epoch");
    assert!(h.loss[best] <= h.loss.iter().copied().fold(f64::INFINITY, f64::min) * (1.0 + 1e-12));
    assert!(h.loss[99] < 0.5 * h.loss[0], "{:?}", h.loss);
    Ok(())
}
