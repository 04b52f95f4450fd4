//! IsolationForest scoring on the GPU (`kernels/iforest_score.cu`): each
//! row's sum of path lengths over the trees. The detector
//! (`detectors::isolation_forest`) flattens its trees into a [`Forest`] and
//! finishes each total into a score with its own `score_from_total`
//! (`2^(-total / (T c(ψ)))`), so the scores are the CPU's, bit for bit.
//!
//! Why the totals are the same bits as the CPU's, by construction:
//! * the CPU scorer sums a row's path lengths over the trees in tree order,
//!   starting from +0.0, one row at a time (its blocks of rows only decide
//!   which rows walk together, never the order of a row's additions). The
//!   kernel runs one thread per row that adds the same values in the same
//!   order from +0.0; double additions are IEEE round-to-nearest on both, and
//!   the kernel forms no product, so fused multiply-adds cannot enter;
//! * the values added are the CPU's own: a leaf's `depth + c(n_samples)` is
//!   computed once on the host by the CPU's code (`compile_tree`) and copied
//!   into the flat arrays; the GPU evaluates no logarithm, `c(n)` or `exp2`;
//! * a row reaches the same leaf: the kernel's step is the CPU's
//!   (`x[feature] > threshold` goes right, anything else, NaN included,
//!   left; the left child is the next node in the CPU's pre-order numbering,
//!   kept per tree), stopping at the leaf the CPU's fixed-length walk ends
//!   on (a CPU leaf is its own child; the walk is bounded by the tree's
//!   depth, the CPU's walk length);
//! * the row values are the caller's f64, copied unchanged.
//!
//! The CPU walk over the same flat arrays
//! (`detectors::isolation_forest::FlatForest::path_total`) is tested against
//! the CPU scorer; `tests/gpu_iforest.rs` compares the GPU's scores with the
//! CPU's bit for bit on ODDS datasets.
//!
//! Inputs below [`MIN_WALKS`] row-tree walks are [`GpuError::NotApplicable`]
//! (the CPU runs them): there the fixed cost of a call (forest upload, a
//! launch, a synchronisation: a fraction of a millisecond) is about what the
//! CPU needs for the whole input. The forest is uploaded once per call; rows
//! go in chunks of at most [`MAX_CHUNK_ROWS`], fewer when free device memory
//! is short.

use super::driver::driver_err;
use super::{Gpu, GpuError, Kernels};
use cudarc::driver::{LaunchConfig, PushKernelArg};

/// A forest as flat arrays (layout: `detectors::isolation_forest::FlatForest`
/// and `kernels/iforest_score.cu`).
#[derive(Debug, Clone, Copy)]
pub struct Forest<'a> {
    /// Per node: split threshold, or a leaf's path length.
    pub value: &'a [f64],
    /// Per node: split column and right child (relative to its tree); a
    /// negative column marks a leaf.
    pub link: &'a [i32],
    /// First node of each tree, then the node count.
    pub tree_start: &'a [i32],
    /// Depth of each tree's deepest leaf.
    pub tree_depth: &'a [i32],
    /// Values per row.
    pub n_features: usize,
}

impl Forest<'_> {
    pub fn n_trees(&self) -> usize {
        self.tree_depth.len()
    }
}

/// Row-tree walks (rows × trees) below which the GPU is not used: 1311 rows
/// of a 100-tree forest. A guess from the fixed cost of a call against the
/// CPU's speed (roughly a microsecond per row of 100 trees per core), to be
/// tuned from `tests/gpu_iforest.rs`'s timing lines.
pub const MIN_WALKS: usize = 1 << 17;

/// Rows per launch at most (device memory per chunk: 8 (d + 1) bytes a row).
pub const MAX_CHUNK_ROWS: usize = 1 << 20;

/// Threads per block (`THREADS` in the kernel).
const THREADS: u32 = 256;

/// [`GpuError::NotApplicable`] when `n_rows × n_trees` is below
/// [`MIN_WALKS`].
pub fn check_size(n_rows: usize, n_trees: usize) -> Result<(), GpuError> {
    let walks = n_rows.saturating_mul(n_trees);
    if walks < MIN_WALKS {
        return Err(GpuError::NotApplicable(format!(
            "{n_rows} rows × {n_trees} trees: fewer than {MIN_WALKS} row-tree walks"
        )));
    }
    Ok(())
}

