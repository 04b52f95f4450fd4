//! `anml results ...`: `merge` combines run stores (the shards of a sweep,
//! tabular or time-series) into one store and its reports; `report`
//! rewrites one store's reports (the merge job of a Slurm sweep, whose
//! tasks all filed into one store); `status` says how far a store is and
//! what Slurm says about its jobs; `export` writes it as an MLflow file
//! store (`bench::export`); `compare` tests whether the store's models
//! differ significantly over its datasets (`crate::compare`).

use super::Outcome;
use super::args::{CompareArgs, ExportArgs, GlobalOpts, MergeArgs, ReportArgs, StatusArgs};
use super::common::registry;
use crate::bench::{self, RunStore};
use crate::error::Error;

pub fn merge(g: &GlobalOpts, a: &MergeArgs) -> Result<Outcome, Error> {
    let inputs: Vec<RunStore> = a.dirs.iter().map(RunStore::new).collect();
    let output = RunStore::new(&a.output);
    let m = bench::merge_stores(&inputs, &output, &registry(g)?)?;
    print!("{}", m.reports.to_text());
    let duplicates = if m.duplicates > 0 {
        format!(", {} in more than one input", m.duplicates)
    } else {
        String::new()
    };
    println!(
        "merged {} stores into {}: {} runs ({} copied, {} already there{duplicates}, {} failed, {} missing)",
        inputs.len(),
        output.dir().display(),
        m.records.len(),
        m.copied,
        m.already_present,
        m.failed(),
        m.missing.len()
    );
    print_missing(&m.missing, true);
    if m.missing.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(bench::BenchError::MissingRuns(m.missing.len()).into())
    }
}

/// `anml results report DIR`: the merge job of a `--slurm` sweep.
pub fn report(g: &GlobalOpts, a: &ReportArgs) -> Result<Outcome, Error> {
    let store = RunStore::new(&a.dir);
    let m = bench::report_store(&store, &registry(g)?)?;
    print!("{}", m.reports.to_text());
    let grid = m
        .grid_size
        .map(|n| format!(" of a grid of {n}"))
        .unwrap_or_default();
    println!(
        "{}: {} runs{grid} ({} failed, {} missing); leaderboard.md, leaderboard.csv",
        store.dir().display(),
        m.records.len(),
        m.failed(),
        m.missing.len()
    );
    print_missing(&m.missing, true);
    if m.missing.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(bench::BenchError::Incomplete {
            missing: m.missing.len(),
            grid: m.grid_size.unwrap_or(m.missing.len()),
            store: store.dir().to_path_buf(),
        }
        .into())
    }
}

/// `anml results compare DIR`: Demšar's comparison of the store's models.
pub fn compare(a: &CompareArgs) -> Result<Outcome, Error> {
    // flags first: a bad metric or alpha is a usage error before any reading
    crate::compare::metric_spec(&a.metric)?;
    crate::compare::check_alpha(a.alpha)?;
    let store = RunStore::new(&a.dir);
    let records = store.records()?;
    let c = crate::compare::compare_records(&records, &a.metric, a.alpha)?;
    if a.json {
        let text = serde_json::to_string_pretty(&c).map_err(|e| bench::BenchError::Encode {
            what: "the comparison",
            message: e.to_string(),
        })?;
        println!("{text}");
    } else {
        print!("{}", c.to_text());
    }
    Ok(Outcome::Success)
}

