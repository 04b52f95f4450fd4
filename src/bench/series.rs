//! Time-series benchmark runs: one detector on one whole series, scored
//! with point-wise AUCs, VUS, and the collection's own protocol (NAB score,
//! UCR hit).
//!
//! Why it exists: the tabular run splits rows; a time series is scored
//! whole (after fitting on its anomaly-free part, if any) and judged by
//! range-aware metrics. Suites of these runs are ordinary sweeps (protocol
//! `timeseries`, see [`super::sweep`]): the same store, resume, shards and
//! reports as tabular runs, with each run's point scores filed beside its
//! record.

use super::{BenchError, RunContext};
use crate::data::TimeSeries;
use crate::data::series_catalog::SeriesCollection;
use crate::detectors::series::{MATRIX_PROFILE, SeriesDetector};
use crate::metrics::{self, UCR_TOLERANCE, nab};
use crate::results::{
    Hardware, KIND_TIMESERIES, NabScores, RunKey, SCHEMA_ID, STATUS_OK, SeriesMetrics,
    SeriesRunResult,
};
use ndarray::Array1;
use serde_json::{Map, Value};
use std::time::Instant;

/// The protocol name recorded in a time-series run id.
pub const SERIES_PROTOCOL: &str = "timeseries";

/// Which collection-specific metrics a run computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeriesProtocol {
    /// NAB scores per profile (NAB series).
    pub nab: bool,
    /// The UCR archive's hit/miss (UCR series).
    pub ucr: bool,
}

impl SeriesProtocol {
    /// The collection's own metrics.
    pub fn for_collection(c: SeriesCollection) -> Self {
        Self {
            nab: c == SeriesCollection::Nab,
            ucr: c == SeriesCollection::Ucr,
        }
    }
}

/// A run's record plus its point scores, for plots and further analysis.
#[derive(Debug, Clone)]
pub struct SeriesOutcome {
    pub result: SeriesRunResult,
    pub scores: Array1<f64>,
}

/// The detector a run fits: `model` with `params`, seeded from the run seed.
pub fn series_detector(
    model: &str,
    params: &Map<String, Value>,
    seed: u64,
) -> Result<SeriesDetector, BenchError> {
    Ok(SeriesDetector::new(model, params)?.with_run_seed(seed)?)
}

/// The run id of a resolved detector on a series.
pub fn series_run_id(
    ctx: &RunContext,
    series_sha256: &str,
    det: &SeriesDetector,
    seed: u64,
) -> String {
    RunKey {
        experiment: &ctx.experiment,
        script_sha256: ctx.script_sha256.as_deref(),
        dataset_sha256: series_sha256,
        model: det.name(),
        params: det.params(),
        protocol: SERIES_PROTOCOL,
        seed,
    }
    .run_id()
}

/// Score `series` with `det` and compute every applicable metric.
pub fn run_series(
    series: &TimeSeries,
    det: &SeriesDetector,
    seed: u64,
    protocol: SeriesProtocol,
    ctx: &RunContext,
) -> Result<SeriesOutcome, BenchError> {
    let t0 = Instant::now();
    let scores = det.score(series)?;
    let run_time = t0.elapsed().as_secs_f64();
    let metrics = series_metrics(series, &scores, protocol)?;
    let model_version = if det.name() == MATRIX_PROFILE {
        crate::VERSION.to_string()
    } else {
        crate::detectors::spec(det.name())?.version.to_string()
    };
    let result = SeriesRunResult {
        schema: SCHEMA_ID.to_string(),
        run_id: series_run_id(ctx, &series.sha256, det, seed),
        status: STATUS_OK.to_string(),
        kind: KIND_TIMESERIES.to_string(),
        experiment: ctx.experiment.clone(),
        anml_version: crate::VERSION.to_string(),
        series: series.name.clone(),
        series_sha256: series.sha256.clone(),
        n_points: series.len(),
        n_channels: series.n_channels(),
        train_points: series.training_values().map_or(0, |t| t.nrows()),
        model: det.name().to_string(),
        model_version,
        variant: String::new(),
        params: det.params().clone(),
        window: det.window(),
        seed,
        metrics,
        run_time,
        provenance: ctx.provenance.clone(),
        hardware: Hardware::detect(),
    };
    result
        .to_value()
        .and_then(|v| crate::results::validate(&v))?;
    Ok(SeriesOutcome { result, scores })
}

