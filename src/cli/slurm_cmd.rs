//! `--slurm` on `anml benchmark --suite` and `anml script`/`anml sweep`:
//! turn this very command line into a job array (each task runs it with
//! `--shard i/N`) plus a merge job (`anml results report STORE`), and submit
//! them, or print them with `--dry-run`.

use super::Outcome;
use super::args::{GlobalOpts, SlurmFlags, SweepFlags};
use crate::bench::BenchError;
use crate::error::Error;
use crate::results::{LOCATION_FLAGS, SLURM_FLAGS, strip_flags};
use crate::slurm::{self, JobOptions, SlurmError, SweepJobs, path_text, shell_quote};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Array tasks when `--array-size` is not given (fewer for a smaller grid).
pub const DEFAULT_ARRAY_SIZE: usize = 16;

/// What is being submitted.
pub(crate) struct SweepToSubmit<'a> {
    pub experiment: &'a str,
    /// The run store every task files into.
    pub store: PathBuf,
    /// Whether each grid point (in grid order) is stored already, when the
    /// grid is known before running (suites; a script's grid is only known
    /// by running it). Shards with nothing left to run are not submitted.
    pub stored: Option<Vec<bool>>,
    /// Arguments each array task adds (a script's `--script-sha256`).
    pub task_args: Vec<String>,
    /// Set by Ctrl-C: the submission stops (exit 130).
    pub cancel: Arc<AtomicBool>,
}

/// `p` made absolute against the current directory (which must exist).
fn absolute(p: &Path) -> Result<PathBuf, SlurmError> {
    std::path::absolute(p).map_err(|source| SlurmError::Io {
        path: p.to_path_buf(),
        source,
    })
}

/// The global location flags as explicit absolute arguments, so the jobs
/// find the same workspace and data whatever environment Slurm gives them
/// (`ANML_WORKSPACE` and friends are not relied on).
fn location_args(g: &GlobalOpts) -> Result<Vec<String>, SlurmError> {
    let mut out = vec![
        "--workspace".to_string(),
        path_text("the workspace", &absolute(&g.workspace)?)?,
    ];
    if let Some(d) = &g.data_dir {
        out.push("--data-dir".into());
        out.push(path_text("the data directory", &absolute(d)?)?);
    }
    if let Some(m) = &g.data_mirror {
        out.push("--data-mirror".into());
        out.push(path_text("the data mirror", &absolute(m)?)?);
    }
    if g.offline {
        out.push("--offline".into());
    }
    Ok(out)
}

/// This process's arguments (without the program), as text.
fn own_args() -> Result<Vec<String>, SlurmError> {
    std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string().map_err(|a| SlurmError::Unscriptable {
                what: "the argument",
                value: a.to_string_lossy().into_owned(),
                why: "it is not valid UTF-8",
            })
        })
        .collect()
}

/// The Slurm flags as job options, checked (with the scheduling flags
/// they exclude) before any data is loaded; `grid_size` bounds
/// `--array-size` when the grid is known.
pub(crate) fn check(sweep: &SweepFlags, grid_size: Option<usize>) -> Result<JobOptions, Error> {
    let s: &SlurmFlags = &sweep.slurm;
    if sweep.shard.is_some() {
        return Err(BenchError::flag(
            "--shard",
            "with --slurm each array task runs its own shard; drop --shard",
        )
        .into());
    }
    if s.cpus_per_task.is_some() && sweep.jobs != 0 {
        return Err(BenchError::flag(
            "--jobs",
            "--cpus-per-task sets the runs each array task keeps in flight; give one of them",
        )
        .into());
    }
    if let (Some(n), Some(grid)) = (s.array_size, grid_size)
        && n > grid
    {
        return Err(BenchError::flag(
            "--array-size",
            format!(
                "{n} tasks for a grid of {grid} runs would leave tasks with nothing to run; at most {grid}"
            ),
        )
        .into());
    }
    let options = JobOptions {
        partition: s.partition.clone(),
        account: s.account.clone(),
        time: s.time.clone(),
        mem: s.mem.clone(),
        cpus_per_task: s.cpus_per_task,
        extra: s.sbatch_args.clone(),
    };
    options.validate()?;
    Ok(options)
}

