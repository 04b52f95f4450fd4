//! pythresh's MAD: `mean + median(|x - median(x)|) / std(x)` of the
//! normalised scores (`scipy.stats.median_abs_deviation(x, scale=np.std(x))`,
//! factor 1).

use super::stats::{mean, median_sorted, sorted, std};
use super::{Cut, Options, Scores, Threshold, ThresholdError};

pub(super) fn fit(scores: &Scores<'_>, _: &Options) -> Result<Threshold, ThresholdError> {
    let z = &scores.normalised;
    let med = median_sorted(&sorted(z));
    let dev: Vec<f64> = z.iter().map(|&v| (v - med).abs()).collect();
    let mad = median_sorted(&sorted(&dev)) / std(z);
    let limit = mean(z) + mad;
    Ok(Threshold::normalised(
        "mad",
        scores,
        limit,
        scores.scale.denormalise(limit),
        Cut::AtLeast,
    ))
}
