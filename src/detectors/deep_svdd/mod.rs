//! Deep SVDD, one-class deep support vector data description (Ruff et al.
//! 2018), with PyOD 3.6.7's behaviour (`pyod.models.deep_svdd.DeepSVDD`,
//! `use_ae=False`).
//!
//! Preprocessing (`preprocessing = true`): scikit-learn's `StandardScaler`
//! fitted on the training rows (population std; a column
//! `_is_constant_feature` calls constant is divided by 1).
//!
//! Network φ: bias-free Linear layers d → h0 → … → h(L−1) for
//! `hidden_neurons = [h0, …, h(L−1)]` (L >= 2), each followed by the
//! activation — the embedding's last layer included, so with ReLU every
//! embedding value is >= 0 — and Dropout(`dropout_rate`) after the middle
//! layers only (layers 1 … L−2: none for the default [64, 32]). No batch
//! norm. Initialisation: torch's default U(±1/√fan_in).
//!
//! Centre: `c` = the mean of φ over all training rows with the untrained
//! network in eval mode; components with |c_i| < 0.1 are pushed to ±0.1 by
//! their sign. An exact 0 (a ReLU unit dead on every row) stays 0, as in
//! PyOD; the fit then trains and scores normally (that coordinate adds
//! `φ_i(x)²`). An all-zero centre — the trivial solution the bias-free
//! network can collapse to, reached for example on constant data — is
//! refused with `CannotFit`, as PyOD raises `ValueError`.
//!
//! Training: `epochs` passes over freshly shuffled batches of `batch_size`,
//! the last partial batch kept (PyOD's `drop_last=False`), in train mode.
//! Batch loss `mean_B ‖φ(x) − c‖² + 1e-6 · Σ_W ‖W‖_F` (the Frobenius norm,
//! not squared, over every weight matrix; its gradient `1e-6 · W/‖W‖_F`).
//! Adam (lr `lr`, betas 0.9/0.999, eps 1e-8) with coupled L2
//! `weight_decay`. After each epoch, if the *sum* of its batch losses is
//! strictly below the best so far, the weights are copied; the fitted model
//! keeps the weights of that best epoch (`history().best_epoch`, 0-based;
//! `history().loss` holds each epoch's mean batch loss).
//!
//! Score: `‖φ(x) − c‖²` (squared, no square root) in eval mode; training
//! scores are the same function of the training rows with the best weights.
//!
//! Differences from PyOD:
//! * float64 throughout; PyOD computes in float32 and returns float32
//!   scores (with PyOD's weights and centre anml's scores agree to ~1e-6,
//!   tests/deep_parity.rs);
//! * random draws come from ChaCha8 (`seed`), not torch's generator (PyOD's
//!   default `random_state=None` is unseeded), so a fit matches PyOD in
//!   distribution (test ROC-AUC on ODDS data), not bit for bit. PyOD also
//!   shuffles a copy of the data with the unseeded global numpy generator
//!   before computing the centre, which only changes the rounding of the
//!   mean; anml averages in row order;
//! * not implemented, and refused as unknown parameters: `use_ae` (the
//!   autoencoder variant), a user-given centre `c`, `output_activation`,
//!   other optimisers; PyOD's `validation_size` is unused by PyOD itself;
//! * activations: relu, leaky_relu (slope 0.01), sigmoid and tanh;
//! * limits PyOD lacks: 2 to 32 layers of width <= 10000, `epochs` >= 1,
//!   and at fit time at most 5·10^7 parameters and 10^8 values per training
//!   batch, refused as `CannotFit`.
//!
//! Determinism: three ChaCha8 streams derived from `seed` in a fixed order
//! (initialisation, shuffling, dropout masks); training is sequential with
//! single-threaded BLAS and scoring uses [`crate::nn::Mlp::predict`]'s fixed
//! row blocks, so weights and scores are bit-identical for any rayon thread
//! count.
//!
//! On the GPU (`--device cuda`/`auto` with a GPU): training runs there
//! (`crate::nn::gpu`: the same batches, masks and optimiser arithmetic),
//! its per-epoch losses within the tolerance `crate::gpu::mlp` states of the
//! CPU's and identical from run to run on the same GPU; scoring stays on
//! the CPU. The kept epoch is the CPU's unless two epochs' summed losses
//! are within that tolerance of each other. A GPU failure trains on the CPU instead, from the start.

mod model;
mod params;

pub use model::DeepSvddModel;
pub use params::DeepSvddParams;

use super::deep::{Scaler, Streams, check_size, fit_error, prepare};
use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use crate::nn::{
    Adam, AdamConfig, BatchOrder, Control, History, Layer, Linear, Mlp, Mode, Schedule,
    add_norm_penalty, centre_distance, gather, run_epochs_ordered,
};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// The name epochs are reported under.
const NAME: &str = "deep_svdd";

/// PyOD's weight-norm coefficient in the loss.
pub const NORM_PENALTY: f64 = 1e-6;

/// PyOD's `_init_c` epsilon: centre components closer to 0 are pushed out.
pub const CENTRE_EPS: f64 = 0.1;

