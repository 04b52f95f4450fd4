//! The model registry end to end: every detector round-trips through it,
//! the real binary publishes with a result whose `artefact_digest` is the
//! registry's `sha256`, `registry verify` catches tampering, two processes
//! publishing at once never collide, and `kill -9` in the middle of a
//! publish leaves a registry that verifies clean and accepts the next one.

mod common;

use anml::data::toy::{ToyBlobsParams, toy_blobs};
use anml::detectors::{DETECTORS, Detector};
use anml::registry::{ArtefactRegistry, Bump, Provenance, RegistryError, VersionChoice};
use common::{Sandbox, text};
use ndarray::s;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn registry(sb: &Sandbox) -> ArtefactRegistry {
    ArtefactRegistry::new(sb.root().join("registry"))
}

fn meta(sb: &Sandbox, name: &str, version: &str) -> Value {
    let p = sb
        .root()
        .join("registry")
        .join(name)
        .join(version)
        .join("meta.json");
    serde_json::from_str(&std::fs::read_to_string(&p).expect("meta.json")).expect("meta JSON")
}

/// `anml benchmark` on toy-blobs with extra flags; asserts success.
fn bench_publish(sb: &Sandbox, args: &[&str]) -> String {
    let o = sb
        .anml()
        .args(["benchmark", "--dataset", "toy-blobs"])
        .args(args)
        .output()
        .expect("run anml");
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    stdout
}

fn verify(sb: &Sandbox) -> (bool, String, String) {
    let o = sb
        .anml()
        .args(["registry", "verify"])
        .output()
        .expect("run anml");
    let (stdout, stderr) = text(&o);
    (o.status.success(), stdout, stderr)
}

#[test]
fn every_detector_round_trips_through_the_registry_with_identical_scores() {
    let sb = Sandbox::new();
    let reg = registry(&sb);
    let ds = toy_blobs(&ToyBlobsParams {
        n_inliers: 285,
        n_outliers: 15,
        ..ToyBlobsParams::default()
    });
    let train = ds.x.slice(s![..200, ..]);
    let prov = Provenance::dataset(&ds.name, &ds.sha256);
    for spec in DETECTORS {
        let fitted = Detector::new(spec.name, &Map::new())
            .and_then(|d| d.fit(train))
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        let name = spec.name.replace('_', "-");
        let m = reg
            .publish(&name, &fitted, &prov, &VersionChoice::Bump(Bump::Patch))
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        assert_eq!(m.sha256, fitted.digest().unwrap(), "{}", spec.name);
        let (loaded, lm) = reg.load(&format!("{name}@^1")).unwrap();
        assert_eq!(lm, m);
        assert_eq!(loaded.name(), spec.name);
        let a = fitted.score_samples(ds.x.view()).unwrap();
        let b = loaded.score_samples(ds.x.view()).unwrap();
        let bits = |v: &ndarray::Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&a),
            bits(&b),
            "{}: scores differ after load",
            spec.name
        );
        assert_eq!(
            loaded.decision_threshold().to_bits(),
            fitted.decision_threshold().to_bits()
        );
        assert_eq!(loaded.to_bytes().unwrap(), fitted.to_bytes().unwrap());
    }
    assert_eq!(reg.entries().unwrap().len(), DETECTORS.len());
    assert!(reg.verify().unwrap().problems.is_empty());
}

