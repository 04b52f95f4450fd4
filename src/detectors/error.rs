//! Errors of the detector layer.

use thiserror::Error;

/// A hyperparameter broke one of its rules. The message names the parameter
/// and the allowed range.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("invalid parameter `{param}` = {value}: must be {rule}")]
pub struct ParamError {
    pub param: &'static str,
    pub value: String,
    pub rule: &'static str,
}

impl ParamError {
    pub fn new(param: &'static str, value: impl ToString, rule: &'static str) -> Self {
        Self {
            param,
            value: value.to_string(),
            rule,
        }
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DetectorError {
    #[error("unknown detector `{name}`; known detectors: {known}")]
    UnknownDetector { name: String, known: String },
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error("detector `{detector}`: {message}")]
    BadParams { detector: String, message: String },
    /// Valid parameters that cannot fit this data (more clusters than rows,
    /// a subsample of fewer than 2 rows, …), as a params struct's
    /// [`DetectorParams::fit`](super::DetectorParams::fit) reports it. The
    /// type-erased [`Detector`](super::Detector) turns it into
    /// [`DetectorError::BadParams`] naming the registered detector, so no
    /// detector types its own name.
    #[error("{0}")]
    CannotFit(String),
    #[error("input has {got} columns but the model was fitted on {expected}")]
    WrongColumns { expected: usize, got: usize },
    #[error("input has no rows")]
    Empty,
    #[error("input has a non-finite value ({value}) at row {row}, column {col}")]
    NonFinite { row: usize, col: usize, value: f64 },
    #[error(
        "detector `{detector}` has no per-feature explanation; detectors that explain a row: {explainable}"
    )]
    NotExplainable {
        detector: String,
        explainable: String,
    },
    #[error("saved model is invalid: {0}")]
    Corrupt(String),
    #[error("saved model has format version {found}; this anml reads version {supported}")]
    FormatVersion { found: u64, supported: u64 },
    #[error(transparent)]
    MatrixProfile(#[from] super::matrix_profile::MatrixProfileError),
}