/// The parameters of `deep_svdd`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "hidden_neurons",
        doc: "Widths of the bias-free layers, the last being the embedding; default \
              [64, 32]; 2 to 32 integers in [1, 10000]. The network may have at most \
              5e7 parameters for the data's width.",
    },
    ParamDoc {
        name: "hidden_activation",
        doc: "Activation after every layer, the embedding's included: \"relu\", \
              \"leaky_relu\", \"sigmoid\" or \"tanh\"; default \"relu\".",
    },
    ParamDoc {
        name: "dropout_rate",
        doc: "Dropout after the middle layers while training (none with two layers); \
              default 0.2; in [0, 1).",
    },
    ParamDoc {
        name: "epochs",
        doc: "Passes over the training rows; the epoch with the lowest summed loss is \
              kept; default 100; an integer in [1, 100000].",
    },
    ParamDoc {
        name: "batch_size",
        doc: "Rows per training batch (the last partial batch is kept); default 32; an \
              integer in [1, 1000000].",
    },
    ParamDoc {
        name: "lr",
        doc: "Adam's learning rate (PyOD's learning_rate); default 0.0001; in (0, 10].",
    },
    ParamDoc {
        name: "weight_decay",
        doc: "Adam's L2 penalty (PyOD's l2_regularizer); default 5e-7; finite, >= 0.",
    },
    ParamDoc {
        name: "preprocessing",
        doc: "Standardise columns as scikit-learn's StandardScaler; default true.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the initialisation, shuffling and dropout; default 0; an integer \
              >= 0.",
    },
];

impl DeepSvddParams {
    /// The untrained network φ for `d` columns, initialised as PyOD does
    /// from `rng` (also the architecture the parity tests load PyOD's
    /// weights into).
    pub fn network(&self, d: usize, rng: &mut ChaCha8Rng) -> Mlp {
        let widths = self.widths(d);
        let layers_n = widths.len() - 1;
        let mut layers = Vec::new();
        for (i, w) in widths.windows(2).enumerate() {
            layers.push(Layer::Linear(Linear::kaiming_uniform(
                w[0], w[1], false, rng,
            )));
            layers.push(self.hidden_activation.layer());
            if i > 0 && i + 1 < layers_n && self.dropout_rate > 0.0 {
                layers.push(Layer::Dropout {
                    p: self.dropout_rate,
                });
            }
        }
        Mlp::new(layers)
    }
}

/// PyOD's `_init_c`: the mean eval-mode output over `xs`, components with
/// |c| < 0.1 pushed to ±0.1 (an exact 0 stays 0).
pub fn initial_centre(net: &Mlp, xs: ArrayView2<'_, f64>) -> Array1<f64> {
    let out = net.predict(xs);
    let n = out.nrows().max(1) as f64;
    let mut c = out.sum_axis(Axis(0)) / n;
    c.mapv_inplace(|v| {
        if v.abs() < CENTRE_EPS && v < 0.0 {
            -CENTRE_EPS
        } else if v.abs() < CENTRE_EPS && v > 0.0 {
            CENTRE_EPS
        } else {
            v
        }
    });
    c
}

/// The best epoch and its network.
type Best = Option<(usize, Mlp)>;

/// A training's per-epoch losses, last network, and best epoch.
type Outcome = (Vec<f64>, Mlp, Best);

/// Training state shared by the batch step and the end-of-epoch check.
struct State {
    net: Mlp,
    adam: Adam,
    epoch_sum: f64,
    best_sum: f64,
    best: Option<(usize, Mlp)>,
}

impl DeepSvddParams {
    /// Refusals that depend on the data's shape, and the batch size used.
    fn check_data(&self, n: usize, d: usize) -> Result<usize, DetectorError> {
        if d == 0 {
            return Err(DetectorError::CannotFit("needs at least one column".into()));
        }
        let batch_size = self.batch_size.min(n);
        check_size(&self.widths(d), false, 0, batch_size)?;
        Ok(batch_size)
    }

