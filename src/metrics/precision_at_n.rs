//! Precision at rank n, as PyOD's `precision_n_scores`.

use super::MetricError;
use super::input::Ranked;
use super::numeric::np_percentile_linear;
use ndarray::ArrayView1;

/// Precision among the top-n scores, n = number of anomalies, exactly as
/// PyOD's `pyod.utils.utility.precision_n_scores(y, scores)`: threshold =
/// `np.percentile(scores, 100·(1 − n/len))` (linear interpolation), flagged
/// = `scores > threshold` (PyOD's `get_label_n` uses a strict `>`), then
/// scikit-learn's `precision_score` (0.0 when nothing is flagged). With
/// ties at the threshold fewer than n samples may be flagged.
///
/// `y`: 1 (any nonzero) = anomaly, 0 = normal; `scores`: higher = more
/// anomalous. Both classes must be present.
pub fn precision_at_n(
    y: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
) -> Result<f64, MetricError> {
    Ok(from_ranked(&Ranked::new(y, scores)?))
}

pub(crate) fn from_ranked(ranked: &Ranked) -> f64 {
    let len = ranked.len();
    let outliers_fraction = ranked.n_pos as f64 / len as f64;
    let q = 100.0 * (1.0 - outliers_fraction);
    let ascending: Vec<f64> = ranked.scores.iter().rev().copied().collect();
    let threshold = np_percentile_linear(&ascending, q);

    // Ranked scores are descending: the flagged ones are a prefix.
    let flagged = ranked.scores.iter().take_while(|&&s| s > threshold).count();
    let tp = ranked.anomaly[..flagged].iter().filter(|&&a| a).count();
    if flagged == 0 {
        // precision_score's zero_division="warn" scores 0.0
        0.0
    } else {
        tp as f64 / flagged as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_checked() {
        // PyOD docstring: y = [0, 1, 1, 0, 0], scores [.1, .5, .3, .2, .7]
        // → flags 0.5 and 0.7 → precision 1/2
        let p = precision_at_n(
            array![0u8, 1, 1, 0, 0].view(),
            array![0.1, 0.5, 0.3, 0.2, 0.7].view(),
        );
        assert_eq!(p, Ok(0.5));
        let p = precision_at_n(
            array![0u8, 1, 1, 0].view(),
            array![0.0, 3.0, 2.0, 1.0].view(),
        );
        assert_eq!(p, Ok(1.0));
    }

    #[test]
    fn ties_at_threshold_are_not_flagged() {
        // all tied: threshold equals every score, nothing is flagged
        let p = precision_at_n(array![0u8, 1, 0].view(), ArrayView1::from(&[4.0; 3]));
        assert_eq!(p, Ok(0.0));
        // 1 anomaly of 4: threshold = 75th percentile = 2.0, the tied top
        // group, so nothing is strictly above it
        let p = precision_at_n(
            array![0u8, 0, 1, 0].view(),
            array![2.0, 2.0, 2.0, 1.0].view(),
        );
        assert_eq!(p, Ok(0.0));
    }
}
