//! Adam and AdamW with PyTorch's update rules (`torch.optim.Adam` with L2
//! `weight_decay` added to the gradient, as PyOD uses it; `torch.optim.AdamW`
//! with decoupled decay).

use super::NnError;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// Which weight decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// L2 penalty: `g ← g + λ p` before the moments.
    Adam,
    /// Decoupled: `p ← p (1 − lr λ)` before the update.
    AdamW,
}

/// Optimiser settings (torch's defaults: betas 0.9/0.999, eps 1e-8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub kind: OptimizerKind,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl AdamConfig {
    pub fn adam(lr: f64, weight_decay: f64) -> Self {
        Self {
            kind: OptimizerKind::Adam,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
        }
    }

    pub fn adamw(lr: f64, weight_decay: f64) -> Self {
        Self {
            kind: OptimizerKind::AdamW,
            ..Self::adam(lr, weight_decay)
        }
    }
}

/// Adam's state over one list of parameter tensors.
#[derive(Debug, Clone)]
pub struct Adam {
    config: AdamConfig,
    step: u64,
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
}

/// torch's `lerp`: `a + w (b − a)` for `w < 0.5`, else `b − (b − a)(1 − w)`.
#[inline]
fn lerp(a: f64, b: f64, w: f64) -> f64 {
    if w < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

impl Adam {
    /// Zeroed moments for tensors of the given sizes.
    pub fn new(config: AdamConfig, sizes: &[usize]) -> Self {
        Self {
            config,
            step: 0,
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
        }
    }

    /// Moments sized for `params`.
    pub fn for_params(config: AdamConfig, params: &[&[f64]]) -> Self {
        Self::new(config, &params.iter().map(|p| p.len()).collect::<Vec<_>>())
    }

    pub fn config(&self) -> &AdamConfig {
        &self.config
    }

    /// Change the learning rate for the following steps, keeping the
    /// moments and step count (a scheduler writing `param_group['lr']`,
    /// as torch's `StepLR` does between epochs).
    pub fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    /// One update of every tensor (`_single_tensor_adam`'s arithmetic).
    pub fn step(&mut self, params: Vec<&mut [f64]>, grads: &[Array1<f64>]) -> Result<(), NnError> {
        if params.len() != self.m.len()
            || grads.len() != self.m.len()
            || params
                .iter()
                .zip(grads)
                .zip(&self.m)
                .any(|((p, g), m)| p.len() != m.len() || g.len() != m.len())
        {
            return Err(NnError::Shape(
                "optimiser state, parameters and gradients differ in shape".into(),
            ));
        }
        let c = self.config;
        self.step += 1;
        let t = self.step as f64;
        let bias1 = 1.0 - c.beta1.powf(t);
        let bias2_sqrt = (1.0 - c.beta2.powf(t)).sqrt();
        let step_size = c.lr / bias1;
        let w1 = 1.0 - c.beta1;
        let w2 = 1.0 - c.beta2;
        for (((p, g), m), v) in params
            .into_iter()
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = match c.kind {
                    OptimizerKind::Adam if c.weight_decay != 0.0 => g + c.weight_decay * *p,
                    OptimizerKind::AdamW if c.weight_decay != 0.0 => {
                        *p *= 1.0 - c.lr * c.weight_decay;
                        g
                    }
                    _ => g,
                };
                *m = lerp(*m, g, w1);
                *v = *v * c.beta2 + w2 * g * g;
                let denom = v.sqrt() / bias2_sqrt + c.eps;
                *p += -step_size * (*m / denom);
            }
        }
        Ok(())
    }
}
