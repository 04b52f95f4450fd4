//! HBOS's explanation: the score is already a sum over features, so each
//! feature's contribution is its own term, `−log2(density + alpha)` of the
//! bin its value falls in (PyOD's per-feature `outlier_scores[j, i]`,
//! negated as `decision_function` negates their sum). The terms are added in
//! column order, as scoring adds them, so their sum is the score exactly.

use super::HbosModel;
use crate::detectors::{ExplainMethod, Explanation, Model};
use ndarray::{ArrayView1, Axis};

impl HbosModel {
    /// One additive term per feature.
    pub(super) fn explain_terms(&self, row: ArrayView1<'_, f64>) -> Explanation {
        let tables = self.tables();
        let terms = row
            .iter()
            .zip(&tables)
            .map(|(&v, t)| -self.feature_score(t, v))
            .collect();
        let score = self.score_samples(row.insert_axis(Axis(0)))[0];
        Explanation::new(ExplainMethod::Additive, score, terms)
    }
}
