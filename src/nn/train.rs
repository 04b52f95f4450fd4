//! The training loop the deep detectors share: seeded mini-batches, the
//! epoch loss history, an optional validation split with early stopping,
//! divergence detection and epoch progress reports.
//!
//! Everything here is sequential: one batch after another, each a handful of
//! single-threaded GEMMs (`crate::blas::single_threaded`). A fit therefore
//! gives the same bits for any `RAYON_NUM_THREADS`; parallelism lives in
//! inference ([`super::Mlp::predict`]) and across ensemble members.

use super::NnError;
use super::progress::{EpochReport, report};
use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How the rows are cut into batches each epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub epochs: usize,
    pub batch_size: usize,
    /// Reshuffle the rows every epoch (torch `DataLoader(shuffle=True)`).
    pub shuffle: bool,
    /// Drop a last batch smaller than `batch_size` (`drop_last=True`, as
    /// PyOD's AutoEncoder; its DeepSVDD keeps it). A network with batch
    /// norm must not meet a one-row batch (torch refuses one); its caller
    /// rules that out.
    pub drop_last: bool,
}

/// Per-epoch losses kept on a fitted model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Mean training-batch loss per epoch.
    pub loss: Vec<f64>,
    /// Validation loss per epoch (empty without a validation split).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation: Vec<f64>,
    /// The epoch (0-based) whose weights the model kept, when a detector
    /// keeps the best epoch rather than the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<usize>,
}

/// What the loop does after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// The batches of one epoch: row indices, shuffled with `rng` when asked.
pub fn epoch_batches(n: usize, schedule: &Schedule, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    if schedule.shuffle {
        order.shuffle(rng);
    }
    batches_in_order(&order, schedule)
}

/// The rows `idx` of `x`, in that order.
pub fn gather(x: ArrayView2<'_, f64>, idx: &[usize]) -> Array2<f64> {
    x.select(Axis(0), idx)
}

/// A seeded split of `0..n` into (train, validation) rows, validation being
/// `round(fraction · n)` rows (at least one, and at least one left to train)
/// drawn without replacement; both lists in ascending order.
pub fn validation_split(n: usize, fraction: f64, rng: &mut ChaCha8Rng) -> (Vec<usize>, Vec<usize>) {
    let k = ((fraction * n as f64).round() as usize).clamp(1, n.saturating_sub(1));
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut val = order[..k].to_vec();
    let mut train = order[k..].to_vec();
    val.sort_unstable();
    train.sort_unstable();
    (train, val)
}

/// Early stopping on a monitored loss: stop after `patience` epochs without
/// an improvement of more than `min_delta`.
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    pub patience: usize,
    pub min_delta: f64,
    best: f64,
    best_epoch: Option<usize>,
    waited: usize,
}

impl EarlyStopping {
    pub fn new(patience: usize, min_delta: f64) -> Self {
        Self {
            patience,
            min_delta,
            best: f64::INFINITY,
            best_epoch: None,
            waited: 0,
        }
    }

    /// Record an epoch's monitored loss; `(improved, control)`.
    pub fn observe(&mut self, epoch: usize, loss: f64) -> (bool, Control) {
        if loss < self.best - self.min_delta {
            self.best = loss;
            self.best_epoch = Some(epoch);
            self.waited = 0;
            return (true, Control::Continue);
        }
        self.waited += 1;
        let control = if self.waited >= self.patience {
            Control::Stop
        } else {
            Control::Continue
        };
        (false, control)
    }

    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }
}

