//! Statistically sound comparison of detectors over datasets (Demšar 2006,
//! "Statistical comparisons of classifiers over multiple data sets", JMLR 7).
//!
//! Why this module exists: a leaderboard's mean scores and average ranks say
//! which detector did best on these datasets, not whether the differences
//! are larger than chance. Demšar's procedure answers that with tests that
//! assume nothing about the scores' distribution: the Friedman test (with
//! Iman and Davenport's less conservative F) on the ranks, the Nemenyi
//! critical difference (CD) and its groups of detectors that cannot be told
//! apart (the bars of the CD diagram), and per pair the Wilcoxon signed-rank
//! test with Holm's correction for the many pairs, plus plain win/tie/loss
//! counts. Every number equals what scipy, scikit-posthocs and autorank
//! compute (`tests/compare_parity.rs`, fixture from
//! `scripts/gen_compare_reference.py`).
//!
//! The input is a datasets × models [`Matrix`] of one metric. From run
//! records ([`Matrix::from_runs`]) each (dataset, model label) cell is the
//! mean over its seeds; a dataset where any model has no completed run, a
//! failed run or a non-finite mean is dropped and reported in
//! [`Comparison::dropped`], never imputed. Ranks follow the metric's
//! direction (rank 1 = best). The statistics live in `friedman.rs`,
//! `nemenyi.rs` and `wilcoxon.rs`; the tables in `render.rs`.

mod friedman;
mod nemenyi;
mod render;
mod wilcoxon;

pub use nemenyi::{critical_difference, q_alpha, range_cdf, range_sf};
pub use wilcoxon::{Wilcoxon, WilcoxonMethod, holm, wilcoxon};

use crate::metrics::MetricSpec;
use crate::results::{FailedRun, RunResult, StoredRun};
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// The metric compared when none is named.
pub const DEFAULT_METRIC: &str = "roc_auc";
/// The significance level when none is given.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// Why a comparison could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CompareError {
    /// Not a tabular metric of the metric table.
    #[error("unknown metric `{name}`; one of: {known}")]
    UnknownMetric { name: String, known: String },
    /// α outside (0, 1), or below [`MIN_ALPHA`].
    #[error(
        "alpha must be in (0, 1) and at least {MIN_ALPHA:e} (finer quantiles of the \
         studentized range are not computed), got {0}"
    )]
    BadAlpha(f64),
    /// A matrix whose rows or labels do not fit together.
    #[error("bad matrix: {0}")]
    Shape(String),
    /// A NaN or infinite value in a given matrix.
    #[error("value for dataset `{dataset}`, model `{model}` is not finite: {value}")]
    NonFinite {
        dataset: String,
        model: String,
        value: f64,
    },
    /// Too few models or complete datasets left to compare.
    #[error("{0}")]
    TooFew(String),
}

impl CompareError {
    /// Whether the error is in what was asked for (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::UnknownMetric { .. } | Self::BadAlpha(_))
    }
}

/// The tabular metric named `name` (its name or record field).
pub fn metric_spec(name: &str) -> Result<&'static MetricSpec, CompareError> {
    crate::metrics::tabular_spec(name).ok_or_else(|| CompareError::UnknownMetric {
        name: name.to_string(),
        known: crate::metrics::METRICS
            .iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Check α ∈ (0, 1).
pub fn check_alpha(alpha: f64) -> Result<f64, CompareError> {
    if (MIN_ALPHA..1.0).contains(&alpha) {
        Ok(alpha)
    } else {
        Err(CompareError::BadAlpha(alpha))
    }
}

/// The smallest α accepted. The studentized range's distribution is
/// integrated to about 1e-14 in probability, so `1 - α` for a smaller α is
/// not resolved: q_α came out infinite (α = 1e-16) instead of refused.
pub const MIN_ALPHA: f64 = 1e-10;

/// A dataset left out of the comparison, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dropped {
    pub dataset: String,
    pub reason: String,
}

/// Datasets × models values of one metric (rows = datasets).
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub datasets: Vec<String>,
    pub models: Vec<String>,
    pub values: Vec<Vec<f64>>,
    /// Datasets left out while building it from runs.
    pub dropped: Vec<Dropped>,
}

