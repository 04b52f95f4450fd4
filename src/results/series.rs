//! The time-series run record: one detector scored on one whole series.
//!
//! Why it exists: a time-series run has no train/test split of rows and is
//! judged by range-aware metrics (VUS, NAB, the UCR hit) besides point-wise
//! AUCs, so it gets its own variant of the results schema (`kind:
//! "timeseries"`), validated by the same schema file as tabular runs.

use super::{Hardware, Provenance, ResultError, validated_json};
pub use crate::metrics::{NabScores, SeriesMetrics};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// The `kind` of a time-series run record.
pub const KIND_TIMESERIES: &str = "timeseries";

/// One time-series run, in the field order of the JSON file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesRunResult {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub run_id: String,
    pub status: String,
    /// Always [`KIND_TIMESERIES`].
    pub kind: String,
    pub experiment: String,
    pub anml_version: String,
    pub series: String,
    pub series_sha256: String,
    pub n_points: usize,
    pub n_channels: usize,
    /// Points of the anomaly-free training part (0 when fitted on the
    /// series itself).
    pub train_points: usize,
    pub model: String,
    pub model_version: String,
    pub variant: String,
    pub params: Value,
    pub window: usize,
    pub seed: u64,
    pub metrics: SeriesMetrics,
    /// Wall time of fit + score, seconds.
    pub run_time: f64,
    pub provenance: Provenance,
    pub hardware: Hardware,
}

impl SeriesRunResult {
    pub const TABLE_HEADER: &'static [&'static str] = &[
        "series", "model", "roc_auc", "pr_auc", "vus_roc", "vus_pr", "nab", "ucr", "time s",
    ];

    /// The run as one row of a results table.
    pub fn table_row(&self) -> Vec<String> {
        let opt = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.4}"));
        let m = &self.metrics;
        vec![
            self.series.clone(),
            super::label(&self.model, &self.variant),
            opt(m.roc_auc),
            opt(m.pr_auc),
            opt(m.vus_roc),
            opt(m.vus_pr),
            m.nab
                .as_ref()
                .and_then(|n| n.standard)
                .map_or_else(|| "–".to_string(), |v| format!("{v:.2}")),
            m.ucr.map_or_else(
                || "–".to_string(),
                |u| format!("{} @{}", if u.hit { "hit" } else { "miss" }, u.predicted),
            ),
            format!("{:.3}", self.run_time),
        ]
    }

    pub fn to_value(&self) -> Result<Value, ResultError> {
        serde_json::to_value(self).map_err(|e| ResultError::Serialise(e.to_string()))
    }

    /// Pretty JSON with a trailing newline, validated against the schema.
    pub fn to_json(&self) -> Result<String, ResultError> {
        validated_json(&self.to_value()?)
    }

    /// Validate, then write atomically.
    pub fn write(&self, path: &Path) -> Result<(), ResultError> {
        super::write_json(path, &self.to_json()?)
    }
}
