//! A fully connected autoencoder scored by its reconstruction error, with
//! PyOD 3.6.7's behaviour (`pyod.models.auto_encoder.AutoEncoder` on
//! `BaseDeepLearningDetector`).
//!
//! Preprocessing (`preprocessing = true`): every column is scaled as
//! `(x − mean) / (std + 1e-8)` with the training mean and population std
//! (PyOD's `TorchDataset`, not scikit-learn's `StandardScaler`). A constant
//! training column is divided by 1e-8, as in PyOD: it is ~0 on the training
//! rows, and a later row with another value there gets a very large (still
//! finite) scaled value and so a very large score — a value never seen in
//! training is as anomalous as it gets. That is kept because it is finite
//! for any input short of f64's overflow range; a score that still comes out
//! NaN (only from values overflowing inside the network) is reported as
//! +inf.
//!
//! Network: `hidden_neurons = [h1, …, hk]` gives d → h1 → … → hk → h(k−1) →
//! … → h1 → d. Every hidden block is Linear → BatchNorm1d (`batch_norm`) →
//! activation → Dropout(`dropout_rate`, when > 0), in that order (PyOD's
//! `LinearBlock`: batch norm *before* the activation); the output is a plain
//! Linear. Initialisation as PyOD: hidden weights U(±√(6/fan_in)) (kaiming
//! uniform, ReLU gain), their biases U(±1/√fan_in); the output Linear
//! torch's default U(±1/√fan_in) for weight and bias. Batch norm starts at
//! γ = 1, β = 0, running mean 0 and variance 1 (eps 1e-5, momentum 0.1).
//!
//! Training: `epochs` passes over the rows in freshly shuffled batches of
//! `batch_size`, the last partial batch dropped (PyOD's `drop_last=True`),
//! all in train mode (batch statistics, running statistics updated, dropout
//! on). Loss: the mean squared reconstruction error over batch × columns.
//! Optimiser: Adam (lr `lr`, betas 0.9/0.999, eps 1e-8) with coupled L2
//! `weight_decay` on every parameter (Linear weights and biases, γ and β).
//! The last epoch's weights are kept; `history().loss` holds each epoch's
//! mean batch loss (`best_epoch` is `None`).
//!
//! Score: in eval mode (running statistics, no dropout), the Euclidean norm
//! `‖x̂ − x‖` of the reconstruction error in the scaled space; training
//! scores are the same function of the training rows after training.
//!
//! Differences from PyOD:
//! * float64 throughout; PyOD computes in float32 and returns float32
//!   scores (with PyOD's trained weights anml's scores agree to ~1e-6
//!   relative, tests/deep_parity.rs);
//! * random draws come from ChaCha8 (`seed`), not torch's generator, so a
//!   fit matches PyOD in distribution (test ROC-AUC on ODDS data), not bit
//!   for bit;
//! * fewer rows than `batch_size`: PyOD's loader has no batch at all and
//!   its fit fails (`UnboundLocalError`); anml trains on one batch of all
//!   rows each epoch. Batch norm needs at least two rows in a batch, so
//!   with `batch_norm` a fit on a single row is refused and `batch_size`
//!   must be at least 2 (torch raises on a one-row train-mode batch);
//! * activations: relu, leaky_relu (slope 0.01), sigmoid and tanh; PyOD's
//!   elu, identity, softmax and softplus are refused; only Adam (PyOD's
//!   `optimizer_name='adam'`), no SGD;
//! * limits PyOD lacks: at most 32 hidden layers of width <= 10000, and at
//!   fit time at most 5·10^7 parameters and 10^8 values per training batch
//!   (rows × summed layer widths), refused as `CannotFit`;
//! * `epochs` >= 1 (PyOD accepts 0 and scores with the initial weights).
//!
//! Determinism: three ChaCha8 streams derived from `seed` in a fixed order
//! (initialisation, shuffling, dropout masks). Training is sequential with
//! single-threaded BLAS, and scoring uses [`crate::nn::Mlp::predict`]'s
//! fixed row blocks, so weights and scores are bit-identical for any rayon
//! thread count.
//!
//! On the GPU (`--device cuda`/`auto` with a GPU): training runs there
//! (`crate::nn::gpu`: the same batches, masks and optimiser arithmetic),
//! its per-epoch losses within the tolerance `crate::gpu::mlp` states of the
//! CPU's and identical from run to run on the same GPU; scoring stays on
//! the CPU. A GPU failure trains on the CPU instead, from the start.

