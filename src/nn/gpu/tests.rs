//! The GPU training glue, checked on the CPU: the description and packing
//! round-trip, the dropout masks are the CPU's, and whole trainings through
//! the host emulation of the kernels (`crate::gpu::mlp`'s tests backend)
//! land on the CPU engine's per-epoch losses within the stated tolerance,
//! with the random streams left where the CPU leaves them.

use super::*;
use crate::gpu::mlp::epoch_loss_tolerance;
use crate::gpu::mlp::host::HostBackend;
use crate::nn::{
    Adam, AdamConfig, BatchNorm, Linear, Mode, Schedule, add_norm_penalty, centre_distance, gather,
    mse, progress, run_epochs_ordered,
};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// An autoencoder-shaped network: d → 8 → 4 → 8 → d, each hidden Linear
/// followed by `hidden` layers.
fn network(d: usize, hidden: &[Layer], seed: u64) -> Mlp {
    let mut r = rng(seed);
    let widths = [d, 8, 4, 8, d];
    let mut layers = Vec::new();
    for (i, w) in widths.windows(2).enumerate() {
        layers.push(Layer::Linear(Linear::kaiming_uniform(
            w[0], w[1], true, &mut r,
        )));
        if i < 3 {
            for l in hidden {
                layers.push(match l {
                    Layer::BatchNorm(_) => Layer::BatchNorm(BatchNorm::new(w[1])),
                    other => other.clone(),
                });
            }
        }
    }
    Mlp::new(layers)
}

fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut r = rng(seed);
    let mut x = Array2::from_shape_simple_fn((n, d), || crate::nn::standard_normal(&mut r));
    // Correlated columns, so there is something to learn.
    for mut row in x.rows_mut() {
        row[d - 1] = 0.5 * row[0] - 0.25 * row[1];
    }
    x
}

fn bn() -> Layer {
    Layer::BatchNorm(BatchNorm::new(1))
}

#[test]
fn the_description_and_packed_values_round_trip() {
    let mut net = network(
        5,
        &[
            bn(),
            Layer::LeakyRelu { slope: 0.02 },
            Layer::Dropout { p: 0.3 },
        ],
        1,
    );
    // Running statistics away from their defaults.
    let mut r = rng(2);
    for l in &mut net.layers {
        if let Layer::BatchNorm(bn) = l {
            bn.running_mean.mapv_inplace(|_| r.random::<f64>());
            bn.running_var.mapv_inplace(|_| 1.0 + r.random::<f64>());
            bn.gamma.mapv_inplace(|_| r.random::<f64>());
            bn.eps = 1e-3;
            bn.momentum = 0.2;
        }
    }
    net.layers.push(Layer::Sigmoid);
    net.layers.push(Layer::Tanh);
    net.layers.push(Layer::Relu);
    let stack = stack_of(&net);
    assert_eq!(stack.inputs, 5);
    assert_eq!(stack.outputs(), 5);
    assert_eq!(
        stack.param_sizes(),
        net.params().iter().map(|p| p.len()).collect::<Vec<_>>()
    );
    let params = pack_params(&net);
    let running = pack_running(&net);
    assert_eq!(running.len(), stack.running_len());
    assert_eq!(&params[..40], net.params()[0]);
    let back = rebuild(&stack, &params, &running).unwrap();
    assert_eq!(back, net);

    // Unpacking into another network of the same shape copies everything.
    let mut other = network(
        5,
        &[
            bn(),
            Layer::LeakyRelu { slope: 0.02 },
            Layer::Dropout { p: 0.3 },
        ],
        9,
    );
    other
        .layers
        .extend([Layer::Sigmoid, Layer::Tanh, Layer::Relu]);
    for l in &mut other.layers {
        if let Layer::BatchNorm(b) = l {
            b.eps = 1e-3;
            b.momentum = 0.2;
        }
    }
    assert_ne!(other, net);
    unpack(&mut other, &params, &running).unwrap();
    assert_eq!(other, net);
    assert!(unpack(&mut other, &params[1..], &running).is_err());
    assert!(unpack(&mut other, &params, &running[1..]).is_err());
}

