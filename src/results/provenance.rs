//! Provenance: what a run records about how it was produced, beyond its
//! inputs: the script (path and SHA-256), the git commit and dirty flag of
//! the script's repository, the command line and the sandbox limits.
//!
//! Two things are left out on purpose, so that the same experiment gives
//! byte-identical run files however and wherever it was run: the flags
//! that only schedule work or choose where files go (`--jobs`, `--force`,
//! `--shard`, `--output`, `--workspace`, `--data-dir`, `--data-mirror`,
//! `--offline`) are dropped from the recorded command line, and no
//! timestamp is recorded (timing lives in the timing fields).
//!
//! A run made under Slurm also records where it ran ([`SlurmInfo`]: the
//! job, array task and node). Those ids differ between submissions of the
//! same experiment, so they are never part of the run id, and
//! [`crate::bench::deterministic_json`] leaves them out like timing.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The script a run came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptInfo {
    /// As given on the command line.
    pub path: String,
    /// SHA-256 (hex) of the script's bytes; part of the run id.
    pub sha256: String,
}

/// The state of the git repository holding the script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// `HEAD`'s commit (hex).
    pub commit: String,
    /// Tracked files differ from `HEAD`, or the script itself is untracked.
    pub dirty: bool,
}

/// How a run was produced. Every field is deterministic for the same
/// command in the same checkout.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Provenance {
    pub script: Option<ScriptInfo>,
    pub git: Option<GitInfo>,
    /// The command line (program name first) without scheduling flags.
    pub argv: Vec<String>,
    /// The sandbox limits in force (scripts only; null for CLI runs).
    pub limits: Option<Value>,
    /// The Slurm job the run was made in; absent outside Slurm (and in
    /// every record written before anml recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm: Option<SlurmInfo>,
}

/// Where under Slurm a run was made, from the job's environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlurmInfo {
    /// `SLURM_JOB_ID`: this job (for an array task, the task's own id).
    pub job_id: String,
    /// `SLURM_ARRAY_JOB_ID`, for an array task.
    pub array_job_id: Option<String>,
    /// `SLURM_ARRAY_TASK_ID`, for an array task.
    pub array_task_id: Option<String>,
    /// `SLURMD_NODENAME`: the node the run was made on.
    pub node: Option<String>,
}

/// The provenance field that names the Slurm job, left out of
/// deterministic comparisons.
pub const SLURM_FIELD: &str = "slurm";

impl SlurmInfo {
    /// The Slurm job this process runs in, or `None` outside Slurm
    /// (`SLURM_JOB_ID` unset or empty).
    pub fn from_env() -> Option<Self> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    fn from_vars(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Some(Self {
            job_id: var("SLURM_JOB_ID")?,
            array_job_id: var("SLURM_ARRAY_JOB_ID"),
            array_task_id: var("SLURM_ARRAY_TASK_ID"),
            node: var("SLURMD_NODENAME"),
        })
    }
}

/// The flags of `--slurm` submission: the array tasks run the same
/// command without them. The bool says whether the flag takes a separate
/// value.
pub const SLURM_FLAGS: &[(&str, bool)] = &[
    ("--slurm", false),
    ("--array-size", true),
    ("--partition", true),
    ("--time", true),
    ("--mem", true),
    ("--cpus-per-task", true),
    ("--account", true),
    ("--sbatch-arg", true),
    ("--dry-run", false),
    ("--script-sha256", true),
];

/// The global flags that say where the workspace and the data are.
pub const LOCATION_FLAGS: &[(&str, bool)] = &[
    ("--workspace", true),
    ("--data-dir", true),
    ("--data-mirror", true),
    ("--offline", false),
];

/// Flags that choose how work is scheduled, where files go or what is
/// reported, never what a run computes (besides [`LOCATION_FLAGS`] and
/// [`SLURM_FLAGS`]).
const SCHEDULING_FLAGS: &[(&str, bool)] = &[
    ("--jobs", true),
    ("--force", false),
    ("--shard", true),
    ("--output", true),
    ("--threshold", true),
];