mod model;
mod params;

pub use model::AutoencoderModel;
pub use params::AutoencoderParams;

use super::deep::{Scaler, Streams, check_size, fit_error, prepare};
use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use crate::nn::{
    Adam, AdamConfig, BatchNorm, BatchOrder, Control, History, Layer, Linear, Mlp, Mode, Schedule,
    gather, mse, run_epochs_ordered,
};
use ndarray::ArrayView2;
use rand_chacha::ChaCha8Rng;

/// The name epochs are reported under.
const NAME: &str = "autoencoder";

/// The parameters of `autoencoder`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "hidden_neurons",
        doc: "Encoder widths; the decoder mirrors them ([64, 32] gives d-64-32-64-d); \
              default [64, 32]; 1 to 32 integers in [1, 10000]. The network may have at \
              most 5e7 parameters for the data's width.",
    },
    ParamDoc {
        name: "hidden_activation",
        doc: "Activation of the hidden blocks: \"relu\", \"leaky_relu\", \"sigmoid\" or \
              \"tanh\"; default \"relu\".",
    },
    ParamDoc {
        name: "batch_norm",
        doc: "Batch norm after each hidden Linear, before the activation; default true.",
    },
    ParamDoc {
        name: "dropout_rate",
        doc: "Dropout after each hidden block while training; default 0.2; in [0, 1).",
    },
    ParamDoc {
        name: "epochs",
        doc: "Passes over the training rows; default 10; an integer in [1, 100000].",
    },
    ParamDoc {
        name: "batch_size",
        doc: "Rows per training batch (the last partial batch is dropped; fewer rows \
              than this train as one batch); default 32; an integer in [1, 1000000], \
              at least 2 with batch_norm.",
    },
    ParamDoc {
        name: "lr",
        doc: "Adam's learning rate; default 0.001; in (0, 10].",
    },
    ParamDoc {
        name: "weight_decay",
        doc: "Adam's L2 penalty (added to the gradient); default 1e-5; finite, >= 0.",
    },
    ParamDoc {
        name: "preprocessing",
        doc: "Scale columns by the training mean and std + 1e-8; default true.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the initialisation, shuffling and dropout; default 0; an integer \
              >= 0.",
    },
];

impl AutoencoderParams {
    /// The untrained network for `d` columns, initialised as PyOD does from
    /// `rng` (also the architecture the parity tests load PyOD's weights
    /// into).
    pub fn network(&self, d: usize, rng: &mut ChaCha8Rng) -> Mlp {
        let widths = self.widths(d);
        let mut layers = Vec::new();
        let last = widths.len() - 2;
        for (i, w) in widths.windows(2).enumerate() {
            let fan_in = w[0].max(1) as f64;
            if i < last {
                let bound = (6.0 / fan_in).sqrt();
                layers.push(Layer::Linear(Linear::uniform(
                    w[0],
                    w[1],
                    bound,
                    Some(1.0 / fan_in.sqrt()),
                    rng,
                )));
                if self.batch_norm {
                    layers.push(Layer::BatchNorm(BatchNorm::new(w[1])));
                }
                layers.push(self.hidden_activation.layer());
                if self.dropout_rate > 0.0 {
                    layers.push(Layer::Dropout {
                        p: self.dropout_rate,
                    });
                }
            } else {
                layers.push(Layer::Linear(Linear::kaiming_uniform(
                    w[0], w[1], true, rng,
                )));
            }
        }
        Mlp::new(layers)
    }
}

