//! The layers of the MLP engine, each with a forward pass over a whole batch
//! and the matching backward pass (PyTorch's definitions, float64).

use super::NnError;
use ndarray::{Array1, Array2, Axis, Zip};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Train mode (batch statistics, dropout on) or eval mode (running
/// statistics, dropout off), as `module.train()` / `module.eval()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Train,
    Eval,
}

/// `torch.nn.Linear`: `y = x Wᵀ + b`, the weight stored `out × in`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linear {
    pub weight: Array2<f64>,
    pub bias: Option<Array1<f64>>,
}

impl Linear {
    /// PyTorch's default initialisation: `kaiming_uniform_(a = √5)` for the
    /// weight, which is U(−1/√in, 1/√in), and the same bound for the bias.
    pub fn kaiming_uniform(
        inputs: usize,
        outputs: usize,
        bias: bool,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let bound = 1.0 / (inputs.max(1) as f64).sqrt();
        Self::uniform(inputs, outputs, bound, bias.then_some(bound), rng)
    }

    /// Weights U(−w, w) and biases U(−b, b) (for example PyOD's
    /// `kaiming_uniform_(nonlinearity='relu')` hidden weights, w = √(6/in),
    /// with torch's default bias bound 1/√in).
    pub fn uniform(
        inputs: usize,
        outputs: usize,
        weight_bound: f64,
        bias_bound: Option<f64>,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let weight = Array2::from_shape_simple_fn((outputs, inputs), || {
            weight_bound * (2.0 * rng.random::<f64>() - 1.0)
        });
        let bias = bias_bound.map(|b| {
            Array1::from_shape_simple_fn(outputs, || b * (2.0 * rng.random::<f64>() - 1.0))
        });
        Self { weight, bias }
    }

    /// Bias-free weights drawn i.i.d. N(0, 1) (DIF's random representations).
    pub fn standard_normal(inputs: usize, outputs: usize, rng: &mut ChaCha8Rng) -> Self {
        let weight = Array2::from_shape_simple_fn((outputs, inputs), || standard_normal(rng));
        Self { weight, bias: None }
    }

    pub fn inputs(&self) -> usize {
        self.weight.ncols()
    }

    pub fn outputs(&self) -> usize {
        self.weight.nrows()
    }
}

/// `torch.nn.BatchNorm1d` (affine, tracking running statistics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchNorm {
    pub gamma: Array1<f64>,
    pub beta: Array1<f64>,
    pub running_mean: Array1<f64>,
    pub running_var: Array1<f64>,
    pub eps: f64,
    pub momentum: f64,
}

impl BatchNorm {
    /// PyTorch's defaults: γ = 1, β = 0, running mean 0 and variance 1,
    /// eps 1e-5, momentum 0.1.
    pub fn new(dim: usize) -> Self {
        Self {
            gamma: Array1::ones(dim),
            beta: Array1::zeros(dim),
            running_mean: Array1::zeros(dim),
            running_var: Array1::ones(dim),
            eps: 1e-5,
            momentum: 0.1,
        }
    }

    pub fn dim(&self) -> usize {
        self.gamma.len()
    }
}

/// One layer. Activations and dropout have no parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layer {
    Linear(Linear),
    BatchNorm(BatchNorm),
    Relu,
    LeakyRelu {
        slope: f64,
    },
    Sigmoid,
    Tanh,
    /// Zeroes each value with probability `p` in train mode and scales the
    /// rest by `1/(1 − p)`; the identity in eval mode.
    Dropout {
        p: f64,
    },
}

/// What a layer's forward pass keeps for its backward pass.
#[derive(Debug, Clone)]
pub(crate) enum Cache {
    /// The layer's input (Linear, ReLU, LeakyReLU).
    Input(Array2<f64>),
    /// The layer's output (Sigmoid, Tanh).
    Output(Array2<f64>),
    /// Batch norm in train mode: the normalised input, `1/√(var + eps)` and
    /// the batch mean and (biased) variance for the running statistics.
    BatchTrain {
        xhat: Array2<f64>,
        inv_std: Array1<f64>,
        mean: Array1<f64>,
        var: Array1<f64>,
    },
    /// Batch norm in eval mode: the input normalised with the running
    /// statistics, and `γ/√(running_var + eps)` per column.
    BatchEval {
        xhat: Array2<f64>,
        scale: Array1<f64>,
    },
    /// Dropout in train mode: the kept mask already scaled by `1/(1 − p)`.
    Mask(Array2<f64>),
    /// Nothing to keep (dropout in eval mode).
    Nothing,
}

/// Gradients of one layer's parameters, in [`Layer::params`] order.
pub(crate) type LayerGrads = Vec<Array1<f64>>;

/// Row-major flattening (a fresh product is already in standard layout).
fn flat(a: Array2<f64>) -> Array1<f64> {
    let a = if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    };
    Array1::from_vec(a.into_raw_vec_and_offset().0)
}

