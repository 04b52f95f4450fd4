//! The run store end to end, through the real binary: a sweep killed with
//! `kill -9` resumes to the same results as an uninterrupted one (with a
//! different thread count), cached counts are right, shards merged equal
//! one unsharded run, and merge refuses stores that disagree.

mod common;

use anml::results::StoredRun;
use common::{Sandbox, assert_same_runs, run_files, text};
use std::time::{Duration, Instant};

/// 3 datasets × 3 detectors × 2 values of one parameter each × 3 seeds.
const SWEEP: &str = r#"
let runs = sweep(#{
    datasets: ["cardio", "satellite", "wbc"],
    detectors: ["isolation_forest", "knn", "hbos"],
    params: #{
        isolation_forest: #{ n_estimators: [50, 100] },
        knn: #{ n_neighbors: [5, 10] },
        hbos: #{ n_bins: [10, 20] },
    },
    seeds: 0..3,
});
print(`summary: ${runs.summary}`);
print(`results: ${runs.len}`);
"#;
const GRID: usize = 3 * 3 * 2 * 3;

fn summary_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("summary: "))
        .unwrap_or_else(|| panic!("no summary in {stdout}"))
        .to_string()
}

fn run_script(sb: &Sandbox, jobs: &str) -> String {
    let o = sb
        .anml()
        .current_dir(sb.root())
        .args(["script", "sweep.rhai", "--jobs", jobs])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    stdout
}