/// The masks `dropout_masks` draws are the ones the CPU's forward pass
/// draws: the network with dropout equals, bit for bit, its parts without
/// dropout with those masks applied in between, and both leave the stream
/// at the same place.
#[test]
fn dropout_masks_are_the_cpus() {
    let mut r = rng(3);
    let l1 = Layer::Linear(Linear::kaiming_uniform(3, 6, true, &mut r));
    let l2 = Layer::Linear(Linear::kaiming_uniform(6, 4, true, &mut r));
    let net = Mlp::new(vec![
        l1.clone(),
        Layer::Dropout { p: 0.3 },
        Layer::Relu,
        Layer::Dropout { p: 0.0 },
        l2.clone(),
        Layer::Dropout { p: 0.5 },
    ]);
    let x = data(7, 3, 4);
    let mut cpu_rng = rng(5);
    let (want, _) = net.forward(x.view(), Mode::Train, &mut cpu_rng);

    let stack = stack_of(&net);
    let mut host_rng = rng(5);
    let mut masks = Vec::new();
    dropout_masks(&stack, 7, &mut host_rng, &mut masks);
    assert_eq!(masks.len(), 7 * (6 + 6 + 4));
    let apply = |h: Array2<f64>, m: &[u8], p: f64| {
        let keep = 1.0 / (1.0 - p);
        let mask = Array2::from_shape_fn(h.raw_dim(), |(i, j)| {
            if m[i * h.ncols() + j] == 1 { keep } else { 0.0 }
        });
        h * &mask
    };
    let mut unused = rng(0);
    let part = |layers: Vec<Layer>, h: &Array2<f64>, r: &mut ChaCha8Rng| {
        Mlp::new(layers).forward(h.view(), Mode::Eval, r).0
    };
    let h = part(vec![l1], &x, &mut unused);
    let h = apply(h, &masks[..42], 0.3);
    let h = part(vec![Layer::Relu], &h, &mut unused);
    assert!(masks[42..84].iter().all(|&m| m == 1), "p = 0 keeps all");
    let h = part(vec![l2], &h, &mut unused);
    let got = apply(h, &masks[84..], 0.5);
    assert_eq!(got, want);
    assert!(masks.contains(&0) && masks.contains(&1));
    assert_eq!(cpu_rng.random::<u64>(), host_rng.random::<u64>());
}

/// The CPU engine's training loop, as the autoencoder runs it.
fn cpu_train(
    net: &mut Mlp,
    config: &AdamConfig,
    x: &Array2<f64>,
    schedule: &Schedule,
    order: BatchOrder<'_>,
    dropout: &mut ChaCha8Rng,
) -> Vec<f64> {
    let mut adam = Adam::for_params(*config, &net.params());
    run_epochs_ordered(
        "test",
        x.nrows(),
        schedule,
        order,
        |idx| {
            let xb = gather(x.view(), idx);
            let (out, tape) = net.forward(xb.view(), Mode::Train, dropout);
            net.update_running(&tape);
            let (loss, dy) = mse(&out, xb.view());
            let (grads, _) = net.backward(&tape, dy);
            adam.step(net.params_mut(), &grads)?;
            Ok(loss)
        },
        |_, _| Ok(Control::Continue),
    )
    .unwrap()
}

fn job<'a>(config: &AdamConfig, x: &'a Array2<f64>, schedule: Schedule) -> Job<'a> {
    Job {
        model: "test",
        config: *config,
        x: x.view(),
        schedule,
        objective: Objective::Reconstruction,
        keep_best: false,
    }
}

