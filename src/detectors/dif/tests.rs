//! Unit tests of the DIF detector as a whole (params have their own next to
//! the code): the deviation-enhanced score by hand, training scores equal
//! to scores, row independence, degenerate data, size limits, thread
//! independence, save/load and corrupt models.

use super::*;
use crate::detectors::isolation_forest::{IsolationForestModel, TreeArrays, average_path_length};
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, assert_thread_count_independent, bits,
    data, detector,
};
use ndarray::{Array2, array, s};
use serde_json::json;

/// Fit the registered detector; the fitted detector and training scores.
fn fit(
    params: serde_json::Value,
    x: &Array2<f64>,
) -> (crate::detectors::FittedDetector, ndarray::Array1<f64>) {
    detector("dif", params).fit_scored(x.view()).unwrap()
}

/// Small, fast settings (the contract test covers the defaults).
fn small() -> serde_json::Value {
    json!({"n_ensemble": 4, "hidden_neurons": [32, 16], "representation_dim": 5, "seed": 3})
}

#[test]
fn member_score_by_hand() {
    // Tree 0: root splits column 1 at 0.5; its right child splits column 0
    // at 0.0 into leaves of 1 and 3 rows. Tree 1: a single leaf (skipped,
    // but counted in T = 2). ψ = 5.
    let t0 = TreeArrays {
        feature: vec![1, 0, 0, 0, 0],
        threshold: vec![0.5, 0.0, 0.0, 0.0, 0.0],
        right: vec![2, 0, 4, 0, 0],
        n_samples: vec![5, 1, 4, 1, 3],
    };
    let t1 = TreeArrays {
        feature: vec![0],
        threshold: vec![0.0],
        right: vec![0],
        n_samples: vec![5],
    };
    let forest = IsolationForestModel::new(2, 5, vec![t0, t1]).unwrap();
    let z = array![[0.3, 0.2], [-0.4, 0.9], [0.0, 0.75]];
    let got = member_scores(&forest, z.view());
    let c = |n| average_path_length(n);
    let score = |depth: f64, dev: f64| (-(depth / (2.0 * c(5)))).exp2() * dev / 2.0;
    let eps = DEVIATION_EPSILON;
    // Row 0: left at the root (|0.2 − 0.5|), leaf of 1 row at depth 1.
    let want0 = score(1.0, 0.3 / (1.0 + eps));
    // Row 1: right, then left (|−0.4 − 0|): depth 2, leaf of 1 row.
    let want1 = score(2.0, (0.4 + 0.4) / (2.0 + eps));
    // Row 2: right, then exactly on the threshold: that term drops out.
    let want2 = score(2.0, 0.25 / (1.0 + eps));
    for (g, w) in got.iter().zip([want0, want1, want2]) {
        assert!((g - w).abs() <= 1e-15 * w.abs(), "{g} vs {w}");
    }
    // ψ = 1: every tree a leaf, the factor 1 and the score 0 (not NaN).
    let leaf = TreeArrays {
        feature: vec![0],
        threshold: vec![0.0],
        right: vec![0],
        n_samples: vec![1],
    };
    let single = IsolationForestModel::new(2, 1, vec![leaf]).unwrap();
    assert_eq!(member_scores(&single, z.view()).to_vec(), vec![0.0; 3]);
}

#[test]
fn training_scores_equal_scores_and_rows_are_independent() {
    let x = data(1100, 4, 1);
    let (f, train) = fit(small(), &x);
    let again = f.score_samples(x.view()).unwrap();
    assert_eq!(bits(&train), bits(&again));
    assert!(again.iter().all(|v| v.is_finite() && *v > 0.0));
    // A row scores the same alone, in any batch, and in any position.
    for r in [0, 17, 1023, 1024, 1099] {
        let one = f.score_samples(x.slice(s![r..r + 1, ..])).unwrap();
        assert_eq!(one[0].to_bits(), again[r].to_bits(), "row {r}");
    }
    let mixed = ndarray::concatenate(
        ndarray::Axis(0),
        &[x.slice(s![500..510, ..]), data(3, 4, 9).view()],
    )
    .unwrap();
    let m = f.score_samples(mixed.view()).unwrap();
    for i in 0..10 {
        assert_eq!(m[i].to_bits(), again[500 + i].to_bits());
    }
}

#[test]
fn far_rows_score_higher() {
    let mut x = data(400, 3, 2);
    for i in 0..10 {
        x.row_mut(i).mapv_inplace(|v| v * 8.0);
    }
    let (_, s) = fit(json!({"n_ensemble": 10, "seed": 1}), &x);
    let far = s.slice(s![..10]).mean().unwrap();
    let near = s.slice(s![10..]).mean().unwrap();
    assert!(far > 1.5 * near, "{far} vs {near}");
}

#[test]
fn degenerate_data_scores_zero() {
    // One row: ψ = 1, every tree a leaf.
    let f = detector("dif", small())
        .fit(array![[1.0, 2.0]].view())
        .unwrap();
    let s = f
        .score_samples(array![[1.0, 2.0], [5.0, -3.0]].view())
        .unwrap();
    assert_eq!(s.to_vec(), vec![0.0, 0.0]);
    // Identical rows: a zero input to the networks, constant representations.
    let x = Array2::from_elem((30, 3), 4.5);
    let (_, train) = fit(small(), &x);
    assert!(train.iter().all(|&v| v == 0.0));
    // Few rows, ψ = n: finite scores.
    let (_, train) = fit(small(), &data(5, 2, 3));
    assert!(train.iter().all(|v| v.is_finite()));
}

