//! Local Outlier Factor (Breunig, Kriegel, Ng & Sander 2000) in novelty mode,
//! with the behaviour of PyOD's `LOF`, which wraps scikit-learn's
//! `LocalOutlierFactor(novelty=True)`.
//!
//! With k neighbours (the training rows' own neighbours leave the row itself
//! out; exact duplicates count, at distance 0):
//! * `k_distance(o)` is the distance of training row o to its k-th neighbour;
//! * `reach_dist(p, o) = max(dist(p, o), k_distance(o))`;
//! * `lrd(p) = 1 / (mean_{o ∈ N_k(p)} reach_dist(p, o) + 1e-10)` — the 1e-10
//!   is scikit-learn's, keeping the density finite when more than k rows
//!   coincide;
//! * `LOF(p) = mean_{o ∈ N_k(p)} lrd(o) / lrd(p)`.
//!
//! Test scores are the LOF of new rows against the training set
//! (scikit-learn's `-score_samples`); training scores are the training rows'
//! LOF (`-negative_outlier_factor_`). Higher = more anomalous. As in
//! scikit-learn, a fit on n rows uses `max(1, min(n_neighbors, n − 1))`
//! neighbours, and fitting needs at least two rows.
//!
//! Neighbours come from [`crate::detectors::neighbors`] (exact distances,
//! ties to the lower training index, thread-count independent). The model
//! stores the training rows, their k-distances and their lrd.

mod explain;
mod model;
mod params;

pub use model::{LRD_EPSILON, LofModel};
pub use params::LofParams;

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, ParamError};
use ndarray::ArrayView2;

/// The parameters of `lof`.
pub static PARAM_DOCS: &[ParamDoc] = &[ParamDoc {
    name: "n_neighbors",
    doc: "Number of neighbours k; default 20; an integer in [1, 100000]. A fit on n rows uses \
          max(1, min(k, n - 1)) neighbours, as scikit-learn does; at least two rows \
          are needed.",
}];

impl DetectorParams for LofParams {
    type Model = LofModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<LofModel>, DetectorError> {
        let n = x.nrows();
        super::input::check_min_rows(x, 2)?;
        let k = self.effective_neighbors(n);
        let (model, train_scores) =
            LofModel::fit(k, x.to_owned()).map_err(DetectorError::CannotFit)?;
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
