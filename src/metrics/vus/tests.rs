use super::*;
use ndarray::{Array1, array};

fn both(y: &[u8], s: &[f64], w: usize) -> Result<Vus, MetricError> {
    vus(
        Array1::from(y.to_vec()).view(),
        Array1::from(s.to_vec()).view(),
        w,
    )
}

fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12,
        "got {got:.17}, want {want:.17}"
    );
}

#[test]
fn errors_in_validation_order() {
    assert_eq!(
        both(&[0, 1], &[0.1], 3),
        Err(MetricError::LengthMismatch {
            labels: 2,
            scores: 1
        })
    );
    // Length is checked before finiteness.
    assert!(matches!(
        both(&[0, 1, 0], &[f64::NAN, 0.2], 3),
        Err(MetricError::LengthMismatch { .. })
    ));
    assert_eq!(both(&[], &[], 3), Err(MetricError::Empty));
    let nan = both(&[0, 1, 0], &[0.1, f64::NAN, 0.2], 3);
    assert!(matches!(nan, Err(MetricError::NonFinite { index: 1, value }) if value.is_nan()));
    assert_eq!(
        both(&[0, 1, 0], &[0.1, 0.2, f64::NEG_INFINITY], 3),
        Err(MetricError::NonFinite {
            index: 2,
            value: f64::NEG_INFINITY
        })
    );
    assert_eq!(
        both(&[0, 0, 0], &[0.1, 0.2, 0.3], 3),
        Err(MetricError::OneClass { label: 0, n: 3 })
    );
    assert_eq!(
        both(&[1, 3, 1], &[0.1, 0.2, 0.3], 0),
        Err(MetricError::OneClass { label: 1, n: 3 })
    );
    let y = array![0u8, 1];
    let s = array![0.0, f64::INFINITY];
    assert!(vus_roc(y.view(), s.view(), 0).is_err());
    assert!(vus_pr(y.view(), s.view(), 0).is_err());
}

/// Worked by hand: one anomaly at index 1 of 4 points, scored 0.5, below
/// one normal point (0.9) and above two (0.1, 0.0).
///
/// Buffers 0 and 1 extend nothing: the point-wise curves, ROC area 2/3
/// (the anomaly beats 2 of 3 normals), PR area 1/2 (recall reaches 1 at
/// precision 1/2). Buffer 2 (half-width 1) gives the neighbours 0 and 2
/// the extended label r = sqrt(1 − 1/2); L(2) = [0, 2] is one range. The
/// four distinct thresholds give (TP, P' = (1 + 1 + E)/2):
///
/// * 0.9 predicts {0}: E = r, TP = r, P' = 1 + r/2, TPR = r/P',
///   FPR = (1 − r)/(4 − P'), precision = r;
/// * 0.5 predicts {0, 1}: TP = 1 + r, TPR = min(.., 1) = 1,
///   FPR = (2 − 1 − r)/(4 − P'), precision = (1 + r)/2;
/// * 0.1 and 0.0 add point 2 (E = 2r, P' = 1 + r), then point 3 (outside
///   the zone): TPR stays 1.
///
/// The 250-threshold grid only repeats these points (zero-width steps).
/// TSB-AD 1.5 gives 0.750522567673327 and 0.5923495156295323.
#[test]
fn hand_computed_case() {
    let y = [0u8, 1, 0, 0];
    let s = [0.9, 0.5, 0.1, 0.0];
    for w in [0, 1] {
        let v = both(&y, &s, w).unwrap();
        close(v.roc, 2.0 / 3.0);
        close(v.pr, 0.5);
    }

    let r = 0.5f64.sqrt();
    let p1 = 1.0 + r / 2.0;
    let (tpr1, fpr1, prec1) = (r / p1, (1.0 - r) / (4.0 - p1), r);
    let (fpr2, prec2) = ((1.0 - r) / (4.0 - p1), (1.0 + r) / 2.0);
    let p3 = 1.0 + r;
    let fpr3 = (3.0 - (1.0 + 2.0 * r)) / (4.0 - p3);
    let fpr4 = (4.0 - (1.0 + 2.0 * r)) / (4.0 - p3);
    let roc2 = fpr1 * tpr1 / 2.0 + (fpr2 - fpr1) * (tpr1 + 1.0) / 2.0 + (1.0 - fpr2);
    assert!(fpr1 <= fpr2 && fpr2 <= fpr3 && fpr3 <= fpr4);
    let pr2 = tpr1 * prec1 + (1.0 - tpr1) * prec2;

    let v = both(&y, &s, 2).unwrap();
    close(v.roc, (2.0 / 3.0 + 2.0 / 3.0 + roc2) / 3.0);
    close(v.pr, (0.5 + 0.5 + pr2) / 3.0);
    close(v.roc, 0.750522567673327);
    close(v.pr, 0.5923495156295323);
    assert_eq!(
        vus_roc(
            array![0u8, 1, 0, 0].view(),
            array![0.9, 0.5, 0.1, 0.0].view(),
            2
        ),
        Ok(v.roc)
    );
    assert_eq!(
        vus_pr(
            array![0u8, 1, 0, 0].view(),
            array![0.9, 0.5, 0.1, 0.0].view(),
            2
        ),
        Ok(v.pr)
    );
}

