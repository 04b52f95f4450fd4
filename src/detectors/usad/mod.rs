//! USAD, UnSupervised Anomaly Detection on multivariate time series
//! (Audibert, Michiardi, Guyard, Marti & Zuluaga, KDD 2020), on anml's MLP
//! engine, with TSB-AD 1.5's network and training defaults
//! (`TSB_AD/models/USAD.py`). A tabular detector: each row is one input
//! vector; on a time series the window adapter ([`super::series`]) feeds it
//! flattened sliding windows, by default with TSB-AD's benchmark setting
//! (window 100, `lr` 1e-3), z-scored input and point scores padded as
//! TSB-AD does ([`super::series::SERIES_DEFAULTS`]).
//!
//! Networks: an encoder E = Linear(d, h) ReLU Linear(h, h) ReLU
//! Linear(h, z) ReLU and two decoders D1, D2 = Linear(z, h) ReLU
//! Linear(h, h) ReLU Linear(h, d) Sigmoid (`hidden_size` h = 16,
//! `latent_size` z = 5), PyTorch's default initialisation. AE1 = D1∘E and
//! AE2 = D2∘E share the encoder.
//!
//! Input: the columns are scaled with the training rows' statistics
//! (`scaling`: `minmax` (default) maps them to [0, 1], the decoders'
//! sigmoid range; `zscore`; `none`); the same map is stored and applied to
//! every scored row. On series the adapter's default is `zscore`: with
//! TSB-AD's short training (10 epochs) the networks learn little beyond a
//! typical window, and z-scored values beyond the sigmoid's range make
//! extreme windows score high, which is what most NAB anomalies are; the
//! same makes a low-amplitude anomaly score *lower* than its surroundings.
//!
//! Training (the paper's Algorithm 1 with two AdamW optimisers, one over
//! E + D1 and one over E + D2, as in the authors' code): the last
//! `validation_size` fraction of the rows (chronological, as TSB-AD) is held
//! out; every epoch the remaining rows are shuffled into batches of
//! `batch_size` (last batch kept), and for each batch w, with n = epoch + 1
//! (1-based epoch):
//! 1. `L1 = (1/n) mse(w, AE1(w)) + (1 − 1/n) mse(w, AE2(AE1(w)))`, a step
//!    of (E, D1);
//! 2. a fresh forward, `L2 = (1/n) mse(w, AE2(w)) − (1 − 1/n) mse(w,
//!    AE2(AE1(w)))`, a step of (E, D2).
//!
//! AE1 learns to reconstruct and to fool AE2; AE2 learns to reconstruct real
//! windows and to tell them from AE1's reconstructions. The learning rate is
//! multiplied by `lr_gamma` every `lr_step` epochs (StepLR 5, 0.9). The
//! monitored loss is the epoch's mean `L1 + L2` on the validation rows
//! (eval pass, batches of `batch_size`), or on the training batches without
//! validation rows; training stops after `patience` epochs without a fall
//! of more than 1e-4 (TSB-AD's `EarlyStoppingTorch`), keeping the last
//! weights. `fitted.history` holds both per-epoch losses.
//!
//! Score (higher = more anomalous), per row of the scaled input:
//! `alpha · mean_j (w − AE1(w))² + beta · mean_j (w − AE2(AE1(w)))²`.
//! Training scores are the same function of the training rows.
//!
//! Differences from TSB-AD's `USAD` (and why):
//! * training: TSB-AD steps one AdamW over all parameters on
//!   `mean(l1 + l2)`, where the `(1 − 1/n) mse(AE2(AE1(w)))` terms of l1
//!   and l2 cancel: it trains two plain autoencoders sharing an encoder
//!   with weight `1/n` (so the monitored loss also falls as 1/n), and the
//!   adversarial game never happens, although its score gives 0.9 of the
//!   weight to `AE2(AE1(w))`. anml trains the paper's two phases;
//! * score weights: `alpha = beta = 0.5`, the paper's and its code's
//!   defaults (TSB-AD: 0.1 and 0.9);
//! * input: TSB-AD 1.5's `ReconstructDataset` computes a z-normalised copy
//!   but windows the *raw* univariate series (its main branch windows the
//!   z-normalised one), so values outside (0, 1) cannot be reconstructed by
//!   the sigmoid output and its score is mostly the windows' distance to
//!   (0, 1). anml min-max scales tabular input by default (the paper's
//!   preprocessing) and z-scores windows on series; `scaling: "none"` gives
//!   TSB-AD 1.5's input (and its mean VUS-PR on the fixture's 53 series:
//!   0.2873 against TSB-AD's 0.2874);
//! * validation: the tail of the *rows*; through the window adapter these
//!   are the last windows, which overlap the training windows by up to
//!   window − 1 points (TSB-AD splits the series first and windows each
//!   part, dropping the windows across the cut);
//! * float64 throughout (torch: float32), ChaCha8 streams instead of torch's
//!   generator, so results match in distribution, not bit for bit.
//!
//! Differences from the authors' code (github.com/manigalati/usad): it
//! zeroes only the stepped optimiser's gradients, so D2 is also stepped
//! with L1's gradient and D1 with the previous batch's L2 gradient; anml
//! steps each phase on its own loss's gradient, as the paper's algorithm
//! states. Its networks halve the width per layer (d/2, d/4); anml uses
//! TSB-AD's fixed `hidden_size`. The paper uses plain Adam at torch's
//! default rate; anml AdamW with TSB-AD's settings.
//!
//! Determinism: `ChaCha8(seed)` yields two child streams in a fixed order,
//! the weight initialisation (E, D1, D2) and the batch shuffling; training
//! is sequential with single-threaded BLAS and scoring runs in fixed row
//! blocks, so weights and scores are bit-identical for any thread count.
//! Exact steps are checked against PyTorch
//! (`scripts/gen_usad_step_reference.py`, `tests/fixtures/usad/steps.json`)
//! and series VUS-PR against TSB-AD (`tests/usad_tsb_ad.rs`).

