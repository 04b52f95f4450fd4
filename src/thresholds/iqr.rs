//! pythresh's IQR: `Q3 + 1.5 (Q3 - Q1)` of the normalised scores, quartiles
//! by numpy's `midpoint` percentile.

use super::stats::{percentile_midpoint, sorted};
use super::{Cut, Options, Scores, Threshold, ThresholdError};

pub(super) fn fit(scores: &Scores<'_>, _: &Options) -> Result<Threshold, ThresholdError> {
    let s = sorted(&scores.normalised);
    let p1 = percentile_midpoint(&s, 25.0);
    let p3 = percentile_midpoint(&s, 75.0);
    let limit = p3 + 1.5 * (p3 - p1).abs();
    Ok(Threshold::normalised(
        "iqr",
        scores,
        limit,
        scores.scale.denormalise(limit),
        Cut::AtLeast,
    ))
}
