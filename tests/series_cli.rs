//! The time-series command line: `anml series list|profile` and the
//! `ucr`/`nab` suites, driven through the real binary.

mod common;

use common::{Sandbox, text};
use serde_json::Value;

#[test]
fn ucr_suite_files_schema_valid_runs_and_a_leaderboard_then_reuses_them() {
    let sb = Sandbox::new();
    let out = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "ucr",
            "--models",
            "matrix_profile,pca",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let dir = sb.root().join("results/ucr");
    let files: Vec<_> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let runs: Vec<_> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(runs.len(), 2);
    // Each record has its point scores beside it.
    for p in &runs {
        let scores: ndarray::Array1<f64> =
            ndarray_npy::read_npy(p.with_extension("scores.npy")).unwrap();
        assert_eq!(scores.len(), 7501);
    }
    for p in &runs {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        anml::results::validate(&v).unwrap();
        assert_eq!(v["kind"], "timeseries");
        assert_eq!(v["series"], "ucr/135_InternalBleeding16");
        assert_eq!(v["train_points"], 1200);
        let ucr = &v["metrics"]["ucr"];
        assert_eq!(ucr["range_start"], 4187);
        assert!(v["metrics"]["vus_pr"].as_f64().unwrap() > 0.0);
    }
    let lb = std::fs::read_to_string(dir.join("leaderboard.md")).unwrap();
    assert!(
        lb.contains("| matrix_profile | 1 |") && lb.contains("| pca | 1 |"),
        "{lb}"
    );
    let again = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "ucr",
            "--models",
            "matrix_profile,pca",
        ])
        .output()
        .unwrap();
    let (stdout, _) = text(&again);
    assert!(
        stdout.contains("2 runs: 2 cached, 0 run, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn nab_suite_scores_a_chosen_series_with_nab_profiles() {
    let sb = Sandbox::new();
    let out = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "nab",
            "--models",
            "hbos",
            "--datasets",
            "nab/realKnownCause/nyc_taxi",
            "--param",
            "window=48",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let runs = sb.root().join("results/nab/runs");
    let p = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    anml::results::validate(&v).unwrap();
    let nab = &v["metrics"]["nab"];
    for k in ["standard", "reward_low_fp", "reward_low_fn"] {
        let v = nab[k].as_f64().unwrap();
        assert!(v <= 100.0 && v != 0.0, "{nab}");
    }
    assert_eq!(v["params"]["window"], 48);
    let lb = std::fs::read_to_string(sb.root().join("results/nab/leaderboard.md")).unwrap();
    assert!(
        lb.contains("NAB corpus score") && lb.contains("| hbos[window=48] (seed 0) | 1 |"),
        "{lb}"
    );
}

#[test]
fn usad_runs_through_the_ucr_and_nab_suites_with_its_series_defaults() {
    let sb = Sandbox::new();
    for (suite, extra, points) in [
        ("ucr", vec![], 7501),
        (
            "nab",
            vec!["--datasets", "nab/realTraffic/speed_7578"],
            1127,
        ),
    ] {
        let out = sb
            .anml()
            .args(["benchmark", "--suite", suite, "--models", "usad"])
            .args(extra)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        let runs = sb.root().join(format!("results/{suite}/runs"));
        let p = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "json"))
            .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        anml::results::validate(&v).unwrap();
        assert_eq!(v["model"], "usad");
        assert_eq!(v["window"], 100);
        assert_eq!(v["params"]["aggregation"], "center");
        assert_eq!(v["params"]["lr"], 0.001);
        assert_eq!(v["params"]["scaling"], "zscore");
        assert_eq!(v["params"]["seed"], 0);
        let scores: ndarray::Array1<f64> =
            ndarray_npy::read_npy(p.with_extension("scores.npy")).unwrap();
        assert_eq!(scores.len(), points, "{suite}");
        assert!(scores.iter().all(|s| s.is_finite()), "{suite}");
        assert!(v["metrics"]["vus_pr"].as_f64().unwrap() > 0.0, "{suite}");
    }
}