#[test]
fn published_sha256_equals_the_results_artefact_digest() {
    let sb = Sandbox::new();
    let out = sb.root().join("results/run.json");
    bench_publish(
        &sb,
        &["--model", "hbos", "--seed", "3", "--publish", "fraud"],
    );
    let stdout = {
        let o = sb
            .anml()
            .args(["benchmark", "--dataset", "toy-blobs", "--model", "hbos"])
            .args(["--seed", "3", "--publish", "fraud", "--output"])
            .arg(&out)
            .output()
            .unwrap();
        let (so, se) = text(&o);
        assert!(o.status.success(), "{so}\n{se}");
        so
    };
    // The first run (default bump patch) gave 1.0.0, this one 1.0.1.
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let m = meta(&sb, "fraud", "1.0.1");
    assert_eq!(m["sha256"], result["artefact_digest"]);
    assert!(
        stdout.contains(&format!(
            "published fraud@1.0.1 ({})",
            result["artefact_digest"].as_str().unwrap()
        )),
        "{stdout}"
    );
    for k in ["dataset", "dataset_sha256", "split", "seed", "run_id"] {
        assert_eq!(m[k], result[k], "{k}");
    }
    assert_eq!(m["params"], result["params"]);
    assert_eq!(m["detector"], "hbos");
    for k in ["roc_auc", "pr_auc", "f1", "precision_at_n"] {
        assert_eq!(m["metrics"][k], result[k], "{k}");
    }
    assert_eq!(m["model_format_version"], 1);
    let created = m["created_at"].as_str().unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );

    // An exact version that exists is refused before the run; a new one works.
    let o = sb
        .anml()
        .args(["benchmark", "--dataset", "toy-blobs", "--model", "hbos"])
        .args(["--publish", "fraud", "--version", "1.0.1"])
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert!(!o.status.success());
    assert!(
        stderr.contains("fraud@1.0.1 is already published"),
        "{stderr}"
    );
    let stdout = bench_publish(
        &sb,
        &[
            "--model",
            "hbos",
            "--publish",
            "fraud",
            "--version",
            "1.4.0-rc.1",
        ],
    );
    assert!(stdout.contains("published fraud@1.4.0-rc.1"), "{stdout}");
    let stdout = bench_publish(
        &sb,
        &["--model", "hbos", "--publish", "fraud", "--bump", "minor"],
    );
    assert!(stdout.contains("published fraud@1.1.0"), "{stdout}");

    // list / show see it; show resolves requirements.
    let o = sb.anml().args(["registry", "list"]).output().unwrap();
    let (list, _) = text(&o);
    assert!(o.status.success());
    for v in ["1.0.0", "1.0.1", "1.1.0", "1.4.0-rc.1"] {
        assert!(list.contains(v), "{list}");
    }
    let o = sb
        .anml()
        .args(["registry", "show", "fraud@~1.0", "--json"])
        .output()
        .unwrap();
    let shown: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(shown["version"], "1.0.1");
    let o = sb
        .anml()
        .args(["registry", "show", "fraud"])
        .output()
        .unwrap();
    assert!(text(&o).0.contains("1.1.0"), "highest release, not the rc");
    let o = sb
        .anml()
        .args(["registry", "show", "nope"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).1.contains("known: fraud"), "{}", text(&o).1);
}

#[test]
fn verify_names_a_tampered_entry_and_exits_non_zero() {
    let sb = Sandbox::new();
    for _ in 0..2 {
        bench_publish(&sb, &["--model", "hbos", "--publish", "m"]);
    }
    let (ok, stdout, _) = verify(&sb);
    assert!(ok, "{stdout}");
    assert!(
        stdout.contains("2 entries verified, 0 problems"),
        "{stdout}"
    );

    let model = sb.root().join("registry/m/1.0.1/model.json");
    let mut bytes = std::fs::read(&model).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&model, &bytes).unwrap();

    let (ok, stdout, stderr) = verify(&sb);
    assert!(!ok, "verify must fail:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("m@1.0.1") && stderr.contains("integrity"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("m@1.0.0"),
        "only the bad entry is named: {stderr}"
    );
    assert!(stdout.contains("ok   m@1.0.0"), "{stdout}");

    // Loading it is refused the same way, from a script too.
    match registry(&sb).load("m@1.0.1") {
        Err(RegistryError::Integrity { .. }) => {}
        other => panic!("{other:?}"),
    }
    let script = sb.write("load.rhai", "print(load_model(\"m\").name);\n");
    let o = sb.anml().arg("script").arg(script).output().unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).1.contains("integrity error in m@1.0.1"),
        "{}",
        text(&o).1
    );
}

