//! LOF's explanation: the per-feature squared differences to the row's k
//! nearest training rows, averaged over them — the neighbours its local
//! outlier factor is computed from, found by the same search as scoring.
//! The factor itself (a ratio of reachability densities) does not split
//! over features; these say in which features the row is far from its
//! neighbourhood. They sum to the mean squared distance to the neighbours.

use super::LofModel;
use crate::detectors::knn::explain::mean_sq_diffs;
use crate::detectors::neighbors::{Query, kneighbors};
use crate::detectors::{ExplainMethod, Explanation, Model};
use ndarray::{ArrayView1, Axis};

impl LofModel {
    /// `None` only if the neighbour search refuses the row, which checked
    /// input never is.
    pub(super) fn explain_neighbours(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        let x = row.insert_axis(Axis(0));
        let nb = kneighbors(self.train(), Query::Rows(x), self.n_neighbors()).ok()?;
        let neighbours: Vec<usize> = nb.indices.row(0).to_vec();
        let contributions = mean_sq_diffs(self.train(), row, &neighbours);
        let score = self.score_samples(x)[0];
        Some(Explanation::new(
            ExplainMethod::KnnSqDiff,
            score,
            contributions,
        ))
    }
}
