//! The files a sweep leaves beside its runs: `leaderboard.md`,
//! `leaderboard.csv` and, when runs failed, `failures.md`. Built from the
//! records in grid order, so a merged set of shards writes the same tables
//! as one unsharded run (apart from the time column).

use super::{BenchError, Leaderboard};
use crate::results::{FailedRun, ResultError, RunResult};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> Result<(), BenchError> {
    let p = dir.join(name);
    crate::atomic_file::write(&p, text.as_bytes())
        .map_err(|source| BenchError::Result(ResultError::Io { path: p, source }))
}

/// Markdown list of failures, one line each.
pub fn failures_markdown(failures: &[&FailedRun]) -> String {
    let mut s = String::from(
        "# Failed runs\n\n| dataset | model | variant | seed | error |\n|---|---|---|---|---|\n",
    );
    for f in failures {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            f.dataset,
            f.model,
            f.variant,
            f.seed,
            f.error.replace('|', "\\|").replace('\n', " ")
        ));
    }
    s
}

/// Write the leaderboard (and failures) of `results` into `dir`; returns
/// the leaderboard for printing.
pub fn write_reports(
    dir: &Path,
    results: &[RunResult],
    failures: &[&FailedRun],
) -> Result<Leaderboard, BenchError> {
    let lb = Leaderboard::new(results);
    write(dir, "leaderboard.md", &lb.to_markdown())?;
    let csv = lb
        .to_csv()
        .map_err(|e| BenchError::Suite(format!("leaderboard CSV: {e}")))?;
    write(dir, "leaderboard.csv", &csv)?;
    let failures_path = dir.join("failures.md");
    if failures.is_empty() {
        match std::fs::remove_file(&failures_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(BenchError::Result(ResultError::Io {
                    path: failures_path,
                    source,
                }));
            }
        }
    } else {
        write(dir, "failures.md", &failures_markdown(failures))?;
    }
    Ok(lb)
}
