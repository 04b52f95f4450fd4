//! The fitted iNNE model: per estimator ψ centroids with their squared
//! radii and isolation ratios; saved form, load-time checks and scoring.

use crate::detectors::Model;
use crate::detectors::distance::sq_dists_to_rows;
use crate::detectors::rows::score_rows;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// PyOD's `MIN_FLOAT = np.finfo(float).eps`, added to both radii of the
/// isolation ratio (keeps `0 / 0` out when centroids coincide).
pub const RATIO_EPSILON: f64 = f64::EPSILON;

/// One estimator: ψ hyperspheres.
///
/// `centroids` is ψ × d; `radius[i]` is the *squared* distance from centroid
/// i to its nearest other centroid (PyOD works with squared distances
/// throughout); `ratio[i] = 1 − (radius[nn(i)] + ε) / (radius[i] + ε)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hyperspheres {
    pub centroids: Array2<f64>,
    pub radius: Vec<f64>,
    pub ratio: Vec<f64>,
}

/// `Σ_f (a_f − b_f)²` in feature order.
#[inline]
fn sq_dist(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b.iter()) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// Is `Σ_f (a_f − b_f)² <= bound`? The partial sums only grow, so the loop
/// stops as soon as one exceeds the bound (same answer as the full sum).
#[inline]
fn within(a: &[f64], b: &[f64], bound: f64) -> bool {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        s += t * t;
        if s > bound {
            return false;
        }
    }
    true
}

impl Hyperspheres {
    /// Build the hyperspheres of the centroids `x[indices]` (in that order).
    pub(super) fn build(x: ArrayView2<'_, f64>, indices: &[usize]) -> Self {
        let centroids = x.select(Axis(0), indices);
        let psi = indices.len();
        let mut radius = vec![f64::INFINITY; psi];
        let mut nn = vec![0usize; psi];
        for i in 0..psi {
            for j in 0..psi {
                if i == j {
                    continue;
                }
                let d = sq_dist(centroids.row(i), centroids.row(j));
                // np.argmin: the first minimum.
                if d < radius[i] {
                    radius[i] = d;
                    nn[i] = j;
                }
            }
        }
        let ratio = (0..psi)
            .map(|i| 1.0 - (radius[nn[i]] + RATIO_EPSILON) / (radius[i] + RATIO_EPSILON))
            .collect();
        Self {
            centroids,
            radius,
            ratio,
        }
    }

    /// Isolation score of `row`: the ratio of the smallest covering
    /// hypersphere (`‖row − c‖² <= radius`; first centroid among equal
    /// radii), or 1 when none covers it.
    #[inline]
    fn isolation(&self, row: &[f64], scratch: &mut Vec<f64>) -> f64 {
        // All centroids' distances at once, eight side by side (each the
        // feature-order sum `within` would reach: the same comparisons).
        let Some(flat) = self.centroids.as_slice() else {
            return self.isolation_by_rows(row);
        };
        scratch.clear();
        scratch.resize(self.radius.len(), 0.0);
        sq_dists_to_rows(row, flat, row.len(), scratch);
        self.isolation_from(scratch)
    }

    /// [`Self::isolation`] from the row's squared distances to the
    /// centroids (`dists[i]` to centroid i, each the feature-order sum).
    #[inline]
    fn isolation_from(&self, dists: &[f64]) -> f64 {
        let mut best: Option<usize> = None;
        for (i, (&r, &dist)) in self.radius.iter().zip(dists.iter()).enumerate() {
            if best.is_some_and(|b| self.radius[b] <= r) {
                continue;
            }
            if dist <= r {
                best = Some(i);
            }
        }
        best.map_or(1.0, |b| self.ratio[b])
    }

    /// [`Self::isolation`] for centroids not stored contiguously.
    fn isolation_by_rows(&self, row: &[f64]) -> f64 {
        let mut best: Option<usize> = None;
        for (i, c) in self.centroids.rows().into_iter().enumerate() {
            let r = self.radius[i];
            if best.is_some_and(|b| self.radius[b] <= r) {
                continue;
            }
            let c = c.as_slice().unwrap_or(&[]);
            if within(row, c, r) {
                best = Some(i);
            }
        }
        best.map_or(1.0, |b| self.ratio[b])
    }

    fn check(&self, i: usize, n_features: usize) -> Result<(), String> {
        let psi = self.centroids.nrows();
        if psi < 2 || self.centroids.ncols() != n_features {
            return Err(format!(
                "estimator {i}: needs at least 2 centroids of {n_features} columns"
            ));
        }
        if self.radius.len() != psi || self.ratio.len() != psi {
            return Err(format!("estimator {i}: one radius and ratio per centroid"));
        }
        if self.centroids.iter().any(|v| !v.is_finite())
            || self.radius.iter().any(|&r| !(r.is_finite() && r >= 0.0))
            || self.ratio.iter().any(|r| !r.is_finite())
        {
            return Err(format!(
                "estimator {i}: centroids, radii (>= 0) and ratios must be finite"
            ));
        }
        Ok(())
    }
}

