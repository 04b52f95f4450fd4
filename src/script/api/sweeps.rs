//! Script functions for sweeps: `sweep(#{...})` runs a grid through the
//! library's sweep engine (run store, resume, parallel runs, progress) and
//! returns a `Runs` value that scripts filter, group and print.

use crate::bench::{self, SweepSpec};
use crate::data::Protocol;
use crate::gpu::Device;
use crate::results::RunResult;
use crate::script::HostContext;
use crate::script::api::convert::{ctx_err, map_to_json, msg_err, non_negative};
use crate::script::api::tables::metric_columns;
use crate::script::types::{Runs, Table};
use rhai::{Array, Dynamic, EvalAltResult, Map, NativeCallContext};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

const SPEC_KEYS: &str = "datasets, detectors (or models), params, seeds, protocol, device";

fn strings(what: &str, d: &Dynamic) -> Result<Vec<String>, Box<EvalAltResult>> {
    if d.is_string() {
        return Ok(vec![d.to_string()]);
    }
    let a = d
        .read_lock::<Array>()
        .ok_or_else(|| msg_err(format!("sweep `{what}` must be an array of names")))?;
    a.iter()
        .map(|x| {
            if x.is_string() {
                Ok(x.to_string())
            } else {
                Err(msg_err(format!(
                    "sweep `{what}`: {} is not a name",
                    x.type_name()
                )))
            }
        })
        .collect()
}

/// The most seeds a script's range may name: the sweep engine's own bound
/// (`bench` refuses more than 100000 seeds), or the array limit if lower.
const MAX_RANGE_SEEDS: u64 = 100_000;

/// A range `start..end` (end exclusive, as i128 so `..=i64::MAX` fits)
/// checked against `max` seeds before a single seed is made.
fn seed_range(start: i64, end: i128, max: u64) -> Result<Vec<u64>, Box<EvalAltResult>> {
    let count = (end - i128::from(start)).max(0);
    if count > i128::from(max) {
        return Err(msg_err(format!(
            "sweep `seeds`: the range from {start} names {count} seeds; at most {max} \
             (the array limit, --max-array-size, and the sweep's own limit of {MAX_RANGE_SEEDS})"
        )));
    }
    (0..count)
        .map(|k| non_negative("seed", (i128::from(start) + k) as i64))
        .collect()
}

fn seeds(d: &Dynamic, max_array: usize) -> Result<Vec<u64>, Box<EvalAltResult>> {
    let max = match max_array {
        0 => MAX_RANGE_SEEDS,
        n => MAX_RANGE_SEEDS.min(n as u64),
    };
    if let Ok(i) = d.as_int() {
        return Ok(vec![non_negative("seed", i)?]);
    }
    if let Some(r) = d.read_lock::<std::ops::Range<i64>>() {
        return seed_range(r.start, i128::from(r.end), max);
    }
    if let Some(r) = d.read_lock::<std::ops::RangeInclusive<i64>>() {
        return seed_range(*r.start(), i128::from(*r.end()) + 1, max);
    }
    if let Some(a) = d.read_lock::<Array>() {
        return a
            .iter()
            .map(|x| {
                x.as_int()
                    .map_err(|t| msg_err(format!("sweep `seeds`: {t} is not an integer")))
                    .and_then(|s| non_negative("seed", s))
            })
            .collect();
    }
    Err(msg_err(
        "sweep `seeds` must be an integer, a range (0..10) or an array",
    ))
}

/// The sweep spec from a script map; unknown keys are an error.
fn spec_of(m: &Map, max_array: usize) -> Result<SweepSpec, Box<EvalAltResult>> {
    let mut spec = SweepSpec {
        datasets: Vec::new(),
        models: Vec::new(),
        params: serde_json::Map::new(),
        seeds: vec![0],
        protocol: Protocol::Holdout60.into(),
    };
    for (k, v) in m {
        match k.as_str() {
            "datasets" => spec.datasets = strings("datasets", v)?,
            "detectors" | "models" => spec.models = strings(k, v)?,
            "params" => {
                let pm = v
                    .read_lock::<Map>()
                    .ok_or_else(|| msg_err("sweep `params` must be a map"))?;
                spec.params = map_to_json(&pm)?;
            }
            "seeds" => spec.seeds = seeds(v, max_array)?,
            // Time-series sweeps run as `anml benchmark --suite nab|ucr`;
            // a script's `Runs` holds tabular results.
            "protocol" => spec.protocol = Protocol::parse(&v.to_string()).map_err(ctx_err)?.into(),
            // Where the sweep runs (`sweep_device`); not part of any run id.
            "device" => {}
            other => {
                return Err(msg_err(format!(
                    "unknown sweep key `{other}`; known: {SPEC_KEYS}"
                )));
            }
        }
    }
    if spec.datasets.is_empty() || spec.models.is_empty() {
        return Err(msg_err(format!(
            "a sweep needs `datasets` and `detectors`; keys: {SPEC_KEYS}"
        )));
    }
    Ok(spec)
}

