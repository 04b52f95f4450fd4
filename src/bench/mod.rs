//! Benchmark runs, shared by `anml benchmark`, the script API's `evaluate`
//! and the stdlib. [`run`] does one tabular run: split and scale a dataset
//! by a protocol, fit a detector on the train part, score the test part,
//! compute every metric, and assemble the schema-valid [`RunResult`];
//! `series` does one time-series run. `sweep` is the one engine that runs a
//! grid of either kind in parallel against a `store` of finished runs;
//! `suite` names the CLI's collections, `report` and `leaderboard`
//! summarise a store and `merge` combines stores.

pub mod explain;
pub mod export;
mod leaderboard;
mod merge;
mod progress;
mod report;
pub mod series;
mod store;
mod suite;
mod sweep;
mod timing;

pub use leaderboard::{
    ComparisonRow, HeatmapMetric, Leaderboard, ReferenceTable, comparison_markdown,
    comparison_table, series_leaderboard,
};
pub use merge::{MergeOutcome, StoreStatus, merge_stores, report_store, store_status};
pub use progress::{
    SweepObserver, SweepProgress, run_sweep_observed, run_sweep_with_progress, with_epoch_bar,
};
pub use report::{Reports, failures_markdown, write_reports};
pub use store::{
    Lookup, Manifest, ManifestEntry, RunStore, deterministic_json, is_run_id, short_id,
};
pub use suite::{SERIES_SUITE_MODELS, Suite, read_reference};
pub use sweep::{
    GridPoint, MAX_JOBS, MAX_SEEDS, PointStatus, RunProtocol, Shard, SweepEvent, SweepOptions,
    SweepOutcome, SweepSpec, manifest, parse_seeds, plan_size, run_sweep, stored_points,
};
pub use timing::{TimedRun, TimingReport, median, peak_rss_kib, time_runs};

use crate::data::{DataError, Dataset, Protocol};
use crate::detectors::{Detector, DetectorError, FittedDetector, spec};
use crate::metrics::{self, MetricError};
use crate::results::{
    Hardware, Provenance, ResultError, RunKey, RunResult, SCHEMA_ID, STATUS_OK, TimePer1000,
};
use ndarray::Array1;
use std::path::PathBuf;
use std::time::Instant;
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Detector(#[from] DetectorError),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error("dataset `{dataset}`, test part of split seed {seed}: {source}")]
    Metric {
        dataset: String,
        seed: u64,
        #[source]
        source: MetricError,
    },
    #[error(transparent)]
    Result(#[from] ResultError),
    /// The sweep's grid cannot be built from what was asked (a parameter
    /// no detector has, an empty value list, no seeds, …).
    #[error("sweep: {0}")]
    Grid(String),
    #[error("shard `{0}`: expected i/N with 0 <= i < N, e.g. 0/4")]
    BadShard(String),
    #[error("seeds `{0}`: expected A-B (inclusive) or a comma list, e.g. 0-9 or 1,4,7")]
    BadSeeds(String),
    /// A dataset or series named for a suite that is not in its collection.
    #[error("`{name}` is not in the `{suite}` suite; it has: {members}")]
    NotInSuite {
        suite: String,
        name: String,
        members: String,
    },
    /// A flag that does not apply to what was asked, or a bad flag value.
    #[error("{flag}: {message}")]
    Flag { flag: String, message: String },
    #[error("cannot start {jobs} worker threads: {message}")]
    Threads { jobs: usize, message: String },
    #[error("{} is not a run store (it has no runs/ directory)", .0.display())]
    NotAStore(PathBuf),
    /// A file in a run store that cannot be used as it is.
    #[error("{}: {message}", path.display())]
    BadStoreFile { path: PathBuf, message: String },
    #[error(
        "conflict: run {run_id} in {} differs from the one already in {} beyond timing and hardware",
        input.display(),
        output.display()
    )]
    MergeConflict {
        run_id: String,
        input: PathBuf,
        output: PathBuf,
    },
    #[error(
        "{0} grid points are in no input store; run the missing shards (or resume them) and merge again"
    )]
    MissingRuns(usize),
    /// A store's grid points that no run was filed for (`anml results
    /// report`, the merge job of a Slurm sweep).
    #[error(
        "{missing} of the grid's {grid} runs are not in {}; run the sweep again (with --slurm: submit the same command) and only these run",
        store.display()
    )]
    Incomplete {
        missing: usize,
        grid: usize,
        store: PathBuf,
    },
    /// A sweep finished, but some of its runs failed (each is recorded).
    #[error("{failed} of {total} runs failed (listed in {})", listed_in.display())]
    RunsFailed {
        failed: usize,
        total: usize,
        listed_in: PathBuf,
    },
    #[error("cannot encode {what}: {message}")]
    Encode { what: &'static str, message: String },
    /// Ctrl-C: no run started after it; finished runs are stored, so
    /// running the same sweep again resumes.
    #[error(
        "interrupted (Ctrl-C) after {finished} finished runs; they are stored, run again to resume"
    )]
    Interrupted { finished: usize },
}

