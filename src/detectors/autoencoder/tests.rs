//! Unit tests of the autoencoder as a whole (params have their own next to
//! the code): the architecture and its initialisation, small and constant
//! data, the size rule, the history, save/load and corrupt models.

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, assert_thread_count_independent, data,
    detector,
};
use crate::nn::Activation;
use ndarray::{Array2, array};
use rand::SeedableRng;
use serde_json::json;

#[test]
fn the_network_is_pyods_linear_blocks_with_pyods_initialisation() {
    let p = AutoencoderParams::default();
    let net = p.network(600, &mut ChaCha8Rng::seed_from_u64(1));
    let kinds: Vec<&str> = net
        .layers
        .iter()
        .map(|l| match l {
            Layer::Linear(_) => "linear",
            Layer::BatchNorm(_) => "bn",
            Layer::Relu => "relu",
            Layer::Dropout { .. } => "dropout",
            _ => "other",
        })
        .collect();
    let block = ["linear", "bn", "relu", "dropout"];
    let expected: Vec<&str> = [block, block, block]
        .concat()
        .into_iter()
        .chain(["linear"])
        .collect();
    assert_eq!(kinds, expected);
    let linears: Vec<&Linear> = net.linear_layers().collect();
    let shapes: Vec<(usize, usize)> = linears.iter().map(|l| l.weight.dim()).collect();
    assert_eq!(shapes, vec![(64, 600), (32, 64), (64, 32), (600, 64)]);
    // Hidden weights U(±√(6/fan_in)): for fan_in 600 the bound is 0.1 and
    // the draws come close to it; biases U(±1/√fan_in).
    let first = linears[0];
    let max = first.weight.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    assert!(max <= 0.1 && max > 0.099, "{max}");
    let bias_max = first
        .bias
        .as_ref()
        .unwrap()
        .iter()
        .fold(0.0f64, |m, b| m.max(b.abs()));
    assert!(bias_max <= 1.0 / 600f64.sqrt());
    // The output layer: torch's default, U(±1/√64) for both.
    let out = linears[3];
    let bound = 1.0 / 8.0;
    assert!(out.weight.iter().all(|w| w.abs() <= bound));
    assert!(out.weight.iter().any(|w| w.abs() > 0.9 * bound));
    assert!(out.bias.as_ref().unwrap().iter().all(|b| b.abs() <= bound));
    // Without batch norm and dropout: Linear -> activation only.
    let plain = AutoencoderParams {
        batch_norm: false,
        dropout_rate: 0.0,
        hidden_activation: Activation::Tanh,
        hidden_neurons: vec![5],
        ..p
    }
    .network(3, &mut ChaCha8Rng::seed_from_u64(1));
    assert!(matches!(
        plain.layers.as_slice(),
        [Layer::Linear(_), Layer::Tanh, Layer::Linear(_)]
    ));
}

#[test]
fn history_has_one_loss_per_epoch_and_training_lowers_it() {
    let x = data(400, 5, 1);
    let f = detector("autoencoder", json!({"epochs": 30, "dropout_rate": 0.0}))
        .fit(x.view())
        .unwrap();
    let h = f.history().unwrap();
    assert_eq!(h.loss.len(), 30);
    assert_eq!(h.best_epoch, None);
    assert!(h.validation.is_empty());
    assert!(h.loss.iter().all(|l| l.is_finite() && *l > 0.0));
    assert!(h.loss[29] < 0.5 * h.loss[0], "{:?}", h.loss);
}

#[test]
fn fewer_rows_than_a_batch_train_as_one_batch() {
    let x = data(10, 3, 2);
    let f = detector("autoencoder", json!({})).fit(x.view()).unwrap();
    assert_eq!(f.history().unwrap().loss.len(), 10);
    assert!(
        f.score_samples(x.view())
            .unwrap()
            .iter()
            .all(|s| s.is_finite())
    );
    // Two rows are enough for batch norm, one is not.
    assert!(
        detector("autoencoder", json!({}))
            .fit(x.slice(ndarray::s![..2, ..]))
            .is_ok()
    );
    let e = detector("autoencoder", json!({}))
        .fit(x.slice(ndarray::s![..1, ..]))
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("at least 2 training rows"), "{e}");
    // Without batch norm a single row trains.
    let f = detector("autoencoder", json!({"batch_norm": false}))
        .fit(x.slice(ndarray::s![..1, ..]))
        .unwrap();
    assert!(
        f.score_samples(x.view())
            .unwrap()
            .iter()
            .all(|s| s.is_finite())
    );
}

#[test]
fn a_constant_column_is_divided_by_1e_8_as_pyod_and_stays_finite() {
    let mut x = data(200, 3, 3);
    x.column_mut(1).fill(0.1);
    let fit = AutoencoderParams::default().fit(x.view()).unwrap();
    assert!(fit.train_scores.iter().all(|s| s.is_finite()));
    let s = fit.model.scaler().unwrap();
    // std is ~0 (the mean of 0.1s rounds), so the divisor is ~1e-8.
    assert!(
        s.divisor[1] >= 1e-8 && s.divisor[1] < 1.000001e-8,
        "{}",
        s.divisor[1]
    );
    // A value never seen in the constant column: scaled to ~1e7, scored
    // far above every training row, still finite.
    let mut q = x.slice(ndarray::s![..2, ..]).to_owned();
    q[[1, 1]] = 0.2;
    let scores = fit.model.score_samples(q.view());
    let top = fit.train_scores.iter().fold(0.0f64, |m, &s| m.max(s));
    assert!(scores[1].is_finite() && scores[1] > 1e3 * top, "{scores}");
    // Rows near f64's limit overflow inside the network: +inf, never NaN.
    let huge = Array2::from_elem((1, 3), 1e300);
    let s = fit.model.score_samples(huge.view());
    assert!(!s[0].is_nan(), "{s}");
}

