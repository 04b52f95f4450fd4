//! The chi-square distribution functions FastMCD's consistency factors and
//! reweighting cut-off need (scipy's `chi2.cdf` and `chi2.ppf`), from the
//! regularised incomplete gamma function. Written here rather than adding a
//! statistics crate for three functions; checked against scipy in
//! `tests/mcd_parity.rs` (fixture `tests/fixtures/mcd/reference.json`).

// libm's pure-Rust log/exp/sin, not the platform's: glibc picks CPU-specific
// variants (FMA or not) at run time, which may differ in the last bit, and
// these values feed FastMCD's cut-offs (the same bits on every CPU).
use libm::{exp, log, sin};

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return log(pi / sin(pi * x)) - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * log(2.0 * std::f64::consts::PI) + (x + 0.5) * log(t) - t + log(a)
}

/// Regularised incomplete gamma functions (P(a, x), Q(a, x)) for a > 0,
/// x >= 0: the series for x < a + 1, Lentz's continued fraction otherwise.
pub(crate) fn gamma_pq(a: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    let front = exp(-x + a * log(x) - ln_gamma(a));
    if x < a + 1.0 {
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        let p = (sum * front).min(1.0);
        (p, 1.0 - p)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        let q = (front * h).min(1.0);
        (1.0 - q, q)
    }
}

/// scipy's `chi2.cdf(x, df)`.
pub(crate) fn chi2_cdf(x: f64, df: f64) -> f64 {
    gamma_pq(0.5 * df, 0.5 * x).0
}

/// scipy's `chi2.ppf(p, df)` for p in (0, 1): Newton's method on the CDF
/// (the survival function above the median, for accuracy near 1), kept
/// inside a bracket that bisection falls back to.
pub(crate) fn chi2_ppf(p: f64, df: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let a = 0.5 * df;
    let upper = p > 0.5;
    // f(x) increasing in x, zero at the quantile.
    let f = |x: f64| {
        let (lo, hi) = gamma_pq(a, 0.5 * x);
        if upper { (1.0 - p) - hi } else { lo - p }
    };
    let pdf = |x: f64| exp((a - 1.0) * log(0.5 * x) - 0.5 * x - ln_gamma(a)) * 0.5;
    let (mut lo, mut hi) = (0.0, df.max(1.0));
    while f(hi) < 0.0 {
        lo = hi;
        hi *= 2.0;
    }
    let mut x = 0.5 * (lo + hi);
    for _ in 0..500 {
        let fx = f(x);
        if fx == 0.0 {
            return x;
        }
        if fx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let step = fx / pdf(x);
        let mut next = x - step;
        if !step.is_finite() || next <= lo || next >= hi {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 1e-15 * x.abs() || hi - lo <= 1e-15 * hi {
            return next;
        }
        x = next;
    }
    x
}

/// scikit-learn's `_consistency_factor(n_features, alpha)`:
/// `alpha / chi2.cdf(chi2.ppf(alpha, d), d + 2)` (Croux & Haesbroeck 1999,
/// Pison et al. 2002).
pub(crate) fn consistency_factor(n_features: usize, alpha: f64) -> f64 {
    let d = n_features as f64;
    alpha / chi2_cdf(chi2_ppf(alpha, d), d + 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // scipy.stats.chi2: ppf(0.975, 1) = 5.023886187314888,
        // ppf(0.975, 2) = 7.377758908227871, cdf(1, 2) = 1 − e^{−1/2}.
        assert!((chi2_ppf(0.975, 1.0) - 5.023886187314888).abs() < 1e-12);
        assert!((chi2_ppf(0.975, 2.0) - 7.377758908227871).abs() < 1e-12);
        assert!((chi2_cdf(1.0, 2.0) - (1.0 - (-0.5f64).exp())).abs() < 1e-15);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    }
}
