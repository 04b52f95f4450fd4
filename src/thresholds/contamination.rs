//! Today's rule, as a method: the `(1 - contamination)` linear quantile of
//! the training scores (`detectors::threshold`), scores strictly above it
//! flagged (PyOD's `predict`).

use super::{Cut, Options, Scores, Threshold, ThresholdError};
use crate::detectors::quantile_threshold;

pub(super) fn fit(scores: &Scores<'_>, options: &Options) -> Result<Threshold, ThresholdError> {
    let value = quantile_threshold(scores.raw, 1.0 - options.contamination);
    Ok(Threshold {
        method: "contamination",
        value,
        normalised: scores.scale.normalise(value),
        scale: scores.scale,
        cut: Cut::Above,
        raw_space: true,
    })
}
