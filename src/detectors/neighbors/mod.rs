//! The exact k-nearest-neighbour search shared by the distance-based
//! detectors (`knn`, `avg_knn`, `med_knn`, `lof`).
//!
//! It exists so that every neighbour detector finds the same neighbours with
//! the same distances, fast, and with a written-down tie and precision rule.
//!
//! **Method.** In few dimensions on many rows ([`use_kdtree`]) the search
//! runs on a KD-tree (`kdtree`); otherwise it is the blocked GEMM search
//! below. Both return the same bits (the tree's rules are in its module).
//!
//! **Search.** Query rows are taken in fixed blocks of [`block_rows`] rows
//! (the partition depends only on the training size, never on the thread
//! count); blocks run in parallel on rayon. For a block, squared Euclidean
//! distances to every training row come from one matrix product through
//! BLAS: `‖q‖² + ‖x‖² − 2 qᵀx`, clamped at 0. Memory is O(block × n_train);
//! no n × n matrix is ever formed.
//!
//! **Exactness rule.** The GEMM form loses precision when two points are
//! close relative to their norms, so it only *selects*: each row's k smallest
//! approximate values are found with a bounded sorted insertion (no full
//! sort); then every training row whose approximate value lies within the
//! rounding-error bound `C (‖q‖² + ‖x‖²)`, `C = 8 (d + 4) ε`, of that k-th
//! value (plus the largest bound among the selected) is re-measured directly
//! as `Σ_f (q_f − x_f)²`, summed in feature order, and the final k are the
//! smallest of those exact values. The returned distances are therefore the
//! direct-difference distances of the true k nearest rows (the same numbers
//! scikit-learn's KD-tree computes), whatever BLAS did. Square roots are taken
//! last.
//!
//! **Ties.** Among equal distances the lower training index comes first (a
//! stable order, as scikit-learn's brute-force search).
//!
//! **Self-exclusion.** For training scores ([`Query::Train`]) row `i` of the
//! training set is its own query and only index `i` itself is left out; exact
//! duplicates of row `i` stay, at distance 0. This gives the distances of
//! scikit-learn's `kneighbors(X=None)` (which drops the sample itself or, when
//! more duplicates than neighbours hide it, one of its duplicates).
//!
//! **Determinism.** Each row's result depends only on that row and the
//! training set, so it is bit-identical for any thread count.

mod kdtree;

use kdtree::{KdTree, OrderedTopK};
use ndarray::{Array2, ArrayView2, Axis, CowArray, s};
use rayon::prelude::*;

/// Which rows are queried.
#[derive(Debug, Clone, Copy)]
pub enum Query<'a> {
    /// New rows (test data): all training rows are candidates.
    Rows(ArrayView2<'a, f64>),
    /// The training rows themselves, each leaving out its own index.
    Train,
}

/// The k nearest training rows of each query row, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbors {
    /// `n_queries × k` Euclidean distances, ascending per row.
    pub distances: Array2<f64>,
    /// `n_queries × k` training-row indices matching `distances`.
    pub indices: Array2<usize>,
}

/// Why a search cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NeighborsError {
    #[error("k must be at least 1")]
    ZeroK,
    #[error("{k} neighbours requested but only {available} training rows are available")]
    TooFewRows { k: usize, available: usize },
    #[error("query rows have {got} columns but the training rows have {expected}")]
    Columns { expected: usize, got: usize },
    /// The output buffers did not have the `n_queries × k` shape (a bug).
    #[error("internal error: neighbour output has the wrong shape")]
    Shape,
}

/// Number of training × query cells one block's distance matrix may hold
/// (2^20 doubles = 8 MiB).
const BLOCK_CELLS: usize = 1 << 20;

/// Approximate values scanned per chunk against the k-th.
const SCAN_CHUNK: usize = 8;

/// Blocks a small query set is cut into (see [`kneighbors`]).
const MIN_BLOCKS: usize = 8;

/// Query rows per block for a training set of `n_train` rows: between 8 and
/// 256, so that a block's distance matrix stays near [`BLOCK_CELLS`].
pub fn block_rows(n_train: usize) -> usize {
    (BLOCK_CELLS / n_train.max(1)).clamp(8, 256)
}

