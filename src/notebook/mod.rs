//! Notebooks: a plain `.rhai` file in the percent format (`// %%` cells)
//! that anyone can re-run with `anml script`, rendered to one shareable
//! report with its outputs.
//!
//! Why this module exists: experiments are shared in code review, and a
//! reviewer needs to see the numbers and figures *and* confirm in one
//! command that they reproduce. So a run produces
//!
//! * a self-contained HTML page ([`html`]) and/or a Markdown report
//!   ([`markdown`]) with code, printed text, tables, figures, per-cell
//!   timing and a provenance header (anml version, SHA-256 of the notebook
//!   and of every dataset, series and registry artefact read, seeds,
//!   sandbox limits, hardware, date);
//! * a JSON sidecar ([`sidecar`]) with the same header and every output in
//!   canonical text form, validated against `src/resources/notebook-schema.json`;
//! * `--check` ([`check`]): a re-run compared with the sidecar, numbers
//!   within a tolerance, the differences named by cell. Wall times are not
//!   results: table columns and rows with the exact timing labels anml
//!   emits (`fit s`, `mean fit+score s`, [`sidecar::TIMING_LABELS`]) are
//!   recorded as `(timing)`, and cell timings are never compared; a label
//!   that merely mentions "time" is compared like any other. Printed text is compared as printed, so a cell that prints
//!   a timing fails the check by design.
//!
//! Cells run top to bottom in one sandboxed engine ([`execute`]), sharing
//! variables and functions like the REPL; limits apply per cell. A cell's
//! value is its last statement's value (a trailing `;` is fine, so the file
//! stays a valid script). A failing cell stops the run unless it is marked
//! `//| error: true`; the report is still written.

pub mod cells;
pub mod check;
pub mod execute;
pub mod highlight;
pub mod html;
pub mod ipynb;
pub mod markdown;
pub mod mime;
pub mod paths;
pub mod sidecar;

pub use cells::{Cell, CellKind, parse};
pub use check::{CheckReport, Difference, compare};
pub use execute::{CellRun, CellStatus, NotebookRun, Output, capturing_sink, execute};
pub use sidecar::{Provenance, Sidecar};

use crate::script::Host;
use std::path::PathBuf;
use thiserror::Error;

/// How reports are rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Hide every cell's code (`--no-code`).
    pub no_code: bool,
}

/// Why a notebook could not be read, rendered or checked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NotebookError {
    /// The percent format is broken at `line`.
    #[error("notebook line {line}: {message}")]
    Parse { line: usize, message: String },
    /// Reading or writing a file failed.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A sidecar is unreadable or does not match the schema.
    #[error("notebook record {}: {message}", path.display())]
    Sidecar { path: PathBuf, message: String },
    /// A figure could not be drawn for the report.
    #[error("cannot render the report: {0}")]
    Render(String),
    /// An output would replace the notebook it is a report of.
    #[error("{flag} {} is the notebook itself: choose another path", path.display())]
    OutputIsInput { flag: &'static str, path: PathBuf },
    /// Two outputs name the same file.
    #[error(
        "{first} {} and {second} {} are the same file: give each output its own path",
        path.display(),
        other.display()
    )]
    OutputClash {
        first: &'static str,
        second: &'static str,
        path: PathBuf,
        other: PathBuf,
    },
    /// An output would replace a file anml did not write (or a directory).
    #[error(
        "{flag} {} exists and is not a notebook output anml wrote: refusing to replace it (delete it or choose another path)",
        path.display()
    )]
    NotAnmOutput { flag: &'static str, path: PathBuf },
    /// Nothing to write and nothing to check.
    #[error(
        "give --html OUT.html, --md OUT.md, --sidecar OUT.json or --ipynb OUT.ipynb (with --check: the record to compare, or an executed .ipynb as the notebook)"
    )]
    NoOutput,
    /// An `.ipynb` that is not a Jupyter notebook anml can read.
    #[error("not a Jupyter notebook anml can read: {message}")]
    Ipynb { message: String },
    /// One cell of an `.ipynb` is malformed or cannot be written in the
    /// percent format.
    #[error("ipynb cell {cell}{}: {message}", id.as_ref().map(|i| format!(" (id `{i}`)")).unwrap_or_default())]
    IpynbCell {
        /// 1-based position in the notebook.
        cell: usize,
        id: Option<String>,
        message: String,
    },
    /// A notebook file too large to read whole.
    #[error("{} is {bytes} bytes; anml reads notebooks up to {limit} bytes", path.display())]
    TooLarge {
        path: PathBuf,
        bytes: u64,
        limit: u64,
    },
    /// `--check` on an `.ipynb` that carries no record.
    #[error(
        "{} has no anml record (metadata.anml) to check against: run it with `anml notebook run NOTEBOOK --ipynb OUT.ipynb` first and check OUT.ipynb, or give --sidecar",
        path.display()
    )]
    NoRecord { path: PathBuf },
    /// An output file exists and `--force` was not given.
    #[error("{flag} {} exists: pass --force to replace it", path.display())]
    OutputExists { flag: &'static str, path: PathBuf },
}

impl NotebookError {
    /// Whether the error is in the command line (exit 2), not the run.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            NotebookError::OutputIsInput { .. }
                | NotebookError::OutputClash { .. }
                | NotebookError::NotAnmOutput { .. }
                | NotebookError::OutputExists { .. }
        )
    }
}

/// The provenance of `run`: the notebook at `notebook` with text `source`,
/// run on `host`.
pub fn provenance(notebook: &str, source: &str, host: &Host, run: &NotebookRun) -> Provenance {
    let hardware = crate::results::Hardware::detect();
    Provenance {
        anml_version: crate::VERSION.to_string(),
        notebook: notebook.to_string(),
        notebook_sha256: crate::hashing::sha256_hex(source.as_bytes()),
        date: crate::registry::now_rfc3339(),
        inputs: run.access.clone(),
        limits: serde_json::to_value(host.context().limits).unwrap_or_default(),
        blas: hardware.driver.clone(),
        hardware,
    }
}