fn emulated(stack: &Stack, init: Init<'_>) -> Result<Trainer, GpuError> {
    Trainer::with_backend(Box::new(HostBackend::new()), stack, init)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// Train the same network on the CPU and through the emulated kernels;
/// returns the largest per-epoch loss difference relative to the bound.
fn compare(net: Mlp, config: AdamConfig, x: &Array2<f64>, schedule: Schedule) -> f64 {
    let (mut cpu_net, mut gpu_net) = (net.clone(), net);
    let (mut cpu_shuffle, mut gpu_shuffle) = (rng(11), rng(11));
    let (mut cpu_drop, mut gpu_drop) = (rng(12), rng(12));
    let cpu = cpu_train(
        &mut cpu_net,
        &config,
        x,
        &schedule,
        BatchOrder::Shuffle(&mut cpu_shuffle),
        &mut cpu_drop,
    );
    let gpu = train_with(
        emulated,
        &job(&config, x, schedule),
        &mut gpu_net,
        &mut BatchOrder::Shuffle(&mut gpu_shuffle),
        &mut gpu_drop,
    )
    .unwrap()
    .losses;
    assert_eq!(cpu.len(), gpu.len());
    let mut worst = 0.0f64;
    for (e, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        let r = rel(*g, *c);
        assert!(
            r <= epoch_loss_tolerance(e),
            "epoch {e}: CPU {c:e}, emulated GPU {g:e} (relative {r:e})"
        );
        worst = worst.max(r / epoch_loss_tolerance(e));
    }
    // The weights and running statistics come back close to the CPU's.
    let (pc, pg) = (pack_params(&cpu_net), pack_params(&gpu_net));
    let (rc, rg) = (pack_running(&cpu_net), pack_running(&gpu_net));
    for (a, b) in pc.iter().chain(&rc).zip(pg.iter().chain(&rg)) {
        assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} vs {b}");
    }
    // Both streams were advanced exactly as the CPU advances them.
    assert_eq!(cpu_shuffle.random::<u64>(), gpu_shuffle.random::<u64>());
    assert_eq!(cpu_drop.random::<u64>(), gpu_drop.random::<u64>());
    eprintln!("per-epoch losses within {worst:.1e} of the tolerance");
    worst
}

#[test]
fn emulated_training_matches_the_cpu_autoencoder() {
    // PyOD's AutoEncoder blocks: Linear, BatchNorm, ReLU, Dropout; last
    // partial batch dropped; Adam with L2 decay.
    let x = data(150, 6, 21);
    let net = network(6, &[bn(), Layer::Relu, Layer::Dropout { p: 0.2 }], 22);
    let schedule = Schedule {
        epochs: 8,
        batch_size: 32,
        shuffle: true,
        drop_last: true,
    };
    compare(net, AdamConfig::adam(1e-2, 1e-5), &x, schedule);
}

#[test]
fn emulated_training_matches_the_cpu_for_every_activation() {
    let x = data(90, 4, 31);
    for (i, act) in [
        Layer::LeakyRelu { slope: 0.01 },
        Layer::Sigmoid,
        Layer::Tanh,
    ]
    .into_iter()
    .enumerate()
    {
        // No batch norm, a partial last batch kept, AdamW.
        let net = network(4, &[act, Layer::Dropout { p: 0.1 }], 40 + i as u64);
        let schedule = Schedule {
            epochs: 5,
            batch_size: 20,
            shuffle: true,
            drop_last: false,
        };
        compare(net, AdamConfig::adamw(5e-3, 1e-2), &x, schedule);
    }
    // Batch norm straight after the input, no decay, no shuffling.
    let mut net = network(4, &[bn(), Layer::Tanh], 50);
    net.layers.insert(0, Layer::BatchNorm(BatchNorm::new(4)));
    let schedule = Schedule {
        epochs: 4,
        batch_size: 16,
        shuffle: false,
        drop_last: true,
    };
    compare(net, AdamConfig::adam(1e-3, 0.0), &x, schedule);
}

