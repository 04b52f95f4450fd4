//! `--slurm` against a real one-node Slurm (slurmctld, slurmd and munge,
//! started by `scripts/ci/start-slurm.sh` when none is running): a 3 × 3 ×
//! 3 suite submitted as a 4-task array plus its merge job equals the same
//! suite run here; a cancelled task leaves the other shards' runs, the merge
//! job names what is missing and fails, and submitting again fills the gap.
//! `--dry-run` is checked against a committed script
//! (`tests/fixtures/slurm/dry_run.txt`) with no Slurm at all.
//!
//! Without Slurm (no root, no apt), the Slurm tests say SKIPPED loudly and
//! pass; with `ANML_REQUIRE_SLURM=1` (as `.ci/run` sets) they fail instead.

mod common;

use common::{mirror, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SUITE: &[&str] = &[
    "benchmark",
    "--suite",
    "odds",
    "--datasets",
    "wbc,glass,vertebral",
    "--models",
    "hbos,isolation_forest,knn",
    "--seeds",
    "0-2",
    "--protocol",
    "pyod",
];

/// A workspace directory name with a space and both kinds of quote.
const WS: &str = "it's a \"ws\"";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `anml` run in `root` with the workspace `root/WS`, a cache inside it
/// and the shared mirror, downloads off.
fn anml(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_anml"));
    c.current_dir(root)
        .env_remove("ANML_DATA_MIRROR")
        .env_remove("ANML_DATA_DIR")
        .env_remove("ANML_WORKSPACE")
        .env_remove("SLURM_JOB_ID")
        .args(["--workspace", WS, "--data-dir", "cache", "--data-mirror"])
        .arg(mirror())
        .arg("--offline");
    c
}

/// [`anml`] talking to the test's Slurm.
fn anml_slurm(root: &Path) -> Command {
    let mut c = anml(root);
    if let Some(conf) = slurm_conf() {
        c.env("SLURM_CONF", conf);
    }
    c
}

fn run(mut c: Command) -> Output {
    c.output().expect("run anml")
}

fn tool(program: &str, args: &[&str]) -> Output {
    let mut c = Command::new(program);
    c.args(args);
    if let Some(conf) = slurm_conf() {
        c.env("SLURM_CONF", conf);
    }
    c.output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"))
}

fn slurm_works(conf: Option<&Path>) -> bool {
    let mut c = Command::new("sinfo");
    c.args(["-h", "-o", "%t"]);
    if let Some(conf) = conf {
        c.env("SLURM_CONF", conf);
    }
    c.output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("idle"))
}

/// The `SLURM_CONF` of a working Slurm: the environment's, the CI recipe's
/// if it is already up, else the recipe started now. `None` (after a loud
/// message) where Slurm cannot be started here.
fn slurm_conf() -> Option<&'static PathBuf> {
    static CONF: OnceLock<Option<PathBuf>> = OnceLock::new();
    CONF.get_or_init(|| {
        if let Some(c) = std::env::var_os("SLURM_CONF").map(PathBuf::from)
            && slurm_works(Some(&c))
        {
            return Some(c);
        }
        let base = std::env::var_os("SLURM_CI_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp/anml-slurm"));
        let conf = base.join("etc/slurm.conf");
        if conf.is_file() && slurm_works(Some(&conf)) {
            return Some(conf);
        }
        let start = Command::new("bash")
            .arg(repo().join("scripts/ci/start-slurm.sh"))
            .output();
        match start {
            Ok(o) if o.status.success() && slurm_works(Some(&conf)) => Some(conf),
            other => {
                let why = match other {
                    Ok(o) => {
                        let (out, err) = text(&o);
                        format!("{}\n{out}\n{err}", o.status)
                    }
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var_os("ANML_REQUIRE_SLURM").is_none_or(|v| v != "1"),
                    "ANML_REQUIRE_SLURM=1 and Slurm could not be started: {why}"
                );
                // straight to stderr: the harness hides eprintln! of a passing test
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** SKIPPED: the Slurm tests need a running Slurm, and \
                     scripts/ci/start-slurm.sh could not start one here (it needs root and \
                     apt-get): {why}\n"
                );
                None
            }
        }
    })
    .as_ref()
}

