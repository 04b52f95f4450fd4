//! The sandboxed Rhai host.
//!
//! `engine` assembles a raw engine with only the packages scripts need, the
//! limits, interruption and the module resolver. `api` is the thin layer of
//! script-facing functions: each converts types and calls the library, and
//! holds no algorithm. `render` turns errors into a message with the script
//! name, line, column, a caret under the source line and the cause chain.

pub mod api;
mod context;
pub mod docs;
mod engine;
mod limits;
mod modules;
mod render;
pub mod types;

pub use context::{AccessLog, HostContext};
pub use engine::{Host, Interrupt, OutputSink};
pub use limits::{Limits, MAX_NESTING};
pub use render::render_error;

use thiserror::Error;

/// A script failed. The message is already rendered with position, source
/// line, caret and cause chain.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ScriptError {
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Interrupted(String),
    #[error("cannot read script {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}
