//! The engine's training on the GPU ([`crate::gpu::mlp`]): the glue that
//! describes an [`Mlp`] to the GPU trainer, packs and unpacks its
//! parameters and running statistics, draws the dropout masks, and runs
//! the CPU's own epoch loop ([`run_epochs_ordered`]: the same seeded
//! batches in the same order, the same progress reports, stop flag and
//! divergence check) with a GPU step per batch.
//!
//! Dropout masks come from the CPU's dropout stream: the CPU's forward
//! pass draws, for each dropout layer in order, one `f64` per value of the
//! batch (row-major) and drops the value when the draw is below `p`;
//! [`dropout_masks`] makes the same draws in the same order, so every batch
//! meets the masks the CPU would have used.
//!
//! What equals the CPU and within which tolerance: see
//! [`crate::gpu::mlp`]. On any GPU error the network, the random streams
//! and the row orders are left as they were, so the caller trains on the
//! CPU from the start and its answer is a pure CPU answer.

use super::NnError;
use super::layer::Layer;
use super::network::Mlp;
use super::optim::{AdamConfig, OptimizerKind};
use super::train::{BatchOrder, Control, Schedule, run_epochs_ordered};
use crate::gpu::mlp::{Activation, AdamSettings, Init, Objective, Op, Stack, Trainer};
use crate::gpu::{Gpu, GpuError};
use ndarray::ArrayView2;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// The GPU description of `net`'s layers.
pub fn stack_of(net: &Mlp) -> Stack {
    let ops = net
        .layers
        .iter()
        .map(|l| match l {
            Layer::Linear(l) => Op::Linear {
                inputs: l.inputs(),
                outputs: l.outputs(),
                bias: l.bias.is_some(),
            },
            Layer::BatchNorm(bn) => Op::BatchNorm {
                dim: bn.dim(),
                eps: bn.eps,
                momentum: bn.momentum,
            },
            Layer::Relu => Op::Activation(Activation::Relu),
            Layer::LeakyRelu { slope } => Op::Activation(Activation::LeakyRelu { slope: *slope }),
            Layer::Sigmoid => Op::Activation(Activation::Sigmoid),
            Layer::Tanh => Op::Activation(Activation::Tanh),
            Layer::Dropout { p } => Op::Dropout { p: *p },
        })
        .collect();
    Stack {
        inputs: net.inputs(),
        ops,
    }
}

/// Every parameter, flattened in [`Mlp::params`] order (the trainer's
/// layout).
pub fn pack_params(net: &Mlp) -> Vec<f64> {
    net.params().concat()
}

/// The running statistics, per batch-norm layer in order: mean, then
/// variance.
pub fn pack_running(net: &Mlp) -> Vec<f64> {
    let mut v = Vec::new();
    for l in &net.layers {
        if let Layer::BatchNorm(bn) = l {
            v.extend(bn.running_mean.iter());
            v.extend(bn.running_var.iter());
        }
    }
    v
}

/// Write packed parameters and running statistics back into `net`.
pub fn unpack(net: &mut Mlp, params: &[f64], running: &[f64]) -> Result<(), NnError> {
    let bad = || NnError::Corrupt("packed values do not match the network".into());
    let sizes: Vec<usize> = net.params().iter().map(|p| p.len()).collect();
    if sizes.iter().sum::<usize>() != params.len() {
        return Err(bad());
    }
    let running_len: usize = net
        .layers
        .iter()
        .map(|l| match l {
            Layer::BatchNorm(bn) => 2 * bn.dim(),
            _ => 0,
        })
        .sum();
    if running_len != running.len() {
        return Err(bad());
    }
    let mut rest = params;
    let tensors: Vec<Vec<f64>> = sizes
        .iter()
        .map(|&n| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head.to_vec()
        })
        .collect();
    net.set_params(&tensors)?;
    let mut rest = running;
    for l in &mut net.layers {
        if let Layer::BatchNorm(bn) = l {
            let n = bn.dim();
            let (mean, tail) = rest.split_at(n);
            let (var, tail) = tail.split_at(n);
            bn.running_mean
                .iter_mut()
                .zip(mean)
                .for_each(|(r, v)| *r = *v);
            bn.running_var
                .iter_mut()
                .zip(var)
                .for_each(|(r, v)| *r = *v);
            rest = tail;
        }
    }
    Ok(())
}

