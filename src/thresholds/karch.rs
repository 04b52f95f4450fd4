//! pythresh's KARCH (method `complex`): the Euclidean Karcher (Fréchet)
//! mean of the outer product of the scores' Gaussian KDE with the sorted
//! scores, plus the scores' standard deviation.
//!
//! pythresh evaluates `scipy.stats.gaussian_kde` (Scott's bandwidth) of the
//! normalised scores on `min(n, 5000)` evenly spaced points of [0, 1],
//! upsamples to `n` points with `interp1d(kind="cubic")` (a not-a-knot cubic
//! spline) when `n > 5000`, forms the `n × n` matrix `kde_i · sorted_j` and
//! takes the mean of its column means. That mean is `mean(kde) · mean(z)`,
//! which anml computes directly: the same value without the `n × n` matrix
//! (pythresh itself falls back to `mean(z)` when that matrix does not fit in
//! memory; anml never does, so its threshold does not depend on the memory).

use super::otsu::linspace;
use super::stats::{mean, std};
use super::{Cut, Options, Scores, Threshold, ThresholdError};
use rayon::prelude::*;

/// pythresh's `gen_kde` grid limit.
const KDE_GRID: usize = 5000;

/// Grid points a kernel reaches, in bandwidths: beyond 12 bandwidths a term
/// is below `exp(-72)` ≈ 5e-32 of the kernel's peak, so leaving it out moves
/// a density by less than `n · 5e-32` of its largest term.
const CUTOFF_BANDWIDTHS: f64 = 12.0;
/// Terms computed by the recurrence between two direct `exp` evaluations:
/// the recurrence's relative error grows as `steps² / 2` ulp, so at most
/// ~512 ulp (1e-13) here.
const RESTART: usize = 32;
/// Data points per parallel block; partial densities are added in block
/// order, so the result does not depend on the thread count.
const BLOCK: usize = 4096;

/// Scott's bandwidth `σ = n^(-1/5) · sd(data)` (scipy's `gaussian_kde`
/// covariance with uniform weights, `ddof = 1`).
fn scott_bandwidth(data: &[f64]) -> f64 {
    let n = data.len() as f64;
    let w = 1.0 / n;
    let avg = mean(data);
    let ss: f64 = data.iter().map(|&x| (x - avg) * (x - avg) * w).sum();
    // np.cov(aweights=w, ddof=1): divided by sum(w) - sum(w^2) / sum(w)
    let var = ss / (1.0 - n * w * w);
    var.sqrt() * n.powf(-1.0 / 5.0)
}

