use super::model::Networks;
use super::train::{Optimisers, TrainConfig, score_rows, train, training_rows};
use super::*;
use crate::nn::{Mlp, child_rng};
use ndarray::{Array2, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Allowed |anml − torch| in the step fixture.
const TOL: f64 = 1e-10;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/usad/steps.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn vec_of(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(vec_of).collect();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.concat()).expect("rectangular")
}

fn tensors(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().expect("tensors").iter().map(vec_of).collect()
}

fn set(nets: &mut Networks, v: &Value) {
    nets.encoder.set_params(&tensors(&v["encoder"])).unwrap();
    nets.decoder1.set_params(&tensors(&v["decoder1"])).unwrap();
    nets.decoder2.set_params(&tensors(&v["decoder2"])).unwrap();
}

fn worst(net: &Mlp, want: &Value) -> f64 {
    net.params()
        .iter()
        .zip(tensors(want))
        .flat_map(|(p, w)| {
            assert_eq!(p.len(), w.len());
            p.iter()
                .zip(w)
                .map(|(a, b)| (a - b).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max)
}

/// Toy data: a smooth curve per column with small noise, values in [0, 1].
fn smooth(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(3);
    Array2::from_shape_fn((n, d), |(i, j)| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let noise = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        0.5 + 0.4 * ((i + 3 * j) as f64 / 7.0).sin() + 0.02 * noise
    })
}

#[test]
fn two_phase_steps_match_torch() {
    let f = fixture();
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let n_of = |k: &str| case[k].as_u64().unwrap() as usize;
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut nets = Networks::init(n_of("d"), n_of("hidden"), n_of("latent"), &mut rng);
        set(&mut nets, &case["initial"]);
        let opt = &case["optimizer"];
        let mut opts = Optimisers::adamw(
            &nets,
            opt["lr"].as_f64().unwrap(),
            opt["weight_decay"].as_f64().unwrap(),
        );
        for (i, st) in case["steps"].as_array().unwrap().iter().enumerate() {
            opts.set_lr(st["lr"].as_f64().unwrap());
            let x = matrix(&st["x"]);
            let n = st["n"].as_f64().unwrap();
            let (l1, l2) = nets.train_step(&mut opts, x.view(), n, &mut rng).unwrap();
            assert!(
                (l1 - st["loss1"].as_f64().unwrap()).abs() < TOL,
                "{name} step {i}: L1 {l1} vs {}",
                st["loss1"]
            );
            assert!(
                (l2 - st["loss2"].as_f64().unwrap()).abs() < TOL,
                "{name} step {i}: L2 {l2} vs {}",
                st["loss2"]
            );
            for (net, key) in [
                (&nets.encoder, "encoder"),
                (&nets.decoder1, "decoder1"),
                (&nets.decoder2, "decoder2"),
            ] {
                let e = worst(net, &st["after"][key]);
                assert!(e < TOL, "{name} step {i}: {key} off by {e}");
            }
        }
        let x = matrix(&case["score_x"]);
        for sc in case["scores"].as_array().unwrap() {
            let (a, b) = (sc["alpha"].as_f64().unwrap(), sc["beta"].as_f64().unwrap());
            let got = score_rows(&nets, x.view(), a, b);
            for (g, w) in got.iter().zip(vec_of(&sc["values"])) {
                assert!((g - w).abs() < TOL, "{name} score ({a}, {b}): {g} vs {w}");
            }
        }
    }
}