/// `anml results status DIR`: done, failed and missing runs, and the Slurm
/// state of the store's last submission.
pub fn status(a: &StatusArgs) -> Result<Outcome, Error> {
    let store = RunStore::new(&a.dir);
    let st = bench::store_status(&store)?;
    // A damaged jobs.json costs the Slurm part of the answer, not the rest.
    let submissions = crate::slurm::read_submissions(store.dir()).unwrap_or_else(|e| {
        eprintln!("warning: {e}; Slurm's view of the jobs is not shown");
        Vec::new()
    });
    let last = submissions.last();
    let (states, note) = match last {
        Some(s) => crate::slurm::job_states(&s.array_job_id, &s.task_ids(), &s.merge_job_id),
        None => (Vec::new(), None),
    };
    let total = st.done + st.failed.len() + st.missing.len();
    if a.json {
        let entry = |e: &bench::ManifestEntry| {
            serde_json::json!({
                "run_id": e.run_id, "dataset": e.dataset, "model": e.model,
                "variant": e.variant, "seed": e.seed,
            })
        };
        let failed: Vec<_> = st
            .failed
            .iter()
            .map(|f| {
                serde_json::json!({
                    "run_id": f.run_id, "dataset": f.dataset, "model": f.model,
                    "variant": f.variant, "seed": f.seed, "error": f.error,
                })
            })
            .collect();
        let slurm = last.map(|s| {
            serde_json::json!({
                "array_job_id": s.array_job_id,
                "merge_job_id": s.merge_job_id,
                "array_size": s.array_size,
                "tasks": s.task_ids(),
                "submissions": submissions.len(),
                "jobs": states.iter().map(|j| serde_json::json!({
                    "id": j.id, "state": j.state, "exit_code": j.exit_code, "reason": j.reason,
                })).collect::<Vec<_>>(),
                "note": note,
            })
        });
        let v = serde_json::json!({
            "store": store.dir().display().to_string(),
            "grid": st.manifest.as_ref().map(|m| m.grid.len()),
            "done": st.done,
            "failed": failed,
            "missing": st.missing.iter().map(entry).collect::<Vec<_>>(),
            "invalid": st.invalid,
            "slurm": slurm,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(Outcome::Success);
    }
    match &st.manifest {
        Some(m) => println!(
            "{}: experiment {}, protocol {}, grid of {} runs",
            store.dir().display(),
            m.experiment,
            m.protocol,
            m.grid.len()
        ),
        None => println!(
            "{}: no sweep manifest (sweep.json); counting the run files",
            store.dir().display()
        ),
    }
    println!(
        "done {}, failed {}, missing {} (of {total})",
        st.done,
        st.failed.len(),
        st.missing.len()
    );
    print_missing(&st.missing, false);
    for f in st.failed.iter().take(20) {
        println!(
            "failed: {} {} seed {}: {}",
            f.dataset,
            crate::results::label(&f.model, &f.variant),
            f.seed,
            f.error
        );
    }
    for why in st.invalid.iter().take(20) {
        println!("invalid run file: {why}");
    }
    if let Some(s) = last {
        let tasks = s.task_ids();
        let which = if tasks.len() == s.array_size {
            format!("{} tasks", s.array_size)
        } else {
            format!(
                "tasks {} of {}",
                crate::slurm::task_ranges(&tasks),
                s.array_size
            )
        };
        println!(
            "slurm: submission {} of {}: job array {} ({which}), merge job {}",
            submissions.len(),
            submissions.len(),
            s.array_job_id,
            s.merge_job_id
        );
        for j in &states {
            match (&j.exit_code, &j.reason) {
                (Some(code), _) => println!("  {} {} (exit {code})", j.id, j.state),
                (None, Some(why)) => println!("  {} {} ({why})", j.id, j.state),
                (None, None) => println!("  {} {}", j.id, j.state),
            }
        }
        if let Some(n) = note {
            println!("  ({n})");
        }
    }
    Ok(Outcome::Success)
}

/// The first 20 missing grid points, on stderr (a problem) or stdout (a
/// status report).
fn print_missing(missing: &[bench::ManifestEntry], to_stderr: bool) {
    let say = |line: String| {
        if to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    for e in missing.iter().take(20) {
        say(format!(
            "missing: {} {} seed {} (run {})",
            e.dataset,
            crate::results::label(&e.model, &e.variant),
            e.seed,
            bench::short_id(&e.run_id)
        ));
    }
    if missing.len() > 20 {
        say(format!("… and {} more missing", missing.len() - 20));
    }
}

/// `anml results export DIR --mlflow PATH`.
pub fn export(a: &ExportArgs) -> Result<Outcome, Error> {
    let store = RunStore::new(&a.dir);
    let s = bench::export::export_mlflow(&store, &a.mlflow)?;
    let at = std::fs::canonicalize(&a.mlflow).unwrap_or_else(|_| a.mlflow.clone());
    for (name, id) in &s.experiments {
        println!("experiment `{name}`: MLflow experiment id {id}");
    }
    println!(
        "exported {} runs to {} ({} new, {} updated, {} failed runs as FAILED); read it with tracking URI file://{} and MLFLOW_ALLOW_FILE_STORE=true",
        s.created + s.updated,
        a.mlflow.display(),
        s.created,
        s.updated,
        s.failed,
        at.display()
    );
    Ok(Outcome::Success)
}
