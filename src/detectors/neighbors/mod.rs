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
//! **Search.** Query rows are taken in fixed blocks of up to 256 rows (the
//! partition depends only on the sizes, never on the thread count); blocks
//! run in parallel on rayon. Within a block, the training rows are taken in
//! tiles small enough (512 KiB of products) that a tile stays in L2 between
//! the GEMM that writes it and the scan that reads it; for small training
//! sets one tile holds them all. A tile's squared Euclidean distances come
//! from one matrix product through BLAS: `‖q‖² + ‖x‖² − 2 qᵀx`, clamped at
//! 0. Memory is O(block × tile); no n × n matrix is ever formed.
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
//! last. Each row's products are read once: the scan that selects the k
//! smallest also keeps a short list holding every row that rule could still
//! admit (a proven superset, see `RowSearch::scan_body`), and the rule is
//! applied to that list at the end, so the candidates are the same rows in
//! the same order as a second full scan would find.
//!
//! **f32 selection.** Since the product only selects, it runs in f32 (twice
//! the GEMM rate, half the memory traffic) when the data allow it
//! ([`use_f32_selection`]: at least 8 features, every non-zero magnitude in
//! `[2⁻⁵⁰, 2⁵⁰]`, so nothing under- or overflows in f32). The bound is then
//! `C = 8 (d + 4) ε₃₂`: rounding the inputs to f32 moves a squared distance
//! by at most `2 (2 + u) u (‖q‖² + ‖x‖²)` (`u = ε₃₂/2`), and the f32 GEMM
//! form adds at most `(2d + 4) u (1 + O(du))` times the same sum, so the
//! total is within `(d + 4) ε₃₂ (‖q‖² + ‖x‖²)`, with the same 8× margin the
//! f64 bound has. Only the candidate set grows; the exact re-measure is the
//! same f64 code, so the results are the same bits as with the f64 product.
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

pub mod candidates;
mod kdtree;

use crate::detectors::distance::sq_dists_to_listed_rows;
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

/// Number of training × query cells [`block_rows`] aims a block at (2^20
/// doubles = 8 MiB), for the other GEMM-form users (KDE).
const BLOCK_CELLS: usize = 1 << 20;

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
    #[cfg(feature = "cuda")]
    if let Some(gpu) = crate::gpu::active() {
        let q = (!exclude_self).then(|| query.view());
        match candidates::gpu_search(&gpu, train.view(), q, k) {
            Ok(nb) => return Ok(nb),
            Err(e) => crate::gpu::gpu_failed_notice("neighbour search", &e),
        }
    }
    if use_kdtree(n_train, d) {
        return tree_search(train.view(), query.view(), exclude_self, k);
    }
    let train_rows = train.as_slice().ok_or(NeighborsError::Shape)?;
    let train_norms: Vec<f64> = train.rows().into_iter().map(sq_norm).collect();
    let exact = Exact {
        train_rows,
        train_norms: &train_norms,
        d,
        exclude_self,
        k,
    };
    if use_f32_selection(train.view(), query.view()) {
        let train32 = train.mapv(|v| v as f32);
        let query32 = query.mapv(|v| v as f32);
        brute_search::<f32>(
            &exact,
            train32.view(),
            query32.view(),
            query.view(),
            Simd::detect(),
            TILE_BYTES,
        )
    } else {
        brute_search::<f64>(
            &exact,
            train.view(),
            query.view(),
            query.view(),
            Simd::detect(),
            TILE_BYTES,
        )
    }
}

/// What the exact re-measure of the brute-force search needs: the f64
/// training rows (row-major), their squared norms, and the query rules.
struct Exact<'a> {
    train_rows: &'a [f64],
    train_norms: &'a [f64],
    d: usize,
    exclude_self: bool,
    k: usize,
}

