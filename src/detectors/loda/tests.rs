//! Unit tests of the LODA detector as a whole (params have their own next to
//! the code): a hand-computed case, the sparsity of the projections, thread
//! independence, save/load and corrupt models.

use super::*;
use crate::detectors::{Detector, FittedDetector, Model};
use ndarray::{Array1, Array2, array};
use serde_json::{Value, json};

fn detector(p: Value) -> Detector {
    let Value::Object(m) = p else {
        panic!("params must be an object")
    };
    Detector::new("loda", &m).unwrap()
}

fn bits(a: &Array1<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
    Array2::from_shape_simple_fn((n, d), || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn hand_computed_case() {
    // One column, projection weight 1, 3 bins over [0, 10]:
    // edges [0, 10/3, 20/3, 10]; counts [3, 0, 1] for 0, 1, 2, 10.
    let x = array![[0.0], [1.0], [2.0], [10.0]];
    let (model, train) =
        LodaModel::from_projections(array![[1.0]].view(), LodaBins::Count(3), x.view()).unwrap();
    let e = BIN_EPSILON;
    let total = 4.0 + 3.0 * e;
    let p = [(3.0 + e) / total, e / total, (1.0 + e) / total];
    let cut = &model.cuts()[0];
    assert_eq!(cut.limits, vec![0.0, 10.0 / 3.0, 20.0 / 3.0, 10.0]);
    for (a, b) in cut.histogram.iter().zip(p) {
        assert!(close(*a, b), "{a} vs {b}");
    }
    // PyOD's lookup: index = #{e_0, e_1} < v. 0 -> bin 0; 1 and 2 -> bin 1
    // (the empty one: PyOD's off-by-one); 10 -> bin 2.
    let want = [-p[0].ln(), -p[1].ln(), -p[1].ln(), -p[2].ln()];
    for (a, b) in train.iter().zip(want) {
        assert!(close(*a, b), "{a} vs {b}");
    }
    // Outside the training range: below -> bin 0, above -> last bin.
    let s = model.score_samples(array![[-5.0], [100.0], [5.0]].view());
    assert!(close(s[0], -p[0].ln()));
    assert!(close(s[1], -p[2].ln()));
    assert!(close(s[2], -p[2].ln()));
}

#[test]
fn scores_are_mean_neg_log_divided_by_cuts() {
    // Two identical projections: each contributes -(1/2) ln p, the sum is
    // divided by 2 again, as PyOD does.
    let x = array![[0.0], [1.0], [2.0], [10.0]];
    let (_, one) =
        LodaModel::from_projections(array![[1.0]].view(), LodaBins::Count(3), x.view()).unwrap();
    let (_, two) =
        LodaModel::from_projections(array![[1.0], [1.0]].view(), LodaBins::Count(3), x.view())
            .unwrap();
    for (a, b) in two.iter().zip(one.iter()) {
        assert!(close(*a, b / 2.0), "{a} vs {b}");
    }
}

#[test]
fn constant_projection_and_single_bin() {
    // A constant column: range [c - 0.5, c + 0.5]; all rows in one bin.
    let x = array![[2.0], [2.0], [2.0]];
    let (model, train) =
        LodaModel::from_projections(array![[1.0]].view(), LodaBins::Count(1), x.view()).unwrap();
    assert_eq!(model.cuts()[0].limits, vec![1.5, 2.5]);
    assert!(train.iter().all(|&v| v.abs() < 1e-11), "{train}");
}

#[test]
fn projections_keep_floor_sqrt_d_columns() {
    let x = data(200, 10, 1);
    let fit = LodaParams::default().fit(x.view()).unwrap();
    assert_eq!(fit.model.cuts().len(), 100);
    for c in fit.model.cuts() {
        assert_eq!(c.features.len(), 3);
        assert!(c.features.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(c.histogram.len(), 10);
        assert!((c.histogram.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    // Gaussian weights: mean about 0, variance about 1.
    let w: Vec<f64> = fit
        .model
        .cuts()
        .iter()
        .flat_map(|c| c.weights.clone())
        .collect();
    let m = w.iter().sum::<f64>() / w.len() as f64;
    let v = w.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / w.len() as f64;
    assert!(m.abs() < 0.2 && (v - 1.0).abs() < 0.25, "{m} {v}");
}

#[test]
fn auto_bins_fit_and_score() {
    let x = data(400, 4, 2);
    let fit = LodaParams {
        n_bins: LodaBins::Auto,
        n_random_cuts: 20,
        seed: 1,
    }
    .fit(x.view())
    .unwrap();
    for c in fit.model.cuts() {
        assert!(
            (1..20).contains(&c.histogram.len()),
            "{}",
            c.histogram.len()
        );
    }
    assert!(fit.train_scores.iter().all(|v| v.is_finite()));
}

#[test]
fn seeds_change_the_projections() {
    let x = data(100, 4, 3);
    let a = detector(json!({"seed": 1})).fit(x.view()).unwrap();
    let b = detector(json!({"seed": 2})).fit(x.view()).unwrap();
    let c = detector(json!({"seed": 1})).fit(x.view()).unwrap();
    let sa = a.score_samples(x.view()).unwrap();
    assert_ne!(bits(&sa), bits(&b.score_samples(x.view()).unwrap()));
    assert_eq!(bits(&sa), bits(&c.score_samples(x.view()).unwrap()));
}

#[test]
fn identical_for_any_thread_count() {
    let x = data(1500, 6, 4);
    let q = data(700, 6, 5);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let f = detector(json!({"seed": 9})).fit(x.view()).unwrap();
            (
                f.score_samples(q.view()).unwrap(),
                f.decision_threshold().to_bits(),
            )
        })
    };
    let (a, ta) = run(1);
    let (b, tb) = run(3);
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(ta, tb);
}

#[test]
fn save_load_gives_identical_scores() {
    let x = data(300, 5, 6);
    let q = data(60, 5, 7);
    let f = detector(json!({"n_random_cuts": 30}))
        .fit(x.view())
        .unwrap();
    let bytes = f.to_bytes().unwrap();
    let g = FittedDetector::from_bytes(&bytes).unwrap();
    assert_eq!(g.to_bytes().unwrap(), bytes);
    assert_eq!(
        bits(&f.score_samples(q.view()).unwrap()),
        bits(&g.score_samples(q.view()).unwrap())
    );
    let good = f.to_value().unwrap();
    for (path, v) in [
        ("histogram", json!([0.5])),
        ("features", json!([7])),
        (
            "limits",
            json!([3.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
        ),
        ("weights", json!([])),
    ] {
        let mut bad = good.clone();
        bad["model"]["cuts"][0][path] = v;
        assert!(FittedDetector::from_value(bad).is_err(), "{path}");
    }
    let mut bad = good;
    bad["model"]["cuts"] = json!([]);
    assert!(FittedDetector::from_value(bad).is_err());
}
