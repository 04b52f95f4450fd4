//! A sequential network of [`Layer`]s: batched forward and backward passes,
//! the flattened parameter view the optimisers work on, and blocked,
//! thread-count-independent inference.

use super::NnError;
use super::layer::{BatchNorm, Cache, Layer, Linear, Mode};
use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate, s};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per inference block. Blocks are fixed by the data (never by the
/// thread count) and each row's output depends on its own block only, so
/// outputs are bit-identical for any `RAYON_NUM_THREADS`.
pub const INFERENCE_BLOCK: usize = 1024;

/// A feed-forward network (`torch.nn.Sequential` of the supported layers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mlp {
    pub layers: Vec<Layer>,
}

/// What a forward pass keeps for the backward pass (one cache per layer).
#[derive(Debug, Clone)]
pub struct Tape {
    caches: Vec<Cache>,
}

/// Parameter gradients, one flattened tensor per [`Mlp::params`] entry.
pub type Grads = Vec<Array1<f64>>;

/// One hidden block of a [`Mlp::stack`]: what follows each hidden Linear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block {
    pub batch_norm: bool,
    pub activation: Activation,
    pub dropout: f64,
    pub bias: bool,
}

/// The element-wise activations, by PyOD's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Relu,
    LeakyRelu,
    Sigmoid,
    Tanh,
}

impl Activation {
    /// The layer (LeakyReLU with torch's default slope 0.01).
    pub fn layer(self) -> Layer {
        match self {
            Activation::Relu => Layer::Relu,
            Activation::LeakyRelu => Layer::LeakyRelu { slope: 0.01 },
            Activation::Sigmoid => Layer::Sigmoid,
            Activation::Tanh => Layer::Tanh,
        }
    }
}

impl Mlp {
    pub fn new(layers: Vec<Layer>) -> Self {
        Self { layers }
    }

    /// `widths[0] → … → widths[k]`: every Linear but the last followed by
    /// `hidden` (batch norm, activation, dropout in that order, as PyOD's
    /// `LinearBlock`); the last Linear followed by `output` layers. Weights
    /// are PyTorch's default initialisation drawn from `rng`.
    pub fn stack(
        widths: &[usize],
        hidden: Block,
        output_bias: bool,
        output: &[Layer],
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let mut layers = Vec::new();
        let last = widths.len().saturating_sub(2);
        for (i, w) in widths.windows(2).enumerate() {
            if i < last {
                layers.push(Layer::Linear(Linear::kaiming_uniform(
                    w[0],
                    w[1],
                    hidden.bias,
                    rng,
                )));
                if hidden.batch_norm {
                    layers.push(Layer::BatchNorm(BatchNorm::new(w[1])));
                }
                layers.push(hidden.activation.layer());
                if hidden.dropout > 0.0 {
                    layers.push(Layer::Dropout { p: hidden.dropout });
                }
            } else {
                layers.push(Layer::Linear(Linear::kaiming_uniform(
                    w[0],
                    w[1],
                    output_bias,
                    rng,
                )));
                layers.extend(output.iter().cloned());
            }
        }
        Self { layers }
    }