mod model;
mod params;
mod train;

pub use model::{Networks, Scaler, UsadModel};
pub use params::{MAX_BATCH, MAX_PARAMETERS, MAX_SIZE, Scaling, UsadParams};
pub use train::MIN_DELTA;

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use crate::nn::History;
use ndarray::ArrayView2;
use train::{TrainConfig, train, training_rows};

/// The parameters of `usad`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "hidden_size",
        doc: "Width of the hidden layers of the encoder and both decoders; default 16 \
              (TSB-AD's n_hidden); an integer in [1, 100000].",
    },
    ParamDoc {
        name: "latent_size",
        doc: "Width of the latent code; default 5 (TSB-AD's n_latent); an integer in \
              [1, 100000]. Networks above 10 million parameters are refused at fit time.",
    },
    ParamDoc {
        name: "epochs",
        doc: "Maximum number of epochs; default 10 (TSB-AD); an integer in [1, 100000].",
    },
    ParamDoc {
        name: "batch_size",
        doc: "Rows per mini-batch; default 128 (TSB-AD); an integer in [1, 1000000].",
    },
    ParamDoc {
        name: "lr",
        doc: "Initial learning rate of both AdamW optimisers; default 1e-4 (TSB-AD's \
              class default; on series the adapter uses TSB-AD's benchmark 1e-3 unless \
              given); a number in (0, 1].",
    },
    ParamDoc {
        name: "weight_decay",
        doc: "AdamW's decoupled weight decay; default 1e-5 (TSB-AD); a number in [0, 1].",
    },
    ParamDoc {
        name: "lr_step",
        doc: "Multiply the learning rate by lr_gamma every lr_step epochs (StepLR); \
              default 5 (TSB-AD); an integer in [1, 100000].",
    },
    ParamDoc {
        name: "lr_gamma",
        doc: "StepLR factor; default 0.9 (TSB-AD); a number in (0, 1].",
    },
    ParamDoc {
        name: "validation_size",
        doc: "Fraction of the training rows, from the end, held out to monitor the loss \
              for early stopping (0: monitor the training loss); default 0.2 (TSB-AD); a \
              number in [0, 1).",
    },
    ParamDoc {
        name: "patience",
        doc: "Stop after this many epochs without the monitored loss falling by more \
              than 1e-4; default 3 (TSB-AD); an integer in [1, 100000].",
    },
    ParamDoc {
        name: "alpha",
        doc: "Score weight of AE1's reconstruction error; default 0.5 (the paper; TSB-AD \
              uses 0.1); a number in [0, 1].",
    },
    ParamDoc {
        name: "beta",
        doc: "Score weight of the adversarial error |w - AE2(AE1(w))|^2; default 0.5 (the \
              paper; TSB-AD uses 0.9); a number in [0, 1], alpha + beta > 0.",
    },
    ParamDoc {
        name: "scaling",
        doc: "Input scaling fitted on the training rows: \"minmax\" (to [0, 1], the \
              sigmoid output's range; a constant column becomes 0), \"zscore\" or \
              \"none\" (TSB-AD 1.5's raw windows); default \"minmax\" (on series the \
              adapter uses \"zscore\" unless given).",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the weight initialisation and the batch shuffling (ChaCha8); \
              results do not depend on the thread count; default 0; an integer >= 0.",
    },
];

impl DetectorParams for UsadParams {
    type Model = UsadModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let (n, d) = x.dim();
        if d == 0 {
            return Err(DetectorError::CannotFit("needs at least one column".into()));
        }
        let count = self.parameter_count(d);
        if count > MAX_PARAMETERS {
            return Err(DetectorError::CannotFit(format!(
                "hidden_size {}, latent_size {} on {d} columns make {count} network \
                 parameters; at most {MAX_PARAMETERS} are allowed",
                self.hidden_size, self.latent_size
            )));
        }
        if training_rows(n, self.validation_size) == 0 {
            return Err(DetectorError::CannotFit(format!(
                "validation_size {} leaves no training row of {n}",
                self.validation_size
            )));
        }
        let scaler = Scaler::fit(self.scaling, x);
        let xs = scaler.transform(x);
        let config = TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            weight_decay: self.weight_decay,
            lr_step: self.lr_step,
            lr_gamma: self.lr_gamma,
            validation_size: self.validation_size,
            patience: self.patience,
        };
        let trained = train(
            xs.view(),
            self.hidden_size,
            self.latent_size,
            &config,
            self.seed,
        )
        .map_err(|e| DetectorError::CannotFit(e.to_string()))?;
        let history = History {
            loss: trained.loss,
            validation: trained.validation,
            best_epoch: None,
        };
        let model = UsadModel::new(scaler, trained.networks, self.alpha, self.beta, history)
            .map_err(DetectorError::CannotFit)?;
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
