//! The GPU half of STOMP: `kernels/stomp.cu` sweeps the diagonals of the
//! distance matrix and returns the best `(ρ, index)` of every row (and, for
//! a self-join, of every column); `detectors::matrix_profile` does the rest
//! with its own code (rescaling, window statistics, row factors, constant
//! windows, the exact re-measure of the chosen pairs, distances). This
//! module knows nothing of detectors: it takes those statistics as plain
//! slices and returns plain vectors.
//!
//! # What is equal, and why
//!
//! The result equals the CPU sweep's (`Ctx::run` in
//! `detectors/matrix_profile/stomp.rs`) bit for bit, values and indices,
//! ties included, so the matrix profile built from it equals the CPU's bit
//! for bit (profile, index, left and right). By design:
//!
//! - every cell's `ρ` is computed with the CPU's operations in the CPU's
//!   order: the first cell of a diagonal is the CPU's exact centred dot
//!   product (eight interleaved partial sums combined in `reduce8`'s order,
//!   times the host's `1/m`); every later cell advances the covariance
//!   along its diagonal, `cov + (a_B[j]·b_A[i] − c_B[j]·d_A[i])`, from the
//!   diagonal's first cell, one thread per diagonal, never restarted; then
//!   `ρ = (cov·(1/σ_B[j]))·(1/σ_A[i])`, clipped at 1. The inputs (`1/σ`,
//!   `a`, `c`, the row factors `k·a`, `k·c`, the means) are the CPU's own
//!   vectors. The kernels are built with `--fmad=true`, so each of these
//!   operations is an explicit round-to-nearest intrinsic (`__dmul_rn`,
//!   `__dadd_rn`, `__dsub_rn`), which the compiler neither fuses into an
//!   FMA nor reorders; the CPU code uses no FMA either;
//! - the selection is the CPU's `better()` (larger `ρ`, then lower index), a
//!   total order on distinct cells, so the best of a row or column does not
//!   depend on the order cells are compared in (the GPU reduces tiles,
//!   blocks and launches in its own order, the CPU per rayon thread);
//! - the CPU offers a diagonal's first cell unconditionally (`min(ρ, 1)`
//!   turns a NaN into 1) and a later cell only when `ρ >=` the running best,
//!   which a NaN never is: the kernel does the same. (A NaN needs a
//!   covariance overflowing against a window whose spread is ~1e-150.)
//!
//! The one thing not checked on this machine is the claim itself on a GPU:
//! `tests/gpu_stomp.rs` compares the two bit for bit on real series.
//!
//! # Memory
//!
//! Blocks of [`THREADS`] diagonals write per-block partial bests (12 bytes
//! per row and per column of the matrix each); `stomp_merge` folds a
//! launch's partials into the running bests. Launches take as many blocks
//! as half the free device memory (at most [`MAX_PARTIAL_BYTES`]) holds for
//! the partials; an input whose inputs and one block's partials do not fit
//! is [`GpuError::NotApplicable`] (the CPU runs it).

use super::driver::driver_err;
use super::{Gpu, GpuError, Kernels};
use cudarc::driver::{CudaSlice, LaunchConfig, PushKernelArg};
use std::ops::Range;

/// Diagonals per block (`THREADS` in kernels/stomp.cu).
const THREADS: usize = 128;
/// Threads per block of `stomp_merge` (its `__launch_bounds__`).
const MERGE_THREADS: usize = 256;
/// The most memory the partial buffers of one launch take.
const MAX_PARTIAL_BYTES: usize = 16 << 30;
/// Bytes of one partial or best entry: an f64 value and an i32 index.
const ENTRY_BYTES: usize = 12;

