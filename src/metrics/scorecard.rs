//! Every tabular metric of one run, from a single validation and sort.
//!
//! The [`Scorecard`] struct itself is generated from the metric table
//! (`registry.rs`): one field per tabular metric, in table order.

use super::MetricError;
use super::registry::{Scorecard, Scored};
use ndarray::ArrayView1;

/// Compute every tabular metric with one validation pass and one sort.
///
/// `y`: 1 (any nonzero) = anomaly, 0 = normal; `scores`: higher = more
/// anomalous. Both classes must be present.
pub fn scorecard(
    y: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
) -> Result<Scorecard, MetricError> {
    Ok(Scorecard::from_scored(&Scored::new(y, scores)?))
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
    fn values_follow_the_table() {
        let y = array![0u8, 1, 0, 0, 1, 0, 1, 0];
        let s = array![0.2, 0.9, 0.9, 0.1, 0.4, 0.4, 0.7, -0.0];
        let card = scorecard(y.view(), s.view()).unwrap();
        let json = serde_json::to_value(card).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut want = Vec::new();
        for (m, v) in metrics::METRICS.iter().zip(card.values()) {
            assert_eq!(json[m.field], v, "{}", m.name);
            want.push(m.field);
            want.extend(m.extras);
        }
        assert_eq!(keys, want);
    }

    #[test]
    fn validates_once_for_all() {
        let e = scorecard(array![1u8].view(), array![f64::NAN].view());
        assert!(matches!(e, Err(MetricError::NonFinite { index: 0, .. })));
    }
}
