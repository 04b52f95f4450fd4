//! FastMCD (Rousseeuw & Van Driessen 1999) as scikit-learn 1.9.1 implements
//! it (`sklearn/covariance/_robust_covariance.py`: `_c_step`,
//! `select_candidates`, `fast_mcd`, `MinCovDet.correct_covariance` and
//! `reweight_covariance`), line by line, with anml's own random draws.
//!
//! No BLAS or LAPACK call is on this path: covariances, eigendecompositions,
//! log-determinants and distances come from [`crate::linalg_fixed`], whose
//! fixed order of operations gives the same bits on every CPU. With
//! OpenBLAS's CPU-specific kernels, candidates whose log-determinants agree
//! to rounding could be ranked differently on AVX-512 and AVX2 machines and
//! change the fitted model (issue 22).

use super::chi2::{chi2_ppf, consistency_factor};
use super::model::{McdModel, mahalanobis};
use crate::linalg_fixed;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// One c-step result: location, covariance, log-determinant, support
/// (sorted row indices) and distances of every row.
#[derive(Clone)]
pub(super) struct Candidate {
    location: Array1<f64>,
    covariance: Array2<f64>,
    det: f64,
    support: Vec<usize>,
    dist: Array1<f64>,
}

/// How a c-step starts: a random h-subset or given estimates.
enum Start<'a> {
    Random(u64),
    Estimate(&'a Array1<f64>, &'a Array2<f64>),
}

/// scipy's `pinvh` with default tolerances: eigenvalues with
/// `|s| <= max|s| · d · ε` are treated as 0 (anml's fixed-order
/// eigendecomposition, not LAPACK's: see [`crate::linalg_fixed`]).
pub(super) fn pinvh(a: &Array2<f64>) -> Result<Array2<f64>, String> {
    linalg_fixed::pinvh(a.view())
}

/// scikit-learn's `fast_logdet`: ln det, or −∞ when the determinant (by LU,
/// as numpy's `slogdet`) is not positive.
fn logdet(a: &Array2<f64>) -> f64 {
    match linalg_fixed::slogdet(a.view()) {
        (sign, ln) if sign > 0.0 && ln.is_finite() => ln,
        _ => f64::NEG_INFINITY,
    }
}

/// Mean and biased covariance (`np.cov(X.T, bias=1)`) of the rows `idx`,
/// summed in row order.
fn mean_cov(x: ArrayView2<'_, f64>, idx: &[usize]) -> (Array1<f64>, Array2<f64>) {
    linalg_fixed::mean_cov(x, idx)
}

/// The `h` rows with the smallest distances (ties: lower index first), in
/// ascending index order. scikit-learn's `argpartition` breaks ties
/// arbitrarily.
fn smallest(dist: &Array1<f64>, h: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..dist.len()).collect();
    let cmp = |a: &usize, b: &usize| dist[*a].total_cmp(&dist[*b]).then(a.cmp(b));
    if h < idx.len() && h > 0 {
        idx.select_nth_unstable_by(h - 1, cmp);
    }
    idx.truncate(h);
    idx.sort_unstable();
    idx
}

/// The first `k` entries of a uniformly random permutation of `0..n`
/// (partial Fisher–Yates).
fn permutation_prefix(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in 0..k.min(n) {
        let j = rng.random_range(i..n);
        p.swap(i, j);
    }
    p.truncate(k);
    p
}

/// `np.allclose(a, b)` for scalars (rtol 1e-5, atol 1e-8; infinities equal
/// only to themselves).
fn allclose(a: f64, b: f64) -> bool {
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-8 + 1e-5 * b.abs()
}

