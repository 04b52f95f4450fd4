//! k-means as scikit-learn 1.9.1's `KMeans(n_init=1)` runs it for CBLOF:
//! k-means++ seeding and Lloyd iterations, with its centring, tolerance,
//! convergence test and empty-cluster relocation, so that from the same
//! initial centres it converges to the same centres and labels.

use crate::detectors::distance::sq_dists_to_rows;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, RngExt};
use rayon::prelude::*;

/// scikit-learn's defaults.
pub const MAX_ITER: usize = 300;
pub const TOL: f64 = 1e-4;

/// Rows per parallel assignment task (fixed, independent of thread count).
const BLOCK_ROWS: usize = 1024;

/// A k-means result: centres (k × d, in the input's coordinates), the label
/// of every row, and the number of Lloyd iterations run.
#[derive(Debug, Clone)]
pub struct KMeansFit {
    pub centres: Array2<f64>,
    pub labels: Vec<usize>,
    pub n_iter: usize,
}

/// `Σ_f (a_f − b_f)²` in feature order.
#[inline]
pub(super) fn sq_dist(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b.iter()) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// The nearest centre of every row (the first one among equal distances),
/// by [`sq_dists_to_rows`] (the same bits as [`sq_dist`]).
pub(super) fn assign(x: ArrayView2<'_, f64>, centres: ArrayView2<'_, f64>) -> Vec<usize> {
    let d = centres.ncols();
    let flat: Vec<f64> = centres.iter().copied().collect();
    let mut labels = vec![0usize; x.nrows()];
    labels
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .for_each(|(b, block)| {
            let mut row: Vec<f64> = Vec::with_capacity(d);
            let mut dist = vec![0.0f64; centres.nrows()];
            for (i, l) in block.iter_mut().enumerate() {
                row.clear();
                row.extend(x.row(b * BLOCK_ROWS + i).iter());
                sq_dists_to_rows(&row, &flat, d, &mut dist);
                let mut best = (0usize, f64::INFINITY);
                for (j, &dj) in dist.iter().enumerate() {
                    if dj < best.1 || j == 0 {
                        best = (j, dj);
                    }
                }
                *l = best.0;
            }
        });
    labels
}

/// scikit-learn's `_tolerance`: `tol · mean_f var(x_f)`.
fn tolerance(x: ArrayView2<'_, f64>, mean: &Array1<f64>) -> f64 {
    let n = x.nrows() as f64;
    let mut var = Array1::<f64>::zeros(x.ncols());
    for row in x.rows() {
        for ((v, &a), &m) in var.iter_mut().zip(row.iter()).zip(mean.iter()) {
            let t = a - m;
            *v += t * t;
        }
    }
    var.mapv(|v| v / n).mean().unwrap_or(0.0) * TOL
}

/// k-means++ as scikit-learn's `_kmeans_plusplus` (greedy, `2 + ⌊ln k⌋`
/// local trials per centre), drawing from `rng`. Returns row indices.
pub(super) fn kmeans_plusplus<R: Rng + ?Sized>(
    x: ArrayView2<'_, f64>,
    k: usize,
    rng: &mut R,
) -> Vec<usize> {
    let n = x.nrows();
    let trials = 2 + (k as f64).ln() as usize;
    let dim = x.ncols();
    let flat: Vec<f64> = x.iter().copied().collect();
    let distances_to = |c: usize| -> Vec<f64> {
        let centre = &flat[c * dim..][..dim];
        let mut d = vec![0.0; n];
        d.par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .for_each(|(b, block)| {
                let first = b * BLOCK_ROWS;
                let rows = &flat[first * dim..(first + block.len()) * dim];
                sq_dists_to_rows(centre, rows, dim, block);
            });
        d
    };
    let first = rng.random_range(0..n);
    let mut indices = vec![first];
    let mut closest = distances_to(first);
    let mut pot: f64 = closest.iter().sum();
    while indices.len() < k {
        let mut cumsum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for &d in &closest {
            acc += d;
            cumsum.push(acc);
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let r = rng.random::<f64>() * pot;
                // np.searchsorted(side='left'), clipped to n - 1.
                cumsum.partition_point(|&c| c < r).min(n - 1)
            })
            .collect();
        let mut best: Option<(usize, f64, Vec<f64>)> = None;
        for &c in &candidates {
            let mut d = distances_to(c);
            for (v, &old) in d.iter_mut().zip(&closest) {
                *v = v.min(old);
            }
            let p: f64 = d.iter().sum();
            // np.argmin: the first minimum.
            if best.as_ref().is_none_or(|b| p < b.1) {
                best = Some((c, p, d));
            }
        }
        let Some((c, p, d)) = best else { break };
        indices.push(c);
        pot = p;
        closest = d;
    }
    indices
}