impl BenchError {
    /// Whether the error is in what the user asked for (flags, grid,
    /// suite membership) rather than in running it: the CLI exits 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::Grid(_)
                | Self::BadShard(_)
                | Self::BadSeeds(_)
                | Self::NotInSuite { .. }
                | Self::Flag { .. }
        ) || matches!(self, Self::Export(e) if e.is_usage())
    }

    /// A flag error.
    pub fn flag(flag: &str, message: impl Into<String>) -> Self {
        Self::Flag {
            flag: flag.to_string(),
            message: message.into(),
        }
    }
}

/// Everything a run produced: the result record plus the fitted model and
/// test scores, for callers that want to look further (plots, registry).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub result: RunResult,
    pub fitted: FittedDetector,
    pub test_scores: Array1<f64>,
    pub test_labels: Array1<u8>,
}

/// What a run belongs to: its experiment, the script it came from, and how
/// it was produced. The same for every run of one command. The default is
/// the experiment `default`, outside any script, with empty provenance.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub experiment: String,
    /// SHA-256 of the script (part of the run id), when run from one.
    pub script_sha256: Option<String>,
    pub provenance: Provenance,
}

impl Default for RunContext {
    fn default() -> Self {
        Self {
            experiment: "default".to_string(),
            script_sha256: None,
            provenance: Provenance::default(),
        }
    }
}

impl RunContext {
    /// A context for runs outside any script.
    pub fn cli(experiment: &str) -> Self {
        Self {
            experiment: experiment.to_string(),
            script_sha256: None,
            provenance: Provenance {
                // lossy: `env::args` panics on an argument that is not
                // UTF-8 (a path), and JSON text cannot hold one anyway
                argv: crate::results::recorded_argv(
                    std::env::args_os().map(|a| a.to_string_lossy().into_owned()),
                ),
                slurm: crate::results::SlurmInfo::from_env(),
                ..Provenance::default()
            },
        }
    }

    /// The run id of `model` with `params` (the resolved ones, see
    /// [`resolve_detector`], or as given when they do not resolve) on a
    /// dataset with SHA-256 `dataset_sha256`.
    pub fn run_id(
        &self,
        dataset_sha256: &str,
        model: &str,
        params: &serde_json::Value,
        protocol: &str,
        seed: u64,
    ) -> String {
        RunKey {
            experiment: &self.experiment,
            script_sha256: self.script_sha256.as_deref(),
            dataset_sha256,
            model,
            params,
            protocol,
            seed,
        }
        .run_id()
    }
}