/// A network rebuilt from its description and packed values (the inverse
/// of [`stack_of`] + [`pack_params`] + [`pack_running`]).
#[cfg(test)]
pub(crate) fn rebuild(stack: &Stack, params: &[f64], running: &[f64]) -> Result<Mlp, NnError> {
    use super::{BatchNorm, Linear};
    use ndarray::{Array1, Array2};
    let layers = stack
        .ops
        .iter()
        .map(|op| match *op {
            Op::Linear {
                inputs,
                outputs,
                bias,
            } => Layer::Linear(Linear {
                weight: Array2::zeros((outputs, inputs)),
                bias: bias.then(|| Array1::zeros(outputs)),
            }),
            Op::BatchNorm { dim, eps, momentum } => Layer::BatchNorm(BatchNorm {
                eps,
                momentum,
                ..BatchNorm::new(dim)
            }),
            Op::Activation(Activation::Relu) => Layer::Relu,
            Op::Activation(Activation::LeakyRelu { slope }) => Layer::LeakyRelu { slope },
            Op::Activation(Activation::Sigmoid) => Layer::Sigmoid,
            Op::Activation(Activation::Tanh) => Layer::Tanh,
            Op::Dropout { p } => Layer::Dropout { p },
        })
        .collect();
    let mut net = Mlp::new(layers);
    unpack(&mut net, params, running)?;
    Ok(net)
}

/// Append one batch's dropout masks for `rows` rows to `out`: for each
/// dropout layer in order, `rows × width` bytes row-major, 0 where the
/// CPU's forward pass would drop the value, drawn from `rng` exactly as it
/// draws (one `f64` per value, none when `p` is 0).
pub fn dropout_masks(stack: &Stack, rows: usize, rng: &mut ChaCha8Rng, out: &mut Vec<u8>) {
    let Ok(widths) = stack.widths() else { return };
    for (op, w) in stack.ops.iter().zip(widths) {
        if let Op::Dropout { p } = *op {
            out.extend((0..rows * w).map(|_| u8::from(!(p > 0.0 && rng.random::<f64>() < p))));
        }
    }
}

/// The trainer's optimiser settings for `config`.
pub fn adam_settings(config: &AdamConfig) -> AdamSettings {
    AdamSettings {
        decoupled: config.kind == OptimizerKind::AdamW,
        lr: config.lr,
        beta1: config.beta1,
        beta2: config.beta2,
        eps: config.eps,
        weight_decay: config.weight_decay,
    }
}

/// Why GPU training did not give an answer.
#[derive(Debug)]
pub enum Failure {
    /// The GPU could not (an error, an input it does not take, or a
    /// diverged loss): train on the CPU from the start.
    Gpu(GpuError),
    /// Training itself stopped as it would have on the CPU (Ctrl-C).
    Train(NnError),
}

/// One training run's settings: Adam (`config`, with fresh moments, as
/// `Adam::for_params`) on `x`'s rows towards `objective`, by the CPU's loop
/// with `schedule`, reported to the epoch observer under `model`. With
/// `keep_best`, the weights after every epoch whose summed batch losses
/// are strictly below every earlier epoch's are kept (DeepSVDD's rule).
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub model: &'a str,
    pub config: AdamConfig,
    pub x: ArrayView2<'a, f64>,
    pub schedule: Schedule,
    pub objective: Objective<'a>,
    pub keep_best: bool,
}

/// What a GPU training gives back besides the trained network.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// The mean batch loss of every epoch.
    pub losses: Vec<f64>,
    /// With [`Job::keep_best`]: the best epoch (0-based) and its network.
    pub best: Option<(usize, Mlp)>,
}

/// Train `net` as `job` says on the selected GPU (`crate::gpu::active`),
/// with the row orders from `order` and the masks from the `dropout`
/// stream. Returns what it trained, with `net` (parameters and running
/// statistics), `order`'s stream and `dropout` advanced as CPU training
/// leaves them; `Ok(None)` when no GPU is selected or it failed (a notice
/// is printed once; nothing was changed, so the caller trains on the CPU
/// from the start).
pub fn train_if_active(
    job: &Job<'_>,
    net: &mut Mlp,
    order: &mut BatchOrder<'_>,
    dropout: &mut ChaCha8Rng,
) -> Result<Option<Trained>, NnError> {
    let Some(gpu) = crate::gpu::active() else {
        return Ok(None);
    };
    match train_on(&gpu, job, net, order, dropout) {
        Ok(trained) => Ok(Some(trained)),
        Err(Failure::Gpu(e)) => {
            crate::gpu::gpu_failed_notice("mlp", &e);
            Ok(None)
        }
        Err(Failure::Train(e)) => Err(e),
    }
}

/// [`train_if_active`] on `gpu`, without the fallback: a GPU failure is
/// returned (`net` and the streams unchanged).
pub fn train_on(
    gpu: &Arc<Gpu>,
    job: &Job<'_>,
    net: &mut Mlp,
    order: &mut BatchOrder<'_>,
    dropout: &mut ChaCha8Rng,
) -> Result<Trained, Failure> {
    train_with(
        |stack, init| Trainer::new(gpu, stack, init),
        job,
        net,
        order,
        dropout,
    )
}

