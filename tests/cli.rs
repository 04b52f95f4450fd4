//! End-to-end tests of the real `anml` binary: the acceptance points of the
//! foundation issue (schema-valid results, determinism, hash errors, sandbox
//! limits and the file gate, Ctrl-C) plus the listing commands.

mod common;

use common::{Sandbox, interrupt_when, mirror, text};
use serde_json::Value;
use std::time::{Duration, Instant};

fn benchmark(sb: &Sandbox, out: &str, seed: &str) -> Value {
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--dataset",
            "cardio",
            "--model",
            "isolation_forest",
        ])
        .args(["--seed", seed, "--output"])
        .arg(sb.root().join(out))
        .output()
        .expect("run anml");
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("roc_auc"), "{stdout}");
    let json = std::fs::read_to_string(sb.root().join(out)).expect("result written");
    serde_json::from_str(&json).expect("valid JSON")
}

#[test]
fn benchmark_cardio_writes_a_schema_valid_result_in_range() {
    let sb = Sandbox::new();
    let v = benchmark(&sb, "results/demo.json", "0");
    anml::results::validate(&v).expect("schema-valid");
    let auc = v["roc_auc"].as_f64().unwrap();
    assert!((0.88..=0.96).contains(&auc), "roc_auc {auc}");
    assert_eq!(v["dataset"], "cardio");
    assert_eq!(
        v["dataset_sha256"],
        "5e568b6a73711012c481fa6cc984ab9c68e9a4fa44d6aeb3b43efa381c3f695b"
    );
    assert_eq!(v["split"]["n_train"], 1098);
    assert_eq!(v["split"]["n_test"], 733);
    assert!(
        v["artefact_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

#[test]
fn two_runs_are_byte_identical_apart_from_timing_and_hardware() {
    let sb = Sandbox::new();
    let strip = |path: &str| {
        let s = std::fs::read_to_string(sb.root().join(path)).unwrap();
        s.lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.starts_with("\"fit_time\"")
                    || t.starts_with("\"score_time\"")
                    || t.starts_with("\"fit\"")
                    || t.starts_with("\"score\"")
                    || t.starts_with("\"vendor\"")
                    || t.starts_with("\"model\": \"Intel")
                    || t.starts_with("\"notes\""))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let a = benchmark(&sb, "results/a.json", "3");
    let b = benchmark(&sb, "results/b.json", "3");
    // Field-level comparison first (clear failure), then the bytes.
    for (k, va) in a.as_object().unwrap() {
        if anml::results::NONDETERMINISTIC_FIELDS.contains(&k.as_str()) {
            continue;
        }
        assert_eq!(va, &b[k], "field {k} differs");
    }
    assert_eq!(strip("results/a.json"), strip("results/b.json"));
    let c = benchmark(&sb, "results/c.json", "4");
    assert_ne!(a["run_id"], c["run_id"]);
}

#[test]
fn corrupted_mirror_copy_is_a_hash_error_and_nothing_is_cached() {
    let sb = Sandbox::new();
    let bad = sb.root().join("badmirror");
    std::fs::create_dir_all(bad.join("odds")).unwrap();
    let mut bytes = std::fs::read(mirror().join("odds/cardio.mat")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(bad.join("odds/cardio.mat"), bytes).unwrap();
    let o = sb
        .anml_with_mirror(&bad)
        .args([
            "benchmark",
            "--dataset",
            "cardio",
            "--model",
            "isolation_forest",
        ])
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert!(!o.status.success());
    assert!(stderr.contains("HashError"), "{stderr}");
    assert!(
        stderr.contains("5e568b6a73711012c481fa6cc984ab9c68e9a4fa44d6aeb3b43efa381c3f695b"),
        "{stderr}"
    );
    let cached = sb.cache().join("odds/cardio.mat");
    assert!(!cached.exists(), "corrupt file must not reach the cache");
    assert!(
        !sb.root().join("results").exists(),
        "no result for a failed run"
    );
}

#[test]
fn infinite_loop_ends_with_a_limit_error() {
    let sb = Sandbox::new();
    let script = sb.write("loop.rhai", "let x = 0;\nloop { x += 1; }\n");
    let t = Instant::now();
    let o = sb
        .anml()
        .args(["--max-operations", "200000", "script"])
        .arg(&script)
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("max_operations = 200000"), "{stderr}");
    assert!(stderr.contains("loop.rhai:2:"), "{stderr}");
    assert!(t.elapsed() < Duration::from_secs(30));
}

#[test]
fn default_operation_limit_stops_a_bare_loop() {
    let sb = Sandbox::new();
    let script = sb.write("loop.rhai", "loop {}\n");
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("too many operations"), "{stderr}");
}

#[test]
fn scripts_cannot_read_or_write_outside_the_workspace() {
    let sb = Sandbox::new();
    for (i, body) in [
        r#"load_csv("/etc/passwd")"#,
        r#"load_csv("../../../../etc/passwd")"#,
        r#"write_result(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0), "/tmp/escape.json")"#,
        r#"write_result(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0), "results/../../escape.json")"#,
        r#"import "/etc/passwd" as p;"#,
    ]
    .iter()
    .enumerate()
    {
        let script = sb.write(&format!("s{i}.rhai"), body);
        let o = sb.anml().arg("script").arg(&script).output().unwrap();
        let (_, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{body}: {stderr}");
        assert!(
            stderr.contains("outside the workspace") || stderr.contains("sandbox"),
            "{body}: {stderr}"
        );
    }
    assert!(!std::path::Path::new("/tmp/escape.json").exists());
}

#[test]
fn eval_is_disabled() {
    let sb = Sandbox::new();
    let script = sb.write("e.rhai", "eval(\"1 + 1\")\n");
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn runtime_errors_show_position_caret_and_cause() {
    let sb = Sandbox::new();
    let script = sb.write(
        "bad.rhai",
        "let a = 1;\nlet ds = load_dataset(\"cardoi\");\n",
    );
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr.contains("unknown dataset `cardoi`"), "{stderr}");
    assert!(stderr.contains("cardio"), "suggestion missing: {stderr}");
    assert!(stderr.contains("bad.rhai:2:10"), "{stderr}");
    assert!(
        stderr.contains("2 | let ds = load_dataset(\"cardoi\");"),
        "{stderr}"
    );
    assert!(stderr.contains("  |          ^"), "{stderr}");
}

#[test]
fn invalid_params_fail_before_loading_data() {
    let sb = Sandbox::new();
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--dataset",
            "no-such",
            "--model",
            "isolation_forest",
        ])
        .args(["--param", "n_estimators=0"])
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("n_estimators"), "{stderr}");
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--dataset",
            "cardio",
            "--model",
            "no_such_model",
        ])
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert!(stderr.contains("unknown detector"), "{stderr}");
}