impl AutoencoderParams {
    /// Refusals that depend on the data's shape, and the batch size used
    /// (fewer rows than a batch: one batch of all rows; PyOD has none).
    fn check_data(&self, n: usize, d: usize) -> Result<usize, DetectorError> {
        if d == 0 {
            return Err(DetectorError::CannotFit("needs at least one column".into()));
        }
        if self.batch_norm && n < 2 {
            return Err(DetectorError::CannotFit(
                "batch norm needs at least 2 training rows (or set batch_norm = false)".into(),
            ));
        }
        let batch_size = self.batch_size.min(n);
        let widths = self.widths(d);
        let bn_params = if self.batch_norm {
            2 * widths[1..widths.len() - 1]
                .iter()
                .map(|&w| w as u128)
                .sum::<u128>()
        } else {
            0
        };
        check_size(&widths, true, bn_params, batch_size)?;
        Ok(batch_size)
    }

    /// Train `net` on `x` with the row orders from `order` and dropout
    /// masks from `dropout`, and score the training rows.
    fn train(
        &self,
        x: ArrayView2<'_, f64>,
        batch_size: usize,
        mut net: Mlp,
        #[cfg_attr(not(feature = "cuda"), allow(unused_mut))] mut order: BatchOrder<'_>,
        dropout: &mut ChaCha8Rng,
    ) -> Result<Fit<AutoencoderModel>, DetectorError> {
        let scaler = self.preprocessing.then(|| Scaler::fit_pyod(x));
        let xs = prepare(scaler.as_ref(), x);
        let mut adam =
            Adam::for_params(AdamConfig::adam(self.lr, self.weight_decay), &net.params());
        let schedule = Schedule {
            epochs: self.epochs,
            batch_size,
            shuffle: true,
            drop_last: true,
        };
        // With a GPU selected the same loop trains there (crate::nn::gpu);
        // on a GPU error nothing has changed and the CPU trains below.
        #[cfg(feature = "cuda")]
        let on_gpu = crate::nn::gpu::train_if_active(
            &crate::nn::gpu::Job {
                model: NAME,
                config: *adam.config(),
                x: xs.view(),
                schedule,
                objective: crate::gpu::mlp::Objective::Reconstruction,
                keep_best: false,
            },
            &mut net,
            &mut order,
            dropout,
        )
        .map_err(fit_error)?
        .map(|trained| trained.losses);
        #[cfg(not(feature = "cuda"))]
        let on_gpu: Option<Vec<f64>> = None;
        let loss = match on_gpu {
            Some(loss) => loss,
            None => run_epochs_ordered(
                NAME,
                x.nrows(),
                &schedule,
                order,
                |idx| {
                    let xb = gather(xs.view(), idx);
                    let (out, tape) = net.forward(xb.view(), Mode::Train, dropout);
                    net.update_running(&tape);
                    let (loss, dy) = mse(&out, xb.view());
                    let (grads, _) = net.backward(&tape, dy);
                    adam.step(net.params_mut(), &grads)?;
                    Ok(loss)
                },
                |_, _| Ok(Control::Continue),
            )
            .map_err(fit_error)?,
        };

        let model = AutoencoderModel::from_parts(scaler, net)
            .and_then(|m| {
                m.with_history(History {
                    loss,
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

    /// Train from given initial weights `net` (this architecture for `x`'s
    /// width) on given row orders, one per epoch, as [`DetectorParams::fit`]
    /// does on its own draws: for parity tests that replay PyOD's
    /// initialisation and shuffles (with `dropout_rate = 0`, as dropout
    /// masks are not replayed). Not a stable API.
    #[doc(hidden)]
    pub fn fit_replay(
        &self,
        x: ArrayView2<'_, f64>,
        net: Mlp,
        orders: &[Vec<usize>],
    ) -> Result<Fit<AutoencoderModel>, DetectorError> {
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

impl DetectorParams for AutoencoderParams {
    type Model = AutoencoderModel;

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