/// Submit (or with `--dry-run` print) the sweep this command describes,
/// with the `options` [`check`] gave.
pub(crate) fn submit(
    g: &GlobalOpts,
    sweep: &SweepFlags,
    options: JobOptions,
    what: SweepToSubmit<'_>,
) -> Result<Outcome, Error> {
    let s: &SlurmFlags = &sweep.slurm;
    let grid_size = what.stored.as_ref().map(Vec::len);
    let array_size = match (s.array_size, grid_size) {
        (Some(n), _) => n,
        (None, Some(grid)) => DEFAULT_ARRAY_SIZE.min(grid.max(1)),
        (None, None) => DEFAULT_ARRAY_SIZE,
    };
    // the shards (array task ids) with a grid point left to run
    let tasks: Vec<usize> = match &what.stored {
        Some(stored) => (0..array_size)
            .filter(|&i| stored.iter().skip(i).step_by(array_size).any(|done| !done))
            .collect(),
        None => (0..array_size).collect(),
    };
    if tasks.is_empty() {
        println!(
            "all {} runs of the grid are in {} already: nothing to submit \
             (`anml results report` rewrites its leaderboards; --force runs them again)",
            grid_size.unwrap_or(0),
            what.store.display()
        );
        return Ok(Outcome::Success);
    }
    let program = std::env::current_exe().map_err(|source| SlurmError::Io {
        path: PathBuf::from("the anml executable"),
        source,
    })?;
    let program = path_text("the anml executable", &program)?;
    let location = location_args(g)?;
    let store = absolute(&what.store)?;
    let workdir = absolute(Path::new("."))?;

    let mut task_command = vec![program.clone()];
    task_command.extend(location.iter().cloned());
    task_command.extend(strip_flags(
        strip_flags(own_args()?, SLURM_FLAGS),
        LOCATION_FLAGS,
    ));
    if let Some(c) = s.cpus_per_task {
        task_command.extend(["--jobs".to_string(), c.to_string()]);
    }
    task_command.extend(what.task_args);
    let mut merge_command = vec![program];
    merge_command.extend(location);
    merge_command.extend([
        "results".to_string(),
        "report".to_string(),
        path_text("the run store", &store)?,
    ]);
    let jobs = SweepJobs {
        experiment: what.experiment.to_string(),
        store,
        workdir,
        task_command,
        merge_command,
        array_size,
        tasks,
        options,
    };

    if s.dry_run {
        print_dry_run(&jobs)?;
        return Ok(Outcome::Success);
    }
    if let Some(max) = slurm::max_array_size()
        && array_size > max
    {
        return Err(BenchError::flag(
            "--array-size",
            format!(
                "{array_size} tasks: this cluster's MaxArraySize is {max} (array indices 0 to {}); use fewer tasks",
                max.saturating_sub(1)
            ),
        )
        .into());
    }
    let sub = match slurm::submit(&jobs, Some(&what.cancel)) {
        Err(e) if what.cancel.load(Ordering::SeqCst) => {
            eprintln!(
                "{e}\ninterrupted while submitting: a job may be queued; check `squeue --me` \
                 before submitting again (submitting twice is safe: the store skips finished runs)"
            );
            return Ok(Outcome::Interrupted);
        }
        other => other?,
    };
    let cluster = sub
        .cluster
        .as_deref()
        .map(|c| format!(" on cluster {c}"))
        .unwrap_or_default();
    let which = if jobs.tasks.len() == array_size {
        format!("{array_size} tasks, shard i/{array_size} each")
    } else {
        format!(
            "tasks {} of {array_size}: the other shards' runs are all stored",
            slurm::task_ranges(&jobs.tasks)
        )
    };
    println!(
        "submitted job array {} ({which}){cluster}",
        sub.array_job_id
    );
    println!(
        "submitted merge job {} (runs once every task has ended)",
        sub.merge_job_id
    );
    let store = shell_quote(&jobs.store.display().to_string());
    println!("run store: {store}");
    println!("logs: {}", jobs.log_dir().display());
    println!("progress: anml results status {store}");
    if let Err(e) = slurm::record_submission(&jobs.store, &sub) {
        eprintln!(
            "warning: the jobs are queued, but `anml results status` will not know them: {e}"
        );
    }
    Ok(Outcome::Success)
}

fn print_dry_run(jobs: &SweepJobs) -> Result<(), SlurmError> {
    let dir = jobs.slurm_dir();
    let (array, merge) = (dir.join(slurm::ARRAY_SCRIPT), dir.join(slurm::MERGE_SCRIPT));
    // both rendered before anything is printed: a refused path prints
    // nothing but the error
    let (array_text, merge_text) = (jobs.array_script()?, jobs.merge_script()?);
    println!("# {}", array.display());
    print!("{array_text}");
    println!("# {}", merge.display());
    print!("{merge_text}");
    println!("# would submit, from {}:", jobs.workdir.display());
    println!(
        "sbatch --parsable {}",
        shell_quote(&array.display().to_string())
    );
    println!(
        "sbatch --parsable --dependency=afterany:ARRAY_JOB_ID {}",
        shell_quote(&merge.display().to_string())
    );
    Ok(())
}