#[test]
fn nonzero_labels_are_anomalies() {
    let s = [0.3, 0.9, 0.8, 0.1, 0.2, 0.7, 0.4];
    let a = both(&[0, 1, 1, 0, 0, 1, 0], &s, 3).unwrap();
    let b = both(&[0, 2, 255, 0, 0, 7, 0], &s, 3).unwrap();
    assert_eq!(a, b);
}

/// With one single-point anomaly, no buffer and every score its own
/// threshold (n ≤ 250, distinct scores), the range curves are the
/// point-wise ROC curve: VUS-ROC is the ROC-AUC.
#[test]
fn single_point_without_buffer_is_roc_auc() {
    let s: Vec<f64> = (0..50).map(|i| ((i * 37) % 50) as f64).collect();
    let mut y = vec![0u8; 50];
    y[20] = 1;
    let above = s.iter().filter(|&&v| v > s[20]).count() as f64;
    let v = both(&y, &s, 0).unwrap();
    close(v.roc, 1.0 - above / 49.0);
    close(v.pr, 1.0 / (above + 1.0));
}

#[test]
fn all_tied_scores() {
    // Every threshold predicts everything: TPR 1 at FPR (n − TP)/(n − P').
    let v = both(&[0, 0, 1, 1, 0, 0], &[0.5; 6], 0).unwrap();
    // W = 0: TP = P = 2, FPR = 4/4 = 1: ROC area = 1/2 (diagonal jump at 1),
    // PR area = 1 · (2/6).
    close(v.roc, 0.5);
    close(v.pr, 2.0 / 6.0);
}

#[test]
fn ranges_at_both_ends_and_huge_window() {
    let y = [1u8, 1, 0, 0, 0, 0, 0, 0, 1];
    let s = [0.9, 0.1, 0.2, 0.3, 0.0, 0.5, 0.6, 0.7, 0.8];
    for w in [0, 1, 2, 5, 17, 40] {
        let v = both(&y, &s, w).unwrap();
        assert!(
            (0.0..=1.0).contains(&v.roc) && (0.0..=1.0).contains(&v.pr),
            "{v:?}"
        );
    }
}

#[test]
fn same_result_on_one_thread() {
    let n = 3000;
    let s: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1013) as f64 / 1013.0)
        .collect();
    let y: Vec<u8> = (0..n).map(|i| u8::from(i % 400 < 9)).collect();
    let many = both(&y, &s, 150).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let one = pool.install(|| both(&y, &s, 150)).unwrap();
    assert_eq!(many.roc.to_bits(), one.roc.to_bits());
    assert_eq!(many.pr.to_bits(), one.pr.to_bits());
}