/// The `k` nearest training rows of every query row (see the module doc for
/// the rules). `train` is n × d; `k` must be in `1..=n` (`1..n` for
/// [`Query::Train`]).
pub fn kneighbors(
    train: ArrayView2<'_, f64>,
    query: Query<'_>,
    k: usize,
) -> Result<Neighbors, NeighborsError> {
    crate::blas::single_threaded();
    let n_train = train.nrows();
    let d = train.ncols();
    let exclude_self = matches!(query, Query::Train);
    let available = if exclude_self {
        n_train.saturating_sub(1)
    } else {
        n_train
    };
    if k == 0 {
        return Err(NeighborsError::ZeroK);
    }
    if k > available {
        return Err(NeighborsError::TooFewRows { k, available });
    }
    let train = train.as_standard_layout();
    let query = match query {
        Query::Rows(q) => {
            if q.ncols() != d {
                return Err(NeighborsError::Columns {
                    expected: d,
                    got: q.ncols(),
                });
            }
            if q.is_standard_layout() {
                CowArray::from(q)
            } else {
                CowArray::from(q.as_standard_layout().into_owned())
            }
        }
        Query::Train => CowArray::from(train.view()),
    };
    let n_query = query.nrows();
    if use_kdtree(n_train, d) {
        return tree_search(train.view(), query.view(), exclude_self, k);
    }
    let train_norms: Vec<f64> = train.rows().into_iter().map(sq_norm).collect();
    let train_rows = train.as_slice().ok_or(NeighborsError::Shape)?;
    let train_t = train.t();
    let bound_factor = 8.0 * (d as f64 + 4.0) * f64::EPSILON;

    let mut distances = vec![0.0f64; n_query * k];
    let mut indices = vec![0usize; n_query * k];
    // Small query sets are cut finer (at least MIN_BLOCKS blocks when that
    // leaves 8 rows each), so both cores get work; still fixed by the sizes
    // alone, never by the thread count.
    let rows_per_block = block_rows(n_train).min(n_query.div_ceil(MIN_BLOCKS).max(8));
    distances
        .par_chunks_mut(rows_per_block * k)
        .zip(indices.par_chunks_mut(rows_per_block * k))
        .enumerate()
        // One block buffer per rayon job, reused: dgemm (β = 0) overwrites
        // all of it, so reuse cannot change a result.
        .for_each_init(
            || Array2::<f64>::zeros((rows_per_block, n_train)),
            |buf, (b, (dist_block, idx_block))| {
                let first = b * rows_per_block;
                let n_rows = dist_block.len() / k;
                let q_block = query.slice(s![first..first + n_rows, ..]);
                // n_rows × n_train approximate squared distances (one dgemm
                // plus one fused pass).
                let mut block = buf.slice_mut(s![..n_rows, ..]);
                let q_norms = sq_distance_block(q_block, train_t, &train_norms, block.view_mut());
                let mut best = TopK::new(k);
                let (mut q_slice, mut candidates, mut exact) = (Vec::new(), Vec::new(), Vec::new());
                for (r, (q_row, mut approx)) in q_block
                    .axis_iter(Axis(0))
                    .zip(block.axis_iter_mut(Axis(0)))
                    .enumerate()
                {
                    let self_index = if exclude_self { first + r } else { usize::MAX };
                    let q_norm = q_norms[r];
                    // A scan that looks at a chunk only when something in it
                    // beats the current k-th (most chunks do not, once k are held).
                    // (`block` holds whole rows of a standard-layout buffer, so
                    // its rows are contiguous.)
                    let Some(approx) = approx.as_slice_mut() else {
                        continue;
                    };
                    if let Some(a) = approx.get_mut(self_index) {
                        *a = f64::INFINITY;
                    }
                    best.clear();
                    for (c, chunk) in approx.chunks(SCAN_CHUNK).enumerate() {
                        let limit = best.limit();
                        if chunk.iter().fold(false, |any, &a| any | (a < limit)) {
                            for (o, &a) in chunk.iter().enumerate() {
                                best.offer(a, c * SCAN_CHUNK + o);
                            }
                        }
                    }
                    // Candidates: every row that could belong to the exact k nearest.
                    let kth = best.worst();
                    let selected_bound = best
                        .indices()
                        .map(|j| bound_factor * (q_norm + train_norms[j]))
                        .fold(0.0f64, f64::max);
                    let limit = kth + selected_bound;
                    q_slice.clear();
                    q_slice.extend(q_row.iter());
                    candidates.clear();
                    let admits =
                        |a: f64, x_norm: f64| a <= limit + bound_factor * (q_norm + x_norm);
                    for (c, (chunk, norms)) in approx
                        .chunks(SCAN_CHUNK)
                        .zip(train_norms.chunks(SCAN_CHUNK))
                        .enumerate()
                    {
                        let any = chunk
                            .iter()
                            .zip(norms)
                            .fold(false, |any, (&a, &xn)| any | admits(a, xn));
                        if any {
                            for (o, (&a, &xn)) in chunk.iter().zip(norms).enumerate() {
                                let j = c * SCAN_CHUNK + o;
                                if j != self_index && admits(a, xn) {
                                    candidates.push(j);
                                }
                            }
                        }
                    }
                    exact_sq_distances(&q_slice, train_rows, d, &candidates, &mut exact);
                    best.clear();
                    for (&j, &e) in candidates.iter().zip(&exact) {
                        best.offer(e, j);
                    }
                    let out = r * k..(r + 1) * k;
                    for ((dist, idx), (sq, j)) in dist_block[out.clone()]
                        .iter_mut()
                        .zip(idx_block[out].iter_mut())
                        .zip(best.entries())
                    {
                        *dist = sq.sqrt();
                        *idx = j;
                    }
                }
            },
        );
    let shape = (n_query, k);
    Ok(Neighbors {
        distances: Array2::from_shape_vec(shape, distances).map_err(|_| NeighborsError::Shape)?,
        indices: Array2::from_shape_vec(shape, indices).map_err(|_| NeighborsError::Shape)?,
    })
}

