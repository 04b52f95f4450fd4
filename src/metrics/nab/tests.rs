//! Hand-computed NAB scores. NAB's scaled sigmoid is
//! `2 σ(-5x) - 1 = tanh(-5x/2)`, so expected values are written with
//! `tanh`, independently of the implementation's exp-based formula.

use super::super::MetricError;
use super::*;

const STD: NabProfile = NabProfile::Standard;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12, "{a} != {b}");
}

/// A 20-row series (probation: rows 0..3) with one window, rows 10..=14
/// (width 5), and the given rows set to the given scores.
fn scores_with(n: usize, hits: &[(usize, f64)]) -> Vec<f64> {
    let mut s = vec![0.0; n];
    for &(i, v) in hits {
        s[i] = v;
    }
    s
}

const WINDOW: [(usize, usize); 1] = [(10, 14)];

fn raw(scores: &[f64], profile: NabProfile, threshold: f64) -> f64 {
    let series = NabSeries {
        scores,
        windows: &WINDOW,
    };
    raw_score(&series, profile, threshold).unwrap()
}

/// σ(-1): a detection on a window's first row.
fn max_tp() -> f64 {
    (2.5_f64).tanh()
}

#[test]
fn early_detection_scores_the_full_tp_weight() {
    let s = scores_with(20, &[(10, 1.0)]);
    assert_eq!(raw(&s, STD, 0.5), 1.0);
    assert_eq!(raw(&s, NabProfile::RewardLowFn, 0.5), 1.0);
}

#[test]
fn late_detection_scores_less() {
    // Last row of the window: position -1/5.
    let s = scores_with(20, &[(14, 1.0)]);
    close(raw(&s, STD, 0.5), 0.5_f64.tanh() / max_tp());
    // Row 12: position -3/5.
    let s = scores_with(20, &[(12, 1.0)]);
    close(raw(&s, STD, 0.5), 1.5_f64.tanh() / max_tp());
}

#[test]
fn only_the_first_detection_in_a_window_counts() {
    let s = scores_with(20, &[(11, 0.9), (13, 1.0)]);
    // Both detected: row 11 (position -4/5) counts, row 13 adds nothing.
    close(raw(&s, STD, 0.5), 2.0_f64.tanh() / max_tp());
    // At 0.95 only row 13 (position -2/5).
    close(raw(&s, STD, 0.95), 1.0_f64.tanh() / max_tp());
    let counts = score_series(
        &NabSeries {
            scores: &s,
            windows: &WINDOW,
        },
        STD,
        0.5,
    )
    .unwrap();
    assert_eq!(
        (counts.tp, counts.fp, counts.fn_, counts.tn, counts.total),
        (2, 0, 3, 12, 17)
    );
}

#[test]
fn false_positives_weigh_by_distance_after_the_window() {
    // Row 15, one row after the window: (15 - 14) / (5 - 1) = 0.25 past it;
    // the window is missed as well.
    let s = scores_with(20, &[(15, 1.0)]);
    close(raw(&s, STD, 0.5), -1.0 - 0.11 * (0.625_f64).tanh());
    close(
        raw(&s, NabProfile::RewardLowFp, 0.5),
        -1.0 - 0.22 * (0.625_f64).tanh(),
    );
    close(
        raw(&s, NabProfile::RewardLowFn, 0.5),
        -2.0 - 0.11 * (0.625_f64).tanh(),
    );
    // More than 3 widths - 1 past the window: the full -fpWeight.
    let s = scores_with(40, &[(10, 1.0), (27, 1.0)]);
    assert_eq!(raw(&s, STD, 0.5), 1.0 - 0.11);
    // Before any window: the full -fpWeight too.
    let s = scores_with(20, &[(5, 1.0), (10, 1.0)]);
    assert_eq!(raw(&s, STD, 0.5), 1.0 - 0.11);
}

#[test]
fn probationary_rows_are_ignored() {
    assert_eq!(probationary_length(20), 3);
    assert_eq!(probationary_length(0), 0);
    assert_eq!(probationary_length(4999), 749);
    assert_eq!(probationary_length(5000), 750);
    assert_eq!(probationary_length(100_000), 750);
    let s = scores_with(20, &[(2, 1.0), (10, 1.0)]);
    assert_eq!(raw(&s, STD, 0.5), 1.0);
    // A detection on row 3 is scored.
    let s = scores_with(20, &[(3, 1.0), (10, 1.0)]);
    assert_eq!(raw(&s, STD, 0.5), 1.0 - 0.11);
}

