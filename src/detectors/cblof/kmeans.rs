//! k-means as scikit-learn 1.9.1's `KMeans(n_init=1)` runs it for CBLOF:
//! k-means++ seeding and Lloyd iterations, with its centring, tolerance,
//! convergence test and empty-cluster relocation, so that from the same
//! initial centres it converges to the same centres and labels.
//!
//! **Assignment** (the nearest centre of every row: each Lloyd step, and
//! CBLOF's `predict`) follows the exactness rule of
//! `detectors::neighbors`: one BLAS product per block of rows gives
//! approximate squared distances to all centres, `‖x‖² + ‖c‖² − 2 xᵀc`
//! (`neighbors::sq_distance_block`), which only *select*. With `a` the
//! approximate minimum (at centre `m`) and `b_j = C (‖x‖² + ‖c_j‖²)`,
//! `C = 8 (d + 4) ε`, the rounding-error bound of centre `j`, every centre
//! with `approx_j ≤ a + b_m + b_j` may be the exact nearest and no other can;
//! when that leaves one centre it is the answer, otherwise those centres are
//! re-measured directly, `Σ_f (x_f − c_f)²` in feature order, and the first
//! smallest wins. Labels are therefore exactly those of the direct distances
//! to every centre (the rule used before, which the tests keep as the
//! reference), whatever BLAS did; a row whose approximate values are not
//! finite is measured against every centre. No distance value from the
//! product is used anywhere else: the centre update, the relocation of empty
//! clusters and CBLOF's scores use the direct sums.

use crate::detectors::distance::{sq_dists_to_listed_rows, sq_dists_to_rows};
use crate::detectors::neighbors::sq_distance_block;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
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

/// Approximate distance cells (rows × centres) per assignment block: at
/// most 2^17 doubles (1 MiB), so many centres shrink the block instead of
/// growing its buffer.
const ASSIGN_CELLS: usize = 1 << 17;

/// Largest `‖x‖² + max_j ‖c_j‖²` for which the selection is used: below it no
/// direct distance can overflow (`‖x − c‖² ≤ 2 (‖x‖² + ‖c‖²)`), so the
/// rounding bound holds; above it a row is measured against every centre.
const NORM_LIMIT: f64 = f64::MAX / 4.0;

