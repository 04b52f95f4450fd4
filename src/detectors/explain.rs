//! Why was this row flagged: the per-feature explanation of one row's score,
//! shared by every detector that can give one.
//!
//! A model that can explain overrides [`super::Model::explain_row`]; the
//! type-erased [`super::FittedDetector::explain`] checks the row like scoring
//! input (finite, the fitted column count) and turns a model without
//! explanations into [`super::DetectorError::NotExplainable`], naming the
//! detectors that have one ([`EXPLAINABLE`]). Each detector's explanation
//! lives in its own folder (`hbos/explain.rs`, `tail/explain.rs`,
//! `loda/explain.rs`, `knn/explain.rs`, `isolation_forest/diffi.rs`); the
//! [`ExplainMethod`] says what the numbers mean.

use serde::Serialize;

/// The registered detectors whose fitted models explain a row, in the
/// order [`super::DetectorError::NotExplainable`] lists them.
pub const EXPLAINABLE: &[&str] = &[
    "hbos",
    "ecod",
    "copod",
    "loda",
    "knn",
    "avg_knn",
    "med_knn",
    "lof",
    "isolation_forest",
];

/// What the per-feature numbers of an [`Explanation`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplainMethod {
    /// Exact additive terms: the contributions sum to the row's score
    /// (HBOS, ECOD, COPOD, LODA).
    Additive,
    /// Per-feature squared differences to the row's nearest training rows
    /// (the k-NN family and LOF; they sum to a squared distance, not the
    /// score).
    KnnSqDiff,
    /// DIFFI local importances of an Isolation Forest (Carletti, Terzi &
    /// Susto 2023): not additive.
    Diffi,
}

impl ExplainMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ExplainMethod::Additive => "additive",
            ExplainMethod::KnnSqDiff => "knn_sq_diff",
            ExplainMethod::Diffi => "diffi",
        }
    }
}

impl std::fmt::Display for ExplainMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One feature's part of an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureContribution {
    /// Column index into the fitted data.
    pub index: usize,
    /// The column's name, when the caller knows it.
    pub name: Option<String>,
    pub contribution: f64,
}

impl FeatureContribution {
    /// The name, or `x{index}` when none is known.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("x{}", self.index))
    }
}

/// The explanation of one row: its score and one contribution per fitted
/// column, in column order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub method: ExplainMethod,
    /// The row's anomaly score, as `score_samples` gives it.
    pub score: f64,
    pub features: Vec<FeatureContribution>,
}

impl Explanation {
    /// Unnamed contributions in column order.
    pub fn new(method: ExplainMethod, score: f64, contributions: Vec<f64>) -> Self {
        let features = contributions
            .into_iter()
            .enumerate()
            .map(|(index, contribution)| FeatureContribution {
                index,
                name: None,
                contribution,
            })
            .collect();
        Self {
            method,
            score,
            features,
        }
    }

    /// The contributions in column order.
    pub fn contributions(&self) -> Vec<f64> {
        self.features.iter().map(|f| f.contribution).collect()
    }

    /// The sum of the contributions, in column order: the score for
    /// [`ExplainMethod::Additive`], a squared distance for
    /// [`ExplainMethod::KnnSqDiff`].
    pub fn total(&self) -> f64 {
        self.features.iter().map(|f| f.contribution).sum()
    }

    /// Name the columns; `names` must hold one name per feature.
    pub fn with_names(mut self, names: &[String]) -> Result<Self, String> {
        if names.len() != self.features.len() {
            return Err(format!(
                "{} feature names for {} features",
                names.len(),
                self.features.len()
            ));
        }
        for (f, n) in self.features.iter_mut().zip(names) {
            f.name = Some(n.clone());
        }
        Ok(self)
    }

    /// Each feature's share `|c_j| / Σ |c|` (0 when every contribution is 0).
    pub fn share(&self, f: &FeatureContribution) -> f64 {
        let sum: f64 = self.features.iter().map(|f| f.contribution.abs()).sum();
        if sum > 0.0 {
            f.contribution.abs() / sum
        } else {
            0.0
        }
    }

    /// The features by decreasing |contribution| (ties by column index),
    /// at most `top` of them.
    pub fn ranked(&self, top: Option<usize>) -> Vec<&FeatureContribution> {
        let mut v: Vec<&FeatureContribution> = self.features.iter().collect();
        v.sort_by(|a, b| {
            b.contribution
                .abs()
                .total_cmp(&a.contribution.abs())
                .then(a.index.cmp(&b.index))
        });
        if let Some(t) = top {
            v.truncate(t);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_shares_and_names() {
        let e = Explanation::new(ExplainMethod::Additive, 1.0, vec![0.5, -2.0, 0.5, 0.0]);
        let r: Vec<usize> = e.ranked(None).iter().map(|f| f.index).collect();
        assert_eq!(r, [1, 0, 2, 3]);
        assert_eq!(e.ranked(Some(2)).len(), 2);
        assert_eq!(e.share(&e.features[1]), 2.0 / 3.0);
        assert_eq!(e.total(), -1.0);
        assert_eq!(e.features[3].label(), "x3");
        let named = e
            .clone()
            .with_names(&["a".into(), "b".into(), "c".into(), "d".into()]);
        assert_eq!(named.map(|n| n.features[1].label()), Ok("b".to_string()));
        assert!(e.with_names(&["a".into()]).is_err());
        let zero = Explanation::new(ExplainMethod::Diffi, 0.5, vec![0.0, 0.0]);
        assert_eq!(zero.share(&zero.features[0]), 0.0);
    }
}