impl Layer {
    /// Forward over a batch (rows are samples). `rng` draws dropout masks.
    pub(crate) fn forward(
        &self,
        x: Array2<f64>,
        mode: Mode,
        rng: &mut ChaCha8Rng,
    ) -> (Array2<f64>, Cache) {
        match self {
            Layer::Linear(l) => {
                let mut y = x.dot(&l.weight.t());
                if let Some(b) = &l.bias {
                    y += b;
                }
                (y, Cache::Input(x))
            }
            Layer::BatchNorm(bn) => match mode {
                Mode::Train => {
                    let b = x.nrows().max(1) as f64;
                    let mean = x.sum_axis(Axis(0)) / b;
                    let centred = &x - &mean;
                    let var = centred.mapv(|v| v * v).sum_axis(Axis(0)) / b;
                    let inv_std = var.mapv(|v| 1.0 / (v + bn.eps).sqrt());
                    let xhat = centred * &inv_std;
                    let y = &xhat * &bn.gamma + &bn.beta;
                    (
                        y,
                        Cache::BatchTrain {
                            xhat,
                            inv_std,
                            mean,
                            var,
                        },
                    )
                }
                Mode::Eval => {
                    let inv_std = bn.running_var.mapv(|v| 1.0 / (v + bn.eps).sqrt());
                    let xhat = (x - &bn.running_mean) * &inv_std;
                    let y = &xhat * &bn.gamma + &bn.beta;
                    (
                        y,
                        Cache::BatchEval {
                            xhat,
                            scale: inv_std * &bn.gamma,
                        },
                    )
                }
            },
            Layer::Relu => (x.mapv(|v| v.max(0.0)), Cache::Input(x)),
            Layer::LeakyRelu { slope } => {
                let s = *slope;
                (x.mapv(|v| if v > 0.0 { v } else { v * s }), Cache::Input(x))
            }
            Layer::Sigmoid => {
                let y = x.mapv_into(|v| 1.0 / (1.0 + (-v).exp()));
                (y.clone(), Cache::Output(y))
            }
            Layer::Tanh => {
                let y = x.mapv_into(f64::tanh);
                (y.clone(), Cache::Output(y))
            }
            Layer::Dropout { p } => match mode {
                Mode::Eval => (x, Cache::Nothing),
                Mode::Train => {
                    let p = *p;
                    let keep = 1.0 / (1.0 - p);
                    let mask = Array2::from_shape_simple_fn(x.raw_dim(), || {
                        if p > 0.0 && rng.random::<f64>() < p {
                            0.0
                        } else {
                            keep
                        }
                    });
                    (x * &mask, Cache::Mask(mask))
                }
            },
        }
    }

    /// Backward: the gradient with respect to the input, and the gradients
    /// of the parameters (empty for parameter-free layers).
    pub(crate) fn backward(&self, cache: &Cache, dy: Array2<f64>) -> (Array2<f64>, LayerGrads) {
        match (self, cache) {
            (Layer::Linear(l), Cache::Input(x)) => {
                let dw = flat(dy.t().dot(x));
                let mut grads = vec![dw];
                if l.bias.is_some() {
                    grads.push(dy.sum_axis(Axis(0)));
                }
                (dy.dot(&l.weight), grads)
            }
            (Layer::BatchNorm(bn), Cache::BatchTrain { xhat, inv_std, .. }) => {
                let b = xhat.nrows().max(1) as f64;
                let dgamma = (&dy * xhat).sum_axis(Axis(0));
                let dbeta = dy.sum_axis(Axis(0));
                // dx = γ/(b·σ) · (b·dy − Σdy − x̂·Σ(dy·x̂))
                let mut dx = dy * b;
                dx -= &dbeta;
                dx -= &(xhat * &dgamma);
                let coef = &bn.gamma * inv_std / b;
                dx *= &coef;
                (dx, vec![dgamma, dbeta])
            }
            (Layer::BatchNorm(_), Cache::BatchEval { xhat, scale }) => {
                // y = x̂·γ + β with x̂ = (x − running_mean)/σ_running.
                let dgamma = (&dy * xhat).sum_axis(Axis(0));
                let dbeta = dy.sum_axis(Axis(0));
                (dy * scale, vec![dgamma, dbeta])
            }
            (Layer::Relu, Cache::Input(x)) => {
                let mut dx = dy;
                Zip::from(&mut dx).and(x).for_each(|g, &v| {
                    if v <= 0.0 {
                        *g = 0.0;
                    }
                });
                (dx, Vec::new())
            }
            (Layer::LeakyRelu { slope }, Cache::Input(x)) => {
                let mut dx = dy;
                Zip::from(&mut dx).and(x).for_each(|g, &v| {
                    if v <= 0.0 {
                        *g *= slope;
                    }
                });
                (dx, Vec::new())
            }
            (Layer::Sigmoid, Cache::Output(y)) => {
                let mut dx = dy;
                Zip::from(&mut dx)
                    .and(y)
                    .for_each(|g, &s| *g *= s * (1.0 - s));
                (dx, Vec::new())
            }
            (Layer::Tanh, Cache::Output(y)) => {
                let mut dx = dy;
                Zip::from(&mut dx)
                    .and(y)
                    .for_each(|g, &t| *g *= 1.0 - t * t);
                (dx, Vec::new())
            }
            (Layer::Dropout { .. }, Cache::Mask(mask)) => (dy * mask, Vec::new()),
            (Layer::Dropout { .. }, Cache::Nothing) => (dy, Vec::new()),
            // A cache always comes from the same layer's forward pass.
            _ => (dy, Vec::new()),
        }
    }