/// The precision the selection product is computed in (see the module doc):
/// f64, or f32 at twice the GEMM rate with an error bound 2²⁹ times wider.
pub trait SelectionScalar: ndarray::LinalgScalar + Default + Send + Sync + PartialOrd {
    /// Machine epsilon of the type, as f64.
    const EPSILON: f64;
    /// −2 in the type (exact).
    const MINUS_TWO: Self;
    /// Approximate values scanned per chunk against a limit: 64 bytes,
    /// one AVX-512 register.
    const SCAN_CHUNK: usize;
    /// Exact widening.
    fn to_f64(self) -> f64;
    /// `max(self, 0)`.
    fn max0(self) -> Self;
    /// The nearest value of the type not below `v` (∞ stays ∞).
    fn from_f64_up(v: f64) -> Self;
    /// `1 + 4ε` of the type: two non-negative values each widened by this
    /// and rounded up to the type have a rounded sum not below the exact
    /// sum of the originals.
    const ROUND_UP_MARGIN: Self;
}

impl SelectionScalar for f64 {
    const EPSILON: f64 = f64::EPSILON;
    const MINUS_TWO: Self = -2.0;
    const SCAN_CHUNK: usize = 8;
    const ROUND_UP_MARGIN: Self = 1.0 + 4.0 * f64::EPSILON;
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn max0(self) -> Self {
        self.max(0.0)
    }
    #[inline]
    fn from_f64_up(v: f64) -> Self {
        v
    }
}

impl SelectionScalar for f32 {
    const EPSILON: f64 = f32::EPSILON as f64;
    const MINUS_TWO: Self = -2.0;
    const SCAN_CHUNK: usize = 16;
    const ROUND_UP_MARGIN: Self = 1.0 + 4.0 * f32::EPSILON;
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn max0(self) -> Self {
        self.max(0.0)
    }
    #[inline]
    fn from_f64_up(v: f64) -> Self {
        let nearest = v as f32;
        if f64::from(nearest) < v {
            nearest.next_up()
        } else {
            nearest
        }
    }
}

/// Smallest non-zero magnitude the f32 selection accepts: above it every
/// value and every product of two values is a normal f32, so rounding
/// errors are relative (the bound in the module doc holds).
const F32_MIN_MAGNITUDE: f64 = 1.0 / (1u64 << 50) as f64;
/// Largest magnitude the f32 selection accepts: squared norms stay far from
/// f32 overflow for any realistic width (d · 2¹⁰⁰ < 2¹²⁸ for d < 2²⁸).
const F32_MAX_MAGNITUDE: f64 = (1u64 << 50) as f64;
/// Narrowest data the f32 selection is used for: below it the product is
/// cheap and the wider bound only adds candidates. Measured: benches/NOTES.md.
const F32_MIN_FEATURES: usize = 8;

/// Whether the selection product may run in f32: wide enough data, every
/// non-zero magnitude in `[2⁻⁵⁰, 2⁵⁰]` (no f32 underflow or overflow, so the
/// rounding bound holds), and fewer than 2²⁸ features.
fn use_f32_selection(train: ArrayView2<'_, f64>, query: ArrayView2<'_, f64>) -> bool {
    let d = train.ncols();
    let in_range = |v: &f64| {
        let a = v.abs();
        a == 0.0 || (F32_MIN_MAGNITUDE..=F32_MAX_MAGNITUDE).contains(&a)
    };
    (F32_MIN_FEATURES..1 << 28).contains(&d)
        && train.iter().all(in_range)
        && query.iter().all(in_range)
}

