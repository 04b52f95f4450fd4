//! Sweeps: a grid of runs (datasets × detectors × parameter values × seeds)
//! run in parallel against a run store, so that finished runs are never
//! repeated. The one engine behind every `anml benchmark --suite` (tabular
//! and time-series), the script function `sweep` and `anml results merge`'s
//! inputs.
//!
//! - **Tasks.** A grid point is a task with one contract: its run id (known
//!   before anything runs), how it executes, and the record it files. A
//!   tabular task splits a dataset by a [`Protocol`], fits and scores; a
//!   time-series task scores a whole series (protocol `timeseries`) and
//!   files its point scores beside its record. Both go through the same
//!   store, resume, shards, progress, cancel flag and reports.
//! - **Grid.** Datasets (or series), then detectors, then parameter
//!   combinations (keys sorted, values in the order given), then seeds. A
//!   flat parameter key applies to every detector in the sweep that has
//!   that parameter; a key naming a detector holds a grid for that detector
//!   alone. Parameter values are validated once, while the grid is built,
//!   so a bad value fails the sweep before any run.
//! - **Resume.** Every grid point gets its run id before anything runs; a
//!   point whose completed record is in the store is counted as cached and
//!   not run again (unless `force`). Failed runs are recorded and re-tried.
//! - **Shards.** `--shard i/N` takes grid points `i, i+N, i+2N, …`: disjoint
//!   slices that together cover the grid, each with the same run ids and
//!   records as an unsharded run.

use super::report::{self, Reports};
use super::series::{SERIES_PROTOCOL, SeriesProtocol, run_series, series_run_id};
use super::store::{Lookup, Manifest, ManifestEntry, RunStore};
use super::{BenchError, RunContext, refuse_replaced_contamination, resolve_detector, run};
use crate::data::series_catalog::find_series;
use crate::data::{DataError, Dataset, DatasetRegistry, Protocol, TimeSeries};
use crate::detectors::series::{MATRIX_PROFILE, SeriesDetector};
use crate::detectors::{Detector, spec};
use crate::results::{FailedRun, RunResult, SCHEMA_ID, SeriesRunResult, StoredRun};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a sweep's runs are made: rows split by a tabular [`Protocol`], or
/// whole time series (`timeseries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunProtocol {
    Tabular(Protocol),
    TimeSeries,
}

impl RunProtocol {
    /// `holdout60`, `pyod` or `timeseries`.
    pub fn parse(name: &str) -> Result<Self, DataError> {
        if name == SERIES_PROTOCOL {
            return Ok(Self::TimeSeries);
        }
        Protocol::parse(name).map(Self::Tabular)
    }

    /// The name recorded in run ids and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tabular(p) => p.name(),
            Self::TimeSeries => SERIES_PROTOCOL,
        }
    }
}

impl From<Protocol> for RunProtocol {
    fn from(p: Protocol) -> Self {
        Self::Tabular(p)
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// Registered dataset names (tabular) or series names (time series).
    pub datasets: Vec<String>,
    pub models: Vec<String>,
    /// Parameter grid: `name: [values]` for every detector that has the
    /// parameter, or `detector: { name: [values] }` for one detector. A
    /// value that is not an array is a single value.
    pub params: Map<String, Value>,
    pub seeds: Vec<u64>,
    pub protocol: RunProtocol,
}

/// The most runs a sweep keeps in flight (`--jobs`): each is a thread.
pub const MAX_JOBS: usize = 1024;

/// How to run it; none of these change any result.
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// Runs in flight; 0 = one per core.
    pub jobs: usize,
    /// Re-run points whose results are already stored.
    pub force: bool,
    pub shard: Option<Shard>,
    /// When this becomes true (Ctrl-C), no further run starts; runs in
    /// flight finish and are stored, and the sweep returns
    /// [`BenchError::Interrupted`]. Running it again resumes.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The threshold method whose F1, precision and recall the leaderboard
    /// shows (`None`: `contamination`); every method is recorded anyway.
    pub threshold: Option<&'static str>,
}