#[test]
fn without_preprocessing_the_rows_are_used_as_they_are() {
    let x = data(100, 4, 4);
    let fit = AutoencoderParams {
        preprocessing: false,
        ..AutoencoderParams::default()
    }
    .fit(x.view())
    .unwrap();
    assert!(fit.model.scaler().is_none());
    // The score is the reconstruction error of the raw rows.
    let recon = fit.model.network().predict(x.view());
    let direct = (&recon - &x)
        .mapv(|v| v * v)
        .sum_axis(ndarray::Axis(1))
        .mapv(f64::sqrt);
    for (a, b) in fit.train_scores.iter().zip(&direct) {
        assert!((a - b).abs() <= 1e-12 * b.max(1.0));
    }
}

#[test]
fn an_oversized_network_is_refused_at_fit_time() {
    // 50 columns, [10000, 10000]: 50·10^4 + 10^8 + ... parameters.
    let e = detector("autoencoder", json!({"hidden_neurons": [10000, 10000]}))
        .fit(data(4, 50, 5).view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("parameters"), "{e}");
    // A batch of 10^4 rows through 2 × 10000 + 3 widths: 2·10^8 values.
    let fit = AutoencoderParams {
        hidden_neurons: vec![10_000],
        batch_size: 10_000,
        ..AutoencoderParams::default()
    }
    .fit(Array2::zeros((10_000, 3)).view());
    let Err(e) = fit else {
        panic!("an oversized batch was accepted")
    };
    assert!(e.to_string().contains("lower batch_size"), "{e}");
}

#[test]
fn thread_count_independent_with_other_settings() {
    let params = json!({"hidden_neurons": [16, 8, 4], "hidden_activation": "tanh",
                        "dropout_rate": 0.3, "batch_size": 7, "epochs": 3, "seed": 9});
    assert_thread_count_independent("autoencoder", params, &data(1500, 5, 6), &data(1300, 5, 7));
}

#[test]
fn save_load_gives_identical_scores_and_history() {
    let f = detector("autoencoder", json!({"epochs": 2}))
        .fit(data(120, 4, 8).view())
        .unwrap();
    let g = assert_save_load_identical(&f, &data(30, 4, 9));
    assert_eq!(g.history(), f.history());
    assert_corrupt_refused(&f, "n_features", |m| m["n_features"] = json!(5));
    assert_corrupt_refused(&f, "zero divisor", |m| {
        m["scaler"]["divisor"]["data"][0] = json!(0.0)
    });
    assert_corrupt_refused(&f, "scaler width", |m| {
        m["scaler"]["mean"] = json!({"v": 1, "dim": [1], "data": [0.0]});
        m["scaler"]["divisor"] = json!({"v": 1, "dim": [1], "data": [1.0]});
    });
    assert_corrupt_refused(&f, "no layers", |m| m["network"]["layers"] = json!([]));
    assert_corrupt_refused(&f, "dropout rate", |m| {
        m["network"]["layers"][3]["p"] = json!(1.0)
    });
    assert_corrupt_refused(&f, "output width", |m| {
        let layers = m["network"]["layers"].as_array_mut().unwrap();
        layers.truncate(4);
    });
    assert_corrupt_refused(&f, "unknown field", |m| m["extra"] = json!(1));
}

#[test]
fn parts_must_fit_together() {
    let p = AutoencoderParams::default();
    let net = p.network(3, &mut ChaCha8Rng::seed_from_u64(0));
    assert!(AutoencoderModel::from_parts(None, net.clone()).is_ok());
    let scaler = Scaler::new(array![0.0, 0.0], array![1.0, 1.0]).unwrap();
    assert!(AutoencoderModel::from_parts(Some(scaler), net).is_err());
    let encoder_only = Mlp::new(vec![Layer::Linear(Linear::kaiming_uniform(
        3,
        2,
        true,
        &mut ChaCha8Rng::seed_from_u64(0),
    ))]);
    assert!(AutoencoderModel::from_parts(None, encoder_only).is_err());
}

#[test]
fn replay_needs_this_architecture_and_one_order_per_epoch() {
    let x = data(40, 3, 10);
    let p = AutoencoderParams {
        epochs: 2,
        dropout_rate: 0.0,
        ..AutoencoderParams::default()
    };
    let net = p.network(3, &mut ChaCha8Rng::seed_from_u64(0));
    let orders: Vec<Vec<usize>> = vec![(0..40).rev().collect(), (0..40).collect()];
    let fit = p.fit_replay(x.view(), net.clone(), &orders).unwrap();
    assert_eq!(fit.model.history().unwrap().loss.len(), 2);
    assert!(p.fit_replay(x.view(), net.clone(), &orders[..1]).is_err());
    let other = AutoencoderParams {
        hidden_neurons: vec![8],
        ..p.clone()
    }
    .network(3, &mut ChaCha8Rng::seed_from_u64(0));
    assert!(p.fit_replay(x.view(), other, &orders).is_err());
}