/// Refuse a `contamination` the caller gave (`given`) for `whose` detector
/// that `protocol` would silently replace with each dataset's anomaly
/// ratio (`pyod`). The one check behind sweeps, single runs and `perf`.
pub fn refuse_replaced_contamination(
    protocol: Protocol,
    given: bool,
    whose: &str,
) -> Result<(), BenchError> {
    if given && protocol.fixes_contamination() {
        return Err(BenchError::flag(
            "contamination",
            format!(
                "protocol `{}` sets {whose} contamination to each dataset's anomaly ratio; \
                 a given value would be replaced, so leave it out",
                protocol.name()
            ),
        ));
    }
    Ok(())
}

/// The detector a run actually fits: the protocol's parameter defaults
/// ([`Protocol::detector_defaults`]) for parameters the caller did not name,
/// the run seed unless the params set `seed`, and the protocol's
/// contamination (`pyod`: the dataset's anomaly ratio) when it fixes one.
/// Cheap (no data is touched beyond the labels), so a sweep can compute
/// every run id before running anything.
pub fn resolve_detector(
    dataset: &Dataset,
    detector: &Detector,
    protocol: Protocol,
    seed: u64,
) -> Result<Detector, BenchError> {
    Ok(detector.for_run(
        &protocol.detector_defaults(detector.name()),
        seed,
        protocol.contamination(dataset),
    )?)
}

/// Run `detector` on `dataset` under `protocol` with seed `seed`. The seed
/// is the run's root seed: it drives the split and, unless the detector's
/// params name their own `seed`, the detector's randomness too, so one seed
/// controls the run and nothing depends on the run's place in a grid.
/// See [`resolve_detector`] for what the protocol changes.
pub fn run(
    dataset: &Dataset,
    detector: &Detector,
    protocol: Protocol,
    seed: u64,
    ctx: &RunContext,
) -> Result<RunOutcome, BenchError> {
    let detector = &resolve_detector(dataset, detector, protocol, seed)?;
    let prepared = protocol.prepare(dataset, seed)?;

    let t0 = Instant::now();
    let (fitted, train_scores) = detector.fit_scored(prepared.x_train.view())?;
    let fit_time = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let scores = fitted.score_samples(prepared.x_test.view())?;
    let score_time = t1.elapsed().as_secs_f64();

    let card = metrics::scorecard(prepared.y_test.view(), scores.view()).map_err(|source| {
        BenchError::Metric {
            dataset: dataset.name.clone(),
            seed,
            source,
        }
    })?;

    let thresholds = crate::thresholds::evaluate(
        train_scores.view(),
        scores.view(),
        prepared.y_test.view(),
        detector.contamination(),
    );

    let params = detector.all_params();
    let spec = spec(detector.name())?;
    let per_1000 = |secs: f64, n: usize| secs * 1000.0 / n.max(1) as f64;
    let result = RunResult {
        schema: SCHEMA_ID.to_string(),
        run_id: ctx.run_id(
            &dataset.sha256,
            detector.name(),
            &params,
            protocol.name(),
            seed,
        ),
        status: STATUS_OK.to_string(),
        experiment: ctx.experiment.clone(),
        anml_version: crate::VERSION.to_string(),
        dataset: dataset.name.clone(),
        dataset_sha256: dataset.sha256.clone(),
        n_samples: dataset.n_samples(),
        model: detector.name().to_string(),
        model_version: spec.version.to_string(),
        variant: String::new(),
        params,
        seed,
        split: prepared.info.clone(),
        metrics: card,
        thresholds,
        fit_time,
        score_time,
        time_per_1000: TimePer1000 {
            fit: per_1000(fit_time, prepared.info.n_train),
            score: per_1000(score_time, prepared.info.n_test),
        },
        artefact_digest: fitted.digest()?,
        provenance: ctx.provenance.clone(),
        hardware: Hardware::detect(),
    };
    result
        .to_value()
        .and_then(|v| crate::results::validate(&v))?;
    Ok(RunOutcome {
        result,
        fitted,
        test_scores: scores,
        test_labels: prepared.y_test,
    })
}