/// scikit-learn's `_c_step`, including its quirks: the distances returned
/// with the final estimates use the location of the final support but the
/// precision of the previous one, and an increased determinant returns the
/// previous estimates.
fn c_step(
    x: ArrayView2<'_, f64>,
    h: usize,
    start: Start<'_>,
    n_iter: usize,
) -> Result<Candidate, String> {
    let n = x.nrows();
    let mut remaining = n_iter;
    let mut dist = Array1::from_elem(n, f64::INFINITY);
    let mut precision: Option<Array2<f64>> = None;
    let mut support = match start {
        Start::Random(seed) => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut s = permutation_prefix(&mut rng, n, h);
            s.sort_unstable();
            s
        }
        Start::Estimate(loc, cov) => {
            let p = pinvh(cov)?;
            dist = mahalanobis(x, loc, &p);
            precision = Some(p);
            smallest(&dist, h)
        }
    };
    let (mut location, mut covariance) = mean_cov(x, &support);
    let mut det = logdet(&covariance);
    if det.is_infinite() {
        precision = Some(pinvh(&covariance)?);
    }
    let mut previous_det = f64::INFINITY;
    let mut previous = None;
    while det < previous_det && remaining > 0 && !det.is_infinite() {
        previous = Some((location.clone(), covariance.clone(), support.clone()));
        previous_det = det;
        let p = pinvh(&covariance)?;
        dist = mahalanobis(x, &location, &p);
        precision = Some(p);
        support = smallest(&dist, h);
        (location, covariance) = mean_cov(x, &support);
        det = logdet(&covariance);
        remaining -= 1;
    }
    let previous_dist = dist;
    let precision = match precision {
        Some(p) => p,
        None => pinvh(&covariance)?,
    };
    let dist = mahalanobis(x, &location, &precision);
    let current = |location, covariance, support, dist| Candidate {
        location,
        covariance,
        det,
        support,
        dist,
    };
    // The order of scikit-learn's checks; a later one overrides.
    let take_previous = !det.is_infinite() && !allclose(det, previous_det) && det > previous_det;
    if remaining == 0 || !take_previous {
        return Ok(current(location, covariance, support, dist));
    }
    match previous {
        Some((l, c, s)) => Ok(Candidate {
            location: l,
            covariance: c,
            det: previous_det,
            support: s,
            dist: previous_dist,
        }),
        None => Ok(current(location, covariance, support, dist)),
    }
}

/// scikit-learn's `select_candidates`: run every start, keep the `select`
/// with the smallest log-determinants (stable order: ties keep the earlier
/// start). Starts run in parallel; the result does not depend on the
/// thread count.
fn select_candidates(
    x: ArrayView2<'_, f64>,
    h: usize,
    starts: Vec<Start<'_>>,
    select: usize,
    n_iter: usize,
) -> Result<Vec<Candidate>, String> {
    let mut all: Vec<Candidate> = starts
        .into_par_iter()
        .map(|s| c_step(x, h, s, n_iter))
        .collect::<Result<_, _>>()?;
    // Stable sort: equal determinants keep the earlier start first.
    all.sort_by(|a, b| a.det.total_cmp(&b.det));
    all.truncate(select);
    Ok(all)
}

fn random_starts(rng: &mut ChaCha8Rng, n: usize) -> Vec<Start<'static>> {
    (0..n).map(|_| Start::Random(rng.random())).collect()
}

