//! The CPU end of the GPU neighbour search: given, for each query row, a
//! list of candidate training rows and a *threshold* t such that every
//! training row not listed has an approximate squared distance of at least
//! t (what `kernels/sqdist_topk.cu` returns), re-measure the candidates
//! exactly and prove that nothing outside them can be among the k nearest;
//! a row the proof does not cover is searched exhaustively on the CPU.
//!
//! **Why the answers are the CPU path's bits.** The CPU search returns, for
//! each row, the k smallest `(ê, j)` in (value, index) order over all
//! training rows, `ê` the direct-difference sum `Σ_f (q_f − x_f)²` of
//! [`sq_dists_to_listed_rows`] (see the parent module). Here the same `ê`
//! are computed for the candidates, offered in index order to the same
//! bounded insertion, so the result is the k smallest `(ê, j)` among the
//! candidates. It is the global answer when every unlisted row has
//! `ê_j > E_k`, the k-th value found. For an unlisted row,
//! `a_j ≥ t`, `|a_j − e_j| ≤ C (‖q‖² + ‖x_j‖²)` (the selection's rounding
//! bound, the parent module's `C = 8 (d + 4) ε` of the selection
//! precision, valid for any summation order and with fused multiply-adds)
//! and `ê_j ≥ e_j (1 − 2 (d + 2) ε₆₄)` (a sum of non-negative terms), so
//! `ê_j ≥ (t − C (‖q‖² + max ‖x‖²)) (1 − 2 (d + 2) ε₆₄)`; when that floor,
//! lowered once more by 2⁻⁴⁰ for its own roundings, is above `E_k`, the
//! row is certified. Otherwise (fewer than k candidates, many ties or
//! duplicates at the k-th distance, or a list too short) every training
//! row is re-measured, which is the same answer by definition. Candidate
//! lists may hold duplicates, out-of-range entries (`-1` pads) and the
//! query's own index: they are dropped first.

use super::{Neighbors, NeighborsError, TopK};
use crate::detectors::distance::sq_dists_to_listed_rows;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// One selection's output: `keep` candidate indices per query row (`-1`
/// where there were fewer), and per row the threshold every unlisted
/// training row's approximate value reaches (∞ when all were listed).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates {
    pub keep: usize,
    pub indices: Vec<i64>,
    pub thresholds: Vec<f64>,
    /// The selection's rounding bound factor C (see the module doc).
    pub bound_factor: f64,
}

/// The search's answer and how many rows needed the exhaustive fallback.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub neighbors: Neighbors,
    pub fallback_rows: usize,
}

/// Rows per parallel task (fixed: the partition does not depend on the
/// thread count, and each row's answer depends only on that row anyway).
const ROWS_PER_TASK: usize = 64;

/// Re-measure `candidates` exactly for every query row (`query` = `None`:
/// the training rows themselves, each leaving out its own index) and
/// return the k nearest, as the CPU search does.
pub fn finish(
    train: ArrayView2<'_, f64>,
    query: Option<ArrayView2<'_, f64>>,
    k: usize,
    candidates: &Candidates,
) -> Result<Finished, NeighborsError> {
    let exclude_self = query.is_none();
    let query = query.unwrap_or(train);
    let (n_train, d) = train.dim();
    let n_query = query.nrows();
    let keep = candidates.keep;
    if query.ncols() != d {
        return Err(NeighborsError::Columns {
            expected: d,
            got: query.ncols(),
        });
    }
    if k == 0 {
        return Err(NeighborsError::ZeroK);
    }
    let available = n_train.saturating_sub(usize::from(exclude_self));
    if k > available {
        return Err(NeighborsError::TooFewRows { k, available });
    }
    if candidates.indices.len() != n_query * keep || candidates.thresholds.len() != n_query {
        return Err(NeighborsError::Shape);
    }
    let train = train.as_standard_layout();
    let rows = train.as_slice().ok_or(NeighborsError::Shape)?;
    let max_norm = train
        .rows()
        .into_iter()
        .map(|r| r.iter().fold(0.0f64, |a, &x| a + x * x))
        .fold(0.0f64, f64::max);
    let c = candidates.bound_factor;
    let slack = 2.0 * (d as f64 + 2.0) * f64::EPSILON + 1.0 / (1u64 << 40) as f64;

    let mut found = vec![(0.0f64, 0usize); n_query * k];
    let fallbacks: usize = found
        .par_chunks_mut(ROWS_PER_TASK * k)
        .enumerate()
        .map(|(task, out)| {
            let first = task * ROWS_PER_TASK;
            let mut q = Vec::with_capacity(d);
            let mut listed = Vec::with_capacity(keep);
            let mut exact = Vec::with_capacity(keep);
            let mut best = TopK::new(k);
            let mut fell_back = 0;
            for (r, slot) in out.chunks_mut(k).enumerate() {
                let i = first + r;
                let self_index = if exclude_self { i } else { usize::MAX };
                q.clear();
                q.extend(query.row(i).iter());
                listed.clear();
                listed.extend(
                    candidates.indices[i * keep..(i + 1) * keep]
                        .iter()
                        .filter_map(|&j| usize::try_from(j).ok())
                        .filter(|&j| j < n_train && j != self_index),
                );
                listed.sort_unstable();
                listed.dedup();
                measure(&q, rows, d, &listed, &mut exact, &mut best);
                let q_norm = q.iter().fold(0.0f64, |a, &x| a + x * x);
                let floor = (candidates.thresholds[i] - c * (q_norm + max_norm)) * (1.0 - slack);
                let certified = best.items.len() == k && floor > best.worst();
                if !certified {
                    fell_back += 1;
                    listed.clear();
                    listed.extend((0..n_train).filter(|&j| j != self_index));
                    measure(&q, rows, d, &listed, &mut exact, &mut best);
                }
                for (o, e) in slot.iter_mut().zip(best.entries()) {
                    *o = e;
                }
            }
            fell_back
        })
        .sum();
    let mut distances = Array2::zeros((n_query, k));
    let mut indices = Array2::zeros((n_query, k));
    for (i, slot) in found.chunks(k).enumerate() {
        for (c, &(sq, j)) in slot.iter().enumerate() {
            distances[[i, c]] = sq.sqrt();
            indices[[i, c]] = j;
        }
    }
    Ok(Finished {
        neighbors: Neighbors { distances, indices },
        fallback_rows: fallbacks,
    })
}

