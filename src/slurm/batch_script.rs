//! The two batch scripts of a Slurm sweep, as text: the job array (task
//! `i` runs shard `i/N`) and the merge job. Every path, name and argument
//! is shell-quoted; values that would change how `sbatch` reads its
//! `#SBATCH` lines (control characters, and `%`/`\` in log paths, which
//! Slurm reads as file name patterns) are refused before anything is
//! written.

use super::SlurmError;
use std::path::{Path, PathBuf};

/// The array script's file name under the store's `slurm/` directory.
pub const ARRAY_SCRIPT: &str = "array.sbatch";
/// The merge script's file name under the store's `slurm/` directory.
pub const MERGE_SCRIPT: &str = "merge.sbatch";

/// The `sbatch` options a user chooses (`--partition`, `--time`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobOptions {
    pub partition: Option<String>,
    pub account: Option<String>,
    /// Wall-time limit per array task (and for the merge job).
    pub time: Option<String>,
    /// Memory per node, e.g. `4G`.
    pub mem: Option<String>,
    /// CPUs per array task; the task runs this many runs at once.
    pub cpus_per_task: Option<usize>,
    /// Further `sbatch` options, each one long option (`--qos=low`).
    pub extra: Vec<String>,
}

/// Options anml writes itself: an `--sbatch-arg` may not set them (the
/// ones with an anml flag name it).
const OWN_OPTIONS: &[(&str, Option<&str>)] = &[
    ("--array", Some("--array-size")),
    ("--job-name", None),
    ("--output", None),
    ("--error", None),
    ("--chdir", None),
    ("--dependency", None),
    ("--parsable", None),
    ("--wrap", None),
    ("--partition", Some("--partition")),
    ("--account", Some("--account")),
    ("--time", Some("--time")),
    ("--mem", Some("--mem")),
    ("--cpus-per-task", Some("--cpus-per-task")),
];

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// `value` matches `ok` character by character and is not empty.
fn check_chars(
    flag: &str,
    value: &str,
    ok: impl Fn(char) -> bool,
    what: &str,
) -> Result<(), SlurmError> {
    if value.is_empty() || !value.chars().all(ok) {
        return Err(SlurmError::flag(flag, format!("`{value}` is not {what}")));
    }
    Ok(())
}

impl JobOptions {
    /// Check every value before any script is written.
    pub fn validate(&self) -> Result<(), SlurmError> {
        let name = |c: char| c.is_ascii_alphanumeric() || "_.-+:".contains(c);
        if let Some(p) = &self.partition {
            // a comma list: the job runs in whichever partition starts it first
            check_chars(
                "--partition",
                p,
                |c| name(c) || c == ',',
                "a partition name (or comma list)",
            )?;
        }
        if let Some(a) = &self.account {
            check_chars("--account", a, name, "an account name")?;
        }
        if let Some(t) = &self.time {
            let word = ["UNLIMITED", "INFINITE"].contains(&t.to_ascii_uppercase().as_str());
            if !word {
                check_chars(
                    "--time",
                    t,
                    |c| c.is_ascii_digit() || c == ':' || c == '-',
                    "a Slurm time (MM, HH:MM:SS, D-HH:MM, ... or UNLIMITED)",
                )?;
            }
        }
        if let Some(m) = &self.mem {
            let digits = m.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
            let suffix = m.len() - digits.len();
            if digits.is_empty() || suffix > 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SlurmError::flag(
                    "--mem",
                    format!(
                        "`{m}` is not a memory size: digits with an optional K, M, G or T (e.g. 4G)"
                    ),
                ));
            }
        }
        if self.cpus_per_task == Some(0) {
            return Err(SlurmError::flag("--cpus-per-task", "must be at least 1"));
        }
        for a in &self.extra {
            let opt = a.split_once('=').map_or(a.as_str(), |(o, _)| o);
            let long = opt.len() > 2
                && opt.starts_with("--")
                && opt[2..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !long || has_control(a) {
                return Err(SlurmError::flag(
                    "--sbatch-arg",
                    format!(
                        "`{a}` is not one long sbatch option: give --name or --name=value (e.g. --qos=low), once per --sbatch-arg"
                    ),
                ));
            }
            if let Some((own, via)) = OWN_OPTIONS.iter().find(|(o, _)| *o == opt) {
                let why = match via {
                    Some(flag) => format!("anml writes {own} itself; use anml's {flag}"),
                    None => format!("anml writes {own} itself"),
                };
                return Err(SlurmError::flag("--sbatch-arg", why));
            }
        }
        Ok(())
    }
}

