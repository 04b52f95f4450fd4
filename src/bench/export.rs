//! Export a run store as an MLflow file store (`anml results export DIR
//! --mlflow PATH`), so the runs show up in the tracker most labs already
//! run. The layout is MLflow's `FileStore` (mlflow/store/tracking/
//! file_store.py, read with mlflow 3.x, which needs
//! `MLFLOW_ALLOW_FILE_STORE=true`):
//!
//! ```text
//! PATH/0/meta.yaml                      the Default experiment MLflow expects
//! PATH/.trash/
//! PATH/<experiment_id>/meta.yaml        name = the anml experiment
//! PATH/<experiment_id>/<run_uuid>/meta.yaml
//!     params/<key>  metrics/<key> ("<timestamp_ms> <value> <step>")
//!     tags/<key>    artifacts/<run_id>.json (+ the store's other files
//!                   for the run, e.g. <run_id>.scores.npy)
//! ```
//!
//! One MLflow run per record. Completed runs are FINISHED; failed runs are
//! exported too, FAILED, with their error in the `anml.error` tag and no
//! metrics, so a sweep's failures are visible where its results are.
//! Params: `model`, `model_version`, `dataset` (`series` for time series),
//! `seed`, `protocol`, `n_train`, `n_test` (tabular), `window` (series),
//! `variant` (when swept) and every detector parameter as `params.<key>`
//! (nested keys joined by dots; values as JSON text, strings bare).
//! Metrics: every tabular metric of the metric table under its record key,
//! the Youden `threshold` when finite, `fit_time` and `score_time`; a
//! time-series run's `metrics` object flattened with dots (`vus.roc`, …;
//! nulls skipped) and `run_time`. Tags: `anml.run_id`,
//! `anml.dataset_sha256`, `anml.artefact_digest` (tabular), `anml.version`,
//! `anml.experiment`, `anml.status`, `mlflow.runName` (`model[variant] on
//! dataset seed N`).
//!
//! Reproducible and idempotent: the MLflow run id is the first 32 hex
//! digits of the anml run id, the experiment id a number derived from the
//! SHA-256 of the experiment name, and the times are not the export's: anml
//! records carry no clock time (they are byte-identical across reruns), so
//! a run starts at the Unix epoch and ends fit + score (or run) time later,
//! which makes MLflow's duration column the run's compute time. Exporting
//! again rewrites the same files (and removes param, metric and tag files
//! a run no longer has), never a second run. Every file is written
//! atomically. Refused: PATH inside the run store, a PATH that is not
//! empty and not an MLflow file store, an experiment id that PATH already
//! uses for another name, and a run directory that holds another run.

use super::BenchError;
use super::store::{Lookup, RunStore, is_run_id};
use crate::results::StoredRun;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// MLflow's `RunStatus` as its file store writes it.
const STATUS_FINISHED: u8 = 3;
const STATUS_FAILED: u8 = 4;
/// MLflow's `SourceType.LOCAL`.
const SOURCE_LOCAL: u8 = 4;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("--mlflow {}: {reason}", path.display())]
    Refused { path: PathBuf, reason: String },
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("run store {}: {message}", dir.display())]
    Store { dir: PathBuf, message: String },
}