/// The sweep map's `device:` (auto, cpu or cuda), if given.
fn sweep_device(m: &Map) -> Result<Option<Device>, Box<EvalAltResult>> {
    m.get("device")
        .map(|d| Device::parse(&d.to_string()).map_err(ctx_err))
        .transpose()
}

/// A result's field as JSON, for filtering and grouping; `label` is the
/// model with its variant.
fn field(r: &RunResult, name: &str) -> Result<Value, Box<EvalAltResult>> {
    if name == "label" {
        return Ok(Value::String(r.label()));
    }
    if let Some(v) = r.metric(name) {
        return Ok(serde_json::json!(v));
    }
    let v = r.to_value().map_err(ctx_err)?;
    v.get(name).cloned().ok_or_else(|| {
        msg_err(format!(
            "a run has no field `{name}`; try dataset, model, variant, label, seed, roc_auc"
        ))
    })
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn with_results(runs: &Runs, results: Vec<RunResult>) -> Runs {
    Runs {
        results: Arc::new(results),
        ..runs.clone()
    }
}

#[rhai::export_module]
pub mod sweeps_api {
    use super::*;

    /// Where heavy work runs from now on: "cpu", "cuda" (an NVIDIA GPU, or
    /// an error naming what is missing) or "auto" (the GPU when one can be
    /// used, else the CPU with a one-line notice). Returns the device now
    /// in use, "cpu" or "cuda". The answers are the same on every device.
    ///
    /// ```rhai
    /// print(device("auto"));   // "cuda" on a GPU machine, else "cpu"
    /// print(device("cpu"));
    /// ```
    #[rhai_fn(name = "device", return_raw)]
    pub fn set_device(name: &str) -> Result<String, Box<EvalAltResult>> {
        let d = Device::parse(name).map_err(ctx_err)?;
        if let crate::gpu::Selected::FellBack(e) = crate::gpu::select(d).map_err(ctx_err)? {
            crate::gpu::fallback_notice(&e);
        }
        Ok(crate::gpu::current().name().to_string())
    }

    /// The device heavy work runs on now: "cpu" or "cuda".
    ///
    /// ```rhai
    /// print(device());
    /// ```
    #[rhai_fn(name = "device")]
    pub fn get_device() -> String {
        crate::gpu::current().name().to_string()
    }

    /// Run a grid of benchmarks: every dataset × detector × parameter
    /// combination × seed. `params` maps a parameter to its values for
    /// every detector that has it, or a detector's name to its own grid.
    /// Runs go to `results/{experiment}/runs/{run_id}.json`; a run already
    /// there is not repeated (`--force` re-runs), failures are recorded and
    /// the sweep goes on. `--jobs` and `--shard` apply. `device:` ("cpu",
    /// "cuda" or "auto") runs this sweep there (the answers, and so the run
    /// ids, are the same on every device). Returns a `Runs`.
    ///
    /// ```rhai
    /// let runs = sweep(#{
    ///     datasets: ["toy-blobs"],
    ///     detectors: ["isolation_forest", "hbos"],
    ///     params: #{ n_estimators: [50, 100] },
    ///     seeds: 0..2,
    /// });
    /// print(runs.summary);
    /// print(runs.group_by("label"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn sweep(ctx: NativeCallContext, spec: Map) -> Result<Runs, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        let device = sweep_device(&spec)?;
        let spec = spec_of(&spec, host.limits.max_array_size)?;
        let store = bench::RunStore::new(host.workspace.results_dir().join(&host.experiment));
        let run = || {
            bench::run_sweep_observed(
                &host.datasets,
                &spec,
                &host.sweep,
                &host.run,
                &store,
                host.sweep_observer.as_ref(),
            )
        };
        let out = match device {
            Some(d) => crate::gpu::with_device(d, run).map_err(ctx_err)?,
            None => run(),
        }
        .map_err(|e| match e {
            // Ctrl-C ends the script (the REPL keeps its session).
            e @ bench::BenchError::Interrupted { .. } => Box::new(EvalAltResult::ErrorTerminated(
                e.to_string().into(),
                ctx.call_position(),
            )),
            e => ctx_err(e),
        })?;
        let results = out.results();
        for s in &spec.seeds {
            host.record_seed(*s);
        }
        for r in &results {
            host.record_dataset(&r.dataset, &r.dataset_sha256);
        }
        let failures: Vec<_> = out.failures().into_iter().cloned().collect();
        eprintln!(
            "sweep {}: {} ({})",
            host.experiment,
            out.summary(),
            store.runs_dir().display()
        );
        Ok(Runs {
            results: Arc::new(results),
            failures: Arc::new(failures),
            cached: out.cached,
            ran: out.ran,
            failed: out.failed,
        })
    }

    /// Completed runs in the value.
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }).len);
    /// ```
    #[rhai_fn(get = "len", name = "len", pure)]
    pub fn len(r: &mut Runs) -> i64 {
        r.results.len() as i64
    }

    /// Grid points found in the run store and not run again.
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }).cached);
    /// ```
    #[rhai_fn(get = "cached", pure)]
    pub fn cached(r: &mut Runs) -> i64 {
        r.cached as i64
    }

    /// Grid points run by this sweep.
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"], seeds: [7] }).ran);
    /// ```
    #[rhai_fn(get = "ran", pure)]
    pub fn ran(r: &mut Runs) -> i64 {
        r.ran as i64
    }

    /// Grid points that failed (their errors are in `failures()`).
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }).failed);
    /// ```
    #[rhai_fn(get = "failed", pure)]
    pub fn failed(r: &mut Runs) -> i64 {
        r.failed as i64
    }

    /// `N cached, M run, F failed`.
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }).summary);
    /// ```
    #[rhai_fn(get = "summary", pure)]
    pub fn summary(r: &mut Runs) -> String {
        r.summary()
    }

    /// The completed runs as an array of RunResult (without fitted models).
    ///
    /// ```rhai
    /// for r in sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }).results() {
    ///     print(r.roc_auc);
    /// }
    /// ```
    #[rhai_fn(pure)]
    pub fn results(r: &mut Runs) -> Array {
        r.results
            .iter()
            .map(|x| Dynamic::from(crate::script::types::ResultRef(Arc::new(x.clone()), None)))
            .collect()
    }

    /// The failed runs as maps: dataset, model, variant, seed, error.
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["knn"], params: #{ n_neighbors: [5, 100000] } });
    /// print(runs.failures()[0].error);
    /// ```
    #[rhai_fn(pure)]
    pub fn failures(r: &mut Runs) -> Array {
        r.failures
            .iter()
            .map(|f| {
                let mut m = Map::new();
                m.insert("dataset".into(), Dynamic::from(f.dataset.clone()));
                m.insert("model".into(), Dynamic::from(f.model.clone()));
                m.insert("variant".into(), Dynamic::from(f.variant.clone()));
                m.insert("seed".into(), Dynamic::from(f.seed as i64));
                m.insert("error".into(), Dynamic::from(f.error.clone()));
                Dynamic::from_map(m)
            })
            .collect()
    }

    /// Keep the runs for which `f(run)` is true.
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos", "knn"] });
    /// print(runs.filter(|r| r.roc_auc > 0.9).len);
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn filter_fn(
        ctx: NativeCallContext,
        r: &mut Runs,
        f: rhai::FnPtr,
    ) -> Result<Runs, Box<EvalAltResult>> {
        let mut keep = Vec::new();
        for x in r.results.iter() {
            let arg = crate::script::types::ResultRef(Arc::new(x.clone()), None);
            let ok: bool = f.call_within_context(&ctx, (arg,))?;
            if ok {
                keep.push(x.clone());
            }
        }
        Ok(with_results(r, keep))
    }

    /// Keep the runs whose `field` (dataset, model, variant, label, seed,
    /// ...) equals `value`.
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos", "knn"] });
    /// print(runs.filter("model", "knn").len);
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn filter_eq(r: &mut Runs, name: &str, value: Dynamic) -> Result<Runs, Box<EvalAltResult>> {
        let mut probe = Map::new();
        probe.insert("v".into(), value);
        let want = map_to_json(&probe)?.remove("v").unwrap_or(Value::Null);
        let mut keep = Vec::new();
        for x in r.results.iter() {
            let got = field(x, name)?;
            let equal = match (got.as_f64(), want.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => got == want,
            };
            if equal {
                keep.push(x.clone());
            }
        }
        Ok(with_results(r, keep))
    }

    /// Mean ± standard deviation of every metric per group, one row per
    /// distinct value of `field` (first-seen order).
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos", "knn"], seeds: 0..2 });
    /// print(runs.group_by("model"));
    /// ```
    #[rhai_fn(name = "group_by", return_raw, pure)]
    pub fn group_by(r: &mut Runs, name: &str) -> Result<Table, Box<EvalAltResult>> {
        group_by_fields(r, vec![Dynamic::from(name.to_string())])
    }

    /// Like `group_by(field)`, grouping by several fields.
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos", "knn"], seeds: 0..2 });
    /// print(runs.group_by(["dataset", "label"]));
    /// ```
    #[rhai_fn(name = "group_by", return_raw, pure)]
    pub fn group_by_fields(r: &mut Runs, names: Array) -> Result<Table, Box<EvalAltResult>> {
        let names: Vec<String> = names.iter().map(|d| d.to_string()).collect();
        let mut order: Vec<Vec<String>> = Vec::new();
        let mut groups: BTreeMap<Vec<String>, Vec<&RunResult>> = BTreeMap::new();
        for x in r.results.iter() {
            let key = names
                .iter()
                .map(|n| field(x, n).map(|v| text(&v)))
                .collect::<Result<Vec<_>, _>>()?;
            if !groups.contains_key(&key) {
                order.push(key.clone());
            }
            groups.entry(key).or_default().push(x);
        }
        let mut header = names.clone();
        header.push("runs".into());
        header.extend(crate::metrics::METRICS.iter().map(|m| m.column.to_string()));
        let rows = order
            .iter()
            .map(|key| {
                let g = &groups[key];
                let mut row = key.clone();
                row.push(g.len().to_string());
                row.extend(metric_columns(g));
                row
            })
            .collect();
        Ok(Table { header, rows })
    }

    /// The leaderboard: mean ROC-AUC / PR-AUC per dataset and model
    /// variant, mean over datasets, average rank and time.
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos", "knn"] }).leaderboard());
    /// ```
    #[rhai_fn(pure)]
    pub fn leaderboard(r: &mut Runs) -> Table {
        let (header, rows) = bench::Leaderboard::new(&r.results).rows();
        Table { header, rows }
    }

    /// One row per run as a Table.
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }).table());
    /// ```
    #[rhai_fn(pure)]
    pub fn table(r: &mut Runs) -> Table {
        r.table()
    }

    /// Text form: the runs table and the sweep's counts.
    ///
    /// ```rhai
    /// print(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn runs_to_string(r: &mut Runs) -> String {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_seed_range_is_refused_before_it_is_expanded() {
        for range in [
            Dynamic::from(0_i64..10_000_000_000),
            Dynamic::from(0_i64..=i64::MAX),
            Dynamic::from(i64::MIN..i64::MAX),
        ] {
            let e = seeds(&range, 0).unwrap_err().to_string();
            assert!(e.contains("at most 100000"), "{e}");
        }
        // the array limit, when lower, bounds it too
        let e = seeds(&Dynamic::from(0_i64..11), 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("names 11 seeds; at most 10"), "{e}");
        assert_eq!(seeds(&Dynamic::from(3_i64..=5), 10).unwrap(), vec![3, 4, 5]);
        let (hi, lo) = (5_i64, 3_i64);
        assert_eq!(
            seeds(&Dynamic::from(hi..lo), 10).unwrap(),
            Vec::<u64>::new()
        );
        assert!(seeds(&Dynamic::from(-1_i64..3), 10).is_err());
        let max = MAX_RANGE_SEEDS as i64;
        assert_eq!(seeds(&Dynamic::from(0..max), 0).unwrap().len(), 100_000);
    }
}
