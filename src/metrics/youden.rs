//! F1 at the threshold that maximises Youden's J on the ROC curve.

use super::MetricError;
use super::curve::{Counts, Roc};
use super::input::Ranked;
use ndarray::ArrayView1;
use serde::Serialize;

/// The result of [`f1_at_youden`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct YoudenF1 {
    /// F1 score of the predictions `scores >= threshold`.
    pub f1: f64,
    /// The Youden threshold: one of the scores, or `+inf` (nothing flagged)
    /// when no threshold beats chance. serde_json writes `+inf` as `null`.
    pub threshold: f64,
}

/// F1 at the Youden threshold: the `roc_curve` threshold (scikit-learn,
/// `drop_intermediate=True`, first one `+inf`) with the largest
/// `TPR − FPR`, the first on ties (`np.argmax`); then scikit-learn's
/// `f1_score` of `scores >= threshold`.
///
/// `y`: 1 (any nonzero) = anomaly, 0 = normal; `scores`: higher = more
/// anomalous. Both classes must be present.
pub fn f1_at_youden(
    y: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
) -> Result<YoudenF1, MetricError> {
    let ranked = Ranked::new(y, scores)?;
    Ok(from_roc(&Roc::new(&Counts::new(&ranked)), ranked.n_pos))
}

/// The samples with `score >= thresholds[i]` are exactly those counted in
/// the curve's point `i`, so F1 = 2·TP / (P + predicted) comes straight from
/// the counts, the same single division scikit-learn performs.
pub(crate) fn from_roc(roc: &Roc, n_pos: usize) -> YoudenF1 {
    let mut best = 0;
    let mut best_j = f64::NEG_INFINITY;
    for (i, (&tpr, &fpr)) in roc.tpr.iter().zip(&roc.fpr).enumerate() {
        let j = tpr - fpr;
        if j > best_j {
            best = i;
            best_j = j;
        }
    }
    let tp = roc.tps[best];
    let predicted = tp + roc.fps[best];
    let denominator = n_pos as f64 + predicted;
    // zero_division: scikit-learn scores 0.0 (unreachable: n_pos ≥ 1)
    let f1 = if denominator != 0.0 {
        2.0 * tp / denominator
    } else {
        0.0
    };
    YoudenF1 {
        f1,
        threshold: roc.thresholds[best],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_checked() {
        // ranks: 0.8 pos, 0.4 neg, 0.35 pos, 0.1 neg.
        // J: inf → 0, 0.8 → 0.5, 0.4 → 0, 0.35 → 0.5, 0.1 → 0: first max 0.8.
        let r = f1_at_youden(
            array![0u8, 0, 1, 1].view(),
            array![0.1, 0.4, 0.35, 0.8].view(),
        );
        // flag {0.8}: TP 1, FP 0, FN 1 → F1 = 2/3
        assert_eq!(
            r,
            Ok(YoudenF1 {
                f1: 2.0 / 3.0,
                threshold: 0.8
            })
        );
    }

    #[test]
    fn no_better_than_chance_flags_nothing() {
        // inverted ranking: J ≤ 0 everywhere, first max is the +inf point
        let r = f1_at_youden(array![1u8, 0].view(), array![0.1, 0.9].view());
        assert_eq!(
            r,
            Ok(YoudenF1 {
                f1: 0.0,
                threshold: f64::INFINITY
            })
        );
    }

    #[test]
    fn ties_flag_whole_group() {
        // labels 1 1 0 tied at 3.0, then 0 at 1.0: J(3) = 1 - 1/2 is the
        // maximum, and the threshold flags the whole tied group.
        let r = f1_at_youden(
            array![1u8, 1, 0, 0].view(),
            array![3.0, 3.0, 3.0, 1.0].view(),
        );
        // TP 2, FP 1, FN 0 → F1 = 4/5
        assert_eq!(
            r,
            Ok(YoudenF1 {
                f1: 0.8,
                threshold: 3.0
            })
        );
    }
}
