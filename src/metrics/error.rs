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
    /// A VUS buffer beyond [`crate::metrics::VUS_MAX_WINDOW_FACTOR`] times
    /// the series length: past twice the length a buffer covers the whole
    /// series, and the cost grows with the window (a huge one would never
    /// finish).
    #[error(
        "VUS sliding window {window} is more than {} times the series length ({n} points)",
        crate::metrics::VUS_MAX_WINDOW_FACTOR
    )]
    VusWindow { window: usize, n: usize },
    /// NAB scores must lie in [0, 1] (NAB's detectors refuse anything
    /// else); `series` and `index` locate the first offender.
    #[error("NAB needs anomaly scores in [0, 1]: series {series}, row {index} has {value}")]
    NabScoreRange {
        series: usize,
        index: usize,
        value: f64,
    },
    /// A NAB label window (inclusive rows `start..=end`) is reversed or
    /// ends past the last of the series' `len` rows.
    #[error(
        "NAB window {window} of series {series} (rows {start}..={end}) is reversed or ends past the series' {len} rows"
    )]
    NabWindowRange {
        series: usize,
        window: usize,
        start: usize,
        end: usize,
        len: usize,
    },
    /// NAB label windows must be in time order and disjoint: window
    /// `window` starts at or before `previous_end`, the last row of the
    /// window before it.
    #[error(
        "NAB windows must be in order and disjoint: window {window} of series {series} starts at row {start}, not after row {previous_end} where the previous window ends"
    )]
    NabWindowOrder {
        series: usize,
        window: usize,
        start: usize,
        previous_end: usize,
    },
    /// A NAB detection threshold is NaN.
    #[error("NAB threshold is NaN")]
    NabThreshold,
    /// A NAB profile name that `config/profiles.json` does not define.
    #[error(
        "unknown NAB profile {name:?} (known: standard, reward_low_FP_rate, reward_low_FN_rate)"
    )]
    NabUnknownProfile { name: String },
}

fn class_name(label: u8) -> &'static str {
    if label == 0 { "normal" } else { "anomaly" }
}
