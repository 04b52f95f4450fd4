//! Submitting a sweep's two jobs and remembering them: the scripts are
//! written to `{store}/slurm/`, submitted with `sbatch --parsable`, and
//! each submission is appended to `{store}/slurm/jobs.json`, which
//! `anml results status` reads to ask Slurm about the jobs.

use super::SlurmError;
use super::batch_script::{ARRAY_SCRIPT, MERGE_SCRIPT, SweepJobs, shell_quote};
use super::tools::{run_tool, timeout};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// One submission of a sweep to Slurm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// The job array's id (its tasks are `{id}_{i}`).
    pub array_job_id: String,
    /// The merge job's id.
    pub merge_job_id: String,
    /// Shards the grid was cut into.
    pub array_size: usize,
    /// The array task ids submitted (shards with runs left to do); empty in
    /// records that predate it, meaning all of `0..array_size`.
    #[serde(default)]
    pub tasks: Vec<usize>,
    /// The cluster `sbatch --parsable` named, on a multi-cluster setup.
    pub cluster: Option<String>,
    /// Seconds since the Unix epoch when it was submitted.
    pub submitted_at: u64,
}

impl Submission {
    /// The array task ids this submission made.
    pub fn task_ids(&self) -> Vec<usize> {
        if self.tasks.is_empty() {
            (0..self.array_size).collect()
        } else {
            self.tasks.clone()
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct JobsFile {
    submissions: Vec<Submission>,
}

fn jobs_file(store: &Path) -> PathBuf {
    store.join("slurm").join("jobs.json")
}

/// Every submission recorded for the store at `store`, oldest first
/// (none when it was never submitted to Slurm).
pub fn read_submissions(store: &Path) -> Result<Vec<Submission>, SlurmError> {
    let path = jobs_file(store);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(SlurmError::Io { path, source }),
    };
    let f: JobsFile = serde_json::from_str(&text).map_err(|e| SlurmError::BadRecord {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(f.submissions)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SlurmError> {
    crate::atomic_file::write(path, bytes).map_err(|source| SlurmError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// `12` or `12;cluster` (what `sbatch --parsable` prints).
fn parse_parsable(command: &str, out: &str) -> Result<(String, Option<String>), SlurmError> {
    let line = out.trim();
    let (id, cluster) = match line.split_once(';') {
        Some((id, c)) => (id, Some(c.to_string())),
        None => (line, None),
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SlurmError::UnexpectedOutput {
            command: command.to_string(),
            output: line.to_string(),
            expected: "a job id (sbatch --parsable)",
        });
    }
    Ok((id.to_string(), cluster))
}

fn sbatch(
    jobs: &SweepJobs,
    extra: &[String],
    script: &Path,
    cancel: Option<&AtomicBool>,
) -> Result<(String, Option<String>), SlurmError> {
    let mut args = vec!["--parsable".to_string()];
    args.extend_from_slice(extra);
    args.push(script.display().to_string());
    let out =
        run_tool("sbatch", &args, Some(&jobs.workdir), timeout(), cancel).map_err(|e| match e {
            SlurmError::ToolTimedOut { command, seconds } => {
                SlurmError::SubmitUncertain { command, seconds }
            }
            e => e,
        })?;
    parse_parsable("sbatch --parsable", &out)
}

/// Write both scripts, submit the array and then the merge job (after
/// every array task, `afterany`); [`record_submission`] files it. Nothing is
/// submitted when a script cannot be written; when the merge job cannot be
/// submitted after the array was, the error says how to submit it by hand.
/// `cancel` (Ctrl-C) stops the submission between or during the `sbatch`
/// calls ([`SlurmError::Interrupted`]).
pub fn submit(jobs: &SweepJobs, cancel: Option<&AtomicBool>) -> Result<Submission, SlurmError> {
    let array = jobs.array_script()?;
    let merge = jobs.merge_script()?;
    let logs = jobs.log_dir();
    std::fs::create_dir_all(&logs).map_err(|source| SlurmError::Io {
        path: logs.clone(),
        source,
    })?;
    let dir = jobs.slurm_dir();
    let (array_path, merge_path) = (dir.join(ARRAY_SCRIPT), dir.join(MERGE_SCRIPT));
    write_file(&array_path, array.as_bytes())?;
    write_file(&merge_path, merge.as_bytes())?;

    let (array_job_id, cluster) = sbatch(jobs, &[], &array_path, cancel)?;
    let dependency = format!("--dependency=afterany:{array_job_id}");
    let merge_job_id = match sbatch(jobs, std::slice::from_ref(&dependency), &merge_path, cancel) {
        Ok((id, _)) => id,
        Err(e) => {
            return Err(SlurmError::MergeNotSubmitted {
                by_hand: format!(
                    "sbatch {dependency} {}",
                    shell_quote(&merge_path.display().to_string())
                ),
                array_job_id,
                source: Box::new(e),
            });
        }
    };
    Ok(Submission {
        array_job_id,
        merge_job_id,
        array_size: jobs.array_size,
        tasks: jobs.tasks.clone(),
        cluster,
        submitted_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    })
}

/// Append `submission` to the store's `slurm/jobs.json` (atomically). The
/// jobs are queued whether or not this succeeds; without the record only
/// `anml results status` cannot name them.
pub fn record_submission(store: &Path, submission: &Submission) -> Result<(), SlurmError> {
    // Two submissions at once must not both read the old list and each
    // write it back with only their own entry.
    let lock = store.join("slurm").join(".jobs.lock");
    let _held = crate::atomic_file::lock_path(&lock).map_err(|source| SlurmError::Io {
        path: lock.clone(),
        source,
    })?;
    let mut all = read_submissions(store)?;
    all.push(submission.clone());
    let file = JobsFile { submissions: all };
    let path = jobs_file(store);
    let text = serde_json::to_string_pretty(&file).map_err(|e| SlurmError::BadRecord {
        path: path.clone(),
        message: e.to_string(),
    })?;
    write_file(&path, format!("{text}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsable_output_is_an_id_and_maybe_a_cluster() {
        assert_eq!(parse_parsable("s", "17\n").unwrap(), ("17".into(), None));
        assert_eq!(
            parse_parsable("s", "17;north\n").unwrap(),
            ("17".into(), Some("north".into()))
        );
        for bad in ["", "Submitted batch job 17", "17x"] {
            assert!(parse_parsable("s", bad).is_err(), "{bad}");
        }
    }

    /// Many submissions recorded at once: every one is kept.
    #[test]
    fn concurrent_records_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("slurm")).unwrap();
        std::thread::scope(|s| {
            for t in 0..8 {
                let store = dir.path();
                s.spawn(move || {
                    for i in 0..10 {
                        let sub = Submission {
                            array_job_id: format!("{}", t * 100 + i),
                            merge_job_id: "1".into(),
                            array_size: 2,
                            tasks: vec![0, 1],
                            cluster: None,
                            submitted_at: 0,
                        };
                        record_submission(store, &sub).unwrap();
                    }
                });
            }
        });
        let mut ids: Vec<String> = read_submissions(dir.path())
            .unwrap()
            .into_iter()
            .map(|s| s.array_job_id)
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 80);
    }

    #[test]
    fn submissions_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_submissions(dir.path()).unwrap().is_empty());
        std::fs::create_dir_all(dir.path().join("slurm")).unwrap();
        std::fs::write(jobs_file(dir.path()), "{ broken").unwrap();
        assert!(matches!(
            read_submissions(dir.path()).unwrap_err(),
            SlurmError::BadRecord { .. }
        ));
    }
}