/// The nearest centre of every row (the first one among equal direct
/// distances): the GEMM selection with exact re-measurement described in the
/// module doc. Rows are cut into blocks whose size depends only on the
/// number of centres, and each row's label depends only on that row and the
/// centres, so the result is the same for any thread count.
pub(super) fn assign(x: ArrayView2<'_, f64>, centres: ArrayView2<'_, f64>) -> Vec<usize> {
    let (n, d) = x.dim();
    let k = centres.nrows();
    if k <= 1 {
        return vec![0; n];
    }
    crate::blas::single_threaded();
    let centres = centres.as_standard_layout();
    let flat: Vec<f64> = centres.iter().copied().collect();
    let centre_norms: Vec<f64> = centres
        .rows()
        .into_iter()
        .map(|c| c.iter().fold(0.0, |acc, &v| acc + v * v))
        .collect();
    let max_norm = centre_norms.iter().fold(0.0f64, |m, &v| m.max(v));
    let centres_t = centres.t();
    let bound_factor = 8.0 * (d as f64 + 4.0) * f64::EPSILON;
    let rows_per_block = (ASSIGN_CELLS / k).clamp(1, BLOCK_ROWS);
    let mut labels = vec![0usize; n];
    labels
        .par_chunks_mut(rows_per_block)
        .enumerate()
        // One buffer per rayon job, reused: dgemm (β = 0) overwrites all of
        // the part it is given.
        .for_each_init(
            || {
                (
                    Array2::<f64>::zeros((rows_per_block, k)),
                    Vec::with_capacity(d),
                    Vec::new(),
                    Vec::new(),
                )
            },
            |(buf, row, candidates, exact), (b, block)| {
                let first = b * rows_per_block;
                let xb = x.slice(s![first..first + block.len(), ..]);
                let mut approx = buf.slice_mut(s![..block.len(), ..]);
                let x_norms = sq_distance_block(xb, centres_t, &centre_norms, approx.view_mut());
                for (i, ((l, a_row), &xn)) in block
                    .iter_mut()
                    .zip(approx.rows())
                    .zip(&x_norms)
                    .enumerate()
                {
                    // The approximate nearest (NaN never wins; all NaN or ∞
                    // leaves a = ∞ and every centre a candidate).
                    let (mut m, mut a) = (0usize, f64::INFINITY);
                    for (j, &v) in a_row.iter().enumerate() {
                        if v < a {
                            (m, a) = (j, v);
                        }
                    }
                    let limit = a + bound_factor * (xn + centre_norms[m]);
                    candidates.clear();
                    if xn + max_norm <= NORM_LIMIT {
                        for (j, (&v, &cn)) in a_row.iter().zip(&centre_norms).enumerate() {
                            // "Not above", so that a NaN value or bound admits.
                            if !(v > limit + bound_factor * (xn + cn)) {
                                candidates.push(j);
                            }
                        }
                    } else {
                        // Norms near overflow (or NaN): the bound means
                        // nothing, so every centre is measured.
                        candidates.extend(0..k);
                    }
                    if let [only] = candidates[..] {
                        *l = only;
                        continue;
                    }
                    // Near-ties: the direct distances of the candidates
                    // (in increasing centre order), the first smallest.
                    row.clear();
                    row.extend(x.row(first + i).iter());
                    sq_dists_to_listed_rows(row, &flat, d, candidates, exact);
                    let mut best = (0usize, f64::INFINITY);
                    for (c, (&j, &e)) in candidates.iter().zip(exact.iter()).enumerate() {
                        if e < best.1 || c == 0 {
                            best = (j, e);
                        }
                    }
                    *l = best.0;
                }
            },
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::test_support::{data, in_pool};

    /// The assignment as it was before the GEMM selection: the direct
    /// distance to every centre, the first smallest.
    fn assign_direct(x: ArrayView2<'_, f64>, centres: ArrayView2<'_, f64>) -> Vec<usize> {
        x.rows()
            .into_iter()
            .map(|r| {
                let mut best = (0usize, f64::INFINITY);
                for (j, c) in centres.rows().into_iter().enumerate() {
                    let dj = sq_dist(r, c);
                    if dj < best.1 || j == 0 {
                        best = (j, dj);
                    }
                }
                best.0
            })
            .collect()
    }

    /// Integer-grid values (many exact ties), shifted by `offset` (a large
    /// offset makes the product's cancellation error large).
    fn grid(n: usize, d: usize, levels: u64, offset: f64, seed: u64) -> Array2<f64> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        Array2::from_shape_simple_fn((n, d), || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % levels) as f64 + offset
        })
    }

    fn check(x: &Array2<f64>, centres: &Array2<f64>, what: &str) {
        let want = assign_direct(x.view(), centres.view());
        assert_eq!(assign(x.view(), centres.view()), want, "{what}");
    }

    #[test]
    fn gemm_assignment_equals_the_direct_one_on_ties() {
        for (d, levels, offset) in [(1, 3, 0.0), (2, 3, 0.0), (5, 4, 0.0), (36, 2, 0.0)] {
            let x = grid(3000, d, levels, offset, 1);
            // Centres on the grid too (duplicates of rows), half-way points
            // (rows equidistant from two centres) and repeated centres.
            let mut centres = grid(10, d, levels, offset, 2);
            let dup = centres.row(1).to_owned();
            centres.row_mut(3).assign(&dup);
            let half = (&centres.row(0) + &centres.row(2)) * 0.5;
            centres.row_mut(4).assign(&half);
            check(&x, &centres, &format!("grid d={d} levels={levels}"));
            // Every row a centre: distance 0 ties with the duplicates.
            let c = x.slice(s![..40, ..]).to_owned();
            check(&x, &c, &format!("rows as centres d={d}"));
        }
        // Many duplicated rows and identical centres.
        let x = Array2::from_elem((500, 4), 1.5);
        let c = Array2::from_elem((7, 4), 1.5);
        assert_eq!(assign(x.view(), c.view()), vec![0; 500]);
        check(&x, &(&c + 0.25), "all equal");
    }

    #[test]
    fn gemm_assignment_equals_the_direct_one_with_large_offsets() {
        // Values 1e6 + small grid steps: the product form loses most digits,
        // so nearly every row goes through the exact re-measurement.
        for d in [2, 9, 64] {
            let x = grid(2000, d, 5, 1e6, 3) + &(data(2000, d, 4) * 1e-7);
            let centres = grid(12, d, 5, 1e6, 5) + &(data(12, d, 6) * 1e-7);
            check(&x, &centres, &format!("offset d={d}"));
        }
    }

    #[test]
    fn gemm_assignment_equals_the_direct_one_on_random_data() {
        for (n, d, k) in [(5000, 3, 10), (1500, 36, 10), (700, 100, 25), (300, 7, 600)] {
            let x = data(n, d, 7);
            let centres = data(k, d, 8) * 0.5;
            check(&x, &centres, &format!("random n={n} d={d} k={k}"));
            // Centres drawn from the rows (as k-means++ does).
            let c = x.slice(s![..k.min(n), ..]).to_owned();
            check(&x, &c, &format!("row centres n={n} d={d} k={k}"));
        }
        // Non-standard layouts of rows and centres.
        let x = data(900, 6, 9);
        let c = data(6, 9, 10).reversed_axes(); // 9 centres, column-major
        let xt = x.t().to_owned();
        let want = assign_direct(x.view(), c.view());
        assert_eq!(assign(xt.t(), c.view()), want);
    }

    #[test]
    fn gemm_assignment_with_huge_norms_measures_everything() {
        let x = ndarray::array![[1e154, 0.0], [1e154, 1.0], [-1e154, 3.0], [0.0, 0.0]];
        let c = ndarray::array![[1e154, 0.5], [-1e154, 0.0], [0.0, 1e-300]];
        check(&x, &c, "huge");
        let c = ndarray::array![[1e300, 0.0], [-1e300, 0.0]];
        check(&x, &c, "overflow");
    }

    #[test]
    fn gemm_assignment_is_thread_count_independent() {
        let x = grid(5000, 8, 3, 0.0, 11);
        let c = grid(10, 8, 3, 0.0, 12);
        let one = in_pool(1, || assign(x.view(), c.view()));
        let three = in_pool(3, || assign(x.view(), c.view()));
        assert_eq!(one, three);
        assert_eq!(one, assign_direct(x.view(), c.view()));
    }
}