/// The rows of the distance matrix: the windows of series `A`, with the
/// CPU's statistics.
#[derive(Debug, Clone, Copy)]
pub struct RowWindows<'a> {
    /// The series, `len + m - 1` points.
    pub t: &'a [f64],
    /// Window means, one per window.
    pub mean: &'a [f64],
    /// `1/σ` per window (0 for a constant one).
    pub inv_sigma: &'a [f64],
    /// Row factors `k·a[i]` and `k·c[i]` of the recurrence.
    pub factor_b: &'a [f64],
    pub factor_d: &'a [f64],
}

/// The columns: the windows of series `B` (`A` again for a self-join).
#[derive(Debug, Clone, Copy)]
pub struct ColumnWindows<'a> {
    /// The series, `len + m - 1` points.
    pub t: &'a [f64],
    pub mean: &'a [f64],
    pub inv_sigma: &'a [f64],
    /// `T[j+m-1] - M'[j]` and `T[j-1] - M'[j]` of the recurrence.
    pub a: &'a [f64],
    pub c: &'a [f64],
}

/// One sweep: the cells `(i, i + g)` for `g` in `diagonals`.
#[derive(Debug, Clone)]
pub struct Sweep<'a> {
    pub rows: RowWindows<'a>,
    pub cols: ColumnWindows<'a>,
    /// Window length.
    pub m: usize,
    /// Diagonals to visit, inside `-(rows - 1)..columns`.
    pub diagonals: Range<isize>,
    /// Also keep the best cell of every column (a self-join's left
    /// candidates); otherwise rows only.
    pub columns: bool,
}

/// The best `(ρ, index)` of every row (index: the column) and, with
/// [`Sweep::columns`], of every column (index: the row), `ρ` clipped at 1;
/// `(-inf, -1)` where no cell was visited. Without columns, `col_*` are
/// empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Best {
    pub row_val: Vec<f64>,
    pub row_idx: Vec<i64>,
    pub col_val: Vec<f64>,
    pub col_idx: Vec<i64>,
}

/// Checked sizes of a sweep, in the kernel's `int`s.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Shape {
    la: usize,
    lb: usize,
    d_start: i32,
    d_end: i32,
    n_blocks: usize,
}

fn not_applicable(why: impl Into<String>) -> GpuError {
    GpuError::NotApplicable(why.into())
}

/// Check the lengths agree and fit the kernel's `int` arithmetic
/// (`la + lb` plus a block's width must stay below `i32::MAX`).
fn shape(s: &Sweep<'_>) -> Result<Shape, GpuError> {
    let (r, c, m) = (&s.rows, &s.cols, s.m);
    let (la, lb) = (r.mean.len(), c.mean.len());
    if m == 0 || la == 0 || lb == 0 {
        return Err(not_applicable("an empty series or window"));
    }
    let rows_ok = r.t.len() == la + m - 1
        && r.inv_sigma.len() == la
        && r.factor_b.len() == la
        && r.factor_d.len() == la;
    let cols_ok =
        c.t.len() == lb + m - 1 && c.inv_sigma.len() == lb && c.a.len() == lb && c.c.len() == lb;
    if !rows_ok || !cols_ok {
        return Err(not_applicable("inconsistent window statistics"));
    }
    let limit = i32::MAX as usize - 4 * THREADS;
    if la + lb + m > limit {
        return Err(not_applicable(format!(
            "{la} × {lb} windows of {m} points exceed the kernel's 32-bit indices"
        )));
    }
    let lo = -(la as isize - 1);
    let hi = lb as isize;
    let d = &s.diagonals;
    if d.start < lo || d.end > hi {
        return Err(not_applicable(format!(
            "diagonals {d:?} outside the matrix ({lo}..{hi})"
        )));
    }
    let n_diag = usize::try_from(d.end - d.start).unwrap_or(0);
    Ok(Shape {
        la,
        lb,
        // In range: checked against la and lb above.
        d_start: d.start as i32,
        d_end: d.end.max(d.start) as i32,
        n_blocks: n_diag.div_ceil(THREADS),
    })
}