/// A deterministic slice `index` of `count` of a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `i/N` with `0 <= i < N`.
    pub fn parse(s: &str) -> Result<Self, BenchError> {
        let bad = || BenchError::BadShard(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    pub fn contains(&self, grid_index: usize) -> bool {
        grid_index % self.count == self.index
    }
}

/// The most seeds one flag may name: far beyond any benchmark, and small
/// enough that expanding them can never exhaust memory.
pub const MAX_SEEDS: u64 = 100_000;

/// The most points a whole grid may have (datasets × detector parameter
/// combinations × seeds), checked before the grid is expanded: a typo such
/// as a huge seed range or many long value lists fails at once instead of
/// exhausting memory.
pub const MAX_GRID_POINTS: usize = 1_000_000;

/// Seeds as `A-B` (inclusive range) or a comma list `1,4,7`; at most
/// [`MAX_SEEDS`] of them.
pub fn parse_seeds(s: &str) -> Result<Vec<u64>, BenchError> {
    let bad = || BenchError::BadSeeds(s.to_string());
    if let Some((a, b)) = s.split_once('-') {
        let a: u64 = a.trim().parse().map_err(|_| bad())?;
        let b: u64 = b.trim().parse().map_err(|_| bad())?;
        if b < a {
            return Err(bad());
        }
        if b - a >= MAX_SEEDS {
            return Err(BenchError::flag(
                "--seeds",
                format!(
                    "`{s}` names {} seeds; at most {MAX_SEEDS}",
                    u128::from(b - a) + 1
                ),
            ));
        }
        return Ok((a..=b).collect());
    }
    s.split(',')
        .map(|t| t.trim().parse::<u64>().map_err(|_| bad()))
        .collect()
}

/// What a grid point runs on, loaded once per sweep.
#[derive(Debug)]
enum Input {
    Table(Dataset),
    Series(TimeSeries, SeriesProtocol),
}

impl Input {
    fn load(
        registry: &DatasetRegistry,
        name: &str,
        protocol: RunProtocol,
    ) -> Result<Self, BenchError> {
        Ok(match protocol {
            RunProtocol::Tabular(_) => Input::Table(registry.load(name)?),
            RunProtocol::TimeSeries => {
                let sp = find_series(name)
                    .map(|s| SeriesProtocol::for_collection(s.collection))
                    .unwrap_or_default();
                Input::Series(registry.load_series(name)?, sp)
            }
        })
    }

    fn name(&self) -> &str {
        match self {
            Input::Table(d) => &d.name,
            Input::Series(s, _) => &s.name,
        }
    }

    fn sha256(&self) -> &str {
        match self {
            Input::Table(d) => &d.sha256,
            Input::Series(s, _) => &s.sha256,
        }
    }
}

/// The detector of one grid point, resolved for its input and seed.
#[derive(Debug, Clone)]
enum Task {
    Tabular(Detector),
    Series(SeriesDetector),
}

/// One point of the expanded grid.
#[derive(Debug, Clone)]
pub struct GridPoint {
    /// Position in the whole grid (before sharding).
    pub index: usize,
    /// The dataset's (or series') name.
    pub dataset: String,
    pub model: String,
    /// The parameters this point sets (the grid's values).
    pub params: Map<String, Value>,
    pub variant: String,
    pub seed: u64,
    pub run_id: String,
    input_index: usize,
    /// The resolved task, or why it cannot run on this input and seed.
    task: Result<Task, String>,
}

/// What a sweep reports while it runs (for progress).
#[derive(Debug, Clone, Copy)]
pub enum SweepEvent<'a> {
    /// The grid is expanded: this shard has `points` of the grid's `grid_size`.
    Planned { points: usize, grid_size: usize },
    /// One grid point finished.
    Done(&'a GridPoint, PointStatus),
}

/// How one grid point ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointStatus {
    Cached,
    Ran,
    Failed,
}

/// The records of this shard's grid points in grid order, with counts and
/// the reports written beside them.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    pub records: Vec<StoredRun>,
    pub cached: usize,
    pub ran: usize,
    pub failed: usize,
    /// Points in the whole grid (all shards).
    pub grid_size: usize,
    /// Store files that did not parse or validate and were run again.
    pub replaced_invalid: Vec<String>,
    /// The leaderboards written into the store's directory.
    pub reports: Reports,
}

impl SweepOutcome {
    /// Completed tabular results in grid order.
    pub fn results(&self) -> Vec<RunResult> {
        self.records
            .iter()
            .filter_map(|r| r.as_ok().cloned())
            .collect()
    }

    /// Completed time-series results in grid order.
    pub fn series_results(&self) -> Vec<SeriesRunResult> {
        self.records
            .iter()
            .filter_map(|r| r.as_series().cloned())
            .collect()
    }

    pub fn failures(&self) -> Vec<&FailedRun> {
        self.records
            .iter()
            .filter_map(StoredRun::as_failed)
            .collect()
    }

    /// `N cached, M run, F failed`.
    pub fn summary(&self) -> String {
        format!(
            "{} cached, {} run, {} failed",
            self.cached, self.ran, self.failed
        )
    }
}