#[test]
fn missed_windows_cost_the_fn_weight() {
    let s = scores_with(20, &[]);
    assert_eq!(raw(&s, STD, 0.5), -1.0);
    assert_eq!(raw(&s, NabProfile::RewardLowFp, 0.5), -1.0);
    assert_eq!(raw(&s, NabProfile::RewardLowFn, 0.5), -2.0);
    // Thresholds beyond NAB's range mean nothing / everything detected.
    let s = scores_with(20, &[(10, 1.0)]);
    assert_eq!(raw(&s, STD, 7.0), -1.0);
    assert_eq!(raw(&s, STD, f64::INFINITY), -1.0);
    let everything = raw(&s, STD, -1.0);
    assert_eq!(everything, raw(&s, STD, 0.0));
    assert!(everything < 1.0 - 6.0 * 0.11);
}

#[test]
fn profile_weights_are_nabs() {
    let w = NabProfile::Standard.weights();
    assert_eq!((w.tp, w.fp, w.fn_, w.tn), (1.0, 0.11, 1.0, 1.0));
    let w = NabProfile::RewardLowFp.weights();
    assert_eq!((w.tp, w.fp, w.fn_, w.tn), (1.0, 0.22, 1.0, 1.0));
    let w = NabProfile::RewardLowFn.weights();
    assert_eq!((w.tp, w.fp, w.fn_, w.tn), (1.0, 0.11, 2.0, 1.0));
    for p in NabProfile::ALL {
        assert_eq!(p.name().parse::<NabProfile>(), Ok(p));
    }
    assert!(matches!(
        "reward_low_fp".parse::<NabProfile>(),
        Err(MetricError::NabUnknownProfile { .. })
    ));
}

#[test]
fn scaled_sigmoid_is_nabs() {
    close(scaled_sigmoid(-1.0), max_tp());
    close(scaled_sigmoid(-0.5), 1.25_f64.tanh());
    assert_eq!(scaled_sigmoid(0.0), 0.0);
    close(scaled_sigmoid(3.0), -(7.5_f64).tanh());
    assert_eq!(scaled_sigmoid(3.0001), -1.0);
}

#[test]
fn optimiser_takes_the_best_and_highest_threshold() {
    // A false positive at 0.95 (0.5 widths past the window), the window hit
    // early at 0.9 and late at 0.8: 0.9 and 0.8 tie; 0.9 wins.
    let s = scores_with(20, &[(16, 0.95), (10, 0.9), (13, 0.8)]);
    let one = [NabSeries {
        scores: &s,
        windows: &WINDOW,
    }];
    let curve = threshold_scores(&one, STD).unwrap();
    let thresholds: Vec<f64> = curve.iter().map(|t| t.threshold).collect();
    assert_eq!(thresholds, [1.1, 0.95, 0.9, 0.8, 0.0]);
    let fp = -0.11 * 1.25_f64.tanh();
    close(curve[0].score, -1.0);
    close(curve[1].score, -1.0 + fp);
    close(curve[2].score, 1.0 + fp);
    assert_eq!(curve[3].score, curve[2].score);
    assert_eq!(
        optimize_threshold(&one, STD).unwrap(),
        (0.9, curve[2].score)
    );
    // Each entry is the series scored at its threshold, to the bit.
    for entry in &curve {
        assert_eq!(score_series(&one[0], STD, entry.threshold).unwrap(), *entry);
    }
}

