//! The fitted Gaussian mixture (weights, means, Cholesky factors of the
//! precisions), its saved form, load-time checks and the per-component log
//! probabilities shared by scoring and the EM E-step.

use crate::detectors::Model;
use ndarray::{Array1, Array2, Array3, ArrayView2, Axis, CowArray, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Rows per block of the E-step / scoring (fixed, so results do not depend
/// on the thread count).
const BLOCK_ROWS: usize = 512;

/// A fitted `gmm` detector.
///
/// Saved as `{"weights" (k), "means" (k × d), "precisions_cholesky"
/// (k × d × d, upper triangular: scikit-learn's `precisions_cholesky_`),
/// "converged", "n_iter", "lower_bound"}`. Loading checks the shapes, finite
/// values, positive weights and a positive diagonal of every factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "GmmRepr")]
pub struct GmmModel {
    weights: Array1<f64>,
    means: Array2<f64>,
    precisions_cholesky: Array3<f64>,
    /// Whether the winning restart met `tol` within `max_iter`.
    converged: bool,
    /// EM iterations of the winning restart.
    n_iter: usize,
    /// Mean log likelihood of the training rows at the last EM iteration.
    lower_bound: f64,
    /// `ln w_k + ln det U_k − (d/2) ln 2π`, per component.
    #[serde(skip)]
    log_offset: Array1<f64>,
    /// `μ_k U_k`, per component (k × d).
    #[serde(skip)]
    mean_proj: Array2<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GmmRepr {
    weights: Array1<f64>,
    means: Array2<f64>,
    precisions_cholesky: Array3<f64>,
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
}

impl TryFrom<GmmRepr> for GmmModel {
    type Error = String;
    fn try_from(r: GmmRepr) -> Result<Self, String> {
        let k = r.weights.len();
        let d = r.means.ncols();
        if k == 0 || d == 0 {
            return Err("a mixture needs at least one component and one column".into());
        }
        if r.means.nrows() != k || r.precisions_cholesky.dim() != (k, d, d) {
            return Err(format!(
                "means must be {k} × {d} and precisions_cholesky {k} × {d} × {d}"
            ));
        }
        if r.weights.iter().any(|&w| !(w.is_finite() && w > 0.0)) {
            return Err("weights must be finite and > 0".into());
        }
        if r.means
            .iter()
            .chain(r.precisions_cholesky.iter())
            .any(|v| !v.is_finite())
        {
            return Err("means and precision factors must be finite".into());
        }
        for u in r.precisions_cholesky.outer_iter() {
            if u.diag().iter().any(|&v| v <= 0.0) {
                return Err("every precision factor needs a positive diagonal".into());
            }
        }
        Ok(Self::new(
            r.weights,
            r.means,
            r.precisions_cholesky,
            r.converged,
            r.n_iter,
            r.lower_bound,
        ))
    }
}

impl GmmModel {
    pub(super) fn new(
        weights: Array1<f64>,
        means: Array2<f64>,
        precisions_cholesky: Array3<f64>,
        converged: bool,
        n_iter: usize,
        lower_bound: f64,
    ) -> Self {
        let d = means.ncols();
        let half_log_2pi = 0.5 * d as f64 * (2.0 * PI).ln();
        let log_offset = weights
            .iter()
            .zip(precisions_cholesky.outer_iter())
            .map(|(&w, u)| {
                let log_det: f64 = u.diag().iter().map(|v| v.ln()).sum();
                w.ln() + log_det - half_log_2pi
            })
            .collect();
        let mut mean_proj = Array2::zeros(means.dim());
        for ((mu, u), mut out) in means
            .outer_iter()
            .zip(precisions_cholesky.outer_iter())
            .zip(mean_proj.outer_iter_mut())
        {
            out.assign(&mu.dot(&u));
        }
        Self {
            weights,
            means,
            precisions_cholesky,
            converged,
            n_iter,
            lower_bound,
            log_offset,
            mean_proj,
        }
    }

    /// Mixture weights (sum 1).
    pub fn weights(&self) -> &Array1<f64> {
        &self.weights
    }

    /// Component means, k × d.
    pub fn means(&self) -> &Array2<f64> {
        &self.means
    }

    /// Upper-triangular factors U_k with `U_k U_kᵀ` = precision matrix of
    /// component k (scikit-learn's `precisions_cholesky_`).
    pub fn precisions_cholesky(&self) -> &Array3<f64> {
        &self.precisions_cholesky
    }

    /// The covariance matrices `(U_k U_kᵀ)⁻¹` are not stored; this gives the
    /// precisions `U_k U_kᵀ` (scikit-learn's `precisions_`).
    pub fn precisions(&self) -> Array3<f64> {
        let mut out = Array3::zeros(self.precisions_cholesky.dim());
        for (u, mut p) in self
            .precisions_cholesky
            .outer_iter()
            .zip(out.outer_iter_mut())
        {
            p.assign(&u.dot(&u.t()));
        }
        out
    }

    /// Whether the winning restart converged within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// EM iterations of the winning restart.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The winning restart's final lower bound (mean training log likelihood
    /// as of the last E-step).
    pub fn lower_bound(&self) -> f64 {
        self.lower_bound
    }

    /// `ln w_k + ln N(x | μ_k, Σ_k)` for every row and component (n × k),
    /// scikit-learn's `_estimate_weighted_log_prob`:
    /// `−½ (d ln 2π + ‖x U_k − μ_k U_k‖²) + ln det U_k + ln w_k`.
    /// Rows go in fixed blocks of [`BLOCK_ROWS`], in parallel; each row's
    /// values depend only on that row.
    pub fn weighted_log_prob(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        crate::blas::single_threaded();
        let k = self.weights.len();
        let n = x.nrows();
        let x = if x.is_standard_layout() {
            CowArray::from(x)
        } else {
            CowArray::from(x.as_standard_layout().into_owned())
        };
        let mut out = Array2::<f64>::zeros((n, k));
        out.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS)
            .into_par_iter()
            .enumerate()
            .for_each(|(b, mut block)| {
                let first = b * BLOCK_ROWS;
                let xb = x.slice(s![first..first + block.nrows(), ..]);
                for (c, u) in self.precisions_cholesky.outer_iter().enumerate() {
                    let y = xb.dot(&u);
                    let mp = self.mean_proj.row(c);
                    for (o, y_row) in block.column_mut(c).iter_mut().zip(y.outer_iter()) {
                        let sq = y_row
                            .iter()
                            .zip(mp)
                            .fold(0.0, |acc, (&a, &m)| acc + (a - m) * (a - m));
                        *o = -0.5 * sq + self.log_offset[c];
                    }
                }
            });
        out
    }

    /// Log likelihood of every row under the mixture (scikit-learn's
    /// `score_samples`): a log-sum-exp over the components.
    pub fn log_likelihood(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        if x.ncols() != self.means.ncols() {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        let wlp = self.weighted_log_prob(x);
        wlp.outer_iter()
            .map(|r| match r.as_slice() {
                Some(v) => log_sum_exp(v),
                None => log_sum_exp(&r.to_vec()),
            })
            .collect()
    }
}

/// `ln Σ exp(a_j)`, shifted by the maximum; `-inf` when every term is `-inf`
/// (scikit-learn's `logsumexp`, which also returns `-inf` then).
pub(super) fn log_sum_exp(a: &[f64]) -> f64 {
    let m = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    let sum: f64 = a.iter().map(|&v| (v - m).exp()).sum();
    m + sum.ln()
}

impl Model for GmmModel {
    /// Minus the log likelihood of each row (PyOD's `decision_function`):
    /// higher = more anomalous. Input of the wrong width (which
    /// [`crate::detectors::FittedDetector`] rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        -self.log_likelihood(x)
    }
}
