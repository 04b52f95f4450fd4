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
    /// Drop a last batch smaller than `batch_size` (`drop_last=True`). PyOD
    /// keeps it (`drop_last=False`); a one-row last batch is still skipped
    /// by networks with batch norm, which torch cannot train on one row.
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
    let size = schedule.batch_size.max(1);
    order
        .chunks(size)
        .filter(|c| !(schedule.drop_last && c.len() < size))
        .map(<[usize]>::to_vec)
        .collect()
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
    mut batch: impl FnMut(&[usize], &mut ChaCha8Rng) -> Result<f64, NnError>,
    mut after_epoch: impl FnMut(usize, f64) -> Result<Control, NnError>,
) -> Result<Vec<f64>, NnError> {
    crate::blas::single_threaded();
    let mut losses = Vec::with_capacity(schedule.epochs);
    for epoch in 0..schedule.epochs {
        let batches = epoch_batches(n, schedule, rng);
        let mut sum = 0.0;
        let mut count = 0usize;
        for idx in &batches {
            let loss = batch(idx, rng)?;
            if !loss.is_finite() {
                return Err(NnError::Diverged { epoch });
            }
            sum += loss;
            count += 1;
        }
        let loss = if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        };
        if count == 0 {
            return Err(NnError::Shape(format!(
                "no batch to train on: {n} rows with batch_size {}",
                schedule.batch_size
            )));
        }
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