/// Everything the kernel relies on to stay inside its arrays: consistent
/// lengths, counts within `int`, each tree's nodes a non-empty range, every
/// split column below `n_features`, every internal node's children (the
/// next node and `right`) inside its tree and after it.
fn check_forest(f: &Forest<'_>) -> Result<(), String> {
    let (n_nodes, n_trees) = (f.value.len(), f.n_trees());
    if n_trees == 0 {
        return Err("the forest has no trees".into());
    }
    if n_nodes > i32::MAX as usize || f.n_features > i32::MAX as usize {
        return Err(format!(
            "{n_nodes} nodes or {} columns exceed the kernel's indices",
            f.n_features
        ));
    }
    if f.link.len() != 2 * n_nodes || f.tree_start.len() != n_trees + 1 {
        return Err("the forest's arrays differ in length".into());
    }
    if f.tree_start[0] != 0 || f.tree_start[n_trees] as usize != n_nodes {
        return Err("the tree offsets do not cover the nodes".into());
    }
    for t in 0..n_trees {
        let (start, end) = (f.tree_start[t], f.tree_start[t + 1]);
        if start < 0 || end <= start || end as usize > n_nodes {
            return Err(format!(
                "tree {t}'s nodes {start}..{end} are not a range of the forest's"
            ));
        }
        if f.tree_depth[t] < 0 {
            return Err(format!("tree {t} has a negative depth"));
        }
        let size = (end - start) as usize;
        let start = start as usize;
        for i in 0..size {
            let k = start + i;
            let (feature, right) = (f.link[2 * k], f.link[2 * k + 1]);
            if feature < 0 {
                continue; // a leaf: no child is read
            }
            if feature as usize >= f.n_features {
                return Err(format!("tree {t} node {i} splits on column {feature}"));
            }
            if right < 0 || right as usize <= i + 1 || right as usize >= size {
                return Err(format!("tree {t} node {i} has right child {right}"));
            }
        }
    }
    Ok(())
}

/// Rows per chunk: what fits in half the free device memory after the
/// forest (row values and a total per row), at most [`MAX_CHUNK_ROWS`] and
/// `n_rows`; `None` when not even one row fits.
fn chunk_rows(n_rows: usize, d: usize, free: usize, forest_bytes: usize) -> Option<usize> {
    let budget = (free / 2).checked_sub(forest_bytes)?;
    let per_row = 8usize.checked_mul(d.checked_add(1)?)?;
    let rows = (budget / per_row).min(n_rows).min(MAX_CHUNK_ROWS);
    (rows > 0).then_some(rows)
}