/// The blocked brute-force search with the selection product in `T`
/// (`train_t`/`query_t`: the data in `T`; `query`: the f64 query rows the
/// exact re-measure uses).
fn brute_search<T: SelectionScalar>(
    exact: &Exact<'_>,
    train_t: ArrayView2<'_, T>,
    query_t: ArrayView2<'_, T>,
    query: ArrayView2<'_, f64>,
    simd: Simd,
    tile_bytes: usize,
) -> Result<Neighbors, NeighborsError> {
    let Exact {
        train_norms, d, k, ..
    } = *exact;
    let n_train = train_t.nrows();
    let n_query = query.nrows();
    let norms_t: Vec<T> = train_t.rows().into_iter().map(sq_norm_t).collect();
    let train_tt = train_t.t();
    // The rounding-error bound of one approximate value is
    // `bound_factor · (‖q‖² + ‖x‖²)` (module doc), with the f64 norms.
    let bound_factor = 8.0 * (d as f64 + 4.0) * T::EPSILON;
    let bx: Vec<f64> = train_norms.iter().map(|&n| bound_factor * n).collect();
    let widen = T::ROUND_UP_MARGIN.to_f64();
    let bx_t: Vec<T> = bx.iter().map(|&b| T::from_f64_up(b * widen)).collect();
    let rows = RowSearch {
        exact,
        norms_t: &norms_t,
        bound_factor,
        max_norm: train_norms.iter().copied().fold(0.0, f64::max),
        bx: &bx,
        bx_t: &bx_t,
        simd,
    };

    let mut distances = vec![0.0f64; n_query * k];
    let mut indices = vec![0usize; n_query * k];
    // Small query sets are cut finer (at least MIN_BLOCKS blocks when that
    // leaves 8 rows each), so both cores get work; still fixed by the sizes
    // alone, never by the thread count.
    let rows_per_block = QUERY_BLOCK_ROWS.min(n_query.div_ceil(MIN_BLOCKS).max(8));
    let tile = tile_columns::<T>(rows_per_block, n_train, tile_bytes);
    // Tile buffers are reused across rayon jobs (a fresh zeroed one per
    // job was 7% of mnist's time): the GEMM (β = 0) overwrites all of the
    // part that is read, so reuse cannot change a result.
    let pool = std::sync::Mutex::new(Vec::<Array2<T>>::new());
    distances
        .par_chunks_mut(rows_per_block * k)
        .zip(indices.par_chunks_mut(rows_per_block * k))
        .enumerate()
        .for_each_init(
            || Pooled::take(&pool, (rows_per_block, tile)),
            |buf, (b, (dist_block, idx_block))| {
                let first = b * rows_per_block;
                let n_rows = dist_block.len() / k;
                let q_block = query.slice(s![first..first + n_rows, ..]);
                let q_block_t = query_t.slice(s![first..first + n_rows, ..]);
                let mut states: Vec<RowState<T>> = q_block
                    .axis_iter(Axis(0))
                    .zip(q_block_t.axis_iter(Axis(0)))
                    .enumerate()
                    .map(|(r, (q_row, q_row_t))| RowState {
                        best: TopK::new(k),
                        kept: Vec::new(),
                        q_norm: q_row.iter().fold(0.0, |acc, &x| acc + x * x),
                        qn_t: sq_norm_t(q_row_t),
                        self_index: if exact.exclude_self {
                            first + r
                        } else {
                            usize::MAX
                        },
                    })
                    .collect();
                // One tile of training rows at a time: n_rows × tile
                // products −2 qᵀx in one GEMM (small enough to stay in L2
                // while every row of it is scanned once).
                for j0 in (0..n_train).step_by(tile) {
                    let j1 = (j0 + tile).min(n_train);
                    let mut block = buf.buf.slice_mut(s![..n_rows, ..j1 - j0]);
                    ndarray::linalg::general_mat_mul(
                        T::MINUS_TWO,
                        &q_block_t,
                        &train_tt.slice(s![.., j0..j1]),
                        T::zero(),
                        &mut block,
                    );
                    for (state, approx) in states.iter_mut().zip(block.axis_iter(Axis(0))) {
                        // (`block` holds the leading part of rows of a
                        // standard-layout buffer, so each row is contiguous.)
                        match approx.to_slice() {
                            Some(a) => rows.scan(state, a, j0),
                            None => rows.scan(state, &approx.to_vec(), j0),
                        }
                    }
                }
                let mut scratch = Scratch::default();
                for (r, (state, q_row)) in states
                    .iter_mut()
                    .zip(q_block.axis_iter(Axis(0)))
                    .enumerate()
                {
                    scratch.q.clear();
                    scratch.q.extend(q_row.iter());
                    rows.finish(state, &mut scratch);
                    let out = r * k..(r + 1) * k;
                    for ((dist, idx), (sq, j)) in dist_block[out.clone()]
                        .iter_mut()
                        .zip(idx_block[out].iter_mut())
                        .zip(state.best.entries())
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

/// Query rows per block of the brute-force search (fewer for small query
/// sets, see [`brute_search`]).
const QUERY_BLOCK_ROWS: usize = 256;
/// Bytes of one tile of approximate values (query rows × training rows):
/// small enough to stay in a core's L2 between the GEMM that writes it and
/// the scan that reads it.
const TILE_BYTES: usize = 1 << 19;

/// Training rows per tile for blocks of `rows` query rows: all `n_train`
/// when that block is at most twice `tile_bytes` (one GEMM per block),
/// else `tile_bytes` ([`TILE_BYTES`] outside tests) worth of `T`, a
/// multiple of the scan chunk, at least one chunk.
fn tile_columns<T: SelectionScalar>(rows: usize, n_train: usize, tile_bytes: usize) -> usize {
    let cells = tile_bytes / std::mem::size_of::<T>();
    if rows.saturating_mul(n_train) <= 2 * cells {
        return n_train.max(1);
    }
    (cells / rows.max(1) / T::SCAN_CHUNK).max(1) * T::SCAN_CHUNK
}

/// A block buffer borrowed from a search's pool, returned when the rayon
/// job that took it ends.
struct Pooled<'p, T: SelectionScalar> {
    buf: Array2<T>,
    pool: &'p std::sync::Mutex<Vec<Array2<T>>>,
}

impl<'p, T: SelectionScalar> Pooled<'p, T> {
    fn take(pool: &'p std::sync::Mutex<Vec<Array2<T>>>, shape: (usize, usize)) -> Self {
        let reused = pool.lock().ok().and_then(|mut p| p.pop());
        Pooled {
            buf: reused.unwrap_or_else(|| Array2::zeros(shape)),
            pool,
        }
    }
}

impl<T: SelectionScalar> Drop for Pooled<'_, T> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(std::mem::take(&mut self.buf));
        }
    }
}

