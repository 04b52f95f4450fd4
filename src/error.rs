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
    Compare(#[from] crate::compare::CompareError),
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
    #[error(transparent)]
    Jupyter(#[from] crate::cli::jupyter::JupyterError),
    #[error(transparent)]
    Slurm(#[from] crate::slurm::SlurmError),
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
}

impl Error {
    /// Whether the error is in what was asked for — an unknown name, a bad
    /// flag or parameter value, a grid that cannot be built — rather than
    /// in doing it. The binary exits 2 for these (1 for the rest).
    pub fn is_usage(&self) -> bool {
        use crate::bench::BenchError;
        use crate::data::DataError;
        use crate::detectors::DetectorError;
        use crate::detectors::matrix_profile::MatrixProfileError;
        use crate::registry::RegistryError;
        let detector = |e: &DetectorError| {
            matches!(
                e,
                DetectorError::UnknownDetector { .. }
                    | DetectorError::Param(_)
                    | DetectorError::BadParams { .. }
                    | DetectorError::NotExplainable { .. }
                    | DetectorError::MatrixProfile(
                        MatrixProfileError::WindowTooShort { .. }
                            | MatrixProfileError::WindowTooLong { .. }
                            | MatrixProfileError::ZeroDiscords
                    )
            )
        };
        let data = |e: &DataError| {
            matches!(
                e,
                DataError::UnknownDataset { .. }
                    | DataError::UnknownProtocol { .. }
                    | DataError::Seed { .. }
                    | DataError::Window(_)
            )
        };
        match self {
            Error::Detector(e) => detector(e),
            Error::Data(e) => data(e),
            Error::Bench(BenchError::Detector(e)) => detector(e),
            Error::Bench(BenchError::Data(e)) => data(e),
            Error::Bench(e) => e.is_usage(),
            Error::Registry(
                RegistryError::InvalidName { .. }
                | RegistryError::InvalidVersion { .. }
                | RegistryError::VersionExists { .. }
                | RegistryError::UnknownName { .. }
                | RegistryError::NoMatch { .. },
            ) => true,
            Error::Notebook(e) => e.is_usage(),
            Error::Compare(e) => e.is_usage(),
            Error::Jupyter(e) => e.is_usage(),
            Error::Slurm(e) => e.is_usage(),
            Error::Gpu(crate::gpu::GpuError::UnknownDevice(_)) => true,
            _ => false,
        }
    }

    /// The message and its causes as one line, `message: cause: cause`,
    /// each cause once: a cause whose text the line already holds (an
    /// enum that prints its `#[source]` in its own message) is skipped.
    pub fn chain_text(&self) -> String {
        chain_text(self)
    }
}

/// [`Error::chain_text`] for any error.
pub fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let t = c.to_string();
        if !t.is_empty() && !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_cause_is_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let e = Error::Data(crate::data::DataError::io("x.csv", io));
        let text = e.chain_text();
        assert_eq!(text.matches("No such file").count(), 1, "{text}");
        assert!(text.starts_with("x.csv"), "{text}");
    }

    #[test]
    fn a_cause_not_in_the_message_is_appended() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(chain_text(&e), "outer: inner");
    }

    #[test]
    fn usage_errors_found_after_parsing_exit_2() {
        use crate::data::DataError;
        let seed = DataError::Seed {
            seed: 1 << 32,
            message: "too large".into(),
        };
        assert!(Error::Data(seed).is_usage());
        let name = crate::registry::RegistryError::InvalidName {
            name: "A/b".into(),
            reason: "r".into(),
        };
        assert!(Error::Registry(name).is_usage());
        let io = DataError::io("x", std::io::Error::other("e"));
        assert!(!Error::Data(io).is_usage());
    }
}