/// Point-wise ROC/PR-AUC and VUS when the series has labels of both
/// classes; the NAB and UCR protocols when asked for.
pub fn series_metrics(
    series: &TimeSeries,
    scores: &Array1<f64>,
    protocol: SeriesProtocol,
) -> Result<SeriesMetrics, BenchError> {
    let metric_err = |source| BenchError::Metric {
        dataset: series.name.clone(),
        seed: 0,
        source,
    };
    let labels = series.labels.as_ref();
    let both = labels.is_some_and(|y| {
        let pos = y.iter().filter(|&&v| v != 0).count();
        pos > 0 && pos < y.len()
    });
    let vus_window = match series.univariate() {
        Ok(v) => metrics::find_length(v),
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
        out.roc_auc = Some(metrics::roc_auc(y.view(), scores.view()).map_err(metric_err)?);
        out.pr_auc = Some(metrics::pr_auc(y.view(), scores.view()).map_err(metric_err)?);
        let vus = metrics::vus(y.view(), scores.view(), vus_window).map_err(metric_err)?;
        out.vus_roc = Some(vus.roc);
        out.vus_pr = Some(vus.pr);
    }
    if protocol.nab {
        out.nab = Some(nab_scores(series, scores).map_err(metric_err)?);
    }
    if protocol.ucr && both {
        out.ucr = Some(
            metrics::ucr_hit(
                scores.view(),
                &series.ranges(),
                series.train_prefix(),
                UCR_TOLERANCE,
            )
            .map_err(metric_err)?,
        );
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
pub fn nab_corpus_scores(corpus: &[NabItem]) -> Result<NabScores, metrics::MetricError> {
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

fn nab_scores(
    series: &TimeSeries,
    scores: &Array1<f64>,
) -> Result<NabScores, metrics::MetricError> {
    nab_corpus_scores(&[(nab_scaled(scores), series.ranges())])
}

/// The suite's leaderboard: one row per model, the mean of each metric
/// over the series where it is defined, plus the UCR accuracy and the
/// number of series. Markdown and CSV.
pub fn series_leaderboard(results: &[&SeriesRunResult]) -> (String, String) {
    let mut models: Vec<String> = Vec::new();
    for r in results {
        let l = crate::results::label(&r.model, &r.variant);
        if !models.contains(&l) {
            models.push(l);
        }
    }
    let header = [
        "model",
        "series",
        "roc_auc",
        "pr_auc",
        "vus_roc",
        "vus_pr",
        "nab_standard",
        "nab_low_fp",
        "nab_low_fn",
        "ucr_accuracy",
    ];
    let mut md = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    let mut csv = format!("{}\n", header.join(","));
    for model in &models {
        let rows: Vec<&SeriesRunResult> = results
            .iter()
            .copied()
            .filter(|r| crate::results::label(&r.model, &r.variant) == *model)
            .collect();
        let mean = |f: &dyn Fn(&SeriesRunResult) -> Option<f64>| {
            let v: Vec<f64> = rows.iter().filter_map(|r| f(r)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let cells = [
            mean(&|r| r.metrics.roc_auc),
            mean(&|r| r.metrics.pr_auc),
            mean(&|r| r.metrics.vus_roc),
            mean(&|r| r.metrics.vus_pr),
            mean(&|r| r.metrics.nab.as_ref().and_then(|n| n.standard)),
            mean(&|r| r.metrics.nab.as_ref().and_then(|n| n.reward_low_fp)),
            mean(&|r| r.metrics.nab.as_ref().and_then(|n| n.reward_low_fn)),
            mean(&|r| r.metrics.ucr.map(|u| f64::from(u8::from(u.hit)))),
        ];
        let shown: Vec<String> = cells
            .iter()
            .map(|c| c.map_or_else(|| "–".to_string(), |v| format!("{v:.4}")))
            .collect();
        let raw: Vec<String> = cells
            .iter()
            .map(|c| c.map_or_else(String::new, |v| v.to_string()))
            .collect();
        md.push_str(&format!(
            "| {model} | {} | {} |\n",
            rows.len(),
            shown.join(" | ")
        ));
        csv.push_str(&format!("{model},{},{}\n", rows.len(), raw.join(",")));
    }
    (md, csv)
}
