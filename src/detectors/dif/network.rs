//! The random representation network of one DIF ensemble member: PyOD's
//! `MLPnet` with bias-free linear layers whose weights are i.i.d. N(0, 1),
//! the hidden activation after every hidden layer and none after the last,
//! optionally with skip connections; built from the MLP engine's layers and
//! evaluated in fixed row blocks.

use crate::nn::{Activation, INFERENCE_BLOCK, Layer, Linear, Mlp};
use ndarray::{Array2, ArrayView2, Axis, concatenate, s};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Rows per matrix product. Every product has this many rows (a short
/// block is padded), which keeps a row's output independent of the batch;
/// 64 rows keep the products efficient while a single scored row costs
/// little. At most [`INFERENCE_BLOCK`], so the engine never splits a block.
pub const ROW_BLOCK: usize = 64;
const _: () = assert!(ROW_BLOCK <= INFERENCE_BLOCK);

/// A representation network (never trained).
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// One engine network per hidden block (Linear, activation).
    hidden: Vec<Mlp>,
    /// The last Linear (no activation: PyOD's `Identity`).
    output: Mlp,
    /// Whether each hidden block outputs `[input, activation]`.
    skip: bool,
}

impl Network {
    /// Draw every layer's `out × in` weight matrix i.i.d. N(0, 1), row by
    /// row, layer by layer, from `rng` (PyOD: `torch.nn.init.normal_` on
    /// every weight, in layer order; there are no biases).
    /// `widths` are the layers' `(in, out)` pairs
    /// ([`super::Architecture::layer_widths`]).
    pub fn random(
        widths: &[(usize, usize)],
        activation: Activation,
        skip: bool,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let weights = widths
            .iter()
            .map(|&(i, o)| Linear::standard_normal(i, o, rng).weight)
            .collect();
        Self::assemble(weights, activation, skip)
    }

    /// A network with the given `out × in` weight matrices (for example
    /// PyOD's), checked to chain: layer k + 1 takes layer k's output (plus,
    /// with `skip`, the block's input).
    pub fn from_weights(
        weights: Vec<Array2<f64>>,
        activation: Activation,
        skip: bool,
    ) -> Result<Self, String> {
        let Some(first) = weights.first() else {
            return Err("a network needs at least one layer".into());
        };
        let mut width = first.ncols();
        for (k, w) in weights.iter().enumerate() {
            if w.ncols() != width {
                return Err(format!(
                    "layer {k} takes {} inputs, gets {width}",
                    w.ncols()
                ));
            }
            if !w.iter().all(|v| v.is_finite()) {
                return Err(format!("layer {k} has a non-finite weight"));
            }
            width = if skip && k + 1 < weights.len() {
                width + w.nrows()
            } else {
                w.nrows()
            };
        }
        Ok(Self::assemble(weights, activation, skip))
    }

    fn assemble(mut weights: Vec<Array2<f64>>, activation: Activation, skip: bool) -> Self {
        let last = weights.pop().unwrap_or_else(|| Array2::zeros((0, 0)));
        let linear = |weight| Layer::Linear(Linear { weight, bias: None });
        Self {
            hidden: weights
                .into_iter()
                .map(|w| Mlp::new(vec![linear(w), activation.layer()]))
                .collect(),
            output: Mlp::new(vec![linear(last)]),
            skip,
        }
    }

    /// Input columns.
    pub fn inputs(&self) -> usize {
        self.hidden.first().unwrap_or(&self.output).inputs()
    }

    /// Representation width.
    pub fn outputs(&self) -> usize {
        self.output.outputs()
    }

    /// Every weight, layer by layer, each `out × in` row-major (the order
    /// they were drawn in).
    pub fn weights(&self) -> impl Iterator<Item = &[f64]> {
        self.hidden
            .iter()
            .chain(std::iter::once(&self.output))
            .flat_map(|m| m.params())
    }

