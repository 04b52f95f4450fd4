//! Issue 17, CLI slice: what a hostile user can do to the release binary.
//! Each test runs the real `anml` and pins one defect that used to panic,
//! abort, switch a limit off, drop data, exit with the wrong code or leave
//! a partial write behind.

mod common;

use common::{Sandbox, text};
use std::path::Path;

/// Run `anml ARGS` in `sb`; (exit code, stdout, stderr).
fn anml(sb: &Sandbox, args: &[&str]) -> (Option<i32>, String, String) {
    let o = sb.anml().args(args).output().expect("run anml");
    let (stdout, stderr) = text(&o);
    (o.status.code(), stdout, stderr)
}

fn no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{stderr}"
    );
}

/// Run files (`runs/*.json`) in a store.
fn run_count(store: &Path) -> usize {
    std::fs::read_dir(store.join("runs"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn seed_ranges_beyond_the_bound_are_usage_errors() {
    let sb = Sandbox::new();
    for seeds in ["0-18446744073709551615", "0-10000000000", "7-100007"] {
        for cmd in [
            vec!["benchmark", "--suite", "odds", "--seeds", seeds],
            vec![
                "perf",
                "--dataset",
                "wbc",
                "--model",
                "hbos",
                "--seeds",
                seeds,
            ],
        ] {
            let (code, _, stderr) = anml(&sb, &cmd);
            no_panic(&stderr);
            assert_eq!(code, Some(2), "{cmd:?}: {stderr}");
            assert!(stderr.contains("at most 100000"), "{cmd:?}: {stderr}");
        }
    }
    assert!(!sb.root().join("results").exists());
}

#[test]
fn a_grid_too_large_to_hold_is_refused_before_anything_runs() {
    let sb = Sandbox::new();
    // 17 datasets x 21 models x 100000 seeds: used to grow past 2 GB
    // expanding the grid before the first run
    let (code, _, stderr) = anml(&sb, &["benchmark", "--suite", "odds", "--seeds", "0-99999"]);
    no_panic(&stderr);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("at most 1000000"), "{stderr}");
    assert!(!sb.root().join("results").exists());
}

#[test]
fn a_vus_window_beyond_the_series_is_an_error_not_a_panic() {
    let sb = Sandbox::new();
    let script = sb.write(
        "vus.rhai",
        "let y = labels([0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);\n\
         let s = vector([0.1, 0.2, 0.9, 0.1, 0.2, 0.3, 0.8, 0.1, 0.2, 0.1]);\n\
         print(vus(y, s, 9223372036854775807));\n",
    );
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    let (_, stderr) = text(&o);
    no_panic(&stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("VUS sliding window"), "{stderr}");
}

/// A small sweep store `name` (wbc, hbos and knn, seeds 0-1).
fn small_store(sb: &Sandbox, name: &str) {
    let out = sb.root().join(name);
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc"])
        .args(["--models", "hbos,knn", "--seeds", "0-1", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(run_count(&out), 4);
}

#[test]
fn merging_a_store_into_itself_is_refused() {
    let sb = Sandbox::new();
    small_store(&sb, "a");
    let a = sb.root().join("a");
    let before = std::fs::read_to_string(a.join("leaderboard.md")).unwrap();
    for output in [a.clone(), a.join("."), a.join("runs/..")] {
        let o = sb
            .anml()
            .args(["results", "merge"])
            .arg(&a)
            .arg("--output")
            .arg(&output)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{stdout}\n{stderr}");
        assert!(stderr.contains("is also an input"), "{stderr}");
    }
    assert_eq!(run_count(&a), 4);
    assert_eq!(
        std::fs::read_to_string(a.join("leaderboard.md")).unwrap(),
        before
    );
}

#[test]
fn merge_counts_add_up_when_an_input_is_given_twice() {
    let sb = Sandbox::new();
    small_store(&sb, "a");
    let a = sb.root().join("a");
    let merge = |out: &str| {
        let o = sb
            .anml()
            .args(["results", "merge"])
            .args([&a, &a])
            .arg("--output")
            .arg(sb.root().join(out))
            .output()
            .unwrap();
        let (stdout, stderr) = text(&o);
        assert!(o.status.success(), "{stdout}\n{stderr}");
        stdout
    };
    // 4 runs: 4 copied, none was in the output, 4 input records repeated
    let stdout = merge("m");
    assert!(
        stdout.contains("4 runs (4 copied, 0 already there, 4 in more than one input"),
        "{stdout}"
    );
    let stdout = merge("m");
    assert!(
        stdout.contains("4 runs (0 copied, 4 already there, 4 in more than one input"),
        "{stdout}"
    );
}

#[test]
fn a_merge_that_meets_an_invalid_run_copies_nothing() {
    let sb = Sandbox::new();
    small_store(&sb, "a");
    small_store(&sb, "b");
    // b holds one more, damaged, run file
    let bad = format!("{}.json", "ab".repeat(32));
    std::fs::write(sb.root().join("b/runs").join(&bad), "{ not json").unwrap();
    let (code, stdout, stderr) = anml(
        &sb,
        &[
            "results",
            "merge",
            sb.root().join("a").to_str().unwrap(),
            sb.root().join("b").to_str().unwrap(),
            "--output",
            sb.root().join("m").to_str().unwrap(),
        ],
    );
    no_panic(&stderr);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains(&bad), "{stderr}");
    assert_eq!(run_count(&sb.root().join("m")), 0, "nothing copied");
}

#[test]
fn size_parameters_have_upper_bounds_checked_before_any_data() {
    let sb = Sandbox::new();
    // dataset `no-such`: the parameter must fail first, with its bound
    for (model, param, bound) in [
        ("isolation_forest", "n_estimators=1000000000", "100000"),
        ("knn", "n_neighbors=1000000000", "100000"),
        ("avg_knn", "n_neighbors=1000000000", "100000"),
        ("lof", "n_neighbors=1000000000", "100000"),
        ("gmm", "n_components=1000000000", "100000"),
        ("gmm", "n_init=1000000000", "1000"),
        ("gmm", "max_iter=1000000000000", "100000000"),
        ("pca", "n_components=1000000000", "100000"),
        ("ocsvm", "max_iter=1000000000000", "100000000"),
        ("ocsvm", "cache_size=1e300", "1048576"),
        ("inne", "n_estimators=1000000000", "1000000"),
        ("dif", "n_estimators=1000000000", "100000"),
        ("hbos", "n_bins=1000000000", "1000000"),
        ("loda", "n_random_cuts=1000000000", "1000000"),
        ("cblof", "n_clusters=1000000000", "100000"),
        ("autoencoder", "epochs=1000000000", "100000"),
        ("autoencoder", "batch_size=1000000000", "1000000"),
        ("deep_svdd", "hidden_neurons=[64,1000000000]", "10000"),
        ("usad", "hidden_size=1000000000", "100000"),
    ] {
        let name = param.split('=').next().unwrap();
        let (code, _, stderr) = anml(
            &sb,
            &[
                "benchmark",
                "--dataset",
                "no-such",
                "--model",
                model,
                "--param",
                param,
            ],
        );
        no_panic(&stderr);
        assert_eq!(code, Some(2), "{model} {param}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(bound) && !stderr.contains("no-such"),
            "{model} {param}: {stderr}"
        );
    }
}

#[test]
fn a_huge_forest_in_a_script_is_a_parameter_error() {
    let sb = Sandbox::new();
    let script = sb.write(
        "forest.rhai",
        "let sp = load_dataset(\"toy-blobs\").split(0);\n\
         let m = detector(\"isolation_forest\", #{ n_estimators: 1000000000 }).fit(sp.x_train);\n",
    );
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    let (_, stderr) = text(&o);
    no_panic(&stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("n_estimators") && stderr.contains("[1, 100000]"),
        "{stderr}"
    );
}

#[test]
fn series_windows_have_upper_bounds() {
    let sb = Sandbox::new();
    let script = sb.write(
        "w.rhai",
        "let ts = series_from(vector([1.0, 2.0, 3.0, 4.0, 5.0]));\n\
         score_series(ts, \"knn\", #{ window: 1000000000 });\n",
    );
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    let (_, stderr) = text(&o);
    no_panic(&stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("window") && stderr.contains("100000"),
        "{stderr}"
    );
}

#[test]
fn limits_cannot_be_switched_off_and_jobs_are_bounded() {
    let sb = Sandbox::new();
    let script = sb.write("ok.rhai", "print(1);\n");
    let script = script.to_str().unwrap();
    for flag in [
        "--max-operations",
        "--max-call-depth",
        "--max-string-size",
        "--max-array-size",
        "--max-map-size",
        "--max-matrix-elements",
        "--max-modules",
    ] {
        let (code, stdout, stderr) = anml(&sb, &[flag, "0", "script", script]);
        assert_eq!(code, Some(2), "{flag} 0: {stdout}{stderr}");
        assert!(stderr.contains(flag) && stderr.contains("0"), "{stderr}");
        // 1 is a real limit, and the default is still accepted
        let (code, _, _) = anml(&sb, &[flag, "1", "models"]);
        assert_eq!(code, Some(0), "{flag} 1");
    }
    for cmd in [
        vec!["script", "--jobs", "100000", script],
        vec!["script", "--jobs", "1025", script],
        vec!["benchmark", "--suite", "odds", "--jobs", "100000"],
    ] {
        let (code, _, stderr) = anml(&sb, &cmd);
        assert_eq!(code, Some(2), "{cmd:?}: {stderr}");
        assert!(
            stderr.contains("--jobs") && stderr.contains("1024"),
            "{stderr}"
        );
    }
    let (code, stdout, stderr) = anml(&sb, &["script", "--jobs", "1024", script]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

/// A one-column CSV of `values`, one per line, no header.
fn column_csv(sb: &Sandbox, name: &str, values: impl Iterator<Item = f64>) -> String {
    let body: String = values.map(|v| format!("{v:e}\n")).collect();
    sb.write(name, &body).to_str().unwrap().to_string()
}

#[test]
fn series_profile_keeps_every_value_rescales_huge_ones_and_refuses_non_finite() {
    let sb = Sandbox::new();
    // numpy.savetxt: one number per line, no header
    let walk = column_csv(
        &sb,
        "walk.csv",
        (0..512).map(|i| ((i * 7919) % 101) as f64 - 50.0),
    );
    let (code, stdout, stderr) = anml(
        &sb,
        &["series", "profile", "--input", &walk, "--m", "16", "--json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["n"], 512, "{stdout}");

    let huge = column_csv(
        &sb,
        "huge.csv",
        (0..512).map(|i: u64| 1e308 * (((i * i * 7919) % 1009) as f64 / 1009.0)),
    );
    // values near f64::MAX: the profile of the unscaled series, not all
    // zeros (the z-normalised profile does not depend on the scale)
    let small = column_csv(
        &sb,
        "small.csv",
        (0..512).map(|i: u64| ((i * i * 7919) % 1009) as f64 / 1009.0),
    );
    let profile = |input: &str, out: &str| {
        let out = sb.root().join(out);
        let (code, stdout, stderr) = anml(
            &sb,
            &[
                "series",
                "profile",
                "--input",
                input,
                "--m",
                "16",
                "--output",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        let bytes = std::fs::read(&out).unwrap();
        // float64 values after the .npy header
        let header = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        bytes[header..]
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect::<Vec<f64>>()
    };
    let got = profile(&huge, "huge.npy");
    let want = profile(&small, "small.npy");
    assert_eq!(got.len(), want.len());
    assert!(want.iter().any(|&v| v > 0.1), "{want:?}");
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-6 * w.max(1.0), "{g} vs {w}");
    }

    for bad in ["nan", "inf", "-inf"] {
        let body: String = (0..64)
            .map(|i| {
                if i == 9 {
                    bad.to_string()
                } else {
                    i.to_string()
                }
            })
            .map(|s| s + "\n")
            .collect();
        let p = sb.write(&format!("{bad}.csv"), &body);
        let (code, _, stderr) = anml(
            &sb,
            &[
                "series",
                "profile",
                "--input",
                p.to_str().unwrap(),
                "--m",
                "8",
            ],
        );
        assert_eq!(code, Some(1), "{bad}: {stderr}");
        assert!(stderr.contains("non-finite"), "{bad}: {stderr}");
    }
}

#[test]
fn usage_errors_found_after_parsing_exit_2() {
    let sb = Sandbox::new();
    fn one<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["benchmark", "--dataset", "wbc", "--model", "hbos"];
        v.extend_from_slice(extra);
        v
    }
    fn suite<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["benchmark", "--suite", "odds", "--datasets", "wbc"];
        v.extend_from_slice(extra);
        v
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["benchmark", "--dataset", "nope", "--model", "hbos"],
            "unknown dataset",
        ),
        (
            vec!["benchmark", "--dataset", "wbc", "--model", "nope"],
            "unknown detector",
        ),
        (suite(&["--seeds", "5-2"]), "seeds `5-2`"),
        (
            vec![
                "perf",
                "--dataset",
                "wbc",
                "--model",
                "hbos",
                "--seeds",
                "5-2",
            ],
            "seeds `5-2`",
        ),
        (
            vec![
                "benchmark",
                "--dataset",
                "wbc",
                "--model",
                "ocsvm",
                "--param",
                "nu=abc",
            ],
            "ocsvm",
        ),
        (one(&["--param", "foo=1"]), "foo"),
        (
            one(&["--param", "novalue"]),
            "--param: `novalue` is not NAME=VALUE",
        ),
        (one(&["--param", "=5"]), "is not NAME=VALUE"),
        (
            one(&["--param", "n_bins=5", "--param", "n_bins=6"]),
            "`n_bins` is given twice",
        ),
        (
            suite(&["--param", "n_bins=5", "--param", "n_bins=[6,7]"]),
            "`n_bins` is given twice",
        ),
        (suite(&["--shard", "3/3"]), "shard `3/3`"),
        (suite(&["--shard", "0/0"]), "shard `0/0`"),
        (one(&["--protocol", "bad"]), "unknown split protocol"),
        (suite(&["--protocol", "bad"]), "unknown split protocol"),
        (
            vec![
                "perf",
                "--dataset",
                "wbc",
                "--model",
                "hbos",
                "--protocol",
                "x",
            ],
            "unknown split protocol",
        ),
        (
            one(&["--seed", "4294967296", "--protocol", "pyod"]),
            "seed 4294967296",
        ),
        (one(&["--publish", "Bad/Name"]), "invalid model name"),
        (
            one(&["--publish", "m", "--version", "1.x"]),
            "invalid version",
        ),
        (
            vec!["series", "profile", "--series", "nope", "--m", "10"],
            "unknown dataset",
        ),
        // suite-only flags on a single run were silently ignored
        (one(&["--seeds", "0-9"]), "--seeds"),
        (one(&["--models", "knn"]), "--models"),
        (one(&["--datasets", "wbc"]), "--datasets"),
        (one(&["--compare", "ref.json"]), "--compare"),
    ];
    for (args, want) in cases {
        let (code, stdout, stderr) = anml(&sb, &args);
        no_panic(&stderr);
        assert_eq!(code, Some(2), "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    let walk = column_csv(&sb, "w.csv", (0..64).map(f64::from));
    // flags clap bounds: a repeat count is a Vec capacity
    for (flag, value) in [
        ("--repeat", "0"),
        ("--repeat", "1000000000000"),
        ("--discords", "0"),
        ("--discords", "1000000000000"),
    ] {
        let (code, _, stderr) = anml(
            &sb,
            &[
                "series", "profile", "--input", &walk, "--m", "8", flag, value,
            ],
        );
        no_panic(&stderr);
        assert_eq!(code, Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(flag), "{stderr}");
    }
    for m in ["0", "1000"] {
        let (code, _, stderr) = anml(&sb, &["series", "profile", "--input", &walk, "--m", m]);
        assert_eq!(code, Some(2), "--m {m}: {stderr}");
        assert!(stderr.contains("window length m"), "{stderr}");
    }
    assert!(!sb.root().join("results").exists());
}

#[test]
fn a_publish_the_registry_refuses_leaves_no_result() {
    let sb = Sandbox::new();
    // a file where the registry directory should be: unwritable, even as root
    sb.write("registry", "not a directory");
    let (code, stdout, stderr) = anml(
        &sb,
        &[
            "benchmark",
            "--dataset",
            "wbc",
            "--model",
            "hbos",
            "--experiment",
            "e",
            "--publish",
            "m",
        ],
    );
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("registry"), "{stderr}");
    assert_eq!(run_count(&sb.root().join("results/e")), 0, "{stdout}");
    let out = sb.root().join("r.json");
    let (code, _, stderr) = anml(
        &sb,
        &[
            "benchmark",
            "--dataset",
            "wbc",
            "--model",
            "hbos",
            "--publish",
            "m",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!out.exists());
    // and a result that cannot be written publishes nothing
    std::fs::remove_file(sb.root().join("registry")).unwrap();
    sb.write("blocked", "a file, not a directory");
    let out = sb.root().join("blocked/r.json");
    let (code, stdout, stderr) = anml(
        &sb,
        &[
            "benchmark",
            "--dataset",
            "wbc",
            "--model",
            "hbos",
            "--publish",
            "m",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("blocked"), "{stderr}");
    assert!(!stdout.contains("published"), "{stdout}");
    assert!(!sb.root().join("registry/m").exists());
}

#[test]
fn a_run_cleans_stale_temp_files_in_its_store() {
    let sb = Sandbox::new();
    // pid 4194305 is above Linux's pid_max: its writer is surely gone
    let stale = [
        "results/e/runs/.x.json.tmp-4194305-0",
        "results/e/.sweep.json.tmp-4194305-1",
        "results/e/.leaderboard.md.tmp-4194305-2",
    ];
    let keep = ["results/e/notes.tmp-4194305-0", "results/e/.hidden"];
    for p in stale.iter().chain(&keep) {
        sb.write(p, "partial");
    }
    let (code, stdout, stderr) = anml(
        &sb,
        &[
            "benchmark",
            "--dataset",
            "wbc",
            "--model",
            "hbos",
            "--experiment",
            "e",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    for p in stale {
        assert!(!sb.root().join(p).exists(), "{p} was left");
    }
    for p in keep {
        assert!(sb.root().join(p).exists(), "{p} is not ours");
    }
    // the same for a merge into a store
    small_store(&sb, "a");
    sb.write("m/.sweep.json.tmp-4194305-3", "partial");
    let (code, _, stderr) = anml(
        &sb,
        &[
            "results",
            "merge",
            sb.root().join("a").to_str().unwrap(),
            "--output",
            sb.root().join("m").to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!sb.root().join("m/.sweep.json.tmp-4194305-3").exists());
}

#[test]
fn an_io_error_names_its_cause_once() {
    let sb = Sandbox::new();
    let missing = sb.root().join("missing.csv");
    let (code, _, stderr) = anml(
        &sb,
        &[
            "series",
            "profile",
            "--input",
            missing.to_str().unwrap(),
            "--m",
            "8",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
    let missing = sb.root().join("missing.rhai");
    let (code, _, stderr) = anml(&sb, &["script", missing.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn seed_and_window_errors_have_their_own_wording() {
    let sb = Sandbox::new();
    let (code, _, stderr) = anml(
        &sb,
        &[
            "benchmark",
            "--dataset",
            "wbc",
            "--model",
            "hbos",
            "--seed",
            "4294967296",
            "--protocol",
            "pyod",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: seed 4294967296: too large for the pyod protocol"),
        "{stderr}"
    );
    let script = sb.write(
        "w.rhai",
        "let ts = series_from(vector([1.0, 2.0, 3.0, 4.0, 5.0]));\n\
         print(ts.windows(10, 1));\n",
    );
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("window length 10 is longer than the series") && !stderr.contains("split"),
        "{stderr}"
    );
}

/// Regression: an argument that is not UTF-8 (here the `--output` path)
/// panicked in the provenance's argv (`std::env::args`); the run now
/// completes and records the argument lossily.
#[test]
fn a_non_utf8_argument_is_recorded_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let out = sb.root().join(std::ffi::OsStr::from_bytes(b"r\xffes.json"));
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--dataset",
            "toy-blobs",
            "--model",
            "hbos",
            "--output",
        ])
        .arg(&out)
        .output()
        .expect("run anml");
    let (stdout, stderr) = text(&o);
    no_panic(&stderr);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["provenance"]["argv"][0], "anml");
}

/// `anml ... | head`: a reader that has gone away ends anml quietly (the
/// default SIGPIPE action, as `cat` does), not with a "failed printing to
/// stdout" panic. The pipe's read end is closed before the process starts
/// writing, so every write after startup meets a closed pipe.
#[test]
fn a_closed_stdout_pipe_ends_the_process_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let sb = Sandbox::new();
    for args in [&["models"][..], &["datasets"][..]] {
        let mut child = sb
            .anml()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        no_panic(&stderr);
        assert!(
            out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {:?}\n{stderr}",
            out.status
        );
    }
}
