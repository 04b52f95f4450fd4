//! Why a metric could not be computed.

use thiserror::Error;

/// An input the metrics refuse. Every metric validates its input once, in
/// this order: lengths, emptiness, finiteness of the scores, both classes.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum MetricError {
    /// Every label has the same class (`label` is 0 for normal, 1 for
    /// anomaly), so ranking metrics are undefined.
    #[error(
        "only one class present in y (all {n} labels are {}); ROC-AUC/PR-AUC need both anomalies and normals",
        class_name(*.label)
    )]
    OneClass { label: u8, n: usize },
    /// Labels and scores differ in length.
    #[error("labels and scores differ in length: {labels} labels, {scores} scores")]
    LengthMismatch { labels: usize, scores: usize },
    /// No samples at all.
    #[error("no samples: labels and scores are empty")]
    Empty,
    /// A score is NaN or infinite; `index` is the first such position.
    #[error("score at index {index} is not finite ({value})")]
    NonFinite { index: usize, value: f64 },
}

fn class_name(label: u8) -> &'static str {
    if label == 0 { "normal" } else { "anomaly" }
}
