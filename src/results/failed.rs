//! The record of a run that failed, and the kinds of record a run store
//! holds (a tabular result, a time-series result, a failure). A failure is written like a result (schema-valid, atomic) so that
//! a sweep can go on and its summary can list what failed and why.

use super::{KIND_TIMESERIES, Provenance, ResultError, RunResult, SeriesRunResult, validate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `status` of a failed run.
pub const STATUS_FAILED: &str = "failed";

/// A run that failed, in the field order of the JSON file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedRun {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub run_id: String,
    /// Always [`STATUS_FAILED`].
    pub status: String,
    pub experiment: String,
    pub anml_version: String,
    pub dataset: String,
    pub dataset_sha256: String,
    pub model: String,
    pub variant: String,
    /// The parameters as given.
    pub params: Value,
    pub seed: u64,
    pub protocol: String,
    /// The error with its causes.
    pub error: String,
    pub provenance: Provenance,
}

/// One record of a run store: a completed tabular run, a completed
/// time-series run (its point scores are filed beside it), or a failure of
/// either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredRun {
    Ok(Box<RunResult>),
    Series(Box<SeriesRunResult>),
    Failed(Box<FailedRun>),
}

impl StoredRun {
    pub fn run_id(&self) -> &str {
        match self {
            StoredRun::Ok(r) => &r.run_id,
            StoredRun::Series(r) => &r.run_id,
            StoredRun::Failed(f) => &f.run_id,
        }
    }

    /// Whether the run completed (either kind).
    pub fn is_ok(&self) -> bool {
        !matches!(self, StoredRun::Failed(_))
    }

    /// The tabular result, if this is one.
    pub fn as_ok(&self) -> Option<&RunResult> {
        match self {
            StoredRun::Ok(r) => Some(r),
            StoredRun::Series(_) | StoredRun::Failed(_) => None,
        }
    }

    /// The time-series result, if this is one.
    pub fn as_series(&self) -> Option<&SeriesRunResult> {
        match self {
            StoredRun::Series(r) => Some(r),
            StoredRun::Ok(_) | StoredRun::Failed(_) => None,
        }
    }

    /// The failure, if this is one.
    pub fn as_failed(&self) -> Option<&FailedRun> {
        match self {
            StoredRun::Failed(f) => Some(f),
            StoredRun::Ok(_) | StoredRun::Series(_) => None,
        }
    }

    /// The dataset (or series), the `model[variant]` label and the seed:
    /// how a run is named in listings and sorted without a grid.
    pub fn sort_key(&self) -> (String, String, u64) {
        match self {
            StoredRun::Ok(r) => (r.dataset.clone(), r.label(), r.seed),
            StoredRun::Series(r) => (r.series.clone(), super::label(&r.model, &r.variant), r.seed),
            StoredRun::Failed(f) => (
                f.dataset.clone(),
                super::label(&f.model, &f.variant),
                f.seed,
            ),
        }
    }

    pub fn to_value(&self) -> Result<Value, ResultError> {
        match self {
            StoredRun::Ok(r) => r.to_value(),
            StoredRun::Series(r) => r.to_value(),
            StoredRun::Failed(f) => {
                serde_json::to_value(f).map_err(|e| ResultError::Serialise(e.to_string()))
            }
        }
    }

    /// Pretty JSON with a trailing newline, validated against the schema.
    pub fn to_json(&self) -> Result<String, ResultError> {
        super::validated_json(&self.to_value()?)
    }

    /// Parse and validate a record (either kind).
    pub fn from_json(text: &str) -> Result<Self, ResultError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| ResultError::Schema(format!("not JSON: {e}")))?;
        validate(&v)?;
        let parse_err = |e: serde_json::Error| ResultError::Schema(e.to_string());
        if v.get("status").and_then(Value::as_str) == Some(STATUS_FAILED) {
            Ok(StoredRun::Failed(Box::new(
                serde_json::from_value(v).map_err(parse_err)?,
            )))
        } else if v.get("kind").and_then(Value::as_str) == Some(KIND_TIMESERIES) {
            Ok(StoredRun::Series(Box::new(
                serde_json::from_value(v).map_err(parse_err)?,
            )))
        } else {
            Ok(StoredRun::Ok(Box::new(
                serde_json::from_value(v).map_err(parse_err)?,
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::SCHEMA_ID;

    fn failed() -> FailedRun {
        FailedRun {
            schema: SCHEMA_ID.into(),
            run_id: "1".repeat(64),
            status: STATUS_FAILED.into(),
            experiment: "exp".into(),
            anml_version: crate::VERSION.into(),
            dataset: "toy-blobs".into(),
            dataset_sha256: "a".repeat(64),
            model: "knn".into(),
            variant: "n_neighbors=5000".into(),
            params: serde_json::json!({"n_neighbors": 5000}),
            seed: 0,
            protocol: "holdout60".into(),
            error: "n_neighbors 5000 exceeds the 120 training rows".into(),
            provenance: Provenance::default(),
        }
    }

    #[test]
    fn a_failure_validates_and_round_trips() {
        let rec = StoredRun::Failed(Box::new(failed()));
        let json = rec.to_json().unwrap();
        assert_eq!(StoredRun::from_json(&json).unwrap(), rec);
    }

    #[test]
    fn a_failure_needs_its_error() {
        let mut f = failed();
        f.error.clear();
        let err = StoredRun::Failed(Box::new(f)).to_json().unwrap_err();
        assert!(err.to_string().contains("error"), "{err}");
    }
}
