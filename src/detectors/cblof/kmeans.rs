//! k-means as scikit-learn 1.9.1's `KMeans(n_init=1)` runs it for CBLOF:
//! k-means++ seeding and Lloyd iterations, with its centring, tolerance,
//! convergence test and empty-cluster relocation, so that from the same
//! initial centres it converges to the same centres and labels.
//!
//! **Assignment** (the nearest centre of every row: each Lloyd step, and
//! CBLOF's `predict`) gives the labels of the direct distances to every
//! centre, `Σ_f (x_f − c_f)²` in feature order, first smallest winning.
//! With at most 16 centres or at most 32 features (CBLOF's default is 8
//! centres) it measures exactly that, eight rows side by side in vector
//! lanes (`distance::nearest_points`). Otherwise it follows the exactness
//! rule of `detectors::neighbors`: one BLAS product per block of rows gives
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

use crate::detectors::distance::{
    RowLanes, nearest_points, sq_dists_min, sq_dists_to_listed_rows, sq_dists_to_rows,
};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
use rand::{Rng, RngExt};
use rayon::prelude::*;

/// scikit-learn's defaults.
pub const MAX_ITER: usize = 300;
pub const TOL: f64 = 1e-4;

/// Rows per parallel assignment task (fixed, independent of thread count).
const BLOCK_ROWS: usize = 1024;
// The lane kernels take blocks that start on a group of rows.
const _: () = assert!(BLOCK_ROWS.is_multiple_of(RowLanes::GROUP));

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

/// Whether [`assign`] measures every distance directly ([`nearest_points`])
/// instead of selecting with a BLAS product. With few centres or few
/// features the product is thin, and its packing, the per-row scan of its
/// values and the re-checks cost more than the exact sums (measured on the
/// ODDS data: `benches/NOTES.md` item 22).
fn direct_is_faster(d: usize, k: usize) -> bool {
    k <= 16 || d <= 32
}

/// [`assign`] for narrow data: every distance measured directly, on rows
/// already laid out in lanes.
fn assign_lanes(lanes: &RowLanes, centres: ArrayView2<'_, f64>) -> Vec<usize> {
    let flat: Vec<f64> = centres.iter().copied().collect();
    let mut labels = vec![0usize; lanes.len()];
    labels
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .for_each(|(b, block)| nearest_points(lanes, b * BLOCK_ROWS, &flat, block));
    labels
}

/// Squared norms of the rows (only for the rounding bound).
fn row_norms(x: ArrayView2<'_, f64>) -> Vec<f64> {
    x.rows()
        .into_iter()
        .map(|r| r.iter().fold(0.0, |acc, &v| acc + v * v))
        .collect()
}

/// The nearest centre of every row (the first one among equal direct
/// distances): measured directly in lanes, or the GEMM selection with exact
/// re-measurement, as the module doc describes.
pub(super) fn assign(x: ArrayView2<'_, f64>, centres: ArrayView2<'_, f64>) -> Vec<usize> {
    if direct_is_faster(x.ncols(), centres.nrows()) {
        return assign_lanes(&RowLanes::new(x), centres);
    }
    assign_normed(x, &row_norms(x), centres)
}