/// The tests that submit jobs share one Slurm node: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The job ids `--slurm` printed: (array, merge).
fn job_ids(stdout: &str) -> (String, String) {
    let id = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no `{prefix}` line in {stdout}"))
            .to_string()
    };
    (id("submitted job array "), id("submitted merge job "))
}

/// Wait until Slurm reports `job` ended; its final state.
fn wait_for(job: &str, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let o = tool("squeue", &["-h", "-t", "all", "-j", job, "-o", "%T"]);
        let state = String::from_utf8_lossy(&o.stdout).trim().to_string();
        if !state.is_empty()
            && !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].contains(&state.as_str())
        {
            return state;
        }
        assert!(
            start.elapsed() < limit,
            "job {job} still `{state}` after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn store(root: &Path) -> PathBuf {
    root.join(WS).join("results/odds")
}

/// Every record of a store by run id, without what may differ between two
/// runs of the same inputs (timing, hardware, the Slurm job).
fn deterministic_records(store: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(store.join("runs")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let m = v.as_object_mut().unwrap();
        for f in anml::results::NONDETERMINISTIC_FIELDS {
            m.remove(*f);
        }
        m["provenance"].as_object_mut().unwrap().remove("slurm");
        out.push((name, v));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// leaderboard.csv without its timing column.
fn leaderboard_scores(store: &Path) -> String {
    std::fs::read_to_string(store.join("leaderboard.csv"))
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(keep, _)| keep).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn dry_run_prints_the_committed_scripts_and_submits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut c = anml(root);
    c.args(SUITE).args([
        "--slurm",
        "--array-size",
        "4",
        "--partition",
        "debug",
        "--time",
        "00:30:00",
        "--mem",
        "2G",
        "--cpus-per-task",
        "2",
        "--account",
        "lab",
        "--sbatch-arg=--qos=normal",
        "--sbatch-arg",
        "--comment=anml ci",
        "--dry-run",
    ]);
    // no Slurm tool is needed (or called) for a dry run
    c.env("PATH", "/nonexistent");
    let o = run(c);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let abs = |p: PathBuf| std::path::absolute(p).unwrap().display().to_string();
    let got = out
        .replace(env!("CARGO_BIN_EXE_anml"), "@ANML@")
        .replace(&abs(mirror()), "@MIRROR@")
        .replace(&root.display().to_string(), "@ROOT@");
    let path = repo().join("tests/fixtures/slurm/dry_run.txt");
    if std::env::var_os("ANML_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert_eq!(got, want, "dry-run output differs from {}", path.display());
    assert!(
        !store(root).exists(),
        "a dry run writes nothing: {}",
        store(root).display()
    );
}

#[test]
fn bad_submissions_are_refused_before_slurm_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--array-size", "28"], "at most 27"),
        (&["--shard", "0/2"], "drop --shard"),
        (&["--cpus-per-task", "2", "--jobs", "2"], "give one of them"),
        (&["--time", "1h"], "--time"),
        (&["--sbatch-arg=--array=0-3"], "--array-size"),
        (&["--sbatch-arg", "-p debug"], "one long sbatch option"),
        (&["--compare", "x.json"], "--compare"),
    ];
    for (extra, msg) in cases {
        let mut c = anml(dir.path());
        c.args(SUITE).arg("--slurm").args(*extra).arg("--dry-run");
        let o = run(c);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {out}\n{err}");
        assert!(err.contains(msg), "{extra:?}: {err}");
    }
    // flags are checked before any data is loaded: with no data reachable,
    // the bad flag is still what is reported
    let empty = dir.path().join("empty-mirror");
    std::fs::create_dir_all(&empty).unwrap();
    let mut c = anml(dir.path());
    c.args(SUITE)
        .args(["--slurm", "--time", "1h", "--dry-run", "--data-mirror"])
        .arg(&empty);
    let o = run(c);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("--time"), "{:?}", text(&o));
    // a workspace whose path cannot go into a batch script: the error
    // alone, not half a dry run
    let mut c = Command::new(env!("CARGO_BIN_EXE_anml"));
    c.current_dir(dir.path())
        .args(["--workspace", "new\nline", "--data-mirror"])
        .arg(mirror())
        .arg("--offline")
        .args(SUITE)
        .args(["--slurm", "--dry-run"]);
    let o = run(c);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(
        out.is_empty() && err.contains("control character"),
        "{out}\n{err}"
    );
    // a single run is not a sweep
    let mut c = anml(dir.path());
    c.args([
        "benchmark",
        "--dataset",
        "wbc",
        "--model",
        "hbos",
        "--slurm",
    ]);
    let o = run(c);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("submits sweeps"), "{}", text(&o).1);
}