#[test]
fn step_lr_and_epoch_weights_follow_the_schedule() {
    // One batch per epoch (all rows), no validation: `train` must equal
    // stepping by hand with n = 1, 2, 3 and the rate lowered after every
    // `lr_step` = 2 epochs. Rows are shuffled in `train`, which only changes
    // summation order (mean losses), hence a tolerance instead of bits.
    let x = smooth(40, 4, 1);
    let config = TrainConfig {
        epochs: 3,
        batch_size: 40,
        lr: 1e-2,
        weight_decay: 1e-3,
        lr_step: 2,
        lr_gamma: 0.5,
        validation_size: 0.0,
        patience: 100,
    };
    let trained = train(x.view(), 6, 3, &config, 9).unwrap();
    assert_eq!(trained.loss.len(), 3);
    assert!(trained.validation.is_empty());

    let mut master = ChaCha8Rng::seed_from_u64(9);
    let mut init = child_rng(&mut master);
    let mut nets = Networks::init(4, 6, 3, &mut init);
    let mut opts = Optimisers::adamw(&nets, 1e-2, 1e-3);
    let mut unused = ChaCha8Rng::seed_from_u64(0);
    for (epoch, lr) in [(0, 1e-2), (1, 1e-2), (2, 1e-2 * 0.5)] {
        opts.set_lr(lr);
        let (l1, l2) = nets
            .train_step(&mut opts, x.view(), (epoch + 1) as f64, &mut unused)
            .unwrap();
        let got = trained.loss[epoch];
        assert!((got - (l1 + l2)).abs() < 1e-12, "epoch {epoch}: {got}");
    }
    for (a, b) in [
        (&trained.networks.encoder, &nets.encoder),
        (&trained.networks.decoder1, &nets.decoder1),
        (&trained.networks.decoder2, &nets.decoder2),
    ] {
        for (p, q) in a.params().iter().zip(b.params()) {
            for (u, v) in p.iter().zip(q) {
                assert!((u - v).abs() < 1e-12, "{u} vs {v}");
            }
        }
    }
}

#[test]
fn validation_is_the_chronological_tail_and_drives_early_stopping() {
    assert_eq!(training_rows(100, 0.2), 80);
    assert_eq!(training_rows(7, 0.2), 5); // int(0.8 * 7) = int(5.6)
    assert_eq!(training_rows(1, 0.2), 0);
    assert_eq!(training_rows(9, 0.0), 9);

    let x = smooth(200, 5, 2);
    let p = UsadParams {
        epochs: 30,
        patience: 30,
        lr: 1e-2,
        ..UsadParams::default()
    };
    let fit = p.fit(x.view()).unwrap();
    let h = fit.model.history().unwrap();
    assert_eq!(h.loss.len(), 30, "patience = epochs never stops early");
    assert_eq!(h.validation.len(), 30);
    assert!(h.best_epoch.is_none(), "the last weights are kept");
    // The validation loss is (1/n)(mse1 + mse2) on the last 40 rows; every
    // value is finite and non-negative.
    assert!(h.validation.iter().all(|v| v.is_finite() && *v >= 0.0));

    // Patience 1: stops at the first epoch whose validation loss does not
    // fall by more than MIN_DELTA.
    let q = UsadParams {
        epochs: 200,
        patience: 1,
        lr: 1e-2,
        ..UsadParams::default()
    };
    let h = q.fit(x.view()).unwrap().model.history().unwrap().clone();
    let last = h.validation.len() - 1;
    assert!(last < 199, "never stopped");
    assert!(
        h.validation[last]
            >= h.validation[..last]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                - MIN_DELTA
    );
    for e in 1..last {
        let best = h.validation[..e]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        assert!(
            h.validation[e] < best - MIN_DELTA,
            "epoch {e} should have stopped"
        );
    }

    // No validation rows: the training loss is monitored.
    let r = UsadParams {
        validation_size: 0.0,
        ..UsadParams::default()
    };
    let h = r.fit(x.view()).unwrap().model.history().unwrap().clone();
    assert!(h.validation.is_empty() && !h.loss.is_empty());
}

