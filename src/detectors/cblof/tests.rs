//! Unit tests of the CBLOF detector as a whole (params have their own next
//! to the code): the split rule, k-means on clear clusters, a hand-computed
//! scoring case, refusals, thread independence, save/load and corrupt
//! models.

use super::*;
use crate::detectors::Model;
use crate::detectors::test_support::{
    assert_corrupt_refused, assert_save_load_identical, assert_thread_count_independent, close,
    data, detector,
};
use ndarray::{Array2, array, s};
use rand::SeedableRng;
use serde_json::json;

#[test]
fn split_rule_prefers_both_then_alpha_then_beta() {
    // Both rules at b = 2: 10 + 8 >= 0.9 * 19 and 8 / 1 >= 5.
    assert_eq!(split_clusters(&[10, 8, 1], 0.9, 5.0).unwrap(), vec![0, 1]);
    // Alpha only (first at b = 3; no ratio reaches 5).
    assert_eq!(
        split_clusters(&[50, 30, 15, 5], 0.9, 5.0).unwrap(),
        vec![0, 1, 2]
    );
    // Beta only: sorted sizes 40, 38, 20, 2; 20 / 2 >= 5 at b = 3.
    assert_eq!(
        split_clusters(&[40, 38, 2, 20], 0.99, 5.0).unwrap(),
        vec![0, 1, 3]
    );
    // Both hold at b = 1 and b = 2 here: the first wins.
    assert_eq!(split_clusters(&[100, 1, 1], 0.9, 5.0).unwrap(), vec![0]);
    // Equal sizes sort by index (1, 0, 2, 3). Alpha first holds at b = 2
    // (14 >= 10) but both rules only at b = 3 (5 / 1 >= 5): b = 3 wins.
    assert_eq!(
        split_clusters(&[5, 9, 5, 1], 0.5, 5.0).unwrap(),
        vec![1, 0, 2]
    );
    // Neither rule anywhere: refused.
    let e = split_clusters(&[10, 10], 0.9, 5.0).unwrap_err();
    assert!(e.contains("could not separate"), "{e}");
}

#[test]
fn hand_computed_scores() {
    // 10 rows near 0, 8 near 10, 1 at 20; centres 0, 10, 20.
    let mut rows: Vec<f64> = (0..10).map(|i| -0.5 + i as f64 * 0.1).collect();
    rows.extend((0..8).map(|i| 9.6 + i as f64 * 0.1));
    rows.push(20.0);
    let x = Array2::from_shape_vec((19, 1), rows.clone()).unwrap();
    let centres = array![[0.0], [10.0], [20.0]];
    let (model, train) =
        CblofModel::from_centres(x.view(), centres.clone(), 0.9, 5.0, false).unwrap();
    assert_eq!(model.cluster_sizes(), &[10, 8, 1]);
    assert_eq!(model.large_clusters(), &[0, 1]);
    for (i, v) in rows.iter().enumerate() {
        let want = if i < 10 {
            v.abs()
        } else if i < 18 {
            (v - 10.0).abs()
        } else {
            10.0 // small cluster: distance to the nearest large centre
        };
        assert!(close(train[i], want), "{i}: {} vs {want}", train[i]);
    }
    let q = array![[19.0], [4.0], [-3.0]];
    let s = model.score_samples(q.view());
    assert_eq!(s.to_vec(), vec![9.0, 4.0, 3.0]);
    // use_weights multiplies by the cluster's size.
    let (wm, wtrain) = CblofModel::from_centres(x.view(), centres, 0.9, 5.0, true).unwrap();
    assert!(close(wtrain[0], 0.5 * 10.0));
    assert!(close(wtrain[18], 10.0 * 1.0));
    assert_eq!(wm.score_samples(q.view()).to_vec(), vec![9.0, 40.0, 30.0]);
}

