//! The fitted CBLOF model: cluster centres, training cluster sizes and the
//! large/small split; the split rule, the saved form, load-time checks and
//! scoring.

use super::kmeans::{assign, sq_dist};
use crate::detectors::Model;
use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows scored per parallel task (fixed, independent of thread count).
const BLOCK_ROWS: usize = 1024;

/// PyOD's `_set_small_large_clusters`: clusters sorted by size, largest
/// first (ties: lower cluster index), and the first `b` of them are large
/// where `b` is the smallest boundary in `1..k` that satisfies both rules,
/// else the smallest satisfying the alpha rule, else the beta rule:
/// * alpha: the `b` largest clusters hold at least `alpha · n` rows;
/// * beta: `size(b−1) / size(b) >= beta` (sorted positions).
///
/// Returns the large clusters' indices in sorted order, or an error when no
/// boundary satisfies either rule.
pub fn split_clusters(sizes: &[u64], alpha: f64, beta: f64) -> Result<Vec<usize>, String> {
    let k = sizes.len();
    let n: u64 = sizes.iter().sum();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut alpha_first = None;
    let mut beta_first = None;
    let mut both = None;
    let mut cum = 0u64;
    for b in 1..k {
        cum += sizes[order[b - 1]];
        let a_ok = cum as f64 >= n as f64 * alpha;
        let b_ok = sizes[order[b - 1]] as f64 / sizes[order[b]] as f64 >= beta;
        if a_ok && alpha_first.is_none() {
            alpha_first = Some(b);
        }
        if b_ok && beta_first.is_none() {
            beta_first = Some(b);
        }
        if a_ok && b_ok && both.is_none() {
            both = Some(b);
        }
    }
    let b = both.or(alpha_first).or(beta_first).ok_or_else(|| {
        format!(
            "could not separate large from small clusters (sizes {sizes:?}, alpha {alpha}, \
             beta {beta}); change n_clusters, alpha or beta"
        )
    })?;
    Ok(order[..b].to_vec())
}

/// A fitted `cblof` detector.
///
/// Saved as `{"centres", "cluster_sizes", "large_clusters", "use_weights"}`;
/// loading checks the shapes, finiteness and that the large clusters are
/// distinct, valid and not all of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "CblofRepr")]
pub struct CblofModel {
    centres: Array2<f64>,
    cluster_sizes: Vec<u64>,
    large_clusters: Vec<usize>,
    use_weights: bool,
    #[serde(skip)]
    is_large: Vec<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CblofRepr {
    centres: Array2<f64>,
    cluster_sizes: Vec<u64>,
    large_clusters: Vec<usize>,
    use_weights: bool,
}

impl TryFrom<CblofRepr> for CblofModel {
    type Error = String;
    fn try_from(r: CblofRepr) -> Result<Self, String> {
        Self::new(r.centres, r.cluster_sizes, r.large_clusters, r.use_weights)
    }
}

impl CblofModel {
    pub(super) fn new(
        centres: Array2<f64>,
        cluster_sizes: Vec<u64>,
        large_clusters: Vec<usize>,
        use_weights: bool,
    ) -> Result<Self, String> {
        let k = centres.nrows();
        if k < 2 || centres.ncols() == 0 {
            return Err("needs at least 2 centres of at least 1 column".into());
        }
        if centres.iter().any(|v| !v.is_finite()) {
            return Err("centres must be finite".into());
        }
        if cluster_sizes.len() != k {
            return Err(format!(
                "cluster_sizes has {} entries for {k} centres",
                cluster_sizes.len()
            ));
        }
        let mut is_large = vec![false; k];
        for &c in &large_clusters {
            if c >= k || is_large[c] {
                return Err("large_clusters must be distinct cluster indices".into());
            }
            is_large[c] = true;
        }
        if large_clusters.is_empty() || large_clusters.len() == k {
            return Err("large_clusters must hold at least one and not every cluster".into());
        }
        Ok(Self {
            centres: centres.as_standard_layout().into_owned(),
            cluster_sizes,
            large_clusters,
            use_weights,
            is_large,
        })
    }

    /// Build the model from given centres (e.g. scikit-learn's fitted
    /// `cluster_centers_`): training rows are assigned to their nearest
    /// centre, clusters are split by `alpha`/`beta`, and the training rows
    /// are scored. For parity tests; not a stable API.
    #[doc(hidden)]
    pub fn from_centres(
        x: ArrayView2<'_, f64>,
        centres: Array2<f64>,
        alpha: f64,
        beta: f64,
        use_weights: bool,
    ) -> Result<(Self, Array1<f64>), String> {
        let labels = assign(x, centres.view());
        Self::from_labels(x, centres, &labels, alpha, beta, use_weights)
    }

    /// The model for centres and training labels, and the training scores
    /// (PyOD's `decision_scores_`, which use the clustering's own labels).
    pub(super) fn from_labels(
        x: ArrayView2<'_, f64>,
        centres: Array2<f64>,
        labels: &[usize],
        alpha: f64,
        beta: f64,
        use_weights: bool,
    ) -> Result<(Self, Array1<f64>), String> {
        let mut sizes = vec![0u64; centres.nrows()];
        for &l in labels {
            sizes[l] += 1;
        }
        let large = split_clusters(&sizes, alpha, beta)?;
        let model = Self::new(centres, sizes, large, use_weights)?;
        let scores = model.score_labelled(x, labels);
        Ok((model, scores))
    }

    pub fn centres(&self) -> &Array2<f64> {
        &self.centres
    }

    /// Training rows per cluster.
    pub fn cluster_sizes(&self) -> &[u64] {
        &self.cluster_sizes
    }

    /// The large clusters, largest first.
    pub fn large_clusters(&self) -> &[usize] {
        &self.large_clusters
    }

    /// Scores of rows with known cluster labels: the distance to the own
    /// centre for a large cluster, to the nearest large centre for a small
    /// one; times the cluster size with `use_weights`.
    fn score_labelled(&self, x: ArrayView2<'_, f64>, labels: &[usize]) -> Array1<f64> {
        let mut out = vec![0.0f64; x.nrows()];
        out.par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .for_each(|(b, block)| {
                for (i, o) in block.iter_mut().enumerate() {
                    let r = b * BLOCK_ROWS + i;
                    let row = x.row(r);
                    let l = labels[r];
                    let s = if self.is_large[l] {
                        sq_dist(row, self.centres.row(l)).sqrt()
                    } else {
                        self.large_clusters
                            .iter()
                            .map(|&c| sq_dist(row, self.centres.row(c)).sqrt())
                            .fold(f64::INFINITY, f64::min)
                    };
                    *o = if self.use_weights {
                        s * self.cluster_sizes[l] as f64
                    } else {
                        s
                    };
                }
            });
        Array1::from_vec(out)
    }
}

impl Model for CblofModel {
    /// PyOD's `decision_function`: each row joins its nearest centre
    /// (`KMeans.predict`), then is scored by the CBLOF rule. Input of the
    /// wrong width (which [`crate::detectors::FittedDetector`] rejects
    /// first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        if x.ncols() != self.centres.ncols() {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        let labels = assign(x, self.centres.view());
        self.score_labelled(x, &labels)
    }
}
