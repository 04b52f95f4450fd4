//! The fitted LOF model: training rows, their k-distances and local
//! reachability densities; its saved form, load-time checks and scoring.

use crate::detectors::neighbors::{Neighbors, Query, kneighbors};
use crate::detectors::{Explanation, Model};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// scikit-learn's guard in the lrd denominator (`1 / (mean + 1e-10)`), which
/// keeps the density finite when more than k rows coincide.
pub const LRD_EPSILON: f64 = 1e-10;

/// A fitted `lof` detector.
///
/// Saved as `{"n_neighbors", "train", "k_distance", "lrd"}`; `n_neighbors`
/// is the effective k (after clipping to `n_train − 1`). Loading checks the
/// shapes, `1 <= k < n_train`, finite rows and positive densities.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "LofRepr")]
pub struct LofModel {
    n_neighbors: usize,
    train: Array2<f64>,
    /// Distance of each training row to its k-th neighbour (itself left out).
    k_distance: Array1<f64>,
    /// Local reachability density of each training row.
    lrd: Array1<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LofRepr {
    n_neighbors: usize,
    train: Array2<f64>,
    k_distance: Array1<f64>,
    lrd: Array1<f64>,
}

impl TryFrom<LofRepr> for LofModel {
    type Error = String;
    fn try_from(r: LofRepr) -> Result<Self, String> {
        let n = r.train.nrows();
        if r.n_neighbors == 0 || r.n_neighbors >= n {
            return Err(format!(
                "n_neighbors = {} must be in 1..{n} for {n} training rows",
                r.n_neighbors
            ));
        }
        if r.k_distance.len() != n || r.lrd.len() != n {
            return Err(format!(
                "k_distance ({}) and lrd ({}) must have one value per training row ({n})",
                r.k_distance.len(),
                r.lrd.len()
            ));
        }
        if r.train
            .iter()
            .chain(r.k_distance.iter())
            .any(|v| !v.is_finite())
            || r.k_distance.iter().any(|&v| v < 0.0)
        {
            return Err("training rows and k-distances must be finite (k-distances >= 0)".into());
        }
        if r.lrd.iter().any(|&v| !(v.is_finite() && v > 0.0)) {
            return Err("local reachability densities must be finite and positive".into());
        }
        Ok(Self {
            n_neighbors: r.n_neighbors,
            train: r.train,
            k_distance: r.k_distance,
            lrd: r.lrd,
        })
    }
}

/// `1 / (mean_j max(d_j, k_distance[n_j]) + 1e-10)`: scikit-learn's
/// `_local_reachability_density` for one row.
fn lrd_of(
    distances: ArrayView1<'_, f64>,
    neighbors: ArrayView1<'_, usize>,
    k_distance: &Array1<f64>,
) -> f64 {
    let k = distances.len() as f64;
    let sum: f64 = distances
        .iter()
        .zip(neighbors.iter())
        .map(|(&d, &j)| d.max(k_distance[j]))
        .sum();
    1.0 / (sum / k + LRD_EPSILON)
}

/// `mean_j lrd[n_j] / own_lrd`: the local outlier factor of one row.
fn lof_of(own_lrd: f64, neighbors: ArrayView1<'_, usize>, lrd: &Array1<f64>) -> f64 {
    let k = neighbors.len() as f64;
    let sum: f64 = neighbors.iter().map(|&j| lrd[j] / own_lrd).sum();
    sum / k
}

impl LofModel {
    /// Fit on `train` with the effective `n_neighbors` (in `1..n_train`):
    /// the model and the training rows' LOF (PyOD's `decision_scores_`,
    /// scikit-learn's `-negative_outlier_factor_`).
    pub(super) fn fit(
        n_neighbors: usize,
        train: Array2<f64>,
    ) -> Result<(Self, Array1<f64>), String> {
        let nb = kneighbors(train.view(), Query::Train, n_neighbors).map_err(|e| e.to_string())?;
        let k_distance: Array1<f64> = nb.distances.column(n_neighbors - 1).to_owned();
        let lrd: Array1<f64> = nb
            .distances
            .rows()
            .into_iter()
            .zip(nb.indices.rows())
            .map(|(d, i)| lrd_of(d, i, &k_distance))
            .collect();
        let model = Self {
            n_neighbors,
            train,
            k_distance,
            lrd,
        };
        let scores = model.factors(&nb);
        Ok((model, scores))
    }

    /// The effective number of neighbours.
    pub fn n_neighbors(&self) -> usize {
        self.n_neighbors
    }

    /// The stored training rows.
    pub fn train(&self) -> ArrayView2<'_, f64> {
        self.train.view()
    }

    /// The training rows' local reachability densities.
    pub fn lrd(&self) -> ArrayView1<'_, f64> {
        self.lrd.view()
    }

    /// The training rows' k-distances.
    pub fn k_distance(&self) -> ArrayView1<'_, f64> {
        self.k_distance.view()
    }

    /// LOF of query rows whose neighbours are `nb`.
    fn factors(&self, nb: &Neighbors) -> Array1<f64> {
        nb.distances
            .rows()
            .into_iter()
            .zip(nb.indices.rows())
            .map(|(d, i)| {
                let own = lrd_of(d, i, &self.k_distance);
                lof_of(own, i, &self.lrd)
            })
            .collect()
    }
}

impl Model for LofModel {
    /// The local outlier factor of each row against the training set
    /// (scikit-learn's `-score_samples` with `novelty=True`, PyOD's
    /// `decision_function`). Input of the wrong width (which
    /// [`crate::detectors::FittedDetector`] rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        match kneighbors(self.train.view(), Query::Rows(x), self.n_neighbors) {
            Ok(nb) => self.factors(&nb),
            Err(_) => Array1::from_elem(x.nrows(), f64::NAN),
        }
    }

    fn explain_row(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        self.explain_neighbours(row)
    }
}
