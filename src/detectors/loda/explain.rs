//! LODA's explanation: a row's score is a sum over projections,
//! `Σ_i t_i` with `t_i = (1/c) · (−ln p_i) / c` (see the module doc), and
//! each projection only sees its own few columns. Projection i's term is
//! shared among its columns in proportion to `|w_j · x_j|`, how much each
//! moved the projected value `Σ_j w_j x_j` (equally when every product is
//! 0); a column's contribution is the sum of its shares over the
//! projections that use it.
//!
//! Exactness: the shares of one projection sum to 1, so summing the
//! contributions over all columns gives `Σ_i t_i`, the score; only the
//! order of the floating-point additions differs (tested to 1e-12 on every
//! row of ODDS data).

use super::LodaModel;
use crate::detectors::{ExplainMethod, Explanation};
use ndarray::ArrayView1;

impl LodaModel {
    /// Each projection's term distributed to its columns.
    pub(super) fn explain_terms(&self, row: ArrayView1<'_, f64>) -> Explanation {
        let cuts = self.cuts();
        let c = cuts.len() as f64;
        let w = 1.0 / c;
        let mut contributions = vec![0.0; self.n_features()];
        for cut in cuts {
            let term = w * cut.neg_log_prob(cut.project(row)) / c;
            let moved: Vec<f64> = cut
                .features
                .iter()
                .zip(&cut.weights)
                .map(|(&f, &wj)| (wj * row[f]).abs())
                .collect();
            let total: f64 = moved.iter().sum();
            let m = cut.features.len() as f64;
            for (&f, &a) in cut.features.iter().zip(&moved) {
                let share = if total > 0.0 && total.is_finite() {
                    a / total
                } else {
                    1.0 / m
                };
                contributions[f] += term * share;
            }
        }
        Explanation::new(ExplainMethod::Additive, self.score_row(row), contributions)
    }
}