#[test]
fn a_slurm_sweep_equals_a_local_one_and_resubmission_fills_a_cancelled_task() {
    if slurm_conf().is_none() {
        return;
    }
    let _one = serial();
    let limit = Duration::from_secs(300);
    let local_dir = tempfile::tempdir().unwrap();
    let slurm_dir = tempfile::tempdir().unwrap();
    let (local, root) = (local_dir.path(), slurm_dir.path());

    let mut c = anml(local);
    c.args(SUITE);
    let o = run(c);
    assert!(o.status.success(), "{:?}", text(&o));

    // A partition Slurm does not have: Slurm's own message, exit 1.
    let mut c = anml_slurm(root);
    c.args(SUITE)
        .args(["--slurm", "--array-size", "4", "--partition", "nosuch"]);
    let o = run(c);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains("sbatch") && err.to_lowercase().contains("invalid partition"),
        "{err}"
    );

    // Submitted held, so that task 1 can be cancelled before it starts.
    let mut c = anml_slurm(root);
    c.args(SUITE).args([
        "--slurm",
        "--array-size",
        "4",
        "--cpus-per-task",
        "1",
        "--sbatch-arg=--hold",
        "--sbatch-arg=--comment=it's \"quoted\" #1",
    ]);
    let o = run(c);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let (array, merge) = job_ids(&out);
    // sbatch read the quoted option as one value
    let shown = tool("scontrol", &["show", "job", &merge]);
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(shown.contains("Comment=it's \"quoted\" #1"), "{shown}");
    let cancel = tool("scancel", &[&format!("{array}_1")]);
    assert!(cancel.status.success(), "{:?}", text(&cancel));
    for job in [&array, &merge] {
        let r = tool("scontrol", &["release", job]);
        assert!(r.status.success(), "release {job}: {:?}", text(&r));
    }
    assert_eq!(wait_for(&merge, limit), "FAILED", "the merge job exits 1");
    for i in [0, 2, 3] {
        assert_eq!(wait_for(&format!("{array}_{i}"), limit), "COMPLETED");
    }
    let log = std::fs::read_to_string(
        store(root)
            .join("slurm/logs")
            .join(format!("merge-{merge}.out")),
    )
    .unwrap();
    // grid points 1, 5, 9, ..., 25: shard 1 of 4 of 27
    assert!(log.contains("missing: "), "{log}");
    assert!(
        log.contains("7 of the grid's 27 runs are not in")
            && log.contains("submit the same command"),
        "{log}"
    );
    assert_eq!(deterministic_records(&store(root)).len(), 20);

    // status: counts, and what Slurm says about every task
    let mut c = anml_slurm(root);
    c.args(["results", "status"]).arg(store(root)).arg("--json");
    let o = run(c);
    assert!(o.status.success(), "{:?}", text(&o));
    let st: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["grid"], 27);
    assert_eq!(st["done"], 20);
    assert_eq!(st["missing"].as_array().unwrap().len(), 7);
    let jobs = st["slurm"]["jobs"].as_array().unwrap();
    let state_of = |id: &str| {
        jobs.iter()
            .find(|j| j["id"] == id)
            .map(|j| j["state"].as_str().unwrap().to_string())
    };
    // cancelled before it started: CANCELLED where accounting keeps it;
    // this Slurm has none, and squeue forgets such a task at once
    let cancelled = state_of(&format!("{array}_1"));
    assert!(
        ["CANCELLED", "UNKNOWN"].contains(&cancelled.as_deref().unwrap_or("")),
        "{st}"
    );
    for i in [0, 2, 3] {
        assert_eq!(
            state_of(&format!("{array}_{i}")).as_deref(),
            Some("COMPLETED")
        );
    }
    assert_eq!(state_of(&merge).as_deref(), Some("FAILED"));
    assert_eq!(jobs.len(), 5, "every task and the merge job: {st}");

    // Submit again: only shard 1 has runs left, so only task 1 is
    // submitted; it runs them, and the merge job succeeds.
    let mut c = anml_slurm(root);
    c.args(SUITE)
        .args(["--slurm", "--array-size", "4", "--cpus-per-task", "1"]);
    let o = run(c);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains("(tasks 1 of 4: the other shards' runs are all stored)"),
        "{out}"
    );
    let (array2, merge2) = job_ids(&out);
    assert_eq!(wait_for(&merge2, limit), "COMPLETED");
    let logs = store(root).join("slurm/logs");
    let log = std::fs::read_to_string(logs.join(format!("array-{array2}_1.out"))).unwrap();
    assert!(
        log.contains("shard 1/4: 7 of the grid's 27 runs: 0 cached, 7 run, 0 failed"),
        "{log}"
    );
    for i in [0, 2, 3] {
        assert!(!logs.join(format!("array-{array2}_{i}.out")).exists());
    }
    // and once everything is stored, nothing is submitted at all
    let mut c = anml_slurm(root);
    c.args(SUITE).args(["--slurm", "--array-size", "4"]);
    let o = run(c);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("all 27 runs of the grid are in"), "{out}");
    assert!(!out.contains("submitted"), "{out}");
    // --force submits every shard again (shown by a dry run)
    let mut c = anml_slurm(root);
    c.args(SUITE)
        .args(["--slurm", "--array-size", "4", "--force", "--dry-run"]);
    let o = run(c);
    let (out, _) = text(&o);
    assert!(
        out.contains("#SBATCH --array=0-3\n") && out.contains(" --force "),
        "{out}"
    );

    // The same records as the local run, apart from timing, hardware and
    // the Slurm ids, which each Slurm record has.
    let (ours, theirs) = (
        deterministic_records(&store(root)),
        deterministic_records(&local.join(WS).join("results/odds")),
    );
    assert_eq!(ours.len(), 27);
    assert_eq!(ours, theirs);
    assert_eq!(
        leaderboard_scores(&store(root)),
        leaderboard_scores(&local.join(WS).join("results/odds"))
    );
    for e in std::fs::read_dir(store(root).join("runs")).unwrap() {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
        let s = &v["provenance"]["slurm"];
        assert!(
            s["array_job_id"] == array.as_str() || s["array_job_id"] == array2.as_str(),
            "{s}"
        );
        assert_eq!(s["node"], "localhost");
        assert!(
            s["array_task_id"].is_string() && s["job_id"].is_string(),
            "{s}"
        );
    }
    // a Slurm store and a local one merge without conflicts: they differ
    // only in what merges ignore
    let mut c = anml(root);
    c.args(["results", "merge"])
        .arg(store(root))
        .arg(local.join(WS).join("results/odds"))
        .arg("--output")
        .arg(root.join("merged"));
    let o = run(c);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains("27 runs (27 copied, 0 already there, 27 in more than one input"),
        "{out}"
    );
    // both submissions are on record
    let mut c = anml_slurm(root);
    c.args(["results", "status"]).arg(store(root));
    let o = run(c);
    let (out, _) = text(&o);
    assert!(
        out.contains("done 27, failed 0, missing 0 (of 27)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("submission 2 of 2: job array {array2}")),
        "{out}"
    );
}

