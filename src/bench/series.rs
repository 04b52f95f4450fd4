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
use crate::metrics;
use crate::results::{
    Hardware, KIND_TIMESERIES, RunKey, SCHEMA_ID, STATUS_OK, SeriesMetrics, SeriesRunResult,
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
