//! From one score per window to one score per point.
//!
//! Why it exists: subsequence methods score windows, but time-series
//! metrics (point-wise AUC, VUS, NAB, the UCR hit) need a score for every
//! point. Three conventions are in use and all are offered:
//!
//! - `mean`: the mean of the scores of every window covering the point;
//! - `max`: the largest of those scores;
//! - `center`: TSB-AD's convention for its IForest/LOF/KNN/PCA baselines
//!   (stride 1 only): window `i`'s score goes to point `i + ⌈(w-1)/2⌉`, the
//!   first `⌈(w-1)/2⌉` points take the first window's score and the last
//!   `⌊(w-1)/2⌋` the last window's.
//!
//! Points covered by no window (the tail after the last full window, and
//! gaps when `stride` exceeds the window) take the score of the last window
//! starting at or before them.

use super::super::{DetectorError, ParamError};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// How window scores become point scores; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    #[default]
    Mean,
    Max,
    Center,
}

impl Aggregation {
    pub const NAMES: &'static str = "mean, max, center";

    pub fn parse(name: &str) -> Result<Self, ParamError> {
        match name {
            "mean" => Ok(Self::Mean),
            "max" => Ok(Self::Max),
            "center" => Ok(Self::Center),
            other => Err(ParamError::new(
                "aggregation",
                other,
                "one of mean, max, center",
            )),
        }
    }
}

/// Point scores for a series of `n` points from the scores of its windows
/// of length `window` taken every `stride` points.
pub fn to_points(
    window_scores: &[f64],
    n: usize,
    window: usize,
    stride: usize,
    how: Aggregation,
) -> Result<Array1<f64>, DetectorError> {
    let count = window_scores.len();
    let expected = if window == 0 || stride == 0 || window > n {
        0
    } else {
        (n - window) / stride + 1
    };
    if count == 0 || count != expected {
        return Err(DetectorError::BadParams {
            detector: "series".into(),
            message: format!(
                "{count} window scores do not fit {n} points with window {window} and stride {stride}"
            ),
        });
    }
    let last = window_scores[count - 1];
    let mut out = Array1::from_elem(n, last);
    match how {
        Aggregation::Center => {
            if stride != 1 {
                return Err(ParamError::new("aggregation", "center", "used with stride 1").into());
            }
            let lead = (window - 1).div_ceil(2);
            for (i, v) in out.iter_mut().enumerate() {
                *v = if i < lead {
                    window_scores[0]
                } else {
                    window_scores.get(i - lead).copied().unwrap_or(last)
                };
            }
        }
        Aggregation::Mean | Aggregation::Max => {
            let covered = (count - 1) * stride + window;
            for (t, v) in out.iter_mut().enumerate().take(covered) {
                // windows i with i*stride <= t < i*stride + window
                let hi = (t / stride).min(count - 1);
                let lo = (t + 1).saturating_sub(window).div_ceil(stride);
                // lo > hi: a gap between windows (stride > window).
                let scores = &window_scores[lo.min(hi)..=hi];
                let scores = if lo > hi {
                    &scores[scores.len() - 1..]
                } else {
                    scores
                };
                *v = match how {
                    Aggregation::Max => scores.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    _ => scores.iter().sum::<f64>() / scores.len() as f64,
                };
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_max_over_covering_windows() {
        // n = 5, window 2, stride 1: windows [0,1] [1,2] [2,3] [3,4]
        let s = [1.0, 3.0, 5.0, 7.0];
        let m = to_points(&s, 5, 2, 1, Aggregation::Mean).unwrap();
        assert_eq!(m.to_vec(), vec![1.0, 2.0, 4.0, 6.0, 7.0]);
        let x = to_points(&s, 5, 2, 1, Aggregation::Max).unwrap();
        assert_eq!(x.to_vec(), vec![1.0, 3.0, 5.0, 7.0, 7.0]);
    }

    #[test]
    fn stride_leaves_a_tail() {
        // n = 6, window 2, stride 3: windows [0,1] [3,4]; 2 and 5 uncovered
        let m = to_points(&[1.0, 2.0], 6, 2, 3, Aggregation::Mean).unwrap();
        assert_eq!(m.to_vec(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        let x = to_points(&[1.0, 2.0], 6, 2, 3, Aggregation::Max).unwrap();
        assert!(x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn center_matches_tsb_ad_padding() {
        // TSB-AD: [s0]*ceil((w-1)/2) + s + [s_last]*((w-1)//2)
        for w in [1usize, 2, 3, 4, 5] {
            let n = 9;
            let s: Vec<f64> = (0..n - w + 1).map(|i| i as f64 * 10.0).collect();
            let got = to_points(&s, n, w, 1, Aggregation::Center).unwrap();
            let mut want = vec![s[0]; (w - 1).div_ceil(2)];
            want.extend(&s);
            want.extend(vec![*s.last().unwrap(); (w - 1) / 2]);
            assert_eq!(got.to_vec(), want, "w={w}");
        }
        assert!(to_points(&[1.0, 2.0], 6, 2, 3, Aggregation::Center).is_err());
    }

    #[test]
    fn counts_must_fit() {
        assert!(to_points(&[1.0], 5, 2, 1, Aggregation::Mean).is_err());
        assert!(to_points(&[], 5, 2, 1, Aggregation::Mean).is_err());
        assert!(Aggregation::parse("median").is_err());
    }
}