/// Each row's sum of path lengths over `forest`'s trees, in tree order from
/// +0.0 (bit-identical to the CPU's, see the module doc). `rows` holds
/// `n_rows` rows of `forest.n_features` values, row-major.
pub fn path_totals(
    gpu: &Gpu,
    forest: &Forest<'_>,
    rows: &[f64],
    n_rows: usize,
) -> Result<Vec<f64>, GpuError> {
    check_size(n_rows, forest.n_trees())?;
    check_forest(forest).map_err(GpuError::NotApplicable)?;
    let d = forest.n_features;
    if d == 0 || n_rows.checked_mul(d) != Some(rows.len()) {
        return Err(GpuError::NotApplicable(format!(
            "{} values for {n_rows} rows of {d} columns",
            rows.len()
        )));
    }
    let _guard = gpu.lock();
    let stream = gpu.stream();
    let func = gpu.function(Kernels::IforestScore, "iforest_path_totals")?;
    let forest_bytes = 8 * forest.value.len()
        + 4 * (forest.link.len() + forest.tree_start.len() + forest.tree_depth.len());
    let chunk = chunk_rows(n_rows, d, gpu.free_memory()?, forest_bytes).ok_or_else(|| {
        GpuError::NotApplicable("not enough free GPU memory for the forest".into())
    })?;

    let d_value = stream
        .clone_htod(forest.value)
        .map_err(driver_err("iforest upload"))?;
    let d_link = stream
        .clone_htod(forest.link)
        .map_err(driver_err("iforest upload"))?;
    let d_start = stream
        .clone_htod(forest.tree_start)
        .map_err(driver_err("iforest upload"))?;
    let d_depth = stream
        .clone_htod(forest.tree_depth)
        .map_err(driver_err("iforest upload"))?;
    let mut d_x = stream
        .alloc_zeros::<f64>(chunk * d)
        .map_err(driver_err("iforest alloc"))?;
    let mut d_out = stream
        .alloc_zeros::<f64>(chunk)
        .map_err(driver_err("iforest alloc"))?;

    // Checked above: d, the node and tree counts fit in i32; chunk <= 2^20.
    let d_i32 = d as i32;
    let n_trees = forest.n_trees() as i32;
    let mut out = vec![0.0f64; n_rows];
    for first in (0..n_rows).step_by(chunk) {
        let c = chunk.min(n_rows - first);
        stream
            .memcpy_htod(&rows[first * d..(first + c) * d], &mut d_x)
            .map_err(driver_err("iforest rows upload"))?;
        let c_i32 = c as i32;
        let config = LaunchConfig {
            grid_dim: ((c as u32).div_ceil(THREADS), 1, 1),
            block_dim: (THREADS, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut launch = stream.launch_builder(&func);
        launch
            .arg(&d_x)
            .arg(&c_i32)
            .arg(&d_i32)
            .arg(&d_value)
            .arg(&d_link)
            .arg(&d_start)
            .arg(&d_depth)
            .arg(&n_trees)
            .arg(&mut d_out);
        // SAFETY: the arguments match iforest_path_totals' signature in type
        // and order; d_x holds at least c rows of d values, d_out at least c
        // totals; check_forest proved every node index the kernel can reach
        // lies inside its tree and every split column below d.
        unsafe { launch.launch(config) }.map_err(driver_err("iforest_path_totals"))?;
        stream
            .memcpy_dtoh(&d_out.slice(0..c), &mut out[first..first + c])
            .map_err(driver_err("iforest totals download"))?;
    }
    stream
        .synchronize()
        .map_err(driver_err("iforest synchronize"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A forest's arrays, owned (what the tests break).
    struct Arrays {
        value: Vec<f64>,
        link: Vec<i32>,
        start: Vec<i32>,
        depth: Vec<i32>,
    }

    /// Root splits column 1 at 0.5 (right child 2), node 2 splits column 0
    /// (right child 4); then a one-leaf tree.
    fn arrays() -> Arrays {
        Arrays {
            value: vec![0.5, 1.0, 2.0, 2.0, 3.2, 2.5],
            link: vec![1, 2, -1, -1, 0, 4, -1, -1, -1, -1, -1, -1],
            start: vec![0, 5, 6],
            depth: vec![2, 0],
        }
    }

    fn check(a: &Arrays) -> Result<(), String> {
        check_forest(&Forest {
            value: &a.value,
            link: &a.link,
            tree_start: &a.start,
            tree_depth: &a.depth,
            n_features: 2,
        })
    }

    #[test]
    fn a_well_formed_forest_passes_and_broken_ones_do_not() {
        check(&arrays()).unwrap();
        let broken = |f: &dyn Fn(&mut Arrays)| {
            let mut a = arrays();
            f(&mut a);
            check(&a).unwrap_err()
        };
        broken(&|a| a.link[1] = 5); // right child outside the tree
        broken(&|a| a.link[1] = 1); // right child is the left one
        broken(&|a| a.link[5] = -3); // negative right child
        broken(&|a| a.link[0] = 2); // column out of range
        broken(&|a| {
            a.link.pop();
        });
        broken(&|a| a.start[1] = 7); // offsets past the nodes
        broken(&|a| a.start = vec![0, 6, 6]); // an empty tree
        broken(&|a| a.start[0] = 1);
        broken(&|a| a.depth[1] = -1);
        broken(&|a| {
            a.start.truncate(1);
            a.depth.clear();
        }); // no trees
        // The last node of a tree cannot be internal (its left child would
        // be the next tree's root).
        broken(&|a| {
            a.link[8] = 0;
            a.link[9] = 4;
        });
    }

    #[test]
    fn tiny_inputs_stay_on_the_cpu() {
        assert!(matches!(
            check_size(1310, 100),
            Err(GpuError::NotApplicable(_))
        ));
        check_size(1311, 100).unwrap();
        check_size(usize::MAX, 2).unwrap();
        assert!(check_size(0, 100).is_err());
    }

    #[test]
    fn chunks_fit_half_the_free_memory() {
        // 1 GiB free, a 1 MiB forest, 9 columns: 80 bytes a row.
        let free = 1 << 30;
        assert_eq!(
            chunk_rows(10_000, 9, free, 1 << 20),
            Some(10_000) // all rows
        );
        assert_eq!(
            chunk_rows(usize::MAX, 9, free, 1 << 20),
            Some(MAX_CHUNK_ROWS)
        );
        assert_eq!(
            chunk_rows(usize::MAX, 999, free, 1 << 20),
            Some(((1 << 29) - (1 << 20)) / 8000)
        );
        assert_eq!(chunk_rows(10, 9, free, 1 << 29), None); // forest too big
        assert_eq!(chunk_rows(10, 9, 100, 0), None); // not one row
        assert_eq!(chunk_rows(10, usize::MAX, free, 0), None);
    }
}
