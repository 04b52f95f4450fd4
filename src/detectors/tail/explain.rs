//! COPOD's and ECOD's explanation: each feature's combined tail score, the
//! per-dimension values PyOD keeps as `self.O` and plots in
//! `explain_outlier`. A row's score is their sum in column order, so the
//! contributions add up to it exactly.

use super::{TailDetectorModel, TailRule};
use crate::detectors::{ExplainMethod, Explanation};
use ndarray::ArrayView1;

impl<R: TailRule> TailDetectorModel<R> {
    /// One additive term per feature.
    pub(super) fn explain_terms(&self, row: ArrayView1<'_, f64>) -> Explanation {
        let terms: Vec<f64> = self.tails.feature_scores(row, R::COMBINE).collect();
        let score = terms.iter().sum();
        Explanation::new(ExplainMethod::Additive, score, terms)
    }
}