#[test]
fn sizes_beyond_the_limits_are_refused_before_drawing() {
    // 10000 members of 100000 · 100 + 100000 · 20 weights.
    let e = detector(
        "dif",
        json!({"n_ensemble": 10000, "hidden_neurons": [100000], "representation_dim": 20}),
    )
    .fit(data(4, 100, 1).view())
    .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    assert!(e.to_string().contains("network weights"), "{e}");
    // 10000 members × 100000 trees of 511 nodes.
    let e = detector(
        "dif",
        json!({"n_ensemble": 10000, "n_estimators": 100000, "hidden_neurons": [], "representation_dim": 1}),
    )
    .fit(data(300, 2, 1).view())
    .unwrap_err();
    assert!(e.to_string().contains("tree nodes"), "{e}");
}

#[test]
fn skip_connections_and_other_activations_fit() {
    let x = data(200, 3, 4);
    for params in [
        json!({"n_ensemble": 3, "hidden_neurons": [8, 4], "skip_connection": true}),
        json!({"n_ensemble": 3, "hidden_neurons": [], "representation_dim": 1}),
        json!({"n_ensemble": 3, "hidden_neurons": [16], "hidden_activation": "relu"}),
        json!({"n_ensemble": 3, "max_samples": "auto", "n_estimators": 2}),
    ] {
        let (f, train) = fit(params.clone(), &x);
        assert!(train.iter().all(|v| v.is_finite() && *v >= 0.0), "{params}");
        assert_save_load_identical(&f, &data(20, 3, 5));
    }
}

#[test]
fn batch_size_changes_nothing() {
    let x = data(300, 3, 6);
    let (_, a) = fit(small(), &x);
    let mut p = small();
    p["batch_size"] = json!(7);
    let (_, b) = fit(p, &x);
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn thread_count_does_not_change_scores() {
    let x = data(1500, 4, 7);
    let q = data(1100, 4, 8);
    assert_thread_count_independent(
        "dif",
        json!({"n_ensemble": 6, "hidden_neurons": [24, 8], "skip_connection": true}),
        &x,
        &q,
    );
}

#[test]
fn save_load_regenerates_the_networks() {
    let x = data(300, 5, 9);
    let f = detector("dif", small()).fit(x.view()).unwrap();
    let g = assert_save_load_identical(&f, &data(40, 5, 10));
    // The saved form holds seeds, not weights.
    let v = g.to_value().unwrap();
    assert!(v["model"]["members"][0].get("seed").is_some());
    assert!(v["model"]["members"][0].get("weights").is_none());
    assert_eq!(
        v["model"]["weights_sha256"].as_str().map(str::len),
        Some(64)
    );
    // Default parameters: 50 × (5·500 + 500·100 + 100·20) weights are not
    // written out.
    let d = detector("dif", json!({})).fit(x.view()).unwrap();
    let bytes = d.to_bytes().unwrap();
    assert!(bytes.len() < 2_000_000, "{} bytes", bytes.len());
}

#[test]
fn corrupt_models_are_refused() {
    let x = data(120, 3, 11);
    let f = detector("dif", small()).fit(x.view()).unwrap();
    assert_corrupt_refused(&f, "another seed", |m| {
        m["members"][1]["seed"] = json!(12345)
    });
    assert_corrupt_refused(&f, "another digest", |m| {
        m["weights_sha256"] = json!("00".repeat(32))
    });
    assert_corrupt_refused(&f, "NaN mean", |m| m["members"][0]["mean"][2] = json!(null));
    assert_corrupt_refused(&f, "zero scale", |m| {
        m["members"][0]["scale"][0] = json!(0.0)
    });
    assert_corrupt_refused(&f, "short scale", |m| {
        m["members"][0]["scale"].as_array_mut().unwrap().pop();
    });
    assert_corrupt_refused(&f, "forest width", |m| {
        m["members"][0]["forest"]["n_features"] = json!(4)
    });
    assert_corrupt_refused(&f, "no members", |m| m["members"] = json!([]));
    assert_corrupt_refused(&f, "scaler width", |m| {
        m["scaler"]["data_min"].as_array_mut().unwrap().pop();
    });
    assert_corrupt_refused(&f, "inverted range", |m| {
        m["scaler"]["data_min"][0] = json!(1e9)
    });
    assert_corrupt_refused(&f, "zero width", |m| {
        m["architecture"]["representation_dim"] = json!(0)
    });
    // Too large to regenerate: refused from the sizes alone.
    assert_corrupt_refused(&f, "huge layers", |m| {
        m["architecture"]["hidden_neurons"] = json!([100000, 100000])
    });
    assert_corrupt_refused(&f, "unknown field", |m| m["extra"] = json!(1));
    assert_corrupt_refused(&f, "broken tree", |m| {
        m["members"][0]["forest"]["trees"][0]["right"][0] = json!(1)
    });
}

#[test]
fn representation_uses_the_training_statistics() {
    let x = data(500, 3, 12);
    let params: DifParams = serde_json::from_value(small()).unwrap();
    let fit = params.fit(x.view()).unwrap();
    let z = fit.model.representation(0, x.view()).unwrap();
    assert_eq!(z.dim(), (500, 5));
    // tanh of a standardised column: mean near 0, values in (−1, 1).
    for col in z.columns() {
        assert!(col.mean().unwrap().abs() < 0.2);
        assert!(col.iter().all(|v| v.abs() < 1.0));
    }
    // The same rows in a smaller batch: the same representation.
    let part = fit.model.representation(0, x.slice(s![..7, ..])).unwrap();
    assert_eq!(part, z.slice(s![..7, ..]));
    assert_eq!(fit.model.members().len(), 4);
    assert!(fit.model.network(4).is_none());
}
