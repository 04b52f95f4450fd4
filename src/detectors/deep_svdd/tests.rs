//! Unit tests of Deep SVDD as a whole (params have their own next to the
//! code): the architecture, the centre rule, the best-epoch restore, small
//! and constant data, save/load and corrupt models.

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, assert_thread_count_independent, bits,
    data, detector,
};
use crate::nn::Activation;
use ndarray::{Array2, array};
use rand::SeedableRng;
use serde_json::json;

fn kinds(net: &Mlp) -> Vec<&'static str> {
    net.layers
        .iter()
        .map(|l| match l {
            Layer::Linear(l) if l.bias.is_none() => "linear",
            Layer::Linear(_) => "linear+bias",
            Layer::Relu => "relu",
            Layer::Tanh => "tanh",
            Layer::Dropout { .. } => "dropout",
            _ => "other",
        })
        .collect()
}

#[test]
fn the_network_is_pyods_bias_free_stack_with_an_activated_embedding() {
    let p = DeepSvddParams::default();
    let net = p.network(9, &mut ChaCha8Rng::seed_from_u64(1));
    assert_eq!(kinds(&net), ["linear", "relu", "linear", "relu"]);
    let shapes: Vec<_> = net.linear_layers().map(|l| l.weight.dim()).collect();
    assert_eq!(shapes, vec![(64, 9), (32, 64)]);
    // torch's default U(±1/√fan_in).
    assert!(
        net.linear_layers()
            .next()
            .unwrap()
            .weight
            .iter()
            .all(|w| w.abs() <= 1.0 / 3.0)
    );
    // [16, 8, 4]: dropout after the middle layer only.
    let deeper = DeepSvddParams {
        hidden_neurons: vec![16, 8, 4],
        hidden_activation: Activation::Tanh,
        ..p
    }
    .network(5, &mut ChaCha8Rng::seed_from_u64(1));
    assert_eq!(
        kinds(&deeper),
        [
            "linear", "tanh", "linear", "tanh", "dropout", "linear", "tanh"
        ]
    );
}

#[test]
fn the_centre_is_the_mean_output_pushed_away_from_zero() {
    // Identity-like weights: outputs are the inputs' ReLU.
    let w = array![
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, -1.0]
    ];
    let net = Mlp::new(vec![
        Layer::Linear(Linear {
            weight: w,
            bias: None,
        }),
        Layer::Relu,
    ]);
    let xs = array![[0.02, 0.5, 2.0], [0.04, 0.7, 4.0]];
    let c = initial_centre(&net, xs.view());
    // Means 0.03 -> 0.1, 0.6, 3.0, and a dead unit: exactly 0 stays 0.
    assert_eq!(c, array![0.1, 0.6, 3.0, 0.0]);
    let tanh = Mlp::new(vec![
        Layer::Linear(Linear {
            weight: array![[-1.0], [1.0]],
            bias: None,
        }),
        Layer::Tanh,
    ]);
    let c = initial_centre(&tanh, array![[0.01], [0.03]].view());
    assert_eq!(c, array![-0.1, 0.1]);
    // A zero component scores like any other coordinate.
    let model = DeepSvddModel::from_parts(None, net, array![0.1, 0.6, 3.0, 0.0]).unwrap();
    let s = model.score_samples(array![[0.1, 0.6, 3.0]].view());
    assert_eq!(s[0], 0.0);
}

#[test]
fn constant_data_gives_an_all_zero_centre_and_is_refused() {
    let x = Array2::from_elem((50, 3), 2.5);
    let e = detector("deep_svdd", json!({})).fit(x.view()).unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("all zeros"), "{e}");
    // One row scales to zeros as well; unscaled it trains as one batch.
    let one = array![[1.0, -2.0, 0.5]];
    assert!(detector("deep_svdd", json!({})).fit(one.view()).is_err());
    let f = detector("deep_svdd", json!({"preprocessing": false, "epochs": 3}))
        .fit(one.view())
        .unwrap();
    assert_eq!(f.history().unwrap().loss.len(), 3);
    assert!(f.score_samples(one.view()).unwrap()[0].is_finite());
}