    /// The network's output for every row of `x` (`n × outputs`), computed
    /// in blocks of [`ROW_BLOCK`] rows in parallel, each one matrix product
    /// per layer. A short last block is padded with zero rows, so every
    /// product has the same shape and a row's output depends on that row
    /// alone: bit-identical whether it is computed alone, in any batch or at
    /// any position (BLAS products of different shapes may round the same
    /// row differently), and for any thread count.
    pub fn forward(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let n = x.nrows();
        if n <= ROW_BLOCK {
            return self.forward_block(x);
        }
        let blocks: Vec<Array2<f64>> = (0..n.div_ceil(ROW_BLOCK))
            .into_par_iter()
            .map(|b| {
                let lo = b * ROW_BLOCK;
                let hi = (lo + ROW_BLOCK).min(n);
                self.forward_block(x.slice(s![lo..hi, ..]))
            })
            .collect();
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((0, self.outputs())))
    }

    /// One block of at most [`ROW_BLOCK`] rows, padded to [`ROW_BLOCK`]
    /// (the engine evaluates it in one piece on this thread).
    fn forward_block(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let rows = x.nrows();
        let mut h = Array2::<f64>::zeros((ROW_BLOCK, x.ncols()));
        h.slice_mut(s![..rows, ..]).assign(&x);
        for block in &self.hidden {
            let a = block.predict(h.view());
            h = if self.skip {
                concatenate(Axis(1), &[h.view(), a.view()]).unwrap_or(a)
            } else {
                a
            };
        }
        let out = self.output.predict(h.view());
        out.slice(s![..rows, ..]).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;

    #[test]
    fn forward_is_the_layers_by_hand() {
        // 2 → 2 (tanh) → 1, without and with the skip connection.
        let w1 = array![[1.0, -1.0], [0.5, 2.0]];
        let w2 = array![[1.0, 3.0]];
        let x = array![[0.2, 0.1], [1.0, -1.0]];
        let net = Network::from_weights(vec![w1.clone(), w2], Activation::Tanh, false).unwrap();
        let out = net.forward(x.view());
        for r in 0..2 {
            let (a, b) = (x[[r, 0]], x[[r, 1]]);
            let h = [(a - b).tanh(), (0.5 * a + 2.0 * b).tanh()];
            assert!((out[[r, 0]] - (h[0] + 3.0 * h[1])).abs() < 1e-15);
        }
        let w2s = array![[1.0, 3.0, -1.0, 0.5]];
        let skip = Network::from_weights(vec![w1, w2s], Activation::Tanh, true).unwrap();
        let out = skip.forward(x.view());
        for r in 0..2 {
            let (a, b) = (x[[r, 0]], x[[r, 1]]);
            let h = [(a - b).tanh(), (0.5 * a + 2.0 * b).tanh()];
            let want = a + 3.0 * b - h[0] + 0.5 * h[1];
            assert!((out[[r, 0]] - want).abs() < 1e-15);
        }
        assert_eq!((skip.inputs(), skip.outputs()), (2, 1));
    }

    #[test]
    fn from_weights_checks_the_chain() {
        let w = |o: usize, i: usize| Array2::<f64>::ones((o, i));
        assert!(Network::from_weights(vec![w(3, 2), w(1, 3)], Activation::Relu, false).is_ok());
        assert!(Network::from_weights(vec![w(3, 2), w(1, 4)], Activation::Relu, false).is_err());
        assert!(Network::from_weights(vec![w(3, 2), w(1, 5)], Activation::Relu, true).is_ok());
        assert!(Network::from_weights(vec![], Activation::Relu, false).is_err());
        let mut bad = w(1, 2);
        bad[[0, 1]] = f64::NAN;
        assert!(Network::from_weights(vec![bad], Activation::Relu, false).is_err());
    }

    #[test]
    fn random_weights_are_standard_normal_in_drawing_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let net = Network::random(&[(4, 300), (300, 5)], Activation::Tanh, false, &mut rng);
        let all: Vec<f64> = net.weights().flatten().copied().collect();
        assert_eq!(all.len(), 4 * 300 + 300 * 5);
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / all.len() as f64;
        assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.1, "{mean} {var}");
        // The same stream, drawn directly, gives the same weights in order.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let direct: Vec<f64> = (0..all.len())
            .map(|_| crate::nn::standard_normal(&mut rng))
            .collect();
        assert_eq!(all, direct);
    }

    #[test]
    fn blocks_do_not_change_the_rows() {
        // More rows than one block; every row equals its value computed
        // alone or in another batch.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let net = Network::random(
            &[(3, 40), (43, 7), (50, 4)],
            Activation::Tanh,
            true,
            &mut rng,
        );
        let n = 5 * ROW_BLOCK + 37;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * 7 + j * 13) % 29) as f64 / 29.0 - 0.3);
        let all = net.forward(x.view());
        for r in 0..n {
            let one = net.forward(x.slice(s![r..r + 1, ..]));
            assert_eq!(one.row(0), all.row(r), "row {r}");
        }
        let shifted = net.forward(x.slice(s![3..100, ..]));
        assert_eq!(shifted, all.slice(s![3..100, ..]));
    }
}