#[test]
fn threshold_grid_matches_numpy_linspace() {
    // np.bincount(np.linspace(0, n - 1, 250).astype(int)) and spot values.
    let count = |n: usize| {
        let mut c = vec![0usize; n];
        for i in linspace_indices(n, 250) {
            c[i] += 1;
        }
        c
    };
    assert_eq!(count(4), vec![83, 83, 83, 1]);
    assert_eq!(count(10), vec![28, 28, 27, 28, 28, 27, 28, 28, 27, 1]);
    let pick = |n: usize| {
        let g = linspace_indices(n, 250);
        [1, 83, 124, 125, 166, 248, 249].map(|k| g[k])
    };
    assert_eq!(pick(251), [1, 83, 124, 125, 166, 248, 250]);
    assert_eq!(pick(1000), [4, 333, 497, 501, 666, 994, 999]);
}

#[test]
fn label_ranges_are_tsb_ads_range_convers_new() {
    use crate::data::label_ranges;
    use ndarray::array;
    assert_eq!(
        label_ranges(array![1u8, 2, 0, 255, 0, 0, 1].view()),
        vec![(0, 1), (3, 3), (6, 6)]
    );
    assert_eq!(label_ranges(array![0u8, 1, 1].view()), vec![(1, 2)]);
}

#[test]
fn find_length_edge_cases() {
    let periodic = |n: usize, period: f64| {
        Array1::from_iter((0..n).map(|i| (i as f64 * std::f64::consts::TAU / period).sin()))
    };
    assert_eq!(find_length(periodic(2000, 50.0).view()), 50);
    // Peak at lag 4 (< 6): fallback.
    assert_eq!(find_length(periodic(2000, 4.0).view()), 125);
    assert_eq!(find_length(array![].view()), 125);
    assert_eq!(find_length(array![1.0].view()), 125);
    assert_eq!(find_length(Array1::from_elem(100, 1.0).view()), 125);
    let mut with_nan = periodic(500, 50.0);
    with_nan[7] = f64::NAN;
    assert_eq!(find_length(with_nan.view()), 125);
}

#[test]
fn peak_picking_follows_argrelextrema() {
    // Plateau tops are no strict maxima (argrelextrema(np.greater) gives
    // only index 4 for [0, 1, 1, 0, 2, 0]); here no peak at all.
    assert_eq!(highest_peak(&[0.0, 0.1, 0.5, 0.5, 0.5, 0.2, 0.1]), None);
    // The highest peak wins, even over an earlier lower one.
    assert_eq!(
        highest_peak(&[0.0, 0.1, 0.0, 0.0, 0.3, 0.0, 0.2, 0.0]),
        Some(4)
    );
    // Equal heights: the last (largest lag).
    assert_eq!(highest_peak(&[0.0, 0.0, 0.0, 0.4, 0.0, 0.4, 0.0]), Some(5));
    // The highest peak out of bounds (index 1 < 3) means the fallback, even
    // when a lower peak would be in bounds.
    assert_eq!(highest_peak(&[0.0, 0.9, 0.0, 0.0, 0.5, 0.0]), None);
    let mut far = vec![0.0; 310];
    far[301] = 0.8;
    far[300] = 0.7;
    far[299] = 0.0;
    assert_eq!(highest_peak(&far), None);
    far[301] = 0.0;
    assert_eq!(highest_peak(&far), Some(300));
    assert_eq!(highest_peak(&[f64::NAN; 10]), None);
    assert_eq!(highest_peak(&[]), None);
}

#[test]
fn a_window_far_beyond_the_series_is_refused_at_once() {
    let y = [0u8, 1, 0, 0];
    let s = [0.1, 0.9, 0.2, 0.3];
    assert!(both(&y, &s, 4 * VUS_MAX_WINDOW_FACTOR).is_ok());
    for w in [4 * VUS_MAX_WINDOW_FACTOR + 1, i64::MAX as usize, usize::MAX] {
        assert_eq!(
            both(&y, &s, w),
            Err(MetricError::VusWindow { window: w, n: 4 })
        );
    }
}