/// The blocked squared-distance kernel: `out[i][j] = max(‖qᵢ‖² + ‖xⱼ‖² −
/// 2 qᵢ·xⱼ, 0)` for a block of query rows `q` (m × d) against the training
/// rows given transposed (`train_t`, d × n, with their squared norms),
/// `out` m × n. The products come from one BLAS dgemm straight into `out`
/// (α = −2, exact scaling), then one pass adds the norms and clamps.
/// Returns the query rows' squared norms. An approximation used only to
/// select candidates (see the module doc); `benches/distance_kernel.rs`
/// measures it against a bare dgemm.
pub fn sq_distance_block(
    q: ArrayView2<'_, f64>,
    train_t: ArrayView2<'_, f64>,
    train_norms: &[f64],
    mut out: ndarray::ArrayViewMut2<'_, f64>,
) -> Vec<f64> {
    ndarray::linalg::general_mat_mul(-2.0, &q, &train_t, 0.0, &mut out);
    let q_norms: Vec<f64> = q.rows().into_iter().map(sq_norm).collect();
    let fused = |row: &mut [f64], qn: f64| {
        for (a, &xn) in row.iter_mut().zip(train_norms) {
            *a = (qn + xn + *a).max(0.0);
        }
    };
    for (mut row, &qn) in out.rows_mut().into_iter().zip(&q_norms) {
        // Contiguous rows (the search's buffers) take the slice path, which
        // the compiler vectorises.
        match row.as_slice_mut() {
            Some(r) => fused(r, qn),
            None => row.iter_mut().zip(train_norms).for_each(|(a, &xn)| {
                *a = (qn + xn + *a).max(0.0);
            }),
        }
    }
    q_norms
}

/// Whether the KD-tree beats the blocked GEMM search: few features (a tree
/// prunes little beyond ~16) and enough rows to amortise building it.
/// Measured crossover on this project's machine: benches/NOTES.md.
pub fn use_kdtree(n_train: usize, d: usize) -> bool {
    d <= KDTREE_MAX_FEATURES && n_train >= KDTREE_MIN_ROWS
}

/// See [`use_kdtree`].
const KDTREE_MAX_FEATURES: usize = 16;
/// See [`use_kdtree`].
const KDTREE_MIN_ROWS: usize = 2048;

