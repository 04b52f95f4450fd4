//! The metrics of one time-series run, computed together.
//!
//! Why it exists: a time series is judged by point-wise AUCs, VUS and the
//! collection's own protocol (NAB score, UCR hit); several of these come in
//! groups (VUS gives ROC and PR from one pass, NAB three profiles from one
//! corpus), so they are computed here once per run into [`SeriesMetrics`],
//! whose nesting is the `metrics` object of a time-series record. The
//! metric table ([`SERIES_METRICS`](super::SERIES_METRICS)) reads each value
//! from it.

use super::{MetricError, UCR_TOLERANCE, UcrOutcome, nab};
use crate::data::TimeSeries;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// NAB scores (0 = the null detector, 100 = the perfect one) per profile;
/// `None` on a series without label windows, where NAB's normalisation is
/// undefined (perfect = null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NabScores {
    pub standard: Option<f64>,
    pub reward_low_fp: Option<f64>,
    pub reward_low_fn: Option<f64>,
}

/// Every metric of a time-series run. A metric that needs labels of both
/// classes is `null` on a series without them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesMetrics {
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub vus_roc: Option<f64>,
    pub vus_pr: Option<f64>,
    /// The sliding-window buffer VUS used.
    pub vus_window: usize,
    pub nab: Option<NabScores>,
    pub ucr: Option<UcrOutcome>,
}

/// Point-wise ROC/PR-AUC and VUS when the series has labels of both
/// classes; the NAB scores when `nab`, the UCR hit when `ucr` (and both
/// classes are labelled).
pub fn series_scorecard(
    series: &TimeSeries,
    scores: &Array1<f64>,
    nab: bool,
    ucr: bool,
) -> Result<SeriesMetrics, MetricError> {
    let labels = series.labels.as_ref();
    let both = labels.is_some_and(|y| {
        let pos = y.iter().filter(|&&v| v != 0).count();
        pos > 0 && pos < y.len()
    });
    let vus_window = match series.univariate() {
        Ok(v) => super::find_length(v),
        Err(_) => 0,
    };
    let mut out = SeriesMetrics {
        roc_auc: None,
        pr_auc: None,
        vus_roc: None,
        vus_pr: None,
        vus_window,
        nab: None,
        ucr: None,
    };
    if let (true, Some(y)) = (both, labels) {
        out.roc_auc = Some(super::roc_auc(y.view(), scores.view())?);
        out.pr_auc = Some(super::pr_auc(y.view(), scores.view())?);
        let vus = super::vus(y.view(), scores.view(), vus_window)?;
        out.vus_roc = Some(vus.roc);
        out.vus_pr = Some(vus.pr);
    }
    if nab {
        out.nab = Some(nab_corpus_scores(&[(nab_scaled(scores), series.ranges())])?);
    }
    if ucr && both {
        out.ucr = Some(super::ucr_hit(
            scores.view(),
            &series.ranges(),
            series.train_prefix(),
            UCR_TOLERANCE,
        )?);
    }
    Ok(out)
}

/// A detector's scores min-max scaled to [0, 1], as NAB's detectors report
/// anomaly likelihoods (a constant score becomes all zeros).
pub fn nab_scaled(scores: &Array1<f64>) -> Vec<f64> {
    let (lo, hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    scores
        .iter()
        .map(|&v| if hi > lo { (v - lo) / (hi - lo) } else { 0.0 })
        .collect()
}

/// One series for NAB corpus scoring: scores scaled to [0, 1] and the
/// label windows (inclusive point ranges).
pub type NabItem = (Vec<f64>, Vec<(usize, usize)>);

/// NAB scores of a corpus of `(scaled scores, label windows)` series, the
/// threshold optimised per profile over the whole corpus as NAB's scorer
/// does. One series is the per-run score.
pub fn nab_corpus_scores(corpus: &[NabItem]) -> Result<NabScores, MetricError> {
    let series: Vec<nab::NabSeries> = corpus
        .iter()
        .map(|(scores, windows)| nab::NabSeries { scores, windows })
        .collect();
    let score = |profile| nab::nab_score(&series, profile, None).map(|s| s.normalized);
    Ok(NabScores {
        standard: score(nab::NabProfile::Standard)?,
        reward_low_fp: score(nab::NabProfile::RewardLowFp)?,
        reward_low_fn: score(nab::NabProfile::RewardLowFn)?,
    })
}
