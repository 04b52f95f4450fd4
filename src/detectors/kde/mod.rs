//! Gaussian kernel density estimation as an outlier score (Latecki, Lazarevic
//! & Pokrajac 2007), with the behaviour of PyOD's `KDE`, which wraps
//! scikit-learn's `KernelDensity(kernel='gaussian')`.
//!
//! With training rows t_1..t_n in d dimensions and bandwidth h, the log
//! density of a row x is
//!
//! `ln p(x) = ln Σ_j exp(−‖x − t_j‖² / 2h²) − (d/2) ln 2π − d ln h − ln n`
//!
//! and the score is `−ln p(x)` (PyOD's `decision_function`; higher = more
//! anomalous). Training scores are the same function on the training rows,
//! each row included in its own density (PyOD's `decision_scores_`).
//!
//! PyOD's defaults: `bandwidth=1.0`, `algorithm='auto'`, `leaf_size=30`,
//! `metric='minkowski'` (p = 2), and scikit-learn's `atol=0, rtol=0`, i.e.
//! the density is meant to be the exact sum. `bandwidth` may also be
//! `"scott"` or `"silverman"`, resolved at fit time with scikit-learn's
//! formulas (`n^(−1/(d+4))`, `(n (d+2)/4)^(−1/(d+4))`).
//!
//! anml computes the sum exactly: squared distances by blocked GEMM (rows
//! whose rounding bound could matter are recomputed with direct differences;
//! see [`KdeModel::log_density`]) and a log-sum-exp per row shifted by the
//! row's largest term (exponentials and sums from `crate::exp_fixed`:
//! vectorised, fixed order, the same bits on every CPU), so nothing
//! underflows: far from the data the log
//! density is a large negative finite number, never `-inf` (it is `-inf`,
//! the score `+inf`, only when every term `−‖x − t_j‖²/2h²` itself overflows,
//! as in scikit-learn).
//!
//! Deliberate differences from PyOD / scikit-learn:
//! * `algorithm`, `leaf_size`, `metric` and `metric_params` are not
//!   parameters: the sum is computed without a tree, with the Euclidean
//!   metric only (PyOD's default).
//! * scikit-learn's tree traversal accumulates lower bounds and bound
//!   "spreads" in log space with `logaddexp`/`logsubexp`; with `rtol=0` it
//!   visits every leaf, but the spread it adds at the end,
//!   `logaddexp(min_bound, spread − ln 2)`, is a cancellation residual of
//!   the order of ε times the largest bound seen (≈ n at the root). For rows
//!   far from every training row that residual dominates the true density
//!   and scikit-learn's log density is too high (checked against an
//!   extended-precision sum in `scripts/gen_density_reference.py`). anml
//!   returns the exact value there, so its scores for such rows are higher
//!   than PyOD's. On the modulo split of `tests/kde_parity.rs` this affects
//!   1 of 150 wbc test rows, 5 of 19,638 shuttle test rows and 101 of 3,040
//!   mnist test rows (mnist test ROC-AUC 0.801540 exact vs 0.801281 PyOD);
//!   no training row, and nothing on cardio, glass or satimage-2.

mod model;
mod params;

pub use model::{KdeModel, MAX_LOG_DENSITY_ERROR};
pub use params::{Bandwidth, KdeParams};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::ArrayView2;

/// The parameters of `kde`.
pub static PARAM_DOCS: &[ParamDoc] = &[ParamDoc {
    name: "bandwidth",
    doc: "Bandwidth h of the Gaussian kernel; default 1.0; a finite number > 0, or \
          \"scott\" (n^(-1/(d+4))) or \"silverman\" ((n (d+2)/4)^(-1/(d+4))), resolved \
          at fit time as scikit-learn does.",
}];

impl DetectorParams for KdeParams {
    type Model = KdeModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<KdeModel>, DetectorError> {
        let h = self.bandwidth.resolve(x.nrows(), x.ncols());
        if !(h.is_finite() && h > 0.0) {
            return Err(DetectorError::CannotFit(format!(
                "bandwidth {} resolved to {h}",
                self.bandwidth
            )));
        }
        let model = KdeModel::new(h, x.to_owned());
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