/// `scipy.stats.gaussian_kde(data)` (Scott's bandwidth, uniform weights)
/// evaluated on the evenly spaced `grid` (`linspace`).
///
/// scipy sums `n` Gaussian terms at each of the `m` points: `n · m` calls of
/// `exp`, 14 s for 370 000 scores on the 5000-point grid. Here each data
/// point adds its terms to the grid points within [`CUTOFF_BANDWIDTHS`] of
/// it, and consecutive terms come from a recurrence instead of `exp`: with
/// `d_g = (p_g - x) / σ` and the grid step `h` in bandwidths, `t_{g+1} =
/// t_g · r_g` and `r_{g+1} = r_g · exp(-h²)`, where `r_g = exp(-(2 d_g h +
/// h²) / 2)`; a direct `exp` restarts it every [`RESTART`] terms. The
/// densities agree with scipy's to ~1e-13 relative (tested against the
/// direct sum), far inside the 1e-9 the pythresh parity allows.
fn gaussian_kde(data: &[f64], grid: &[f64]) -> Vec<f64> {
    let m = grid.len();
    let sigma = scott_bandwidth(data);
    let norm = (2.0 * std::f64::consts::PI).powf(-0.5) / sigma;
    let w = 1.0 / data.len() as f64;
    if m < 2 || sigma.is_nan() || sigma <= 0.0 {
        return direct_kde(data, grid, sigma);
    }
    let (first, step) = (grid[0], (grid[m - 1] - grid[0]) / (m - 1) as f64);
    let h = step / sigma;
    let q = (-h * h).exp();
    let reach = CUTOFF_BANDWIDTHS * sigma;
    let partial: Vec<Vec<f64>> = data
        .par_chunks(BLOCK)
        .map(|chunk| {
            let mut acc = vec![0.0; m];
            for &x in chunk {
                let lo = ((x - reach - first) / step).ceil().max(0.0);
                let hi = ((x + reach - first) / step).floor().min((m - 1) as f64);
                if lo > hi {
                    continue;
                }
                let (lo, hi) = (lo as usize, hi as usize);
                let mut g = lo;
                while g <= hi {
                    let d = (grid[g] - x) / sigma;
                    let mut t = (-(d * d) / 2.0).exp();
                    let mut r = (-(2.0 * d * h + h * h) / 2.0).exp();
                    let end = (g + RESTART).min(hi + 1);
                    acc[g] += t;
                    for a in &mut acc[g + 1..end] {
                        t *= r;
                        r *= q;
                        *a += t;
                    }
                    g = end;
                }
            }
            acc
        })
        .collect();
    let mut kde = vec![0.0; m];
    for block in &partial {
        for (k, b) in kde.iter_mut().zip(block) {
            *k += b;
        }
    }
    kde.iter().map(|k| k * w * norm).collect()
}

/// scipy's sum as it is written: every term at every point, in data order.
/// The oracle for [`gaussian_kde`], and its path for a degenerate grid.
fn direct_kde(data: &[f64], points: &[f64], sigma: f64) -> Vec<f64> {
    let w = 1.0 / data.len() as f64;
    let norm = (2.0 * std::f64::consts::PI).powf(-0.5) / sigma;
    let xi: Vec<f64> = data.iter().map(|&x| x / sigma).collect();
    points
        .iter()
        .map(|&p| {
            let p = p / sigma;
            xi.iter().fold(0.0, |acc, &x| {
                let r = p - x;
                acc + w * ((-(r * r) / 2.0).exp() * norm)
            })
        })
        .collect()
}

/// The not-a-knot cubic spline through `(x_i, y_i)` on the evenly spaced
/// `x = linspace(0, 1, m)` (scipy's `interp1d(kind="cubic")`), at `t`.
fn cubic_not_a_knot(y: &[f64], t: &[f64]) -> Vec<f64> {
    let m = y.len();
    let h = 1.0 / (m - 1) as f64;
    // Second derivatives M: M[i-1] + 4 M[i] + M[i+1] = 6 (y[i+1] - 2 y[i] +
    // y[i-1]) / h² for interior i; not-a-knot (a continuous third
    // derivative at x[1] and x[m-2]) gives M[0] = 2 M[1] - M[2] and
    // M[m-1] = 2 M[m-2] - M[m-3], which turn the first and last interior
    // rows into 6 M[1] = r[1] and 6 M[m-2] = r[m-2].
    let r = |i: usize| 6.0 * (y[i + 1] - 2.0 * y[i] + y[i - 1]) / (h * h);
    let mut mm = vec![0.0; m];
    if m >= 4 {
        mm[1] = r(1) / 6.0;
        mm[m - 2] = r(m - 2) / 6.0;
        // Thomas algorithm on rows 2..=m-3 with M[1], M[m-2] known.
        let lo = 2;
        let hi = m - 3;
        if hi >= lo {
            let k = hi - lo + 1;
            let mut c = vec![0.0; k];
            let mut d = vec![0.0; k];
            for j in 0..k {
                let i = lo + j;
                let mut rhs = r(i);
                if i == lo {
                    rhs -= mm[1];
                }
                if i == hi {
                    rhs -= mm[m - 2];
                }
                let (a, b) = (if j == 0 { 0.0 } else { 1.0 }, 4.0);
                let denom = b - a * if j == 0 { 0.0 } else { c[j - 1] };
                c[j] = 1.0 / denom;
                d[j] = (rhs - a * if j == 0 { 0.0 } else { d[j - 1] }) / denom;
            }
            for j in (0..k).rev() {
                let next = if j + 1 < k { mm[lo + j + 1] } else { 0.0 };
                mm[lo + j] = d[j] - if j + 1 < k { c[j] * next } else { 0.0 };
            }
        }
        mm[0] = 2.0 * mm[1] - mm[2];
        mm[m - 1] = 2.0 * mm[m - 2] - mm[m - 3];
    }
    t.iter()
        .map(|&v| {
            let i = ((v / h).floor() as usize).min(m - 2);
            let (x0, x1) = (i as f64 * h, (i + 1) as f64 * h);
            let (a, b) = (x1 - v, v - x0);
            mm[i] * a * a * a / (6.0 * h)
                + mm[i + 1] * b * b * b / (6.0 * h)
                + (y[i] / h - mm[i] * h / 6.0) * a
                + (y[i + 1] / h - mm[i + 1] * h / 6.0) * b
        })
        .collect()
}

