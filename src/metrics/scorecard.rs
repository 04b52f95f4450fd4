//! Every metric of one run, from a single validation and sort.

use super::curve::{Counts, Roc};
use super::input::Ranked;
use super::{MetricError, pr_auc, precision_at_n, roc_auc, youden};
use ndarray::ArrayView1;
use serde::Serialize;

/// All metrics of one set of scores; each field equals the matching
/// standalone function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scorecard {
    /// [`roc_auc`](super::roc_auc()).
    pub roc_auc: f64,
    /// [`pr_auc`](super::pr_auc()) (average precision).
    pub pr_auc: f64,
    /// F1 at the Youden threshold ([`f1_at_youden`](super::f1_at_youden)).
    pub f1: f64,
    /// The Youden threshold; `+inf` (serialised as `null`) flags nothing.
    pub threshold: f64,
    /// [`precision_at_n`](super::precision_at_n()).
    pub precision_at_n: f64,
}

/// Compute every metric with one validation pass and one sort.
///
/// `y`: 1 (any nonzero) = anomaly, 0 = normal; `scores`: higher = more
/// anomalous. Both classes must be present.
pub fn scorecard(
    y: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
) -> Result<Scorecard, MetricError> {
    let ranked = Ranked::new(y, scores)?;
    let counts = Counts::new(&ranked);
    let roc = Roc::new(&counts);
    let youden = youden::from_roc(&roc, ranked.n_pos);
    Ok(Scorecard {
        roc_auc: roc_auc::from_roc(&roc),
        pr_auc: pr_auc::from_counts(&counts),
        f1: youden.f1,
        threshold: youden.threshold,
        precision_at_n: precision_at_n::from_ranked(&ranked),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics;
    use ndarray::array;

    #[test]
    fn equals_the_standalone_metrics() {
        let y = array![0u8, 1, 0, 0, 1, 0, 1, 0];
        let s = array![0.2, 0.9, 0.9, 0.1, 0.4, 0.4, 0.7, -0.0];
        let card = scorecard(y.view(), s.view()).unwrap();
        let youden = metrics::f1_at_youden(y.view(), s.view()).unwrap();
        assert_eq!(card.roc_auc, metrics::roc_auc(y.view(), s.view()).unwrap());
        assert_eq!(card.pr_auc, metrics::pr_auc(y.view(), s.view()).unwrap());
        assert_eq!((card.f1, card.threshold), (youden.f1, youden.threshold));
        assert_eq!(
            card.precision_at_n,
            metrics::precision_at_n(y.view(), s.view()).unwrap()
        );
    }

    #[test]
    fn serialises_infinite_threshold_as_null() {
        let card = scorecard(array![1u8, 0].view(), array![0.0, 1.0].view()).unwrap();
        let json = serde_json::to_value(card).unwrap();
        assert_eq!(json["threshold"], serde_json::Value::Null);
        assert_eq!(json["roc_auc"], 0.0);
    }

    #[test]
    fn validates_once_for_all() {
        let e = scorecard(array![1u8].view(), array![f64::NAN].view());
        assert!(matches!(e, Err(MetricError::NonFinite { index: 0, .. })));
    }
}