impl Matrix {
    /// A matrix from plain values: one row per dataset, one column per
    /// model, every value finite, names unique.
    pub fn new(
        datasets: Vec<String>,
        models: Vec<String>,
        values: Vec<Vec<f64>>,
    ) -> Result<Self, CompareError> {
        if values.len() != datasets.len() {
            return Err(CompareError::Shape(format!(
                "{} rows for {} datasets",
                values.len(),
                datasets.len()
            )));
        }
        for (names, what) in [(&datasets, "dataset"), (&models, "model")] {
            for (i, a) in names.iter().enumerate() {
                if names[..i].contains(a) {
                    return Err(CompareError::Shape(format!("{what} `{a}` appears twice")));
                }
            }
        }
        for (d, row) in datasets.iter().zip(&values) {
            if row.len() != models.len() {
                return Err(CompareError::Shape(format!(
                    "dataset `{d}` has {} values for {} models",
                    row.len(),
                    models.len()
                )));
            }
            if let Some((m, &v)) = models.iter().zip(row).find(|(_, v)| !v.is_finite()) {
                return Err(CompareError::NonFinite {
                    dataset: d.clone(),
                    model: m.clone(),
                    value: v,
                });
            }
        }
        Ok(Self {
            datasets,
            models,
            values,
            dropped: Vec::new(),
        })
    }

    /// The matrix of `metric` from run records: each (dataset, model label)
    /// is the mean over its completed runs (seeds); datasets and models in
    /// first-seen order. A dataset is dropped (and listed in `dropped`)
    /// when a model has no completed run on it, a failed run on it, or a
    /// non-finite mean.
    /// Failures of time-series runs (protocol `timeseries`, the same word
    /// as their record kind) are not tabular cells and are ignored.
    pub fn from_runs(runs: &[RunResult], failures: &[FailedRun], metric: &MetricSpec) -> Self {
        let failures: Vec<&FailedRun> = failures
            .iter()
            .filter(|f| f.protocol != crate::results::KIND_TIMESERIES)
            .collect();
        let mut datasets: Vec<String> = Vec::new();
        let mut models: Vec<String> = Vec::new();
        let mut see = |d: &str, m: String| {
            if !datasets.iter().any(|x| x == d) {
                datasets.push(d.to_string());
            }
            if !models.contains(&m) {
                models.push(m);
            }
        };
        for r in runs {
            see(&r.dataset, r.label());
        }
        for f in &failures {
            see(&f.dataset, crate::results::label(&f.model, &f.variant));
        }
        // per cell: the metric's sum and the seeds it came from
        let mut cells: BTreeMap<(&str, String), (f64, Vec<u64>)> = BTreeMap::new();
        for r in runs {
            let v = r.metric(metric.field).unwrap_or(f64::NAN);
            let c = cells.entry((r.dataset.as_str(), r.label())).or_default();
            c.0 += v;
            c.1.push(r.seed);
        }
        for c in cells.values_mut() {
            c.1.sort_unstable();
        }
        let failed: Vec<(&str, String)> = failures
            .iter()
            .map(|f| {
                (
                    f.dataset.as_str(),
                    crate::results::label(&f.model, &f.variant),
                )
            })
            .collect();
        let mut out = Self {
            datasets: Vec::new(),
            models: models.clone(),
            values: Vec::new(),
            dropped: Vec::new(),
        };
        for d in &datasets {
            let mut row = Vec::with_capacity(models.len());
            let mut why = Vec::new();
            // Means over different seeds (a lost or duplicated run) would
            // compare unlike with unlike: every model of a dataset needs the
            // same seeds, each once.
            let mut seeds: Option<(&String, &Vec<u64>)> = None;
            for m in &models {
                let key = (d.as_str(), m.clone());
                if failed.contains(&key) {
                    why.push(format!("{m} failed"));
                }
                if let Some((_, s)) = cells.get(&key) {
                    match seeds {
                        None => seeds = Some((m, s)),
                        Some((first, want)) if s != want => why.push(format!(
                            "{m} has runs for seeds {s:?} but {first} for {want:?}"
                        )),
                        Some(_) => {}
                    }
                    if s.windows(2).any(|w| w[0] == w[1]) {
                        why.push(format!("{m} has more than one run of a seed: {s:?}"));
                    }
                }
                match cells.get(&key) {
                    Some((sum, s)) if (sum / s.len() as f64).is_finite() => {
                        row.push(sum / s.len() as f64)
                    }
                    Some(_) => why.push(format!("{m} has a non-finite {}", metric.name)),
                    None if failed.contains(&key) => {}
                    None => why.push(format!("{m} has no run")),
                }
            }
            if why.is_empty() {
                out.datasets.push(d.clone());
                out.values.push(row);
            } else {
                out.dropped.push(Dropped {
                    dataset: d.clone(),
                    reason: why.join(", "),
                });
            }
        }
        out
    }
}

