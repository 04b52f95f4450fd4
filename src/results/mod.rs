//! Result files: the per-run record, its JSON Schema, the hardware
//! descriptor, the canonical run id, and the validated atomic write.
//!
//! A result is validated against `src/resources/results-schema.json` before
//! it is written; an invalid result is an error and nothing is written.

mod canonical;
mod failed;
mod hardware;
mod provenance;
mod schema;
mod series;

pub use canonical::{RunKey, canonical_json};
pub use failed::{FailedRun, STATUS_FAILED, StoredRun};
pub use hardware::Hardware;
pub use provenance::{
    GitInfo, LOCATION_FLAGS, Provenance, SLURM_FIELD, SLURM_FLAGS, ScriptInfo, SlurmInfo, git_info,
    recorded_argv, strip_flags,
};
pub use schema::{SCHEMA_ID, SCHEMA_JSON, validate, violations};
pub use series::{KIND_TIMESERIES, NabScores, SeriesMetrics, SeriesRunResult};

use crate::data::SplitInfo;
use crate::metrics::{self, Scorecard};
use crate::thresholds::ThresholdScores;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ResultError {
    #[error("result does not match the results schema: {0}")]
    Schema(String),
    #[error("cannot serialise result: {0}")]
    Serialise(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Wall time per 1,000 samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimePer1000 {
    pub fit: f64,
    pub score: f64,
}

/// `model` or `model[variant]`: how a run is named in tables and messages.
pub fn label(model: &str, variant: &str) -> String {
    if variant.is_empty() {
        model.to_string()
    } else {
        format!("{model}[{variant}]")
    }
}

/// A record as pretty JSON with a trailing newline, after validating it
/// against the schema.
pub(crate) fn validated_json(v: &Value) -> Result<String, ResultError> {
    validate(v)?;
    let mut s =
        serde_json::to_string_pretty(v).map_err(|e| ResultError::Serialise(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

/// The `status` of a completed run.
pub const STATUS_OK: &str = "ok";

/// One benchmark run, in the field order of the JSON file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub run_id: String,
    /// Always [`STATUS_OK`]; a failed run is a [`FailedRun`].
    pub status: String,
    pub experiment: String,
    pub anml_version: String,
    pub dataset: String,
    pub dataset_sha256: String,
    pub n_samples: usize,
    pub model: String,
    pub model_version: String,
    /// The swept parameters that distinguish this run within its sweep,
    /// as `name=value` pairs (empty outside a parameter sweep).
    pub variant: String,
    pub params: Value,
    pub seed: u64,
    pub split: SplitInfo,
    /// Every tabular metric, one field each in the order of the metric
    /// table (`metrics::METRICS`), plus the Youden `threshold` (`null` for
    /// +inf); read them as `result.roc_auc` (through `Deref`) or by name
    /// with [`RunResult::metric`].
    #[serde(flatten)]
    pub metrics: Scorecard,
    /// Every threshold method (`thresholds::METHODS`): the threshold fitted
    /// on the training scores and the precision, recall and F1 it gives on
    /// the test scores. Written by every new run; absent from records made
    /// before it existed (read back as empty, and then not written).
    #[serde(default, skip_serializing_if = "ThresholdScores::is_empty")]
    pub thresholds: ThresholdScores,
    pub fit_time: f64,
    pub score_time: f64,
    pub time_per_1000: TimePer1000,
    pub artefact_digest: String,
    pub provenance: Provenance,
    pub hardware: Hardware,
}

/// The fields that legitimately differ between two runs of the same inputs.
/// (`run_time` is a time-series record's wall time.)
pub const NONDETERMINISTIC_FIELDS: &[&str] = &[
    "fit_time",
    "score_time",
    "time_per_1000",
    "run_time",
    "hardware",
];

/// Columns of [`RunResult::table_row`] before the metrics.
const ROW_LEADING: [&str; 5] = ["dataset", "model", "seed", "n_train", "n_test"];
/// Columns of [`RunResult::table_row`] after the metrics.
const ROW_TRAILING: [&str; 2] = ["fit s", "score s"];
const ROW_LEN: usize = ROW_LEADING.len() + metrics::N_TABULAR + ROW_TRAILING.len();

/// The leading columns, every tabular metric's column, the trailing ones.
const fn table_header() -> [&'static str; ROW_LEN] {
    let mut h = [""; ROW_LEN];
    let mut i = 0;
    while i < ROW_LEADING.len() {
        h[i] = ROW_LEADING[i];
        i += 1;
    }
    let mut j = 0;
    while j < metrics::N_TABULAR {
        h[i + j] = metrics::TABULAR_COLUMNS[j];
        j += 1;
    }
    let mut k = 0;
    while k < ROW_TRAILING.len() {
        h[i + j + k] = ROW_TRAILING[k];
        k += 1;
    }
    h
}

const TABLE_HEADER: [&str; ROW_LEN] = table_header();

/// A run's metrics read as fields: `result.roc_auc`, `result.threshold`.
impl std::ops::Deref for RunResult {
    type Target = Scorecard;

    fn deref(&self) -> &Scorecard {
        &self.metrics
    }
}

impl RunResult {
    /// Column names of [`Self::table_row`]: the run, every tabular metric
    /// (table order), the times.
    pub const TABLE_HEADER: &'static [&'static str] = &TABLE_HEADER;

    /// The run as one row of a results table (metrics to four decimals).
    pub fn table_row(&self) -> Vec<String> {
        let mut row = vec![
            self.dataset.clone(),
            self.model.clone(),
            self.seed.to_string(),
            self.split.n_train.to_string(),
            self.split.n_test.to_string(),
        ];
        row.extend(self.metrics.values().iter().map(|v| format!("{v:.4}")));
        row.push(format!("{:.4}", self.fit_time));
        row.push(format!("{:.4}", self.score_time));
        row
    }

    /// The value of the tabular metric whose name or record field is
    /// `name` (`roc_auc`, `f1`, `f1_at_youden`, …).
    pub fn metric(&self, name: &str) -> Option<f64> {
        let i = metrics::METRICS
            .iter()
            .position(|m| m.field == name || m.name == name)?;
        self.metrics.values().get(i).copied()
    }

    /// The leaderboard column: the model, plus its sweep variant if any.
    pub fn label(&self) -> String {
        label(&self.model, &self.variant)
    }

    pub fn to_value(&self) -> Result<Value, ResultError> {
        serde_json::to_value(self).map_err(|e| ResultError::Serialise(e.to_string()))
    }

    /// Pretty JSON with a trailing newline, validated against the schema.
    pub fn to_json(&self) -> Result<String, ResultError> {
        validated_json(&self.to_value()?)
    }

    /// Validate, then write atomically (temp file + rename) to `path`,
    /// creating parent directories.
    pub fn write(&self, path: &Path) -> Result<(), ResultError> {
        write_json(path, &self.to_json()?)
    }
}

/// Write validated JSON text atomically (temp file + rename) to `path`.
pub(crate) fn write_json(path: &Path, json: &str) -> Result<(), ResultError> {
    crate::atomic_file::write(path, json.as_bytes()).map_err(|source| ResultError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RunResult {
        RunResult {
            schema: SCHEMA_ID.into(),
            run_id: "0".repeat(64),
            status: STATUS_OK.into(),
            experiment: "test".into(),
            anml_version: crate::VERSION.into(),
            dataset: "toy-blobs".into(),
            dataset_sha256: "a".repeat(64),
            n_samples: 10,
            model: "isolation_forest".into(),
            model_version: "1.0.0".into(),
            variant: String::new(),
            params: serde_json::json!({"n_estimators": 100}),
            seed: 0,
            split: SplitInfo {
                protocol: "holdout60".into(),
                seed: 0,
                n_train: 6,
                n_test: 4,
            },
            metrics: crate::metrics::scorecard(
                ndarray::array![0u8, 1, 0, 1].view(),
                ndarray::array![0.0, 0.75, 0.25, 0.5].view(),
            )
            .unwrap(),
            thresholds: Default::default(),
            fit_time: 0.1,
            score_time: 0.1,
            time_per_1000: TimePer1000 {
                fit: 1.0,
                score: 1.0,
            },
            artefact_digest: format!("sha256:{}", "b".repeat(64)),
            provenance: Provenance {
                argv: vec!["anml".into(), "script".into(), "x.rhai".into()],
                ..Provenance::default()
            },
            hardware: Hardware::detect(),
        }
    }

    #[test]
    fn a_complete_result_validates_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r/x.json");
        sample().write(&p).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["$schema"], SCHEMA_ID);
    }

    #[test]
    fn infinite_youden_threshold_is_written_as_null() {
        let mut r = sample();
        r.metrics.threshold = f64::INFINITY;
        let json = r.to_json().unwrap();
        assert!(json.contains("\"threshold\": null"), "{json}");
    }

    #[test]
    fn a_written_result_reads_back_to_the_same_bytes() {
        for threshold in [0.25, f64::INFINITY] {
            let mut r = sample();
            r.metrics.threshold = threshold;
            let json = r.to_json().unwrap();
            let back: RunResult = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_json().unwrap(), json);
        }
    }

    #[test]
    fn an_invalid_result_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        let mut r = sample();
        r.metrics.roc_auc = 1.5;
        let err = r.write(&p).unwrap_err();
        assert!(err.to_string().contains("roc_auc"), "{err}");
        assert!(!p.exists());
    }
}
