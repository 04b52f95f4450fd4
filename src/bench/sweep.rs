//! Sweeps: a grid of runs (datasets × detectors × parameter values × seeds)
//! run in parallel against a run store, so that finished runs are never
//! repeated. The one engine behind `anml benchmark --suite` and the script
//! function `sweep`.
//!
//! - **Grid.** Datasets, then detectors, then parameter combinations (keys
//!   sorted, values in the order given), then seeds. A flat parameter key
//!   applies to every detector in the sweep that has that parameter; a key
//!   naming a detector holds a grid for that detector alone.
//! - **Resume.** Every grid point gets its run id before anything runs; a
//!   point whose `ok` record is in the store is counted as cached and not
//!   run again (unless `force`). Failed runs are recorded and re-tried.
//! - **Shards.** `--shard i/N` takes grid points `i, i+N, i+2N, …`: disjoint
//!   slices that together cover the grid, each with the same run ids and
//!   records as an unsharded run.

use super::store::{Lookup, Manifest, ManifestEntry, RunStore};
use super::{BenchError, RunContext, resolve_detector, run};
use crate::data::{DataError, Dataset, DatasetRegistry, Protocol};
use crate::detectors::{Detector, spec};
use crate::results::{FailedRun, SCHEMA_ID, StoredRun};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What to run.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    pub datasets: Vec<String>,
    pub models: Vec<String>,
    /// Parameter grid: `name: [values]` for every detector that has the
    /// parameter, or `detector: { name: [values] }` for one detector. A
    /// value that is not an array is a single value.
    pub params: Map<String, Value>,
    pub seeds: Vec<u64>,
    pub protocol: Protocol,
}

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
        let bad = || {
            BenchError::Suite(format!(
                "shard `{s}`: expected i/N with 0 <= i < N, e.g. 0/4"
            ))
        };
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

/// Seeds as `A-B` (inclusive range) or a comma list `1,4,7`.
pub fn parse_seeds(s: &str) -> Result<Vec<u64>, DataError> {
    let bad = || {
        DataError::Split(format!(
            "seeds `{s}`: expected A-B or a comma list, e.g. 0-9"
        ))
    };
    if let Some((a, b)) = s.split_once('-') {
        let a: u64 = a.trim().parse().map_err(|_| bad())?;
        let b: u64 = b.trim().parse().map_err(|_| bad())?;
        if b < a {
            return Err(bad());
        }
        return Ok((a..=b).collect());
    }
    s.split(',')
        .map(|t| t.trim().parse::<u64>().map_err(|_| bad()))
        .collect()
}

/// One point of the expanded grid.
#[derive(Debug, Clone)]
pub struct GridPoint {
    /// Position in the whole grid (before sharding).
    pub index: usize,
    pub dataset: String,
    pub model: String,
    /// The parameters this point sets (the grid's values).
    pub params: Map<String, Value>,
    pub variant: String,
    pub seed: u64,
    pub run_id: String,
    dataset_index: usize,
    /// The resolved detector, or why the parameters are invalid.
    detector: Result<Detector, String>,
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

/// The records of this shard's grid points in grid order, with counts.
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
}

impl SweepOutcome {
    /// Completed results in grid order.
    pub fn results(&self) -> Vec<crate::results::RunResult> {
        self.records
            .iter()
            .filter_map(|r| r.as_ok().cloned())
            .collect()
    }