#[test]
fn a_killed_sweep_resumes_to_identical_results() {
    // Uninterrupted, one run at a time.
    let clean = Sandbox::new();
    clean.write("sweep.rhai", SWEEP);
    let out = run_script(&clean, "1");
    assert_eq!(
        summary_line(&out),
        format!("summary: 0 cached, {GRID} run, 0 failed")
    );
    let clean_store = clean.root().join("results/sweep");
    assert_eq!(run_files(&clean_store).len(), GRID);
    // Provenance: the script and its hash (also in the run id), the command
    // line without scheduling/location flags, the limits; no repository.
    let any: serde_json::Value =
        serde_json::from_str(run_files(&clean_store).values().next().unwrap()).unwrap();
    let p = &any["provenance"];
    assert_eq!(p["script"]["path"], "sweep.rhai");
    assert_eq!(
        p["script"]["sha256"],
        anml::hashing::sha256_hex(SWEEP.as_bytes())
    );
    assert_eq!(
        p["argv"],
        serde_json::json!(["anml", "script", "sweep.rhai"])
    );
    assert_eq!(p["limits"]["max_operations"], 20_000_000);
    assert!(p["git"].is_null(), "a temp dir is in no repository");
    assert_eq!(any["experiment"], "sweep");

    // Killed part-way, two at a time.
    let sb = Sandbox::new();
    sb.write("sweep.rhai", SWEEP);
    let store = sb.root().join("results/sweep");
    let mut child = sb
        .anml()
        .current_dir(sb.root())
        .args(["script", "sweep.rhai", "--jobs", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while run_files(&store).len() < 10 && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = run_files(&store).len();
    assert!(
        (10..GRID).contains(&done),
        "the kill must land mid-sweep; {done} of {GRID} runs were stored"
    );
    // Every file the killed process left is a complete, valid record.
    for (name, json) in run_files(&store) {
        StoredRun::from_json(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    let out = run_script(&sb, "2");
    assert_eq!(
        summary_line(&out),
        format!("summary: {done} cached, {} run, 0 failed", GRID - done)
    );
    assert!(out.contains(&format!("results: {GRID}")), "{out}");
    assert_same_runs(&store, &clean_store);
    assert_eq!(
        std::fs::read_to_string(store.join("sweep.json")).unwrap(),
        std::fs::read_to_string(clean_store.join("sweep.json")).unwrap()
    );
    let leftovers: Vec<_> = std::fs::read_dir(store.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    // A third run finds everything.
    let out = run_script(&sb, "2");
    assert_eq!(
        summary_line(&out),
        format!("summary: {GRID} cached, 0 run, 0 failed")
    );
}

fn suite(sb: &Sandbox, out: &str, extra: &[&str]) -> (bool, String, String) {
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "odds",
            "--datasets",
            "wbc,glass,vertebral",
        ])
        .args([
            "--models",
            "hbos,knn",
            "--seeds",
            "0-2",
            "--protocol",
            "pyod",
        ])
        .args(["--param", r#"knn={"n_neighbors":[5,10]}"#])
        .args(["--experiment", "sharded", "--jobs", "2", "--output"])
        .arg(sb.root().join(out))
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    (o.status.success(), stdout, stderr)
}

fn merge(sb: &Sandbox, inputs: &[&str], out: &str) -> (bool, String, String) {
    let o = sb
        .anml()
        .args(["results", "merge"])
        .args(inputs.iter().map(|i| sb.root().join(i)))
        .arg("--output")
        .arg(sb.root().join(out))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    (o.status.success(), stdout, stderr)
}

/// A leaderboard without its time row.
fn scores_only(md: &str) -> String {
    md.lines()
        .filter(|l| !l.contains("fit+score"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn shards_merged_equal_one_unsharded_run() {
    let sb = Sandbox::new();
    let grid = 3 * (1 + 2) * 3;
    let (ok, stdout, stderr) = suite(&sb, "full", &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("0 cached, {grid} run, 0 failed")),
        "{stdout}"
    );
    let mut sizes = Vec::new();
    for i in 0..3 {
        let (ok, stdout, stderr) =
            suite(&sb, &format!("shard{i}"), &["--shard", &format!("{i}/3")]);
        assert!(ok, "{stdout}\n{stderr}");
        assert!(stdout.contains(&format!("shard {i}/3")), "{stdout}");
        sizes.push(run_files(&sb.root().join(format!("shard{i}"))).len());
    }
    assert_eq!(
        sizes.iter().sum::<usize>(),
        grid,
        "shards are disjoint and cover the grid"
    );
    assert!(sizes.iter().all(|&n| n == grid / 3), "{sizes:?}");

    // Two of three shards: the merge reports what is missing.
    let (ok, _, stderr) = merge(&sb, &["shard0", "shard1"], "partial");
    assert!(!ok);
    assert!(
        stderr.contains(&format!("{} grid points are in no input store", grid / 3)),
        "{stderr}"
    );

    let (ok, stdout, stderr) = merge(&sb, &["shard0", "shard1", "shard2"], "merged");
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{grid} runs ({grid} copied")),
        "{stdout}"
    );
    let full = sb.root().join("full");
    let merged = sb.root().join("merged");
    assert_same_runs(&merged, &full);
    assert_eq!(
        std::fs::read_to_string(merged.join("sweep.json")).unwrap(),
        std::fs::read_to_string(full.join("sweep.json")).unwrap(),
        "the merged grid is the unsharded one"
    );
    assert_eq!(
        scores_only(&std::fs::read_to_string(merged.join("leaderboard.md")).unwrap()),
        scores_only(&std::fs::read_to_string(full.join("leaderboard.md")).unwrap())
    );
    // Merging the same shards again copies nothing.
    let (ok, stdout, _) = merge(&sb, &["shard0", "shard1", "shard2"], "merged");
    assert!(ok);
    assert!(stdout.contains("(0 copied"), "{stdout}");
}

#[test]
fn merge_refuses_stores_that_disagree() {
    let sb = Sandbox::new();
    let (ok, stdout, stderr) = suite(&sb, "a", &["--shard", "0/2"]);
    assert!(ok, "{stdout}\n{stderr}");
    // A copy of the store with one score changed: not the same experiment.
    let a = sb.root().join("a");
    let b = sb.root().join("b");
    std::fs::create_dir_all(b.join("runs")).unwrap();
    let files = run_files(&a);
    let (name, json) = files.iter().next().unwrap();
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["roc_auc"] = serde_json::json!(0.123);
    std::fs::write(
        b.join("runs").join(name),
        serde_json::to_string_pretty(&v).unwrap(),
    )
    .unwrap();
    std::fs::copy(a.join("sweep.json"), b.join("sweep.json")).unwrap();
    let (ok, _, stderr) = merge(&sb, &["a", "b"], "m");
    assert!(!ok);
    assert!(stderr.contains("conflict"), "{stderr}");
}

#[test]
fn a_failing_run_is_recorded_and_the_suite_goes_on() {
    let sb = Sandbox::new();
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc,glass"])
        .args(["--models", "knn", "--seeds", "0"])
        // glass has 214 rows: 150 neighbours fit wbc's 378-row train part
        // (60%: 226 rows) but not glass's 128.
        .args(["--param", "n_neighbors=150", "--output"])
        .arg(sb.root().join("f"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(!o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("0 cached, 1 run, 1 failed"), "{stdout}");
    assert!(
        stderr.contains("failed: glass knn[n_neighbors=150] seed 0"),
        "{stderr}"
    );
    let failures = std::fs::read_to_string(sb.root().join("f/failures.md")).unwrap();
    assert!(failures.contains("| glass | knn |"), "{failures}");
    let recs: Vec<StoredRun> = run_files(&sb.root().join("f"))
        .values()
        .map(|j| StoredRun::from_json(j).unwrap())
        .collect();
    assert_eq!(recs.len(), 2);
    assert_eq!(
        recs.iter()
            .filter(|r| matches!(r, StoredRun::Failed(_)))
            .count(),
        1
    );
}

#[test]
fn a_single_run_is_filed_in_the_store_a_suite_then_reuses() {
    let sb = Sandbox::new();
    let o = sb
        .anml()
        .args(["benchmark", "--dataset", "wbc", "--model", "hbos"])
        .args(["--seed", "1", "--experiment", "e"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let store = sb.root().join("results/e");
    let files = run_files(&store);
    assert_eq!(files.len(), 1, "{stdout}");
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc"])
        .args(["--models", "hbos", "--seeds", "1-2", "--experiment", "e"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 cached, 1 run, 0 failed"), "{stdout}");
    assert_eq!(run_files(&store).len(), 2);
}

#[test]
fn a_hand_edited_manifest_is_a_clear_error_not_a_panic() {
    let sb = Sandbox::new();
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc"])
        .args(["--models", "hbos", "--seeds", "0", "--output"])
        .arg(sb.root().join("a"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    let manifest = sb.root().join("a/sweep.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    // A short id, then one with a multi-byte character where a 16-byte
    // slice would cut it.
    for bad in ["abc", "ééééééééééé"] {
        m["grid"][0]["run_id"] = serde_json::json!(bad);
        std::fs::write(&manifest, serde_json::to_string_pretty(&m).unwrap()).unwrap();
        let (ok, stdout, stderr) = merge(&sb, &["a"], "m");
        assert!(!ok, "{stdout}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains("sweep.json")
                && stderr.contains(&format!("run_id `{bad}` is not a run id")),
            "{stderr}"
        );
    }
}
