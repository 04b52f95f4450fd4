//! pythresh's ZSCORE: every score whose z-score `(x - mean) / std` is at
//! least 1 is an outlier; the threshold is the smallest of them.

use super::stats::{mean, std};
use super::{Cut, Options, Scores, Threshold, ThresholdError};

pub(super) fn fit(scores: &Scores<'_>, _: &Options) -> Result<Threshold, ThresholdError> {
    let z = &scores.normalised;
    let (m, s) = (mean(z), std(z));
    // the smallest normalised score with a z-score >= 1, and its raw score
    let mut best: Option<(f64, f64)> = None;
    for (&v, &raw) in z.iter().zip(scores.raw.iter()) {
        if (v - m) / s >= 1.0 && best.is_none_or(|(b, _)| v < b) {
            best = Some((v, raw));
        }
    }
    // A non-constant vector always has a point at least one std above its
    // mean, but rounding could in principle leave none.
    let (limit, raw) = best.ok_or_else(|| ThresholdError::CannotFit {
        method: "zscore",
        message: "no score has a z-score of at least 1".into(),
    })?;
    Ok(Threshold::normalised(
        "zscore",
        scores,
        limit,
        raw,
        Cut::AtLeast,
    ))
}
