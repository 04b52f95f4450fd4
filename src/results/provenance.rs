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
}

/// Flags that choose how work is scheduled or where files go, never what
/// a run computes. The bool says whether the flag takes a separate value.
const SCHEDULING_FLAGS: &[(&str, bool)] = &[
    ("--jobs", true),
    ("--force", false),
    ("--shard", true),
    ("--output", true),
    ("--workspace", true),
    ("--data-dir", true),
    ("--data-mirror", true),
    ("--offline", false),
];

/// `args` without the scheduling and location flags (`--jobs 2`,
/// `--jobs=2`, `--force`, `--shard 0/3`, `--output x.json`, ...).
/// The program itself is recorded by its file name (`anml`), not the path
/// it was started from.
pub fn recorded_argv<I: IntoIterator<Item = String>>(args: I) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for (i, a) in args.into_iter().enumerate() {
        if i == 0 {
            let name = Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(a);
            out.push(name);
            continue;
        }
        if skip_next {
            skip_next = false;
            continue;
        }
        let hit = SCHEDULING_FLAGS
            .iter()
            .find(|(f, _)| a == *f || (a.starts_with(f) && a[f.len()..].starts_with('=')));
        match hit {
            Some((f, takes_value)) => skip_next = *takes_value && a == *f,
            None => out.push(a),
        }
    }
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
