//! ECOD, unsupervised outlier detection using empirical cumulative
//! distribution functions (Li, Zhao, Hu, Botta, Ionescu & Chen 2022, IEEE
//! TKDE), with PyOD 3.6.7's scoring.
//!
//! Each feature gets left- and right-tail scores `u_l = -ln F_left(x)` and
//! `u_r = -ln F_right(x)` from the empirical CDFs of the training column; the
//! skewness sign of the column picks `u_skew` (see [`super::ecdf`]), and the
//! feature's score is `max(u_skew, u_l, u_r)`. A row's score is the sum over
//! features (higher = more anomalous). There are no hyperparameters.
//!
//! Training scores equal PyOD's `decision_scores_`. New rows are scored
//! against the training ECDFs only (an unseen value's tail probability is
//! the fraction of training values at or beyond it, floored at `1/n`; see
//! [`super::ecdf`]), whereas PyOD's `decision_function` refits the ECDFs on
//! train + test (PyOD issue #401), so anml's score of a row never depends on
//! the other rows scored with it. PyOD's optional multi-process path
//! (`n_jobs`) computes the same formulas and is not needed.

use super::ecdf::Combine;
use super::registry::ParamDoc;
use super::tail::{TailDetectorModel, TailParams, TailRule};

/// `ecod` has no parameters of its own (only the common `contamination`).
pub static PARAM_DOCS: &[ParamDoc] = &[];

/// ECOD's combination rule, as a type.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ecod;

impl TailRule for Ecod {
    const COMBINE: Combine = Combine::Ecod;
}

/// ECOD's (empty) parameter set; unknown names are rejected.
pub type EcodParams = TailParams<Ecod>;

/// A fitted ECOD: the training ECDFs and skewness signs of every column.
pub type EcodModel = TailDetectorModel<Ecod>;