/// The Friedman test on the ranks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FriedmanTest {
    /// χ² with the tie correction (scipy's `friedmanchisquare`).
    pub statistic: f64,
    pub df: f64,
    pub p: f64,
}

/// Iman and Davenport's F form of the Friedman statistic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImanDavenportTest {
    /// `null` in JSON when infinite (rankings in perfect agreement).
    pub statistic: f64,
    pub df1: f64,
    pub df2: f64,
    pub p: f64,
}

/// One pair of models (`a` before `b` in model order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// Datasets where `a` is better / equal / worse than `b` (by the
    /// metric's direction).
    pub wins: usize,
    pub ties: usize,
    pub losses: usize,
    /// min(R+, R−) of the signed-rank test.
    pub wilcoxon_statistic: f64,
    pub wilcoxon_p: f64,
    pub wilcoxon_method: WilcoxonMethod,
    /// Holm-adjusted over all pairs.
    pub holm_p: f64,
    /// Nemenyi's p-value from the average ranks.
    pub nemenyi_p: f64,
}

/// Everything Demšar's procedure says about a matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: String,
    pub higher_is_better: bool,
    pub alpha: f64,
    pub datasets: Vec<String>,
    pub models: Vec<String>,
    pub dropped: Vec<Dropped>,
    /// Per model (model order), rank 1 = best, ties sharing the mid-rank.
    pub average_ranks: Vec<f64>,
    pub friedman: FriedmanTest,
    pub iman_davenport: ImanDavenportTest,
    /// q_α = the studentized range quantile (1 − α, k, ∞) / √2.
    pub q_alpha: f64,
    /// Nemenyi's critical difference q_α √(k(k+1)/(6N)).
    pub cd: f64,
    /// Groups of models whose average ranks differ by at most the CD
    /// (best first; the bars of the CD diagram).
    pub groups: Vec<Vec<String>>,
    pub pairs: Vec<Pair>,
}

impl Comparison {
    /// Compare the models of `m` on `metric` (its name and direction) at
    /// significance `alpha`. Needs at least 2 models and 2 datasets.
    pub fn new(m: &Matrix, metric: &MetricSpec, alpha: f64) -> Result<Self, CompareError> {
        Self::with_direction(m, metric.name, metric.higher_is_better, alpha)
    }