/// Rows per parallel task of the tree search (fixed, so the partition does
/// not depend on the thread count).
const TREE_CHUNK: usize = 256;

/// The KD-tree search. Training rows are their own queries in tree order
/// (neighbouring rows visit the same leaves, which keeps them in cache);
/// each row's result depends only on that row, so the output is the same
/// for any thread count.
fn tree_search(
    train: ArrayView2<'_, f64>,
    query: ArrayView2<'_, f64>,
    exclude_self: bool,
    k: usize,
) -> Result<Neighbors, NeighborsError> {
    let tree = KdTree::build(train);
    let n_query = query.nrows();
    // Queries in leaf order: consecutive queries visit the same leaves.
    let rows: Vec<usize> = if exclude_self {
        tree.order().to_vec()
    } else {
        let mut q = Vec::with_capacity(query.ncols());
        let mut keyed: Vec<(usize, usize)> = (0..n_query)
            .map(|i| {
                q.clear();
                q.extend(query.row(i).iter());
                (tree.leaf_of(&q), i)
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    };
    let mut found = vec![(0.0f64, 0usize); n_query * k];
    found
        .par_chunks_mut(TREE_CHUNK * k)
        .zip(rows.par_chunks(TREE_CHUNK))
        .for_each(|(out, rows)| {
            let mut best = OrderedTopK::new(k);
            let mut q = Vec::with_capacity(query.ncols());
            for (slot, &row) in out.chunks_mut(k).zip(rows) {
                q.clear();
                q.extend(query.row(row).iter());
                let skip = if exclude_self { row } else { usize::MAX };
                tree.query(&q, skip, &mut best);
                for (o, e) in slot.iter_mut().zip(best.entries()) {
                    *o = e;
                }
            }
        });
    let mut distances = Array2::zeros((n_query, k));
    let mut indices = Array2::zeros((n_query, k));
    for (slot, &row) in found.chunks(k).zip(&rows) {
        for (c, &(sq, j)) in slot.iter().enumerate() {
            distances[[row, c]] = sq.sqrt();
            indices[[row, c]] = j;
        }
    }
    Ok(Neighbors { distances, indices })
}

/// `Σ v²` in index order.
fn sq_norm(v: ndarray::ArrayView1<'_, f64>) -> f64 {
    v.iter().fold(0.0, |acc, &x| acc + x * x)
}

/// `Σ_f (q_f − x_f)²`, summed in feature order (the tests' reference).
#[cfg(test)]
fn exact_sq_distance(q: &[f64], x: ndarray::ArrayView1<'_, f64>) -> f64 {
    let mut acc = 0.0;
    for (&a, &b) in q.iter().zip(x.iter()) {
        let t = a - b;
        acc += t * t;
    }
    acc
}

/// `Σ_f (q_f − x_f)²`, summed in feature order, from `q` to each of the rows `rows` of the
/// row-major `train` (`d` columns), into `out`. Eight rows at a time, each
/// with its own accumulator: every sum is still taken in feature order (the
/// same bits as one at a time), but eight independent chains keep the adder
/// busy instead of waiting on one chain's latency.
fn exact_sq_distances(q: &[f64], train: &[f64], d: usize, rows: &[usize], out: &mut Vec<f64>) {
    const LANES: usize = 8;
    out.clear();
    let mut groups = rows.chunks_exact(LANES);
    for group in &mut groups {
        let xs: [&[f64]; LANES] = std::array::from_fn(|l| &train[group[l] * d..][..d]);
        let mut acc = [0.0f64; LANES];
        for (f, &qf) in q.iter().enumerate() {
            for l in 0..LANES {
                let t = qf - xs[l][f];
                acc[l] += t * t;
            }
        }
        out.extend_from_slice(&acc);
    }
    for &j in groups.remainder() {
        let x = &train[j * d..][..d];
        let mut acc = 0.0;
        for (&a, &b) in q.iter().zip(x) {
            let t = a - b;
            acc += t * t;
        }
        out.push(acc);
    }
}

/// The k smallest `(value, index)` pairs seen, kept sorted ascending by
/// value then index (bounded insertion; k is small).
struct TopK {
    k: usize,
    items: Vec<(f64, usize)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    fn clear(&mut self) {
        self.items.clear();
    }

    /// Keep `(value, index)` if it is among the k smallest so far. Indices
    /// arrive in increasing order, so an equal value never displaces an
    /// earlier (lower) index.
    #[inline]
    fn offer(&mut self, value: f64, index: usize) {
        if self.items.len() == self.k {
            match self.items.last() {
                Some(&(worst, _)) if value < worst => {
                    self.items.pop();
                }
                _ => return,
            }
        }
        // First position whose value is greater: equal values keep index order.
        let mut pos = self.items.len();
        while pos > 0 && self.items[pos - 1].0 > value {
            pos -= 1;
        }
        self.items.insert(pos, (value, index));
    }

    /// Values not below this cannot enter (∞ until k are held).
    #[inline]
    fn limit(&self) -> f64 {
        match self.items.last() {
            Some(&(w, _)) if self.items.len() == self.k => w,
            _ => f64::INFINITY,
        }
    }

    /// The k-th smallest value (0 when empty, which cannot happen for k ≥ 1
    /// and at least k candidates).
    fn worst(&self) -> f64 {
        self.items.last().map_or(0.0, |&(v, _)| v)
    }

    fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.items.iter().map(|&(_, j)| j)
    }

    fn entries(&self) -> impl Iterator<Item = (f64, usize)> + '_ {
        self.items.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Brute force: every exact distance, sorted by (distance, index).
    fn brute(train: &Array2<f64>, query: Option<&Array2<f64>>, k: usize) -> Neighbors {
        let q = query.unwrap_or(train);
        let mut dist = Array2::zeros((q.nrows(), k));
        let mut idx = Array2::zeros((q.nrows(), k));
        for (i, qr) in q.rows().into_iter().enumerate() {
            let qv = qr.to_vec();
            let mut all: Vec<(f64, usize)> = (0..train.nrows())
                .filter(|&j| query.is_some() || j != i)
                .map(|j| (exact_sq_distance(&qv, train.row(j)), j))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for c in 0..k {
                dist[[i, c]] = all[c].0.sqrt();
                idx[[i, c]] = all[c].1;
            }
        }
        Neighbors {
            distances: dist,
            indices: idx,
        }
    }

    /// Deterministic pseudo-random data with many near-duplicates and ties.
    fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        Array2::from_shape_simple_fn((n, d), || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 7) as f64 * 0.5 + 1000.0
        })
    }

    #[test]
    fn hand_computed_case() {
        let train = array![[0.0, 0.0], [3.0, 4.0], [1.0, 0.0], [0.0, 2.0]];
        let q = array![[0.0, 0.0], [3.0, 3.0]];
        let nb = kneighbors(train.view(), Query::Rows(q.view()), 3).unwrap();
        assert_eq!(nb.indices, array![[0, 2, 3], [1, 3, 2]]);
        assert_eq!(
            nb.distances,
            array![[0.0, 1.0, 2.0], [1.0, 10f64.sqrt(), 13f64.sqrt()]]
        );
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        // All four training points at distance 1 from the origin.
        let train = array![[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]];
        let q = array![[0.0, 0.0]];
        let nb = kneighbors(train.view(), Query::Rows(q.view()), 3).unwrap();
        assert_eq!(nb.indices, array![[0, 1, 2]]);
        assert_eq!(nb.distances, array![[1.0, 1.0, 1.0]]);
    }

    #[test]
    fn exclude_self_keeps_duplicates() {
        // Rows 0, 2 and 3 are identical.
        let train = array![[1.0, 1.0], [5.0, 5.0], [1.0, 1.0], [1.0, 1.0], [2.0, 1.0]];
        let nb = kneighbors(train.view(), Query::Train, 2).unwrap();
        assert_eq!(nb.indices.row(0).to_vec(), vec![2, 3]);
        assert_eq!(nb.indices.row(2).to_vec(), vec![0, 3]);
        assert_eq!(nb.indices.row(3).to_vec(), vec![0, 2]);
        assert_eq!(nb.distances.row(0).to_vec(), vec![0.0, 0.0]);
        assert_eq!(nb.indices.row(4).to_vec(), vec![0, 2]);
        assert_eq!(nb.distances.row(4).to_vec(), vec![1.0, 1.0]);
        assert_eq!(nb.indices.row(1).to_vec(), vec![4, 0]);
    }

    #[test]
    fn matches_brute_force_on_near_duplicates() {
        // Large offsets make the GEMM form inexact; results must still be
        // the exact direct-difference distances.
        let train = data(700, 5, 1);
        let q = data(300, 5, 2);
        for k in [1, 4, 17] {
            let got = kneighbors(train.view(), Query::Rows(q.view()), k).unwrap();
            assert_eq!(got, brute(&train, Some(&q), k), "k = {k}");
            let got = kneighbors(train.view(), Query::Train, k).unwrap();
            assert_eq!(got, brute(&train, None, k), "train, k = {k}");
        }
    }

    #[test]
    fn tiny_differences_are_measured_exactly() {
        let train = array![[1e6, 1e6], [1e6 + 1e-4, 1e6], [1e6, 1e6 + 3e-4]];
        let q = array![[1e6, 1e6 + 1e-9]];
        let nb = kneighbors(train.view(), Query::Rows(q.view()), 3).unwrap();
        assert_eq!(nb, brute(&train, Some(&q), 3));
        assert_eq!(nb.indices, array![[0, 1, 2]]);
    }

    #[test]
    fn k_limits_are_errors() {
        let train = array![[0.0], [1.0]];
        assert_eq!(
            kneighbors(train.view(), Query::Train, 0),
            Err(NeighborsError::ZeroK)
        );
        assert_eq!(
            kneighbors(train.view(), Query::Train, 2),
            Err(NeighborsError::TooFewRows { k: 2, available: 1 })
        );
        let q = array![[0.5]];
        assert!(kneighbors(train.view(), Query::Rows(q.view()), 2).is_ok());
        assert!(kneighbors(train.view(), Query::Rows(q.view()), 3).is_err());
        let wide = array![[0.5, 1.0]];
        assert!(matches!(
            kneighbors(train.view(), Query::Rows(wide.view()), 1),
            Err(NeighborsError::Columns { .. })
        ));
    }

    #[test]
    fn the_tree_returns_the_brute_force_bits() {
        // Values on a 0.5 grid: many exact ties and duplicate rows, so the
        // (distance, index) order and the tie pruning are exercised.
        for (n, d, k) in [(700, 3, 1), (900, 5, 6), (400, 2, 17), (3000, 4, 7)] {
            let train = data(n, d, 11);
            let q = data(333, d, 12);
            let tree = tree_search(train.view(), q.view(), false, k).unwrap();
            assert_eq!(tree, brute(&train, Some(&q), k), "rows n={n} d={d} k={k}");
            let tree = tree_search(train.view(), train.view(), true, k).unwrap();
            assert_eq!(tree, brute(&train, None, k), "train n={n} d={d} k={k}");
        }
        // Every row identical: one leaf far above the leaf size.
        let same = Array2::from_elem((200, 3), 2.5);
        let tree = tree_search(same.view(), same.view(), true, 5).unwrap();
        assert_eq!(tree, brute(&same, None, 5));
    }

    #[test]
    fn large_low_dimensional_searches_use_the_tree() {
        assert!(use_kdtree(10_000, 10));
        assert!(!use_kdtree(10_000, 40));
        assert!(!use_kdtree(500, 3));
        // Through the public entry point, on the tree path.
        let train = data(2500, 3, 5);
        let got = kneighbors(train.view(), Query::Train, 4).unwrap();
        assert_eq!(got, brute(&train, None, 4));
    }

    #[test]
    fn identical_for_any_thread_count() {
        let train = data(3000, 4, 3);
        let q = data(500, 4, 4);
        let run = |threads: usize| {
            crate::detectors::test_support::in_pool(threads, || {
                (
                    kneighbors(train.view(), Query::Rows(q.view()), 7).unwrap(),
                    kneighbors(train.view(), Query::Train, 7).unwrap(),
                )
            })
        };
        let one = run(1);
        let three = run(3);
        let bits = |a: &Array2<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one.0.distances), bits(&three.0.distances));
        assert_eq!(bits(&one.1.distances), bits(&three.1.distances));
        assert_eq!(one, three);
    }
}
