//! Calling Slurm's command-line tools: every call has a timeout
//! (`ANML_SLURM_TIMEOUT` seconds, 60 by default), and a failure carries the
//! tool's own message (its stderr, else its stdout).

use super::SlurmError;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long one call may take: `ANML_SLURM_TIMEOUT` seconds (a positive
/// number), else 60.
pub(crate) fn timeout() -> Duration {
    std::env::var("ANML_SLURM_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
        .map_or(Duration::from_secs(60), Duration::from_secs_f64)
}

fn shown(program: &str, args: &[String]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        s.push_str(&super::shell_quote(a));
    }
    s
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// Run `program args` in `cwd` (the current directory when `None`) and
/// return its stdout; a non-zero exit is [`SlurmError::ToolFailed`] with
/// the tool's message, a call past `limit` is killed and reported. When
/// `cancel` becomes true (Ctrl-C) the tool is not started, or is killed,
/// and the call is [`SlurmError::Interrupted`].
pub fn run_tool(
    program: &str,
    args: &[String],
    cwd: Option<&Path>,
    limit: Duration,
    cancel: Option<&AtomicBool>,
) -> Result<String, SlurmError> {
    let command = shown(program, args);
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::SeqCst));
    if cancelled() {
        return Err(SlurmError::Interrupted { command });
    }
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SlurmError::ToolMissing {
                tool: program.to_string(),
            });
        }
        Err(source) => return Err(SlurmError::Spawn { command, source }),
    };
    // Read both pipes while waiting, so a chatty tool never blocks on a
    // full pipe.
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if cancelled() => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SlurmError::Interrupted { command });
            }
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SlurmError::ToolTimedOut {
                    command,
                    seconds: limit.as_secs_f64().ceil() as u64,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => return Err(SlurmError::Spawn { command, source }),
        }
    };
    let text = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
        h.and_then(|h| h.join().ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let (stdout, stderr) = (text(out), text(err));
    if status.success() {
        return Ok(stdout);
    }
    let message = if stderr.trim().is_empty() {
        stdout.trim().to_string()
    } else {
        stderr.trim().to_string()
    };
    Err(SlurmError::ToolFailed {
        command,
        status: status.to_string(),
        message,
    })
}

/// One job (or array task) as Slurm reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    /// `123`, or an array task `123_4`.
    pub id: String,
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, ...
    pub state: String,
    /// `sacct`'s exit code (`1:0`), when it came from there.
    pub exit_code: Option<String>,
    /// Why a job waits, from `squeue` (`Dependency`, `Resources`,
    /// `JobHeldUser`, ...); `None` when it does not.
    pub reason: Option<String>,
}

/// What `squeue` says about `ids` (pending, running and recently ended
/// jobs; one line per array task). A tool failure for ids it no longer
/// holds is no answer, not an error.
fn from_squeue(ids: &str, notes: &mut Vec<String>) -> Vec<JobState> {
    let args = [
        "--noheader".to_string(),
        "--array".into(),
        "--states=all".into(),
        format!("--jobs={ids}"),
        "--format=%i|%T|%r".into(),
    ];
    match run_tool("squeue", &args, None, timeout(), None) {
        Ok(out) => out
            .lines()
            .filter_map(|line| {
                let mut f = line.trim().splitn(3, '|');
                let (id, state) = (f.next()?.trim(), f.next()?.trim());
                let reason = f
                    .next()
                    .map(str::trim)
                    .filter(|r| !r.is_empty() && *r != "None")
                    .map(str::to_string);
                Some(JobState {
                    id: id.to_string(),
                    state: state.to_string(),
                    exit_code: None,
                    reason,
                })
            })
            .collect(),
        // squeue fails for ids it no longer holds ("Invalid job id")
        Err(SlurmError::ToolFailed { .. }) => Vec::new(),
        Err(e) => {
            notes.push(e.to_string());
            Vec::new()
        }
    }
}

/// What accounting (`sacct`) says about `ids`.
fn from_sacct(ids: &str) -> Result<Vec<JobState>, SlurmError> {
    let args = [
        "--noheader".to_string(),
        "--parsable2".into(),
        "--allocations".into(),
        format!("--jobs={ids}"),
        "--format=JobID,State,ExitCode".into(),
    ];
    let out = run_tool("sacct", &args, None, timeout(), None)?;
    Ok(out
        .lines()
        .filter_map(
            |line| match line.trim().split('|').collect::<Vec<_>>()[..] {
                [id, state, code] => Some(JobState {
                    id: id.to_string(),
                    // `CANCELLED by 0` -> `CANCELLED`
                    state: state.split_whitespace().next().unwrap_or(state).to_string(),
                    exit_code: Some(code.to_string()),
                    reason: None,
                }),
                _ => None,
            },
        )
        .collect())
}

