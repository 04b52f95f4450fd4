//! USAD's two-phase training step and the training loop around it.

use super::model::Networks;
use crate::nn::{
    Adam, AdamConfig, Block, EarlyStopping, Grads, Layer, Mlp, Mode, NnError, Schedule, child_rng,
    gather, mse, run_epochs,
};
use ndarray::{ArrayView2, Axis, s};
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// TSB-AD's `EarlyStoppingTorch` `delta`: an epoch improves the monitored
/// loss only by going below the best one minus this.
pub const MIN_DELTA: f64 = 1e-4;

/// The two optimisers of the paper's code: one over the encoder and
/// decoder 1 (phase 1), one over the encoder and decoder 2 (phase 2), each
/// with its own moments.
pub struct Optimisers {
    pub ae1: Adam,
    pub ae2: Adam,
}

impl Optimisers {
    pub fn adamw(nets: &Networks, lr: f64, weight_decay: f64) -> Self {
        let config = AdamConfig::adamw(lr, weight_decay);
        let sizes = |a: &Mlp, b: &Mlp| -> Vec<usize> {
            a.params()
                .iter()
                .chain(b.params().iter())
                .map(|p| p.len())
                .collect()
        };
        Self {
            ae1: Adam::new(config, &sizes(&nets.encoder, &nets.decoder1)),
            ae2: Adam::new(config, &sizes(&nets.encoder, &nets.decoder2)),
        }
    }

    pub fn set_lr(&mut self, lr: f64) {
        self.ae1.set_lr(lr);
        self.ae2.set_lr(lr);
    }
}

/// Element-wise sum of two gradient lists of the same network.
fn add(a: Grads, b: Grads) -> Grads {
    a.into_iter().zip(b).map(|(x, y)| x + &y).collect()
}

fn step(opt: &mut Adam, encoder: &mut Mlp, decoder: &mut Mlp, grads: Grads) -> Result<(), NnError> {
    let params: Vec<&mut [f64]> = encoder
        .params_mut()
        .into_iter()
        .chain(decoder.params_mut())
        .collect();
    opt.step(params, &grads)
}

impl Networks {
    /// TSB-AD's `USADModel`: E = Linear(d, h) ReLU Linear(h, h) ReLU
    /// Linear(h, z) ReLU; D1, D2 = Linear(z, h) ReLU Linear(h, h) ReLU
    /// Linear(h, d) Sigmoid, each with PyTorch's default initialisation,
    /// drawn in that order from `rng`.
    pub fn init(d: usize, hidden: usize, latent: usize, rng: &mut ChaCha8Rng) -> Self {
        let block = Block {
            batch_norm: false,
            activation: crate::nn::Activation::Relu,
            dropout: 0.0,
            bias: true,
        };
        let encoder = Mlp::stack(
            &[d, hidden, hidden, latent],
            block,
            true,
            &[Layer::Relu],
            rng,
        );
        let decoder = |rng: &mut ChaCha8Rng| {
            Mlp::stack(
                &[latent, hidden, hidden, d],
                block,
                true,
                &[Layer::Sigmoid],
                rng,
            )
        };
        let decoder1 = decoder(rng);
        let decoder2 = decoder(rng);
        Self {
            encoder,
            decoder1,
            decoder2,
        }
    }