/// A copy of `net` holding the trainer's current values.
fn snapshot(trainer: &mut Trainer, net: &Mlp) -> Result<Mlp, Failure> {
    let params = trainer.params().map_err(Failure::Gpu)?;
    let running = trainer.running().map_err(Failure::Gpu)?;
    let mut copy = net.clone();
    unpack(&mut copy, &params, &running).map_err(Failure::Train)?;
    Ok(copy)
}

/// [`train_on`] with the trainer `make` builds (the GPU's, or the tests'
/// host emulation).
pub(crate) fn train_with(
    make: impl FnOnce(&Stack, Init<'_>) -> Result<Trainer, GpuError>,
    job: &Job<'_>,
    net: &mut Mlp,
    order: &mut BatchOrder<'_>,
    dropout: &mut ChaCha8Rng,
) -> Result<Trained, Failure> {
    let Job {
        model,
        config,
        x,
        schedule,
        objective,
        keep_best,
    } = *job;
    let schedule = &schedule;
    let n = x.nrows();
    let stack = stack_of(net);
    let data = x.as_standard_layout();
    let data = data
        .as_slice()
        .ok_or_else(|| Failure::Gpu(GpuError::NotApplicable("non-contiguous rows".into())))?;
    let params = pack_params(net);
    let running = pack_running(net);
    let init = Init {
        params: &params,
        running: &running,
        data,
        rows: n,
        max_batch: schedule.batch_size.max(1).min(n.max(1)),
        adam: adam_settings(&config),
        objective,
    };
    let trainer = RefCell::new(make(&stack, init).map_err(Failure::Gpu)?);

    // Copies of the streams: the originals stay as they are until the GPU
    // has finished, so a failure leaves the CPU its own start.
    let mut drop_rng = dropout.clone();
    let mut shuffle_copy = match order {
        BatchOrder::Shuffle(rng) => Some((**rng).clone()),
        BatchOrder::Replay(_) => None,
    };
    let gpu_order = match (&mut shuffle_copy, &*order) {
        (Some(rng), _) => BatchOrder::Shuffle(rng),
        (None, BatchOrder::Replay(orders)) => BatchOrder::Replay(orders),
        (None, BatchOrder::Shuffle(_)) => {
            return Err(Failure::Gpu(GpuError::NotApplicable(
                "no shuffle stream".into(),
            )));
        }
    };
    // A GPU failure inside the loop ends it through an NnError; the cause
    // is kept here.
    let failure = RefCell::new(None);
    let fail = |f: Failure| {
        *failure.borrow_mut() = Some(f);
        NnError::Shape("GPU training stopped".into())
    };
    let mut masks = Vec::new();
    // The epoch's summed batch losses, in batch order (DeepSVDD's measure).
    let epoch_sum = Cell::new(0.0);
    let (mut best_sum, mut best) = (f64::INFINITY, None);
    let result = run_epochs_ordered(
        model,
        n,
        schedule,
        gpu_order,
        |idx| {
            masks.clear();
            dropout_masks(&stack, idx.len(), &mut drop_rng, &mut masks);
            let loss = trainer
                .borrow_mut()
                .step(idx, &masks)
                .map_err(|e| fail(Failure::Gpu(e)))?;
            epoch_sum.set(epoch_sum.get() + loss);
            Ok(loss)
        },
        |epoch, _| {
            let sum = epoch_sum.replace(0.0);
            if keep_best && sum < best_sum {
                best_sum = sum;
                let copy = snapshot(&mut trainer.borrow_mut(), net).map_err(fail)?;
                best = Some((epoch, copy));
            }
            Ok(Control::Continue)
        },
    );
    if let Some(f) = failure.into_inner() {
        return Err(f);
    }
    let losses = match result {
        Ok(l) => l,
        // The GPU's rounding may diverge where the CPU's would not (or at
        // another epoch): let the CPU give its own answer.
        Err(NnError::Diverged { epoch }) => {
            return Err(Failure::Gpu(GpuError::NotApplicable(format!(
                "the loss diverged on the GPU in epoch {epoch}"
            ))));
        }
        Err(e) => return Err(Failure::Train(e)),
    };
    *net = snapshot(&mut trainer.into_inner(), net)?;
    *dropout = drop_rng;
    if let (BatchOrder::Shuffle(rng), Some(copy)) = (order, shuffle_copy) {
        **rng = copy;
    }
    Ok(Trained { losses, best })
}

#[cfg(test)]
mod tests;