/// Lloyd's algorithm from `init` (k × d, in the input's coordinates),
/// exactly as scikit-learn's `_kmeans_single_lloyd` after `KMeans.fit`
/// centres the data on its column means.
pub fn lloyd(x: ArrayView2<'_, f64>, init: ArrayView2<'_, f64>) -> KMeansFit {
    let (n, d) = x.dim();
    let k = init.nrows();
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
    let tol = tolerance(x, &mean);
    let xc = &x - &mean;
    let mut centres = &init - &mean;
    let mut labels_old = vec![usize::MAX; n];
    let mut labels = labels_old.clone();
    let mut strict = false;
    let mut n_iter = 0;
    for _ in 0..MAX_ITER {
        n_iter += 1;
        labels = assign(xc.view(), centres.view());
        // M-step: sums in row order (scikit-learn's single-thread order).
        let mut sums = Array2::<f64>::zeros((k, d));
        let mut weight = vec![0.0f64; k];
        for (i, &l) in labels.iter().enumerate() {
            weight[l] += 1.0;
            let mut s = sums.row_mut(l);
            s += &xc.row(i);
        }
        relocate_empty(&xc, &centres, &mut sums, &mut weight, &labels);
        average(&mut sums, &weight);
        let shift: f64 = sums
            .rows()
            .into_iter()
            .zip(centres.rows())
            .map(|(a, b)| {
                let s = sq_dist(a, b).sqrt();
                s * s
            })
            .sum();
        centres = sums;
        if labels == labels_old {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
        labels_old.clone_from(&labels);
    }
    if !strict {
        labels = assign(xc.view(), centres.view());
    }
    KMeansFit {
        centres: centres + &mean,
        labels,
        n_iter,
    }
}

/// scikit-learn's `_relocate_empty_clusters_dense`: each empty cluster takes
/// one of the rows farthest from their (old) centres, farthest first (ties:
/// lower row), which leaves its previous cluster.
fn relocate_empty(
    xc: &Array2<f64>,
    centres_old: &Array2<f64>,
    sums: &mut Array2<f64>,
    weight: &mut [f64],
    labels: &[usize],
) {
    let empty: Vec<usize> = (0..weight.len()).filter(|&j| weight[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let dist: Vec<f64> = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| sq_dist(xc.row(i), centres_old.row(l)))
        .collect();
    if dist.iter().all(|&v| v == 0.0) {
        return;
    }
    let mut order: Vec<usize> = (0..dist.len()).collect();
    order.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
    for (&new, &far) in empty.iter().zip(&order) {
        let old = labels[far];
        let row = xc.row(far);
        {
            let mut s = sums.row_mut(old);
            s -= &row;
        }
        sums.row_mut(new).assign(&row);
        weight[new] = 1.0;
        weight[old] -= 1.0;
    }
}

/// scikit-learn's `_average_centers`, in place and in cluster order: a
/// cluster with weight 0 copies the row of the heaviest cluster as it is at
/// that moment.
fn average(sums: &mut Array2<f64>, weight: &[f64]) {
    let mut heaviest = 0;
    for (j, &w) in weight.iter().enumerate() {
        if w > weight[heaviest] {
            heaviest = j;
        }
    }
    for (j, &w) in weight.iter().enumerate() {
        if w > 0.0 {
            let alpha = 1.0 / w;
            sums.row_mut(j).mapv_inplace(|v| v * alpha);
        } else {
            let src = sums.row(heaviest).to_owned();
            sums.row_mut(j).assign(&src);
        }
    }
}

/// k-means++ seeding (on the centred data, as scikit-learn) then Lloyd.
pub fn kmeans<R: Rng + ?Sized>(x: ArrayView2<'_, f64>, k: usize, rng: &mut R) -> KMeansFit {
    let mean = x
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(x.ncols()));
    let xc = &x - &mean;
    let idx = kmeans_plusplus(xc.view(), k, rng);
    let init = x.select(Axis(0), &idx);
    lloyd(x, init.view())
}