    /// One batch of the paper's training (Algorithm 1, with the authors'
    /// order of the two updates), `n` = epoch + 1 (1-based epoch):
    ///
    /// 1. `L1 = (1/n) mse(w, D1(E(w))) + (1 − 1/n) mse(w, D2(E(D1(E(w)))))`,
    ///    gradients with respect to E and D1 only, a step of `opt.ae1`;
    /// 2. a fresh forward with the updated E and D1, `L2 = (1/n) mse(w,
    ///    D2(E(w))) − (1 − 1/n) mse(w, D2(E(D1(E(w)))))`, gradients with
    ///    respect to E and D2 only, a step of `opt.ae2`.
    ///
    /// Returns `(L1, L2)`. `rng` is only handed to the layers (these
    /// networks have no dropout, so nothing is drawn).
    pub fn train_step(
        &mut self,
        opt: &mut Optimisers,
        w: ArrayView2<'_, f64>,
        n: f64,
        rng: &mut ChaCha8Rng,
    ) -> Result<(f64, f64), NnError> {
        let a = 1.0 / n;
        let b = 1.0 - a;
        let train = Mode::Train;

        // Phase 1: (E, D1) on L1.
        let (z, t_e) = self.encoder.forward(w, train, rng);
        let (w1, t_d1) = self.decoder1.forward(z.view(), train, rng);
        let (z1, t_e1) = self.encoder.forward(w1.view(), train, rng);
        let (w3, t_d2) = self.decoder2.forward(z1.view(), train, rng);
        let (m1, g1) = mse(&w1, w);
        let (m3, g3) = mse(&w3, w);
        let l1 = a * m1 + b * m3;
        let (_, dz1) = self.decoder2.backward(&t_d2, g3 * b);
        let (g_e1, dw1) = self.encoder.backward(&t_e1, dz1);
        let (g_d1, dz) = self.decoder1.backward(&t_d1, g1 * a + dw1);
        let (g_e, _) = self.encoder.backward(&t_e, dz);
        let grads = add(g_e, g_e1).into_iter().chain(g_d1).collect();
        step(&mut opt.ae1, &mut self.encoder, &mut self.decoder1, grads)?;

        // Phase 2: (E, D2) on L2, from a fresh forward.
        let (z, t_e) = self.encoder.forward(w, train, rng);
        let (w1, t_d1) = self.decoder1.forward(z.view(), train, rng);
        let (w2, t_d2a) = self.decoder2.forward(z.view(), train, rng);
        let (z1, t_e1) = self.encoder.forward(w1.view(), train, rng);
        let (w3, t_d2b) = self.decoder2.forward(z1.view(), train, rng);
        let (m2, g2) = mse(&w2, w);
        let (m3, g3) = mse(&w3, w);
        let l2 = a * m2 - b * m3;
        let (g_d2b, dz1) = self.decoder2.backward(&t_d2b, g3 * -b);
        let (g_e1, dw1) = self.encoder.backward(&t_e1, dz1);
        let (_, dz_via_d1) = self.decoder1.backward(&t_d1, dw1);
        let (g_d2a, dz_via_d2) = self.decoder2.backward(&t_d2a, g2 * a);
        let (g_e, _) = self.encoder.backward(&t_e, dz_via_d2 + &dz_via_d1);
        let grads = add(g_e, g_e1)
            .into_iter()
            .chain(add(g_d2a, g_d2b))
            .collect();
        step(&mut opt.ae2, &mut self.encoder, &mut self.decoder2, grads)?;
        Ok((l1, l2))
    }

    /// `L1 + L2` of one eval-mode forward pass (the adversarial terms
    /// cancel: `(1/n)(mse(w, D1(E(w))) + mse(w, D2(E(w))))`), averaged over
    /// consecutive batches of `batch_size` rows: TSB-AD's validation loss.
    pub fn validation_loss(&self, w: ArrayView2<'_, f64>, batch_size: usize, n: f64) -> f64 {
        let rows = w.nrows();
        let mut sum = 0.0;
        let mut count = 0usize;
        let mut lo = 0;
        while lo < rows {
            let hi = (lo + batch_size).min(rows);
            let part = w.slice(s![lo..hi, ..]);
            let (w1, w3) = self.reconstruct(part);
            let w2 = self.reconstruct2(part);
            let (m1, _) = mse(&w1, part);
            let (m2, _) = mse(&w2, part);
            let (m3, _) = mse(&w3, part);
            let a = 1.0 / n;
            let b = 1.0 - a;
            sum += (a * m1 + b * m3) + (a * m2 - b * m3);
            count += 1;
            lo = hi;
        }
        sum / count.max(1) as f64
    }
}