#[test]
fn a_script_sweep_is_submitted_with_anml_sweep() {
    if slurm_conf().is_none() {
        return;
    }
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("grid.rhai"),
        "let runs = sweep(#{ datasets: [\"wbc\", \"glass\"], detectors: [\"hbos\", \"pca\"], seeds: 0..2 });\n\
         print(`${runs.len} runs`);\n",
    )
    .unwrap();
    let mut c = anml_slurm(root);
    c.args(["sweep", "grid.rhai", "--slurm", "--array-size", "3"]);
    let o = run(c);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let (array, merge) = job_ids(&out);
    assert_eq!(wait_for(&merge, Duration::from_secs(300)), "COMPLETED");
    let store = root.join(WS).join("results/grid");
    let board = std::fs::read_to_string(store.join("leaderboard.csv")).unwrap();
    assert_eq!(board.lines().count(), 1 + 4, "{board}");
    // 8 grid points over 3 tasks: task 2 has points 2 and 5
    let task = std::fs::read_to_string(
        store
            .join("slurm/logs")
            .join(format!("array-{array}_2.out")),
    )
    .unwrap();
    assert!(task.contains("2 runs\n"), "{task}");
    // the records name the script, not the submission
    let rec = std::fs::read_dir(store.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(rec).unwrap()).unwrap();
    assert_eq!(
        v["provenance"]["argv"],
        serde_json::json!(["anml", "sweep", "grid.rhai"])
    );
    assert_eq!(v["provenance"]["script"]["path"], "grid.rhai");
}

