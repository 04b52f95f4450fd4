//! The UCR anomaly archive's scoring protocol (Wu & Keogh, "Current time
//! series anomaly detection benchmarks are flawed", 2021; KDD Cup 2021).
//!
//! Why it exists: each UCR series holds exactly one anomaly after an
//! anomaly-free training prefix, and the archive's protocol is a yes/no
//! question: a method predicts *one* location, and it is a hit when that
//! location lies within ±100 points of the labelled range. Averaging hits
//! over series gives the archive's accuracy. The predicted location here is
//! the highest point score after the training prefix (ties: the earliest).

use super::MetricError;
use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};

/// The archive's tolerance on either side of the labelled range, in points.
pub const UCR_TOLERANCE: usize = 100;

/// The outcome of one series under the UCR protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UcrOutcome {
    /// The predicted anomaly location (a point index).
    pub predicted: usize,
    /// Whether `predicted` lies in `[start - tolerance, end + tolerance]` of
    /// a labelled range.
    pub hit: bool,
    /// The labelled range nearest to the prediction, inclusive.
    pub range_start: usize,
    pub range_end: usize,
    pub tolerance: usize,
}

/// Score one series: `scores` one per point, `ranges` the labelled
/// anomalies (inclusive), `train_prefix` the points to skip.
pub fn ucr_hit(
    scores: ArrayView1<'_, f64>,
    ranges: &[(usize, usize)],
    train_prefix: usize,
    tolerance: usize,
) -> Result<UcrOutcome, MetricError> {
    let n = scores.len();
    if n == 0 || train_prefix >= n {
        return Err(MetricError::Empty);
    }
    if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(MetricError::NonFinite { index, value });
    }
    if ranges.is_empty() {
        return Err(MetricError::OneClass { label: 0, n });
    }
    let (predicted, _) = scores.iter().enumerate().skip(train_prefix).fold(
        (train_prefix, f64::NEG_INFINITY),
        |best, (i, &s)| {
            if s > best.1 { (i, s) } else { best }
        },
    );
    let distance = |&(start, end): &(usize, usize)| {
        if predicted < start {
            start - predicted
        } else {
            predicted.saturating_sub(end)
        }
    };
    let nearest = ranges
        .iter()
        .min_by_key(|r| distance(r))
        .copied()
        .unwrap_or((0, 0));
    Ok(UcrOutcome {
        predicted,
        hit: distance(&nearest) <= tolerance,
        range_start: nearest.0,
        range_end: nearest.1,
        tolerance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn spike(n: usize, at: usize) -> Array1<f64> {
        Array1::from_shape_fn(n, |i| if i == at { 5.0 } else { 0.0 })
    }

    #[test]
    fn tolerance_is_inclusive_on_both_sides() {
        let r = [(500, 510)];
        assert!(ucr_hit(spike(1000, 400).view(), &r, 0, 100).unwrap().hit);
        assert!(!ucr_hit(spike(1000, 399).view(), &r, 0, 100).unwrap().hit);
        assert!(ucr_hit(spike(1000, 610).view(), &r, 0, 100).unwrap().hit);
        let o = ucr_hit(spike(1000, 611).view(), &r, 0, 100).unwrap();
        assert_eq!(
            (o.hit, o.predicted, o.range_start, o.range_end),
            (false, 611, 500, 510)
        );
    }

    #[test]
    fn the_training_prefix_is_skipped_and_ties_go_early() {
        let mut s = spike(1000, 10);
        s[505] = 1.0;
        s[507] = 1.0;
        let o = ucr_hit(s.view(), &[(500, 510)], 100, 100).unwrap();
        assert_eq!(o.predicted, 505);
    }

    #[test]
    fn errors() {
        let s = spike(10, 3);
        assert!(ucr_hit(s.view(), &[], 0, 100).is_err());
        assert!(ucr_hit(s.view(), &[(1, 2)], 10, 100).is_err());
        let mut bad = s.clone();
        bad[4] = f64::NAN;
        assert!(matches!(
            ucr_hit(bad.view(), &[(1, 2)], 0, 100),
            Err(MetricError::NonFinite { index: 4, .. })
        ));
    }
}
