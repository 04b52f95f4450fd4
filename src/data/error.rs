//! Errors of the data layer. A hash mismatch is its own type so callers and
//! tests can match on it.

use std::path::PathBuf;
use thiserror::Error;

/// A file's SHA-256 differs from the registered one. Nothing was cached.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("HashError: {file}: expected sha256 {expected}, got {actual}")]
pub struct HashError {
    pub file: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    #[error("unknown dataset `{name}`{hint}")]
    UnknownDataset { name: String, hint: String },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: malformed {format} file: {message}")]
    Format {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    /// A header claims more than a reader's limit; refused before the
    /// claimed size is allocated or decompressed.
    #[error(
        "{path}: {what} claims {claimed} {unit}; the limit is {limit} {unit} (refused before reading it)"
    )]
    TooLarge {
        path: PathBuf,
        what: String,
        claimed: u128,
        limit: u128,
        unit: &'static str,
    },
    #[error("download of {url} failed: {message}")]
    Download { url: String, message: String },
    #[error("dataset file `{file}` is not available: {tried}")]
    NotAvailable { file: String, tried: String },
    #[error("dataset `{dataset}` has a non-finite value ({value}) at row {row}, column {col}")]
    NonFinite {
        dataset: String,
        row: usize,
        col: usize,
        value: f64,
    },
    #[error("dataset `{dataset}`: {message}")]
    Shape { dataset: String, message: String },
    #[error(
        "dataset `{dataset}`: label at row {row} is {value}; labels must be 0 (normal) or 1 (anomaly)"
    )]
    BadLabel {
        dataset: String,
        row: usize,
        value: f64,
    },
    #[error("invalid split: {0}")]
    Split(String),
    /// A seed the split protocol cannot take (pyod: numpy's 32-bit seeds).
    #[error("seed {seed}: {message}")]
    Seed { seed: u64, message: String },
    /// Sliding windows that cannot be cut from a series.
    #[error("sliding windows: {0}")]
    Window(String),
    #[error("unknown split protocol `{name}`; known: {known}")]
    UnknownProtocol { name: String, known: String },
}

impl DataError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
