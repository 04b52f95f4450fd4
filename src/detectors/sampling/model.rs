//! The fitted sampling model: the subsample and the distance; saved form,
//! load-time checks and scoring (the distance to the nearest subsample row).

use crate::detectors::Model;
use crate::detectors::distance::sq_dists_to_rows;
use crate::detectors::rows::score_rows;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// A distance between two rows, each summed in feature order as
/// scikit-learn's `DistanceMetric` does (`EuclideanDistance`,
/// `ManhattanDistance`, `ChebyshevDistance`, `MinkowskiDistance` without
/// weights).
///
/// Saved as `{"metric": "euclidean"}`, …, `{"metric": "minkowski", "p": 3.0}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "metric", rename_all = "lowercase", deny_unknown_fields)]
pub enum Distance {
    /// `sqrt(Σ (x − y)²)`.
    Euclidean,
    /// `Σ |x − y|`.
    Manhattan,
    /// `max |x − y|` (from 0, as `fmax`).
    Chebyshev,
    /// `(Σ |x − y|^p)^(1/p)` for a `p` other than 1 and 2 (see
    /// [`Distance::minkowski`]).
    Minkowski { p: f64 },
}

impl Distance {
    /// scikit-learn's `get_metric("minkowski", p=p)`: the Manhattan distance
    /// for `p = 1`, the Euclidean one for `p = 2` (computed as those, which
    /// rounds differently from the general power formula), else Minkowski.
    pub fn minkowski(p: f64) -> Self {
        if p == 1.0 {
            Distance::Manhattan
        } else if p == 2.0 {
            Distance::Euclidean
        } else {
            Distance::Minkowski { p }
        }
    }

    /// The distance from `q` to the nearest row of the row-major `rows` (`d`
    /// columns, at least one row). Pairwise distances are computed as
    /// scikit-learn's `pairwise` does and the smallest taken (`np.min`); for
    /// the Euclidean distance the square root is taken once, of the smallest
    /// squared sum (the square root is correctly rounded, hence monotone, so
    /// the result is the same bits).
    fn nearest(self, q: &[f64], rows: &[f64], d: usize, scratch: &mut Vec<f64>) -> f64 {
        let k = rows.len() / d;
        match self {
            Distance::Euclidean => {
                scratch.clear();
                scratch.resize(k, 0.0);
                sq_dists_to_rows(q, rows, d, scratch);
                scratch.iter().copied().fold(f64::INFINITY, f64::min).sqrt()
            }
            Distance::Manhattan => rows
                .chunks_exact(d)
                .map(|r| q.iter().zip(r).map(|(a, b)| (a - b).abs()).sum::<f64>())
                .fold(f64::INFINITY, f64::min),
            Distance::Chebyshev => rows
                .chunks_exact(d)
                .map(|r| {
                    q.iter()
                        .zip(r)
                        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
                })
                .fold(f64::INFINITY, f64::min),
            Distance::Minkowski { p } => {
                let inv = 1.0 / p;
                rows.chunks_exact(d)
                    .map(|r| {
                        q.iter()
                            .zip(r)
                            .map(|(a, b)| (a - b).abs().powf(p))
                            .sum::<f64>()
                            .powf(inv)
                    })
                    .fold(f64::INFINITY, f64::min)
            }
        }
    }

    fn check(self) -> Result<(), String> {
        match self {
            Distance::Minkowski { p } if !(p.is_finite() && p > 0.0) => {
                Err(format!("Minkowski order p = {p} must be finite and > 0"))
            }
            _ => Ok(()),
        }
    }
}

/// A fitted `sampling` detector: the subsample (in draw order) and the
/// distance.
///
/// Saved as `{"n_features", "distance": {"metric", ["p"]}, "subset"}`;
/// loading checks the shape (at least one row of `n_features` finite
/// values) and the Minkowski order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "SamplingRepr")]
pub struct SamplingModel {
    n_features: usize,
    distance: Distance,
    subset: Array2<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SamplingRepr {
    n_features: usize,
    distance: Distance,
    subset: Array2<f64>,
}

impl TryFrom<SamplingRepr> for SamplingModel {
    type Error = String;
    fn try_from(r: SamplingRepr) -> Result<Self, String> {
        Self::new(r.n_features, r.distance, r.subset)
    }
}

impl SamplingModel {
    pub(super) fn new(
        n_features: usize,
        distance: Distance,
        subset: Array2<f64>,
    ) -> Result<Self, String> {
        if n_features == 0 {
            return Err("n_features must be at least 1".into());
        }
        if subset.nrows() == 0 || subset.ncols() != n_features {
            return Err(format!(
                "the subset needs at least one row of {n_features} columns, has {} x {}",
                subset.nrows(),
                subset.ncols()
            ));
        }
        if subset.iter().any(|v| !v.is_finite()) {
            return Err("the subset has a non-finite value".into());
        }
        distance.check()?;
        // Subset rows are read as one contiguous slice.
        let subset = subset.as_standard_layout().into_owned();
        Ok(Self {
            n_features,
            distance,
            subset,
        })
    }

    /// Build the model from explicit sampled row indices of `x` (in draw
    /// order) and score `x` (the training scores). For parity tests against
    /// PyOD's own draws; not a stable API.
    #[doc(hidden)]
    pub fn from_indices(
        x: ArrayView2<'_, f64>,
        indices: &[usize],
        distance: Distance,
    ) -> Result<(Self, Array1<f64>), String> {
        if indices.iter().any(|&i| i >= x.nrows()) {
            return Err("an index is out of range".into());
        }
        let model = Self::new(x.ncols(), distance, x.select(Axis(0), indices))?;
        let scores = model.score_samples(x);
        Ok((model, scores))
    }

    /// The subsample, one row per drawn training row, in draw order.
    pub fn subset(&self) -> ArrayView2<'_, f64> {
        self.subset.view()
    }

    pub fn distance(&self) -> Distance {
        self.distance
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }
}

impl Model for SamplingModel {
    /// PyOD's `decision_function`: each row's distance to the nearest
    /// subsample row. Input of the wrong width (which
    /// [`crate::detectors::FittedDetector`] rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let d = self.n_features;
        if x.ncols() != d {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        let rows = self.subset.as_slice().unwrap_or(&[]);
        score_rows(x, |row, scratch| {
            self.distance.nearest(row, rows, d, scratch)
        })
    }
}