/// pythresh's `gen_kde(data, 0, 1, n)`.
fn kde_on_grid(z: &[f64]) -> Vec<f64> {
    let n = z.len();
    let insize = n.min(KDE_GRID);
    let grid = linspace(0.0, 1.0, insize);
    let kde = gaussian_kde(z, &grid);
    if n > insize {
        cubic_not_a_knot(&kde, &linspace(0.0, 1.0, n))
    } else {
        kde
    }
}

pub(super) fn fit(scores: &Scores<'_>, _: &Options) -> Result<Threshold, ThresholdError> {
    let z = &scores.normalised;
    if z.len() < 2 {
        return Err(ThresholdError::CannotFit {
            method: "karch",
            message: "a kernel density estimate needs at least 2 scores".into(),
        });
    }
    let limit = mean(&kde_on_grid(z)) * mean(z) + std(z);
    Ok(Threshold::normalised(
        "karch",
        scores,
        limit,
        scores.scale.denormalise(limit),
        Cut::AtLeast,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spline_reproduces_cubics() {
        // a not-a-knot spline through samples of a cubic is that cubic
        let f = |x: f64| 2.0 * x * x * x - x * x + 0.5 * x + 1.0;
        let y: Vec<f64> = linspace(0.0, 1.0, 9).iter().map(|&x| f(x)).collect();
        let t = linspace(0.0, 1.0, 23);
        for (v, &x) in cubic_not_a_knot(&y, &t).iter().zip(&t) {
            assert!((v - f(x)).abs() < 1e-12, "{x}: {v} vs {}", f(x));
        }
    }

    #[test]
    fn windowed_recurrence_equals_the_direct_sum() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for (n, m) in [(50, 50), (3000, 3000), (20_000, 5000)] {
            // skewed like anomaly scores: most near 0, a long tail, ties
            let z: Vec<f64> = (0..n)
                .map(|i| {
                    let u: f64 = rng.random();
                    if i % 17 == 0 { 0.25 } else { u * u * u }
                })
                .collect();
            let grid = linspace(0.0, 1.0, m);
            let fast = gaussian_kde(&z, &grid);
            let slow = direct_kde(&z, &grid, scott_bandwidth(&z));
            for (g, (a, b)) in fast.iter().zip(&slow).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs().max(1e-300) + 1e-300,
                    "{n}/{g}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn kde_integrates_to_one() {
        let z = [0.0, 0.1, 0.2, 0.5, 1.0];
        let grid = linspace(-3.0, 4.0, 7001);
        let total: f64 = gaussian_kde(&z, &grid).iter().sum::<f64>() * 0.001;
        assert!((total - 1.0).abs() < 1e-6, "{total}");
    }
}
