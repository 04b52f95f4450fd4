//! Sampling, distance-based outlier detection via one small random
//! subsample (Sugiyama & Borgwardt 2013, "Rapid distance-based outlier
//! detection via sampling", NIPS), with PyOD 3.6.7's behaviour
//! (`pyod.models.sampling.Sampling`).
//!
//! Fit: draw `s` distinct training rows uniformly without replacement
//! (`subset_size`: an integer count, which must not exceed the training
//! rows, or a float fraction giving `floor(fraction · n)` rows; default 20)
//! and keep them as the model. Score: a row's distance to its nearest
//! subsample row (`min` over the `s` pairwise distances; PyOD's
//! `decision_function`). Training scores (`decision_scores_`) are the same
//! function of the training rows, *including* the sampled ones: a sampled
//! row is at distance 0 from itself, so it scores exactly 0 (PyOD does not
//! exclude it, and neither does anml). Higher = more anomalous.
//!
//! Distances: PyOD's default `metric="minkowski"` with scikit-learn's
//! default `p = 2`, i.e. the Euclidean distance (scikit-learn's
//! `DistanceMetric.get_metric` returns `EuclideanDistance` for p = 2 and
//! `ManhattanDistance` for p = 1, and so does anml). Each pairwise distance
//! is summed in feature order as scikit-learn's `DistanceMetric.pairwise`
//! does, so scores agree with PyOD's to rounding (at most 2e-15 relative
//! on the ODDS parity cases). Supported: `"minkowski"` with any finite `p > 0`
//! (PyOD's `metric_params={"p": p}` is anml's flat `p`), `"euclidean"`,
//! `"manhattan"`, `"chebyshev"` and scikit-learn's aliases for them (`"p"`,
//! `"l2"`, `"cityblock"`, `"l1"`, `"infinity"`).
//!
//! Differences from PyOD:
//! * random draws come from ChaCha8 (`seed`, default 0), not numpy's
//!   MT19937 (`random_state`, default None = unseeded), so the subsample
//!   matches in distribution, not row for row; given the same indices
//!   ([`SamplingModel::from_indices`]) scores agree to 1e-10 relative
//!   (tested on ODDS data, `tests/sampling_parity.rs`);
//! * only the four distances above: PyOD's other metrics (cosine,
//!   Mahalanobis, callables, …) and weighted Minkowski (`w`) are refused
//!   with a `ParamError` naming `metric`; `p` with another metric than
//!   Minkowski is refused too (scikit-learn would fail on the keyword);
//! * a fraction giving 0 rows is refused with `BadParams` (PyOD fails in
//!   `np.min` on an empty array); a count above the training rows is refused
//!   as PyOD does (`BadParams`, where PyOD raises `ValueError`).
//!
//! Determinism: the subsample is `rand::seq::index::sample` on a ChaCha8
//! stream seeded with `seed`; each row's score depends on that row and the
//! subsample only, and rows are scored in fixed blocks, so fit and scores
//! are bit-identical for any thread count.

mod model;
mod params;

pub use model::{Distance, SamplingModel};
pub use params::{METRICS, SamplingParams, SubsetSize, SubsetSizeKeyword};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::{ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;

/// The parameters of `sampling`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "subset_size",
        doc: "Rows in the random subsample: an integer count in [1, n] or a float \
              fraction of n in (0, 1] (floor(fraction * n) rows, which must be at least 1); \
              default 20.",
    },
    ParamDoc {
        name: "metric",
        doc: "Distance to the subsample: \"minkowski\" (order p), \"euclidean\", \
              \"manhattan\" or \"chebyshev\" (aliases \"p\", \"l2\", \"cityblock\", \"l1\", \
              \"infinity\"); default \"minkowski\".",
    },
    ParamDoc {
        name: "p",
        doc: "Minkowski order (PyOD's metric_params={\"p\": p}); 1 is Manhattan, 2 \
              Euclidean; a finite number > 0, only with metric \"minkowski\"; default 2.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the subsample draw; default 0; an integer >= 0.",
    },
];

impl DetectorParams for SamplingParams {
    type Model = SamplingModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let n = x.nrows();
        let s = self.subset_rows(n);
        if s == 0 || s > n {
            return Err(DetectorError::CannotFit(format!(
                "subset_size = {} gives {s} subsample row(s) for {n} training rows; \
                 it must give between 1 and {n}",
                self.subset_size
            )));
        }
        let distance = self.distance()?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let idx = index::sample(&mut rng, n, s).into_vec();
        let model = SamplingModel::new(x.ncols(), distance, x.select(Axis(0), &idx))
            .map_err(DetectorError::CannotFit)?;
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