/// scikit-learn's `fast_mcd`: the raw (location, covariance, support,
/// distances) for support size `h` (1 <= h <= n).
pub(super) fn fast_mcd(x: ArrayView2<'_, f64>, h: usize, seed: u64) -> Result<Candidate, String> {
    let (n, d) = x.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if d == 1 {
        return Ok(one_dimensional(x, h));
    }
    if n > 500 {
        // 1. Candidates on subsets of ~300 rows.
        let n_subsets = n / 300;
        let n_samples_subsets = n / n_subsets;
        let shuffle = permutation_prefix(&mut rng, n, n);
        let h_subset = (n_samples_subsets as f64 * (h as f64 / n as f64)).ceil() as usize;
        let n_trials = (500 / n_subsets).max(10);
        let n_best_sub = 10;
        let subsets: Vec<(Array2<f64>, Vec<Start<'static>>)> = (0..n_subsets)
            .map(|i| {
                let rows = &shuffle[i * n_samples_subsets..(i + 1) * n_samples_subsets];
                (x.select(Axis(0), rows), random_starts(&mut rng, n_trials))
            })
            .collect();
        let per_subset: Vec<Vec<Candidate>> = subsets
            .into_par_iter()
            .map(|(xs, starts)| select_candidates(xs.view(), h_subset, starts, n_best_sub, 2))
            .collect::<Result<_, _>>()?;
        let all_best: Vec<Candidate> = per_subset.into_iter().flatten().collect();
        // 2. Pool into a merged set (possibly the whole data).
        let n_merged = n.min(1500);
        let h_merged = (n_merged as f64 * (h as f64 / n as f64)).ceil() as usize;
        let n_best_merged = if n > 1500 { 10 } else { 1 };
        let selection = permutation_prefix(&mut rng, n, n_merged);
        let xm = x.select(Axis(0), &selection);
        let starts = all_best
            .iter()
            .map(|c| Start::Estimate(&c.location, &c.covariance))
            .collect();
        let merged = select_candidates(xm.view(), h_merged, starts, n_best_merged, 30)?;
        // 3. The overall best.
        if n < 1500 {
            let best = merged.into_iter().next().ok_or("no candidate")?;
            let mut dist = Array1::zeros(n);
            for (k, &row) in selection.iter().enumerate() {
                dist[row] = best.dist[k];
            }
            let mut support: Vec<usize> = best.support.iter().map(|&k| selection[k]).collect();
            support.sort_unstable();
            return Ok(Candidate {
                location: best.location,
                covariance: best.covariance,
                det: best.det,
                support,
                dist,
            });
        }
        let starts = merged
            .iter()
            .map(|c| Start::Estimate(&c.location, &c.covariance))
            .collect();
        let full = select_candidates(x, h, starts, 1, 30)?;
        return full.into_iter().next().ok_or_else(|| "no candidate".into());
    }
    // n <= 500: 30 random starts, two c-steps each; the best 10 refined.
    let best = select_candidates(x, h, random_starts(&mut rng, 30), 10, 2)?;
    let starts = best
        .iter()
        .map(|c| Start::Estimate(&c.location, &c.covariance))
        .collect();
    let full = select_candidates(x, h, starts, 1, 30)?;
    full.into_iter().next().ok_or_else(|| "no candidate".into())
}

/// scikit-learn's exact one-dimensional case: the location is the mean of
/// the midpoints of the shortest halves (h consecutive sorted values), the
/// support the h values closest to it; the distances use that location and
/// the support's variance.
fn one_dimensional(x: ArrayView2<'_, f64>, h: usize) -> Candidate {
    let n = x.nrows();
    let col: Vec<f64> = x.column(0).to_vec();
    let (location, support) = if h < n {
        let mut sorted = col.clone();
        sorted.sort_by(f64::total_cmp);
        let diff: Vec<f64> = (0..n - h).map(|i| sorted[h + i] - sorted[i]).collect();
        let min = diff.iter().copied().fold(f64::INFINITY, f64::min);
        let starts: Vec<usize> = (0..diff.len()).filter(|&i| diff[i] == min).collect();
        let mids: f64 = starts
            .iter()
            .map(|&i| sorted[h + i] + sorted[i])
            .sum::<f64>();
        let location = 0.5 * (mids / starts.len() as f64);
        let dev = Array1::from_iter(col.iter().map(|v| (v - location).abs()));
        (location, smallest(&dev, h))
    } else {
        (col.iter().sum::<f64>() / n as f64, (0..n).collect())
    };
    let vals: Vec<f64> = support.iter().map(|&i| col[i]).collect();
    let m = vals.iter().sum::<f64>() / vals.len() as f64;
    let var = vals.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / vals.len() as f64;
    let covariance = Array2::from_elem((1, 1), var);
    let precision = if var > 0.0 { 1.0 / var } else { 0.0 };
    let dist = Array1::from_iter(
        col.iter()
            .map(|v| (v - location) * (v - location) * precision),
    );
    Candidate {
        location: Array1::from_elem(1, location),
        covariance,
        det: libm::log(var),
        support,
        dist,
    }
}

/// The raw estimate from a given support, as FastMCD's converged c-step
/// returns it: mean and biased covariance of the rows, distances of every
/// row under `pinvh` of that covariance.
pub(super) fn raw_from_support(
    x: ArrayView2<'_, f64>,
    support: Vec<usize>,
) -> Result<Candidate, String> {
    let (location, covariance) = mean_cov(x, &support);
    let precision = pinvh(&covariance)?;
    let dist = mahalanobis(x, &location, &precision);
    Ok(Candidate {
        det: logdet(&covariance),
        location,
        covariance,
        support,
        dist,
    })
}

/// `MinCovDet.fit` after `fast_mcd`: `correct_covariance` (the raw
/// distances divided by the consistency factor at α = h / n) and
/// `reweight_covariance` (rows with corrected distance below the chi-square
/// 0.975 quantile, their mean and covariance times the factor at α =
/// 0.975), then the distances of the training rows.
pub(super) fn correct_and_reweight(
    x: ArrayView2<'_, f64>,
    raw: Candidate,
) -> Result<(McdModel, Array1<f64>), String> {
    let (n, d) = x.dim();
    let n_support = raw.support.len();
    if n_support < n && raw.covariance.iter().all(|v| v.abs() <= 1e-8) {
        return Err(
            "the covariance of the support rows is 0; try a larger support_fraction".into(),
        );
    }
    let raw_factor = consistency_factor(d, n_support as f64 / n as f64);
    let dist = raw.dist / raw_factor;
    let cutoff = chi2_ppf(0.975, d as f64);
    let mask: Vec<usize> = (0..n).filter(|&i| dist[i] < cutoff).collect();
    if mask.is_empty() {
        return Err("no row is within the reweighting cut-off".into());
    }
    let (location, covariance) = mean_cov(x, &mask);
    let covariance = covariance * consistency_factor(d, 0.975);
    let precision = pinvh(&covariance)?;
    let model = McdModel::new(location, covariance, precision);
    let scores = crate::detectors::Model::score_samples(&model, x);
    Ok((model, scores))
}
