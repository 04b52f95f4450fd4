//! numpy's reductions as pythresh calls them (`np.mean`, `np.std`,
//! `np.median`, `np.percentile(method="midpoint")`), so that thresholds round
//! as they do there.

use crate::metrics::numeric::np_sum;

/// `np.mean`: numpy's pairwise sum divided by n.
pub(super) fn mean(x: &[f64]) -> f64 {
    np_sum(x) / x.len() as f64
}

/// `np.std` (ddof 0): the root of the mean squared deviation from the mean.
pub(super) fn std(x: &[f64]) -> f64 {
    let m = mean(x);
    let sq: Vec<f64> = x.iter().map(|&v| (v - m) * (v - m)).collect();
    (np_sum(&sq) / x.len() as f64).sqrt()
}

/// `x` sorted ascending (finite input).
pub(super) fn sorted(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// `np.median` of sorted `s`: the middle value, or the mean of the two.
pub(super) fn median_sorted(s: &[f64]) -> f64 {
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        // np.mean of the two middle values: their sum over 2
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// `np.percentile(s, q, method="midpoint")` of sorted `s`, `q` in [0, 100]:
/// the order statistic at `(n - 1) q / 100` when that is whole, else the
/// midpoint of its two neighbours (numpy's `_lerp` with `t = 0.5`).
pub(super) fn percentile_midpoint(s: &[f64], q: f64) -> f64 {
    let last = s.len() - 1;
    let virtual_index = last as f64 * (q / 100.0);
    let lo = (virtual_index.floor() as usize).min(last);
    if virtual_index == virtual_index.floor() {
        return s[lo];
    }
    let (a, b) = (s[lo], s[(lo + 1).min(last)]);
    b - (b - a) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midpoint_percentiles_match_numpy() {
        // np.percentile(a, [25, 75], method="midpoint")
        assert_eq!(percentile_midpoint(&[1.0, 2.0, 3.0, 4.0, 5.0], 25.0), 2.0);
        assert_eq!(percentile_midpoint(&[1.0, 2.0, 3.0, 4.0], 25.0), 1.5);
        assert_eq!(percentile_midpoint(&[1.0, 2.0, 3.0, 4.0], 75.0), 3.5);
        assert_eq!(
            percentile_midpoint(&[1., 2., 3., 4., 5., 6., 7.], 75.0),
            5.5
        );
        assert_eq!(percentile_midpoint(&[0.0, 10.0], 25.0), 5.0);
        assert_eq!(percentile_midpoint(&[3.0], 75.0), 3.0);
    }

    #[test]
    fn median_and_std() {
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0]), 2.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0, 5.0]), 3.0);
        assert_eq!(std(&[1.0, 3.0]), 1.0);
        assert_eq!(mean(&[1.0, 3.0]), 2.0);
    }
}
