//! Time-series suites run through the one sweep engine, driven through the
//! real binary: the same records and point scores at any `--jobs` and
//! across `--shard` + `results merge`, a single Ctrl-C stops a suite and
//! re-running resumes it, and flag errors exit 2.

mod common;

use common::{Sandbox, assert_same_runs, interrupt_when, run_files, score_files, text};
use std::path::Path;
use std::time::Duration;

const SERIES: &str = "nab/realKnownCause/nyc_taxi,nab/artificialWithAnomaly/art_daily_jumpsup,\
nab/realAWSCloudwatch/ec2_cpu_utilization_24ae8d";

/// A small NAB suite into `out` with extra flags: 3 series × 3 models
/// (one stochastic, one native) × 2 seeds.
fn nab(sb: &Sandbox, out: &str, extra: &[&str]) -> (bool, String, String) {
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "nab", "--datasets", SERIES])
        .args(["--models", "matrix_profile,isolation_forest,hbos"])
        .args(["--seeds", "0-1", "--param", "window=32"])
        .args([
            "--param",
            "n_estimators=30",
            "--experiment",
            "ts",
            "--output",
        ])
        .arg(sb.root().join(out))
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    (o.status.success(), stdout, stderr)
}

const GRID: usize = 3 * 3 * 2;

#[test]
fn a_nab_suite_is_identical_at_any_jobs_and_across_merged_shards() {
    let sb = Sandbox::new();
    let (ok, stdout, stderr) = nab(&sb, "one", &["--jobs", "1"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{GRID} runs: 0 cached, {GRID} run, 0 failed")),
        "{stdout}"
    );
    let one = sb.root().join("one");
    assert_eq!(run_files(&one).len(), GRID);
    assert_eq!(score_files(&one).len(), GRID);
    for json in run_files(&one).values() {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        anml::results::validate(&v).unwrap();
        assert_eq!(v["kind"], "timeseries");
    }

    let (ok, stdout, stderr) = nab(&sb, "two", &["--jobs", "2"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert_same_runs(&one, &sb.root().join("two"));

    let mut sizes = Vec::new();
    for i in 0..3 {
        let (ok, stdout, stderr) = nab(
            &sb,
            &format!("shard{i}"),
            &["--jobs", "2", "--shard", &format!("{i}/3")],
        );
        assert!(ok, "{stdout}\n{stderr}");
        assert!(stdout.contains(&format!("shard {i}/3")), "{stdout}");
        sizes.push(run_files(&sb.root().join(format!("shard{i}"))).len());
    }
    assert_eq!(sizes, [GRID / 3; 3]);
    let o = sb
        .anml()
        .args(["results", "merge"])
        .args((0..3).map(|i| sb.root().join(format!("shard{i}"))))
        .arg("--output")
        .arg(sb.root().join("merged"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{GRID} copied")), "{stdout}");
    let merged = sb.root().join("merged");
    assert_same_runs(&one, &merged);
    // The merged reports are the unsharded run's (no time columns there).
    let lb = |d: &Path| std::fs::read_to_string(d.join("leaderboard.md")).unwrap();
    assert_eq!(lb(&one), lb(&merged));
    assert!(lb(&one).contains("NAB corpus score"), "{}", lb(&one));

    // A re-run finds everything; --force runs it all again, to the same files.
    let (ok, stdout, _) = nab(&sb, "one", &["--jobs", "2"]);
    assert!(ok);
    assert!(
        stdout.contains(&format!("{GRID} cached, 0 run, 0 failed")),
        "{stdout}"
    );
    let (ok, stdout, _) = nab(&sb, "one", &["--jobs", "2", "--force"]);
    assert!(ok);
    assert!(
        stdout.contains(&format!("0 cached, {GRID} run, 0 failed")),
        "{stdout}"
    );
    assert_same_runs(&one, &sb.root().join("two"));
}

#[test]
fn one_ctrl_c_stops_a_nab_suite_and_a_rerun_resumes() {
    let sb = Sandbox::new();
    let out = sb.root().join("results/nab");
    let args = [
        "benchmark",
        "--suite",
        "nab",
        "--models",
        "isolation_forest",
        "--param",
        "window=32",
        "--param",
        "n_estimators=1000",
        "--jobs",
        "1",
    ];
    let mut cmd = sb.anml();
    cmd.args(args);
    let (o, signalled) = interrupt_when(cmd, Duration::from_secs(120), || {
        !run_files(&out).is_empty()
    });
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    assert!(signalled.elapsed() < Duration::from_secs(10));
    assert!(stderr.contains("interrupted"), "{stderr}");
    let done = run_files(&out).len();
    assert!((1..58).contains(&done), "{done} of 58 runs stored");
    // Every stored run is complete: a valid record with its scores.
    assert_eq!(score_files(&out).len(), done);
    for json in run_files(&out).values() {
        anml::results::StoredRun::from_json(json).unwrap();
    }

    let o = sb.anml().args(args).output().unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "58 runs: {done} cached, {} run, 0 failed",
            58 - done
        )),
        "{stdout}"
    );
}

#[test]
fn suite_flag_errors_exit_2_before_any_run() {
    let sb = Sandbox::new();
    for (args, want) in [
        (
            vec!["--suite", "nab", "--models", "nope"],
            "unknown detector `nope`",
        ),
        (
            vec!["--suite", "nab", "--models", "knn", "--datasets", "nab/x"],
            "not in the `nab` suite",
        ),
        (
            vec![
                "--suite",
                "nab",
                "--models",
                "matrix_profile",
                "--param",
                "n_neighbors=3",
            ],
            "no detector in this sweep",
        ),
        (vec!["--suite", "ucr", "--protocol", "pyod"], "--protocol"),
        (
            vec!["--suite", "odds", "--protocol", "timeseries"],
            "--protocol",
        ),
        (vec!["--suite", "nab", "--shard", "3/3"], "shard `3/3`"),
        (vec!["--suite", "nab", "--seeds", "5-2"], "seeds `5-2`"),
        (
            vec!["--suite", "nab", "--seeds", "0-10000000000"],
            "at most 100000",
        ),
        (vec!["--suite", "nab", "--compare", "x.json"], "--compare"),
    ] {
        let o = sb.anml().arg("benchmark").args(&args).output().unwrap();
        let (_, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!sb.root().join("results").exists(), "{args:?}");
    }
}