/// An array task of a script sweep runs only the script that was
/// submitted: one edited since is refused (exit 1), before any run.
#[test]
fn a_script_edited_after_submission_is_refused_by_its_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let script =
        "let runs = sweep(#{ datasets: [\"wbc\"], detectors: [\"hbos\"], seeds: 0..2 });\n";
    std::fs::write(root.join("grid.rhai"), script).unwrap();
    let mut c = anml(root);
    c.args([
        "sweep",
        "grid.rhai",
        "--slurm",
        "--array-size",
        "2",
        "--dry-run",
    ]);
    let o = run(c);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let sha = anml::hashing::sha256_hex(script.as_bytes());
    let task_line = out.lines().find(|l| l.starts_with("exec ")).unwrap();
    assert!(
        task_line.contains(&format!(
            " sweep grid.rhai --script-sha256 {sha} --shard \"${{SLURM_ARRAY_TASK_ID}}/2\""
        )),
        "{task_line}"
    );
    // the task's command, run on the script as it is then
    let task = |source: &str| {
        std::fs::write(root.join("grid.rhai"), source).unwrap();
        let mut c = anml(root);
        c.args([
            "sweep",
            "grid.rhai",
            "--script-sha256",
            &sha,
            "--shard",
            "0/2",
        ]);
        run(c)
    };
    let o = task(&format!("{script}// edited\n"));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains("changed since it was submitted"), "{err}");
    assert!(!root.join(WS).join("results/grid/runs").exists());
    // unedited, the same command runs
    let o = task(script);
    assert!(o.status.success(), "{:?}", text(&o));
}

/// A directory holding fake Slurm tools (shell scripts), first on PATH.
fn fake_tools(dir: &Path, tools: &[(&str, &str)]) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, body) in tools {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:/usr/bin:/bin", bin.display())
}

