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

/// `scipy.stats.gaussian_kde(data)` evaluated at `points`: Scott's factor
/// `n^(-1/5)` times the sample standard deviation as bandwidth, uniform
/// weights, summed in data order (scipy's `gaussian_kernel_estimate`).
fn gaussian_kde(data: &[f64], points: &[f64]) -> Vec<f64> {
    let n = data.len() as f64;
    let w = 1.0 / n;
    let avg = mean(data);
    let ss: f64 = data.iter().map(|&x| (x - avg) * (x - avg) * w).sum();
    // np.cov(aweights=w, ddof=1): divided by sum(w) - sum(w^2) / sum(w)
    let var = ss / (1.0 - n * w * w);
    let sigma = var.sqrt() * n.powf(-1.0 / 5.0);
    let norm = (2.0 * std::f64::consts::PI).powf(-0.5) / sigma;
    let xi: Vec<f64> = data.iter().map(|&x| x / sigma).collect();
    points
        .par_iter()
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
    fn kde_integrates_to_one() {
        let z = [0.0, 0.1, 0.2, 0.5, 1.0];
        let grid = linspace(-3.0, 4.0, 7001);
        let total: f64 = gaussian_kde(&z, &grid).iter().sum::<f64>() * 0.001;
        assert!((total - 1.0).abs() < 1e-6, "{total}");
    }
}
