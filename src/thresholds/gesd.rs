//! pythresh's GESD: Rosner's generalised extreme studentized deviate test.
//!
//! pythresh removes, `n / 2` times, the score farthest from the mean of the
//! remaining ones; whenever its Grubbs statistic `max |x - mean| / std`
//! exceeds the critical value `(m - 1) t / sqrt(m (m - 2 + t²))`, `t` the
//! `1 - alpha / (2m)` quantile of Student's t with `m - 2` degrees of freedom
//! (`m` the number remaining, alpha 0.05), and the score is below the current
//! limit, the limit becomes that score. The limit starts at `1 + eps` (above
//! every normalised score: nothing flagged).
//!
//! The farthest score is always the smallest or the largest remaining one, so
//! anml sorts once and walks two ends, with the remaining mean and variance
//! from prefix sums of the centred scores: O(n log n) instead of pythresh's
//! O(n²), equal up to rounding. The one case that can differ is an exact tie
//! between the two ends' deviations, which pythresh breaks by position in the
//! score vector and anml towards the larger score.

use super::{Cut, Options, Scores, Threshold, ThresholdError};
use statrs::distribution::{ContinuousCDF, StudentsT};

const ALPHA: f64 = 0.05;

/// pythresh's `_calc_crit(size, alpha)`; NaN where t is undefined (m <= 2).
fn critical_value(m: usize, alpha: f64) -> f64 {
    let m = m as f64;
    let Ok(t) = StudentsT::new(0.0, 1.0, m - 2.0) else {
        return f64::NAN;
    };
    let t = t.inverse_cdf(1.0 - alpha / (2.0 * m));
    (m - 1.0) * (t * t).sqrt() / (m.sqrt() * (m - 2.0 + t * t).sqrt())
}

pub(super) fn fit(scores: &Scores<'_>, _: &Options) -> Result<Threshold, ThresholdError> {
    let z = &scores.normalised;
    let n = z.len();
    let mut s = z.clone();
    s.sort_by(f64::total_cmp);
    let centre = super::stats::mean(&s);
    // prefix sums of the centred scores and of their squares
    let mut p1 = vec![0.0; n + 1];
    let mut p2 = vec![0.0; n + 1];
    for (i, &v) in s.iter().enumerate() {
        let c = v - centre;
        p1[i + 1] = p1[i] + c;
        p2[i + 1] = p2[i] + c * c;
    }
    let (mut lo, mut hi) = (0usize, n); // remaining: s[lo..hi]
    let mut limit = 1.0 + f64::EPSILON;
    for _ in 0..n / 2 {
        let m = hi - lo;
        let mf = m as f64;
        let sum_c = p1[hi] - p1[lo];
        let mean_c = sum_c / mf;
        let var = ((p2[hi] - p2[lo]) / mf - mean_c * mean_c).max(0.0);
        let mean = centre + mean_c;
        let (d_lo, d_hi) = ((s[lo] - mean).abs(), (s[hi - 1] - mean).abs());
        let take_hi = d_hi >= d_lo;
        let (dev, value) = if take_hi {
            (d_hi, s[hi - 1])
        } else {
            (d_lo, s[lo])
        };
        let gs = dev / var.sqrt();
        let gc = critical_value(m, ALPHA);
        if gs > gc && value < limit {
            limit = value;
        }
        if take_hi {
            hi -= 1;
        } else {
            lo += 1;
        }
    }
    let raw = if limit > 1.0 {
        scores.scale.denormalise(limit)
    } else {
        scores.raw_at(limit)
    };
    Ok(Threshold::normalised(
        "gesd",
        scores,
        limit,
        raw,
        Cut::AtLeast,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_values_match_scipy() {
        // pythresh GESD._calc_crit(size, 0.05) with scipy 1.17
        assert!((critical_value(10, 0.05) - 2.289_954_084_479_603).abs() < 1e-9);
        assert!((critical_value(100, 0.05) - 3.384_082_901_154_917).abs() < 1e-9);
        assert!(critical_value(2, 0.05).is_nan());
    }
}
