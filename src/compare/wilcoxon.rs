//! The Wilcoxon signed-rank test of two models over the datasets, exactly
//! as `scipy.stats.wilcoxon(x, y)` with its defaults (scipy 1.17:
//! zero_method='wilcox', correction=False, two-sided, method='auto'), and
//! Holm's step-down adjustment of a family of p-values (statsmodels'
//! `multipletests(method='holm')`).
//!
//! scipy's 'auto' picks one of three computations, and so does this file:
//!
//! * more than 50 differences (zeros included): the normal approximation;
//! * otherwise, no zero difference and no tied |difference|: the exact null
//!   distribution of the positive rank sum;
//! * otherwise up to 13 differences: scipy's exact permutation test (every
//!   sign assignment of the differences; zeros contribute nothing);
//! * otherwise the normal approximation.
//!
//! Zero differences are dropped before ranking (Wilcoxon's rule), ties get
//! mid-ranks, and the normal approximation's variance has the tie term.
//! One case is defined here where scipy gives NaN for more than 13
//! differences: when every difference is zero the p-value is 1.

use libm::erfc;
use serde::Serialize;

/// Which computation gave a Wilcoxon p-value (scipy's 'auto' choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WilcoxonMethod {
    Exact,
    Permutation,
    Asymptotic,
    /// Every difference is zero: p = 1.
    AllZero,
}

impl WilcoxonMethod {
    pub fn name(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Permutation => "permutation",
            Self::Asymptotic => "asymptotic",
            Self::AllZero => "all_zero",
        }
    }
}

/// The test's outcome: min(R+, R−), the two-sided p-value, the method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    pub statistic: f64,
    pub p: f64,
    pub method: WilcoxonMethod,
}

/// Above this many differences scipy always uses the normal approximation.
const EXACT_MAX: usize = 50;
/// Up to this many, scipy enumerates every sign assignment when there are
/// zeros or ties (2^13 < its 9,999 resamples).
const PERMUTATION_MAX: usize = 13;

/// The signed-rank test of the paired samples `x` and `y` (same length).
pub fn wilcoxon(x: &[f64], y: &[f64]) -> Wilcoxon {
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let n = d.len();
    let mut nonzero: Vec<f64> = d.iter().copied().filter(|v| *v != 0.0).collect();
    let m = nonzero.len();
    if m == 0 {
        return Wilcoxon {
            statistic: 0.0,
            p: 1.0,
            method: WilcoxonMethod::AllZero,
        };
    }
    // mid-ranks of |d| among the non-zero differences, doubled so they are
    // integers (a sum of ranks is then exact)
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let mut ranks2 = vec![0u64; m];
    let mut tie_term = 0.0;
    let mut has_ties = false;
    let mut start = 0;
    while start < m {
        let mut end = start + 1;
        while end < m && nonzero[end].abs() == nonzero[start].abs() {
            end += 1;
        }
        let t = (end - start) as f64;
        has_ties |= end - start > 1;
        tie_term += t * t * t - t;
        for r in &mut ranks2[start..end] {
            *r = (start + 1 + end) as u64; // 2 × mid-rank
        }
        start = end;
    }
    let plus2: u64 = (0..m)
        .filter(|&i| nonzero[i] > 0.0)
        .map(|i| ranks2[i])
        .sum();
    let total2 = (m * (m + 1)) as u64;
    let minus2 = total2 - plus2;
    let statistic = plus2.min(minus2) as f64 / 2.0;
    let zeros = n - m;
    let method = if n > EXACT_MAX {
        WilcoxonMethod::Asymptotic
    } else if !has_ties && zeros == 0 {
        WilcoxonMethod::Exact
    } else if n <= PERMUTATION_MAX {
        WilcoxonMethod::Permutation
    } else {
        WilcoxonMethod::Asymptotic
    };
    let p = match method {
        WilcoxonMethod::Exact => exact_p(m, plus2 / 2),
        WilcoxonMethod::Permutation => permutation_p(&ranks2, plus2),
        _ => {
            let mf = m as f64;
            let mean = mf * (mf + 1.0) * 0.25;
            let se = ((mf * (mf + 1.0) * (2.0 * mf + 1.0) - tie_term / 2.0) / 24.0).sqrt();
            let z = (plus2 as f64 / 2.0 - mean) / se;
            erfc(z.abs() / std::f64::consts::SQRT_2)
        }
    };
    Wilcoxon {
        statistic,
        p: p.min(1.0),
        method,
    }
}

