//! Unit tests of the Isolation Forest as a whole (params and trees have
//! their own next to the code).

use super::*;
use crate::detectors::test_support::{assert_save_load_identical, bits, detector};
use crate::detectors::{Detector, FittedDetector};
use ndarray::{Array2, ShapeBuilder, s};
use serde_json::{Map, Value, json};

/// `n × d` standard-normal data (Box–Muller on a seeded ChaCha8 stream).
fn gaussian(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((n, d), || {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    })
}

fn params(v: Value) -> IsolationForestParams {
    serde_json::from_value(v).unwrap()
}

fn fit(p: &IsolationForestParams, x: &Array2<f64>) -> Fit<IsolationForestModel> {
    p.fit(x.view()).unwrap()
}

#[test]
fn average_path_length_matches_sklearn() {
    // sklearn.ensemble._iforest._average_path_length (scikit-learn 1.9.1).
    let cases = [
        (0, 0.0),
        (1, 0.0),
        (2, 1.0),
        (3, 1.207392357589623),
        (10, 3.748880484475505),
        (256, 10.244770920119917),
        (1000, 12.969940887100174),
    ];
    for (n, want) in cases {
        let got = average_path_length(n);
        assert!(
            (got - want).abs() <= 1e-13 * want.max(1.0),
            "c({n}) = {got}, want {want}"
        );
    }
    // By hand: c(3) = 2 (ln 2 + γ) - 4/3; c(4) = 2 (ln 3 + γ) - 3/2.
    let c3 = 2.0 * (2f64.ln() + 0.5772156649015329) - 4.0 / 3.0;
    let c4 = 2.0 * (3f64.ln() + 0.5772156649015329) - 1.5;
    assert_eq!(average_path_length(3), c3);
    assert_eq!(average_path_length(4), c4);
}

#[test]
fn outlier_scores_highest() {
    let mut x = gaussian(300, 3, 1);
    x.row_mut(17).fill(8.0);
    let f = fit(&IsolationForestParams::default(), &x);
    let s = &f.train_scores;
    let top = s
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert_eq!(top, 17);
    assert!(s.iter().all(|&v| v > 0.0 && v < 1.0));
    assert!(s[17] > 0.6, "outlier score {}", s[17]);
    // Inliers sit near or below 0.5, the paper's "no distinct anomaly" level.
    let mean = s.mean().unwrap();
    assert!((0.35..0.5).contains(&mean), "mean score {mean}");
}

#[test]
fn train_scores_are_the_scores_of_the_training_data() {
    let x = gaussian(200, 4, 2);
    let f = fit(&IsolationForestParams::default(), &x);
    assert_eq!(
        bits(&f.train_scores),
        bits(&f.model.score_samples(x.view()))
    );
}

#[test]
fn forest_shape_follows_the_parameters() {
    let x = gaussian(1000, 5, 3);
    let f = fit(&params(json!({"n_estimators": 7})), &x);
    assert_eq!(f.model.trees().len(), 7);
    assert_eq!(f.model.max_samples(), 256);
    assert_eq!(f.model.n_features(), 5);
    for t in f.model.trees() {
        assert_eq!(t.n_samples[0], 256);
        // Depth limit ceil(log2 256) = 8: at most 2^9 - 1 nodes.
        assert!(t.feature.len() <= 511);
    }
    let f = fit(&params(json!({"max_samples": 0.1, "n_estimators": 3})), &x);
    assert_eq!(f.model.max_samples(), 100);
    assert!(f.model.trees().iter().all(|t| t.n_samples[0] == 100));
    let f = fit(&params(json!({"max_samples": 5000, "n_estimators": 3})), &x);
    assert_eq!(f.model.max_samples(), 1000);
}

#[test]
fn max_features_restricts_each_tree_to_its_columns() {
    let x = gaussian(300, 10, 4);
    let f = fit(
        &params(json!({"max_features": 0.25, "n_estimators": 20})),
        &x,
    );
    let mut all = std::collections::BTreeSet::new();
    for t in f.model.trees() {
        let used: std::collections::BTreeSet<u32> = (0..t.feature.len())
            .filter(|&i| t.right[i] != 0)
            .map(|i| t.feature[i])
            .collect();
        assert!(used.len() <= 2, "a tree split on {used:?}");
        all.extend(used);
    }
    assert!(all.len() > 2, "trees should use different columns: {all:?}");
}

#[test]
fn bootstrap_counts_distinct_rows() {
    let x = gaussian(300, 3, 5);
    let f = fit(&params(json!({"bootstrap": true, "max_samples": 300})), &x);
    for t in f.model.trees() {
        // 300 draws with replacement from 300 rows: about 63% distinct.
        assert!((150..=250).contains(&t.n_samples[0]), "{}", t.n_samples[0]);
    }
    assert_eq!(f.model.max_samples(), 300);
}

