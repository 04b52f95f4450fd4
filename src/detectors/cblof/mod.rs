//! CBLOF, the cluster-based local outlier factor (He, Xu & Deng 2003), with
//! PyOD 3.6.7's behaviour (`pyod.models.cblof.CBLOF` with its default
//! clustering, scikit-learn 1.9.1's `KMeans(n_clusters, random_state)`).
//!
//! Fit: k-means with `n_clusters` clusters as scikit-learn runs it by
//! default (`n_init = "auto"`, i.e. one k-means++ run; see [`kmeans`]): the
//! data are centred on their column means; k-means++ picks the first centre
//! uniformly and each next one greedily among `2 + ⌊ln k⌋` candidates drawn
//! with probability proportional to the squared distance to the nearest
//! chosen centre (the candidate that lowers the total most wins); Lloyd
//! iterations (at most 300) stop when the labels no longer change or when
//! the summed squared centre shift is at most `1e-4 ·` the mean column
//! variance (then the labels are recomputed for the final centres); an
//! empty cluster takes the row farthest from its centre.
//!
//! Clusters are then split as PyOD's `_set_small_large_clusters` does (see
//! [`split_clusters`]): sorted by size, the large ones are the first `b`
//! where `b` satisfies both the alpha rule (they hold >= `alpha · n` rows)
//! and the beta rule (`size(b−1) / size(b) >= beta`), else the first that
//! satisfies alpha, else beta; if neither holds anywhere the fit fails, as
//! PyOD's does. Score of a row in a large cluster: the Euclidean distance to
//! its centre; in a small cluster: the distance to the nearest large centre;
//! with `use_weights`, times the size of its cluster. Training scores use
//! the k-means labels; test rows are assigned to the nearest centre
//! (`KMeans.predict`). Higher = more anomalous.
//!
//! Differences from PyOD / scikit-learn:
//! * k-means++ draws from ChaCha8 (`seed`), not numpy's MT19937, so the
//!   clustering matches in distribution, not bit for bit; from the same
//!   initial centres Lloyd converges to the same centres and labels
//!   (tested against scikit-learn on ODDS data);
//! * distances are summed directly, `Σ_f (x_f − c_f)²` (scikit-learn
//!   assigns with `‖c‖² − 2x·c` through BLAS), so rows (almost) equidistant
//!   from two centres may be labelled differently; centre sums are
//!   accumulated in row order (scikit-learn's single-thread order);
//! * with several empty clusters in one iteration, they take the farthest
//!   rows in decreasing distance (scikit-learn's `argpartition` leaves that
//!   order unspecified);
//! * clusters of equal size are ordered by index (numpy's default sort is
//!   stable only for up to 16 clusters);
//! * cluster sizes are counted over all `n_clusters` clusters (PyOD's
//!   `np.bincount` drops empty clusters with the highest labels, which only
//!   happens with fewer distinct rows than clusters);
//! * only k-means is offered (PyOD accepts any `clustering_estimator`);
//!   `n_clusters` must be in [2, 10^5] (PyOD fails at fit for 1) and at most
//!   the number of training rows (scikit-learn's rule; `BadParams`).
//!
//! PyOD's benchmark protocol uses `n_clusters = 10`; the default here stays
//! PyOD's 8.
//!
//! Determinism: k-means++ is sequential on one ChaCha8 stream; distances
//! are computed in parallel over fixed row blocks and summed in row order,
//! so fit and scores are bit-identical for any thread count.

pub mod kmeans;
mod model;
mod params;

pub use model::{CblofModel, split_clusters};
pub use params::{CblofParams, MAX_CLUSTERS};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, ParamError};
use ndarray::ArrayView2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The parameters of `cblof`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_clusters",
        doc: "Number of k-means clusters; default 8 (PyOD's benchmark uses 10); an \
              integer in [2, 100000], at most the number of training rows.",
    },
    ParamDoc {
        name: "alpha",
        doc: "Share of the rows the large clusters must hold together; default 0.9; \
              in (0, 1).",
    },
    ParamDoc {
        name: "beta",
        doc: "Size ratio between consecutive clusters (sorted by size) that marks the \
              large/small boundary; default 5; a finite number > 1.",
    },
    ParamDoc {
        name: "use_weights",
        doc: "Multiply each score by the size of the row's cluster; default false.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the k-means++ initialisation; default 0; an integer >= 0.",
    },
];

impl DetectorParams for CblofParams {
    type Model = CblofModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let (n, d) = x.dim();
        if n < self.n_clusters {
            return Err(DetectorError::CannotFit(format!(
                "n_clusters = {} is more than the {n} training rows",
                self.n_clusters
            )));
        }
        if d == 0 {
            return Err(DetectorError::CannotFit("needs at least one column".into()));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let km = kmeans::kmeans(x, self.n_clusters, &mut rng);
        let (model, train_scores) = CblofModel::from_labels(
            x,
            km.centres,
            &km.labels,
            self.alpha,
            self.beta,
            self.use_weights,
        )
        .map_err(DetectorError::CannotFit)?;
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