    /// The input width (of the first Linear).
    pub fn inputs(&self) -> usize {
        self.layers
            .iter()
            .find_map(|l| match l {
                Layer::Linear(l) => Some(l.inputs()),
                Layer::BatchNorm(b) => Some(b.dim()),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// The output width (of the last Linear or batch norm).
    pub fn outputs(&self) -> usize {
        self.layers
            .iter()
            .rev()
            .find_map(|l| match l {
                Layer::Linear(l) => Some(l.outputs()),
                Layer::BatchNorm(b) => Some(b.dim()),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// Whether any layer behaves differently in train mode.
    pub fn has_batch_norm(&self) -> bool {
        self.layers.iter().any(|l| matches!(l, Layer::BatchNorm(_)))
    }

    /// Check a loaded network: consistent widths, finite values, `inputs`
    /// columns in.
    pub fn check(&self, inputs: usize) -> Result<(), NnError> {
        if !self.layers.iter().any(|l| matches!(l, Layer::Linear(_))) {
            return Err(NnError::Corrupt("a network needs a linear layer".into()));
        }
        let mut width = inputs;
        for (i, l) in self.layers.iter().enumerate() {
            width = l.check(i, width)?;
        }
        Ok(())
    }

    /// Forward over one batch, keeping what the backward pass needs. In
    /// train mode batch norm uses the batch statistics (fold them into the
    /// running ones with [`Self::update_running`]) and dropout draws its
    /// masks from `rng`.
    pub fn forward(
        &self,
        x: ArrayView2<'_, f64>,
        mode: Mode,
        rng: &mut ChaCha8Rng,
    ) -> (Array2<f64>, Tape) {
        let mut h = x.to_owned();
        let mut caches = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (y, cache) = layer.forward(h, mode, rng);
            caches.push(cache);
            h = y;
        }
        (h, Tape { caches })
    }

    /// Backward from `dy` (d loss / d output): the parameter gradients in
    /// [`Self::params`] order and d loss / d input.
    pub fn backward(&self, tape: &Tape, dy: Array2<f64>) -> (Grads, Array2<f64>) {
        let mut per_layer = Vec::with_capacity(self.layers.len());
        let mut g = dy;
        for (layer, cache) in self.layers.iter().zip(&tape.caches).rev() {
            let (dx, grads) = layer.backward(cache, g);
            per_layer.push(grads);
            g = dx;
        }
        per_layer.reverse();
        (per_layer.into_iter().flatten().collect(), g)
    }

    /// Fold a train-mode pass's batch statistics into the running ones.
    pub fn update_running(&mut self, tape: &Tape) {
        for (layer, cache) in self.layers.iter_mut().zip(&tape.caches) {
            layer.update_running(cache);
        }
    }

    /// Eval-mode outputs for any number of rows, computed in fixed blocks
    /// of [`INFERENCE_BLOCK`] rows in parallel (bit-identical for any thread
    /// count). Dropout is off, so no random numbers are drawn.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        crate::blas::single_threaded();
        let n = x.nrows();
        if n <= INFERENCE_BLOCK {
            return self.predict_block(x);
        }
        let blocks: Vec<Array2<f64>> = (0..n.div_ceil(INFERENCE_BLOCK))
            .into_par_iter()
            .map(|b| {
                let lo = b * INFERENCE_BLOCK;
                let hi = (lo + INFERENCE_BLOCK).min(n);
                self.predict_block(x.slice(s![lo..hi, ..]))
            })
            .collect();
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((0, self.outputs())))
    }

    fn predict_block(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        // Eval mode draws no random numbers; the generator is never used.
        let mut unused = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        let mut h = x.to_owned();
        for layer in &self.layers {
            h = layer.forward(h, Mode::Eval, &mut unused).0;
        }
        h
    }

    /// Every trainable tensor, flattened, in PyTorch's `parameters()` order.
    pub fn params(&self) -> Vec<&[f64]> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }

    /// Mutable [`Self::params`].
    pub fn params_mut(&mut self) -> Vec<&mut [f64]> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.params_mut())
            .collect()
    }

    /// Overwrite every parameter from flattened tensors (e.g. PyTorch's).
    pub fn set_params(&mut self, values: &[Vec<f64>]) -> Result<(), NnError> {
        let mut params = self.params_mut();
        if params.len() != values.len()
            || params.iter().zip(values).any(|(p, v)| p.len() != v.len())
        {
            return Err(NnError::Corrupt(
                "parameter tensors do not match the network".into(),
            ));
        }
        for (p, v) in params.iter_mut().zip(values) {
            p.copy_from_slice(v);
        }
        Ok(())
    }

    /// The Linear layers' weights (for norm penalties such as DeepSVDD's).
    pub fn linear_layers(&self) -> impl Iterator<Item = &Linear> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Linear(l) => Some(l),
            _ => None,
        })
    }
}