#[test]
fn kmeans_finds_clear_clusters() {
    // Three tight blobs of 40, 30 and 5 rows.
    let mut x = Array2::<f64>::zeros((75, 2));
    let noise = data(75, 2, 1) * 0.05;
    for i in 0..75 {
        let (cx, cy) = if i < 40 {
            (0.0, 0.0)
        } else if i < 70 {
            (5.0, 5.0)
        } else {
            (-6.0, 4.0)
        };
        x[[i, 0]] = cx + noise[[i, 0]];
        x[[i, 1]] = cy + noise[[i, 1]];
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let km = kmeans::kmeans(x.view(), 3, &mut rng);
    let l = &km.labels;
    assert!(l[..40].iter().all(|&v| v == l[0]));
    assert!(l[40..70].iter().all(|&v| v == l[40]));
    assert!(l[70..].iter().all(|&v| v == l[70]));
    assert!(l[0] != l[40] && l[40] != l[70] && l[0] != l[70]);
    // Centres are the blob means.
    let m = x.slice(s![40..70, ..]).mean_axis(ndarray::Axis(0)).unwrap();
    for (a, b) in km.centres.row(l[40]).iter().zip(m.iter()) {
        assert!((a - b).abs() < 1e-12);
    }
    // Lloyd from those centres is at a fixed point: one strict iteration.
    let again = kmeans::lloyd(x.view(), km.centres.view());
    assert_eq!(again.n_iter, 1);
    assert_eq!(&again.labels, l);
    // CBLOF on it: the 5-row blob is small; its rows score far.
    let fit = CblofParams {
        n_clusters: 3,
        ..CblofParams::default()
    }
    .fit(x.view())
    .unwrap();
    assert_eq!(fit.model.large_clusters().len(), 2);
    assert!(fit.train_scores[70] > 5.0 && fit.train_scores[0] < 1.0);
}

#[test]
fn empty_cluster_is_relocated() {
    // Initial centres: two on the data, one far away that attracts nobody.
    let x = array![[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]];
    let init = array![[0.0], [5.0], [100.0]];
    let km = kmeans::lloyd(x.view(), init.view());
    // The far centre takes the row farthest from its centre (9.0).
    let mut sizes = [0; 3];
    for &l in &km.labels {
        sizes[l] += 1;
    }
    assert!(sizes.iter().all(|&s| s > 0), "{sizes:?} {:?}", km.labels);
    assert_eq!(km.labels[5], 2);
}

#[test]
fn refusals() {
    let e = detector("cblof", json!({"n_clusters": 8}))
        .fit(data(5, 2, 1).view())
        .unwrap_err();
    assert!(matches!(e, DetectorError::BadParams { .. }), "{e}");
    // Two equal clusters: no large/small boundary, as PyOD's ValueError.
    let x = array![[0.0], [0.0], [1.0], [1.0]];
    let e = detector("cblof", json!({"n_clusters": 2}))
        .fit(x.view())
        .unwrap_err();
    assert!(e.to_string().contains("could not separate"), "{e}");
}

#[test]
fn identical_for_any_thread_count() {
    // Non-default alpha and beta, and enough rows for several k-means blocks.
    assert_thread_count_independent(
        "cblof",
        json!({"seed": 11, "alpha": 0.6, "beta": 1.05}),
        &data(3000, 5, 4),
        &data(900, 5, 5),
    );
}

#[test]
fn save_load_gives_identical_scores() {
    let f = detector(
        "cblof",
        json!({"alpha": 0.6, "beta": 1.05, "use_weights": true}),
    )
    .fit(data(400, 3, 6).view())
    .unwrap();
    assert_save_load_identical(&f, &data(60, 3, 7));
    for (field, v) in [
        ("cluster_sizes", json!([1, 2])),
        ("large_clusters", json!([99])),
        ("large_clusters", json!([])),
        ("large_clusters", json!([0, 0])),
    ] {
        assert_corrupt_refused(&f, field, |m| m[field] = v);
    }
}