fn as_values(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

/// Whether `model` takes `param` under `protocol`.
fn accepts(protocol: RunProtocol, model: &str, param: &str) -> bool {
    match protocol {
        RunProtocol::Tabular(_) => {
            param == "contamination"
                || spec(model)
                    .ok()
                    .is_some_and(|s| s.default_params().get(param).is_some())
        }
        RunProtocol::TimeSeries => crate::detectors::series::accepts(model, param),
    }
}

/// Whether `name` names a model of this protocol.
fn is_model(protocol: RunProtocol, name: &str) -> bool {
    spec(name).is_ok() || (protocol == RunProtocol::TimeSeries && name == MATRIX_PROFILE)
}

/// A parameter given both for every detector and in one detector's own
/// grid: one of the two would be dropped without a word.
fn both_grids(model: &str, param: &str) -> BenchError {
    BenchError::Grid(format!(
        "params: `{param}` for {model} is given both as `{param}` and as `{model}.{param}`; keep one"
    ))
}

/// Each model's own grid: `name -> values`, keys sorted.
/// One detector's parameter grid: each parameter's values, keys sorted.
type ParamGrid = BTreeMap<String, Vec<Value>>;

fn model_grids(spec_: &SweepSpec) -> Result<Vec<ParamGrid>, BenchError> {
    let mut grids = vec![BTreeMap::new(); spec_.models.len()];
    for (key, value) in &spec_.params {
        if let Some(pos) = spec_.models.iter().position(|m| m == key) {
            let Value::Object(own) = value else {
                return Err(BenchError::Grid(format!(
                    "params.{key}: a detector's own grid must be a map of parameter to values"
                )));
            };
            for (p, vals) in own {
                if grids[pos].insert(p.clone(), as_values(vals)).is_some() {
                    return Err(both_grids(key, p));
                }
            }
            continue;
        }
        if is_model(spec_.protocol, key) {
            return Err(BenchError::Grid(format!(
                "params.{key}: `{key}` is a detector but not one of this sweep's ({})",
                spec_.models.join(", ")
            )));
        }
        let mut used = false;
        for (pos, m) in spec_.models.iter().enumerate() {
            if accepts(spec_.protocol, m, key) {
                if grids[pos].insert(key.clone(), as_values(value)).is_some() {
                    return Err(both_grids(m, key));
                }
                used = true;
            }
        }
        if !used {
            return Err(BenchError::Grid(format!(
                "params.{key}: no detector in this sweep ({}) has a parameter `{key}`",
                spec_.models.join(", ")
            )));
        }
    }
    for (g, m) in grids.iter().zip(&spec_.models) {
        if let Some((k, _)) = g.iter().find(|(_, v)| v.is_empty()) {
            return Err(BenchError::Grid(format!(
                "params: `{k}` for {m} has no values"
            )));
        }
        for (k, values) in g {
            if let Some(v) = first_repeat(values) {
                return Err(BenchError::Grid(format!(
                    "params: `{k}` for {m} lists the value {v} twice"
                )));
            }
        }
        if let RunProtocol::Tabular(p) = spec_.protocol {
            refuse_replaced_contamination(p, g.contains_key("contamination"), &format!("{m}'s"))?;
        }
    }
    Ok(grids)
}

/// The number of points the grid will have, computed without expanding
/// it; more than [`MAX_GRID_POINTS`] is an error.
fn grid_size(spec_: &SweepSpec, grids: &[ParamGrid]) -> Result<usize, BenchError> {
    let too_big = || {
        BenchError::Grid(format!(
            "the grid has more than {MAX_GRID_POINTS} points ({} datasets × the detectors' parameter combinations × {} seeds); split it",
            spec_.datasets.len(),
            spec_.seeds.len()
        ))
    };
    let mut combos: usize = 0;
    for g in grids {
        let n = g
            .values()
            .try_fold(1usize, |acc, v| acc.checked_mul(v.len()))
            .ok_or_else(too_big)?;
        combos = combos.checked_add(n).ok_or_else(too_big)?;
    }
    let total = combos
        .checked_mul(spec_.datasets.len())
        .and_then(|n| n.checked_mul(spec_.seeds.len()))
        .ok_or_else(too_big)?;
    if total > MAX_GRID_POINTS {
        return Err(too_big());
    }
    Ok(total)
}

/// Every combination of a grid, in order (the last key varies fastest).
fn combinations(grid: &ParamGrid) -> Vec<Map<String, Value>> {
    let mut out = vec![Map::new()];
    for (k, vals) in grid {
        out = out
            .into_iter()
            .flat_map(|m| {
                vals.iter().map(move |v| {
                    let mut m = m.clone();
                    m.insert(k.clone(), v.clone());
                    m
                })
            })
            .collect();
    }
    out
}

fn variant_label(params: &Map<String, Value>) -> String {
    params
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A model with one combination of grid values, validated once (before
/// any data is touched beyond what the protocol needs).
#[derive(Debug, Clone)]
enum Base {
    Tabular(Detector),
    Series(SeriesDetector),
}

impl Base {
    fn new(
        protocol: RunProtocol,
        model: &str,
        params: &Map<String, Value>,
    ) -> Result<Self, BenchError> {
        Ok(match protocol {
            RunProtocol::Tabular(_) => Base::Tabular(Detector::new(model, params)?),
            RunProtocol::TimeSeries => Base::Series(SeriesDetector::new(model, params)?),
        })
    }

    /// The task for one input and seed, and its run id.
    fn resolve(
        &self,
        input: &Input,
        protocol: RunProtocol,
        seed: u64,
        ctx: &RunContext,
        params: &Map<String, Value>,
        model: &str,
    ) -> (Result<Task, String>, String) {
        let task = match (self, input, protocol) {
            (Base::Tabular(d), Input::Table(ds), RunProtocol::Tabular(p)) => {
                resolve_detector(ds, d, p, seed).map(Task::Tabular)
            }
            (Base::Series(d), Input::Series(..), _) => d
                .with_run_seed(seed)
                .map(Task::Series)
                .map_err(BenchError::from),
            _ => unreachable!("inputs are loaded for the sweep's protocol"),
        };
        let run_id = match &task {
            Ok(Task::Tabular(d)) => ctx.run_id(
                input.sha256(),
                model,
                &d.all_params(),
                protocol.name(),
                seed,
            ),
            Ok(Task::Series(d)) => series_run_id(ctx, input.sha256(), d, seed),
            Err(_) => ctx.run_id(
                input.sha256(),
                model,
                &Value::Object(params.clone()),
                protocol.name(),
                seed,
            ),
        };
        (task.map_err(|e| e.to_string()), run_id)
    }
}

/// Expand the grid against the loaded inputs, validating every parameter
/// combination and resolving every run id (no fitting).
fn expand(
    spec_: &SweepSpec,
    grids: &[ParamGrid],
    inputs: &[Input],
    ctx: &RunContext,
) -> Result<Vec<GridPoint>, BenchError> {
    // Every combination is validated once, before any run.
    let mut bases = Vec::new();
    for (model, grid) in spec_.models.iter().zip(grids) {
        for params in combinations(grid) {
            let base = Base::new(spec_.protocol, model, &params)?;
            bases.push((model, params, base));
        }
    }
    let mut points = Vec::new();
    for (ii, input) in inputs.iter().enumerate() {
        for (model, params, base) in &bases {
            let variant = variant_label(params);
            for &seed in &spec_.seeds {
                let (task, run_id) = base.resolve(input, spec_.protocol, seed, ctx, params, model);
                points.push(GridPoint {
                    index: points.len(),
                    dataset: input.name().to_string(),
                    model: model.to_string(),
                    params: params.clone(),
                    variant: variant.clone(),
                    seed,
                    run_id,
                    input_index: ii,
                    task,
                });
            }
        }
    }
    Ok(points)
}

/// The first value that appears twice in `items`.
fn first_repeat<T: PartialEq>(items: &[T]) -> Option<&T> {
    items
        .iter()
        .enumerate()
        .find(|(i, x)| items[..*i].contains(x))
        .map(|(_, x)| x)
}

/// Check the names a sweep refers to, before any data is loaded. A name,
/// seed or parameter value listed twice would make grid points that are
/// one run counted twice, so it is refused.
fn check_spec(spec_: &SweepSpec) -> Result<(), BenchError> {
    if spec_.seeds.is_empty() || spec_.models.is_empty() || spec_.datasets.is_empty() {
        return Err(BenchError::Grid(
            "a sweep needs at least one dataset, detector and seed".into(),
        ));
    }
    let twice = |what: &str, x: &dyn std::fmt::Display| {
        BenchError::Grid(format!("{what}: `{x}` is listed twice"))
    };
    if spec_.seeds.len() as u64 > MAX_SEEDS {
        return Err(BenchError::Grid(format!(
            "seeds: {} seeds; at most {MAX_SEEDS}",
            spec_.seeds.len()
        )));
    }
    if let Some(d) = first_repeat(&spec_.datasets) {
        return Err(twice("datasets", d));
    }
    if let Some(m) = first_repeat(&spec_.models) {
        return Err(twice("detectors", m));
    }
    if let Some(s) = first_repeat(&spec_.seeds) {
        return Err(twice("seeds", s));
    }
    for m in &spec_.models {
        if !is_model(spec_.protocol, m) {
            spec(m)?;
        }
    }
    Ok(())
}

/// The manifest of a grid.
pub fn manifest(experiment: &str, protocol: RunProtocol, grid: &[GridPoint]) -> Manifest {
    Manifest {
        experiment: experiment.to_string(),
        protocol: protocol.name().to_string(),
        grid: grid
            .iter()
            .map(|p| ManifestEntry {
                run_id: p.run_id.clone(),
                dataset: p.dataset.clone(),
                model: p.model.clone(),
                variant: p.variant.clone(),
                seed: p.seed,
            })
            .collect(),
    }
}

fn failed_record(
    p: &GridPoint,
    input: &Input,
    protocol: RunProtocol,
    ctx: &RunContext,
    error: String,
) -> StoredRun {
    StoredRun::Failed(Box::new(FailedRun {
        schema: SCHEMA_ID.to_string(),
        run_id: p.run_id.clone(),
        status: crate::results::STATUS_FAILED.to_string(),
        experiment: ctx.experiment.clone(),
        anml_version: crate::VERSION.to_string(),
        dataset: p.dataset.clone(),
        dataset_sha256: input.sha256().to_string(),
        model: p.model.clone(),
        variant: p.variant.clone(),
        params: Value::Object(p.params.clone()),
        seed: p.seed,
        protocol: protocol.name().to_string(),
        error: if error.is_empty() {
            "unknown error".into()
        } else {
            error
        },
        provenance: ctx.provenance.clone(),
    }))
}

/// The error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// Execute one task and file its record (a time-series run's point scores
/// first). Returns the record, or why the run failed.
fn execute(
    p: &GridPoint,
    task: &Task,
    input: &Input,
    protocol: RunProtocol,
    ctx: &RunContext,
    store: &RunStore,
) -> Result<StoredRun, BenchError> {
    match (task, input, protocol) {
        (Task::Tabular(det), Input::Table(ds), RunProtocol::Tabular(proto)) => {
            let mut r = run(ds, det, proto, p.seed, ctx)?.result;
            r.variant = p.variant.clone();
            Ok(StoredRun::Ok(Box::new(r)))
        }
        (Task::Series(det), Input::Series(ts, sp), _) => {
            let out = run_series(ts, det, p.seed, *sp, ctx)?;
            let mut r = out.result;
            r.variant = p.variant.clone();
            store.put_scores(&p.run_id, &out.scores)?;
            Ok(StoredRun::Series(Box::new(r)))
        }
        _ => unreachable!("tasks are resolved for their input's kind"),
    }
}

/// A grid point's record, how it ended, and the invalid file it replaced.
type PointOutcome = (StoredRun, PointStatus, Option<String>);

/// Run one grid point against the store.
fn run_point(
    p: &GridPoint,
    input: &Input,
    protocol: RunProtocol,
    ctx: &RunContext,
    store: &RunStore,
    force: bool,
) -> Result<PointOutcome, BenchError> {
    let mut invalid = None;
    if !force {
        match store.get(&p.run_id)? {
            Lookup::Found(rec) if rec.is_ok() => return Ok((rec, PointStatus::Cached, None)),
            Lookup::Invalid(why) => invalid = Some(why),
            Lookup::Found(_) | Lookup::Missing => {}
        }
    }
    let rec = match &p.task {
        Err(e) => failed_record(p, input, protocol, ctx, e.clone()),
        Ok(task) => match execute(p, task, input, protocol, ctx, store) {
            Ok(rec) => rec,
            Err(e) => failed_record(p, input, protocol, ctx, chain(&e)),
        },
    };
    store.put(&rec)?;
    let status = if rec.is_ok() {
        PointStatus::Ran
    } else {
        PointStatus::Failed
    };
    Ok((rec, status, invalid))
}

/// The number of grid points `spec_` makes, after checking its names and
/// parameter values, without loading any data (what a Slurm submission
/// sizes its array by).
pub fn plan_size(spec_: &SweepSpec) -> Result<usize, BenchError> {
    checked_grids(spec_).map(|(_, size)| size)
}

/// The detectors' parameter grids and the grid's size, after checking the
/// names and values `spec_` refers to; no data is loaded.
fn checked_grids(spec_: &SweepSpec) -> Result<(Vec<ParamGrid>, usize), BenchError> {
    check_spec(spec_)?;
    let grids = model_grids(spec_)?;
    let size = grid_size(spec_, &grids)?;
    Ok((grids, size))
}

/// Load the inputs and expand the grid (every point's run id).
fn load_and_expand(
    registry: &DatasetRegistry,
    spec_: &SweepSpec,
    grids: &[ParamGrid],
    ctx: &RunContext,
) -> Result<(Vec<Input>, Vec<GridPoint>), BenchError> {
    let inputs: Vec<Input> = spec_
        .datasets
        .iter()
        .map(|d| Input::load(registry, d, spec_.protocol))
        .collect::<Result<_, _>>()?;
    let grid = expand(spec_, grids, &inputs, ctx)?;
    Ok((inputs, grid))
}

/// Whether each grid point of `spec_` (in grid order) already has a
/// completed record in `store`, as a sweep with `ctx` would find it. The
/// inputs are loaded (and so fetched into the cache) to compute the run
/// ids; nothing is run or written. A Slurm submission uses it to submit only
/// the shards that have something to run.
pub fn stored_points(
    registry: &DatasetRegistry,
    spec_: &SweepSpec,
    ctx: &RunContext,
    store: &RunStore,
) -> Result<Vec<bool>, BenchError> {
    let (grids, _) = checked_grids(spec_)?;
    load_and_expand(registry, spec_, &grids, ctx)?
        .1
        .iter()
        .map(|p| Ok(matches!(store.get(&p.run_id)?, Lookup::Found(rec) if rec.is_ok())))
        .collect()
}

/// Run the sweep (this shard's part of it) against `store`, then write its
/// reports (leaderboards, failures) into the store's directory. Names and
/// parameter values are all checked, and the inputs loaded, before any run,
/// so a typo fails fast; `on_event` hears the plan, then each finished grid
/// point.
pub fn run_sweep(
    registry: &DatasetRegistry,
    spec_: &SweepSpec,
    opts: &SweepOptions,
    ctx: &RunContext,
    store: &RunStore,
    on_event: &(dyn Fn(SweepEvent<'_>) + Sync),
) -> Result<SweepOutcome, BenchError> {
    let (grids, _) = checked_grids(spec_)?;
    if opts.jobs > MAX_JOBS {
        return Err(BenchError::flag(
            "--jobs",
            format!(
                "{} runs in flight is more than {MAX_JOBS}; 0 means one per core",
                opts.jobs
            ),
        ));
    }
    let (inputs, grid) = load_and_expand(registry, spec_, &grids, ctx)?;
    store.write_manifest(&manifest(&ctx.experiment, spec_.protocol, &grid))?;
    store.remove_stale_temp_files()?;
    let mine: Vec<&GridPoint> = grid
        .iter()
        .filter(|p| opts.shard.is_none_or(|s| s.contains(p.index)))
        .collect();
    on_event(SweepEvent::Planned {
        points: mine.len(),
        grid_size: grid.len(),
    });

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| BenchError::Threads {
            jobs: opts.jobs,
            message: e.to_string(),
        })?;
    let cancelled = || {
        opts.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    };
    let outcomes: Vec<Result<PointOutcome, BenchError>> = pool.install(|| {
        mine.par_iter()
            .map(|p| {
                if cancelled() {
                    return Err(BenchError::Interrupted { finished: 0 });
                }
                let r = run_point(
                    p,
                    &inputs[p.input_index],
                    spec_.protocol,
                    ctx,
                    store,
                    opts.force,
                );
                if let Ok((_, status, _)) = &r {
                    on_event(SweepEvent::Done(p, *status));
                }
                r
            })
            .collect()
    });
    if outcomes
        .iter()
        .any(|o| matches!(o, Err(BenchError::Interrupted { .. })))
    {
        return Err(BenchError::Interrupted {
            finished: outcomes.iter().filter(|o| o.is_ok()).count(),
        });
    }
    let (mut records, mut cached, mut ran, mut failed) = (Vec::with_capacity(mine.len()), 0, 0, 0);
    let mut replaced_invalid = Vec::new();
    for o in outcomes {
        let (rec, status, invalid) = o?;
        match status {
            PointStatus::Cached => cached += 1,
            PointStatus::Ran => ran += 1,
            PointStatus::Failed => failed += 1,
        }
        replaced_invalid.extend(invalid);
        records.push(rec);
    }
    let windows: HashMap<&str, Vec<(usize, usize)>> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::Series(ts, _) => Some((ts.name.as_str(), ts.ranges())),
            Input::Table(_) => None,
        })
        .collect();
    let reports = report::write_reports(store, &records, opts.threshold, &|name| {
        Ok(windows.get(name).cloned().unwrap_or_default())
    })?;
    Ok(SweepOutcome {
        records,
        cached,
        ran,
        failed,
        grid_size: grid.len(),
        replaced_invalid,
        reports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seeds_parse() {
        assert_eq!(parse_seeds("0-3").unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(parse_seeds("5").unwrap(), vec![5]);
        assert_eq!(parse_seeds("1, 4,7").unwrap(), vec![1, 4, 7]);
        assert!(parse_seeds("3-1").is_err());
        assert!(parse_seeds("a").is_err());
        // A huge range is a usage error, not an allocation.
        for huge in ["0-18446744073709551615", "0-10000000000", "0-100000"] {
            let e = parse_seeds(huge).unwrap_err();
            assert!(
                e.is_usage() && e.to_string().contains("at most 100000"),
                "{e}"
            );
        }
        assert_eq!(parse_seeds("1-100000").unwrap().len(), 100_000);
    }

    #[test]
    fn shards_parse_and_partition() {
        let s = Shard::parse("1/3").unwrap();
        assert_eq!((s.index, s.count), (1, 3));
        for bad in ["3/3", "0/0", "1", "a/2", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for k in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(k)).count(), 1);
        }
    }

    fn spec_with(models: &[&str], params: Value) -> SweepSpec {
        SweepSpec {
            datasets: vec!["toy-blobs".into()],
            models: models.iter().map(|s| s.to_string()).collect(),
            params: params.as_object().cloned().unwrap_or_default(),
            seeds: vec![0, 1],
            protocol: Protocol::Holdout60.into(),
        }
    }

    #[test]
    fn flat_params_apply_to_the_detectors_that_have_them() {
        let s = spec_with(
            &["isolation_forest", "hbos", "knn"],
            json!({"n_estimators": [50, 100], "knn": {"n_neighbors": [3, 5, 7]}}),
        );
        let g = model_grids(&s).unwrap();
        assert_eq!(combinations(&g[0]).len(), 2);
        assert_eq!(combinations(&g[1]).len(), 1, "hbos has no n_estimators");
        assert_eq!(combinations(&g[2]).len(), 3);
        assert_eq!(
            variant_label(&combinations(&g[2])[1]),
            "n_neighbors=5".to_string()
        );
    }

    #[test]
    fn a_parameter_no_detector_has_is_an_error() {
        let err = model_grids(&spec_with(&["hbos"], json!({"n_trees": [1]}))).unwrap_err();
        assert!(err.to_string().contains("n_trees"), "{err}");
        let err =
            model_grids(&spec_with(&["hbos"], json!({"knn": {"n_neighbors": [1]}}))).unwrap_err();
        assert!(err.to_string().contains("not one of"), "{err}");
        let err = model_grids(&spec_with(&["hbos"], json!({"n_bins": []}))).unwrap_err();
        assert!(err.to_string().contains("no values"), "{err}");
        // a flat key and a detector's own grid naming the same parameter
        let err = model_grids(&spec_with(
            &["knn"],
            json!({"n_neighbors": [3], "knn": {"n_neighbors": [5]}}),
        ))
        .unwrap_err();
        assert!(err.to_string().contains("given both"), "{err}");
    }

    #[test]
    fn a_grid_too_large_is_refused_before_it_is_expanded() {
        // 100^4 combinations would not fit in memory if expanded.
        let values: Vec<i64> = (1..=100).collect();
        let s = spec_with(
            &["knn"],
            json!({"knn": {"n_neighbors": values, "leaf_size": values, "p": values, "contamination": [0.1, 0.2]}}),
        );
        let g = model_grids(&s).unwrap();
        let e = grid_size(&s, &g).unwrap_err();
        assert!(
            e.is_usage() && e.to_string().contains("more than 1000000 points"),
            "{e}"
        );
        let mut s = spec_with(&["hbos", "knn"], json!({"knn": {"n_neighbors": [3, 5]}}));
        s.seeds = (0..10).collect();
        assert_eq!(grid_size(&s, &model_grids(&s).unwrap()).unwrap(), 30);
        s.seeds = (0..=MAX_SEEDS).collect();
        let e = check_spec(&s).unwrap_err();
        assert!(e.to_string().contains("at most 100000"), "{e}");
    }

    #[test]
    fn repeated_names_seeds_and_values_are_refused() {
        let mut s = spec_with(&["hbos", "hbos"], json!({}));
        assert!(
            check_spec(&s)
                .unwrap_err()
                .to_string()
                .contains("`hbos` is listed twice")
        );
        s.models = vec!["hbos".into()];
        s.seeds = vec![1, 2, 1];
        assert!(
            check_spec(&s)
                .unwrap_err()
                .to_string()
                .contains("`1` is listed twice")
        );
        s.seeds = vec![1];
        s.datasets = vec!["toy-blobs".into(), "toy-blobs".into()];
        assert!(check_spec(&s).unwrap_err().is_usage());
        let e = model_grids(&spec_with(&["hbos"], json!({"n_bins": [10, 10]}))).unwrap_err();
        assert!(e.to_string().contains("value 10 twice"), "{e}");
    }

    #[test]
    fn a_contamination_the_protocol_replaces_is_refused() {
        let mut s = spec_with(&["hbos", "knn"], json!({"contamination": [0.05, 0.3]}));
        assert!(
            model_grids(&s).is_ok(),
            "holdout60 keeps the caller's contamination"
        );
        s.protocol = Protocol::Pyod.into();
        let e = model_grids(&s).unwrap_err();
        assert!(
            e.is_usage() && e.to_string().contains("anomaly ratio"),
            "{e}"
        );
        s.params = json!({"knn": {"contamination": 0.2}})
            .as_object()
            .cloned()
            .unwrap();
        assert!(model_grids(&s).is_err());
    }

    #[test]
    fn too_many_jobs_is_a_flag_error() {
        let (_dir, reg, store, ctx) = sweep_env();
        let opts = SweepOptions {
            jobs: 100_000,
            ..SweepOptions::default()
        };
        let e = run_sweep(
            &reg,
            &spec_with(&["hbos"], json!({})),
            &opts,
            &ctx,
            &store,
            &|_| {},
        )
        .unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("--jobs"), "{e}");
        assert!(store.run_ids().unwrap().is_empty());
    }

    #[test]
    fn combinations_vary_the_last_key_fastest() {
        let mut g = BTreeMap::new();
        g.insert("a".to_string(), vec![json!(1), json!(2)]);
        g.insert("b".to_string(), vec![json!("x"), json!("y")]);
        let labels: Vec<String> = combinations(&g).iter().map(variant_label).collect();
        assert_eq!(labels, ["a=1,b=x", "a=1,b=y", "a=2,b=x", "a=2,b=y"]);
    }

    /// An offline registry (toy-blobs is built in), a store and a context
    /// in a fresh directory, kept alive by the returned guard.
    fn sweep_env() -> (tempfile::TempDir, DatasetRegistry, RunStore, RunContext) {
        let dir = tempfile::tempdir().unwrap();
        let reg = DatasetRegistry::new(dir.path().join("cache")).with_download(false);
        let store = RunStore::new(dir.path().join("results/exp"));
        let ctx = RunContext {
            experiment: "exp".into(),
            ..RunContext::default()
        };
        (dir, reg, store, ctx)
    }

    #[test]
    fn a_small_sweep_runs_caches_and_records_failures() {
        let (_dir, reg, store, ctx) = sweep_env();
        // n_neighbors = 10000 exceeds the training rows: that point fails.
        let s = spec_with(
            &["hbos", "knn"],
            json!({"knn": {"n_neighbors": [5, 10000]}}),
        );
        let opts = SweepOptions {
            jobs: 2,
            ..SweepOptions::default()
        };
        let first = run_sweep(&reg, &s, &opts, &ctx, &store, &|_| {}).unwrap();
        assert_eq!((first.cached, first.ran, first.failed), (0, 4, 2));
        assert_eq!(first.grid_size, 6);
        assert_eq!(first.failures()[0].variant, "n_neighbors=10000");
        let again = run_sweep(&reg, &s, &opts, &ctx, &store, &|_| {}).unwrap();
        assert_eq!((again.cached, again.ran, again.failed), (4, 0, 2));
        assert_eq!(store.run_ids().unwrap().len(), 6);
        let forced = SweepOptions {
            force: true,
            ..opts
        };
        let f = run_sweep(&reg, &s, &forced, &ctx, &store, &|_| {}).unwrap();
        assert_eq!((f.cached, f.ran), (0, 4));
    }

    #[test]
    fn a_cancelled_sweep_starts_no_run_and_says_so() {
        let (_dir, reg, store, ctx) = sweep_env();
        let s = spec_with(&["hbos", "knn"], json!({}));
        let opts = SweepOptions {
            jobs: 1,
            cancel: Some(Arc::new(AtomicBool::new(true))),
            ..SweepOptions::default()
        };
        match run_sweep(&reg, &s, &opts, &ctx, &store, &|_| {}) {
            Err(BenchError::Interrupted { finished }) => assert_eq!(finished, 0),
            other => panic!("{other:?}"),
        }
        assert!(store.run_ids().unwrap().is_empty());
        // the same sweep without the flag runs everything
        let opts = SweepOptions {
            cancel: None,
            ..opts
        };
        let out = run_sweep(&reg, &s, &opts, &ctx, &store, &|_| {}).unwrap();
        assert_eq!(out.ran, out.grid_size);
    }
}
