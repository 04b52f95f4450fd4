//! `anml results compare DIR` on a run store made by a small real suite,
//! the leaderboard's "Statistical comparison" section, flag errors (exit 2),
//! dropped datasets, and the script functions `compare`/`cd_diagram`
//! through the real binary.

mod common;

use anml::compare::{Comparison, Matrix};
use common::{Sandbox, text};
use serde_json::Value;
use std::path::Path;

fn suite(sb: &Sandbox, out: &str, datasets: &str, models: &str, extra: &[&str]) -> String {
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", datasets])
        .args(["--models", models, "--seeds", "0-1", "--protocol", "pyod"])
        .args(["--experiment", out, "--jobs", "2", "--output"])
        .arg(sb.root().join(out))
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    format!("{stdout}\n{stderr}")
}

fn compare(sb: &Sandbox, dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let o = sb
        .anml()
        .args(["results", "compare"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    (o.status.code(), stdout, stderr)
}

/// The leaderboard CSV's mean ROC-AUC as a datasets × models matrix.
fn matrix_from_csv(path: &Path) -> Matrix {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "mean_roc_auc").unwrap();
    let (mut datasets, mut models) = (Vec::<String>::new(), Vec::<String>::new());
    let mut cells = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        if !datasets.iter().any(|d| d == f[0]) {
            datasets.push(f[0].into());
        }
        if !models.iter().any(|m| m == f[1]) {
            models.push(f[1].into());
        }
        cells.push((
            f[0].to_string(),
            f[1].to_string(),
            f[col].parse::<f64>().unwrap(),
        ));
    }
    let values = datasets
        .iter()
        .map(|d| {
            models
                .iter()
                .map(|m| cells.iter().find(|c| &c.0 == d && &c.1 == m).unwrap().2)
                .collect()
        })
        .collect();
    Matrix::new(datasets, models, values).unwrap()
}

#[test]
fn results_compare_reports_the_store_and_the_leaderboard_gains_the_section() {
    let sb = Sandbox::new();
    let log = suite(&sb, "cmp", "wbc,glass,vertebral", "hbos,copod,knn", &[]);
    let dir = sb.root().join("cmp");
    assert!(dir.join("leaderboard.csv").is_file(), "{log}");

    let (code, stdout, stderr) = compare(&sb, &dir, &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    for want in [
        "3 models on 3 datasets by roc_auc (higher is better",
        "Friedman chi2(2) = ",
        "Iman-Davenport F(2, 4) = ",
        "Nemenyi critical difference CD = ",
        "average rank",
        "Wilcoxon p",
        "Holm p",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }

    let (code, json, stderr) = compare(&sb, &dir, &["--json", "--alpha", "0.1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["models"].as_array().unwrap().len(), 3);
    assert_eq!(v["datasets"].as_array().unwrap().len(), 3);
    assert_eq!(v["alpha"], 0.1);
    assert_eq!(v["pairs"].as_array().unwrap().len(), 3);
    // the same numbers from the leaderboard's per-cell means over seeds
    let m = matrix_from_csv(&dir.join("leaderboard.csv"));
    let expected = Comparison::with_direction(&m, "roc_auc", true, 0.1).unwrap();
    let expected: Value = serde_json::to_value(&expected).unwrap();
    for key in [
        "average_ranks",
        "friedman",
        "iman_davenport",
        "cd",
        "groups",
        "pairs",
    ] {
        let (a, b) = (&v[key], &expected[key]);
        assert!(!a.is_null(), "{key} missing from --json output");
        assert!(key_close(a, b), "{key}: {a} vs {b}");
    }

    let md = std::fs::read_to_string(dir.join("leaderboard.md")).unwrap();
    assert!(md.contains("\n## Statistical comparison\n"), "{md}");
    assert!(md.contains("| model | average rank |"), "{md}");
    assert!(md.contains("Nemenyi critical difference CD = "), "{md}");
}

/// JSON values equal, numbers to 1e-12 (the CSV holds the means as text).
fn key_close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= 1e-12
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| key_close(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| key_close(a, b)))
        }
        _ => a == b,
    }
}

#[test]
fn failed_cells_drop_their_dataset_and_too_few_is_an_error() {
    let sb = Sandbox::new();
    // 150 neighbours need more training rows than glass has (128 under the
    // pyod split): knn fails there, and glass is dropped
    let log = suite(
        &sb,
        "drop",
        "wbc,glass,pima",
        "hbos,knn",
        &["--param", r#"knn={"n_neighbors":[150]}"#],
    );
    let dir = sb.root().join("drop");
    assert!(dir.join("failures.md").is_file(), "{log}");
    let (code, json, stderr) = compare(&sb, &dir, &["--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["datasets"], serde_json::json!(["wbc", "pima"]), "{json}");
    assert_eq!(v["dropped"][0]["dataset"], "glass", "{json}");
    assert!(
        v["dropped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("failed"),
        "{json}"
    );
    let md = std::fs::read_to_string(dir.join("leaderboard.md")).unwrap();
    assert!(md.contains("dropped glass: "), "{md}");

    // one model: no comparison, exit 1 with the reason; the leaderboard says why
    let log = suite(&sb, "one", "wbc,glass", "hbos", &[]);
    let one = sb.root().join("one");
    let (code, _, stderr) = compare(&sb, &one, &[]);
    assert_eq!(code, Some(1), "{stderr}\n{log}");
    assert!(stderr.contains("at least 2 models"), "{stderr}");
    let md = std::fs::read_to_string(one.join("leaderboard.md")).unwrap();
    assert!(
        md.contains("## Statistical comparison\n\nNot computed: "),
        "{md}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let sb = Sandbox::new();
    let dir = sb.root().join("nothing");
    for (flags, want) in [
        (&["--metric", "accuracy"][..], "unknown metric `accuracy`"),
        (&["--alpha", "1.5"][..], "alpha must be in (0, 1)"),
        (&["--alpha", "0"][..], "alpha must be in (0, 1)"),
    ] {
        let (code, _, stderr) = compare(&sb, &dir, flags);
        assert_eq!(code, Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(want), "{flags:?}: {stderr}");
    }
    // not a store: exit 1
    let (code, _, stderr) = compare(&sb, &dir, &[]);
    assert_ne!(code, Some(0), "{stderr}");
}

#[test]
fn script_compare_and_cd_diagram_write_figures() {
    let sb = Sandbox::new();
    let script = sb.write(
        "cd.rhai",
        r#"
let c = compare_matrix(#{
    datasets: ["d1", "d2", "d3", "d4", "d5"],
    models: ["alpha_detector", "beta", "gamma", "delta"],
    values: [[0.9, 0.8, 0.7, 0.6], [0.85, 0.8, 0.6, 0.62], [0.7, 0.75, 0.5, 0.52],
             [0.95, 0.9, 0.8, 0.7], [0.91, 0.7, 0.72, 0.69]],
});
print(c.cd);
print(c.groups);
save(cd_diagram(c), "results/cd.svg");
save(cd_diagram(c, "mine"), "results/cd.png");
"#,
    );
    let o = sb.anml().arg("script").arg(&script).output().unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let svg = std::fs::read_to_string(sb.root().join("results/cd.svg")).unwrap();
    for want in [
        "alpha_detector (1.20)",
        "delta (3.60)",
        "CD = 2.098",
        "<text",
    ] {
        assert!(svg.contains(want), "missing {want:?}");
    }
    let png = std::fs::read(sb.root().join("results/cd.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}
