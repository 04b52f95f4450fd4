//! Unit tests of the tail detectors, run for both rules (`copod` and
//! `ecod`): a hand-computed case (checked against PyOD 3.6.7), constant
//! columns, values outside the training range, row independence and empty
//! parameters. The rules differ only in the expected numbers.

use super::*;
use crate::detectors::test_support::close;
use ndarray::{Array2, array};
use serde_json::json;

fn train() -> Array2<f64> {
    // Column 0 skewed right, column 1 constant, column 2 skewed left.
    array![
        [1.0, 5.0, 0.0],
        [2.0, 5.0, 1.0],
        [2.0, 5.0, 2.0],
        [3.0, 5.0, 3.0],
        [10.0, 5.0, -7.0]
    ]
}

/// What one rule must give on [`train`].
struct Expected {
    /// Row 0's training score by hand.
    row0: f64,
    /// PyOD's `COPOD().fit(X).decision_scores_` / `ECOD()…`.
    pyod_train: [f64; 5],
    /// Scores of the three new rows of
    /// `new_rows_use_training_ecdfs_and_out_of_range_is_floored`.
    new_rows: [f64; 3],
}

fn expected<R: TailRule>() -> Expected {
    // Row 0: column 0 (skew +) x = 1: u_l = ln 5, u_r = 0, u_skew = u_r = 0;
    // column 1 constant: 0; column 2 (skew -) x = 0: u_l = ln(5/2),
    // u_r = ln(5/4), u_skew = u_l, score ln(5/2).
    let ln = f64::ln;
    match R::COMBINE {
        // Column 0 scores max(0, ln 5 / 2).
        Combine::Copod => Expected {
            row0: ln(5.0) / 2.0 + ln(2.5),
            pyod_train: [1.72100969, 0.87781021, 0.93670173, 1.72100969, 3.21887582],
            new_rows: [1.72100969, 2.78114146, 4.82831374],
        },
        // Column 0 scores max(0, ln 5, 0).
        Combine::Ecod => Expected {
            row0: ln(5.0) + ln(2.5),
            pyod_train: [2.52572864, 1.02165125, 1.42711636, 2.52572864, 3.21887582],
            new_rows: [2.52572864, 3.72970145, 4.82831374],
        },
    }
}

fn fit<R: TailRule>(x: &Array2<f64>) -> Fit<TailDetectorModel<R>> {
    TailParams::<R>::default().fit(x.view()).unwrap()
}

fn params_are_empty_and_unknown_names_rejected<R: TailRule>() {
    assert_eq!(
        serde_json::to_value(TailParams::<R>::default()).unwrap(),
        json!({})
    );
    assert!(serde_json::from_value::<TailParams<R>>(json!({"n_jobs": 2})).is_err());
    assert!(TailParams::<R>::default().validate().is_ok());
}

fn hand_computed_training_scores_match_pyod<R: TailRule>() {
    let want = expected::<R>();
    let fit = fit::<R>(&train());
    assert_eq!(fit.model.skew_signs(), &[1, 0, -1]);
    assert!(close(fit.train_scores[0], want.row0));
    for (got, want) in fit.train_scores.iter().zip(want.pyod_train) {
        assert!(
            (got - want).abs() < 1e-8,
            "{:?}: {got} vs {want}",
            R::COMBINE
        );
    }
    // Re-scoring the training rows reproduces the training scores.
    assert_eq!(fit.model.score_samples(train().view()), fit.train_scores);
}

fn new_rows_use_training_ecdfs_and_out_of_range_is_floored<R: TailRule>() {
    let fit = fit::<R>(&train());
    // Row [0, 5, 0.5]: 0 is below every training value of column 0 (count
    // floored at 1, like the training minimum), 0.5 lies between 0 and 1.
    let t = array![[0.0, 5.0, 0.5], [2.0, 4.0, 100.0], [11.0, 6.0, -8.0]];
    let s = fit.model.score_samples(t.view());
    assert!(close(s[0], fit.train_scores[0]));
    for (got, want) in s.iter().zip(expected::<R>().new_rows) {
        assert!(
            (got - want).abs() < 1e-8,
            "{:?}: {got} vs {want}",
            R::COMBINE
        );
    }
    // Far outside the range scores like just outside it: finite, bounded.
    let far = fit
        .model
        .score_samples(array![[-1e300, 1e300, 1e300]].view());
    let near = fit.model.score_samples(array![[0.5, 5.5, 3.5]].view());
    assert_eq!(far, near);
    assert!(far[0].is_finite() && far[0] <= 3.0 * 5f64.ln());
}

fn a_row_scores_the_same_alone_and_in_a_batch<R: TailRule>() {
    let fit = fit::<R>(&train());
    let batch = array![
        [0.0, 5.0, 0.5],
        [2.0, 4.0, 100.0],
        [11.0, 6.0, -8.0],
        [2.5, 5.0, 1.5]
    ];
    let all = fit.model.score_samples(batch.view());
    for (i, row) in batch.rows().into_iter().enumerate() {
        let alone = fit.model.score_samples(row.insert_axis(ndarray::Axis(0)));
        assert_eq!(alone[0], all[i]);
    }
}

fn constant_data_scores_zero<R: TailRule>() {
    let fit = fit::<R>(&Array2::from_elem((4, 2), 3.0));
    assert!(fit.train_scores.iter().all(|&s| s == 0.0));
    assert_eq!(fit.model.skew_signs(), &[0, 0]);
    let s = fit.model.score_samples(array![[4.0, 3.0]].view());
    // Column 0 has skewness sign 0, so u_skew = u_l + u_r = 0 + ln 4.
    assert!(close(s[0], 4f64.ln()));
}

fn single_row_fits<R: TailRule>() {
    let fit = fit::<R>(&array![[1.0, 2.0]]);
    assert_eq!(fit.train_scores, array![0.0]);
}

/// One `#[test]` per check and rule: `tail::tests::copod::NAME` and
/// `tail::tests::ecod::NAME`.
macro_rules! for_each_rule {
    ($($check:ident),* $(,)?) => {
        mod copod {
            $(#[test]
            fn $check() {
                super::$check::<crate::detectors::copod::Copod>()
            })*
        }
        mod ecod {
            $(#[test]
            fn $check() {
                super::$check::<crate::detectors::ecod::Ecod>()
            })*
        }
    };
}

for_each_rule!(
    params_are_empty_and_unknown_names_rejected,
    hand_computed_training_scores_match_pyod,
    new_rows_use_training_ecdfs_and_out_of_range_is_floored,
    a_row_scores_the_same_alone_and_in_a_batch,
    constant_data_scores_zero,
    single_row_fits,
);