/// `args` without each flag of `flags` and its value (`--jobs 2`,
/// `--jobs=2`, `--force`).
pub fn strip_flags<I: IntoIterator<Item = String>>(args: I, flags: &[(&str, bool)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for a in args {
        if skip_next {
            skip_next = false;
            continue;
        }
        let hit = flags
            .iter()
            .find(|(f, _)| a == *f || (a.starts_with(f) && a[f.len()..].starts_with('=')));
        match hit {
            Some((f, takes_value)) => skip_next = *takes_value && a == *f,
            None => out.push(a),
        }
    }
    out
}

/// `args` without the scheduling, location and Slurm flags (`--jobs 2`,
/// `--jobs=2`, `--force`, `--shard 0/3`, `--output x.json`, ...).
/// The program itself is recorded by its file name (`anml`), not the path
/// it was started from.
pub fn recorded_argv<I: IntoIterator<Item = String>>(args: I) -> Vec<String> {
    let mut args = args.into_iter();
    let Some(program) = args.next() else {
        return Vec::new();
    };
    let name = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(program);
    let rest = strip_flags(args, SCHEDULING_FLAGS);
    let rest = strip_flags(rest, LOCATION_FLAGS);
    let mut out = vec![name];
    out.extend(strip_flags(rest, SLURM_FLAGS));
    out
}

fn git(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
}

/// The commit and dirty flag of the repository holding `file`, or `None`
/// when it is not in a repository (or git is not installed). The host runs
/// git here; scripts themselves can never spawn processes.
pub fn git_info(file: &Path) -> Option<GitInfo> {
    let abs = std::path::absolute(file).ok()?;
    let dir = abs.parent()?;
    let head = git(dir, &["rev-parse", "--verify", "HEAD"])?;
    if !head.status.success() {
        return None;
    }
    let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let status = git(dir, &["status", "--porcelain", "--untracked-files=no"])?;
    let name = abs.file_name()?.to_string_lossy().into_owned();
    let tracked =
        git(dir, &["ls-files", "--error-unmatch", "--", &name]).is_some_and(|o| o.status.success());
    Some(GitInfo {
        commit,
        dirty: !status.status.success() || !status.stdout.is_empty() || !tracked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn scheduling_flags_are_not_recorded() {
        let got = recorded_argv(v(&[
            "anml",
            "--jobs",
            "2",
            "benchmark",
            "--suite",
            "odds",
            "--force",
            "--shard=1/3",
            "--jobs=4",
            "--seeds",
            "0-1",
            "--output",
            "/tmp/x",
            "--offline",
        ]));
        assert_eq!(
            got,
            v(&["anml", "benchmark", "--suite", "odds", "--seeds", "0-1"])
        );
        // a value that merely starts with a flag's name is kept
        assert_eq!(
            recorded_argv(v(&["anml", "--jobsx", "1"])),
            v(&["anml", "--jobsx", "1"])
        );
    }

    #[test]
    fn slurm_info_comes_from_the_job_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(SlurmInfo::from_vars(env(&[])), None);
        assert_eq!(SlurmInfo::from_vars(env(&[("SLURM_JOB_ID", " ")])), None);
        let task = SlurmInfo::from_vars(env(&[
            ("SLURM_JOB_ID", "42"),
            ("SLURM_ARRAY_JOB_ID", "40"),
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURMD_NODENAME", "node07"),
        ]))
        .unwrap();
        assert_eq!(task.job_id, "42");
        assert_eq!(task.array_job_id.as_deref(), Some("40"));
        assert_eq!(task.array_task_id.as_deref(), Some("2"));
        assert_eq!(task.node.as_deref(), Some("node07"));
        // a plain job: no array fields
        let job = SlurmInfo::from_vars(env(&[("SLURM_JOB_ID", "7")])).unwrap();
        assert_eq!((job.array_job_id, job.node), (None, None));
    }

    #[test]
    fn slurm_submission_flags_are_not_recorded() {
        assert_eq!(
            recorded_argv(v(&[
                "anml",
                "benchmark",
                "--suite",
                "odds",
                "--slurm",
                "--array-size",
                "4",
                "--partition=debug",
                "--sbatch-arg",
                "--qos=low",
                "--dry-run",
            ])),
            v(&["anml", "benchmark", "--suite", "odds"])
        );
    }

    #[test]
    fn a_file_outside_any_repository_has_no_git_info() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.rhai");
        std::fs::write(&f, "1").unwrap();
        assert_eq!(git_info(&f), None);
    }

    #[test]
    fn git_info_reports_commit_and_dirty_flag() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        };
        if !run(&["init", "-q"]) {
            return; // no git on this machine: git_info is None, covered above
        }
        let f = dir.path().join("s.rhai");
        std::fs::write(&f, "1").unwrap();
        assert!(run(&["add", "s.rhai"]));
        assert!(run(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "x"
        ]));
        let clean = git_info(&f).unwrap();
        assert_eq!(clean.commit.len(), 40);
        assert!(!clean.dirty);
        std::fs::write(&f, "2").unwrap();
        assert!(git_info(&f).unwrap().dirty);
        let other = dir.path().join("new.rhai");
        std::fs::write(&other, "1").unwrap();
        std::fs::write(&f, "1").unwrap();
        assert!(
            git_info(&other).unwrap().dirty,
            "an untracked script is dirty"
        );
    }
}