#[test]
fn suite_errors_are_named_before_any_run() {
    let sb = Sandbox::new();
    for (args, want) in [
        (vec!["--models", "nope"], "unknown detector `nope`"),
        (
            vec!["--models", "knn", "--datasets", "nab/x"],
            "not in the `nab` suite",
        ),
        (
            vec!["--models", "matrix_profile", "--param", "window=2"],
            "window",
        ),
    ] {
        let out = sb
            .anml()
            .args(["benchmark", "--suite", "nab"])
            .args(&args)
            .output()
            .unwrap();
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!sb.root().join("results/nab").exists());
    }
}

#[test]
fn profile_command_reads_npy_and_series_and_refuses_bad_input() {
    let sb = Sandbox::new();
    // A noisy sine with one distorted period.
    let n = 2000usize;
    let v: Vec<f64> = (0..n)
        .map(|i| {
            let x = (i as f64 * std::f64::consts::TAU / 100.0).sin();
            if (1200..1250).contains(&i) {
                0.2 * x
            } else {
                x + 0.001 * ((i * 7919) % 13) as f64
            }
        })
        .collect();
    let path = sb.root().join("walk.npy");
    ndarray_npy::write_npy(&path, &ndarray::Array1::from(v)).unwrap();
    let out = sb
        .anml()
        .args(["series", "profile", "--input"])
        .arg(&path)
        .args(["--m", "100", "--repeat", "2", "--json", "--output"])
        .arg(sb.root().join("results/p.npy"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let j: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(j["n"], 2000);
    assert_eq!(j["seconds"].as_array().unwrap().len(), 2);
    let top = j["discords"][0]["index"].as_u64().unwrap();
    assert!((1100..=1250).contains(&top), "{j}");
    let p: ndarray::Array1<f64> = ndarray_npy::read_npy(sb.root().join("results/p.npy")).unwrap();
    assert_eq!(p.len(), 1901);

    let out = sb
        .anml()
        .args([
            "timeseries",
            "profile",
            "--series",
            "ucr/135_InternalBleeding16",
            "--m",
            "100",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("7402 subsequences"), "{stdout}");

    for (args, want) in [
        (
            vec!["--series", "ucr/135_InternalBleeding16", "--m", "2"],
            "m",
        ),
        (
            vec!["--series", "ucr/135_InternalBleeding16", "--m", "99999"],
            "m",
        ),
        (
            vec!["--series", "pyod/ts_demo_multi", "--m", "10"],
            "univariate",
        ),
        (vec!["--series", "nope", "--m", "10"], "unknown dataset"),
    ] {
        let out = sb
            .anml()
            .args(["series", "profile"])
            .args(&args)
            .output()
            .unwrap();
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    // --repeat 0 is a flag error (exit 2), found before any data is read.
    let out = sb
        .anml()
        .args([
            "series",
            "profile",
            "--input",
            "missing.npy",
            "--m",
            "10",
            "--repeat",
            "0",
        ])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--repeat: must be at least 1"), "{stderr}");
    let bad = sb.root().join("bad.npy");
    std::fs::write(&bad, b"not an npy").unwrap();
    let out = sb
        .anml()
        .args(["series", "profile", "--input"])
        .arg(&bad)
        .args(["--m", "10"])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success() && stderr.contains("NPY"), "{stderr}");
}

#[test]
fn series_list_names_every_collection() {
    let sb = Sandbox::new();
    let out = sb
        .anml()
        .args(["series", "list", "--json"])
        .output()
        .unwrap();
    let (stdout, _) = text(&out);
    let v: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v.len(), 63);
    assert!(
        v.iter()
            .any(|s| s["name"] == "daphnet/S06R02E0" && s["n_channels"] == 9)
    );
}

#[test]
fn ucr_discord_script_finds_the_anomaly_and_draws_it() {
    let sb = Sandbox::new();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ucr_discord.rhai");
    let out = sb.anml().arg("script").arg(&script).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("HIT"), "{stdout}");
    let png = std::fs::read(sb.root().join("results/ucr135_discord.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let svg = std::fs::read_to_string(sb.root().join("results/ucr135_discord.svg")).unwrap();
    assert!(svg.contains("top discord") && svg.contains("labelled anomaly"));
}