#[test]
fn history_records_every_epoch_and_the_best_one() {
    let x = data(300, 6, 1);
    let f = detector("deep_svdd", json!({"epochs": 40, "lr": 1e-3}))
        .fit(x.view())
        .unwrap();
    let h = f.history().unwrap();
    assert_eq!(h.loss.len(), 40);
    let best = h.best_epoch.unwrap();
    let min = h.loss.iter().copied().fold(f64::INFINITY, f64::min);
    // Every epoch has the same number of batches: the lowest sum is the
    // lowest mean (up to the rounding of the division).
    assert!((h.loss[best] - min).abs() <= 1e-12 * min, "{h:?}");
    assert!(h.loss[39] < h.loss[0], "{:?}", h.loss);
}

#[test]
fn the_best_epochs_weights_are_kept() {
    // A learning rate high enough for the loss to oscillate, so the best
    // epoch is not the last; the run stopped right after it is the same
    // trajectory and must give the very same model.
    let x = data(200, 4, 2);
    let params = json!({"epochs": 25, "lr": 0.5, "hidden_neurons": [16, 8]});
    let f = detector("deep_svdd", params.clone()).fit(x.view()).unwrap();
    let best = f.history().unwrap().best_epoch.unwrap();
    assert!(best < 24, "best epoch is the last: {:?}", f.history());
    let mut short = params;
    short["epochs"] = json!(best + 1);
    let g = detector("deep_svdd", short).fit(x.view()).unwrap();
    assert_eq!(g.history().unwrap().best_epoch, Some(best));
    let q = data(40, 4, 3);
    assert_eq!(
        bits(&f.score_samples(q.view()).unwrap()),
        bits(&g.score_samples(q.view()).unwrap())
    );
}

#[test]
fn fewer_rows_than_a_batch_train_as_one_batch() {
    let x = data(7, 3, 4);
    let f = detector("deep_svdd", json!({"epochs": 5}))
        .fit(x.view())
        .unwrap();
    assert_eq!(f.history().unwrap().loss.len(), 5);
    assert!(
        f.score_samples(x.view())
            .unwrap()
            .iter()
            .all(|s| s.is_finite())
    );
}

#[test]
fn an_oversized_network_is_refused_at_fit_time() {
    let e = detector("deep_svdd", json!({"hidden_neurons": [10000, 10000]}))
        .fit(data(4, 3, 5).view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("parameters"), "{e}");
}

#[test]
fn thread_count_independent_with_dropout() {
    let params = json!({"hidden_neurons": [16, 8, 4], "dropout_rate": 0.3, "epochs": 4,
                        "batch_size": 16, "seed": 5});
    assert_thread_count_independent("deep_svdd", params, &data(800, 5, 6), &data(1300, 5, 7));
}

#[test]
fn save_load_gives_identical_scores_and_history() {
    let f = detector("deep_svdd", json!({"epochs": 3}))
        .fit(data(120, 4, 8).view())
        .unwrap();
    let g = assert_save_load_identical(&f, &data(30, 4, 9));
    assert_eq!(g.history(), f.history());
    assert!(g.history().unwrap().best_epoch.is_some());
    assert_corrupt_refused(&f, "zero centre", |m| {
        let n = m["centre"]["data"].as_array().unwrap().len();
        m["centre"]["data"] = json!(vec![0.0; n]);
    });
    assert_corrupt_refused(&f, "centre length", |m| {
        m["centre"]["dim"] = json!([1]);
        m["centre"]["data"] = json!([1.0]);
    });
    assert_corrupt_refused(&f, "best epoch", |m| m["history"]["best_epoch"] = json!(3));
    assert_corrupt_refused(&f, "n_features", |m| m["n_features"] = json!(5));
    assert_corrupt_refused(&f, "weights", |m| m["network"]["layers"] = json!([]));
}

#[test]
fn replay_needs_this_architecture_and_one_order_per_epoch() {
    let x = data(20, 3, 10);
    let p = DeepSvddParams {
        epochs: 2,
        ..DeepSvddParams::default()
    };
    let net = p.network(3, &mut ChaCha8Rng::seed_from_u64(0));
    let orders: Vec<Vec<usize>> = vec![(0..20).rev().collect(), (0..20).collect()];
    let fit = p.fit_replay(x.view(), net.clone(), &orders).unwrap();
    assert_eq!(fit.model.history().unwrap().loss.len(), 2);
    assert!(p.fit_replay(x.view(), net.clone(), &orders[..1]).is_err());
    let other = DeepSvddParams {
        hidden_neurons: vec![8, 4],
        ..p.clone()
    }
    .network(3, &mut ChaCha8Rng::seed_from_u64(0));
    assert!(p.fit_replay(x.view(), other, &orders).is_err());
}