    pub fn failures(&self) -> Vec<&FailedRun> {
        self.records
            .iter()
            .filter_map(|r| match r {
                StoredRun::Failed(f) => Some(f.as_ref()),
                StoredRun::Ok(_) => None,
            })
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

/// The parameters `model` accepts.
fn accepts(model: &str, param: &str) -> bool {
    param == "contamination"
        || spec(model)
            .ok()
            .and_then(|s| s.default_params().get(param).map(|_| ()))
            .is_some()
}

/// Each model's own grid: `name -> values`, keys sorted.
fn model_grids(spec_: &SweepSpec) -> Result<Vec<BTreeMap<String, Vec<Value>>>, BenchError> {
    let mut grids = vec![BTreeMap::new(); spec_.models.len()];
    for (key, value) in &spec_.params {
        if let Some(pos) = spec_.models.iter().position(|m| m == key) {
            let Value::Object(own) = value else {
                return Err(BenchError::Suite(format!(
                    "params.{key}: a detector's own grid must be a map of parameter to values"
                )));
            };
            for (p, vals) in own {
                grids[pos].insert(p.clone(), as_values(vals));
            }
            continue;
        }
        if spec(key).is_ok() {
            return Err(BenchError::Suite(format!(
                "params.{key}: `{key}` is a detector but not one of this sweep's ({})",
                spec_.models.join(", ")
            )));
        }
        let mut used = false;
        for (pos, m) in spec_.models.iter().enumerate() {
            if accepts(m, key) {
                grids[pos]
                    .entry(key.clone())
                    .or_insert_with(|| as_values(value));
                used = true;
            }
        }
        if !used {
            return Err(BenchError::Suite(format!(
                "params.{key}: no detector in this sweep ({}) has a parameter `{key}`",
                spec_.models.join(", ")
            )));
        }
    }
    for (g, m) in grids.iter().zip(&spec_.models) {
        if let Some((k, _)) = g.iter().find(|(_, v)| v.is_empty()) {
            return Err(BenchError::Suite(format!(
                "params: `{k}` for {m} has no values"
            )));
        }
    }
    Ok(grids)
}

/// Every combination of a grid, in order (the last key varies fastest).
fn combinations(grid: &BTreeMap<String, Vec<Value>>) -> Vec<Map<String, Value>> {
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

/// Expand the grid against loaded datasets, resolving every detector and
/// run id (no fitting).
pub fn expand(
    spec_: &SweepSpec,
    datasets: &[Dataset],
    ctx: &RunContext,
) -> Result<Vec<GridPoint>, BenchError> {
    // Unknown detector names fail the whole sweep up front.
    for m in &spec_.models {
        spec(m)?;
    }
    let grids = model_grids(spec_)?;
    let mut points = Vec::new();
    for (di, ds) in datasets.iter().enumerate() {
        for (model, grid) in spec_.models.iter().zip(&grids) {
            for params in combinations(grid) {
                let variant = variant_label(&params);
                let base = Detector::new(model, &params).map_err(|e| e.to_string());
                for &seed in &spec_.seeds {
                    let detector = base.clone().and_then(|d| {
                        resolve_detector(ds, &d, spec_.protocol, seed).map_err(|e| e.to_string())
                    });
                    let key_params = match &detector {
                        Ok(d) => d.all_params(),
                        Err(_) => Value::Object(params.clone()),
                    };
                    let run_id = ctx.run_id(&ds.sha256, model, &key_params, spec_.protocol, seed);
                    points.push(GridPoint {
                        index: points.len(),
                        dataset: ds.name.clone(),
                        model: model.clone(),
                        params: params.clone(),
                        variant: variant.clone(),
                        seed,
                        run_id,
                        dataset_index: di,
                        detector,
                    });
                }
            }
        }
    }
    Ok(points)
}

/// The manifest of a grid.
pub fn manifest(experiment: &str, protocol: Protocol, grid: &[GridPoint]) -> Manifest {
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
    ds: &Dataset,
    protocol: Protocol,
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
        dataset_sha256: ds.sha256.clone(),
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

/// A grid point's record, how it ended, and the invalid file it replaced.
type PointOutcome = (StoredRun, PointStatus, Option<String>);

/// Run one grid point against the store.
fn run_point(
    p: &GridPoint,
    ds: &Dataset,
    protocol: Protocol,
    ctx: &RunContext,
    store: &RunStore,
    force: bool,
) -> Result<PointOutcome, BenchError> {
    let mut invalid = None;
    if !force {
        match store.get(&p.run_id)? {
            Lookup::Found(rec @ StoredRun::Ok(_)) => return Ok((rec, PointStatus::Cached, None)),
            Lookup::Invalid(why) => invalid = Some(why),
            Lookup::Found(StoredRun::Failed(_)) | Lookup::Missing => {}
        }
    }
    let rec = match &p.detector {
        Err(e) => failed_record(p, ds, protocol, ctx, e.clone()),
        Ok(det) => match run(ds, det, protocol, p.seed, ctx) {
            Ok(o) => {
                let mut r = o.result;
                r.variant = p.variant.clone();
                StoredRun::Ok(Box::new(r))
            }
            Err(e) => failed_record(p, ds, protocol, ctx, chain(&e)),
        },
    };
    store.put(&rec)?;
    let status = match rec {
        StoredRun::Ok(_) => PointStatus::Ran,
        StoredRun::Failed(_) => PointStatus::Failed,
    };
    Ok((rec, status, invalid))
}

/// Run the sweep (this shard's part of it) against `store`. Datasets and
/// detector names are all resolved before any run, so a typo fails fast;
/// `on_event` hears the plan, then each finished grid point.
pub fn run_sweep(
    registry: &DatasetRegistry,
    spec_: &SweepSpec,
    opts: &SweepOptions,
    ctx: &RunContext,
    store: &RunStore,
    on_event: &(dyn Fn(SweepEvent<'_>) + Sync),
) -> Result<SweepOutcome, BenchError> {
    if spec_.seeds.is_empty() || spec_.models.is_empty() || spec_.datasets.is_empty() {
        return Err(BenchError::Suite(
            "a sweep needs at least one dataset, detector and seed".into(),
        ));
    }
    let datasets: Vec<Dataset> = spec_
        .datasets
        .iter()
        .map(|d| registry.load(d))
        .collect::<Result<_, _>>()?;
    let grid = expand(spec_, &datasets, ctx)?;
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
        .map_err(|e| {
            BenchError::Suite(format!("cannot start {} worker threads: {e}", opts.jobs))
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
                    &datasets[p.dataset_index],
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
    let mut out = SweepOutcome {
        records: Vec::with_capacity(mine.len()),
        cached: 0,
        ran: 0,
        failed: 0,
        grid_size: grid.len(),
        replaced_invalid: Vec::new(),
    };
    for o in outcomes {
        let (rec, status, invalid) = o?;
        match status {
            PointStatus::Cached => out.cached += 1,
            PointStatus::Ran => out.ran += 1,
            PointStatus::Failed => out.failed += 1,
        }
        out.replaced_invalid.extend(invalid);
        out.records.push(rec);
    }
    Ok(out)
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
            protocol: Protocol::Holdout60,
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