    /// [`Comparison::new`] with the metric given by name and direction.
    pub fn with_direction(
        m: &Matrix,
        metric: &str,
        higher_is_better: bool,
        alpha: f64,
    ) -> Result<Self, CompareError> {
        check_alpha(alpha)?;
        let (n, k) = (m.datasets.len(), m.models.len());
        if k < 2 || n < 2 {
            let dropped = if m.dropped.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} dropped: {})",
                    m.dropped.len(),
                    m.dropped
                        .iter()
                        .map(|d| format!("{}: {}", d.dataset, d.reason))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            return Err(CompareError::TooFew(format!(
                "a comparison needs at least 2 models and 2 complete datasets; \
                 there are {k} models and {n} complete datasets{dropped}"
            )));
        }
        // the fields are public: check what `Matrix::new` checks
        Matrix::new(m.datasets.clone(), m.models.clone(), m.values.clone())?;
        let f = friedman::friedman(&m.values, higher_is_better);
        let cd = nemenyi::critical_difference(alpha, k, n);
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| f.average_ranks[a].total_cmp(&f.average_ranks[b]));
        let groups = nemenyi::groups(&order, &f.average_ranks, cd)
            .into_iter()
            .map(|g| g.into_iter().map(|i| m.models[i].clone()).collect())
            .collect();
        let column = |j: usize| -> Vec<f64> { m.values.iter().map(|r| r[j]).collect() };
        let mut pairs = Vec::new();
        for a in 0..k {
            for b in a + 1..k {
                let (xa, xb) = (column(a), column(b));
                let better = |x: f64, y: f64| if higher_is_better { x > y } else { x < y };
                let wins = xa.iter().zip(&xb).filter(|(x, y)| better(**x, **y)).count();
                let ties = xa.iter().zip(&xb).filter(|(x, y)| x == y).count();
                let w = wilcoxon::wilcoxon(&xa, &xb);
                pairs.push(Pair {
                    a: m.models[a].clone(),
                    b: m.models[b].clone(),
                    wins,
                    ties,
                    losses: n - wins - ties,
                    wilcoxon_statistic: w.statistic,
                    wilcoxon_p: w.p,
                    wilcoxon_method: w.method,
                    holm_p: f64::NAN,
                    nemenyi_p: nemenyi::pair_p(f.average_ranks[a], f.average_ranks[b], k, n),
                });
            }
        }
        let adjusted = wilcoxon::holm(&pairs.iter().map(|p| p.wilcoxon_p).collect::<Vec<_>>());
        for (p, h) in pairs.iter_mut().zip(adjusted) {
            p.holm_p = h;
        }
        Ok(Self {
            metric: metric.to_string(),
            higher_is_better,
            alpha,
            datasets: m.datasets.clone(),
            models: m.models.clone(),
            dropped: m.dropped.clone(),
            average_ranks: f.average_ranks,
            friedman: FriedmanTest {
                statistic: f.chi2,
                df: f.f_df.0,
                p: f.chi2_p,
            },
            iman_davenport: ImanDavenportTest {
                statistic: f.f,
                df1: f.f_df.0,
                df2: f.f_df.1,
                p: f.f_p,
            },
            q_alpha: nemenyi::q_alpha(alpha, k),
            cd,
            groups,
            pairs,
        })
    }

    /// Model indices sorted by average rank, best first (ties in model
    /// order).
    pub fn rank_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.models.len()).collect();
        order.sort_by(|&a, &b| self.average_ranks[a].total_cmp(&self.average_ranks[b]));
        order
    }

    /// The critical-difference diagram of this comparison.
    pub fn cd_diagram(&self, title: &str) -> crate::plot::CdDiagramPlot {
        crate::plot::CdDiagramPlot {
            title: title.to_string(),
            models: self.models.clone(),
            ranks: self.average_ranks.clone(),
            cd: self.cd,
            groups: self
                .groups
                .iter()
                .map(|g| {
                    g.iter()
                        .filter_map(|name| self.models.iter().position(|m| m == name))
                        .collect()
                })
                .collect(),
        }
    }
}

/// The comparison of the tabular runs among `records` (a run store's, a
/// sweep's) on the metric named `metric` at `alpha`: the [`Matrix`] of
/// [`Matrix::from_runs`] (failed runs drop their datasets; time-series
/// runs are not part of it), then [`Comparison::new`].
pub fn compare_records(
    records: &[StoredRun],
    metric: &str,
    alpha: f64,
) -> Result<Comparison, CompareError> {
    let spec = metric_spec(metric)?;
    check_alpha(alpha)?;
    let ok: Vec<RunResult> = records.iter().filter_map(|r| r.as_ok().cloned()).collect();
    let failed: Vec<FailedRun> = records
        .iter()
        .filter_map(|r| r.as_failed().cloned())
        .collect();
    Comparison::new(&Matrix::from_runs(&ok, &failed, spec), spec, alpha)
}

#[cfg(test)]
mod tests;