/// How anml meets a Slurm that hangs, answers nonsense, refuses the merge
/// job after taking the array, or is not installed (fake tools, no Slurm).
#[test]
fn slurm_tools_that_hang_fail_or_are_missing_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let submit = |path: &str, timeout: &str| {
        let mut c = anml(root);
        c.args(SUITE)
            .args(["--slurm", "--array-size", "2"])
            .env("PATH", path)
            .env("ANML_SLURM_TIMEOUT", timeout);
        let o = run(c);
        let (out, err) = text(&o);
        (o.status.code(), out, err)
    };
    // sbatch hangs: killed after the timeout
    let path = fake_tools(root, &[("sbatch", "sleep 30")]);
    let start = Instant::now();
    let (code, out, err) = submit(&path, "0.5");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("did not answer within 1 s") && err.contains("may or may not be queued"),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(20));
    // sbatch prints something that is not a job id
    let path = fake_tools(root, &[("sbatch", "echo 'Submitted batch job 12'")]);
    let (code, _, err) = submit(&path, "10");
    assert_eq!(code, Some(1));
    assert!(err.contains("expected a job id"), "{err}");
    // the array is taken, the merge job refused: say what runs and how to
    // submit the merge job by hand
    let counter = root.join("calls");
    let path = fake_tools(
        root,
        &[(
            "sbatch",
            &format!(
                "echo x >> '{}'; if [ $(wc -l < '{}') -eq 1 ]; then echo 77; else echo 'sbatch: error: QOSMaxSubmitJobPerUserLimit' >&2; exit 1; fi",
                counter.display(),
                counter.display()
            ),
        )],
    );
    let (code, _, err) = submit(&path, "10");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("submitted the array as job 77, but not the merge job")
            && err.contains("QOSMaxSubmitJobPerUserLimit")
            && err.contains("sbatch --dependency=afterany:77 ")
            && err.contains("merge.sbatch")
            && err.contains("scancel 77"),
        "{err}"
    );
    // no Slurm at all
    let (code, _, err) = submit("/nonexistent", "10");
    assert_eq!(code, Some(1));
    assert!(err.contains("`sbatch` was not found on PATH"), "{err}");
    // Ctrl-C while sbatch runs: it is killed, and anml says a job may be
    // queued (exit 130), at once rather than after the timeout
    let started = root.join("sbatch-started");
    let path = fake_tools(
        root,
        &[(
            "sbatch",
            &format!("touch '{}'; sleep 30", started.display()),
        )],
    );
    let mut c = anml(root);
    c.args(SUITE)
        .args(["--slurm", "--array-size", "2"])
        .env("PATH", &path)
        .env("ANML_SLURM_TIMEOUT", "60");
    let (o, sent) = common::interrupt_when(c, Duration::from_secs(60), || started.exists());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(130), "{out}\n{err}");
    assert!(
        err.contains("interrupted (Ctrl-C) during `sbatch")
            && err.contains("a job may be queued; check `squeue --me`"),
        "{err}"
    );
    assert!(sent.elapsed() < Duration::from_secs(10));
    // more tasks than the cluster's MaxArraySize: refused before sbatch
    let path = fake_tools(
        root,
        &[
            ("scontrol", "echo 'MaxArraySize            = 4'"),
            ("sbatch", "echo called >&2; exit 1"),
        ],
    );
    std::fs::write(root.join("g.rhai"), "1;\n").unwrap();
    let mut c = anml(root);
    c.args(["sweep", "g.rhai", "--slurm", "--array-size", "5"])
        .env("PATH", &path);
    let o = run(c);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(
        err.contains("MaxArraySize is 4") && !err.contains("called"),
        "{err}"
    );
}

