//! Gradient checks against central finite differences, overfitting a tiny
//! set, the optimisers on a known problem and thread-count independence.

use super::*;
use ndarray::{Array1, Array2, ArrayView2, array};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn normal_matrix(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut r = rng(seed);
    Array2::from_shape_simple_fn((n, d), || {
        let u1: f64 = 1.0 - r.random::<f64>();
        let u2: f64 = r.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    })
}

type LossFn = dyn Fn(&Array2<f64>) -> (f64, Array2<f64>);

/// The loss of `net` on `x` with the dropout masks of `seed`.
fn loss_at(net: &Mlp, x: ArrayView2<'_, f64>, mode: Mode, seed: u64, loss: &LossFn) -> f64 {
    loss(&net.forward(x, mode, &mut rng(seed)).0).0
}

/// ‖a − b‖ / (‖a‖ + ‖b‖), 0 when both vanish.
fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt();
    let norm =
        a.iter().map(|x| x * x).sum::<f64>().sqrt() + b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 { 0.0 } else { diff / norm }
}

/// Check every parameter gradient and the input gradient of `net` under
/// `loss` against central differences.
fn gradient_check(net: &Mlp, x: &Array2<f64>, mode: Mode, loss: &LossFn) {
    let h = 1e-6;
    let seed = 99;
    let (out, tape) = net.forward(x.view(), mode, &mut rng(seed));
    let (_, dy) = loss(&out);
    let (grads, dx) = net.backward(&tape, dy);
    let n_params = net.params().len();
    assert_eq!(grads.len(), n_params);
    for (t, grad) in grads.iter().enumerate() {
        let len = net.params()[t].len();
        let mut numeric = vec![0.0; len];
        for (k, slot) in numeric.iter_mut().enumerate() {
            let mut plus = net.clone();
            plus.params_mut()[t][k] += h;
            let mut minus = net.clone();
            minus.params_mut()[t][k] -= h;
            *slot = (loss_at(&plus, x.view(), mode, seed, loss)
                - loss_at(&minus, x.view(), mode, seed, loss))
                / (2.0 * h);
        }
        let analytic = grad.as_slice().unwrap();
        if analytic.iter().all(|&g| g.abs() < 1e-12) {
            // A structurally zero gradient (a bias before train-mode batch
            // norm): the differences must vanish up to their rounding noise.
            assert!(
                numeric.iter().all(|g| g.abs() < 1e-7),
                "tensor {t}: {numeric:?}"
            );
            continue;
        }
        let e = relative_error(analytic, &numeric);
        assert!(
            e < 1e-6,
            "parameter tensor {t} ({mode:?}): relative error {e}"
        );
    }
    let mut numeric = Array2::zeros(x.raw_dim());
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            let mut plus = x.clone();
            plus[[i, j]] += h;
            let mut minus = x.clone();
            minus[[i, j]] -= h;
            numeric[[i, j]] = (loss_at(net, plus.view(), mode, seed, loss)
                - loss_at(net, minus.view(), mode, seed, loss))
                / (2.0 * h);
        }
    }
    let e = relative_error(dx.as_slice().unwrap(), numeric.as_slice().unwrap());
    assert!(e < 1e-6, "input gradient ({mode:?}): relative error {e}");
}

fn mse_to(target: Array2<f64>) -> Box<LossFn> {
    Box::new(move |y: &Array2<f64>| mse(y, target.view()))
}

fn linear(i: usize, o: usize, bias: bool, seed: u64) -> Layer {
    Layer::Linear(Linear::kaiming_uniform(i, o, bias, &mut rng(seed)))
}

/// Batch norm with non-trivial affine parameters and running statistics.
fn batch_norm(dim: usize, seed: u64) -> Layer {
    let mut bn = BatchNorm::new(dim);
    let r = normal_matrix(4, dim, seed);
    bn.gamma = r.row(0).mapv(|v| 1.0 + 0.3 * v);
    bn.beta = r.row(1).mapv(|v| 0.2 * v);
    bn.running_mean = r.row(2).mapv(|v| 0.5 * v);
    bn.running_var = r.row(3).mapv(|v| 0.5 + v.abs());
    Layer::BatchNorm(bn)
}

