//! The fitted HBOS: one histogram per feature, its saved form, load-time
//! checks and scoring.

use crate::detectors::Explanation;
use crate::detectors::Model;
use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// The histogram of one training column: `edges` (one more than the bins,
/// finite, non-decreasing) and the density of each bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FeatureRepr")]
pub struct FeatureHistogram {
    edges: Vec<f64>,
    density: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureRepr {
    edges: Vec<f64>,
    density: Vec<f64>,
}

impl TryFrom<FeatureRepr> for FeatureHistogram {
    type Error = String;
    fn try_from(r: FeatureRepr) -> Result<Self, String> {
        Self::new(r.edges, r.density)
    }
}

impl FeatureHistogram {
    /// Check the shape and values of a histogram.
    pub fn new(edges: Vec<f64>, density: Vec<f64>) -> Result<Self, String> {
        if density.is_empty() || edges.len() != density.len() + 1 {
            return Err(format!(
                "a histogram needs one more edge than bins (at least one bin); got {} edges and {} bins",
                edges.len(),
                density.len()
            ));
        }
        if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] > w[1]) {
            return Err(
                "histogram edges must be finite and non-decreasing (is a column's range \
                 too wide or too narrow for the number of bins?)"
                    .into(),
            );
        }
        if density.iter().any(|d| !(d.is_finite() && *d >= 0.0)) {
            return Err(
                "histogram densities must be finite and >= 0 (is a column's range too \
                 narrow for the number of bins?)"
                    .into(),
            );
        }
        Ok(Self { edges, density })
    }

    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    pub fn density(&self) -> &[f64] {
        &self.density
    }
}

/// A fitted HBOS model.
///
/// Saved as `{"alpha", "tol", "features": [{"edges", "density"}, ...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HbosRepr")]
pub struct HbosModel {
    alpha: f64,
    tol: f64,
    features: Vec<FeatureHistogram>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HbosRepr {
    alpha: f64,
    tol: f64,
    features: Vec<FeatureHistogram>,
}

impl TryFrom<HbosRepr> for HbosModel {
    type Error = String;
    fn try_from(r: HbosRepr) -> Result<Self, String> {
        Self::new(r.features, r.alpha, r.tol)
    }
}

/// Per feature, what scoring needs: `log2(density + alpha)` per bin and its
/// minimum.
pub(super) struct LogTable<'a> {
    hist: &'a FeatureHistogram,
    log_density: Vec<f64>,
    min: f64,
}

impl HbosModel {
    pub(super) fn new(
        features: Vec<FeatureHistogram>,
        alpha: f64,
        tol: f64,
    ) -> Result<Self, String> {
        if !(alpha > 0.0 && alpha < 1.0 && tol > 0.0 && tol < 1.0) {
            return Err(format!("alpha ({alpha}) and tol ({tol}) must be in (0, 1)"));
        }
        Ok(Self {
            alpha,
            tol,
            features,
        })
    }

    pub fn features(&self) -> &[FeatureHistogram] {
        &self.features
    }

    pub(super) fn tables(&self) -> Vec<LogTable<'_>> {
        self.features
            .iter()
            .map(|hist| {
                let log_density: Vec<f64> = hist
                    .density
                    .iter()
                    .map(|d| (d + self.alpha).log2())
                    .collect();
                let min = log_density.iter().copied().fold(f64::INFINITY, f64::min);
                LogTable {
                    hist,
                    log_density,
                    min,
                }
            })
            .collect()
    }

    /// `log2(density + alpha)` of the bin `x` falls in, with PyOD's rule for
    /// values outside the edges.
    pub(super) fn feature_score(&self, t: &LogTable<'_>, x: f64) -> f64 {
        let edges = &t.hist.edges;
        let nb = t.log_density.len();
        // np.digitize(x, edges, right=True): the number of edges below x.
        let k = edges.partition_point(|&e| e < x);
        if k == 0 {
            let dist = edges[0] - x;
            let width = edges[1] - edges[0];
            if dist <= width * self.tol {
                t.log_density[0]
            } else {
                t.min
            }
        } else if k == nb + 1 {
            let dist = x - edges[nb];
            let width = edges[nb] - edges[nb - 1];
            if dist <= width * self.tol {
                t.log_density[nb - 1]
            } else {
                t.min
            }
        } else {
            t.log_density[k - 1]
        }
    }
}

impl Model for HbosModel {
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let tables = self.tables();
        x.rows()
            .into_iter()
            .map(|row| {
                -row.iter()
                    .zip(&tables)
                    .map(|(&v, t)| self.feature_score(t, v))
                    .sum::<f64>()
            })
            .collect()
    }

    fn explain_row(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        Some(self.explain_terms(row))
    }
}
