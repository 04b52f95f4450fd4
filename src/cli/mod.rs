//! The command line: declarative flags (clap) in `args`, one file per
//! subcommand (`*_cmd.rs`, `repl/`), shared helpers in `common`. Each
//! command builds the real objects from the flags, does the work through the
//! library and prints; no run logic lives here. The binary only parses,
//! calls [`run`] and prints errors.

mod args;
mod benchmark_cmd;
mod common;
mod datasets_cmd;
mod explain_cmd;
pub mod jupyter;
mod models_cmd;
mod notebook_cmd;
mod perf_cmd;
mod registry_cmd;
pub mod repl;
mod results_cmd;
mod script_cmd;
mod series_cmd;
mod slurm_cmd;

pub use args::{Cli, Command, GlobalOpts};
use args::{NotebookCommand, ResultsCommand};

use crate::error::Error;
use crate::script::Interrupt;

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

/// Run the parsed command line.
pub fn run(cli: Cli, interrupt: Interrupt) -> Result<Outcome, Error> {
    let g = &cli.global;
    let device = crate::gpu::Device::parse(&g.device)?;
    if let crate::gpu::Selected::FellBack(e) = crate::gpu::select(device)? {
        crate::gpu::fallback_notice(&e);
    }
    match &cli.command {
        Command::Benchmark(a) => benchmark_cmd::run(g, a, interrupt),
        Command::Script(a) => script_cmd::run(g, a, interrupt),
        Command::Datasets(a) => datasets_cmd::run(g, a),
        Command::Models(a) => models_cmd::run(a),
        Command::Repl(a) => repl::run(g, a, interrupt),
        Command::Jupyter(a) => jupyter::run(g, a, interrupt),
        Command::Results(ResultsCommand::Merge(a)) => results_cmd::merge(g, a),
        Command::Results(ResultsCommand::Status(a)) => results_cmd::status(a),
        Command::Results(ResultsCommand::Report(a)) => results_cmd::report(g, a),
        Command::Results(ResultsCommand::Export(a)) => results_cmd::export(a),
        Command::Results(ResultsCommand::Compare(a)) => results_cmd::compare(a),
        Command::Registry(a) => registry_cmd::registry(g, a),
        Command::Explain(a) => explain_cmd::run(g, a),
        Command::Series(c) => series_cmd::series(g, c),
        Command::Notebook(NotebookCommand::Run(a)) => notebook_cmd::run(g, a, interrupt),
        Command::Notebook(NotebookCommand::Convert(a)) => notebook_cmd::convert(g, a),
        Command::Perf(a) => perf_cmd::perf(g, a, interrupt),
    }
}