#[test]
fn bit_identical_for_any_thread_count() {
    let x = gaussian(700, 6, 6);
    let test = gaussian(300, 6, 7);
    for p in [
        json!({"seed": 3}),
        json!({"seed": 4, "bootstrap": true, "max_features": 0.5, "max_samples": 0.7}),
    ] {
        let p = params(p);
        let run = |threads: usize| {
            crate::detectors::test_support::in_pool(threads, || {
                let f = fit(&p, &x);
                let s = f.model.score_samples(test.view());
                let saved = serde_json::to_vec(&f.model).unwrap();
                (bits(&f.train_scores), bits(&s), saved)
            })
        };
        let one = run(1);
        let four = run(4);
        assert_eq!(one.0, four.0);
        assert_eq!(one.1, four.1);
        assert_eq!(one.2, four.2, "fitted trees differ");
    }
}

#[test]
fn blocked_scoring_equals_row_by_row() {
    let x = gaussian(500, 4, 8);
    let f = fit(&params(json!({"n_estimators": 30})), &x);
    let test = gaussian(131, 4, 9);
    assert_eq!(
        bits(&f.model.score_samples(test.view())),
        bits(&f.model.score_rowwise(test.view()))
    );
}

#[test]
fn paths_give_the_path_lengths_of_the_scores() {
    let train = gaussian(300, 3, 21);
    let test = gaussian(40, 3, 22);
    let f = fit(&params(json!({"n_estimators": 25, "seed": 4})), &train);
    let denominator = 25.0 * average_path_length(f.model.max_samples());
    let scores = f.model.score_samples(test.view());
    for (row, &score) in test.rows().into_iter().zip(&scores) {
        let row = row.to_vec();
        let paths: Vec<TreePath> = f.model.paths(&row).collect();
        assert_eq!(paths.len(), 25);
        let total: f64 = paths.iter().map(|p| p.length).sum();
        assert_eq!(score_bits(total, denominator), score.to_bits());
        for p in &paths {
            assert!(p.edges >= 1 && p.deviation_terms <= p.edges);
            assert!(p.deviation_sum >= 0.0);
        }
    }
}

fn score_bits(total: f64, denominator: f64) -> u64 {
    (-(total / denominator)).exp2().to_bits()
}

#[test]
fn layout_of_the_input_does_not_matter() {
    let x = gaussian(400, 5, 10);
    let f = fit(&params(json!({"n_estimators": 20})), &x);
    let test = gaussian(90, 5, 11);
    let want = bits(&f.model.score_samples(test.view()));
    // Column-major copy and a strided view of a wider matrix.
    let fortran =
        Array2::from_shape_vec(test.raw_dim().f(), test.t().iter().copied().collect()).unwrap();
    assert_eq!(fortran, test);
    assert_eq!(bits(&f.model.score_samples(fortran.view())), want);
    let mut wide = Array2::zeros((90, 10));
    wide.slice_mut(s![.., ..;2]).assign(&test);
    assert_eq!(bits(&f.model.score_samples(wide.slice(s![.., ..;2]))), want);
    // Fitting on a non-contiguous view gives the same forest.
    let mut wide_x = Array2::zeros((400, 10));
    wide_x.slice_mut(s![.., 1..;2]).assign(&x);
    let g = IsolationForestParams {
        n_estimators: 20,
        ..Default::default()
    }
    .fit(wide_x.slice(s![.., 1..;2]))
    .unwrap();
    assert_eq!(g.model.trees(), f.model.trees());
}

#[test]
fn wrong_column_count_scores_nan() {
    let x = gaussian(50, 3, 12);
    let f = fit(&params(json!({"n_estimators": 5})), &x);
    let s = f.model.score_samples(gaussian(4, 2, 13).view());
    assert!(s.iter().all(|v| v.is_nan()));
}

#[test]
fn seeds_change_the_forest_and_repeat_exactly() {
    let x = gaussian(300, 4, 14);
    let a = fit(&params(json!({"seed": 1})), &x);
    let b = fit(&params(json!({"seed": 2})), &x);
    let a2 = fit(&params(json!({"seed": 1})), &x);
    assert_eq!(bits(&a.train_scores), bits(&a2.train_scores));
    assert_eq!(a.model.trees(), a2.model.trees());
    assert_ne!(bits(&a.train_scores), bits(&b.train_scores));
}

#[test]
fn constant_column_is_never_split_on() {
    let mut x = gaussian(300, 3, 15);
    x.column_mut(1).fill(4.2);
    let f = fit(&IsolationForestParams::default(), &x);
    for t in f.model.trees() {
        assert!((0..t.feature.len()).all(|i| t.right[i] == 0 || t.feature[i] != 1));
    }
    assert!(f.train_scores.iter().all(|v| v.is_finite()));
}

