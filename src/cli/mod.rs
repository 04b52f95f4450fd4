//! The command line: declarative flags (clap) in `args`, one function per
//! subcommand here. The binary only parses, calls [`run`] and prints errors.

mod args;
mod commands;
mod notebook_cmd;
mod perf_cmd;
mod registry_cmd;
pub mod repl;
mod results_cmd;
mod series_cmd;

pub use args::{Cli, Command, GlobalOpts};
pub use commands::run;

/// Exit status of a finished command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A script was stopped by Ctrl-C.
    Interrupted,
    /// A check ran and found problems it has already reported
    /// (`anml registry verify`).
    ChecksFailed,
}