#[test]
fn every_layer_passes_a_gradient_check_in_both_modes() {
    let x = normal_matrix(6, 4, 1);
    let single_layers: Vec<(&str, Vec<Layer>)> = vec![
        ("linear", vec![linear(4, 3, true, 2)]),
        ("linear without bias", vec![linear(4, 3, false, 3)]),
        ("relu", vec![linear(4, 3, true, 4), Layer::Relu]),
        (
            "leaky relu",
            vec![linear(4, 3, true, 5), Layer::LeakyRelu { slope: 0.01 }],
        ),
        ("sigmoid", vec![linear(4, 3, true, 6), Layer::Sigmoid]),
        ("tanh", vec![linear(4, 3, true, 7), Layer::Tanh]),
        ("batch norm", vec![linear(4, 3, true, 8), batch_norm(3, 9)]),
        (
            "dropout",
            vec![linear(4, 3, true, 10), Layer::Dropout { p: 0.3 }],
        ),
    ];
    for (name, layers) in single_layers {
        let net = Mlp::new(layers);
        let target = normal_matrix(6, 3, 11);
        for mode in [Mode::Train, Mode::Eval] {
            eprintln!("{name} {mode:?}");
            gradient_check(&net, &x, mode, &*mse_to(target.clone()));
        }
    }
}

#[test]
fn a_network_with_batch_norm_passes_a_gradient_check_under_both_losses() {
    let x = normal_matrix(8, 5, 21);
    let net = Mlp::new(vec![
        linear(5, 7, true, 22),
        batch_norm(7, 23),
        Layer::Relu,
        Layer::Dropout { p: 0.2 },
        linear(7, 4, true, 24),
        batch_norm(4, 25),
        Layer::Tanh,
        linear(4, 3, false, 26),
        Layer::Sigmoid,
    ]);
    let centre = array![0.1, -0.2, 0.3];
    let centre_loss = move |y: &Array2<f64>| centre_distance(y, centre.view());
    for mode in [Mode::Train, Mode::Eval] {
        gradient_check(&net, &x, mode, &*mse_to(normal_matrix(8, 3, 27)));
        gradient_check(&net, &x, mode, &centre_loss);
    }
}

#[test]
fn losses_match_their_definitions() {
    let y = array![[1.0, 2.0], [3.0, 5.0]];
    let t = array![[0.0, 2.0], [1.0, 1.0]];
    let (l, g) = mse(&y, t.view());
    assert_eq!(l, (1.0 + 0.0 + 4.0 + 16.0) / 4.0);
    assert_eq!(g, array![[0.5, 0.0], [1.0, 2.0]]);
    let (l, g) = centre_distance(&y, array![1.0, 1.0].view());
    assert_eq!(l, (1.0 + 4.0 + 16.0) / 2.0);
    assert_eq!(g, array![[0.0, 1.0], [2.0, 4.0]]);
    assert_eq!(row_squared_error(y.view(), t.view()), array![1.0, 20.0]);
    assert_eq!(row_sum_of_squares(t.view()), array![4.0, 2.0]);
}

#[test]
fn the_norm_penalty_is_the_unsquared_frobenius_norm_with_its_gradient() {
    // Two tensors: ‖(3, 4)‖ = 5 and ‖(0, 0, 0)‖ = 0 (no gradient there).
    let a = [3.0, 4.0];
    let zero = [0.0; 3];
    let mut grads = vec![array![1.0, 1.0], array![0.5, 0.5, 0.5]];
    let pen = add_norm_penalty(&[&a, &zero], 0.1, &mut grads).unwrap();
    assert!((pen - 0.5).abs() < 1e-15);
    assert!((grads[0][0] - (1.0 + 0.1 * 3.0 / 5.0)).abs() < 1e-15);
    assert!((grads[0][1] - (1.0 + 0.1 * 4.0 / 5.0)).abs() < 1e-15);
    assert_eq!(grads[1], array![0.5, 0.5, 0.5]);
    // Against central differences on a network's weights.
    let net = Mlp::new(vec![
        linear(4, 3, false, 61),
        Layer::Relu,
        linear(3, 2, false, 62),
    ]);
    let penalty = |n: &Mlp| {
        let p = n.params();
        let mut g: Vec<Array1<f64>> = p.iter().map(|t| Array1::zeros(t.len())).collect();
        add_norm_penalty(&p, 1e-3, &mut g).unwrap()
    };
    let p = net.params();
    let mut analytic: Vec<Array1<f64>> = p.iter().map(|t| Array1::zeros(t.len())).collect();
    add_norm_penalty(&p, 1e-3, &mut analytic).unwrap();
    let h = 1e-6;
    for (t, grad) in analytic.iter().enumerate() {
        let numeric: Vec<f64> = (0..grad.len())
            .map(|k| {
                let mut plus = net.clone();
                plus.params_mut()[t][k] += h;
                let mut minus = net.clone();
                minus.params_mut()[t][k] -= h;
                (penalty(&plus) - penalty(&minus)) / (2.0 * h)
            })
            .collect();
        let e = relative_error(grad.as_slice().unwrap(), &numeric);
        assert!(e < 1e-6, "tensor {t}: relative error {e}");
    }
    // Mismatched shapes are a typed error.
    let mut short = vec![Array1::zeros(1)];
    assert!(matches!(
        add_norm_penalty(&[&a], 1.0, &mut short),
        Err(NnError::Shape(_))
    ));
}

