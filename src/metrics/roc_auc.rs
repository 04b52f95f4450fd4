//! Area under the ROC curve, as scikit-learn's `roc_auc_score`.

use super::MetricError;
use super::curve::{Counts, Roc};
use super::input::Ranked;
use super::numeric::np_sum;
use ndarray::ArrayView1;

/// Area under the ROC curve (scikit-learn `roc_auc_score`): the trapezoid
/// rule over `roc_curve`'s points, tied scores forming one diagonal step.
/// 1.0 ranks every anomaly above every normal, 0.5 is chance.
///
/// `y`: 1 (any nonzero) = anomaly, 0 = normal; `scores`: higher = more
/// anomalous. Both classes must be present.
pub fn roc_auc(y: ArrayView1<'_, u8>, scores: ArrayView1<'_, f64>) -> Result<f64, MetricError> {
    let ranked = Ranked::new(y, scores)?;
    Ok(from_roc(&Roc::new(&Counts::new(&ranked))))
}

/// `auc(fpr, tpr)`: `scipy.integrate.trapezoid`, i.e. the NumPy sum of
/// `Δfpr · (tpr[i+1] + tpr[i]) / 2` (fpr is increasing, so no sign flip).
pub(crate) fn from_roc(roc: &Roc) -> f64 {
    let terms: Vec<f64> = roc
        .fpr
        .windows(2)
        .zip(roc.tpr.windows(2))
        .map(|(x, y)| (x[1] - x[0]) * (y[1] + y[0]) / 2.0)
        .collect();
    np_sum(&terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_checked() {
        // sklearn docstring-style example: 3 of 4 (pos, neg) pairs ordered.
        let auc = roc_auc(
            array![0u8, 0, 1, 1].view(),
            array![0.1, 0.4, 0.35, 0.8].view(),
        );
        assert_eq!(auc, Ok(0.75));
        // perfect and inverted rankings
        let y = array![0u8, 1, 0, 1];
        assert_eq!(
            roc_auc(y.view(), array![0.0, 2.0, 1.0, 3.0].view()),
            Ok(1.0)
        );
        assert_eq!(
            roc_auc(y.view(), array![3.0, 1.0, 2.0, 0.0].view()),
            Ok(0.0)
        );
    }

    #[test]
    fn ties_count_half() {
        // every score tied: one diagonal step
        let y = array![0u8, 1, 1, 0, 0];
        assert_eq!(roc_auc(y.view(), ArrayView1::from(&[2.0; 5])), Ok(0.5));
        // anomaly tied with one normal, above the other: (1 + 0.5) / 2
        let auc = roc_auc(array![1u8, 0, 0].view(), array![1.0, 1.0, 0.0].view());
        assert_eq!(auc, Ok(0.75));
    }

    #[test]
    fn errors_propagate() {
        let e = roc_auc(array![0u8, 0].view(), array![1.0, 2.0].view());
        assert_eq!(e, Err(MetricError::OneClass { label: 0, n: 2 }));
    }
}
