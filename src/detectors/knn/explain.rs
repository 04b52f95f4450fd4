//! The k-NN family's explanation: per feature, the squared difference
//! `(x_j − t_j)²` between the row and the training rows its score is made
//! of, found by the same neighbour search as scoring (all training rows are
//! candidates, so a training row explained again is its own nearest
//! neighbour at distance 0, as when it is scored again).
//!
//! Which neighbours, by method:
//! * `knn` (the k-th distance): the k-th neighbour alone, so the
//!   contributions sum to the squared score;
//! * `avg_knn` (the mean distance): the mean over the k neighbours, so they
//!   sum to the mean *squared* distance (not the score squared);
//! * `med_knn` (the median distance): the middle neighbour for odd k, the
//!   mean over the two middle ones for even k, so they sum to the squared
//!   median (odd k) or the mean of the two middle squared distances;
//! * `lof` (same neighbour search, `lof/explain.rs`): the mean over its k
//!   neighbours, as `avg_knn`.

use super::{KnnModel, Method};
use crate::detectors::neighbors::{Query, kneighbors};
use crate::detectors::{ExplainMethod, Explanation};
use ndarray::{ArrayView1, ArrayView2, Axis};

/// Per feature, `(x_j − t_j)²` averaged over the training rows
/// `neighbours` (in the given order).
pub(crate) fn mean_sq_diffs(
    train: ArrayView2<'_, f64>,
    row: ArrayView1<'_, f64>,
    neighbours: &[usize],
) -> Vec<f64> {
    let m = neighbours.len() as f64;
    (0..row.len())
        .map(|j| {
            neighbours
                .iter()
                .map(|&t| {
                    let d = row[j] - train[[t, j]];
                    d * d
                })
                .sum::<f64>()
                / m
        })
        .collect()
}

impl KnnModel {
    /// The neighbours' per-feature squared differences (`None` only if the
    /// neighbour search refuses the row, which checked input never is).
    pub(super) fn explain_neighbours(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        let k = self.n_neighbors();
        let nb = kneighbors(self.train(), Query::Rows(row.insert_axis(Axis(0))), k).ok()?;
        let indices = nb.indices.row(0);
        let used: &[usize] = match self.method() {
            Method::Largest => &[k - 1],
            Method::Mean => &(0..k).collect::<Vec<_>>(),
            Method::Median if !k.is_multiple_of(2) => &[k / 2],
            Method::Median => &[k / 2 - 1, k / 2],
        };
        let neighbours: Vec<usize> = used.iter().map(|&p| indices[p]).collect();
        let contributions = mean_sq_diffs(self.train(), row, &neighbours);
        let score = self.method().apply(nb.distances.row(0));
        Some(Explanation::new(
            ExplainMethod::KnnSqDiff,
            score,
            contributions,
        ))
    }
}