#[test]
fn batch_norm_running_statistics_follow_torch() {
    let mut net = Mlp::new(vec![Layer::BatchNorm(BatchNorm::new(2))]);
    let x = array![[1.0, 0.0], [3.0, 0.0], [5.0, 3.0]];
    let (y, tape) = net.forward(x.view(), Mode::Train, &mut rng(0));
    net.update_running(&tape);
    let Layer::BatchNorm(bn) = &net.layers[0] else {
        unreachable!()
    };
    // mean (3, 1); unbiased variance (4, 3); momentum 0.1 from (0, 1).
    assert!((bn.running_mean[0] - 0.3).abs() < 1e-15);
    assert!((bn.running_mean[1] - 0.1).abs() < 1e-15);
    assert!((bn.running_var[0] - (0.9 + 0.4)).abs() < 1e-15);
    assert!((bn.running_var[1] - (0.9 + 0.3)).abs() < 1e-15);
    // Train output: biased variance 8/3 and eps 1e-5.
    let expect = -2.0 / (8.0f64 / 3.0 + 1e-5).sqrt();
    assert!((y[[0, 0]] - expect).abs() < 1e-14);
}

#[test]
fn default_initialisation_stays_in_torch_bounds() {
    let l = Linear::kaiming_uniform(16, 200, true, &mut rng(3));
    let bound = 0.25;
    assert!(l.weight.iter().all(|w| w.abs() <= bound));
    assert!(l.bias.as_ref().unwrap().iter().all(|b| b.abs() <= bound));
    // Uniform on [-b, b]: mean 0, variance b²/3.
    let n = l.weight.len() as f64;
    let mean = l.weight.sum() / n;
    let var = l.weight.mapv(|w| (w - mean) * (w - mean)).sum() / n;
    assert!(mean.abs() < 0.01, "{mean}");
    assert!((var - bound * bound / 3.0).abs() < 0.002, "{var}");
}

#[test]
fn dropout_keeps_about_one_minus_p_and_rescales() {
    let net = Mlp::new(vec![Layer::Dropout { p: 0.25 }]);
    let x = Array2::ones((200, 50));
    let (y, _) = net.forward(x.view(), Mode::Train, &mut rng(5));
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
    assert!((kept - 0.75).abs() < 0.02, "{kept}");
    assert!(
        y.iter()
            .all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-15)
    );
    assert_eq!(net.forward(x.view(), Mode::Eval, &mut rng(5)).0, x);
}

/// Train `net` to reconstruct `x` with Adam; the epoch losses.
fn overfit(net: &mut Mlp, x: &Array2<f64>, config: AdamConfig, epochs: usize) -> Vec<f64> {
    let mut opt = Adam::for_params(config, &net.params());
    let schedule = Schedule {
        epochs,
        batch_size: 4,
        shuffle: true,
        drop_last: false,
    };
    let mut r = rng(7);
    run_epochs(
        "test",
        x.nrows(),
        &schedule,
        &mut r,
        |idx, r| {
            let xb = gather(x.view(), idx);
            let (out, tape) = net.forward(xb.view(), Mode::Train, r);
            let (loss, dy) = mse(&out, xb.view());
            net.update_running(&tape);
            let (grads, _) = net.backward(&tape, dy);
            opt.step(net.params_mut(), &grads)?;
            Ok(loss)
        },
        |_, _| Ok(Control::Continue),
    )
    .unwrap()
}