/// A fitted `inne` detector.
///
/// Saved as `{"n_features", "estimators": [{"centroids", "radius",
/// "ratio"}, ...]}`; loading checks shapes and finiteness.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "InneRepr")]
pub struct InneModel {
    n_features: usize,
    estimators: Vec<Hyperspheres>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InneRepr {
    n_features: usize,
    estimators: Vec<Hyperspheres>,
}

impl TryFrom<InneRepr> for InneModel {
    type Error = String;
    fn try_from(r: InneRepr) -> Result<Self, String> {
        Self::new(r.n_features, r.estimators)
    }
}

impl InneModel {
    pub(super) fn new(n_features: usize, estimators: Vec<Hyperspheres>) -> Result<Self, String> {
        if n_features == 0 {
            return Err("n_features must be at least 1".into());
        }
        if estimators.is_empty() {
            return Err("the ensemble has no estimators".into());
        }
        for (i, e) in estimators.iter().enumerate() {
            e.check(i, n_features)?;
        }
        // Centroid rows are read as contiguous slices.
        let estimators = estimators
            .into_iter()
            .map(|mut e| {
                e.centroids = e.centroids.as_standard_layout().into_owned();
                e
            })
            .collect();
        Ok(Self {
            n_features,
            estimators,
        })
    }

    /// Build the model from explicit sampled row indices of `x` (one list
    /// per estimator, in draw order) and score `x`. For parity tests against
    /// PyOD's own draws; not a stable API.
    #[doc(hidden)]
    pub fn from_indices(
        x: ArrayView2<'_, f64>,
        indices: &[Vec<usize>],
    ) -> Result<(Self, Array1<f64>), String> {
        if indices.iter().flatten().any(|&i| i >= x.nrows()) {
            return Err("an index is out of range".into());
        }
        let estimators = indices
            .iter()
            .map(|idx| Hyperspheres::build(x, idx))
            .collect();
        let model = Self::new(x.ncols(), estimators)?;
        let scores = model.score_samples(x);
        Ok((model, scores))
    }

    /// The estimators' hyperspheres.
    pub fn estimators(&self) -> &[Hyperspheres] {
        &self.estimators
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Every estimator's centroids, one after another, row-major: the rows
    /// the GPU measures each input row against (`centroid_count` of them).
    pub fn centroid_rows(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for e in &self.estimators {
            out.extend(e.centroids.iter());
        }
        out
    }

    pub fn centroid_count(&self) -> usize {
        self.estimators.iter().map(|e| e.radius.len()).sum()
    }

    /// Scores from each row's squared distances to [`Self::centroid_rows`]
    /// (row-major, `centroid_count` per row, each the feature-order sum
    /// `sq_dists_to_rows` forms): what the GPU path finishes on the CPU,
    /// with the same comparisons and the same estimator-order mean as
    /// [`Model::score_samples`], so the same bits.
    pub fn scores_from_sq_dists(&self, dists: &[f64]) -> Vec<f64> {
        use rayon::prelude::*;
        let per_row = self.centroid_count().max(1);
        let t = self.estimators.len() as f64;
        dists
            .par_chunks(per_row)
            .map(|row| {
                let mut acc = 0.0;
                let mut start = 0;
                for e in &self.estimators {
                    let end = start + e.radius.len();
                    acc += e.isolation_from(&row[start..end]);
                    start = end;
                }
                acc / t
            })
            .collect()
    }

    /// The GPU path: distances from `kernels/sqdist_topk.cu`'s exact
    /// kernel in row chunks, finished by [`Self::scores_from_sq_dists`].
    #[cfg(feature = "cuda")]
    fn gpu_scores(
        &self,
        gpu: &crate::gpu::Gpu,
        x: ArrayView2<'_, f64>,
    ) -> Result<Array1<f64>, crate::gpu::GpuError> {
        use crate::gpu::GpuError;
        let total = self.centroid_count();
        if x.nrows().saturating_mul(total) < GPU_MIN_PAIRS {
            return Err(GpuError::NotApplicable(format!(
                "{} rows × {total} centroids: fewer than {GPU_MIN_PAIRS} pairs",
                x.nrows()
            )));
        }
        let x = x.as_standard_layout();
        let data = x
            .as_slice()
            .ok_or_else(|| GpuError::NotApplicable("rows not contiguous".into()))?;
        let centroids = self.centroid_rows();
        let d = self.n_features;
        // At most 2^25 distances (256 MiB) per call.
        let rows_per_call = ((1usize << 25) / total.max(1)).max(1);
        let mut out = Vec::with_capacity(x.nrows());
        for chunk in data.chunks(rows_per_call * d) {
            let dists = crate::gpu::neighbors::exact_sq_dists(gpu, chunk, &centroids, d)?;
            out.extend(self.scores_from_sq_dists(&dists));
        }
        Ok(Array1::from(out))
    }
}

/// Below this many (row, centroid) pairs the CPU is faster than a GPU
/// round trip.
#[cfg(feature = "cuda")]
const GPU_MIN_PAIRS: usize = 1 << 22;

impl Model for InneModel {
    /// PyOD's `decision_function`: the mean over estimators (summed in
    /// estimator order) of each row's isolation score. Input of the wrong
    /// width (which [`crate::detectors::FittedDetector`] rejects first)
    /// scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        if x.ncols() != self.n_features {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        #[cfg(feature = "cuda")]
        if let Some(gpu) = crate::gpu::active() {
            match self.gpu_scores(&gpu, x) {
                Ok(scores) => return scores,
                Err(e) => crate::gpu::gpu_failed_notice("inne", &e),
            }
        }
        let t = self.estimators.len() as f64;
        score_rows(x, |row, scratch| {
            let mut acc = 0.0;
            for e in &self.estimators {
                acc += e.isolation(row, scratch);
            }
            acc / t
        })
    }
}