#[test]
fn replayed_orders_are_trained_in_that_order() {
    let x = data(40, 3, 61);
    let net = network(3, &[bn(), Layer::Relu], 62);
    let orders: Vec<Vec<usize>> = (0..3)
        .map(|e| (0..40).map(|i| (i * 7 + e * 3) % 40).collect())
        .collect();
    let schedule = Schedule {
        epochs: 3,
        batch_size: 10,
        shuffle: true,
        drop_last: true,
    };
    let config = AdamConfig::adam(1e-2, 0.0);
    let (mut a, mut b) = (net.clone(), net);
    let cpu = cpu_train(
        &mut a,
        &config,
        &x,
        &schedule,
        BatchOrder::Replay(&orders),
        &mut rng(0),
    );
    let gpu = train_with(
        emulated,
        &job(&config, &x, schedule),
        &mut b,
        &mut BatchOrder::Replay(&orders),
        &mut rng(0),
    )
    .unwrap()
    .losses;
    for (e, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        assert!(rel(*g, *c) <= epoch_loss_tolerance(e), "{c} vs {g}");
    }
}

/// A GPU that cannot train leaves everything as it was (the CPU then
/// starts from the same network and streams); an interruption is the
/// CPU's error.
#[test]
fn failures_leave_the_cpu_its_start() {
    let x = data(64, 3, 71);
    let net = network(3, &[bn(), Layer::Relu, Layer::Dropout { p: 0.5 }], 72);
    let schedule = Schedule {
        epochs: 2,
        batch_size: 16,
        shuffle: true,
        drop_last: true,
    };
    let config = AdamConfig::adam(1e-2, 0.0);
    let (mut shuffle, mut dropout) = (rng(1), rng(2));
    let mut trained = net.clone();
    // Batches of 16 on a trainer sized for 4: the first step fails.
    let small = |s: &Stack, init: Init<'_>| {
        emulated(
            s,
            Init {
                max_batch: 4,
                ..init
            },
        )
    };
    let r = train_with(
        small,
        &job(&config, &x, schedule),
        &mut trained,
        &mut BatchOrder::Shuffle(&mut shuffle),
        &mut dropout,
    );
    assert!(matches!(r, Err(Failure::Gpu(GpuError::NotApplicable(_)))));
    assert_eq!(trained, net);
    assert_eq!(shuffle.random::<u64>(), rng(1).random::<u64>());
    assert_eq!(dropout.random::<u64>(), rng(2).random::<u64>());

    let refuse = |_: &Stack, _: Init<'_>| Err(GpuError::NotApplicable("no".into()));
    let r = train_with(
        refuse,
        &job(&config, &x, schedule),
        &mut trained,
        &mut BatchOrder::Shuffle(&mut rng(1)),
        &mut rng(2),
    );
    assert!(matches!(r, Err(Failure::Gpu(_))));

    let stop = Arc::new(AtomicBool::new(true));
    let r = progress::with_stop_flag(stop, || {
        train_with(
            emulated,
            &job(&config, &x, schedule),
            &mut trained,
            &mut BatchOrder::Shuffle(&mut rng(1)),
            &mut rng(2),
        )
    });
    assert!(matches!(
        r,
        Err(Failure::Train(NnError::Interrupted { epoch: 1 }))
    ));
    assert_eq!(trained, net);
}

/// A long emulated run: how the per-epoch difference grows (printed; the
/// bound is asserted per epoch).
#[test]
fn emulated_differences_stay_far_inside_the_bound_over_many_epochs() {
    let x = data(256, 8, 81);
    let net = network(8, &[bn(), Layer::Relu, Layer::Dropout { p: 0.2 }], 82);
    let schedule = Schedule {
        epochs: 40,
        batch_size: 32,
        shuffle: true,
        drop_last: true,
    };
    let worst = compare(net, AdamConfig::adam(1e-3, 1e-5), &x, schedule);
    assert!(worst < 1e-2, "{worst:e} of the bound");
}