#[test]
fn scalers_fit_on_training_rows() {
    let x = ndarray::array![[1.0, 5.0, -2.0], [3.0, 5.0, 2.0], [2.0, 5.0, 0.0]];
    let mm = Scaler::fit(Scaling::Minmax, x.view());
    assert_eq!(mm.shift, vec![1.0, 5.0, -2.0]);
    assert_eq!(mm.divisor, vec![2.0, 1.0, 4.0]);
    let t = mm.transform(x.view());
    assert_eq!(t.column(0).to_vec(), vec![0.0, 1.0, 0.5]);
    assert_eq!(t.column(1).to_vec(), vec![0.0, 0.0, 0.0]);
    // Outside the training range: outside [0, 1].
    let q = ndarray::array![[5.0, 6.0, 2.0]];
    assert_eq!(mm.transform(q.view()).row(0).to_vec(), vec![2.0, 1.0, 1.0]);
    let z = Scaler::fit(Scaling::Zscore, x.view());
    assert_eq!(z.shift, vec![2.0, 5.0, 0.0]);
    assert!((z.divisor[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
    assert_eq!(z.divisor[1], 1.0);
    let none = Scaler::fit(Scaling::None, x.view());
    assert_eq!(none.transform(x.view()), x);
}

#[test]
fn outlying_rows_score_higher() {
    let mut x = smooth(400, 6, 3);
    for i in [50, 150, 250] {
        x.row_mut(i).fill(3.0);
    }
    // Ten epochs at the series learning rate. (Much longer training lets
    // the adversarial term dominate: (1 − 1/n) → 1 and AE2 learns to push
    // AE2(AE1(w)) away from every training row, normal ones included.)
    let p = UsadParams {
        lr: 1e-3,
        ..UsadParams::default()
    };
    let fit = p.fit(x.view()).unwrap();
    let s = &fit.train_scores;
    let normal_max = s
        .iter()
        .enumerate()
        .filter(|(i, _)| ![50, 150, 250].contains(i))
        .map(|(_, v)| *v)
        .fold(f64::NEG_INFINITY, f64::max);
    for i in [50, 150, 250] {
        assert!(s[i] > normal_max, "row {i}: {} vs {normal_max}", s[i]);
    }
    assert_eq!(fit.model.score_samples(x.view()), fit.train_scores);
}

#[test]
fn data_dependent_refusals_are_cannot_fit() {
    let x = smooth(10, 3, 4);
    let big = UsadParams {
        hidden_size: MAX_SIZE,
        ..UsadParams::default()
    };
    match big.fit(x.view()) {
        Err(DetectorError::CannotFit(m)) => assert!(m.contains("network parameters"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    match UsadParams::default().fit(x.slice(s![..1, ..])) {
        Err(DetectorError::CannotFit(m)) => assert!(m.contains("no training row"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // One row without validation trains.
    let p = UsadParams {
        validation_size: 0.0,
        ..UsadParams::default()
    };
    assert!(p.fit(x.slice(s![..1, ..])).is_ok());
}

#[test]
fn saved_models_are_checked_on_load() {
    let x = smooth(60, 3, 5);
    let model = UsadParams::default().fit(x.view()).unwrap().model;
    let v = serde_json::to_value(&model).unwrap();
    let back: UsadModel = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, model);
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut w = v.clone();
        f(&mut w);
        serde_json::from_value::<UsadModel>(w)
            .unwrap_err()
            .to_string()
    };
    let e = broken(&|w| w["scaler"]["divisor"][0] = json!(0.0));
    assert!(e.contains("divisor"), "{e}");
    let e = broken(&|w| w["scaler"]["shift"] = json!([0.0, 0.0]));
    assert!(e.contains("scaler"), "{e}");
    let e = broken(&|w| w["alpha"] = json!(2.0));
    assert!(e.contains("alpha"), "{e}");
    let e = broken(&|w| {
        w["networks"]["decoder2"] = w["networks"]["encoder"].clone();
    });
    assert!(e.contains("decoder2"), "{e}");
    let e = broken(&|w| w["extra"] = json!(1));
    assert!(e.contains("extra"), "{e}");
}