#[test]
fn ctrl_c_interrupts_a_running_script() {
    let sb = Sandbox::new();
    let script = sb.write("spin.rhai", "let x = 0;\nloop { x += 1; }\n");
    let mut cmd = sb.anml();
    cmd.args(["--max-operations", "18446744073709551615", "script"])
        .arg(&script);
    let (out, t) = interrupt_when(cmd, Duration::from_millis(700), || false);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn bench_script_runs_and_writes_results() {
    let sb = Sandbox::new();
    let o = sb
        .anml()
        .arg("script")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench.rhai"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("satimage-2"), "{stdout}");
    assert!(
        stdout.contains("15 runs (0 cached, 15 run, 0 failed)"),
        "{stdout}"
    );
    let runs = sb.root().join("results/bench/runs");
    let files: Vec<_> = std::fs::read_dir(&runs).unwrap().collect();
    assert_eq!(files.len(), 15);
    for f in files {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(f.unwrap().path()).unwrap()).unwrap();
        anml::results::validate(&v).unwrap();
        assert_eq!(v["experiment"], "bench");
    }
    let again = sb
        .anml()
        .arg("script")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench.rhai"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&again);
    assert!(again.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("15 runs (15 cached, 0 run, 0 failed)"),
        "{stdout}"
    );
}

