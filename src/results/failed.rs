//! The record of a run that failed, and the two kinds of record a run store
//! holds. A failure is written like a result (schema-valid, atomic) so that
//! a sweep can go on and its summary can list what failed and why.

use super::{Provenance, ResultError, RunResult, validate};
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

/// One record of a run store: a completed run or a failure.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredRun {
    Ok(Box<RunResult>),
    Failed(Box<FailedRun>),
}

impl StoredRun {
    pub fn run_id(&self) -> &str {
        match self {
            StoredRun::Ok(r) => &r.run_id,
            StoredRun::Failed(f) => &f.run_id,
        }
    }

    pub fn as_ok(&self) -> Option<&RunResult> {
        match self {
            StoredRun::Ok(r) => Some(r),
            StoredRun::Failed(_) => None,
        }
    }

    pub fn to_value(&self) -> Result<Value, ResultError> {
        match self {
            StoredRun::Ok(r) => r.to_value(),
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
