//! Every threshold method against pythresh 1.1.1 on PyOD score vectors of
//! ODDS datasets (`tests/fixtures/thresholds/pythresh_reference.json`, from
//! `scripts/gen_thresholds_reference.py`): the threshold in pythresh's
//! normalised scale and in the raw scale to 1e-9, and the labels `eval`
//! gives the scores exactly.

use anml::thresholds::{self, Options};
use ndarray::Array1;
use serde_json::Value;

const TOL: f64 = 1e-9;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/thresholds/pythresh_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn every_method_matches_pythresh() {
    let fx = fixture();
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10, "{} cases", cases.len());
    let mut worst: Vec<(String, f64)> = Vec::new();
    let mut checked = 0;
    for case in cases {
        let label = format!("{} {}", case["dataset"], case["model"]);
        let scores = Array1::from(floats(&case["scores"]));
        let methods = case["methods"].as_object().expect("methods");
        for (name, want) in methods {
            let t = thresholds::fit(name, scores.view(), &Options::default())
                .unwrap_or_else(|e| panic!("{label} {name}: {e}"));
            let thresh = want["thresh"].as_f64().expect("thresh");
            let raw = want["threshold"].as_f64().expect("threshold");
            let d_norm = (t.normalised - thresh).abs();
            let d_raw = (t.value - raw).abs() / raw.abs().max(1.0);
            assert!(
                d_norm <= TOL,
                "{label} {name}: thresh {} vs {thresh}",
                t.normalised
            );
            assert!(
                d_raw <= TOL,
                "{label} {name}: threshold {} vs {raw}",
                t.value
            );
            let outliers: Vec<usize> = want["outliers"]
                .as_array()
                .expect("outliers")
                .iter()
                .map(|i| i.as_u64().expect("index") as usize)
                .collect();
            let got: Vec<usize> = t
                .labels(scores.view())
                .iter()
                .enumerate()
                .filter(|(_, l)| **l == 1)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(got, outliers, "{label} {name}: flagged points");
            match worst.iter_mut().find(|(n, _)| n == name) {
                Some((_, w)) => *w = w.max(d_norm),
                None => worst.push((name.clone(), d_norm)),
            }
            checked += 1;
        }
    }
    // every registered method but `contamination` (PyOD's, not pythresh's)
    for m in thresholds::METHODS
        .iter()
        .filter(|m| m.name != "contamination")
    {
        assert!(
            worst.iter().any(|(n, _)| n == m.name),
            "{} not in the fixture",
            m.name
        );
    }
    for (name, w) in &worst {
        println!("{name:>8}: max |thresh - pythresh| = {w:.3e}");
    }
    println!("{checked} thresholds checked");
}
