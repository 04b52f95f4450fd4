//! The fitted k-NN model: the training rows, the aggregation and k; its saved
//! form, load-time checks and scoring.

use super::Method;
use crate::detectors::neighbors::{Neighbors, Query, kneighbors};
use crate::detectors::{Explanation, Model};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted `knn` / `avg_knn` / `med_knn` detector.
///
/// Saved as `{"method", "n_neighbors", "train"}` (`train` in ndarray's serde
/// form); loading checks that k is in `1..n_train` and the rows are finite.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "KnnRepr")]
pub struct KnnModel {
    method: Method,
    n_neighbors: usize,
    train: Array2<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KnnRepr {
    method: Method,
    n_neighbors: usize,
    train: Array2<f64>,
}

impl TryFrom<KnnRepr> for KnnModel {
    type Error = String;
    fn try_from(r: KnnRepr) -> Result<Self, String> {
        Self::new(r.method, r.n_neighbors, r.train)
    }
}

impl KnnModel {
    /// Check and build: `1 <= n_neighbors < n_train`, finite rows.
    pub(super) fn new(
        method: Method,
        n_neighbors: usize,
        train: Array2<f64>,
    ) -> Result<Self, String> {
        if n_neighbors == 0 {
            return Err("n_neighbors must be at least 1".into());
        }
        if n_neighbors >= train.nrows() {
            return Err(format!(
                "n_neighbors = {n_neighbors} needs more training rows than the {} stored",
                train.nrows()
            ));
        }
        if train.iter().any(|v| !v.is_finite()) {
            return Err("the training rows hold a non-finite value".into());
        }
        Ok(Self {
            method,
            n_neighbors,
            train,
        })
    }

    pub fn method(&self) -> Method {
        self.method
    }

    pub fn n_neighbors(&self) -> usize {
        self.n_neighbors
    }

    /// The stored training rows.
    pub fn train(&self) -> ArrayView2<'_, f64> {
        self.train.view()
    }

    /// Scores of the training rows, each leaving itself out (PyOD's
    /// `decision_scores_`).
    pub(super) fn train_scores(&self) -> Result<Array1<f64>, String> {
        let nb = kneighbors(self.train.view(), Query::Train, self.n_neighbors)
            .map_err(|e| e.to_string())?;
        Ok(self.aggregate(&nb))
    }

    fn aggregate(&self, nb: &Neighbors) -> Array1<f64> {
        nb.distances
            .rows()
            .into_iter()
            .map(|row| self.method.apply(row))
            .collect()
    }
}

impl Method {
    /// One score from a row of k ascending distances (numpy's rules: the
    /// mean is the sum over k; an even-k median averages the two middle
    /// values).
    pub fn apply(self, sorted: ArrayView1<'_, f64>) -> f64 {
        let k = sorted.len();
        if k == 0 {
            return f64::NAN;
        }
        match self {
            Method::Largest => sorted[k - 1],
            Method::Mean => sorted.iter().sum::<f64>() / k as f64,
            Method::Median => {
                if k % 2 == 1 {
                    sorted[k / 2]
                } else {
                    (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0
                }
            }
        }
    }
}

impl Model for KnnModel {
    /// The aggregated distance of each row to its k nearest training rows
    /// (PyOD's `decision_function`). Input of the wrong width (which
    /// [`crate::detectors::FittedDetector`] rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        match kneighbors(self.train.view(), Query::Rows(x), self.n_neighbors) {
            Ok(nb) => self.aggregate(&nb),
            Err(_) => Array1::from_elem(x.nrows(), f64::NAN),
        }
    }

    fn explain_row(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        self.explain_neighbours(row)
    }
}
