//! The two-sample Kolmogorov–Smirnov test as `scipy.stats.ks_2samp(a, b)`
//! computes it with its defaults (two-sided, `method="auto"`): the exact
//! null distribution when both samples have at most [`MAX_EXACT_N`] values,
//! else the asymptotic one. The exact branch follows scipy's
//! `_attempt_exact_2kssamp`: D is rounded to a multiple of 1/lcm(n, m)
//! (which the returned statistic then is), equal sizes use the closed form
//! for the square lattice, unequal ones Hodges' inside method in
//! Viehmann's 1 − p recursion; a result outside [0, 1] falls back to the
//! asymptotic branch, as scipy does.

use super::kolmogorov::kolmogn_sf;

/// scipy's `MAX_AUTO_N`: the exact p-value is used when neither sample is
/// larger.
pub const MAX_EXACT_N: usize = 10_000;

/// D and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    pub statistic: f64,
    pub pvalue: f64,
}

/// The KS test of two finite, non-empty samples (any order).
pub fn ks_2samp(a: &[f64], b: &[f64]) -> KsResult {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    ks_2samp_sorted(&a, &b)
}

/// D = max(max(F_a − F_b), max(F_b − F_a)) over every value of either
/// sample, each ECDF as `searchsorted(side="right") / n`.
fn statistic(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let (mut max_s, mut min_s) = (f64::NEG_INFINITY, f64::INFINITY);
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        let diff = i as f64 / n1 - j as f64 / n2;
        max_s = max_s.max(diff);
        min_s = min_s.min(diff);
    }
    let min_s = (-min_s).clamp(0.0, 1.0);
    if min_s > max_s { min_s } else { max_s }
}

/// The KS test of two sorted, finite, non-empty samples.
pub(crate) fn ks_2samp_sorted(a: &[f64], b: &[f64]) -> KsResult {
    let (n1, n2) = (a.len(), b.len());
    let mut d = statistic(a, b);
    let mut prob = None;
    if n1.max(n2) <= MAX_EXACT_N {
        let (dd, p) = exact(n1 as u64, n2 as u64, d);
        d = dd;
        prob = p;
    }
    let prob = prob.unwrap_or_else(|| asymptotic(n1, n2, d));
    KsResult {
        statistic: d,
        pvalue: prob.clamp(0.0, 1.0),
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's `_attempt_exact_2kssamp` (two-sided): the rounded D, and the
/// p-value unless it left [0, 1].
fn exact(n1: u64, n2: u64, d: f64) -> (f64, Option<f64>) {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as u64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return (d, Some(1.0));
    }
    let prob = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        outer_prob_inside(n1, n2, g, h)
    };
    (d, (0.0..=1.0).contains(&prob).then_some(prob))
}

/// P(D_{n,n} ≥ h/n) by the alternating sum in Horner form (scipy's
/// `_compute_prob_outside_square`).
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0;
    let mut k = (n as f64 / h as f64).floor() as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The proportion of lattice paths from (0, 0) to (m, n) that leave the
/// band |x/m − y/n| < h/lcm (scipy's `_compute_outer_prob_inside_method`).
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (m, n, g, h) = (m as i64, n as i64, g as i64, h as i64);
    let mg = m / g;
    let ng = n / g;
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj as usize).skip(minj as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (((ng * i - h) as f64 / mg as f64).floor() as i64 + 1).max(0);
        minj = minj.min(n);
        maxj = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            val = (a[(jj + minj - lastminj) as usize] * i as f64 + val * j as f64) / (i + j) as f64;
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let from = (maxj - minj) as usize;
            let to = (from + (lastlen - curlen) as usize).min(a.len());
            for v in &mut a[from..to] {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// scipy's asymptotic two-sided p-value: the one-sample Kolmogorov
/// distribution's survival function at D with n = round(n1·n2/(n1+n2)).
fn asymptotic(n1: usize, n2: usize, d: f64) -> f64 {
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = m * n / (m + n);
    let n = en.round_ties_even() as u64;
    // kstwo's support is [0.5/n, 1]: sf is 1 below it and 0 at 1.
    if d <= 0.5 / n as f64 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values from scipy 1.17.1 `ks_2samp`.
    #[test]
    fn small_samples_use_the_exact_distribution() {
        // ks_2samp([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8])
        let r = ks_2samp(&[1.0, 2.0, 3.0, 4.0, 5.0], &[3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert_eq!(r.statistic, 0.5);
        assert!((r.pvalue - 0.35714285714285715).abs() < 1e-12, "{r:?}");
        // ks_2samp([1, 2, 3], [4, 5, 6]): equal sizes, the square lattice.
        let r = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
        assert_eq!(r.statistic, 1.0);
        assert!((r.pvalue - 0.1).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn identical_samples_have_p_one() {
        let v: Vec<f64> = (0..50).map(f64::from).collect();
        let r = ks_2samp(&v, &v);
        assert_eq!((r.statistic, r.pvalue), (0.0, 1.0));
    }
}
