//! iNNE, isolation using nearest-neighbour ensembles (Bandaragoda, Ting,
//! Albrecht, Liu, Zhu & Wells 2018), with PyOD 3.6.7's behaviour
//! (`pyod.models.inne.INNE`).
//!
//! Fit: each of `n_estimators` estimators samples ψ training rows without
//! replacement as centroids (`max_samples`: `"auto"` = `min(8, n)`, an
//! integer capped at n, or `int(fraction · n)`). Centroid i's hypersphere
//! has radius `τ(i)` = the squared Euclidean distance to its nearest other
//! centroid `nn(i)` (the first one among ties), and isolation ratio
//! `1 − (τ(nn(i)) + ε) / (τ(i) + ε)` with `ε` = machine epsilon. PyOD (and
//! so anml) uses *squared* distances for the radii and the ratio; the paper
//! uses plain distances, which gives different ratios (not a different
//! covering).
//!
//! Score: in each estimator, a row's isolation score is the ratio of the
//! smallest hypersphere covering it (`‖x − c‖² <= τ`, the first centroid in
//! draw order among equal radii, as `np.nanargmin`), or 1 when no
//! hypersphere covers it. The anomaly score is the mean over estimators
//! (PyOD's `decision_function`, which negates `_score_samples` twice).
//! Training scores (`decision_scores_`) are the same function of the
//! training rows. Scores lie in [0, 1]; higher = more anomalous.
//!
//! Differences from PyOD:
//! * random draws come from ChaCha8 (`seed`), not numpy's MT19937, so the
//!   sampled centroids match in distribution, not bit for bit; given the same
//!   indices (`InneModel::from_indices`) scores agree to rounding (tested on
//!   ODDS data);
//! * squared distances are summed directly, `Σ_f (x_f − c_f)²` in feature
//!   order (PyOD's `euclidean_distances` uses `‖x‖² − 2x·c + ‖c‖²`, which
//!   rounds differently and is not exactly 0 for a row equal to a
//!   centroid). Only a row lying exactly on a sphere's boundary (or a
//!   duplicate of a centroid whose radius is 0) can be covered differently;
//! * ψ must be at least 2: PyOD accepts ψ = 1 (or a fraction giving 0) and
//!   produces NaN scores or fails; anml refuses with `BadParams` (or, for an
//!   integer below 2, a `ParamError`). `n_estimators` is capped at 10^6.
//!
//! Determinism: one `u64` seed per estimator is drawn up front from a
//! ChaCha8 stream seeded with `seed`; estimators are built in parallel and
//! collected in order, and each row's isolation scores are summed in
//! estimator order, so fit and scores are bit-identical for any thread
//! count.

mod model;
mod params;

pub use model::{Hyperspheres, InneModel, RATIO_EPSILON};
pub use params::{InneParams, MAX_ESTIMATORS};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use model::Hyperspheres as Spheres;
use ndarray::ArrayView2;
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The parameters of `inne`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_estimators",
        doc: "Number of sets of hyperspheres; default 200; an integer in [1, 1000000].",
    },
    ParamDoc {
        name: "max_samples",
        doc: "Centroids per set (psi): \"auto\" = min(8, n), an integer count (capped \
              at n), or a float fraction of n in (0, 1] (floor(fraction * n)); default \
              \"auto\". psi must come out at least 2.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the ensemble; every estimator's seed is derived from it, so \
              results do not depend on the thread count; default 0; an integer >= 0.",
    },
];

impl DetectorParams for InneParams {
    type Model = InneModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let (n, d) = x.dim();
        let psi = self.psi(n);
        if psi < 2 {
            return Err(DetectorError::CannotFit(format!(
                "max_samples = {} gives {psi} centroid(s) per estimator for {n} training \
                 rows; at least 2 are needed",
                self.max_samples
            )));
        }
        if d == 0 {
            return Err(DetectorError::CannotFit("needs at least one column".into()));
        }
        let x = x.as_standard_layout();
        let mut seeder = ChaCha8Rng::seed_from_u64(self.seed);
        let seeds: Vec<u64> = (0..self.n_estimators).map(|_| seeder.random()).collect();
        let estimators: Vec<Spheres> = seeds
            .par_iter()
            .map(|&s| {
                let mut rng = ChaCha8Rng::seed_from_u64(s);
                let idx = index::sample(&mut rng, n, psi).into_vec();
                Spheres::build(x.view(), &idx)
            })
            .collect();
        let model = InneModel::new(d, estimators).map_err(DetectorError::CannotFit)?;
        let train_scores = model.score_samples(x.view());
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
