//! The top-level library error: one variant per layer, each wrapping that
//! layer's own enum. Only the binary turns it into text and an exit code.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Detector(#[from] crate::detectors::DetectorError),
    #[error(transparent)]
    Metric(#[from] crate::metrics::MetricError),
    #[error(transparent)]
    Result(#[from] crate::results::ResultError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Bench(#[from] crate::bench::BenchError),
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    #[error(transparent)]
    Script(#[from] crate::script::ScriptError),
    #[error(transparent)]
    Notebook(#[from] crate::notebook::NotebookError),
}

impl Error {
    /// Whether the error is in what was asked for — an unknown name, a bad
    /// flag or parameter value, a grid that cannot be built — rather than
    /// in doing it. The binary exits 2 for these (1 for the rest).
    pub fn is_usage(&self) -> bool {
        use crate::bench::BenchError;
        use crate::data::DataError;
        use crate::detectors::DetectorError;
        let detector = |e: &DetectorError| {
            matches!(
                e,
                DetectorError::UnknownDetector { .. }
                    | DetectorError::Param(_)
                    | DetectorError::BadParams { .. }
            )
        };
        let data = |e: &DataError| {
            matches!(
                e,
                DataError::UnknownDataset { .. } | DataError::UnknownProtocol { .. }
            )
        };
        match self {
            Error::Detector(e) => detector(e),
            Error::Data(e) => data(e),
            Error::Bench(BenchError::Detector(e)) => detector(e),
            Error::Bench(BenchError::Data(e)) => data(e),
            Error::Bench(e) => e.is_usage(),
            Error::Notebook(e) => e.is_usage(),
            _ => false,
        }
    }
}
