//! COPOD, copula-based outlier detection (Li, Zhao, Botta, Ionescu & Hu
//! 2020), with PyOD 3.6.7's scoring.
//!
//! Each feature gets left- and right-tail scores `u_l = -ln F_left(x)` and
//! `u_r = -ln F_right(x)` from the empirical CDFs of the training column; the
//! skewness sign of the column picks `u_skew` (see [`super::ecdf`]), and the
//! feature's score is `max(u_skew, (u_l + u_r) / 2)`. A row's score is the
//! sum over features (higher = more anomalous). There are no
//! hyperparameters.
//!
//! Training scores equal PyOD's `decision_scores_`. New rows are scored
//! against the training ECDFs only (an unseen value's tail probability is
//! the fraction of training values at or beyond it, floored at `1/n`; see
//! [`super::ecdf`]), whereas PyOD's `decision_function` refits the ECDFs on
//! train + test (PyOD issue #401), so anml's score of a row never depends on
//! the other rows scored with it. PyOD's optional multi-process path
//! (`n_jobs`) computes the same formulas and is not needed.

use super::ecdf::{Combine, TailModel};
use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

/// `copod` has no parameters of its own (only the common `contamination`).
pub static PARAM_DOCS: &[ParamDoc] = &[];

/// COPOD's (empty) parameter set; unknown names are rejected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CopodParams {}

/// A fitted COPOD: the training ECDFs and skewness signs of every column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopodModel {
    tails: TailModel,
}

impl CopodModel {
    /// Skewness sign (−1, 0 or 1) of each training column.
    pub fn skew_signs(&self) -> &[i8] {
        self.tails.skew_signs()
    }
}

impl Model for CopodModel {
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        self.tails.score(x, Combine::Copod)
    }
}

impl DetectorParams for CopodParams {
    type Model = CopodModel;

    fn validate(&self) -> Result<(), ParamError> {
        Ok(())
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        if x.nrows() == 0 {
            return Err(DetectorError::Empty);
        }
        let model = CopodModel {
            tails: TailModel::fit(x),
        };
        // Every training value is counted by its own ECDF, so these are
        // PyOD's `decision_scores_`.
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
