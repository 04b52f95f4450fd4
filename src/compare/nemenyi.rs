//! The Nemenyi post-hoc test (Demšar 2006, section 3.2.2): the critical
//! difference of average ranks and the pairwise p-values, from the
//! studentized range distribution with infinite degrees of freedom,
//! computed here by numerical integration rather than read from a table;
//! and the groups of models the critical difference does not separate.
//!
//! The range of k independent standard normals has the distribution
//! P(R ≤ q) = k ∫ φ(z) (Φ(z + q) − Φ(z))^(k−1) dz, integrated with 20-point
//! Gauss–Legendre rules on panels of width 1/2 over z ∈ [−10, 10] (φ is
//! below 1e-21 outside it; the integrand is smooth, so the rule is exact to
//! rounding). q_α = (the 1 − α quantile of R) / √2, found by bisection; it
//! reproduces Demšar's table (k = 2…10, α = 0.05 and 0.10) to its three
//! decimals (the table truncates: 2.3437 is printed 2.343) and
//! `scipy.stats.studentized_range` to 1e-10. Φ comes from `libm::erfc`
//! (statrs' erfc is off by ~1e-10 relative).

use std::sync::OnceLock;

use libm::erfc;

const GL_POINTS: usize = 20;
const PANEL: f64 = 0.5;
const Z_MAX: f64 = 10.0;

/// Nodes and weights of the Gauss–Legendre rule on [−1, 1] (Newton's
/// iteration on the Legendre polynomial, from Chebyshev starting points).
fn gauss_legendre() -> &'static [(f64, f64)] {
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = GL_POINTS;
        let mut rule = Vec::with_capacity(n);
        for i in 0..n {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                // P_n(x) and P_n'(x) by the three-term recurrence
                let (mut p0, mut p1) = (1.0, x);
                for j in 2..=n {
                    let jf = j as f64;
                    let p2 = ((2.0 * jf - 1.0) * x * p1 - (jf - 1.0) * p0) / jf;
                    p0 = p1;
                    p1 = p2;
                }
                dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            rule.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
        }
        rule
    })
}

fn phi(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Φ(b) − Φ(a) for a ≤ b, from whichever tails lose no precision.
fn normal_mass(a: f64, b: f64) -> f64 {
    let s = std::f64::consts::SQRT_2;
    if a + b >= 0.0 {
        0.5 * (erfc(a / s) - erfc(b / s))
    } else {
        0.5 * (erfc(-b / s) - erfc(-a / s))
    }
}

/// P(R ≤ q) for the range R of k standard normals (df = ∞).
pub fn range_cdf(q: f64, k: usize) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    if !q.is_finite() {
        return 1.0;
    }
    let rule = gauss_legendre();
    let panels = (2.0 * Z_MAX / PANEL) as usize;
    let mut total = 0.0;
    for p in 0..panels {
        let lo = -Z_MAX + p as f64 * PANEL;
        let mid = lo + PANEL / 2.0;
        for &(x, w) in rule {
            let z = mid + x * PANEL / 2.0;
            total += w * phi(z) * normal_mass(z, z + q).powi(k as i32 - 1);
        }
    }
    (k as f64 * total * PANEL / 2.0).clamp(0.0, 1.0)
}

/// P(R > q): `scipy.stats.studentized_range.sf(q, k, inf)`.
pub fn range_sf(q: f64, k: usize) -> f64 {
    1.0 - range_cdf(q, k)
}

/// q_α = (the 1 − α quantile of the range of k standard normals) / √2,
/// Demšar's table value.
pub fn q_alpha(alpha: f64, k: usize) -> f64 {
    let target = 1.0 - alpha;
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while range_cdf(hi, k) < target {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if range_cdf(mid, k) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi) / std::f64::consts::SQRT_2
}

/// The standard error of a difference of average ranks, √(k(k+1)/(6N)).
fn rank_se(k: usize, n: usize) -> f64 {
    let k = k as f64;
    (k * (k + 1.0) / (6.0 * n as f64)).sqrt()
}

/// The critical difference q_α √(k(k+1)/(6N)).
pub fn critical_difference(alpha: f64, k: usize, n: usize) -> f64 {
    q_alpha(alpha, k) * rank_se(k, n)
}

/// The Nemenyi p-value of two average ranks, as scikit-posthocs'
/// `posthoc_nemenyi_friedman`: the studentized range survival function at
/// |R_a − R_b| / √(k(k+1)/(6N)) · √2.
pub fn pair_p(ra: f64, rb: f64, k: usize, n: usize) -> f64 {
    range_sf(
        (ra - rb).abs() / rank_se(k, n) * std::f64::consts::SQRT_2,
        k,
    )
}

/// The cliques of the CD diagram: with the models sorted by average rank
/// (best first; `order` gives their indices), each maximal run of
/// consecutive models whose extreme ranks differ by at most `cd`, left out
/// when a previous run already reaches as far (Demšar's bars; autorank's
/// `get_sorted_rank_groups`). Single models form no group.
pub fn groups(order: &[usize], ranks: &[f64], cd: f64) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut reach: Option<usize> = None;
    for i in 0..order.len() {
        let last = (i + 1..order.len())
            .filter(|&j| (ranks[order[i]] - ranks[order[j]]).abs() <= cd)
            .max();
        if let Some(j) = last
            && reach.is_none_or(|r| j > r)
        {
            reach = Some(j);
            out.push(order[i..=j].to_vec());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Demšar (2006), table 5(a) and 5(b): q_α for k = 2…10.
    const DEMSAR_005: [f64; 9] = [
        1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164,
    ];
    const DEMSAR_010: [f64; 9] = [
        1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920,
    ];

    #[test]
    fn q_alpha_matches_demsars_table() {
        for (i, k) in (2..=10).enumerate() {
            for (alpha, table) in [(0.05, DEMSAR_005), (0.10, DEMSAR_010)] {
                let q = q_alpha(alpha, k);
                assert!(
                    (q - table[i]).abs() < 1e-3,
                    "k={k} alpha={alpha}: {q} vs {}",
                    table[i]
                );
            }
        }
    }

    #[test]
    fn two_models_reduce_to_the_normal_quantile() {
        // the range of two normals is √2 |Z|
        assert!((q_alpha(0.05, 2) - 1.959_963_984_540_054).abs() < 1e-12);
    }

    #[test]
    fn distribution_is_monotone_and_bounded() {
        let mut prev = 0.0;
        for i in 0..60 {
            let c = range_cdf(i as f64 * 0.2, 5);
            assert!((0.0..=1.0).contains(&c) && c >= prev);
            prev = c;
        }
        assert!((range_cdf(12.0, 5) - 1.0).abs() < 1e-15);
        assert_eq!(range_sf(0.0, 5), 1.0);
    }

    #[test]
    fn groups_are_maximal_runs_within_the_cd() {
        let ranks = [1.0, 1.5, 2.4, 3.5, 3.6];
        let order = [0, 1, 2, 3, 4];
        assert_eq!(
            groups(&order, &ranks, 1.0),
            vec![vec![0, 1], vec![1, 2], vec![3, 4]]
        );
        // [1, 2] reaches no further than [0, 1, 2]: not repeated
        assert_eq!(
            groups(&order, &ranks, 1.5),
            vec![vec![0, 1, 2], vec![2, 3, 4]]
        );
        assert_eq!(groups(&order, &ranks, 0.2), vec![vec![3, 4]]);
        assert_eq!(groups(&order, &ranks, 5.0), vec![vec![0, 1, 2, 3, 4]]);
        assert!(groups(&order, &ranks, 0.05).is_empty());
    }
}