/// One query row's state across the tiles of a block.
struct RowState<T> {
    /// The k smallest approximate values seen so far.
    best: TopK,
    /// Every `(approximate value, training index)` that may still be a
    /// candidate (see [`RowSearch::scan`]), in index order.
    kept: Vec<(f64, usize)>,
    /// ‖q‖² in f64 and in T.
    q_norm: f64,
    qn_t: T,
    /// The query's own training index (usize::MAX for new rows).
    self_index: usize,
}

/// One worker's per-row buffers for the exact re-measure.
#[derive(Default)]
struct Scratch {
    q: Vec<f64>,
    candidates: Vec<usize>,
    exact: Vec<f64>,
}

/// Which instruction set the per-row scans are compiled for. Only the
/// vector width changes: no fused multiply-add is ever formed (Rust does
/// not contract), so the exact sums are the same bits on every path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Simd {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Simd {
    /// Every path this CPU can run, narrowest first (the tests run each).
    #[cfg(test)]
    fn available() -> Vec<Simd> {
        let mut all = vec![Simd::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                all.push(Simd::Avx2);
            }
            if std::is_x86_feature_detected!("avx512f") {
                all.push(Simd::Avx512);
            }
        }
        all
    }

    fn detect() -> Self {
        match crate::simd::level() {
            #[cfg(target_arch = "x86_64")]
            crate::simd::SimdLevel::Avx512 => Simd::Avx512,
            #[cfg(target_arch = "x86_64")]
            crate::simd::SimdLevel::Avx2 => Simd::Avx2,
            _ => Simd::Baseline,
        }
    }
}

/// The per-row part of the brute-force search: add the norms to each tile
/// of a row's products, keep the k smallest approximate values and every
/// value that may still be a candidate ([`Self::scan`]), then re-measure
/// the candidates exactly ([`Self::finish`]).
struct RowSearch<'a, T> {
    exact: &'a Exact<'a>,
    norms_t: &'a [T],
    bound_factor: f64,
    /// The largest training squared norm.
    max_norm: f64,
    /// Each training row's rounding bound `C ‖x‖²`, in f64, and in T
    /// widened by `T::ROUND_UP_MARGIN` and rounded up (see `scan_body`).
    bx: &'a [f64],
    bx_t: &'a [T],
    simd: Simd,
}