#[test]
fn normalisation_uses_the_null_detector_and_perfect_score() {
    let s = scores_with(20, &[(10, 1.0)]);
    let one = [NabSeries {
        scores: &s,
        windows: &WINDOW,
    }];
    let score = nab_score(&one, STD, None).unwrap();
    assert_eq!(score.threshold, 1.0);
    assert_eq!(score.raw, 1.0);
    assert_eq!(score.perfect, 1.0);
    assert_eq!(score.normalized, Some(100.0));
    // The null detector (0.5 everywhere) detects everything here: 7 false
    // positives before the window, the window at its start and 5 after it,
    // which beats missing the window (-1).
    let after: f64 = (15..20)
        .map(|i| -0.11 * (2.5 * (i - 14) as f64 / 4.0).tanh())
        .sum();
    let null = -7.0 * 0.11 + 1.0 + after;
    close(score.null, null);
    assert_eq!(score.null_threshold, 0.5);
    let at = nab_score(&one, STD, Some(1.1)).unwrap();
    assert_eq!(at.raw, -1.0);
    close(at.normalized.unwrap(), 100.0 * (-1.0 - null) / (1.0 - null));
    assert_eq!((at.tp, at.fp, at.fn_, at.tn), (0, 0, 5, 12));
}

#[test]
fn a_corpus_without_windows_has_no_normalised_score() {
    let s = scores_with(20, &[(10, 1.0)]);
    let one = [NabSeries {
        scores: &s,
        windows: &[],
    }];
    let score = nab_score(&one, STD, None).unwrap();
    assert_eq!((score.threshold, score.raw), (1.1, 0.0));
    assert_eq!(
        (score.null, score.perfect, score.normalized),
        (0.0, 0.0, None)
    );
}

#[test]
fn corpus_scores_add_up_over_series() {
    let a = scores_with(20, &[(10, 1.0)]);
    let b = scores_with(20, &[(15, 0.7)]);
    let corpus = [
        NabSeries {
            scores: &a,
            windows: &WINDOW,
        },
        NabSeries {
            scores: &b,
            windows: &WINDOW,
        },
    ];
    let score = nab_score(&corpus, STD, Some(0.6)).unwrap();
    let parts = raw_score(&corpus[0], STD, 0.6).unwrap() + raw_score(&corpus[1], STD, 0.6).unwrap();
    assert_eq!(score.raw, parts);
    assert_eq!(score.perfect, 2.0);
    assert_eq!((score.tp, score.fp, score.fn_), (1, 1, 9));
}

#[test]
fn bad_input_is_refused() {
    let ok = scores_with(20, &[]);
    let series = |scores, windows| NabSeries { scores, windows };
    let bad = scores_with(20, &[(4, 1.5)]);
    assert_eq!(
        raw_score(&series(&bad, &WINDOW), STD, 0.5),
        Err(MetricError::NabScoreRange {
            series: 0,
            index: 4,
            value: 1.5
        })
    );
    let nan = scores_with(20, &[(6, f64::NAN)]);
    assert!(matches!(
        nab_score(&[series(&ok, &WINDOW), series(&nan, &WINDOW)], STD, None),
        Err(MetricError::NabScoreRange {
            series: 1,
            index: 6,
            ..
        })
    ));
    assert!(matches!(
        raw_score(&series(&ok, &[(3, 20)]), STD, 0.5),
        Err(MetricError::NabWindowRange {
            end: 20,
            len: 20,
            ..
        })
    ));
    assert!(matches!(
        raw_score(&series(&ok, &[(5, 4)]), STD, 0.5),
        Err(MetricError::NabWindowRange { .. })
    ));
    assert_eq!(
        raw_score(&series(&ok, &[(3, 6), (6, 9)]), STD, 0.5),
        Err(MetricError::NabWindowOrder {
            series: 0,
            window: 1,
            start: 6,
            previous_end: 6
        })
    );
    assert!(matches!(
        raw_score(&series(&ok, &[(10, 12), (3, 6)]), STD, 0.5),
        Err(MetricError::NabWindowOrder { .. })
    ));
    assert_eq!(
        raw_score(&series(&ok, &WINDOW), STD, f64::NAN),
        Err(MetricError::NabThreshold)
    );
    assert_eq!(nab_score(&[], STD, None), Err(MetricError::Empty));
    assert_eq!(
        nab_score(&[series(&[], &[])], STD, None),
        Err(MetricError::Empty)
    );
}

#[test]
fn one_row_windows_weigh_later_rows_as_far_away() {
    // NAB divides by zero here; the limit is -fpWeight.
    let s = scores_with(20, &[(10, 1.0), (11, 1.0)]);
    let series = NabSeries {
        scores: &s,
        windows: &[(10, 10)],
    };
    assert_eq!(raw_score(&series, STD, 0.5).unwrap(), 1.0 - 0.11);
}