    /// Fold a train-mode batch's statistics into the running ones (torch:
    /// `running = (1 − momentum)·running + momentum·batch`, with the
    /// unbiased batch variance).
    pub(crate) fn update_running(&mut self, cache: &Cache) {
        if let (
            Layer::BatchNorm(bn),
            Cache::BatchTrain {
                mean, var, xhat, ..
            },
        ) = (self, cache)
        {
            let b = xhat.nrows() as f64;
            let unbias = if b > 1.0 { b / (b - 1.0) } else { 1.0 };
            let m = bn.momentum;
            Zip::from(&mut bn.running_mean)
                .and(mean)
                .for_each(|r, &v| *r = (1.0 - m) * *r + m * v);
            Zip::from(&mut bn.running_var)
                .and(var)
                .for_each(|r, &v| *r = (1.0 - m) * *r + m * v * unbias);
        }
    }

    /// The layer's trainable tensors, flattened row-major, in PyTorch's
    /// `parameters()` order (weight then bias; γ then β).
    pub fn params(&self) -> Vec<&[f64]> {
        match self {
            Layer::Linear(l) => {
                let mut v = vec![l.weight.as_slice().unwrap_or(&[])];
                if let Some(b) = &l.bias {
                    v.push(b.as_slice().unwrap_or(&[]));
                }
                v
            }
            Layer::BatchNorm(bn) => vec![
                bn.gamma.as_slice().unwrap_or(&[]),
                bn.beta.as_slice().unwrap_or(&[]),
            ],
            _ => Vec::new(),
        }
    }

    /// Mutable [`Self::params`] (arrays are brought to standard layout first).
    pub fn params_mut(&mut self) -> Vec<&mut [f64]> {
        fn standard2(a: &mut Array2<f64>) -> &mut [f64] {
            if a.as_slice().is_none() {
                *a = a.as_standard_layout().into_owned();
            }
            a.as_slice_mut().unwrap_or(&mut [])
        }
        fn standard1(a: &mut Array1<f64>) -> &mut [f64] {
            if a.as_slice().is_none() {
                *a = a.as_standard_layout().into_owned();
            }
            a.as_slice_mut().unwrap_or(&mut [])
        }
        match self {
            Layer::Linear(l) => {
                let mut v = vec![standard2(&mut l.weight)];
                if let Some(b) = &mut l.bias {
                    v.push(standard1(b));
                }
                v
            }
            Layer::BatchNorm(bn) => vec![standard1(&mut bn.gamma), standard1(&mut bn.beta)],
            _ => Vec::new(),
        }
    }

    /// Check a loaded layer: finite values, consistent sizes, and rates in
    /// range. `width` is the input width; returns the output width.
    pub(crate) fn check(&self, i: usize, width: usize) -> Result<usize, NnError> {
        let bad = |m: String| Err(NnError::Corrupt(format!("layer {i}: {m}")));
        match self {
            Layer::Linear(l) => {
                if l.inputs() != width {
                    return bad(format!("takes {} inputs, gets {width}", l.inputs()));
                }
                if l.bias.as_ref().is_some_and(|b| b.len() != l.outputs()) {
                    return bad("bias length differs from the outputs".into());
                }
                if !l.weight.iter().all(|v| v.is_finite())
                    || !l.bias.iter().flatten().all(|v| v.is_finite())
                {
                    return bad("non-finite weight".into());
                }
                Ok(l.outputs())
            }
            Layer::BatchNorm(bn) => {
                let n = bn.dim();
                if n != width
                    || bn.beta.len() != n
                    || bn.running_mean.len() != n
                    || bn.running_var.len() != n
                {
                    return bad(format!("batch norm of width {n} on {width} inputs"));
                }
                let all = [&bn.gamma, &bn.beta, &bn.running_mean, &bn.running_var];
                let non_finite = all.iter().any(|a| a.iter().any(|v| !v.is_finite()));
                if non_finite
                    || bn.running_var.iter().any(|&v| v < 0.0)
                    || !(bn.eps > 0.0 && bn.eps.is_finite())
                    || !(0.0..=1.0).contains(&bn.momentum)
                {
                    return bad("invalid batch-norm statistics".into());
                }
                Ok(width)
            }
            Layer::LeakyRelu { slope } if !slope.is_finite() => bad("non-finite slope".into()),
            Layer::Dropout { p } if !(0.0..1.0).contains(p) => {
                bad(format!("dropout rate {p} outside [0, 1)"))
            }
            _ => Ok(width),
        }
    }
}

/// A standard normal draw (Box–Muller, cosine branch; u1 in (0, 1]).
pub fn standard_normal<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A generator seeded from a parent stream (one independent stream per
/// purpose, drawn in a fixed order).
pub fn child_rng(rng: &mut ChaCha8Rng) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(rng.random::<u64>())
}
