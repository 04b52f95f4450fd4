//! The threshold methods in run records and on the command line: every new
//! tabular record carries every method of `thresholds::METHODS` (fitted on
//! the training scores, scored on the test part), validates, is the same for
//! any thread count, and a record from before (no `thresholds`) still
//! validates and reads back to the same bytes; `--threshold` picks what is
//! printed and shown in the leaderboard without changing the record.

mod common;

use anml::bench;
use anml::data::{DatasetRegistry, Protocol};
use anml::detectors::Detector;
use anml::results::{self, StoredRun};
use anml::thresholds::{self, METHODS, Options};
use common::{Sandbox, mirror};
use serde_json::Value;

fn wbc() -> anml::data::Dataset {
    let cache = tempfile::tempdir().expect("tempdir");
    DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror()))
        .with_download(false)
        .load("wbc")
        .expect("wbc from the mirror")
}

fn run_hbos(ds: &anml::data::Dataset) -> bench::RunOutcome {
    let det = Detector::new("hbos", &serde_json::Map::new()).expect("hbos");
    bench::run(
        ds,
        &det,
        Protocol::Holdout60,
        3,
        &bench::RunContext::default(),
    )
    .expect("run")
}

#[test]
fn a_record_holds_every_method_fitted_on_train_and_scored_on_test() {
    let ds = wbc();
    let out = run_hbos(&ds);
    let r = &out.result;
    let names: Vec<&str> = r.thresholds.0.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, thresholds::names());
    // recompute from the same split: each method fitted on the training
    // scores, flags of the test scores against the test labels
    let prepared = Protocol::Holdout60.prepare(&ds, 3).expect("split");
    let det = Detector::new("hbos", &serde_json::Map::new())
        .expect("hbos")
        .for_run(&serde_json::Map::new(), 3, None)
        .expect("resolved");
    let (fitted, train) = det.fit_scored(prepared.x_train.view()).expect("fit");
    let test = fitted.score_samples(prepared.x_test.view()).expect("score");
    assert_eq!(test, out.test_scores);
    for m in METHODS {
        let t = thresholds::fit(m.name, train.view(), &Options::default()).expect(m.name);
        let got = r.thresholds.get(m.name).expect("fitted on wbc");
        assert_eq!(got.threshold, t.value, "{}", m.name);
        let (p, rc, f1) = thresholds::precision_recall_f1(
            prepared.y_test.as_slice().unwrap(),
            &t.labels(test.view()),
        );
        assert_eq!(
            (got.precision, got.recall, got.f1),
            (p, rc, f1),
            "{}",
            m.name
        );
    }
    // `contamination` is the detector's own decision rule
    let c = r.thresholds.get("contamination").expect("contamination");
    assert_eq!(c.threshold, fitted.decision_threshold());
    let predicted: Vec<u8> = fitted
        .predict(prepared.x_test.view(), None)
        .expect("predict")
        .iter()
        .map(|&v| v as u8)
        .collect();
    let (p, rc, f1) =
        thresholds::precision_recall_f1(prepared.y_test.as_slice().unwrap(), &predicted);
    assert_eq!((c.precision, c.recall, c.f1), (p, rc, f1));
    // it validates (bench::run validated it too) and reads back byte for byte
    let json = r.to_json().expect("valid");
    let back = StoredRun::from_json(&json).expect("reads back");
    assert_eq!(back.as_ok().expect("ok").to_json().expect("json"), json);
}

#[test]
fn records_are_the_same_for_any_thread_count() {
    let ds = wbc();
    let det = Detector::new("isolation_forest", &serde_json::Map::new()).expect("iforest");
    let one = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let r = pool.install(|| {
            bench::run(
                &ds,
                &det,
                Protocol::Holdout60,
                1,
                &bench::RunContext::default(),
            )
            .expect("run")
        });
        bench::deterministic_json(&StoredRun::Ok(Box::new(r.result))).expect("json")
    };
    let a = one(1);
    assert!(a.contains("\"thresholds\""), "{a}");
    assert_eq!(a, one(4));
}

