//! Time-series benchmarks: one detector on one whole series, scored with
//! point-wise AUCs, VUS, and the collection's own protocol (NAB score,
//! UCR hit), and suites over a collection with a leaderboard.
//!
//! Why it exists: the tabular machinery splits rows; a time series is
//! scored whole (after fitting on its anomaly-free part, if any) and judged
//! by range-aware metrics. Runs are filed like tabular ones, under
//! `results/{experiment}/series-runs/{run_id}.json`, and a suite writes
//! `leaderboard.md`/`.csv` beside them; a run already in the store is not
//! re-run unless forced.

use super::{BenchError, RunContext};
use crate::data::series_catalog::{SeriesCollection, SeriesSpec};
use crate::data::{DatasetRegistry, TimeSeries};
use crate::detectors::series::{MATRIX_PROFILE, SeriesDetector};
use crate::metrics;
use crate::results::{
    Hardware, KIND_TIMESERIES, NabScores, RunKey, SCHEMA_ID, STATUS_OK, SeriesMetrics,
    SeriesRunResult,
};
use ndarray::Array1;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
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
/// classes; the NAB and UCR protocols when asked for
/// ([`metrics::series_scorecard`]).
pub fn series_metrics(
    series: &TimeSeries,
    scores: &Array1<f64>,
    protocol: SeriesProtocol,
) -> Result<SeriesMetrics, BenchError> {
    metrics::series_scorecard(series, scores, protocol.nab, protocol.ucr).map_err(|source| {
        BenchError::Metric {
            dataset: series.name.clone(),
            seed: 0,
            source,
        }
    })
}

/// A detector's scores min-max scaled to [0, 1] ([`metrics::nab_scaled`]).
pub fn nab_scaled(scores: &Array1<f64>) -> Vec<f64> {
    metrics::nab_scaled(scores)
}

/// One series for NAB corpus scoring ([`metrics::NabItem`]).
pub type NabItem = metrics::NabItem;

/// NAB scores of a corpus ([`metrics::nab_corpus_scores`]).
pub fn nab_corpus_scores(corpus: &[NabItem]) -> Result<NabScores, metrics::MetricError> {
    metrics::nab_corpus_scores(corpus)
}

/// Where a time-series suite files its runs.
pub fn series_store_dir(workspace_results: &Path, experiment: &str) -> PathBuf {
    workspace_results.join(experiment).join("series-runs")
}

/// One planned run of a suite.
#[derive(Debug, Clone)]
pub struct SeriesTask {
    pub spec: &'static SeriesSpec,
    pub model: String,
    pub params: Map<String, Value>,
    pub seed: u64,
}

/// What a suite did with one task. Ran and cached runs carry their point
/// scores (read back from the store for cached ones), for corpus-level
/// metrics such as NAB's.
#[derive(Debug, Clone)]
pub enum SeriesTaskOutcome {
    Ran(SeriesRunResult, Array1<f64>),
    Cached(SeriesRunResult, Array1<f64>),
    Failed {
        series: String,
        model: String,
        error: String,
    },
}

impl SeriesTaskOutcome {
    /// The record and scores of a run that completed.
    pub fn completed(&self) -> Option<(&SeriesRunResult, &Array1<f64>)> {
        match self {
            Self::Ran(r, s) | Self::Cached(r, s) => Some((r, s)),
            Self::Failed { .. } => None,
        }
    }
}

/// The point scores of a run, stored beside its record as
/// `{run_id}.scores.npy` (1-D float64).
fn scores_path(store: &Path, run_id: &str) -> PathBuf {
    store.join(format!("{run_id}.scores.npy"))
}

fn write_scores(path: &Path, scores: &Array1<f64>) -> Result<(), BenchError> {
    use ndarray_npy::WriteNpyExt;
    let mut buf = Vec::new();
    scores
        .write_npy(&mut buf)
        .map_err(|e| BenchError::Suite(format!("cannot encode scores: {e}")))?;
    crate::atomic_file::write(path, &buf).map_err(|source| {
        BenchError::Result(crate::results::ResultError::Io {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// A stored run whose record and scores are both valid and consistent.
fn read_cached(store: &Path, run_id: &str, n: usize) -> Option<(SeriesRunResult, Array1<f64>)> {
    use ndarray_npy::ReadNpyExt;
    let text = std::fs::read_to_string(store.join(format!("{run_id}.json"))).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    crate::results::validate(&value).ok()?;
    let r: SeriesRunResult = serde_json::from_value(value).ok()?;
    let bytes = std::fs::read(scores_path(store, run_id)).ok()?;
    let scores = Array1::<f64>::read_npy(&bytes[..]).ok()?;
    (r.run_id == run_id && scores.len() == n).then_some((r, scores))
}

/// Run `tasks` in order (each run is itself parallel), filing each record
/// and its point scores in `store`; runs already there (record valid,
/// scores present) are read back unless `force`.
pub fn run_series_suite(
    registry: &DatasetRegistry,
    tasks: &[SeriesTask],
    store: &Path,
    force: bool,
    ctx: &RunContext,
    mut on_done: impl FnMut(usize, &SeriesTaskOutcome),
) -> Vec<SeriesTaskOutcome> {
    let mut loaded: Option<(&str, TimeSeries)> = None;
    let mut out = Vec::with_capacity(tasks.len());
    for (i, task) in tasks.iter().enumerate() {
        let outcome = (|| -> Result<SeriesTaskOutcome, BenchError> {
            if loaded.as_ref().is_none_or(|(n, _)| *n != task.spec.name) {
                loaded = Some((task.spec.name, registry.load_series_spec(task.spec)?));
            }
            let Some((_, series)) = loaded.as_ref() else {
                unreachable!("loaded above")
            };
            let det = series_detector(&task.model, &task.params, task.seed)?;
            let run_id = series_run_id(ctx, &series.sha256, &det, task.seed);
            if !force && let Some((r, scores)) = read_cached(store, &run_id, series.len()) {
                return Ok(SeriesTaskOutcome::Cached(r, scores));
            }
            let protocol = SeriesProtocol::for_collection(task.spec.collection);
            let outcome = run_series(series, &det, task.seed, protocol, ctx)?;
            // Scores first: a record in the store implies its scores are there.
            write_scores(&scores_path(store, &run_id), &outcome.scores)?;
            outcome
                .result
                .write(&store.join(format!("{run_id}.json")))?;
            Ok(SeriesTaskOutcome::Ran(outcome.result, outcome.scores))
        })()
        .unwrap_or_else(|e| SeriesTaskOutcome::Failed {
            series: task.spec.name.to_string(),
            model: task.model.clone(),
            error: format!("{e}"),
        });
        on_done(i, &outcome);
        out.push(outcome);
    }
    out
}

/// The suite's leaderboard ([`super::leaderboard::series_leaderboard`]).
pub fn series_leaderboard(results: &[&SeriesRunResult]) -> (String, String) {
    super::leaderboard::series_leaderboard(results)
}