/// A sweep's jobs: what each array task and the merge job run, and where.
#[derive(Debug, Clone)]
pub struct SweepJobs {
    /// The experiment; the jobs are named `anml-{experiment}` and
    /// `anml-{experiment}-merge`.
    pub experiment: String,
    /// The run store every task files into (absolute; on a filesystem
    /// every node shares).
    pub store: PathBuf,
    /// The directory the jobs run in (absolute), where the command's
    /// relative paths resolve.
    pub workdir: PathBuf,
    /// An array task's command, program first; the script appends
    /// `--shard "$SLURM_ARRAY_TASK_ID/N"`.
    pub task_command: Vec<String>,
    /// The merge job's command, program first.
    pub merge_command: Vec<String>,
    /// Shards the grid is cut into (`--shard i/array_size`), at least 1.
    pub array_size: usize,
    /// The array task ids (shards) to submit: all of `0..array_size`, or
    /// only those with runs left to do.
    pub tasks: Vec<usize>,
    pub options: JobOptions,
}

/// Task ids as Slurm's `--array` takes them: `0-3`, `1,5-7`.
pub fn task_ranges(tasks: &[usize]) -> String {
    let mut sorted = tasks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            sorted[i].to_string()
        } else {
            format!("{}-{}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// `s` quoted for bash (and for `sbatch`'s reading of `#SBATCH` lines,
/// which follows the same single-quote rules): bare when it holds only
/// characters no shell treats specially, else in single quotes with each
/// `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `p` as text for a batch script; a path that is not UTF-8 cannot be
/// written into one.
pub fn path_text(what: &'static str, p: &Path) -> Result<String, SlurmError> {
    p.to_str()
        .map(str::to_string)
        .ok_or_else(|| SlurmError::Unscriptable {
            what,
            value: p.display().to_string(),
            why: "it is not valid UTF-8",
        })
}

/// A value for an `#SBATCH` line: one line, no control characters.
fn sbatch_value(what: &'static str, s: &str) -> Result<String, SlurmError> {
    if has_control(s) {
        return Err(SlurmError::Unscriptable {
            what,
            value: s.escape_debug().to_string(),
            why: "it holds a control character (a newline would end the #SBATCH line)",
        });
    }
    Ok(shell_quote(s))
}

/// A log path for `#SBATCH --output`: Slurm expands `%` patterns and
/// stops expanding at a `\`, so neither may be in the directory part.
fn log_path(dir: &Path, pattern: &str) -> Result<String, SlurmError> {
    let d = path_text("the store's log directory", dir)?;
    if d.contains('%') || d.contains('\\') {
        return Err(SlurmError::Unscriptable {
            what: "the store's log directory",
            value: d,
            why: "Slurm reads % and \\ in an --output path as file name patterns; choose a store path without them",
        });
    }
    sbatch_value("the store's log directory", &format!("{d}/{pattern}"))
}

fn command_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

impl SweepJobs {
    /// Where the scripts and the submission record go: `{store}/slurm`.
    pub fn slurm_dir(&self) -> PathBuf {
        self.store.join("slurm")
    }

    /// Where the jobs' output goes: `{store}/slurm/logs`.
    pub fn log_dir(&self) -> PathBuf {
        self.slurm_dir().join("logs")
    }

    fn job_name(&self, suffix: &str) -> Result<String, SlurmError> {
        sbatch_value("the job name", &format!("anml-{}{suffix}", self.experiment))
    }

    /// The `#SBATCH` lines both scripts share (after the name and output).
    fn common_lines(&self, out: &mut String, cpus: Option<usize>) -> Result<(), SlurmError> {
        let o = &self.options;
        o.validate()?;
        let mut line = |opt: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push_str(&format!("#SBATCH --{opt}={v}\n"));
            }
        };
        line("partition", o.partition.as_deref().map(shell_quote));
        line("account", o.account.as_deref().map(shell_quote));
        line("time", o.time.as_deref().map(shell_quote));
        line("mem", o.mem.as_deref().map(shell_quote));
        line("cpus-per-task", cpus.map(|c| c.to_string()));
        for a in &o.extra {
            out.push_str(&format!("#SBATCH {}\n", shell_quote(a)));
        }
        Ok(())
    }

    fn header(&self, out: &mut String, name: &str, log: &str) -> Result<(), SlurmError> {
        let workdir = path_text("the working directory", &self.workdir)?;
        out.push_str(&format!("#SBATCH --job-name={name}\n"));
        out.push_str(&format!(
            "#SBATCH --chdir={}\n",
            sbatch_value("the working directory", &workdir)?
        ));
        out.push_str(&format!("#SBATCH --output={log}\n"));
        Ok(())
    }

    /// The job array: task `i` of `N` runs shard `i/N` into the store.
    pub fn array_script(&self) -> Result<String, SlurmError> {
        if self.array_size == 0 {
            return Err(SlurmError::flag("--array-size", "must be at least 1"));
        }
        if self.tasks.is_empty() || self.tasks.iter().any(|&t| t >= self.array_size) {
            return Err(SlurmError::flag(
                "--array-size",
                format!(
                    "array tasks {:?} are not shards of {}",
                    self.tasks, self.array_size
                ),
            ));
        }
        let store = path_text("the run store", &self.store)?;
        // (it goes into a comment line: one line)
        sbatch_value("the run store", &store)?;
        let n = self.array_size;
        let mut s = String::from("#!/bin/bash\n");
        s.push_str(&format!(
            "# anml sweep `{}`, written by `anml ... --slurm`: array task i of {n} runs\n\
             # shard i/{n} of the grid and files its runs in the run store\n\
             #   {store}\n\
             # which must be on a filesystem every node shares. Submitting again runs only\n\
             # the grid points the store does not have; `anml results status` shows progress.\n",
            self.experiment
        ));
        let name = self.job_name("")?;
        self.header(
            &mut s,
            &name,
            &log_path(&self.log_dir(), "array-%A_%a.out")?,
        )?;
        s.push_str(&format!("#SBATCH --array={}\n", task_ranges(&self.tasks)));
        self.common_lines(&mut s, self.options.cpus_per_task)?;
        s.push_str("set -euo pipefail\n");
        s.push_str(&format!(
            "exec {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\"\n",
            command_line(&self.task_command)
        ));
        Ok(s)
    }

    /// The merge job: submitted with `--dependency=afterany:ARRAY`, it
    /// rewrites the store's leaderboards from every filed run, names the
    /// grid points no task filed and exits 1 when there are any.
    pub fn merge_script(&self) -> Result<String, SlurmError> {
        let mut s = String::from("#!/bin/bash\n");
        s.push_str(&format!(
            "# anml sweep `{}`, written by `anml ... --slurm`: runs once every array task\n\
             # has ended (afterany), writes the leaderboards of the run store and lists the\n\
             # grid points no task filed (exit 1 when there are any).\n",
            self.experiment
        ));
        let name = self.job_name("-merge")?;
        self.header(&mut s, &name, &log_path(&self.log_dir(), "merge-%j.out")?)?;
        self.common_lines(&mut s, Some(1))?;
        s.push_str("set -euo pipefail\n");
        s.push_str(&format!("exec {}\n", command_line(&self.merge_command)));
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs() -> SweepJobs {
        SweepJobs {
            experiment: "odds".into(),
            store: "/shared/it's a store/results/odds".into(),
            workdir: "/shared/work dir".into(),
            task_command: ["/opt/anml", "benchmark", "--suite", "odds"]
                .map(String::from)
                .to_vec(),
            merge_command: ["/opt/anml", "results", "report", "/s"]
                .map(String::from)
                .to_vec(),
            array_size: 4,
            tasks: vec![0, 1, 2, 3],
            options: JobOptions::default(),
        }
    }

    #[test]
    fn task_ids_are_written_as_ranges() {
        assert_eq!(task_ranges(&[0, 1, 2, 3]), "0-3");
        assert_eq!(task_ranges(&[7, 1, 5, 6]), "1,5-7");
        assert_eq!(task_ranges(&[2]), "2");
        let mut j = jobs();
        j.tasks = vec![1, 3];
        assert!(j.array_script().unwrap().contains("#SBATCH --array=1,3\n"));
        j.tasks = vec![4];
        assert!(j.array_script().is_err());
    }

    #[test]
    fn quoting_survives_bash() {
        for s in [
            "plain-1.0/x",
            "with space",
            "it's",
            "$HOME `x` \"q\" \\ ; & | * ? ! #",
            "",
            "'",
            "multi\nline",
        ] {
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("printf %s {}", shell_quote(s)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s);
        }
        assert_eq!(shell_quote("debug"), "debug");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn the_array_script_runs_one_shard_per_task() {
        let s = jobs().array_script().unwrap();
        assert!(s.contains("#SBATCH --array=0-3\n"), "{s}");
        assert!(s.contains("#SBATCH --chdir='/shared/work dir'\n"), "{s}");
        assert!(
            s.contains("#SBATCH --output='/shared/it'\\''s a store/results/odds/slurm/logs/array-%A_%a.out'\n"),
            "{s}"
        );
        assert!(
            s.ends_with(
                "exec /opt/anml benchmark --suite odds --shard \"${SLURM_ARRAY_TASK_ID}/4\"\n"
            ),
            "{s}"
        );
        let m = jobs().merge_script().unwrap();
        assert!(m.contains("#SBATCH --job-name=anml-odds-merge\n"), "{m}");
        assert!(m.contains("#SBATCH --cpus-per-task=1\n"), "{m}");
        assert!(m.ends_with("exec /opt/anml results report /s\n"), "{m}");
    }

    #[test]
    fn options_are_checked_before_a_script_is_written() {
        let with = |f: fn(&mut JobOptions)| {
            let mut j = jobs();
            f(&mut j.options);
            j.array_script()
        };
        let ok = with(|o| {
            o.partition = Some("debug,gpu".into());
            o.time = Some("1-02:00:00".into());
            o.mem = Some("4G".into());
            o.cpus_per_task = Some(2);
            o.account = Some("lab_01".into());
            o.extra = vec!["--qos=low".into(), "--comment=a b".into(), "--hold".into()];
        })
        .unwrap();
        for line in [
            "#SBATCH --partition=debug,gpu\n",
            "#SBATCH --time=1-02:00:00\n",
            "#SBATCH --mem=4G\n",
            "#SBATCH --cpus-per-task=2\n",
            "#SBATCH --account=lab_01\n",
            "#SBATCH --qos=low\n",
            "#SBATCH '--comment=a b'\n",
            "#SBATCH --hold\n",
        ] {
            assert!(ok.contains(line), "{line} in {ok}");
        }
        type Edit = fn(&mut JobOptions);
        let bad: [(Edit, &str); 9] = [
            (|o| o.partition = Some("a b".into()), "--partition"),
            (
                |o| o.partition = Some("x\n#SBATCH --wrap=rm".into()),
                "--partition",
            ),
            (|o| o.time = Some("1h".into()), "--time"),
            (|o| o.mem = Some("4GB".into()), "--mem"),
            (|o| o.mem = Some("G".into()), "--mem"),
            (|o| o.cpus_per_task = Some(0), "--cpus-per-task"),
            (|o| o.extra = vec!["-p debug".into()], "--sbatch-arg"),
            (|o| o.extra = vec!["--array=0-9".into()], "--array-size"),
            (|o| o.extra = vec!["--qos=a\nb".into()], "--sbatch-arg"),
        ];
        for (f, flag) in bad {
            let e = with(f).unwrap_err();
            assert!(e.is_usage() && e.to_string().contains(flag), "{flag}: {e}");
        }
        let mut j = jobs();
        j.store = "/shared/100%/odds".into();
        assert!(j.array_script().unwrap_err().is_usage());
        let mut j = jobs();
        j.workdir = "/shared/new\nline".into();
        assert!(
            j.array_script()
                .unwrap_err()
                .to_string()
                .contains("control character")
        );
    }
}
