//! Average precision, as scikit-learn's `average_precision_score`.

use super::MetricError;
use super::curve::{Counts, PrPoints};
use super::input::Ranked;
use super::numeric::np_sum;
use ndarray::ArrayView1;

/// Area under the precision-recall curve as average precision
/// (scikit-learn `average_precision_score`): `Σ (R_k − R_{k−1}) · P_k` over
/// the distinct thresholds, a step function with no interpolation. Tied
/// scores form one step. Chance level is the anomaly fraction.
///
/// `y`: 1 (any nonzero) = anomaly, 0 = normal; `scores`: higher = more
/// anomalous. Both classes must be present.
pub fn pr_auc(y: ArrayView1<'_, u8>, scores: ArrayView1<'_, f64>) -> Result<f64, MetricError> {
    let ranked = Ranked::new(y, scores)?;
    Ok(from_counts(&Counts::new(&ranked)))
}

/// scikit-learn's `-sum(diff(recall) * precision[:-1])`, clipped at 0, on
/// `precision_recall_curve`'s output (every threshold kept, reversed so
/// recall decreases, with the final point (recall 0, precision 1)).
pub(crate) fn from_counts(counts: &Counts) -> f64 {
    let PrPoints {
        precision, recall, ..
    } = PrPoints::new(counts);
    let terms: Vec<f64> = recall
        .windows(2)
        .zip(&precision)
        .map(|(r, &p)| (r[1] - r[0]) * p)
        .collect();
    let ap = -np_sum(&terms);
    // Python's max(0.0, ap): turns -0.0 into 0.0
    if ap > 0.0 { ap } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_checked() {
        // sklearn docstring: ranks 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg)
        // AP = 0.5 · 1 + 0.5 · 2/3
        let ap = pr_auc(
            array![0u8, 0, 1, 1].view(),
            array![0.1, 0.4, 0.35, 0.8].view(),
        );
        assert_eq!(ap, Ok(0.5 + 0.5 * (2.0 / 3.0)));
        let y = array![0u8, 1, 0, 1];
        assert_eq!(pr_auc(y.view(), array![0.0, 2.0, 1.0, 3.0].view()), Ok(1.0));
    }

    #[test]
    fn ties_form_one_step() {
        // all tied: one step to recall 1 at precision = anomaly fraction
        let y = array![0u8, 1, 0, 0, 0];
        assert_eq!(pr_auc(y.view(), ArrayView1::from(&[1.0; 5])), Ok(0.2));
        // top group {pos, neg} tied: precision 1/2 at recall 1/2; then 2/4
        let ap = pr_auc(
            array![1u8, 0, 1, 0].view(),
            array![5.0, 5.0, 1.0, 1.0].view(),
        );
        assert_eq!(ap, Ok(0.5));
    }
}