impl ExportError {
    /// Refusals are about what was asked (exit 2); I/O is not.
    pub fn is_usage(&self) -> bool {
        matches!(self, ExportError::Refused { .. })
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |e| ExportError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Experiment name → MLflow experiment id.
    pub experiments: BTreeMap<String, String>,
    /// Runs written for the first time.
    pub created: usize,
    /// Runs that were already in the store and were rewritten.
    pub updated: usize,
    /// Of all runs, those exported as FAILED.
    pub failed: usize,
}

/// The MLflow experiment id of an anml experiment: the first 15 hex digits
/// of SHA-256("anml-experiment:" + name) as a decimal number (MLflow's
/// own ids are decimal numbers too), never "0" (the Default experiment).
pub fn experiment_id(name: &str) -> String {
    let h = crate::hashing::sha256_hex(format!("anml-experiment:{name}").as_bytes());
    let n = u64::from_str_radix(&h[..15], 16).unwrap_or(0);
    (n.max(1)).to_string()
}

/// The MLflow run id of an anml run: its first 32 hex digits (a run id of
/// another shape, which a valid store never holds, is hashed first).
pub fn mlflow_run_id(run_id: &str) -> String {
    if is_run_id(run_id) {
        run_id[..32].to_string()
    } else {
        crate::hashing::sha256_hex(run_id.as_bytes())[..32].to_string()
    }
}

/// A YAML single-quoted scalar.
fn yq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `file://` URI of an absolute path, percent-encoding all but unreserved
/// characters and `/` (as Python's `pathlib.Path.as_uri`).
fn file_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path` made absolute and free of `.`/`..` and symlinks as far as it
/// exists (the rest appended), so two spellings compare equal.
fn resolve(path: &Path) -> Result<PathBuf, ExportError> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(io(path))?.join(path)
    };
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut p = c;
            for r in rest.iter().rev() {
                p.push(r);
            }
            return Ok(p);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return Ok(abs),
        }
    }
}

fn experiment_meta(id: &str, name: &str, root: &Path) -> String {
    format!(
        "artifact_location: {}\ncreation_time: 0\nexperiment_id: {}\nlast_update_time: 0\nlifecycle_stage: active\nname: {}\n",
        yq(&file_uri(&root.join(id))),
        yq(id),
        yq(name)
    )
}

/// The `name:` of an experiment's meta.yaml, as the export writes it (or
/// any plain/quoted scalar MLflow writes).
fn meta_name(text: &str) -> Option<String> {
    let line = text.lines().find_map(|l| l.strip_prefix("name: "))?;
    let v = line.trim();
    Some(
        if let Some(q) = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            q.replace("''", "'")
        } else if let Some(q) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            q.to_string()
        } else {
            v.to_string()
        },
    )
}

/// One run's MLflow content.
struct RunExport {
    experiment: String,
    run_name: String,
    status: u8,
    end_time: u64,
    params: BTreeMap<String, String>,
    metrics: BTreeMap<String, f64>,
    tags: BTreeMap<String, String>,
}

fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flatten_params(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                flatten_params(&format!("{prefix}.{k}"), x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), json_text(other));
        }
    }
}

fn flatten_metrics(prefix: &str, v: &Value, out: &mut BTreeMap<String, f64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_metrics(&key, x, out);
            }
        }
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                out.insert(prefix.to_string(), f);
            }
        }
        _ => {}
    }
}

fn millis(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1000.0).round() as u64
    } else {
        0
    }
}

fn run_export(rec: &StoredRun) -> Result<RunExport, ExportError> {
    let v = rec.to_value().map_err(|e| ExportError::Store {
        dir: PathBuf::new(),
        message: e.to_string(),
    })?;
    let s = |k: &str| v.get(k).map(json_text).unwrap_or_default();
    let mut params = BTreeMap::new();
    let mut metrics = BTreeMap::new();
    let mut tags = BTreeMap::new();
    flatten_params("params", &v["params"], &mut params);
    params.retain(|k, _| k != "params");
    for k in ["model", "model_version", "seed", "window"] {
        if let Some(x) = v.get(k) {
            params.insert(k.to_string(), json_text(x));
        }
    }
    if !s("variant").is_empty() {
        params.insert("variant".into(), s("variant"));
    }
    tags.insert("anml.run_id".into(), s("run_id"));
    tags.insert("anml.version".into(), s("anml_version"));
    tags.insert("anml.experiment".into(), s("experiment"));
    tags.insert("anml.status".into(), s("status"));
    let (dataset, status, end_time) = match rec {
        StoredRun::Ok(r) => {
            params.insert("protocol".into(), r.split.protocol.clone());
            params.insert("n_train".into(), r.split.n_train.to_string());
            params.insert("n_test".into(), r.split.n_test.to_string());
            for m in crate::metrics::METRICS {
                if let Some(x) = r.metric(m.field).filter(|x| x.is_finite()) {
                    metrics.insert(m.field.to_string(), x);
                }
            }
            if let Some(t) = v.get("threshold").and_then(Value::as_f64) {
                metrics.insert("threshold".into(), t);
            }
            metrics.insert("fit_time".into(), r.fit_time);
            metrics.insert("score_time".into(), r.score_time);
            tags.insert("anml.dataset_sha256".into(), r.dataset_sha256.clone());
            tags.insert("anml.artefact_digest".into(), r.artefact_digest.clone());
            (
                r.dataset.clone(),
                STATUS_FINISHED,
                millis(r.fit_time + r.score_time),
            )
        }
        StoredRun::Series(r) => {
            params.insert("series".into(), r.series.clone());
            params.insert("protocol".into(), "timeseries".into());
            flatten_metrics("", &v["metrics"], &mut metrics);
            metrics.insert("run_time".into(), r.run_time);
            tags.insert("anml.dataset_sha256".into(), r.series_sha256.clone());
            (r.series.clone(), STATUS_FINISHED, millis(r.run_time))
        }
        StoredRun::Failed(f) => {
            params.insert("protocol".into(), f.protocol.clone());
            tags.insert("anml.dataset_sha256".into(), f.dataset_sha256.clone());
            tags.insert("anml.error".into(), f.error.clone());
            (f.dataset.clone(), STATUS_FAILED, 0)
        }
    };
    if !matches!(rec, StoredRun::Series(_)) {
        params.insert("dataset".into(), dataset.clone());
    }
    let (_, label, seed) = rec.sort_key();
    let run_name = format!("{label} on {dataset} seed {seed}");
    tags.insert("mlflow.runName".into(), run_name.clone());
    Ok(RunExport {
        experiment: s("experiment"),
        run_name,
        status,
        end_time,
        params,
        metrics,
        tags,
    })
}

fn write(path: &Path, text: &str) -> Result<(), ExportError> {
    crate::atomic_file::write(path, text.as_bytes()).map_err(io(path))
}

/// Write `files` (name → content) into `dir` and remove any other plain
/// file there (a param, metric or tag the run no longer has).
fn write_folder(dir: &Path, files: &BTreeMap<String, String>) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (k, text) in files {
        write(&dir.join(k), text)?;
    }
    for e in std::fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && !files.contains_key(&name) && e.path().is_file() {
            std::fs::remove_file(e.path()).map_err(io(&e.path()))?;
        }
    }
    Ok(())
}

/// Names MLflow accepts for params, metrics and tags that are also safe as
/// one file name: alphanumerics, `_ - . ` (no `/`, which would nest).
fn safe_key(k: &str) -> bool {
    !k.is_empty()
        && k != "."
        && k != ".."
        && !k.starts_with('.')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c))
}

fn check_keys<T>(run_id: &str, what: &str, m: &BTreeMap<String, T>) -> Result<(), ExportError> {
    match m.keys().find(|k| !safe_key(k)) {
        Some(k) => Err(ExportError::Store {
            dir: PathBuf::new(),
            message: format!("run {run_id}: {what} `{k}` is not a name MLflow accepts"),
        }),
        None => Ok(()),
    }
}

/// Export every record of `store` into the MLflow file store at `path`.
pub fn export_mlflow(store: &RunStore, path: &Path) -> Result<ExportSummary, BenchError> {
    Ok(export(store, path)?)
}

fn export(store: &RunStore, path: &Path) -> Result<ExportSummary, ExportError> {
    let refuse = |reason: String| ExportError::Refused {
        path: path.to_path_buf(),
        reason,
    };
    if !store.runs_dir().is_dir() {
        return Err(ExportError::Store {
            dir: store.dir().to_path_buf(),
            message: "not a run store (it has no runs/ directory)".into(),
        });
    }
    let root = resolve(path)?;
    let store_dir = resolve(store.dir())?;
    if root.starts_with(&store_dir) {
        return Err(refuse(format!(
            "is inside the run store {}; choose a path outside it",
            store.dir().display()
        )));
    }
    if store_dir.starts_with(&root) {
        return Err(refuse(format!(
            "contains the run store {}; choose a path of its own",
            store.dir().display()
        )));
    }
    if root.exists() {
        if !root.is_dir() {
            return Err(refuse("exists and is not a directory".into()));
        }
        let empty = std::fs::read_dir(&root)
            .map_err(io(&root))?
            .next()
            .is_none();
        if !empty && !root.join("0").join("meta.yaml").is_file() {
            return Err(refuse(
                "exists and is neither empty nor an MLflow file store (no 0/meta.yaml)".into(),
            ));
        }
    }

    // Read every record first: nothing is written if one is unreadable.
    let ids = store.run_ids().map_err(|e| ExportError::Store {
        dir: store.dir().to_path_buf(),
        message: e.to_string(),
    })?;
    let mut runs = Vec::with_capacity(ids.len());
    for id in &ids {
        match store.get(id) {
            Ok(Lookup::Found(rec)) => {
                let text =
                    std::fs::read_to_string(store.path_of(id)).map_err(io(&store.path_of(id)))?;
                let e = run_export(&rec)?;
                check_keys(id, "parameter", &e.params)?;
                check_keys(id, "metric", &e.metrics)?;
                check_keys(id, "tag", &e.tags)?;
                runs.push((id.clone(), rec, text, e));
            }
            Ok(Lookup::Invalid(m)) => {
                return Err(ExportError::Store {
                    dir: store.dir().to_path_buf(),
                    message: m,
                });
            }
            Ok(Lookup::Missing) => {}
            Err(e) => {
                return Err(ExportError::Store {
                    dir: store.dir().to_path_buf(),
                    message: e.to_string(),
                });
            }
        }
    }

    let mut summary = ExportSummary::default();
    for (_, _, _, e) in &runs {
        summary
            .experiments
            .entry(e.experiment.clone())
            .or_insert_with(|| experiment_id(&e.experiment));
    }
    // Check the experiments and run folders before writing anything.
    for (name, id) in &summary.experiments {
        let meta = root.join(id).join("meta.yaml");
        if let Ok(text) = std::fs::read_to_string(&meta)
            && meta_name(&text).as_deref() != Some(name.as_str())
        {
            return Err(refuse(format!(
                "experiment id {id} is already used there by experiment `{}`, not `{name}`",
                meta_name(&text).unwrap_or_default()
            )));
        }
    }
    for (run_id, _, _, e) in &runs {
        let dir = root
            .join(&summary.experiments[&e.experiment])
            .join(mlflow_run_id(run_id));
        // Ours: tagged with this run id, or untagged and unlisted (no
        // meta.yaml) — what an export killed before its first tag leaves.
        let foreign = match std::fs::read_to_string(dir.join("tags").join("anml.run_id")) {
            Ok(tag) => tag != *run_id,
            Err(_) => dir.join("meta.yaml").exists(),
        };
        if dir.exists() && foreign {
            return Err(refuse(format!(
                "{} holds a run that is not anml run {run_id}",
                dir.display()
            )));
        }
    }

    if !root.join("0").join("meta.yaml").is_file() {
        write(
            &root.join("0").join("meta.yaml"),
            &experiment_meta("0", "Default", &root),
        )?;
    }
    std::fs::create_dir_all(root.join(".trash")).map_err(io(&root))?;
    for (name, id) in &summary.experiments {
        write(
            &root.join(id).join("meta.yaml"),
            &experiment_meta(id, name, &root),
        )?;
    }
    // The runs folder read once (not once per run): each run's files
    // besides its record, by the run id their names start with.
    let mut extras: BTreeMap<String, Vec<(String, PathBuf)>> = BTreeMap::new();
    for f in std::fs::read_dir(store.runs_dir())
        .map_err(io(&store.runs_dir()))?
        .flatten()
    {
        let name = f.file_name().to_string_lossy().into_owned();
        if let Some((id, rest)) = name.split_once('.')
            && rest != "json"
            && f.path().is_file()
        {
            extras
                .entry(id.to_string())
                .or_default()
                .push((name.clone(), f.path()));
        }
    }
    for list in extras.values_mut() {
        list.sort();
    }
    for (run_id, rec, text, e) in &runs {
        let exp_id = &summary.experiments[&e.experiment];
        let uuid = mlflow_run_id(run_id);
        let dir = root.join(exp_id).join(&uuid);
        if dir.join("meta.yaml").is_file() {
            summary.updated += 1;
        } else {
            summary.created += 1;
        }
        if !rec.is_ok() {
            summary.failed += 1;
        }
        let params: BTreeMap<String, String> = e.params.clone();
        let metrics: BTreeMap<String, String> = e
            .metrics
            .iter()
            .map(|(k, v)| (k.clone(), format!("{} {v:?} 0\n", e.end_time)))
            .collect();
        // tags first: they claim the folder (anml.run_id) for a re-export
        // after an interruption; meta.yaml last lists the run
        write_folder(&dir.join("tags"), &e.tags)?;
        write_folder(&dir.join("params"), &params)?;
        write_folder(&dir.join("metrics"), &metrics)?;
        let artifacts = dir.join("artifacts");
        write(&artifacts.join(format!("{run_id}.json")), text)?;
        // The store's other files for this run (point scores, figures).
        for (name, path) in extras.get(run_id.as_str()).into_iter().flatten() {
            let bytes = std::fs::read(path).map_err(io(path))?;
            crate::atomic_file::write(&artifacts.join(name), &bytes)
                .map_err(io(&artifacts.join(name)))?;
        }
        // meta.yaml last: until it is there MLflow does not list the run.
        let meta = format!(
            "artifact_uri: {}\nend_time: {}\nentry_point_name: ''\nexperiment_id: {}\nlifecycle_stage: active\nrun_id: {}\nrun_name: {}\nsource_name: ''\nsource_type: {SOURCE_LOCAL}\nsource_version: ''\nstart_time: 0\nstatus: {}\ntags: []\nuser_id: anml\n",
            yq(&file_uri(&artifacts)),
            e.end_time,
            yq(exp_id),
            uuid,
            yq(&e.run_name),
            e.status
        );
        write(&dir.join("meta.yaml"), &meta)?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_mlflow_shaped() {
        let a = experiment_id("odds");
        assert_eq!(a, experiment_id("odds"));
        assert_ne!(a, experiment_id("odds2"));
        assert!(a.bytes().all(|b| b.is_ascii_digit()) && a != "0");
        let rid = "ab".repeat(32);
        assert_eq!(mlflow_run_id(&rid), "ab".repeat(16));
        assert_eq!(mlflow_run_id("x").len(), 32);
    }

    #[test]
    fn yaml_and_uri_quoting() {
        assert_eq!(yq("it's"), "'it''s'");
        assert_eq!(meta_name("a: 1\nname: 'it''s'\n").as_deref(), Some("it's"));
        assert_eq!(meta_name("name: Default\n").as_deref(), Some("Default"));
        assert_eq!(file_uri(Path::new("/a b/c")), "file:///a%20b/c");
    }

    #[test]
    fn flattening() {
        let mut p = BTreeMap::new();
        flatten_params(
            "params",
            &serde_json::json!({"n": 3, "k": "auto", "sub": {"a": [1, 2]}}),
            &mut p,
        );
        assert_eq!(p["params.n"], "3");
        assert_eq!(p["params.k"], "auto");
        assert_eq!(p["params.sub.a"], "[1,2]");
        let mut m = BTreeMap::new();
        flatten_metrics(
            "",
            &serde_json::json!({"vus": {"roc": 0.5, "pr": null}, "nab": 1}),
            &mut m,
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m["vus.roc"], 0.5);
    }
}