#[test]
fn a_tiny_network_overfits_a_tiny_dataset() {
    let x = normal_matrix(8, 3, 31);
    let mut net = Mlp::stack(
        &[3, 16, 3],
        Block {
            batch_norm: false,
            activation: Activation::Tanh,
            dropout: 0.0,
            bias: true,
        },
        true,
        &[],
        &mut rng(32),
    );
    let losses = overfit(&mut net, &x, AdamConfig::adam(1e-2, 0.0), 600);
    assert!(losses[0] > 0.3, "{}", losses[0]);
    let last = *losses.last().unwrap();
    assert!(last < 1e-3, "final loss {last}");
    let recon = net.predict(x.view());
    assert!(
        row_squared_error(recon.view(), x.view())
            .iter()
            .all(|&e| e < 1e-2)
    );
}

#[test]
fn adamw_decays_weights_without_a_gradient() {
    let mut p = vec![1.0, -2.0];
    let grads = vec![Array1::zeros(2)];
    let mut opt = Adam::new(AdamConfig::adamw(0.1, 0.5), &[2]);
    opt.step(vec![&mut p[..]], &grads).unwrap();
    // p (1 − lr λ); the Adam update of a zero gradient is 0.
    assert_eq!(p, vec![0.95, -1.9]);
    let mut q = vec![1.0, -2.0];
    let mut opt = Adam::new(AdamConfig::adam(0.1, 0.5), &[2]);
    opt.step(vec![&mut q[..]], &grads).unwrap();
    // L2: g = λ p, so the first step moves each weight by lr against its sign.
    assert!(
        (q[0] - 0.9).abs() < 1e-7 && (q[1] + 1.9).abs() < 1e-7,
        "{q:?}"
    );
    let mut r = [0.0];
    assert!(opt.step(vec![&mut r[..]], &grads).is_err());
}

#[test]
fn set_lr_changes_later_steps_only() {
    // AdamW with a zero gradient only decays: p (1 − lr λ) with the lr of
    // that step; the step count and moments carry over.
    let grads = vec![Array1::zeros(1)];
    let mut p = vec![1.0];
    let mut opt = Adam::new(AdamConfig::adamw(0.1, 0.5), &[1]);
    opt.step(vec![&mut p[..]], &grads).unwrap();
    opt.set_lr(0.2);
    assert_eq!(opt.config().lr, 0.2);
    opt.step(vec![&mut p[..]], &grads).unwrap();
    assert_eq!(p, vec![1.0 * (1.0 - 0.1 * 0.5) * (1.0 - 0.2 * 0.5)]);
}