/// [`assign`] with the rows' squared norms given (Lloyd computes them once).
/// Rows are cut into blocks whose size depends only on the number of
/// centres, and each row's label depends only on that row and the centres,
/// so the result is the same for any thread count.
///
/// The product gives `p_j = ‖c_j‖² − 2 xᵀc_j`, the approximate distance less
/// the row's own `‖x‖²` (the same for every centre, so left out, as
/// scikit-learn does); it is compared within the bound of the module doc.
fn assign_normed(
    x: ArrayView2<'_, f64>,
    x_norms: &[f64],
    centres: ArrayView2<'_, f64>,
) -> Vec<usize> {
    let (n, d) = x.dim();
    let k = centres.nrows();
    if k <= 1 {
        return vec![0; n];
    }
    crate::blas::single_threaded();
    let centres = centres.as_standard_layout();
    let flat: Vec<f64> = centres.iter().copied().collect();
    let centre_norms = row_norms(centres.view());
    let max_norm = centre_norms.iter().fold(0.0f64, |m, &v| m.max(v));
    let centres_t = centres.t();
    let bound_factor = 8.0 * (d as f64 + 4.0) * f64::EPSILON;
    let centre_bounds: Vec<f64> = centre_norms.iter().map(|&c| bound_factor * c).collect();
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
                let mut prod = buf.slice_mut(s![..block.len(), ..]);
                ndarray::linalg::general_mat_mul(-2.0, &xb, &centres_t, 0.0, &mut prod);
                for (i, (l, mut p_row)) in block.iter_mut().zip(prod.rows_mut()).enumerate() {
                    let xn = x_norms[first + i];
                    // `buf` is standard layout, so its rows are contiguous.
                    let Some(p) = p_row.as_slice_mut() else {
                        continue;
                    };
                    for (v, &cn) in p.iter_mut().zip(&centre_norms) {
                        *v += cn;
                    }
                    // The approximate nearest (NaN never wins; all NaN or ∞
                    // leaves a = ∞ and every centre a candidate).
                    let (mut m, mut a) = (0usize, f64::INFINITY);
                    for (j, &v) in p.iter().enumerate() {
                        let better = v < a;
                        a = if better { v } else { a };
                        m = if better { j } else { m };
                    }
                    // Centre j may be the exact nearest only if
                    // p_j ≤ a + b_m + b_j, b_j = C (‖x‖² + ‖c_j‖²).
                    let limit = a + 2.0 * bound_factor * xn + centre_bounds[m];
                    // "Not above", so that a NaN value or bound admits.
                    let admits = |v: f64, bc: f64| {
                        v.partial_cmp(&(limit + bc)) != Some(std::cmp::Ordering::Greater)
                    };
                    let count = p
                        .iter()
                        .zip(&centre_bounds)
                        .fold(0usize, |c, (&v, &bc)| c + usize::from(admits(v, bc)));
                    let trusted = xn + max_norm <= NORM_LIMIT;
                    if trusted && count == 1 {
                        // Only the approximate nearest itself is admitted.
                        *l = m;
                        continue;
                    }
                    candidates.clear();
                    if trusted {
                        for (j, (&v, &bc)) in p.iter().zip(&centre_bounds).enumerate() {
                            if admits(v, bc) {
                                candidates.push(j);
                            }
                        }
                    } else {
                        // Norms near overflow (or NaN): the bound means
                        // nothing, so every centre is measured.
                        candidates.extend(0..k);
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
///
/// Each trial's potential needs `min(dist(row, candidate), closest[row])`
/// for every row, in direct feature-order sums: a step has only
/// `2 + ⌊ln k⌋` candidates, too few for a BLAS product to pay, so they are
/// measured directly, eight rows side by side ([`sq_dists_min`]).
pub(super) fn kmeans_plusplus<R: Rng + ?Sized>(
    x: ArrayView2<'_, f64>,
    k: usize,
    rng: &mut R,
) -> Vec<usize> {
    let n = x.nrows();
    let trials = 2 + (k as f64).ln() as usize;
    let dim = x.ncols();
    let x = x.as_standard_layout();
    let flat: Vec<f64> = x.iter().copied().collect();
    let lanes = RowLanes::new(x.view());
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
        let cand: Vec<f64> = candidates
            .iter()
            .flat_map(|&c| flat[c * dim..][..dim].iter().copied())
            .collect();
        let new = trial_distances(&lanes, &cand, candidates.len(), &closest);
        let mut best: Option<(usize, f64)> = None;
        for t in 0..candidates.len() {
            let p: f64 = new.iter().skip(t).step_by(trials).sum();
            // np.argmin: the first minimum.
            if best.is_none_or(|b| p < b.1) {
                best = Some((t, p));
            }
        }
        let Some((t, p)) = best else { break };
        indices.push(candidates[t]);
        pot = p;
        for (o, &v) in closest.iter_mut().zip(new.iter().skip(t).step_by(trials)) {
            *o = v;
        }
    }
    indices
}

/// For every row `i` and candidate `t` (m rows, `cand` row-major),
/// `min(dist(x_i, cand_t), closest[i])` with the direct feature-order
/// distance, row-major n × m.
fn trial_distances(lanes: &RowLanes, cand: &[f64], m: usize, closest: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0f64; closest.len() * m];
    out.par_chunks_mut(BLOCK_ROWS * m)
        .zip(closest.par_chunks(BLOCK_ROWS))
        .enumerate()
        .for_each(|(b, (block, caps))| sq_dists_min(lanes, b * BLOCK_ROWS, cand, caps, block));
    out
}

/// Lloyd's algorithm from `init` (k × d, in the input's coordinates),
/// exactly as scikit-learn's `_kmeans_single_lloyd` after `KMeans.fit`
/// centres the data on its column means.
pub fn lloyd(x: ArrayView2<'_, f64>, init: ArrayView2<'_, f64>) -> KMeansFit {
    let (n, d) = x.dim();
    let k = init.nrows();
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
    let tol = tolerance(x, &mean);
    let mut xc = &x - &mean;
    if !xc.is_standard_layout() {
        xc = xc.as_standard_layout().into_owned();
    }
    // The rows in lanes for the direct path, or their norms for the
    // product's rounding bound: each path prepares only what it reads.
    let (lanes, x_norms) = if direct_is_faster(d, k) {
        (Some(RowLanes::new(xc.view())), Vec::new())
    } else {
        (None, row_norms(xc.view()))
    };
    let assign_all = |centres: ArrayView2<'_, f64>| match &lanes {
        Some(lanes) => assign_lanes(lanes, centres),
        None => assign_normed(xc.view(), &x_norms, centres),
    };
    let mut centres = &init - &mean;
    let mut labels_old = vec![usize::MAX; n];
    let mut labels = labels_old.clone();
    let mut strict = false;
    let mut n_iter = 0;
    for _ in 0..MAX_ITER {
        n_iter += 1;
        labels = assign_all(centres.view());
        // M-step: sums in row order (scikit-learn's single-thread order),
        // element by element on contiguous rows.
        let mut flat_sums = vec![0.0f64; k * d];
        let mut weight = vec![0.0f64; k];
        match xc.as_slice() {
            Some(rows) if d > 0 => {
                for (row, &l) in rows.chunks_exact(d).zip(&labels) {
                    weight[l] += 1.0;
                    for (a, &v) in flat_sums[l * d..][..d].iter_mut().zip(row) {
                        *a += v;
                    }
                }
            }
            _ => {
                for &l in &labels {
                    weight[l] += 1.0;
                }
            }
        }
        let mut sums =
            Array2::from_shape_vec((k, d), flat_sums).unwrap_or_else(|_| Array2::zeros((k, d)));
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
        labels = assign_all(centres.view());
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

    /// [`assign`], and both of its paths whatever it picks for this shape,
    /// give the direct labels.
    fn check(x: &Array2<f64>, centres: &Array2<f64>, what: &str) {
        let want = assign_direct(x.view(), centres.view());
        assert_eq!(assign(x.view(), centres.view()), want, "{what}");
        let product = assign_normed(x.view(), &row_norms(x.view()), centres.view());
        assert_eq!(product, want, "{what} (product)");
        let lanes = assign_lanes(&RowLanes::new(x.view()), centres.view());
        assert_eq!(lanes, want, "{what} (lanes)");
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
        let product = assign_normed(xt.t(), &row_norms(xt.t()), c.view());
        assert_eq!(product, want);
        assert_eq!(assign_lanes(&RowLanes::new(xt.t()), c.view()), want);
    }

    #[test]
    fn gemm_assignment_with_huge_norms_measures_everything() {
        let x = ndarray::array![[1e154, 0.0], [1e154, 1.0], [-1e154, 3.0], [0.0, 0.0]];
        let c = ndarray::array![[1e154, 0.5], [-1e154, 0.0], [0.0, 1e-300]];
        check(&x, &c, "huge");
        let c = ndarray::array![[1e300, 0.0], [-1e300, 0.0]];
        check(&x, &c, "overflow");
    }

    /// k-means++ as it was before the GEMM skip: every distance direct.
    fn kmeans_plusplus_direct(x: ArrayView2<'_, f64>, k: usize, rng: &mut impl Rng) -> Vec<usize> {
        let n = x.nrows();
        let trials = 2 + (k as f64).ln() as usize;
        let dist =
            |c: usize| -> Vec<f64> { x.rows().into_iter().map(|r| sq_dist(x.row(c), r)).collect() };
        let first = rng.random_range(0..n);
        let mut indices = vec![first];
        let mut closest = dist(first);
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
                    cumsum.partition_point(|&c| c < r).min(n - 1)
                })
                .collect();
            let mut best: Option<(usize, f64, Vec<f64>)> = None;
            for &c in &candidates {
                let mut d = dist(c);
                for (v, &old) in d.iter_mut().zip(&closest) {
                    *v = v.min(old);
                }
                let p: f64 = d.iter().sum();
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

    #[test]
    fn kmeans_plusplus_draws_the_direct_rows() {
        use rand::SeedableRng;
        let cases = [
            grid(3000, 4, 3, 0.0, 21),
            grid(1500, 30, 2, 0.0, 22),
            grid(2000, 6, 5, 1e6, 23) + &(data(2000, 6, 24) * 1e-7),
            data(2500, 36, 25),
            Array2::from_elem((300, 3), 0.5),
        ];
        for (c, x) in cases.iter().enumerate() {
            for (k, seed) in [(2, 1u64), (10, 2), (25, 3)] {
                let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let mut b = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                assert_eq!(
                    kmeans_plusplus(x.view(), k, &mut a),
                    kmeans_plusplus_direct(x.view(), k, &mut b),
                    "case {c}, k = {k}"
                );
            }
        }
    }

    #[test]
    fn gemm_assignment_is_thread_count_independent() {
        let x = grid(5000, 8, 3, 0.0, 11);
        let c = grid(10, 8, 3, 0.0, 12);
        let both = || {
            let product = assign_normed(x.view(), &row_norms(x.view()), c.view());
            (product, assign_lanes(&RowLanes::new(x.view()), c.view()))
        };
        let one = in_pool(1, both);
        let three = in_pool(3, both);
        assert_eq!(one, three);
        let want = assign_direct(x.view(), c.view());
        assert_eq!((&one.0, &one.1), (&want, &want));
    }
}
