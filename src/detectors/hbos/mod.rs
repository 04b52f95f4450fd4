//! HBOS, histogram-based outlier score (Goldstein & Dengel 2012), with PyOD
//! 3.6.7's behaviour.
//!
//! Fit: every feature gets an equal-width histogram of the training column,
//! exactly as `np.histogram(column, bins=n_bins, density=True)`: edges
//! `min + i · (max − min) / n_bins` (the last edge is `max`; a constant
//! column `c` gets the range `[c − 0.5, c + 0.5]`), bins `[e_i, e_{i+1})`
//! with the last bin closed, and density `count / width / n`. With
//! `n_bins = "auto"` each feature's bin count is PyOD's Birgé–Rozenblac
//! choice (`get_optimal_n_bins`): the first `b` in `1..max(2, ⌊√n⌋)`
//! maximising `Σ_bins [h · ln(b · h / n + 1) − (b − 1 + ln(b)^2.5)]`.
//!
//! Score: a value falls in bin `i` when `e_{i−1} < x ≤ e_i` (PyOD scores
//! with `np.digitize(..., right=True)`, so a training value on an inner edge
//! is scored in the bin left of the one it was counted in — kept for
//! parity). A value below the first edge (including the training minimum,
//! which equals it) takes the first bin if it lies within `tol` times that
//! bin's width of the edge, else the lowest log-density of the feature;
//! likewise above the last edge. The feature's score is
//! `log2(density + alpha)` and a row's anomaly score is minus the sum over
//! features (higher = more anomalous): PyOD's `decision_function`.
//!
//! Differences from PyOD: `n_bins = 2` is accepted (PyOD's range check
//! excludes its bound 2), and static bin counts are capped at 10^6.

mod explain;
mod model;
mod params;

pub use model::{FeatureHistogram, HbosModel};
pub use params::{DEFAULT_N_BINS, HbosParams, MAX_BINS, NBins, NBinsKeyword};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::{ArrayView1, ArrayView2};

/// The parameters of `hbos`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_bins",
        doc: "Equal-width histogram bins per feature, or \"auto\" for the \
              Birge-Rozenblac choice per feature; default 10; \"auto\" or an \
              integer in [2, 1000000].",
    },
    ParamDoc {
        name: "alpha",
        doc: "Added to each bin density before taking log2 (keeps empty bins \
              finite); default 0.1; in (0, 1).",
    },
    ParamDoc {
        name: "tol",
        doc: "A value outside the training range by at most tol times the outer \
              bin's width counts in that bin, otherwise in the feature's least \
              dense bin; default 0.5; in (0, 1).",
    },
];

/// Bin edges as `np.histogram` builds them: `np.linspace(first, last,
/// n_bins + 1)` over the column's range, widened by 0.5 each side when the
/// column is constant.
pub(crate) fn bin_edges(min: f64, max: f64, n_bins: usize) -> Vec<f64> {
    let (first, last) = if min == max {
        (min - 0.5, max + 0.5)
    } else {
        (min, max)
    };
    let delta = last - first;
    let div = n_bins as f64;
    let step = delta / div;
    let mut edges: Vec<f64> = (0..=n_bins)
        .map(|i| {
            let i = i as f64;
            // numpy's special case for a denormal step (gh-5437).
            if step == 0.0 {
                i / div * delta + first
            } else {
                i * step + first
            }
        })
        .collect();
    if let Some(e) = edges.last_mut() {
        *e = last;
    }
    edges
}

/// Counts per bin and the edges, as `np.histogram(column, bins=n_bins)`
/// (uniform-bin path: an index from the scaled offset, then corrected
/// against the edges, so bins are `[e_i, e_{i+1})` and the last is closed).
pub(crate) fn histogram(column: ArrayView1<'_, f64>, n_bins: usize) -> (Vec<u64>, Vec<f64>) {
    let (min, max) = column
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let edges = bin_edges(min, max, n_bins);
    let first = edges[0];
    let last = edges[n_bins];
    let denom = last - first;
    let mut counts = vec![0u64; n_bins];
    for &v in column {
        // Every training value lies in [first, last].
        let mut idx = (((v - first) / denom) * n_bins as f64) as usize;
        if idx >= n_bins {
            idx = n_bins - 1;
        }
        if v < edges[idx] && idx > 0 {
            idx -= 1;
        }
        if v >= edges[idx + 1] && idx != n_bins - 1 {
            idx += 1;
        }
        counts[idx] += 1;
    }
    (counts, edges)
}

/// PyOD's `get_optimal_n_bins` (Birgé & Rozenblac 2006) with `epsilon = 1`.
pub(crate) fn optimal_n_bins(column: ArrayView1<'_, f64>) -> usize {
    let n = column.len();
    let upper = ((n as f64).sqrt() as usize).max(2);
    let mut best = (1, f64::NEG_INFINITY);
    for b in 1..upper {
        let (counts, _) = histogram(column, b);
        let bf = b as f64;
        let penalty = bf - 1.0 + bf.ln().powf(2.5);
        let ml: f64 = counts
            .iter()
            .map(|&h| {
                let h = h as f64;
                h * ((bf * h) / n as f64 + 1.0).ln() - penalty
            })
            .sum();
        // np.argmax: the first maximum.
        if ml > best.1 {
            best = (b, ml);
        }
    }
    best.0
}

impl DetectorParams for HbosParams {
    type Model = HbosModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let features = x
            .columns()
            .into_iter()
            .map(|col| {
                let (counts, edges) = histogram(col, self.n_bins.resolve(col));
                let total: u64 = counts.iter().sum();
                let density = counts
                    .iter()
                    .zip(edges.windows(2))
                    .map(|(&c, e)| c as f64 / (e[1] - e[0]) / total as f64)
                    .collect();
                FeatureHistogram::new(edges, density)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(DetectorError::CannotFit)?;
        let model =
            HbosModel::new(features, self.alpha, self.tol).map_err(DetectorError::CannotFit)?;
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