/// The exact values of the `listed` rows (ascending indices), offered in
/// index order: `best` ends with the k smallest `(ê, j)`.
fn measure(
    q: &[f64],
    rows: &[f64],
    d: usize,
    listed: &[usize],
    exact: &mut Vec<f64>,
    best: &mut TopK,
) {
    sq_dists_to_listed_rows(q, rows, d, listed, exact);
    best.clear();
    for (&j, &e) in listed.iter().zip(exact.iter()) {
        best.offer(e, j);
    }
}

/// The GPU search (what [`super::kneighbors`] runs when a GPU is selected;
/// public for the GPU equivalence tests): candidates from
/// `kernels/sqdist_topk.cu` (f32 selection
/// where the CPU would use it, else f64), finished on the CPU.
#[cfg(feature = "cuda")]
pub fn gpu_search(
    gpu: &crate::gpu::Gpu,
    train: ArrayView2<'_, f64>,
    query: Option<ArrayView2<'_, f64>>,
    k: usize,
) -> Result<Neighbors, crate::gpu::GpuError> {
    use crate::gpu::GpuError;
    use crate::gpu::neighbors::{MAX_KEEP, Selection, select};
    let (n_train, d) = train.dim();
    let q = query.unwrap_or(train);
    if n_train.saturating_mul(q.nrows()) < GPU_MIN_PAIRS {
        return Err(GpuError::NotApplicable(format!(
            "{} × {n_train} pairs: fewer than {GPU_MIN_PAIRS}",
            q.nrows()
        )));
    }
    if k >= MAX_KEEP {
        return Err(GpuError::NotApplicable(format!(
            "k = {k}: the kernel keeps at most {MAX_KEEP} candidates"
        )));
    }
    if !train.iter().chain(q.iter()).all(|v| v.is_finite()) {
        return Err(GpuError::NotApplicable("non-finite values".into()));
    }
    // A list much longer than k: the f32 bound is wide next to small
    // distances (glass: a third of the rows fail certification with
    // 2k + 8 candidates, none with 64; tests/neighbors_candidates.rs).
    let keep = (4 * k).clamp(32, MAX_KEEP);
    let self_offset = query.is_none().then_some(0);
    let (selected, bound_factor): (Selection, f64) = if super::use_f32_selection(train, q) {
        let t32 = train.mapv(|v| v as f32);
        let q32 = q.mapv(|v| v as f32);
        let tn: Vec<f32> = t32.rows().into_iter().map(super::sq_norm_t).collect();
        let qn: Vec<f32> = q32.rows().into_iter().map(super::sq_norm_t).collect();
        let bound = 8.0 * (d as f64 + 4.0) * f64::from(f32::EPSILON);
        (
            select(gpu, t32.view(), q32.view(), &tn, &qn, self_offset, keep)?,
            bound,
        )
    } else {
        let tn: Vec<f64> = train.rows().into_iter().map(super::sq_norm).collect();
        let qn: Vec<f64> = q.rows().into_iter().map(super::sq_norm).collect();
        let bound = 8.0 * (d as f64 + 4.0) * f64::EPSILON;
        (select(gpu, train, q, &tn, &qn, self_offset, keep)?, bound)
    };
    let candidates = Candidates {
        keep: selected.keep,
        indices: selected.indices,
        thresholds: selected.thresholds,
        bound_factor,
    };
    finish(train, query, k, &candidates)
        .map(|f| f.neighbors)
        .map_err(|e| GpuError::NotApplicable(e.to_string()))
}

/// Below this many (query, training) pairs the CPU search is faster than a
/// GPU round trip (transfers and launch ≈ a millisecond).
#[cfg(feature = "cuda")]
const GPU_MIN_PAIRS: usize = 1 << 22;