#[test]
fn two_processes_publishing_at_once_get_100_distinct_versions() {
    let sb = Sandbox::new();
    let loop_script = r#"
        for i in $(seq 50); do
          "$ANML" --workspace "$WS" --data-dir "$WS/cache" --offline benchmark \
            --dataset toy-blobs --model hbos --output "$WS/results/$WHO.json" \
            --publish m --bump patch > /dev/null || exit 1
        done
    "#;
    let spawn = |who: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(loop_script)
            .env("ANML", env!("CARGO_BIN_EXE_anml"))
            .env("WS", sb.root())
            .env("WHO", who)
            .env_remove("ANML_WORKSPACE")
            .env_remove("ANML_DATA_DIR")
            .env_remove("ANML_DATA_MIRROR")
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sh")
    };
    let (a, b) = (spawn("a"), spawn("b"));
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let versions: BTreeSet<String> = registry(&sb)
        .versions("m")
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let want: BTreeSet<String> = (0..100).map(|p| format!("1.0.{p}")).collect();
    assert_eq!(versions, want);
    let (ok, stdout, stderr) = verify(&sb);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("100 entries verified, 0 problems"),
        "{stdout}"
    );
    let staging = sb.root().join("registry/.staging");
    assert_eq!(std::fs::read_dir(staging).unwrap().count(), 0);
}

fn staging_dirs(root: &Path) -> BTreeSet<String> {
    std::fs::read_dir(root.join("registry/.staging"))
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn kill_9_during_publish_leaves_a_registry_that_verifies_and_accepts_the_next_publish() {
    // A 1000-tree forest with 600-row trees serialises to about 5 MB, so
    // writing and fsyncing model.json takes long enough to be hit. Each
    // publisher is watched until its own staging directory appears (the
    // publish phase has begun), then killed after a different delay.
    let sb = Sandbox::new();
    let big = [
        "--model",
        "isolation_forest",
        "--param",
        "n_estimators=1000",
        "--param",
        "max_samples=600",
        "--publish",
        "big",
    ];
    let reg = registry(&sb);
    let mut published = 0;
    let mut killed_mid_publish = 0;
    for delay_us in [0u64, 200, 1_000, 3_000, 10_000, 30_000] {
        let before = staging_dirs(sb.root());
        let mut child = sb
            .anml()
            .args(["benchmark", "--dataset", "toy-blobs", "--output"])
            .arg(sb.root().join("results/big.json"))
            .args(big)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if staging_dirs(sb.root()).difference(&before).next().is_some() {
                std::thread::sleep(Duration::from_micros(delay_us));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "publisher never reached its publish"
            );
        }
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let n = reg.versions("big").unwrap().len();
        assert!(
            n == published || n == published + 1,
            "{n} after {published}"
        );
        if status.success() || n == published + 1 {
            published = n;
        }
        if !staging_dirs(sb.root()).is_empty() {
            killed_mid_publish += 1;
        }
        // Whatever is visible is complete and intact.
        let report = reg.verify().unwrap();
        assert!(
            report.problems.is_empty(),
            "after a kill at +{delay_us} µs: {:?}",
            report.problems
        );
        assert_eq!(report.ok.len(), published);
        for v in reg.versions("big").unwrap() {
            reg.load(&format!("big@{v}")).unwrap();
        }
    }
    eprintln!("{killed_mid_publish} of 6 kills landed mid-publish; {published} versions completed");
    assert!(
        killed_mid_publish >= 1,
        "no kill landed inside a publish; the test did not exercise the window"
    );

    // The next publish works, takes the next version, and clears the leftovers.
    let stdout = bench_publish(&sb, &["--model", "hbos", "--publish", "big"]);
    let want = if published == 0 {
        "1.0.0".to_string()
    } else {
        format!("1.0.{published}")
    };
    assert!(
        stdout.contains(&format!("published big@{want}")),
        "{stdout}"
    );
    assert!(staging_dirs(sb.root()).is_empty());
    let (ok, stdout, stderr) = verify(&sb);
    assert!(ok, "{stdout}\n{stderr}");
}
