//! `anml explain` through the real binary: a model published by `anml
//! benchmark --publish` explains a row of its dataset exactly as the
//! library does on the row scaled by the run's split (rebuilt here from the
//! protocol), and the refusals exit 2 with a clear message.

mod common;

use anml::data::Protocol;
use anml::detectors::FittedDetector;
use anml::registry::ArtefactRegistry;
use common::{Sandbox, rel_err, text};
use serde_json::Value;

const SEED: &str = "2";

fn publish(sb: &Sandbox, dataset: &str, model: &str, name: &str) {
    let o = sb
        .anml()
        .args([
            "benchmark",
            "--dataset",
            dataset,
            "--model",
            model,
            "--seed",
            SEED,
        ])
        .args(["--publish", name, "--version", "1.0.0"])
        .output()
        .expect("run anml");
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
}

fn explain(sb: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let o = sb
        .anml()
        .arg("explain")
        .args(args)
        .output()
        .expect("run anml");
    let (stdout, stderr) = text(&o);
    (o.status.code().unwrap_or(-1), stdout, stderr)
}

/// The published model, and row `row` of `dataset` scaled as its run's
/// holdout60 split with seed SEED scaled the training rows.
fn expected(
    sb: &Sandbox,
    name: &str,
    dataset: &str,
    row: usize,
) -> (FittedDetector, ndarray::Array1<f64>) {
    let (fitted, _) = ArtefactRegistry::new(sb.root().join("registry"))
        .load(name)
        .expect("load the published model");
    let ds = common::load_dataset(dataset).expect("dataset");
    let prep = Protocol::Holdout60
        .prepare(&ds, SEED.parse().unwrap())
        .expect("split");
    let x = match prep.split.train.iter().position(|&i| i == row) {
        Some(p) => prep.x_train.row(p).to_owned(),
        None => {
            let p = prep
                .split
                .test
                .iter()
                .position(|&i| i == row)
                .expect("row in the split");
            prep.x_test.row(p).to_owned()
        }
    };
    (fitted, x)
}

#[test]
fn explains_a_published_row_as_the_library_does() {
    let sb = Sandbox::new();
    publish(&sb, "wbc", "ecod", "wbc-ecod");
    for row in [0usize, 7, 300] {
        let r = row.to_string();
        let (code, stdout, stderr) = explain(
            &sb,
            &[
                "--model",
                "wbc-ecod@1.0.0",
                "--dataset",
                "wbc",
                "--row",
                &r,
                "--json",
            ],
        );
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let got: Value = serde_json::from_str(&stdout).expect("JSON output");
        let (fitted, x) = expected(&sb, "wbc-ecod", "wbc", row);
        let want = fitted.explain(x.view()).expect("explain");
        let score = fitted
            .score_samples(x.view().insert_axis(ndarray::Axis(0)))
            .expect("score")[0];
        assert_eq!(got["method"], "additive");
        assert!(
            rel_err(got["score"].as_f64().unwrap(), score) <= 1e-12,
            "{stdout}"
        );
        assert!(
            rel_err(got["sum"].as_f64().unwrap(), score) <= 1e-12,
            "{stdout}"
        );
        let features = got["features"].as_array().expect("features");
        assert_eq!(features.len(), 30);
        for f in features {
            let i = f["index"].as_u64().unwrap() as usize;
            let c = f["contribution"].as_f64().unwrap();
            assert!(
                rel_err(c, want.features[i].contribution) <= 1e-12,
                "row {row} feature {i}"
            );
        }
        // Largest |contribution| first.
        let abs: Vec<f64> = features
            .iter()
            .map(|f| f["contribution"].as_f64().unwrap().abs())
            .collect();
        assert!(abs.windows(2).all(|w| w[0] >= w[1]), "{abs:?}");
    }
}

#[test]
fn table_top_and_plot() {
    let sb = Sandbox::new();
    publish(&sb, "wbc", "knn", "wbc-knn");
    let svg = sb.root().join("why.svg");
    let svg_arg = svg.to_string_lossy().into_owned();
    // --dataset defaults to the model's training dataset.
    let (code, stdout, stderr) = explain(
        &sb,
        &[
            "--model", "wbc-knn", "--row", "3", "--top", "4", "--plot", &svg_arg,
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("wbc-knn@1.0.0 (knn) on wbc row 3"),
        "{stdout}"
    );
    assert!(stdout.contains("knn_sq_diff"), "{stdout}");
    assert!(
        stdout.contains("contribution") && stdout.contains("share"),
        "{stdout}"
    );
    let rows = stdout.lines().filter(|l| l.contains("│ x")).count();
    assert_eq!(rows, 4, "{stdout}");
    let bytes = std::fs::read_to_string(&svg).expect("the plot was written");
    assert!(
        bytes.starts_with("<svg"),
        "{}",
        &bytes[..bytes.len().min(80)]
    );
}

#[test]
fn refusals_exit_2_with_a_reason() {
    let sb = Sandbox::new();
    publish(&sb, "wbc", "pca", "wbc-pca");
    publish(&sb, "wbc", "hbos", "wbc-hbos");
    // Models saved from a script: the scaling their input needs is unknown.
    let script = sb.write(
        "save.rhai",
        r#"let ds = load_dataset("wbc");
           let m = detector("hbos").fit(ds.x);
           save_model(m, "by-hand", #{ dataset: ds });
           save_model(m, "no-data");"#,
    );
    let o = sb
        .anml()
        .arg("script")
        .arg(&script)
        .output()
        .expect("run anml");
    assert!(o.status.success(), "{:?}", text(&o));
    let cases: [(&[&str], &str); 8] = [
        (&["--model", "by-hand", "--row", "0"], "records no split"),
        (
            &["--model", "no-data", "--row", "0"],
            "records no training dataset",
        ),
        (
            &["--model", "wbc-pca", "--row", "0"],
            "has no per-feature explanation",
        ),
        (
            &["--model", "wbc-hbos", "--row", "378"],
            "row 378 is out of range",
        ),
        (&["--model", "nope", "--row", "0"], "no model named `nope`"),
        (
            &["--model", "wbc-hbos@2", "--row", "0"],
            "no version of `wbc-hbos`",
        ),
        (
            &["--model", "wbc-hbos", "--dataset", "glass", "--row", "0"],
            "was fitted on dataset `wbc`",
        ),
        (
            &["--model", "wbc-hbos", "--row", "0", "--plot", "x.txt"],
            "must end in .svg or .png",
        ),
    ];
    for (args, want) in cases {
        let (code, stdout, stderr) = explain(&sb, args);
        assert_eq!(code, 2, "{args:?}\n{stdout}\n{stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}
