//! The default decision threshold: the `(1 - contamination)` quantile of the
//! training scores, with linear interpolation (numpy's default, which PyOD's
//! `percentile(decision_scores_, 100 * (1 - contamination))` uses).

use ndarray::ArrayView1;

pub const DEFAULT_CONTAMINATION: f64 = 0.1;

/// Linear-interpolated quantile `q` in [0, 1] of `scores` (numpy "linear").
/// Returns NaN for an empty slice.
pub fn quantile_threshold(scores: ArrayView1<'_, f64>, q: f64) -> f64 {
    let mut v: Vec<f64> = scores.iter().copied().collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    v[lo] + (v[hi] - v[lo]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn matches_numpy_linear_percentile() {
        // numpy.percentile([1, 2, 3, 4, 10], 90) == 7.6
        let s = array![3.0, 1.0, 10.0, 2.0, 4.0];
        assert!((quantile_threshold(s.view(), 0.9) - 7.6).abs() < 1e-12);
        assert_eq!(quantile_threshold(s.view(), 0.0), 1.0);
        assert_eq!(quantile_threshold(s.view(), 1.0), 10.0);
    }
}