/// What the training loop needs besides the data.
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub lr_step: usize,
    pub lr_gamma: f64,
    pub validation_size: f64,
    pub patience: usize,
}

/// What training produced.
pub struct Trained {
    pub networks: Networks,
    pub loss: Vec<f64>,
    pub validation: Vec<f64>,
}

/// The number of training rows: Python's `int((1 − v) · n)` (TSB-AD's
/// `data[:int((1-self.validation_size)*len(data))]`); the rest validate.
pub fn training_rows(n: usize, validation_size: f64) -> usize {
    if validation_size == 0.0 {
        n
    } else {
        ((1.0 - validation_size) * n as f64) as usize
    }
}

/// Train from `seed`'s streams on the scaled rows `x` (the first
/// [`training_rows`] train, the rest validate): initial weights from the
/// first child stream of `ChaCha8(seed)`, batch shuffling from the second.
/// Epochs are reported as `usad`.
pub fn train(
    x: ArrayView2<'_, f64>,
    hidden: usize,
    latent: usize,
    config: &TrainConfig,
    seed: u64,
) -> Result<Trained, NnError> {
    let mut master = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
    let mut init_rng = child_rng(&mut master);
    let mut shuffle_rng = child_rng(&mut master);
    let networks = Networks::init(x.ncols(), hidden, latent, &mut init_rng);
    let optimisers = Optimisers::adamw(&networks, config.lr, config.weight_decay);

    let n_train = training_rows(x.nrows(), config.validation_size);
    let (train_rows, valid_rows) = x.split_at(Axis(0), n_train);
    struct State {
        networks: Networks,
        optimisers: Optimisers,
        /// 0-based epoch being trained.
        epoch: usize,
        lr: f64,
        validation: Vec<f64>,
    }
    let state = RefCell::new(State {
        networks,
        optimisers,
        epoch: 0,
        lr: config.lr,
        validation: Vec::new(),
    });
    let schedule = Schedule {
        epochs: config.epochs,
        batch_size: config.batch_size,
        shuffle: true,
        drop_last: false,
    };
    let mut stopping = EarlyStopping::new(config.patience, MIN_DELTA);
    let loss = run_epochs(
        "usad",
        n_train,
        &schedule,
        &mut shuffle_rng,
        |idx, rng| {
            let mut st = state.borrow_mut();
            let st = &mut *st;
            let n = (st.epoch + 1) as f64;
            let batch = gather(train_rows, idx);
            let (l1, l2) = st
                .networks
                .train_step(&mut st.optimisers, batch.view(), n, rng)?;
            Ok(l1 + l2)
        },
        |epoch, loss| {
            let mut st = state.borrow_mut();
            let n = (epoch + 1) as f64;
            let monitored = if valid_rows.nrows() > 0 {
                let v = st
                    .networks
                    .validation_loss(valid_rows, config.batch_size, n);
                st.validation.push(v);
                v
            } else {
                loss
            };
            // StepLR after the epoch: lr ← lr · gamma every lr_step epochs.
            st.epoch = epoch + 1;
            if st.epoch.is_multiple_of(config.lr_step) {
                st.lr *= config.lr_gamma;
                let lr = st.lr;
                st.optimisers.set_lr(lr);
            }
            Ok(stopping.observe(epoch, monitored).1)
        },
    )?;
    let st = state.into_inner();
    Ok(Trained {
        networks: st.networks,
        loss,
        validation: st.validation,
    })
}

/// Per-row weighted errors of `x` (for tests that check the score against
/// a reference on given weights).
#[cfg(test)]
pub(super) fn score_rows(
    nets: &Networks,
    x: ArrayView2<'_, f64>,
    alpha: f64,
    beta: f64,
) -> ndarray::Array1<f64> {
    let (w1, w3) = nets.reconstruct(x);
    super::model::weighted_errors(x, w1.view(), w3.view(), alpha, beta)
}