#[test]
fn datasets_and_models_list_the_registry() {
    let sb = Sandbox::new();
    let o = sb.anml().arg("datasets").output().unwrap();
    let (stdout, _) = text(&o);
    assert!(o.status.success());
    for name in [
        "cardio",
        "satimage-2",
        "shuttle",
        "adbench/cardio",
        "toy-blobs",
    ] {
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
    let o = sb.anml().args(["datasets", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 17 + 43 + 1);
    let o = sb.anml().arg("models").output().unwrap();
    let (stdout, _) = text(&o);
    assert!(
        stdout.contains("isolation_forest") && stdout.contains("n_estimators"),
        "{stdout}"
    );
}

#[test]
fn repl_keeps_variables_between_inputs() {
    use std::io::Write;
    let sb = Sandbox::new();
    let mut child = sb
        .anml()
        .arg("repl")
        .env("HOME", sb.root())
        .env("XDG_DATA_HOME", sb.root().join("xdg"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"let a = 40;\na + 2\nfn g(x) { x * 2 }\ng(50)\n:doc roc_auc\nnope(\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    assert!(stdout.contains("42"), "{stdout}");
    assert!(
        stdout.contains("100"),
        "functions persist across inputs: {stdout}"
    );
    assert!(
        stdout.contains("roc_auc(y: Labels, scores: Vector)"),
        "{stdout}"
    );
}

#[test]
fn suite_writes_every_run_and_a_leaderboard() {
    let sb = Sandbox::new();
    let out = sb.root().join("results/odds");
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "odds",
            "--models",
            "isolation_forest",
        ])
        .args(["--seeds", "0-1", "--jobs", "2", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("average rank"), "{stdout}");
    let n = anml::data::catalog::DATASETS
        .iter()
        .filter(|s| s.collection == anml::data::catalog::Collection::Odds)
        .count();
    assert_eq!(n, 17);
    let mut files = 0;
    for f in std::fs::read_dir(out.join("runs")).unwrap() {
        let path = f.unwrap().path();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        anml::results::validate(&v).unwrap();
        assert_eq!(
            path.file_stem().unwrap().to_str().unwrap(),
            v["run_id"].as_str().unwrap(),
            "runs are filed by run id"
        );
        files += 1;
    }
    assert_eq!(files, 17 * 2);
    assert!(stdout.contains("0 cached, 34 run, 0 failed"), "{stdout}");
    let md = std::fs::read_to_string(out.join("leaderboard.md")).unwrap();
    assert!(md.contains("| satimage-2 |"), "{md}");
    let csv = std::fs::read_to_string(out.join("leaderboard.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 17);
}

#[test]
fn suite_subset_compares_with_the_pyod_reference() {
    let sb = Sandbox::new();
    let out = sb.root().join("results/sub");
    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pyod_suite/mean_roc_auc.json"
    );
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc,glass"])
        .args([
            "--models",
            "hbos,knn",
            "--seeds",
            "0-9",
            "--protocol",
            "pyod",
        ])
        .args(["--compare", reference, "--output"])
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let md = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    // Deterministic detectors on bit-exact PyOD splits: same means to 4 places.
    for model in ["hbos", "knn"] {
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| {model} | 2 |")))
            .unwrap_or_else(|| panic!("{md}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[3], cells[4], "{row}");
        assert_eq!(cells[5], "+0.0000", "{row}");
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2 + 3);
}

#[test]
fn suite_dataset_and_reference_flags_are_checked_before_any_run() {
    let sb = Sandbox::new();
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc,cardio2"])
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr.contains("`cardio2` is not in the `odds` suite"),
        "{stderr}"
    );
    let bad = sb.write("bad.json", r#"{"mean_roc_auc": {"wbc": []}}"#);
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "odds",
            "--datasets",
            "wbc",
            "--compare",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("mean_roc_auc.wbc"), "{stderr}");
    assert!(!sb.root().join("results").exists());
}

#[test]
fn suite_flags_are_checked_before_any_run() {
    let sb = Sandbox::new();
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "odds",
            "--models",
            "isolation_forest,nope",
        ])
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("unknown detector `nope`"), "{stderr}");
    assert!(!sb.root().join("results").exists());
}

#[test]
fn pyod_protocol_uses_the_anomaly_ratio_as_contamination() {
    let sb = Sandbox::new();
    let out = sb.root().join("results/p.json");
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--dataset",
            "cardio",
            "--model",
            "isolation_forest",
        ])
        .args(["--protocol", "pyod", "--seed", "1", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["split"]["protocol"], "pyod");
    assert_eq!(v["params"]["contamination"], 176.0 / 1831.0);
    assert_eq!(v["params"]["seed"], 1);
}

#[test]
fn ctrl_c_stops_a_sweep_between_runs_and_keeps_the_finished_ones() {
    let sb = Sandbox::new();
    // ~600 runs: far longer than the test waits
    let script = sb.write(
        "long_sweep.rhai",
        r#"let runs = sweep(#{ datasets: ["wbc", "glass", "cardio"], detectors: ["lof", "knn", "ocsvm"], seeds: 0..70 });"#,
    );
    let mut cmd = sb.anml();
    cmd.args(["script", "--jobs", "1"]).arg(&script);
    let (out, t) = interrupt_when(cmd, Duration::from_millis(1500), || false);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("run again to resume"), "{stderr}");
    assert!(t.elapsed() < Duration::from_secs(10));
    // the runs that finished are stored, and fewer than the grid
    let stored = std::fs::read_dir(sb.root().join("results/long_sweep/runs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert!(stored > 0 && stored < 630, "{stored} runs stored");
}

#[test]
fn values_a_run_would_ignore_or_double_count_are_usage_errors() {
    let sb = Sandbox::new();
    for (args, want) in [
        (
            vec![
                "--dataset",
                "wbc",
                "--model",
                "hbos",
                "--protocol",
                "pyod",
                "--param",
                "contamination=0.3",
            ],
            "anomaly ratio",
        ),
        (
            vec![
                "--suite",
                "odds",
                "--datasets",
                "wbc",
                "--models",
                "knn",
                "--protocol",
                "pyod",
                "--param",
                "contamination=[0.1,0.2]",
            ],
            "anomaly ratio",
        ),
        (
            vec![
                "--suite",
                "odds",
                "--datasets",
                "wbc",
                "--models",
                "knn,knn",
            ],
            "`knn` is listed twice",
        ),
        (
            vec![
                "--suite",
                "odds",
                "--datasets",
                "wbc,wbc",
                "--models",
                "knn",
            ],
            "`wbc` is listed twice",
        ),
        (
            vec![
                "--suite",
                "odds",
                "--datasets",
                "wbc",
                "--models",
                "knn",
                "--jobs",
                "100000",
            ],
            "--jobs",
        ),
    ] {
        let o = sb.anml().arg("benchmark").args(&args).output().unwrap();
        let (_, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!sb.root().join("results").exists(), "{args:?}");
    }
}