/// Relative widening of the keep threshold in [`RowSearch::scan`], far
/// above the roundings of the few operations it covers (each ≤ 2⁻⁵³
/// relative).
const KEEP_MARGIN: f64 = 1.0 + 1.0 / (1u64 << 40) as f64;

impl<T: SelectionScalar> RowSearch<'_, T> {
    /// Scan one tile: `approx` holds `−2 qᵀxⱼ` for training rows
    /// `j0..j0 + approx.len()`.
    fn scan(&self, state: &mut RowState<T>, approx: &[T], j0: usize) {
        match self.simd {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Simd::detect` saw the CPU support AVX-512F.
            Simd::Avx512 => unsafe { self.scan_avx512(state, approx, j0) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Simd::detect` saw the CPU support AVX2.
            Simd::Avx2 => unsafe { self.scan_avx2(state, approx, j0) },
            Simd::Baseline => self.scan_body(state, approx, j0),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn scan_avx512(&self, state: &mut RowState<T>, approx: &[T], j0: usize) {
        self.scan_body(state, approx, j0);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn scan_avx2(&self, state: &mut RowState<T>, approx: &[T], j0: usize) {
        self.scan_body(state, approx, j0);
    }

    /// Norms added and top-k selection in one pass over the tile, which
    /// also keeps every value that the final admission rule
    /// ([`Self::finish`]) could still let in, so the row is never scanned
    /// twice. That rule admits training row j when
    /// `a_j ≤ W + S + b_j`: W the final k-th approximate value, S the
    /// largest bound `C (‖q‖² + ‖x‖²)` among the final k, `b_j` row j's own
    /// bound. While scanning, W is at most the current k-th `w`. Each of
    /// the final k has `a ≤ W ≤ w` and `a ≥ (‖x‖ − ‖q‖)² − C (‖q‖² + ‖x‖²)`,
    /// which bounds its norm: `‖x‖ ≤ u(w)`, the larger root of
    /// `(1 − C) u² − 2 ‖q‖ u + (1 − C) ‖q‖² − w` (and `‖x‖² ≤ max ‖x‖²`), so
    /// `S ≤ C (‖q‖² + min(u(w)², max ‖x‖²))`. Keeping every j with
    /// `a_j ≤ (w + that + b_j)` (widened by [`KEEP_MARGIN`] for the
    /// roundings of these few operations) keeps a superset of the
    /// candidates, in index order. A chunk is looked at only when some
    /// value in it passes the same test in T, `a ≤ base_t + b_t`, both
    /// parts widened by `1 + 4ε_T` and rounded up, so that the rounded T sum
    /// is not below the f64 threshold (more chunks, never fewer).
    #[inline(always)]
    fn scan_body(&self, state: &mut RowState<T>, approx: &[T], j0: usize) {
        let RowState {
            best,
            kept,
            q_norm,
            qn_t,
            self_index,
        } = state;
        let range = j0..j0 + approx.len();
        let (norms, bx, bx_t) = (
            &self.norms_t[range.clone()],
            &self.bx[range.clone()],
            &self.bx_t[range],
        );
        let widen = T::ROUND_UP_MARGIN.to_f64();
        let mut base = self.keep_base(*q_norm, best.limit());
        let mut base_t = T::from_f64_up(base * widen);
        let mut fused = [T::zero(); MAX_SCAN_CHUNK];
        for (c, ((chunk, norms), bx_t)) in approx
            .chunks(T::SCAN_CHUNK)
            .zip(norms.chunks(T::SCAN_CHUNK))
            .zip(bx_t.chunks(T::SCAN_CHUNK))
            .enumerate()
        {
            let fused = &mut fused[..chunk.len()];
            let mut any = false;
            for (((f, &a), &xn), &b) in fused.iter_mut().zip(chunk).zip(norms).zip(bx_t) {
                *f = (*qn_t + xn + a).max0();
                any |= *f <= base_t + b;
            }
            if any {
                let first = c * T::SCAN_CHUNK;
                for (o, (&a, &b)) in fused.iter().zip(&bx[first..]).enumerate() {
                    let j = j0 + first + o;
                    let a = a.to_f64();
                    if j != *self_index && a <= (base + b) * KEEP_MARGIN {
                        best.offer(a, j);
                        kept.push((a, j));
                    }
                }
                base = self.keep_base(*q_norm, best.limit());
                base_t = T::from_f64_up(base * widen);
            }
        }
        // Drop what the k-th has since ruled out (the same test), so the
        // list stays short across tiles.
        kept.retain(|&(a, j)| a <= (base + self.bx[j]) * KEEP_MARGIN);
    }

    /// `w + C (‖q‖² + min(u(w)², max ‖x‖²)) + C ‖q‖²`: the part of the keep
    /// threshold of [`Self::scan_body`] that does not depend on the
    /// training row (∞ while fewer than k values are held).
    #[inline(always)]
    fn keep_base(&self, q_norm: f64, w: f64) -> f64 {
        let c = self.bound_factor;
        let v = q_norm.sqrt();
        let one_c = 1.0 - c;
        let disc = v * v - one_c * (one_c * q_norm - w);
        let u = (v + disc.max(0.0).sqrt()) / one_c;
        let sel = (u * u).min(self.max_norm);
        w + c * (q_norm + sel) + c * q_norm
    }

    /// The candidates: every kept row the exact admission rule lets in (in
    /// index order, the order a full second scan of the row would list
    /// them); they are re-measured exactly and the final k nearest end in
    /// `state.best`. `scratch.q` holds the query row.
    fn finish(&self, state: &mut RowState<T>, scratch: &mut Scratch) {
        let Scratch {
            q,
            candidates,
            exact,
        } = scratch;
        let Exact {
            train_rows,
            train_norms,
            d,
            ..
        } = *self.exact;
        let RowState {
            best, kept, q_norm, ..
        } = state;
        let q_norm = *q_norm;
        let bf = self.bound_factor;
        let selected_bound = best
            .indices()
            .map(|j| bf * (q_norm + train_norms[j]))
            .fold(0.0f64, f64::max);
        let limit = best.worst() + selected_bound;
        candidates.clear();
        candidates.extend(
            kept.iter()
                .filter(|&&(a, j)| a <= limit + bf * (q_norm + train_norms[j]))
                .map(|&(_, j)| j),
        );
        sq_dists_to_listed_rows(q, train_rows, d, candidates, exact);
        best.clear();
        for (&j, &e) in candidates.iter().zip(exact.iter()) {
            best.offer(e, j);
        }
    }
}

/// The widest scan chunk of any [`SelectionScalar`] (f32's 16).
const MAX_SCAN_CHUNK: usize = 16;

/// `row[j] = max(qn + norms[j] + row[j], 0)`: turns one row of `−2 qᵀx`
/// products into approximate squared distances.
#[inline(always)]
fn fuse_row<T: SelectionScalar>(row: &mut [T], qn: T, norms: &[T]) {
    for (a, &xn) in row.iter_mut().zip(norms) {
        *a = (qn + xn + *a).max0();
    }
}

/// The blocked squared-distance kernel: `out[i][j] = max(‖qᵢ‖² + ‖xⱼ‖² −
/// 2 qᵢ·xⱼ, 0)` for a block of query rows `q` (m × d) against the training
/// rows given transposed (`train_t`, d × n, with their squared norms),
/// `out` m × n. The products come from one BLAS dgemm straight into `out`
/// (α = −2, exact scaling), then one pass adds the norms and clamps.
/// Returns the query rows' squared norms. An approximation used only to
/// select candidates (see the module doc); `benches/distance_kernel.rs`
/// measures it against a bare dgemm.
pub fn sq_distance_block<T: SelectionScalar>(
    q: ArrayView2<'_, T>,
    train_t: ArrayView2<'_, T>,
    train_norms: &[T],
    mut out: ndarray::ArrayViewMut2<'_, T>,
) -> Vec<T> {
    ndarray::linalg::general_mat_mul(T::MINUS_TWO, &q, &train_t, T::zero(), &mut out);
    let q_norms: Vec<T> = q.rows().into_iter().map(sq_norm_t).collect();
    for (mut row, &qn) in out.rows_mut().into_iter().zip(&q_norms) {
        // Contiguous rows (the search's buffers) take the slice path, which
        // the compiler vectorises.
        match row.as_slice_mut() {
            Some(r) => fuse_row(r, qn, train_norms),
            None => row.iter_mut().zip(train_norms).for_each(|(a, &xn)| {
                *a = (qn + xn + *a).max0();
            }),
        }
    }
    q_norms
}

/// Whether the KD-tree beats the blocked GEMM search: few features (a tree
/// prunes little beyond ~16) and enough rows to amortise building it. With
/// the f32 selection product the brute search is fast enough to win at 16
/// features on a few thousand rows (pendigits, 16 × 4,118: 0.73× the
/// tree's CPU time), so 13–16 features take the tree only on many rows.
/// Measured on this project's machine: benches/NOTES.md.
pub fn use_kdtree(n_train: usize, d: usize) -> bool {
    (d <= KDTREE_MAX_FEATURES && n_train >= KDTREE_MIN_ROWS)
        || (d <= KDTREE_MAX_FEATURES_MANY_ROWS && n_train >= KDTREE_MANY_ROWS)
}

/// See [`use_kdtree`].
const KDTREE_MAX_FEATURES: usize = 12;
/// See [`use_kdtree`].
const KDTREE_MIN_ROWS: usize = 2048;
/// See [`use_kdtree`].
const KDTREE_MAX_FEATURES_MANY_ROWS: usize = 16;
/// See [`use_kdtree`].
const KDTREE_MANY_ROWS: usize = 16384;

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

/// `Σ v²` in index order, in the selection precision.
fn sq_norm_t<T: SelectionScalar>(v: ndarray::ArrayView1<'_, T>) -> T {
    v.iter().fold(T::zero(), |acc, &x| acc + x * x)
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
    fn a_neighbour_whose_f32_value_rounds_above_the_kth_is_still_found() {
        // Row 0 (B) and row 32 (A) lie within f32's rounding of each other:
        // A is nearer the origin exactly (‖A‖² = 1 − 5.8e-8 against
        // 1 − 4.76e-8), but in f32 A rounds to (1, 0), ‖·‖² = 1, and B to a
        // norm below 1. By the time A's chunk is scanned the 1st-nearest
        // approximate value is B's, below A's: only the rounding slack keeps
        // A a candidate (a keep test without it returns row 0).
        let mut rows = vec![[1.0 - 3.1e-8, 1.2e-4]];
        rows.extend((1..32).map(|i| [100.0 + f64::from(i), 100.0]));
        rows.push([1.0 - 2.9e-8, 0.0]);
        let train = Array2::from_shape_fn((rows.len(), 2), |(i, j)| rows[i][j]);
        let q = array![[0.0, 0.0]];
        let (f64_product, f32_product) = both_precisions(&train, Some(&q), 1);
        assert_eq!(f32_product.indices, array![[32]]);
        assert_eq!(f64_product, f32_product);
        assert_eq!(f32_product, brute(&train, Some(&q), 1));
    }

    /// The brute-force search with the selection product forced to f64 and
    /// to f32 (each checked to give the same result on every SIMD path the
    /// CPU has).
    fn both_precisions(
        train: &Array2<f64>,
        query: Option<&Array2<f64>>,
        k: usize,
    ) -> (Neighbors, Neighbors) {
        let rows = train.as_slice().unwrap();
        let norms: Vec<f64> = train.rows().into_iter().map(sq_norm).collect();
        let exact = Exact {
            train_rows: rows,
            train_norms: &norms,
            d: train.ncols(),
            exclude_self: query.is_none(),
            k,
        };
        let q = query.unwrap_or(train);
        let (t32, q32) = (train.mapv(|v| v as f32), q.mapv(|v| v as f32));
        // Whole rows per GEMM, a few tiles per row, and one scan chunk per
        // tile (the keep list then carries every row across many tiles).
        let mut results = Simd::available().into_iter().flat_map(|simd| {
            [TILE_BYTES, 3000, 1].map(|tile_bytes| {
                (
                    brute_search::<f64>(&exact, train.view(), q.view(), q.view(), simd, tile_bytes)
                        .unwrap(),
                    brute_search::<f32>(&exact, t32.view(), q32.view(), q.view(), simd, tile_bytes)
                        .unwrap(),
                )
            })
        });
        let first = results.next().unwrap();
        // Every instruction set and tiling gives the same bits.
        for other in results {
            assert_eq!(other, first);
        }
        first
    }

    #[test]
    fn f32_selection_returns_the_f64_bits() {
        // A 0.5 grid far from the origin (every f32 product is inexact and
        // there are many exact ties and duplicate rows), standardised-looking
        // Gaussian-ish data, and rows that differ below f32's resolution.
        let grid = data(600, 12, 21);
        let grid_q = data(250, 12, 22);
        let mut s = 7u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let smooth = Array2::from_shape_simple_fn((500, 40), &mut next);
        let smooth_q = Array2::from_shape_simple_fn((120, 40), &mut next);
        let mut close = Array2::from_elem((64, 9), 3.0);
        for (i, mut row) in close.rows_mut().into_iter().enumerate() {
            row[i % 9] += (i as f64) * 1e-9;
        }
        let close_q = Array2::from_elem((5, 9), 3.0 + 1e-10);
        for (train, q) in [(grid, grid_q), (smooth, smooth_q), (close, close_q)] {
            for k in [1, 5, 20] {
                let (f64_rows, f32_rows) = both_precisions(&train, Some(&q), k);
                assert_eq!(f64_rows, brute(&train, Some(&q), k), "k = {k}");
                assert_eq!(f32_rows, f64_rows, "rows, k = {k}");
                let (f64_train, f32_train) = both_precisions(&train, None, k);
                assert_eq!(f64_train, brute(&train, None, k), "train, k = {k}");
                assert_eq!(f32_train, f64_train, "train, k = {k}");
            }
        }
    }

    #[test]
    fn f32_selection_only_where_its_bound_holds() {
        let ok = Array2::from_elem((10, 8), 1.5);
        assert!(use_f32_selection(ok.view(), ok.view()));
        // Too few features to pay off.
        let narrow = Array2::from_elem((10, 7), 1.5);
        assert!(!use_f32_selection(narrow.view(), narrow.view()));
        // Zeros are exact in f32; tiny or huge magnitudes are not allowed
        // (subnormal products, overflowing norms), in either matrix.
        let mut zeros = ok.clone();
        zeros[[0, 0]] = 0.0;
        assert!(use_f32_selection(zeros.view(), ok.view()));
        for bad in [1e-16, -1e-16, 1e16, -1e16, 1e300] {
            let mut t = ok.clone();
            t[[3, 5]] = bad;
            assert!(!use_f32_selection(t.view(), ok.view()), "{bad}");
            assert!(!use_f32_selection(ok.view(), t.view()), "{bad}");
        }
        // The public search agrees with brute force on both sides of the
        // range test.
        let mut wide = data(300, 10, 31);
        let q = data(40, 10, 32);
        let got = kneighbors(wide.view(), Query::Rows(q.view()), 6).unwrap();
        assert_eq!(got, brute(&wide, Some(&q), 6));
        wide[[0, 0]] = 1e-20;
        let got = kneighbors(wide.view(), Query::Rows(q.view()), 6).unwrap();
        assert_eq!(got, brute(&wide, Some(&q), 6));
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
        assert!(!use_kdtree(4_118, 16));
        assert!(use_kdtree(20_000, 16));
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