/// Where each epoch's row order comes from.
#[derive(Debug)]
pub enum BatchOrder<'a> {
    /// Shuffled from this stream every epoch when `schedule.shuffle`, else
    /// `0..n` (what [`run_epochs`] does).
    Shuffle(&'a mut ChaCha8Rng),
    /// One given order per epoch, each a permutation of `0..n`: a reference
    /// implementation's shuffles replayed (parity tests). The schedule's
    /// `epochs` must equal their number.
    Replay(&'a [Vec<usize>]),
}

/// The batches of one epoch from a row order: consecutive chunks of
/// `batch_size`, a last partial chunk dropped when `drop_last`.
pub fn batches_in_order(order: &[usize], schedule: &Schedule) -> Vec<Vec<usize>> {
    let size = schedule.batch_size.max(1);
    order
        .chunks(size)
        .filter(|c| !(schedule.drop_last && c.len() < size))
        .map(<[usize]>::to_vec)
        .collect()
}

/// Run `schedule.epochs` epochs over `n` rows. `batch` trains on one batch
/// of row indices and returns its loss; the epoch loss is the mean batch
/// loss (PyOD's `np.mean(epoch_losses)`). `after_epoch` sees each epoch's
/// index and loss and may stop training. A non-finite loss stops with
/// [`NnError::Diverged`]. Epochs are reported to the thread's observer
/// (see [`super::progress`]) under `model`.
pub fn run_epochs(
    model: &str,
    n: usize,
    schedule: &Schedule,
    rng: &mut ChaCha8Rng,
    batch: impl FnMut(&[usize], &mut ChaCha8Rng) -> Result<f64, NnError>,
    after_epoch: impl FnMut(usize, f64) -> Result<Control, NnError>,
) -> Result<Vec<f64>, NnError> {
    epoch_loop(
        model,
        n,
        schedule,
        rng,
        |_, rng| Ok(epoch_batches(n, schedule, rng)),
        batch,
        after_epoch,
    )
}

/// [`run_epochs`] with the row orders from `order` and a `batch` step that
/// draws its own random numbers (dropout from a stream of its own), so the
/// same training code can run on shuffles it draws or on replayed ones.
pub fn run_epochs_ordered(
    model: &str,
    n: usize,
    schedule: &Schedule,
    order: BatchOrder<'_>,
    mut batch: impl FnMut(&[usize]) -> Result<f64, NnError>,
    after_epoch: impl FnMut(usize, f64) -> Result<Control, NnError>,
) -> Result<Vec<f64>, NnError> {
    match order {
        BatchOrder::Shuffle(rng) => epoch_loop(
            model,
            n,
            schedule,
            rng,
            |_, rng| Ok(epoch_batches(n, schedule, rng)),
            |idx, _| batch(idx),
            after_epoch,
        ),
        BatchOrder::Replay(orders) => {
            if orders.len() != schedule.epochs {
                return Err(NnError::Shape(format!(
                    "{} replayed row orders for {} epochs",
                    orders.len(),
                    schedule.epochs
                )));
            }
            let mut seen = vec![false; n];
            for (e, order) in orders.iter().enumerate() {
                seen.iter_mut().for_each(|s| *s = false);
                let permutation = order.len() == n
                    && order
                        .iter()
                        .all(|&i| i < n && !std::mem::replace(&mut seen[i], true));
                if !permutation {
                    return Err(NnError::Shape(format!(
                        "replayed order of epoch {e} is not a permutation of 0..{n}"
                    )));
                }
            }
            epoch_loop(
                model,
                n,
                schedule,
                &mut (),
                |e, _| Ok(batches_in_order(&orders[e], schedule)),
                |idx, _| batch(idx),
                after_epoch,
            )
        }
    }
}

/// The epoch loop both entry points share; `state` is handed to the batch
/// source and to every batch step.
fn epoch_loop<S: ?Sized>(
    model: &str,
    n: usize,
    schedule: &Schedule,
    state: &mut S,
    mut batches_of_epoch: impl FnMut(usize, &mut S) -> Result<Vec<Vec<usize>>, NnError>,
    mut batch: impl FnMut(&[usize], &mut S) -> Result<f64, NnError>,
    mut after_epoch: impl FnMut(usize, f64) -> Result<Control, NnError>,
) -> Result<Vec<f64>, NnError> {
    crate::blas::single_threaded();
    let mut losses = Vec::with_capacity(schedule.epochs);
    for epoch in 0..schedule.epochs {
        let batches = batches_of_epoch(epoch, state)?;
        let mut sum = 0.0;
        let mut count = 0usize;
        for idx in &batches {
            if super::progress::stop_requested() {
                return Err(NnError::Interrupted { epoch: epoch + 1 });
            }
            let loss = batch(idx, state)?;
            if !loss.is_finite() {
                return Err(NnError::Diverged { epoch });
            }
            sum += loss;
            count += 1;
        }
        if count == 0 {
            return Err(NnError::Shape(format!(
                "no batch to train on: {n} rows with batch_size {}",
                schedule.batch_size
            )));
        }
        let loss = sum / count as f64;
        losses.push(loss);
        report(&EpochReport {
            model,
            epoch: epoch + 1,
            epochs: schedule.epochs,
            loss,
        });
        if after_epoch(epoch, loss)? == Control::Stop {
            break;
        }
    }
    Ok(losses)
}
