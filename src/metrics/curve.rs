//! Confusion counts at every distinct threshold and the curves built from
//! them: scikit-learn's `confusion_matrix_at_thresholds` (formerly
//! `_binary_clf_curve`), `roc_curve` and `precision_recall_curve`. The
//! areas (`roc_auc`, `pr_auc`) and the figures (ROC/PR plots) read the same
//! points.

use super::MetricError;
use super::input::Ranked;
use ndarray::ArrayView1;

/// Cumulative counts at each distinct score, highest score first. Entry `i`
/// counts the samples with `score >= thresholds[i]`; tied scores form one
/// step. Counts are stored as `f64`, as scikit-learn does.
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    /// True positives (anomalies at or above the threshold), increasing.
    pub tps: Vec<f64>,
    /// False positives (normals at or above the threshold), increasing.
    pub fps: Vec<f64>,
    /// The distinct scores, decreasing.
    pub thresholds: Vec<f64>,
}

impl Counts {
    /// One entry per distinct score: where the ranked score changes, plus the
    /// last sample. `fps = 1 + index - tps`, as in scikit-learn.
    pub fn new(ranked: &Ranked) -> Self {
        let n = ranked.len();
        let mut tps = Vec::new();
        let mut fps = Vec::new();
        let mut thresholds = Vec::new();
        let mut cum_pos = 0usize;
        for i in 0..n {
            cum_pos += usize::from(ranked.anomaly[i]);
            let last_of_group = i + 1 == n || ranked.scores[i + 1] != ranked.scores[i];
            if last_of_group {
                let tp = cum_pos as f64;
                tps.push(tp);
                fps.push(1.0 + i as f64 - tp);
                thresholds.push(ranked.scores[i]);
            }
        }
        Self {
            tps,
            fps,
            thresholds,
        }
    }
}

/// `roc_curve(y, scores)` with its default `drop_intermediate=True`: the
/// point `(0, 0)` at threshold `+inf`, then every corner of the curve.
#[derive(Debug, Clone)]
pub(crate) struct Roc {
    pub fpr: Vec<f64>,
    pub tpr: Vec<f64>,
    pub thresholds: Vec<f64>,
    /// True/false positive counts behind each point (`0` at `+inf`).
    pub tps: Vec<f64>,
    pub fps: Vec<f64>,
}

impl Roc {
    pub fn new(counts: &Counts) -> Self {
        let (c_tps, c_fps) = (&counts.tps, &counts.fps);
        let k = c_tps.len();
        // Keep the first and last point and every point where the second
        // difference of fps or tps is nonzero (a corner). Counts are whole
        // numbers, so these differences are exact.
        let second_diff = |v: &[f64], i: usize| (v[i + 1] - v[i]) - (v[i] - v[i - 1]);
        let keep = |i: usize| {
            k <= 2
                || i == 0
                || i + 1 == k
                || second_diff(c_fps, i) != 0.0
                || second_diff(c_tps, i) != 0.0
        };

        let mut tps = vec![0.0];
        let mut fps = vec![0.0];
        let mut thresholds = vec![f64::INFINITY];
        for i in (0..k).filter(|&i| keep(i)) {
            tps.push(c_tps[i]);
            fps.push(c_fps[i]);
            thresholds.push(counts.thresholds[i]);
        }
        // Both classes are present (validated), so the totals are positive.
        let (p, n) = (tps[tps.len() - 1], fps[fps.len() - 1]);
        let fpr = fps.iter().map(|&f| f / n).collect();
        let tpr = tps.iter().map(|&t| t / p).collect();
        Self {
            fpr,
            tpr,
            thresholds,
            tps,
            fps,
        }
    }
}

/// The points of scikit-learn's `precision_recall_curve(y, scores)`
/// (every distinct threshold kept): thresholds increasing, recall
/// decreasing, and the final point (recall 0, precision 1) with no
/// threshold. Precision is 0 where nothing is predicted positive.
#[derive(Debug, Clone)]
pub(crate) struct PrPoints {
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub thresholds: Vec<f64>,
}

