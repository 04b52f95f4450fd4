//! Sweeps submitted to a Slurm cluster: a job array that runs one shard of
//! the grid per task into the shared run store, and a merge job that
//! rewrites the store's leaderboards once every task has ended.
//!
//! anml talks to Slurm only through its command-line tools (`sbatch
//! --parsable`, `squeue`, `sacct`, `scontrol`), each call bounded by a
//! timeout, with Slurm's own message in every error ([`tools`]). The batch
//! scripts are plain bash with every path and name shell-quoted
//! ([`batch_script`]); they are kept beside the store (`slurm/`) with a
//! record of each submission (`slurm/jobs.json`, [`submission`]) so that
//! `anml results status` can ask Slurm about the jobs later.
//!
//! Why the merge job waits with `afterany`, not `afterok`: with `afterok`
//! a cancelled or failed array task leaves the merge job pending forever
//! (`DependencyNeverSatisfied`), so nobody reports what is missing. With
//! `afterany` the merge job always runs, writes the leaderboard of what was
//! filed, names the missing grid points and exits 1; re-submitting the same
//! command fills them in, because the store skips every finished run.

mod batch_script;
mod submission;
mod tools;

pub use batch_script::{
    ARRAY_SCRIPT, JobOptions, MERGE_SCRIPT, SweepJobs, path_text, shell_quote, task_ranges,
};
pub use submission::{Submission, read_submissions, record_submission, submit};
pub use tools::{JobState, job_states, max_array_size, run_tool};

use std::path::PathBuf;
use thiserror::Error;

/// The most array tasks anml submits: Slurm's own ceiling for
/// `MaxArraySize` (a cluster's setting, checked at submission, is usually
/// far lower).
pub const MAX_ARRAY_SIZE: usize = 4_000_001;

/// What can go wrong writing, submitting or querying Slurm jobs.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SlurmError {
    /// A flag value that cannot go into a batch script.
    #[error("{flag}: {message}")]
    Flag { flag: String, message: String },
    /// A path or argument that cannot be written into a batch script.
    #[error("{what} `{value}` cannot go into a Slurm batch script: {why}")]
    Unscriptable {
        what: &'static str,
        value: String,
        why: &'static str,
    },
    /// The Slurm tool is not installed (or not on `PATH`).
    #[error(
        "`{tool}` was not found on PATH: is this a Slurm login node? (install slurm-client, or use --dry-run to see the scripts)"
    )]
    ToolMissing { tool: String },
    /// The tool ran and failed; `message` is what it printed.
    #[error("`{command}` failed ({status}): {message}")]
    ToolFailed {
        command: String,
        status: String,
        message: String,
    },
    #[error(
        "`{command}` did not finish within {seconds} s (set ANML_SLURM_TIMEOUT to wait longer)"
    )]
    ToolTimedOut { command: String, seconds: u64 },
    /// Ctrl-C while a Slurm tool ran (it was killed) or before it started.
    #[error("interrupted (Ctrl-C) during `{command}`")]
    Interrupted { command: String },
    /// `sbatch` did not answer in time: the job may be queued or not.
    #[error(
        "`{command}` did not answer within {seconds} s, so the job may or may not be queued: check `squeue --me` before submitting again (submitting twice is safe: the store skips finished runs); set ANML_SLURM_TIMEOUT to wait longer"
    )]
    SubmitUncertain { command: String, seconds: u64 },
    /// The tool's output is not what anml expects from it.
    #[error("`{command}` printed `{output}`, expected {expected}")]
    UnexpectedOutput {
        command: String,
        output: String,
        expected: &'static str,
    },
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// An array task found the script changed since it was submitted.
    #[error(
        "{} changed since it was submitted (SHA-256 {now}, submitted {submitted}); its runs would not be the submitted sweep's: submit it again",
        path.display()
    )]
    ScriptChanged {
        path: PathBuf,
        submitted: String,
        now: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    BadRecord { path: PathBuf, message: String },
    /// The array was submitted and the merge job was not: the array runs,
    /// and this says how to submit the merge job by hand.
    #[error(
        "submitted the array as job {array_job_id}, but not the merge job: {source}\n\
         the array runs; once it has ended, run: {by_hand}\n\
         (or cancel it: scancel {array_job_id})"
    )]
    MergeNotSubmitted {
        array_job_id: String,
        by_hand: String,
        #[source]
        source: Box<SlurmError>,
    },
}

impl SlurmError {
    /// Whether the error is in what was asked for (the CLI exits 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Flag { .. } | Self::Unscriptable { .. })
    }

    pub(crate) fn flag(flag: &str, message: impl Into<String>) -> Self {
        Self::Flag {
            flag: flag.to_string(),
            message: message.into(),
        }
    }
}