#[test]
fn training_and_inference_do_not_depend_on_the_thread_count() {
    let x = normal_matrix(2500, 6, 41);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut net = Mlp::stack(
                &[6, 8, 3, 8, 6],
                Block {
                    batch_norm: true,
                    activation: Activation::Relu,
                    dropout: 0.2,
                    bias: true,
                },
                true,
                &[],
                &mut rng(42),
            );
            let losses = overfit(&mut net, &x, AdamConfig::adam(1e-3, 1e-5), 2);
            (losses, net.predict(x.view()))
        })
    };
    let (l1, p1) = run(1);
    for threads in [2, 4] {
        let (l, p) = run(threads);
        assert_eq!(l, l1);
        assert!(p.iter().zip(&p1).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}

#[test]
fn a_diverging_fit_is_a_typed_error() {
    let x = normal_matrix(8, 2, 51) * 1e200;
    let mut net = Mlp::new(vec![linear(2, 2, true, 52)]);
    let mut opt = Adam::for_params(AdamConfig::adam(1e-3, 0.0), &net.params());
    let schedule = Schedule {
        epochs: 3,
        batch_size: 8,
        shuffle: false,
        drop_last: false,
    };
    let e = run_epochs(
        "test",
        8,
        &schedule,
        &mut rng(0),
        |idx, r| {
            let xb = gather(x.view(), idx);
            let (out, tape) = net.forward(xb.view(), Mode::Train, r);
            let (loss, dy) = mse(&out, xb.view());
            let (g, _) = net.backward(&tape, dy);
            opt.step(net.params_mut(), &g)?;
            Ok(loss)
        },
        |_, _| Ok(Control::Continue),
    )
    .unwrap_err();
    assert_eq!(e, NnError::Diverged { epoch: 0 });
}

#[test]
fn early_stopping_waits_for_patience() {
    let mut es = EarlyStopping::new(2, 0.0);
    assert_eq!(es.observe(0, 1.0), (true, Control::Continue));
    assert_eq!(es.observe(1, 0.5), (true, Control::Continue));
    assert_eq!(es.observe(2, 0.6), (false, Control::Continue));
    assert_eq!(es.observe(3, 0.5), (false, Control::Stop));
    assert_eq!(es.best_epoch(), Some(1));
    let (train, val) = validation_split(10, 0.2, &mut rng(1));
    assert_eq!((train.len(), val.len()), (8, 2));
    let mut all: Vec<usize> = train.iter().chain(&val).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
}

#[test]
fn batches_cover_every_row_once_and_follow_the_last_batch_rule() {
    let keep = Schedule {
        epochs: 1,
        batch_size: 4,
        shuffle: true,
        drop_last: false,
    };
    let b = epoch_batches(10, &keep, &mut rng(3));
    assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
    let mut all: Vec<usize> = b.concat();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
    let drop = Schedule {
        drop_last: true,
        ..keep
    };
    assert_eq!(epoch_batches(10, &drop, &mut rng(3)).len(), 2);
}

#[test]
fn a_loaded_network_is_checked() {
    let net = Mlp::new(vec![
        linear(3, 2, true, 1),
        Layer::Relu,
        linear(2, 1, true, 2),
    ]);
    assert!(net.check(3).is_ok());
    assert!(net.check(4).is_err());
    let mut bad = net.clone();
    bad.params_mut()[0][0] = f64::NAN;
    assert!(bad.check(3).is_err());
    let json = serde_json::to_string(&net).unwrap();
    let back: Mlp = serde_json::from_str(&json).unwrap();
    assert_eq!(back, net);
    assert!(
        Mlp::new(vec![Layer::Dropout { p: 1.5 }, linear(3, 1, true, 1)])
            .check(3)
            .is_err()
    );
}

#[test]
fn ordered_epochs_shuffle_like_run_epochs_or_replay_given_orders() {
    let schedule = Schedule {
        epochs: 3,
        batch_size: 4,
        shuffle: true,
        drop_last: true,
    };
    let record = |order: BatchOrder<'_>| {
        let mut seen = Vec::new();
        let losses = run_epochs_ordered(
            "test",
            10,
            &schedule,
            order,
            |idx| {
                seen.push(idx.to_vec());
                Ok(idx[0] as f64)
            },
            |_, _| Ok(Control::Continue),
        );
        (losses, seen)
    };
    // Drawn orders: the batches run_epochs would train on.
    let (losses, drawn) = record(BatchOrder::Shuffle(&mut rng(5)));
    assert_eq!(losses.unwrap().len(), 3);
    let mut expected = Vec::new();
    run_epochs(
        "test",
        10,
        &schedule,
        &mut rng(5),
        |idx, _| {
            expected.push(idx.to_vec());
            Ok(0.0)
        },
        |_, _| Ok(Control::Continue),
    )
    .unwrap();
    assert_eq!(drawn, expected);
    // Replayed orders: chunked as given, the partial last batch dropped.
    let orders: Vec<Vec<usize>> = vec![
        (0..10).rev().collect(),
        (0..10).collect(),
        vec![3, 1, 4, 0, 5, 9, 2, 6, 8, 7],
    ];
    let (losses, replayed) = record(BatchOrder::Replay(&orders));
    assert_eq!(losses.unwrap(), vec![(9.0 + 5.0) / 2.0, 2.0, 4.0]);
    assert_eq!(replayed[0], vec![9, 8, 7, 6]);
    assert_eq!(replayed[5], vec![5, 9, 2, 6]);
    assert_eq!(replayed.len(), 6);
    // Orders that cannot be replayed.
    let bad = |orders: Vec<Vec<usize>>| {
        matches!(
            record(BatchOrder::Replay(&orders)).0,
            Err(NnError::Shape(_))
        )
    };
    assert!(bad(orders[..2].to_vec()));
    assert!(bad(vec![(0..10).collect(), (0..10).collect(), vec![0; 10]]));
    assert!(bad(vec![
        (0..10).collect(),
        (0..10).collect(),
        (1..11).collect()
    ]));
    assert!(bad(vec![
        (0..10).collect(),
        (0..10).collect(),
        (0..9).collect()
    ]));
}