/// The state of a submission's array tasks (`{array}_{i}`, one entry each)
/// and of its merge job: from `squeue` while Slurm still holds them, else
/// from accounting (`sacct`). What neither knows is `UNKNOWN` (a task
/// cancelled before it started, or ended more than `MinJobAge` ago, on a
/// cluster without accounting). The second value explains what could not
/// be asked, if anything.
pub fn job_states(
    array_job_id: &str,
    tasks: &[usize],
    merge_job_id: &str,
) -> (Vec<JobState>, Option<String>) {
    let mut notes = Vec::new();
    let mut wanted: Vec<String> = tasks
        .iter()
        .map(|i| format!("{array_job_id}_{i}"))
        .collect();
    wanted.push(merge_job_id.to_string());
    // Both tools are asked about the two jobs (an array's id covers its
    // tasks), never task by task: a large array's ids would not fit on a
    // command line.
    let jobs = format!("{array_job_id},{merge_job_id}");
    let mut known: HashMap<String, JobState> = from_squeue(&jobs, &mut notes)
        .into_iter()
        .map(|j| (j.id.clone(), j))
        .collect();
    if wanted.iter().any(|w| !known.contains_key(w)) {
        match from_sacct(&jobs) {
            Ok(found) => {
                for j in found {
                    known.entry(j.id.clone()).or_insert(j);
                }
            }
            Err(e) => notes.push(format!("accounting (sacct) could not be asked: {e}")),
        }
    }
    let rest: Vec<&str> = wanted
        .iter()
        .filter(|w| !known.contains_key(*w))
        .map(String::as_str)
        .collect();
    if !rest.is_empty() {
        notes.push(format!(
            "UNKNOWN: Slurm no longer holds {} (cancelled before starting, or ended over MinJobAge ago) and accounting has no record",
            rest.join(", ")
        ));
    }
    let out = wanted
        .into_iter()
        .map(|w| {
            known.remove(&w).unwrap_or(JobState {
                id: w,
                state: "UNKNOWN".into(),
                exit_code: None,
                reason: None,
            })
        })
        .collect();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    (out, note)
}

/// The cluster's `MaxArraySize` (array indices must be below it), or
/// `None` when `scontrol` cannot say.
pub fn max_array_size() -> Option<usize> {
    let out = run_tool(
        "scontrol",
        &["show".into(), "config".into()],
        None,
        timeout(),
        None,
    )
    .ok()?;
    out.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "MaxArraySize")
            .then(|| v.trim().parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["-c".into(), script.into()]
    }

    #[test]
    fn output_failures_and_timeouts() {
        let t = Duration::from_secs(10);
        assert_eq!(
            run_tool("sh", &sh("echo 12;"), None, t, None).unwrap(),
            "12\n"
        );
        let e = run_tool(
            "sh",
            &sh("echo 'sbatch: error: Invalid partition name specified' >&2; exit 1"),
            None,
            t,
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("Invalid partition name specified")
                && e.to_string().contains("exit status: 1"),
            "{e}"
        );
        let start = Instant::now();
        let e = run_tool(
            "sleep",
            &["30".into()],
            None,
            Duration::from_millis(200),
            None,
        )
        .unwrap_err();
        assert!(matches!(e, SlurmError::ToolTimedOut { .. }), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
        let e = run_tool("anml-no-such-slurm-tool", &[], None, t, None).unwrap_err();
        assert!(matches!(e, SlurmError::ToolMissing { .. }), "{e}");
        // Ctrl-C: a running tool is killed at once, and none is started
        // once it is set
        let cancel = AtomicBool::new(false);
        let start = Instant::now();
        let e = std::thread::scope(|sc| {
            sc.spawn(|| {
                std::thread::sleep(Duration::from_millis(200));
                cancel.store(true, Ordering::SeqCst);
            });
            run_tool("sleep", &["30".into()], None, t, Some(&cancel)).unwrap_err()
        });
        assert!(matches!(e, SlurmError::Interrupted { .. }), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
        let e = run_tool("sh", &sh("echo 1"), None, t, Some(&cancel)).unwrap_err();
        assert!(matches!(e, SlurmError::Interrupted { .. }), "{e}");
        // a tool that prints more than a pipe holds does not deadlock
        let big = run_tool(
            "sh",
            &sh("head -c 1000000 /dev/zero | tr '\\0' x"),
            None,
            t,
            None,
        )
        .unwrap();
        assert_eq!(big.len(), 1_000_000);
    }
}