#[test]
fn constant_data_makes_single_leaf_trees() {
    let x = Array2::from_elem((40, 3), -1.5);
    let f = fit(&IsolationForestParams::default(), &x);
    assert!(
        f.model
            .trees()
            .iter()
            .all(|t| t.right == [0] && t.n_samples == [40])
    );
    // h = c(40) for every row, so every score is 2^-1 (up to the rounding
    // of the sum over trees).
    assert!(f.train_scores.iter().all(|&v| (v - 0.5).abs() < 1e-12));
    let s = f.model.score_samples(Array2::from_elem((2, 3), 9.0).view());
    assert!(s.iter().all(|&v| (v - 0.5).abs() < 1e-12));
}

#[test]
fn duplicated_rows_end_in_shared_leaves() {
    // Two distinct rows, each repeated: trees split once and stop.
    let mut x = Array2::zeros((20, 2));
    x.slice_mut(s![10.., ..]).fill(1.0);
    let f = fit(&IsolationForestParams::default(), &x);
    for t in f.model.trees() {
        assert_eq!(t.right.len(), 3);
        assert_eq!(t.n_samples, [20, 10, 10]);
    }
}

#[test]
fn single_row_dataset() {
    // ψ = 1, c(ψ) = 0: scikit-learn scores every sample 0.5.
    let x = Array2::from_shape_vec((1, 3), vec![1.0, 2.0, 3.0]).unwrap();
    let det = detector("isolation_forest", json!({}));
    let fitted = det.fit(x.view()).unwrap();
    let s = fitted.score_samples(x.view()).unwrap();
    assert_eq!(s.to_vec(), [0.5]);
    let s = fitted
        .score_samples(Array2::from_elem((3, 3), 100.0).view())
        .unwrap();
    assert_eq!(s.to_vec(), [0.5; 3]);
}

#[test]
fn zero_column_dataset() {
    let x = Array2::<f64>::zeros((30, 0));
    let f = fit(&IsolationForestParams::default(), &x);
    assert!(f.model.trees().iter().all(|t| t.n_samples == [30]));
    assert!(f.train_scores.iter().all(|&v| (v - 0.5).abs() < 1e-12));
}

#[test]
fn save_load_gives_bit_identical_scores() {
    let det = detector(
        "isolation_forest",
        json!({"seed": 9, "max_features": 0.6, "contamination": 0.05}),
    );
    let fitted = det.fit(gaussian(400, 5, 16).view()).unwrap();
    let loaded = assert_save_load_identical(&fitted, &gaussian(100, 5, 17));
    assert_eq!(loaded.detector().params(), fitted.detector().params());
}

#[test]
fn corrupt_saved_models_are_refused() {
    let x = gaussian(100, 2, 18);
    let fitted = detector("isolation_forest", json!({"n_estimators": 3}))
        .fit(x.view())
        .unwrap();
    let good = fitted.to_value().unwrap();
    let tamper = |f: &dyn Fn(&mut Map<String, Value>)| {
        let mut v = good.clone();
        let Some(Value::Object(model)) = v.get_mut("model") else {
            panic!("no model")
        };
        f(model);
        let err = FittedDetector::from_value(v).unwrap_err();
        assert!(
            matches!(err, DetectorError::Corrupt(_)),
            "expected Corrupt, got {err}"
        );
    };
    let tree0 = |m: &mut Map<String, Value>| -> Map<String, Value> {
        m["trees"][0].as_object().unwrap().clone()
    };
    tamper(&|m| {
        let mut t = tree0(m);
        t["right"][0] = json!(99);
        m["trees"][0] = Value::Object(t);
    });
    tamper(&|m| {
        let mut t = tree0(m);
        t["right"][0] = json!(0);
        t["n_samples"][0] = json!(0);
        m["trees"][0] = Value::Object(t);
    });
    tamper(&|m| {
        let mut t = tree0(m);
        t["feature"][0] = json!(2);
        m["trees"][0] = Value::Object(t);
    });
    tamper(&|m| {
        let mut t = tree0(m);
        t.insert("extra".into(), json!(1));
        m["trees"][0] = Value::Object(t);
    });
    tamper(&|m| m["trees"] = json!([]));
    tamper(&|m| m["max_samples"] = json!(0));
    tamper(&|m| {
        m.remove("n_features");
    });
}

#[test]
fn registered_with_documented_defaults() {
    let spec = crate::detectors::spec("isolation_forest").unwrap();
    assert!(spec.stochastic);
    let defaults = spec.default_params();
    let Value::Object(defaults) = defaults else {
        panic!("defaults are not an object")
    };
    let documented: Vec<&str> = PARAM_DOCS.iter().map(|p| p.name).collect();
    let keys: Vec<&str> = defaults.keys().map(String::as_str).collect();
    assert_eq!(documented, keys);
    for doc in PARAM_DOCS {
        let default = defaults[doc.name].to_string();
        assert!(
            doc.doc.contains(&format!("default {default}")),
            "{}: {}",
            doc.name,
            doc.doc
        );
    }
    // Bad values name the parameter.
    let mut m = Map::new();
    m.insert("max_features".into(), json!(2.0));
    let err = Detector::new("isolation_forest", &m)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("max_features") && err.contains("(0, 1]"),
        "{err}"
    );
}