    /// Fix the centre with the untrained `net`, train it on `x` with the
    /// row orders from `order` and dropout masks from `dropout`, keep the
    /// best epoch's weights and score the training rows.
    fn train(
        &self,
        x: ArrayView2<'_, f64>,
        batch_size: usize,
        #[cfg_attr(not(feature = "cuda"), allow(unused_mut))] mut net: Mlp,
        #[cfg_attr(not(feature = "cuda"), allow(unused_mut))] mut order: BatchOrder<'_>,
        dropout: &mut ChaCha8Rng,
    ) -> Result<Fit<DeepSvddModel>, DetectorError> {
        let scaler = self.preprocessing.then(|| Scaler::fit_standard(x));
        let xs = prepare(scaler.as_ref(), x);
        let centre = initial_centre(&net, xs.view());
        if centre.iter().all(|&c| c == 0.0) {
            return Err(DetectorError::CannotFit(
                "the initial hypersphere centre is all zeros (every embedding unit is 0 on \
                 every training row, e.g. constant data): training would collapse to it"
                    .into(),
            ));
        }
        let config = AdamConfig::adam(self.lr, self.weight_decay);
        let schedule = Schedule {
            epochs: self.epochs,
            batch_size,
            shuffle: true,
            drop_last: false,
        };
        // With a GPU selected the same loop trains there (crate::nn::gpu);
        // on a GPU error nothing has changed and the CPU trains below.
        #[cfg(feature = "cuda")]
        let on_gpu = crate::nn::gpu::train_if_active(
            &crate::nn::gpu::Job {
                model: NAME,
                config,
                x: xs.view(),
                schedule,
                objective: crate::gpu::mlp::Objective::Centre {
                    centre: centre.as_slice().unwrap_or(&[]),
                    penalty: NORM_PENALTY,
                },
                keep_best: true,
            },
            &mut net,
            &mut order,
            dropout,
        )
        .map_err(fit_error)?
        .map(|trained| (trained.losses, trained.best));
        #[cfg(not(feature = "cuda"))]
        let on_gpu: Option<(Vec<f64>, Best)> = None;
        let (loss, net, best) = match on_gpu {
            Some((loss, best)) => (loss, net, best),
            None => self.train_on_cpu(&xs, &centre, net, config, &schedule, order, dropout)?,
        };
        let (best_epoch, net) = match best {
            Some((e, net)) => (Some(e), net),
            None => (None, net),
        };
        let model = DeepSvddModel::from_parts(scaler, net, centre)
            .and_then(|m| {
                m.with_history(History {
                    loss,
                    best_epoch,
                    ..History::default()
                })
            })
            .map_err(DetectorError::CannotFit)?;
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }

    /// The CPU's training loop: the per-epoch losses, the last network and
    /// the best epoch's.
    #[allow(clippy::too_many_arguments)]
    fn train_on_cpu(
        &self,
        xs: &Array2<f64>,
        centre: &Array1<f64>,
        net: Mlp,
        config: AdamConfig,
        schedule: &Schedule,
        order: BatchOrder<'_>,
        dropout: &mut ChaCha8Rng,
    ) -> Result<Outcome, DetectorError> {
        let adam = Adam::for_params(config, &net.params());
        let state = RefCell::new(State {
            net,
            adam,
            epoch_sum: 0.0,
            best_sum: f64::INFINITY,
            best: None,
        });
        let loss = run_epochs_ordered(
            NAME,
            xs.nrows(),
            schedule,
            order,
            |idx| {
                let mut s = state.borrow_mut();
                let State {
                    net,
                    adam,
                    epoch_sum,
                    ..
                } = &mut *s;
                let xb = gather(xs.view(), idx);
                let (out, tape) = net.forward(xb.view(), Mode::Train, dropout);
                let (dist, dy) = centre_distance(&out, centre.view());
                let (mut grads, _) = net.backward(&tape, dy);
                let penalty = add_norm_penalty(&net.params(), NORM_PENALTY, &mut grads)?;
                adam.step(net.params_mut(), &grads)?;
                let loss = dist + penalty;
                *epoch_sum += loss;
                Ok(loss)
            },
            |epoch, _| {
                let mut s = state.borrow_mut();
                let sum = std::mem::take(&mut s.epoch_sum);
                if sum < s.best_sum {
                    s.best_sum = sum;
                    s.best = Some((epoch, s.net.clone()));
                }
                Ok(Control::Continue)
            },
        )
        .map_err(fit_error)?;

        let State { net, best, .. } = state.into_inner();
        Ok((loss, net, best))
    }

    /// Train from given initial weights `net` (this architecture for `x`'s
    /// width) on given row orders, one per epoch, as [`DetectorParams::fit`]
    /// does on its own draws: for parity tests that replay PyOD's
    /// initialisation and shuffles (dropout masks, used only with three or
    /// more layers, are not replayed). Not a stable API.
    #[doc(hidden)]
    pub fn fit_replay(
        &self,
        x: ArrayView2<'_, f64>,
        net: Mlp,
        orders: &[Vec<usize>],
    ) -> Result<Fit<DeepSvddModel>, DetectorError> {
        let (n, d) = x.dim();
        let batch_size = self.check_data(n, d)?;
        let expected = self.network(d, &mut Streams::new(self.seed).init);
        if net
            .params()
            .iter()
            .map(|p| p.len())
            .ne(expected.params().iter().map(|p| p.len()))
            || net.check(d).is_err()
        {
            return Err(DetectorError::CannotFit(
                "the initial network does not have this architecture".into(),
            ));
        }
        let mut dropout = Streams::new(self.seed).dropout;
        self.train(x, batch_size, net, BatchOrder::Replay(orders), &mut dropout)
    }
}

impl DetectorParams for DeepSvddParams {
    type Model = DeepSvddModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let (n, d) = x.dim();
        let batch_size = self.check_data(n, d)?;
        let mut streams = Streams::new(self.seed);
        let net = self.network(d, &mut streams.init);
        self.train(
            x,
            batch_size,
            net,
            BatchOrder::Shuffle(&mut streams.shuffle),
            &mut streams.dropout,
        )
    }
}

#[cfg(test)]
mod tests;