/// Two-sided p-value of a positive rank sum `r` of `m` untied, non-zero
/// differences under the exact null distribution (every subset of 1..=m
/// equally likely): 2 min(P(T ≥ r), P(T ≤ r)).
fn exact_p(m: usize, r: u64) -> f64 {
    let max = m * (m + 1) / 2;
    // counts[s] = number of subsets of {1..m} summing to s (≤ 2^50: fits)
    let mut counts = vec![0u64; max + 1];
    counts[0] = 1;
    for i in 1..=m {
        for s in (i..=max).rev() {
            counts[s] += counts[s - i];
        }
    }
    let r = r as usize;
    let le: u64 = counts[..=r.min(max)].iter().sum();
    let ge: u64 = counts[r.min(max + 1)..].iter().sum();
    let total = 2f64.powi(m as i32);
    (2.0 * le.min(ge) as f64 / total).min(1.0)
}

/// scipy's exact permutation test: the observed doubled rank sum against
/// its value under every sign assignment of the ranked differences.
fn permutation_p(ranks2: &[u64], observed: u64) -> f64 {
    let m = ranks2.len();
    let (mut le, mut ge) = (0u64, 0u64);
    for mask in 0u32..(1u32 << m) {
        let s: u64 = (0..m)
            .filter(|&i| mask & (1 << i) != 0)
            .map(|i| ranks2[i])
            .sum();
        le += u64::from(s <= observed);
        ge += u64::from(s >= observed);
    }
    (2.0 * le.min(ge) as f64 / f64::from(1u32 << m)).min(1.0)
}

/// Holm's step-down adjustment: with the p-values sorted ascending,
/// p̃_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j)); returned in input order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max((m - rank) as f64 * p[i]);
        out[i] = running.min(1.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_distribution_small_case() {
        // n = 5, all positive: R+ = 15, P(T >= 15) = 1/32, two-sided 1/16
        let w = wilcoxon(&[1.0, 2.0, 3.0, 4.0, 5.0], &[0.0; 5]);
        assert_eq!(w.method, WilcoxonMethod::Exact);
        assert_eq!(w.statistic, 0.0);
        assert!((w.p - 0.0625).abs() < 1e-15);
    }

    #[test]
    fn zeros_are_dropped_and_ties_switch_method() {
        let w = wilcoxon(&[1.0, 2.0, 3.0, 0.0], &[0.0, 0.0, 0.0, 0.0]);
        assert_eq!(w.method, WilcoxonMethod::Permutation);
        // three positive of three non-zero: 1 of 8 sign patterns each side
        assert!((w.p - 0.25).abs() < 1e-15);
        let w = wilcoxon(&[0.5; 60], &[0.5; 60]);
        assert_eq!((w.p, w.method), (1.0, WilcoxonMethod::AllZero));
    }

    #[test]
    fn swapping_the_samples_keeps_the_p_value() {
        let x = [0.8, 0.7, 0.91, 0.6, 0.55, 0.72, 0.9, 0.61];
        let y = [0.75, 0.71, 0.85, 0.5, 0.55, 0.7, 0.8, 0.62];
        let (a, b) = (wilcoxon(&x, &y), wilcoxon(&y, &x));
        assert_eq!(a, b);
    }

    #[test]
    fn holm_steps_down_and_stays_monotone() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.5]);
        assert_eq!(adj, vec![0.04, 0.09, 0.09, 0.5]);
        assert_eq!(holm(&[0.6, 0.7]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }
}
