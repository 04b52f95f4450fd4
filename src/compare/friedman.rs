//! Average ranks and the Friedman test with the Iman–Davenport correction
//! (Demšar 2006, section 3.2.2), as `scipy.stats.friedmanchisquare` and
//! `scipy.stats.rankdata` compute them.

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor};

/// Mid-ranks of one row, rank 1 = best (the largest value when higher is
/// better), tied values sharing the mean of the ranks they span; and the
/// row's tie term Σ t(t² − 1) over its groups of t tied values.
pub(super) fn rank_row(row: &[f64], higher_is_better: bool) -> (Vec<f64>, f64) {
    let mut order: Vec<usize> = (0..row.len()).collect();
    // best first; the values are finite (checked when the matrix is built)
    order.sort_by(|&a, &b| {
        let o = row[a].total_cmp(&row[b]);
        if higher_is_better { o.reverse() } else { o }
    });
    let mut ranks = vec![0.0; row.len()];
    let mut ties = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && row[order[end]] == row[order[start]] {
            end += 1;
        }
        let t = (end - start) as f64;
        // positions start..end hold ranks start+1 ..= end
        let mid = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mid;
        }
        ties += t * (t * t - 1.0);
        start = end;
    }
    (ranks, ties)
}

/// The Friedman and Iman–Davenport statistics of an N × k matrix.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FriedmanResult {
    pub average_ranks: Vec<f64>,
    pub chi2: f64,
    pub chi2_p: f64,
    pub f: f64,
    pub f_df: (f64, f64),
    pub f_p: f64,
}

/// Friedman's χ² with scipy's tie correction, χ² = (12 / (N k (k+1)) Σ_j
/// R_j² − 3 N (k+1)) / C with R_j the rank sums and C = 1 − Σ t(t² − 1) /
/// (N k (k² − 1)); its p-value from χ²(k − 1). Iman and Davenport's F =
/// (N − 1) χ² / (N (k − 1) − χ²) with p from F(k − 1, (k − 1)(N − 1)).
///
/// Two cases scipy leaves undefined get a value here: when every row is
/// entirely tied (C = 0, scipy's NaN) both statistics are 0 and both
/// p-values 1 (nothing distinguishes the models); when the rankings agree
/// perfectly (χ² = N (k − 1)) F is +∞ and its p-value 0.
/// Needs N ≥ 2 and k ≥ 2 (checked by the caller).
pub(super) fn friedman(values: &[Vec<f64>], higher_is_better: bool) -> FriedmanResult {
    let n = values.len();
    let k = values.first().map_or(0, Vec::len);
    let (nf, kf) = (n as f64, k as f64);
    let mut sums = vec![0.0; k];
    let mut ties = 0.0;
    for row in values {
        let (r, t) = rank_row(row, higher_is_better);
        for (s, v) in sums.iter_mut().zip(r) {
            *s += v;
        }
        ties += t;
    }
    let average_ranks = sums.iter().map(|s| s / nf).collect();
    let c = 1.0 - ties / (kf * (kf * kf - 1.0) * nf);
    let ssbn: f64 = sums.iter().map(|s| s * s).sum();
    let df1 = kf - 1.0;
    let df2 = (kf - 1.0) * (nf - 1.0);
    let (chi2, chi2_p, f, f_p);
    if c <= 0.0 {
        (chi2, chi2_p, f, f_p) = (0.0, 1.0, 0.0, 1.0);
    } else {
        chi2 = ((12.0 / (kf * nf * (kf + 1.0)) * ssbn - 3.0 * nf * (kf + 1.0)) / c).max(0.0);
        chi2_p = ChiSquared::new(df1).map_or(f64::NAN, |d| d.sf(chi2));
        let denom = nf * (kf - 1.0) - chi2;
        if denom <= 0.0 {
            (f, f_p) = (f64::INFINITY, 0.0);
        } else {
            f = (nf - 1.0) * chi2 / denom;
            f_p = FisherSnedecor::new(df1, df2).map_or(f64::NAN, |d| d.sf(f));
        }
    }
    FriedmanResult {
        average_ranks,
        chi2,
        chi2_p,
        f,
        f_df: (df1, df2),
        f_p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_mid_rank_and_best_is_rank_one() {
        let (r, t) = rank_row(&[0.9, 0.7, 0.9, 0.5], true);
        assert_eq!(r, vec![1.5, 3.0, 1.5, 4.0]);
        assert_eq!(t, 6.0);
        let (r, _) = rank_row(&[0.9, 0.7, 0.9, 0.5], false);
        assert_eq!(r, vec![3.5, 2.0, 3.5, 1.0]);
    }

    #[test]
    fn all_equal_rows_give_no_evidence() {
        let v = vec![vec![0.5, 0.5, 0.5]; 4];
        let f = friedman(&v, true);
        assert_eq!(f.average_ranks, vec![2.0; 3]);
        assert_eq!((f.chi2, f.chi2_p, f.f, f.f_p), (0.0, 1.0, 0.0, 1.0));
    }

    #[test]
    fn perfect_agreement_gives_an_infinite_f() {
        let v = vec![vec![0.9, 0.8, 0.7]; 5];
        let f = friedman(&v, true);
        assert_eq!(f.average_ranks, vec![1.0, 2.0, 3.0]);
        assert!((f.chi2 - 10.0).abs() < 1e-12, "{}", f.chi2);
        assert_eq!((f.f, f.f_p), (f64::INFINITY, 0.0));
        assert!(f.chi2_p > 0.0 && f.chi2_p < 0.01);
    }
}
