//! The fitted USAD model: the input scaling, the encoder and both decoders,
//! the score weights and the training history; saved form, load-time checks
//! and scoring.

use super::params::Scaling;
use crate::detectors::Model;
use crate::nn::{History, Mlp, row_squared_error};
use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use serde::{Deserialize, Serialize};

/// The per-column affine map `(x − shift) / divisor` the networks see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaler {
    pub kind: Scaling,
    pub shift: Vec<f64>,
    pub divisor: Vec<f64>,
}

impl Scaler {
    /// Fitted on the training rows `x` (n ≥ 1). A column whose range (or
    /// std) is 0 keeps divisor 1.
    pub fn fit(kind: Scaling, x: ArrayView2<'_, f64>) -> Self {
        let d = x.ncols();
        let (shift, divisor) = match kind {
            Scaling::None => (vec![0.0; d], vec![1.0; d]),
            Scaling::Minmax => x
                .axis_iter(Axis(1))
                .map(|c| {
                    let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let range = hi - lo;
                    (lo, if range > 0.0 { range } else { 1.0 })
                })
                .unzip(),
            Scaling::Zscore => x
                .axis_iter(Axis(1))
                .map(|c| {
                    let n = c.len() as f64;
                    let mean = c.sum() / n;
                    let var = c.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                    let std = var.sqrt();
                    (mean, if std > 0.0 { std } else { 1.0 })
                })
                .unzip(),
        };
        Self {
            kind,
            shift,
            divisor,
        }
    }

    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = x.to_owned();
        if self.kind == Scaling::None {
            return out;
        }
        for mut row in out.rows_mut() {
            Zip::from(&mut row)
                .and(&self.shift[..])
                .and(&self.divisor[..])
                .for_each(|v, &s, &q| *v = (*v - s) / q);
        }
        out
    }
}

/// The three networks: encoder E, decoders D1 and D2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Networks {
    pub encoder: Mlp,
    pub decoder1: Mlp,
    pub decoder2: Mlp,
}

impl Networks {
    /// Eval-mode `D1(E(x))` and `D2(E(D1(E(x))))`, row-blocked
    /// ([`Mlp::predict`]).
    pub fn reconstruct(&self, x: ArrayView2<'_, f64>) -> (Array2<f64>, Array2<f64>) {
        let w1 = self.decoder1.predict(self.encoder.predict(x).view());
        let w3 = self
            .decoder2
            .predict(self.encoder.predict(w1.view()).view());
        (w1, w3)
    }

    /// `D2(E(x))` (autoencoder 2 alone).
    pub fn reconstruct2(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        self.decoder2.predict(self.encoder.predict(x).view())
    }

    /// Check loaded networks against `d` input columns.
    pub fn check(&self, d: usize) -> Result<(), String> {
        self.encoder.check(d).map_err(|e| format!("encoder: {e}"))?;
        let z = self.encoder.outputs();
        for (name, net) in [("decoder1", &self.decoder1), ("decoder2", &self.decoder2)] {
            net.check(z).map_err(|e| format!("{name}: {e}"))?;
            if net.outputs() != d {
                return Err(format!(
                    "{name} has {} outputs for {d} input columns",
                    net.outputs()
                ));
            }
        }
        Ok(())
    }
}

/// A fitted USAD detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UsadRepr")]
pub struct UsadModel {
    scaler: Scaler,
    networks: Networks,
    alpha: f64,
    beta: f64,
    history: History,
}

/// The saved form, checked by `TryFrom` when a model is loaded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsadRepr {
    scaler: Scaler,
    networks: Networks,
    alpha: f64,
    beta: f64,
    history: History,
}

impl TryFrom<UsadRepr> for UsadModel {
    type Error = String;

    fn try_from(r: UsadRepr) -> Result<Self, String> {
        UsadModel::new(r.scaler, r.networks, r.alpha, r.beta, r.history)
    }
}

impl UsadModel {
    /// A model from its parts, checked: the scaler's columns match the
    /// encoder's inputs (finite shifts, positive finite divisors), the
    /// networks fit together and the weights are valid score weights.
    pub fn new(
        scaler: Scaler,
        networks: Networks,
        alpha: f64,
        beta: f64,
        history: History,
    ) -> Result<Self, String> {
        let d = scaler.shift.len();
        if d == 0 || scaler.divisor.len() != d {
            return Err(format!(
                "scaler has {} shifts and {} divisors",
                d,
                scaler.divisor.len()
            ));
        }
        if !scaler.shift.iter().all(|v| v.is_finite())
            || !scaler.divisor.iter().all(|v| v.is_finite() && *v > 0.0)
        {
            return Err("scaler has a non-finite shift or a divisor <= 0".into());
        }
        networks.check(d)?;
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        if !(unit(alpha) && unit(beta) && alpha + beta > 0.0) {
            return Err(format!(
                "score weights alpha = {alpha}, beta = {beta} must lie in [0, 1], not both 0"
            ));
        }
        Ok(Self {
            scaler,
            networks,
            alpha,
            beta,
            history,
        })
    }

    pub fn scaler(&self) -> &Scaler {
        &self.scaler
    }

    pub fn networks(&self) -> &Networks {
        &self.networks
    }
}

/// `alpha · mean_j (x − w1)² + beta · mean_j (x − w3)²` per row.
pub(super) fn weighted_errors(
    x: ArrayView2<'_, f64>,
    w1: ArrayView2<'_, f64>,
    w3: ArrayView2<'_, f64>,
    alpha: f64,
    beta: f64,
) -> Array1<f64> {
    let d = x.ncols().max(1) as f64;
    let e1 = row_squared_error(x, w1);
    let e3 = row_squared_error(x, w3);
    Zip::from(&e1)
        .and(&e3)
        .map_collect(|a, b| alpha * (a / d) + beta * (b / d))
}

impl Model for UsadModel {
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let xs = self.scaler.transform(x);
        let (w1, w3) = self.networks.reconstruct(xs.view());
        weighted_errors(xs.view(), w1.view(), w3.view(), self.alpha, self.beta)
    }

    fn history(&self) -> Option<&History> {
        Some(&self.history)
    }
}