/// DeepSVDD's training: bias-free layers, the centre distance plus the
/// weight-norm penalty, a partial last batch, and the best epoch's weights
/// kept; the emulated GPU keeps the same epoch, with weights close to the
/// CPU's.
#[test]
fn emulated_deep_svdd_training_matches_the_cpu() {
    let x = data(120, 5, 91);
    let mut r = rng(92);
    let widths = [5, 16, 8, 4];
    let mut layers = Vec::new();
    for (i, w) in widths.windows(2).enumerate() {
        layers.push(Layer::Linear(Linear::kaiming_uniform(
            w[0], w[1], false, &mut r,
        )));
        layers.push(Layer::Relu);
        if i == 1 {
            layers.push(Layer::Dropout { p: 0.2 });
        }
    }
    let net = Mlp::new(layers);
    let out = net.predict(x.view());
    let centre = out.sum_axis(ndarray::Axis(0)) / out.nrows() as f64;
    let centre = centre.mapv(|c| if c.abs() < 0.1 { 0.1f64.copysign(c) } else { c });
    let config = AdamConfig::adam(3e-3, 5e-7);
    let coef = 1e-6;
    let schedule = Schedule {
        epochs: 12,
        batch_size: 32,
        shuffle: true,
        drop_last: false,
    };

    // The CPU, as deep_svdd trains.
    let mut cpu_net = net.clone();
    let mut adam = Adam::for_params(config, &cpu_net.params());
    let (mut sum, mut best_sum, mut cpu_best) = (0.0, f64::INFINITY, None);
    let mut cpu_drop = rng(94);
    let cpu_net_cell = std::cell::RefCell::new(&mut cpu_net);
    let sum_cell = std::cell::Cell::new(0.0);
    let cpu = run_epochs_ordered(
        "test",
        x.nrows(),
        &schedule,
        BatchOrder::Shuffle(&mut rng(93)),
        |idx| {
            let mut net = cpu_net_cell.borrow_mut();
            let xb = gather(x.view(), idx);
            let (out, tape) = net.forward(xb.view(), Mode::Train, &mut cpu_drop);
            let (dist, dy) = centre_distance(&out, centre.view());
            let (mut grads, _) = net.backward(&tape, dy);
            let penalty = add_norm_penalty(&net.params(), coef, &mut grads)?;
            adam.step(net.params_mut(), &grads)?;
            let loss = dist + penalty;
            sum_cell.set(sum_cell.get() + loss);
            Ok(loss)
        },
        |epoch, _| {
            sum = sum_cell.replace(0.0);
            if sum < best_sum {
                best_sum = sum;
                cpu_best = Some((epoch, (**cpu_net_cell.borrow()).clone()));
            }
            Ok(Control::Continue)
        },
    )
    .unwrap();

    let mut gpu_net = net;
    let job = Job {
        model: "test",
        config,
        x: x.view(),
        schedule,
        objective: Objective::Centre {
            centre: centre.as_slice().unwrap(),
            penalty: coef,
        },
        keep_best: true,
    };
    let gpu = train_with(
        emulated,
        &job,
        &mut gpu_net,
        &mut BatchOrder::Shuffle(&mut rng(93)),
        &mut rng(94),
    )
    .unwrap();
    for (e, (c, g)) in cpu.iter().zip(&gpu.losses).enumerate() {
        assert!(
            rel(*g, *c) <= epoch_loss_tolerance(e),
            "epoch {e}: {c:e} vs {g:e}"
        );
    }
    let (cpu_epoch, cpu_best_net) = cpu_best.unwrap();
    let (gpu_epoch, gpu_best_net) = gpu.best.unwrap();
    assert_eq!(cpu_epoch, gpu_epoch);
    for (a, b) in [(&cpu_best_net, &gpu_best_net), (&cpu_net, &gpu_net)] {
        for (p, q) in pack_params(a).iter().zip(pack_params(b)) {
            assert!((p - q).abs() <= 1e-9 * p.abs().max(1.0), "{p} vs {q}");
        }
    }
    // A wrong centre length is refused, not trained.
    let short = Job {
        objective: Objective::Centre {
            centre: &[0.0; 3],
            penalty: coef,
        },
        ..job
    };
    let r = train_with(
        emulated,
        &short,
        &mut gpu_net.clone(),
        &mut BatchOrder::Shuffle(&mut rng(93)),
        &mut rng(94),
    );
    assert!(matches!(r, Err(Failure::Gpu(GpuError::NotApplicable(_)))));
}