/// `results report` and `results status` on a store that shards filled in
/// part, without Slurm: the counts, the exit codes, a damaged jobs.json,
/// and a store whose tasks all died before their first run.
#[test]
fn report_and_status_of_a_partly_filled_store() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut c = anml(root);
    c.args(SUITE).args(["--shard", "0/3"]);
    let o = run(c);
    assert!(o.status.success(), "{:?}", text(&o));
    let st = store(root);
    // `results status` (with `--json`, with only `path` on PATH), which
    // always succeeds: (stdout, stderr)
    let status = |json: bool, path: Option<&str>| {
        let mut c = anml(root);
        c.args(["results", "status"]).arg(&st);
        if json {
            c.arg("--json");
        }
        if let Some(p) = path {
            c.env("PATH", p);
        }
        let o = run(c);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{out}\n{err}");
        (out, err)
    };
    let (out, _) = status(false, None);
    assert!(
        out.contains("done 9, failed 0, missing 18 (of 27)"),
        "{out}"
    );
    assert!(
        out.contains("missing: wbc isolation_forest seed 1"),
        "{out}"
    );
    assert!(!out.contains("slurm:"), "never submitted: {out}");

    let report = || {
        let mut c = anml(root);
        c.args(["results", "report"]).arg(&st);
        run(c)
    };
    let o = report();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        out.contains("9 runs of a grid of 27 (0 failed, 18 missing)"),
        "{out}"
    );
    assert!(err.contains("18 of the grid's 27 runs are not in"), "{err}");
    let board = std::fs::read_to_string(st.join("leaderboard.csv")).unwrap();
    assert_eq!(
        board.lines().count(),
        1 + 9,
        "one row per (dataset, model): {board}"
    );

    std::fs::create_dir_all(st.join("slurm")).unwrap();
    std::fs::write(st.join("slurm/jobs.json"), "{ damaged").unwrap();
    let (out, err) = status(true, None);
    assert!(
        err.contains("jobs.json") && err.contains("not shown"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["done"].clone(), v["grid"].clone()),
        (9.into(), 27.into())
    );

    // a submission on record, but no Slurm tools here: the counts, and
    // every job UNKNOWN with the reason
    std::fs::write(
        st.join("slurm/jobs.json"),
        r#"{"submissions": [{"array_job_id": "40", "merge_job_id": "41", "array_size": 3,
            "tasks": [1, 2], "cluster": null, "submitted_at": 0}]}"#,
    )
    .unwrap();
    let (out, _) = status(false, Some("/nonexistent"));
    assert!(
        out.contains("job array 40 (tasks 1-2 of 3), merge job 41")
            && out.contains("  40_1 UNKNOWN\n  40_2 UNKNOWN\n  41 UNKNOWN\n")
            && out.contains("`squeue` was not found on PATH"),
        "{out}"
    );

    // waiting jobs show why they wait
    let path = fake_tools(
        root,
        &[(
            "squeue",
            "printf '40_1|RUNNING|None\\n40_2|PENDING|Resources\\n41|PENDING|Dependency\\n'",
        )],
    );
    let (out, _) = status(false, Some(&path));
    assert!(
        out.contains("  40_1 RUNNING\n  40_2 PENDING (Resources)\n  41 PENDING (Dependency)\n"),
        "{out}"
    );

    // Slurm has forgotten the jobs (squeue: invalid id) and accounting
    // knows them: sacct's states, "CANCELLED by 0" shortened, exit codes
    let path = fake_tools(
        root,
        &[
            (
                "squeue",
                "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1",
            ),
            (
                "sacct",
                "printf '40_1|CANCELLED by 0|0:0\\n40_2|COMPLETED|0:0\\n41|FAILED|1:0\\n'",
            ),
        ],
    );
    let (out, _) = status(false, Some(&path));
    assert!(
        out.contains(
            "  40_1 CANCELLED (exit 0:0)\n  40_2 COMPLETED (exit 0:0)\n  41 FAILED (exit 1:0)\n"
        ),
        "{out}"
    );
    assert!(!out.contains("UNKNOWN"), "{out}");

    // every task died before its first run: sweep.json, no runs/
    std::fs::remove_dir_all(st.join("runs")).unwrap();
    let o = report();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains("27 of the grid's 27 runs are not in"), "{err}");
    // and a directory that is no store at all
    let mut c = anml(root);
    c.args(["results", "status"]).arg(root.join("nowhere"));
    let o = run(c);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("is not a run store"), "{:?}", text(&o));
}