impl PrPoints {
    pub fn new(counts: &Counts) -> Self {
        let k = counts.tps.len();
        let total_pos = counts.tps[k - 1];
        let mut precision: Vec<f64> = (0..k)
            .rev()
            .map(|i| {
                let predicted = counts.tps[i] + counts.fps[i];
                if predicted != 0.0 {
                    counts.tps[i] / predicted
                } else {
                    0.0
                }
            })
            .collect();
        precision.push(1.0);
        let mut recall: Vec<f64> = (0..k).rev().map(|i| counts.tps[i] / total_pos).collect();
        recall.push(0.0);
        let thresholds = counts.thresholds.iter().rev().copied().collect();
        Self {
            precision,
            recall,
            thresholds,
        }
    }
}

/// A ROC curve: scikit-learn's `roc_curve(y, scores)` with its default
/// `drop_intermediate=True`.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False positive rate at each point, increasing from 0 to 1.
    pub fpr: Vec<f64>,
    /// True positive rate at each point, increasing from 0 to 1.
    pub tpr: Vec<f64>,
    /// The score threshold of each point (predict anomaly when
    /// `score >= threshold`), decreasing; the first is `+inf`.
    pub thresholds: Vec<f64>,
}

/// A precision–recall curve: scikit-learn's
/// `precision_recall_curve(y, scores)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecallCurve {
    /// Precision at each point; the last is 1.
    pub precision: Vec<f64>,
    /// Recall at each point, decreasing to a final 0.
    pub recall: Vec<f64>,
    /// Thresholds, increasing; one fewer than the points (the final
    /// (recall 0, precision 1) point has none).
    pub thresholds: Vec<f64>,
}

/// The ROC curve of `scores` against labels `y` (1 = anomaly), equal to
/// scikit-learn's `roc_curve`. Needs both classes and finite scores.
pub fn roc_curve(
    y: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
) -> Result<RocCurve, MetricError> {
    let roc = Roc::new(&Counts::new(&Ranked::new(y, scores)?));
    Ok(RocCurve {
        fpr: roc.fpr,
        tpr: roc.tpr,
        thresholds: roc.thresholds,
    })
}

/// The precision–recall curve of `scores` against labels `y`, equal to
/// scikit-learn's `precision_recall_curve`. Needs both classes and finite
/// scores.
pub fn precision_recall_curve(
    y: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
) -> Result<PrecisionRecallCurve, MetricError> {
    let pr = PrPoints::new(&Counts::new(&Ranked::new(y, scores)?));
    Ok(PrecisionRecallCurve {
        precision: pr.precision,
        recall: pr.recall,
        thresholds: pr.thresholds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayView1;

    fn ranked(y: &[u8], s: &[f64]) -> Ranked {
        Ranked::new(ArrayView1::from(y), ArrayView1::from(s)).unwrap()
    }

    #[test]
    fn counts_group_ties() {
        // sklearn's docstring example, plus a tie at 0.4
        let r = ranked(&[0, 0, 1, 1, 1], &[0.1, 0.4, 0.35, 0.8, 0.4]);
        let c = Counts::new(&r);
        assert_eq!(c.thresholds, vec![0.8, 0.4, 0.35, 0.1]);
        assert_eq!(c.tps, vec![1.0, 2.0, 3.0, 3.0]);
        assert_eq!(c.fps, vec![0.0, 1.0, 1.0, 2.0]);
    }

    #[test]
    fn roc_drops_collinear_points() {
        // Scores 4 > 3 > 2 > 1 with labels 1, 1, 1, 0: the point at 3 lies
        // inside the vertical segment from (0, 1/3) to (0, 1) and is dropped
        // (sklearn: thresholds [inf, 4, 2, 1]).
        let r = ranked(&[1, 1, 1, 0], &[4.0, 3.0, 2.0, 1.0]);
        let roc = Roc::new(&Counts::new(&r));
        assert_eq!(roc.thresholds, vec![f64::INFINITY, 4.0, 2.0, 1.0]);
        assert_eq!(roc.tpr, vec![0.0, 1.0 / 3.0, 1.0, 1.0]);
        assert_eq!(roc.fpr, vec![0.0, 0.0, 0.0, 1.0]);
    }
}