#[test]
fn a_record_from_before_thresholds_still_validates_and_round_trips() {
    let r = run_hbos(&wbc()).result;
    let mut v = r.to_value().expect("value");
    v.as_object_mut()
        .expect("object")
        .shift_remove("thresholds");
    let mut old = serde_json::to_string_pretty(&v).expect("text");
    old.push('\n');
    results::validate(&v).expect("an old record validates");
    let back = StoredRun::from_json(&old).expect("an old record reads");
    let back = back.as_ok().expect("ok");
    assert!(back.thresholds.is_empty());
    assert_eq!(back.to_json().expect("json"), old, "re-written unchanged");
    assert_eq!(back.run_id, r.run_id);
}

#[test]
fn the_schema_lists_exactly_the_methods() {
    let schema: Value = serde_json::from_str(results::SCHEMA_JSON).expect("schema");
    let props: Vec<&str> = schema["$defs"]["run"]["properties"]["thresholds"]["properties"]
        .as_object()
        .expect("thresholds properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(props, thresholds::names());
    // a null (unfittable) method and a bad value
    let r = run_hbos(&wbc()).result;
    let mut v = r.to_value().expect("value");
    v["thresholds"]["otsu"] = Value::Null;
    results::validate(&v).expect("null is allowed");
    v["thresholds"]["otsu"] =
        serde_json::json!({"threshold": 1.0, "f1": 2.0, "precision": 0.0, "recall": 0.0});
    assert!(results::validate(&v).is_err(), "f1 above 1");
    v["thresholds"]["otsu"] = Value::Null;
    v["thresholds"]["otsuu"] = Value::Null;
    assert!(results::validate(&v).is_err(), "unknown method");
}

fn record_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("runs dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

fn deterministic(path: &std::path::Path) -> String {
    let rec = StoredRun::from_json(&std::fs::read_to_string(path).expect("read")).expect("record");
    bench::deterministic_json(&rec).expect("json")
}

#[test]
fn threshold_flag_picks_what_is_printed_not_what_is_recorded() {
    let sb = Sandbox::new();
    let args = ["benchmark", "--dataset", "wbc", "--model", "hbos"];
    let plain = sb.anml().args(args).output().expect("run");
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(text.contains("threshold contamination: "), "{text}");
    let runs = sb.root().join("results/wbc/runs");
    let files = record_files(&runs);
    assert_eq!(files.len(), 1);
    let before = deterministic(&files[0]);

    let otsu = sb
        .anml()
        .args(args)
        .args(["--threshold", "otsu"])
        .output()
        .expect("run");
    assert!(
        otsu.status.success(),
        "{}",
        String::from_utf8_lossy(&otsu.stderr)
    );
    let text = String::from_utf8_lossy(&otsu.stdout);
    assert!(
        text.contains("threshold otsu: ") && text.contains("F1 "),
        "{text}"
    );
    // the same run id, the same record
    assert_eq!(record_files(&runs), files);
    assert_eq!(deterministic(&files[0]), before);

    let bad = sb
        .anml()
        .args(args)
        .args(["--threshold", "otsuu"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    for m in METHODS {
        assert!(err.contains(m.name), "{err}");
    }
}

#[test]
fn a_suite_leaderboard_shows_the_chosen_method() {
    let sb = Sandbox::new();
    let out = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "odds",
            "--datasets",
            "wbc",
            "--models",
            "hbos",
            "--seeds",
            "0",
            "--threshold",
            "gesd",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mean F1 at gesd"), "{text}");
    let dir = sb.root().join("results/odds");
    let csv = std::fs::read_to_string(dir.join("leaderboard.csv")).expect("csv");
    let header = csv.lines().next().expect("header");
    for col in [
        "mean_f1_at_gesd",
        "mean_precision_at_gesd",
        "mean_recall_at_gesd",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let md = std::fs::read_to_string(dir.join("leaderboard.md")).expect("md");
    assert!(md.contains("mean recall at gesd"), "{md}");
    // the value is the record's
    let rec = record_files(&dir.join("runs"));
    let r = StoredRun::from_json(&std::fs::read_to_string(&rec[0]).expect("read")).expect("rec");
    let f1 = r
        .as_ok()
        .expect("ok")
        .thresholds
        .get("gesd")
        .expect("gesd")
        .f1;
    let row = csv.lines().nth(1).expect("row");
    let cols: Vec<&str> = header.split(',').collect();
    let i = cols
        .iter()
        .position(|c| *c == "mean_f1_at_gesd")
        .expect("col");
    let cell: f64 = row
        .split(',')
        .nth(i)
        .expect("cell")
        .parse()
        .expect("number");
    assert_eq!(cell, f1);
}