/// The launches: consecutive ranges of blocks, each with as many blocks as
/// `budget` bytes of partials hold (`per_block` each), at least one.
fn launches(n_blocks: usize, per_block: usize, budget: usize) -> Vec<Range<usize>> {
    let per_launch = (budget / per_block.max(1)).clamp(1, n_blocks.max(1));
    (0..n_blocks)
        .step_by(per_launch)
        .map(|b| b..(b + per_launch).min(n_blocks))
        .collect()
}

/// Device memory of one sweep: inputs and bests (`fixed`), and one block's
/// partials (`per_block`), in bytes.
fn memory(s: &Sweep<'_>, shape: &Shape) -> (usize, usize) {
    let f = std::mem::size_of::<f64>();
    let (la, lb) = (shape.la, shape.lb);
    let cols = if s.columns { lb } else { 0 };
    let inputs = f * (s.rows.t.len() + 4 * la + s.cols.t.len() + 4 * lb);
    let fixed = inputs + ENTRY_BYTES * (la + cols);
    (fixed, ENTRY_BYTES * (la + cols))
}

/// Sweep the diagonals on the GPU: the best `(ρ, index)` of every row (and
/// column), as the CPU's `Ctx::run` finds them (bit for bit: see the
/// module doc).
pub fn sweep(gpu: &Gpu, s: &Sweep<'_>) -> Result<Best, GpuError> {
    let sh = shape(s)?;
    let (la, lb) = (sh.la, sh.lb);
    let n_cols = if s.columns { lb } else { 0 };
    if sh.n_blocks == 0 {
        return Ok(Best {
            row_val: vec![f64::NEG_INFINITY; la],
            row_idx: vec![-1; la],
            col_val: vec![f64::NEG_INFINITY; n_cols],
            col_idx: vec![-1; n_cols],
        });
    }
    let _guard = gpu.lock();
    let (fixed, per_block) = memory(s, &sh);
    let avail = gpu.free_memory()? / 2;
    if fixed + per_block > avail {
        return Err(not_applicable(format!(
            "the sweep needs at least {} MiB of GPU memory, {} MiB are free",
            (fixed + per_block) >> 20,
            (avail * 2) >> 20
        )));
    }
    let plan = launches(
        sh.n_blocks,
        per_block,
        (avail - fixed).min(MAX_PARTIAL_BYTES),
    );
    let per_launch = plan.first().map_or(1, |r| r.len());

    let stream = gpu.stream();
    let sweep_fn = gpu.function(Kernels::Stomp, "stomp_sweep")?;
    let merge_fn = gpu.function(Kernels::Stomp, "stomp_merge")?;
    let up = |x: &[f64]| stream.clone_htod(x).map_err(driver_err("stomp upload"));
    let (r, c) = (&s.rows, &s.cols);
    let ta = up(r.t)?;
    let mean_a = up(r.mean)?;
    let isig_a = up(r.inv_sigma)?;
    let fb_a = up(r.factor_b)?;
    let fd_a = up(r.factor_d)?;
    let tb = up(c.t)?;
    let mean_b = up(c.mean)?;
    let isig_b = up(c.inv_sigma)?;
    let a_b = up(c.a)?;
    let c_b = up(c.c)?;
    let empty = |n: usize| -> Result<(CudaSlice<f64>, CudaSlice<i32>), GpuError> {
        // One entry at least: an unused buffer is still a valid pointer.
        let n = n.max(1);
        Ok((
            stream
                .clone_htod(&vec![f64::NEG_INFINITY; n])
                .map_err(driver_err("stomp best buffers"))?,
            stream
                .clone_htod(&vec![-1i32; n])
                .map_err(driver_err("stomp best buffers"))?,
        ))
    };
    let (mut best_row_v, mut best_row_i) = empty(la)?;
    let (mut best_col_v, mut best_col_i) = empty(n_cols)?;
    let zeros_f = |n: usize| {
        stream
            .alloc_zeros::<f64>(n.max(1))
            .map_err(driver_err("stomp partial buffers"))
    };
    let zeros_i = |n: usize| {
        stream
            .alloc_zeros::<i32>(n.max(1))
            .map_err(driver_err("stomp partial buffers"))
    };
    let mut part_row_v = zeros_f(per_launch * la)?;
    let mut part_row_i = zeros_i(per_launch * la)?;
    let mut part_col_v = zeros_f(per_launch * n_cols)?;
    let mut part_col_i = zeros_i(per_launch * n_cols)?;

    // Kernel ints (all checked by `shape` to fit).
    let (la_i, lb_i, m_i) = (la as i32, lb as i32, s.m as i32);
    let inv_m = 1.0 / s.m as f64;
    let (d_start, d_end) = (sh.d_start, sh.d_end);
    let columns = i32::from(s.columns);
    let (rows_flag, cols_flag) = (0i32, 1i32);
    for blocks in &plan {
        let b_first = blocks.start as i32;
        let slots = blocks.len() as i32;
        let cfg = LaunchConfig {
            grid_dim: (blocks.len() as u32, 1, 1),
            block_dim: (THREADS as u32, 1, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: the arguments are stomp_sweep's, in its order and types;
        // every buffer is as long as the kernel indexes it (series and
        // statistics checked by `shape`, partials `per_launch` slots of la
        // and lb entries, per_launch >= blocks.len()).
        unsafe {
            stream
                .launch_builder(&sweep_fn)
                .arg(&ta)
                .arg(&mean_a)
                .arg(&isig_a)
                .arg(&fb_a)
                .arg(&fd_a)
                .arg(&la_i)
                .arg(&tb)
                .arg(&mean_b)
                .arg(&isig_b)
                .arg(&a_b)
                .arg(&c_b)
                .arg(&lb_i)
                .arg(&m_i)
                .arg(&inv_m)
                .arg(&d_start)
                .arg(&d_end)
                .arg(&b_first)
                .arg(&columns)
                .arg(&mut part_row_v)
                .arg(&mut part_row_i)
                .arg(&mut part_col_v)
                .arg(&mut part_col_i)
                .launch(cfg)
        }
        .map_err(driver_err("stomp_sweep launch"))?;
        let merge = |len: usize,
                     flag: &i32,
                     part_v: &CudaSlice<f64>,
                     part_i: &CudaSlice<i32>,
                     best_v: &mut CudaSlice<f64>,
                     best_i: &mut CudaSlice<i32>|
         -> Result<(), GpuError> {
            let len_i = len as i32;
            let cfg = LaunchConfig {
                grid_dim: (len.div_ceil(MERGE_THREADS) as u32, 1, 1),
                block_dim: (MERGE_THREADS as u32, 1, 1),
                shared_mem_bytes: 0,
            };
            // SAFETY: stomp_merge's arguments in order; the partials hold
            // `slots` slots of `len` entries, the bests `len` entries.
            unsafe {
                stream
                    .launch_builder(&merge_fn)
                    .arg(part_v)
                    .arg(part_i)
                    .arg(&len_i)
                    .arg(&slots)
                    .arg(&b_first)
                    .arg(&d_start)
                    .arg(&d_end)
                    .arg(&la_i)
                    .arg(&lb_i)
                    .arg(flag)
                    .arg(best_v)
                    .arg(best_i)
                    .launch(cfg)
            }
            .map(|_| ())
            .map_err(driver_err("stomp_merge launch"))
        };
        merge(
            la,
            &rows_flag,
            &part_row_v,
            &part_row_i,
            &mut best_row_v,
            &mut best_row_i,
        )?;
        if s.columns {
            merge(
                lb,
                &cols_flag,
                &part_col_v,
                &part_col_i,
                &mut best_col_v,
                &mut best_col_i,
            )?;
        }
    }
    let down_v = |x: &CudaSlice<f64>, n: usize| -> Result<Vec<f64>, GpuError> {
        let mut v = stream.clone_dtoh(x).map_err(driver_err("stomp download"))?;
        v.truncate(n);
        Ok(v)
    };
    let down_i = |x: &CudaSlice<i32>, n: usize| -> Result<Vec<i64>, GpuError> {
        let v = stream.clone_dtoh(x).map_err(driver_err("stomp download"))?;
        Ok(v.into_iter().take(n).map(i64::from).collect())
    };
    Ok(Best {
        row_val: down_v(&best_row_v, la)?,
        row_idx: down_i(&best_row_i, la)?,
        col_val: down_v(&best_col_v, n_cols)?,
        col_idx: down_i(&best_col_i, n_cols)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The kernel's block geometry (kernels/stomp.cu), mirrored.
    fn diag_rows(g: isize, la: isize, lb: isize) -> Range<isize> {
        (-g).max(0)..la.min(lb - g)
    }
    fn block_rows(g0: isize, g1: isize, la: isize, lb: isize) -> Range<isize> {
        (1 - g1).max(0)..la.min(lb - g0)
    }
    fn block_cols(g0: isize, g1: isize, la: isize, lb: isize) -> Range<isize> {
        g0.max(0)..lb.min(la + g1 - 1)
    }

    #[test]
    fn block_ranges_are_exactly_the_rows_and_columns_with_cells() {
        // Every block of every diagonal range of small matrices: the
        // kernel's row and column ranges hold exactly the rows and columns
        // with at least one cell, so a block writes every partial the merge
        // reads and no other.
        for (la, lb) in [(1, 1), (1, 7), (7, 1), (5, 9), (9, 5), (12, 12)] {
            for width in [1, 2, 3, 128] {
                let (lo, hi) = (-(la - 1), lb);
                for d_start in lo..hi {
                    let mut g0 = d_start;
                    while g0 < hi {
                        let g1 = (g0 + width).min(hi);
                        let mut rows = std::collections::BTreeSet::new();
                        let mut cols = std::collections::BTreeSet::new();
                        for g in g0..g1 {
                            for i in diag_rows(g, la, lb) {
                                rows.insert(i);
                                cols.insert(i + g);
                            }
                        }
                        let r = block_rows(g0, g1, la, lb);
                        let c = block_cols(g0, g1, la, lb);
                        assert_eq!(rows.into_iter().collect::<Vec<_>>(), r.collect::<Vec<_>>());
                        assert_eq!(cols.into_iter().collect::<Vec<_>>(), c.collect::<Vec<_>>());
                        g0 = g1;
                    }
                }
            }
        }
    }

    #[test]
    fn tile_reduction_visits_every_cell_once_in_its_row_and_column() {
        // kernels/stomp.cu step 2: warp q, lane λ reduces row λ over tile
        // columns 32q..32q+32 and, for columns, reads row r at tile column
        // 32q + ((λ - r) & 31) into relative matrix column 32q + λ (r <= λ)
        // or 32q + λ + 32 (r > λ); step 3 merges relative column c from
        // warp c/32 (first half) and warp c/32 - 1 (second half).
        const ROWS: usize = 32;
        const RING: usize = 256;
        let warps = THREADS / 32;
        let mut row_cells = Vec::new();
        let mut col_cells = Vec::new();
        for q in 0..warps {
            for lane in 0..32usize {
                row_cells.extend((0..32).map(|s| (lane, q * 32 + s)));
                for r in 0..ROWS {
                    let t = q * 32 + (lane as isize - r as isize).rem_euclid(32) as usize;
                    let rel = q * 32 + lane + if r > lane { 32 } else { 0 };
                    assert_eq!(r + t, rel, "cell (r {r}, t {t}) lands in its column");
                    col_cells.push((r, t));
                    // Step 3 reads it back for column `rel`.
                    let (cq, cl) = (rel / 32, rel % 32);
                    let first_half = cq < warps && cq == q && cl == lane && r <= lane;
                    let second_half = cq >= 1 && cq - 1 == q && cl == lane && r > lane;
                    assert!(
                        first_half || second_half,
                        "column {rel} collects ({r}, {t})"
                    );
                    // Every relative column step 3 visits is below ROWS + THREADS - 1.
                    assert!(rel < ROWS + THREADS - 1);
                }
            }
        }
        let every: Vec<(usize, usize)> = (0..ROWS)
            .flat_map(|r| (0..THREADS).map(move |t| (r, t)))
            .collect();
        row_cells.sort_unstable();
        col_cells.sort_unstable();
        assert_eq!(row_cells, every);
        assert_eq!(col_cells, every);
        // The ring holds every live column.
        const { assert!(ROWS + THREADS - 1 <= RING) };
    }

    #[test]
    fn launches_split_the_blocks_by_memory() {
        assert_eq!(launches(10, 100, 1000), vec![0..10]);
        assert_eq!(launches(10, 100, 300), vec![0..3, 3..6, 6..9, 9..10]);
        // Less than one block's worth still runs one block per launch (the
        // caller refuses inputs whose single block does not fit).
        assert_eq!(launches(3, 100, 10), vec![0..1, 1..2, 2..3]);
        assert_eq!(launches(0, 100, 1000), Vec::<Range<usize>>::new());
        // Consecutive, covering, in order.
        for (n, per, budget) in [(1000, 24, 1 << 20), (7, 3, 8), (128, 1, 127)] {
            let plan = launches(n, per, budget);
            assert_eq!(plan.first().map(|r| r.start), Some(0));
            assert_eq!(plan.last().map(|r| r.end), Some(n));
            assert!(plan.windows(2).all(|w| w[0].end == w[1].start));
        }
    }

    fn series(n: usize) -> Vec<f64> {
        (0..n).map(|k| (k as f64 * 0.37).sin()).collect()
    }

    #[test]
    fn shapes_are_checked() {
        let (m, la, lb) = (4usize, 10usize, 6usize);
        let (ta, tb) = (series(la + m - 1), series(lb + m - 1));
        let (va, vb) = (vec![0.5; la], vec![0.5; lb]);
        let rows = RowWindows {
            t: &ta,
            mean: &va,
            inv_sigma: &va,
            factor_b: &va,
            factor_d: &va,
        };
        let cols = ColumnWindows {
            t: &tb,
            mean: &vb,
            inv_sigma: &vb,
            a: &vb,
            c: &vb,
        };
        let sweep = |diagonals: Range<isize>| Sweep {
            rows,
            cols,
            m,
            diagonals,
            columns: true,
        };
        let s = shape(&sweep(-9..6)).expect("the whole AB matrix");
        assert_eq!((s.la, s.lb, s.d_start, s.d_end), (10, 6, -9, 6));
        assert_eq!(s.n_blocks, 1);
        assert_eq!(shape(&sweep(3..3)).map(|s| s.n_blocks), Ok(0));
        assert!(shape(&sweep(-10..6)).is_err());
        assert!(shape(&sweep(0..7)).is_err());
        let short = Sweep {
            rows: RowWindows {
                t: &ta[1..],
                ..rows
            },
            ..sweep(0..6)
        };
        assert!(matches!(shape(&short), Err(GpuError::NotApplicable(_))));
        let (fixed, per_block) = memory(&sweep(0..6), &s);
        assert_eq!(per_block, 12 * (la + lb));
        assert_eq!(
            fixed,
            8 * (ta.len() + 4 * la + tb.len() + 4 * lb) + 12 * (la + lb)
        );
        let rows_only = Sweep {
            columns: false,
            ..sweep(0..6)
        };
        assert_eq!(memory(&rows_only, &s).1, 12 * la);
    }
}
