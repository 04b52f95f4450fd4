//! The GPU half of the exact neighbour search: `kernels/sqdist_topk.cu`
//! selects each query row's candidate training rows and a threshold below
//! which nothing was left out; the CPU re-measures them exactly
//! (`detectors::neighbors::candidates`, which also holds the proof that the
//! answer is the CPU search's, bit for bit).

use super::driver::{Kernels, driver_err};
use super::{Gpu, GpuError};
use cudarc::driver::{DeviceRepr, LaunchConfig, PushKernelArg, ValidAsZeroBits};
use ndarray::ArrayView2;

/// The kernel's candidate list length limit (`MAX_KEEP` in the source).
pub const MAX_KEEP: usize = 64;
/// Threads per block (`THREADS` in the source): one query row each.
const THREADS: u32 = 128;

/// A selection precision the kernel is built for.
pub trait Scalar: DeviceRepr + ValidAsZeroBits + Copy + Default + Into<f64> + 'static {
    const KERNEL: &'static str;
}
impl Scalar for f32 {
    const KERNEL: &'static str = "sqdist_topk_f32";
}
impl Scalar for f64 {
    const KERNEL: &'static str = "sqdist_topk_f64";
}

/// Per query row: `keep` candidate indices (`-1` pads) and the threshold
/// every unlisted row's approximate squared distance reaches (∞ when all
/// were listed), with the bound factor the caller passed through.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub keep: usize,
    pub indices: Vec<i64>,
    pub thresholds: Vec<f64>,
}

/// Query rows per launch: bounds the transposed query copy and the outputs.
const QUERY_CHUNK: usize = 1 << 16;

/// Run the selection: `train` n × d and `query` m × d in the selection
/// precision, with their squared norms computed in it; `self_offset`:
/// `Some(0)` when the queries are the training rows (each skips itself).
pub fn select<T: Scalar>(
    gpu: &Gpu,
    train: ArrayView2<'_, T>,
    query: ArrayView2<'_, T>,
    train_norms: &[T],
    query_norms: &[T],
    self_offset: Option<usize>,
    keep: usize,
) -> Result<Selection, GpuError> {
    let (n_train, d) = train.dim();
    let n_query = query.nrows();
    let too_big =
        |what: &str| GpuError::NotApplicable(format!("{what} does not fit the kernel's int"));
    let n_train_i = i32::try_from(n_train).map_err(|_| too_big("the training row count"))?;
    let d_i = i32::try_from(d).map_err(|_| too_big("the feature count"))?;
    i32::try_from(n_query).map_err(|_| too_big("the query row count"))?;
    if keep == 0 || keep > MAX_KEEP || query.ncols() != d || train_norms.len() != n_train {
        return Err(GpuError::NotApplicable(
            "inconsistent selection arguments".into(),
        ));
    }
    let elem = std::mem::size_of::<T>();
    let chunk = QUERY_CHUNK.min(n_query.max(1));
    let needed = (n_train * (d + 1) + chunk * (d + 1)) * elem + chunk * (keep * 4 + elem);
    if needed.saturating_mul(2) > gpu.free_memory()? {
        return Err(GpuError::NotApplicable(format!(
            "{needed} bytes of device memory needed"
        )));
    }
    let train = train.as_standard_layout();
    let train_rows = train
        .as_slice()
        .ok_or_else(|| GpuError::NotApplicable("training rows not contiguous".into()))?;
    let _guard = gpu.lock();
    let func = gpu.function(Kernels::SqdistTopk, T::KERNEL)?;
    let stream = gpu.stream();
    let train_dev = stream
        .clone_htod(train_rows)
        .map_err(driver_err("copy training rows"))?;
    let train_norms_dev = stream
        .clone_htod(train_norms)
        .map_err(driver_err("copy training norms"))?;
    let keep_i = keep as i32;
    let mut indices = Vec::with_capacity(n_query * keep);
    let mut thresholds = Vec::with_capacity(n_query);
    for start in (0..n_query).step_by(chunk) {
        let rows = chunk.min(n_query - start);
        // The queries transposed (d × rows): a warp's loads of one feature
        // are then contiguous.
        let mut q_t = vec![T::default(); d * rows];
        for (r, row) in query.rows().into_iter().skip(start).take(rows).enumerate() {
            for (f, &v) in row.iter().enumerate() {
                q_t[f * rows + r] = v;
            }
        }
        let q_dev = stream
            .clone_htod(&q_t)
            .map_err(driver_err("copy queries"))?;
        let qn_dev = stream
            .clone_htod(&query_norms[start..start + rows])
            .map_err(driver_err("copy query norms"))?;
        let mut idx_dev = stream
            .alloc_zeros::<i32>(rows * keep)
            .map_err(driver_err("allocate candidates"))?;
        let mut thr_dev = stream
            .alloc_zeros::<T>(rows)
            .map_err(driver_err("allocate thresholds"))?;
        let rows_i = rows as i32;
        let self_i: i32 = match self_offset {
            Some(o) => i32::try_from(o + start).map_err(|_| too_big("the row offset"))?,
            None => -1,
        };
        let cfg = LaunchConfig {
            grid_dim: ((rows as u32).div_ceil(THREADS), 1, 1),
            block_dim: (THREADS, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut launch = stream.launch_builder(&func);
        launch
            .arg(&q_dev)
            .arg(&rows_i)
            .arg(&train_dev)
            .arg(&n_train_i)
            .arg(&d_i)
            .arg(&qn_dev)
            .arg(&train_norms_dev)
            .arg(&self_i)
            .arg(&keep_i)
            .arg(&mut idx_dev)
            .arg(&mut thr_dev);
        // SAFETY: the arguments match the kernel's signature in
        // kernels/sqdist_topk.cu (pointers to rows × d, n_train × d, rows,
        // n_train, rows × keep and rows elements, allocated above), and
        // the grid covers `rows` threads.
        unsafe { launch.launch(cfg) }.map_err(driver_err(T::KERNEL))?;
        let idx = stream
            .clone_dtoh(&idx_dev)
            .map_err(driver_err("copy candidates back"))?;
        let thr = stream
            .clone_dtoh(&thr_dev)
            .map_err(driver_err("copy thresholds back"))?;
        indices.extend(idx.into_iter().map(i64::from));
        thresholds.extend(thr.into_iter().map(Into::into));
    }
    Ok(Selection {
        keep,
        indices,
        thresholds,
    })
}

/// Threads per side of `sqdist_exact_f64`'s square blocks (`EXACT_TILE`).
const EXACT_TILE: u32 = 16;

/// Exact squared distances of every query row to every row, row-major
/// `n_query × n_rows`: each the feature-order sum the CPU's
/// `detectors::distance::sq_dists_to_rows` forms, the same bits (the kernel
/// never fuses a multiply and an add). `query` is `n_query × d` and `rows`
/// `n_rows × d`, both row-major.
pub fn exact_sq_dists(
    gpu: &Gpu,
    query: &[f64],
    rows: &[f64],
    d: usize,
) -> Result<Vec<f64>, GpuError> {
    if d == 0 || !query.len().is_multiple_of(d) || !rows.len().is_multiple_of(d) {
        return Err(GpuError::NotApplicable(
            "inconsistent distance arguments".into(),
        ));
    }
    let (n_query, n_rows) = (query.len() / d, rows.len() / d);
    let too_big =
        |what: &str| GpuError::NotApplicable(format!("{what} does not fit the kernel's int"));
    let n_query_i = i32::try_from(n_query).map_err(|_| too_big("the query row count"))?;
    let n_rows_i = i32::try_from(n_rows).map_err(|_| too_big("the row count"))?;
    let d_i = i32::try_from(d).map_err(|_| too_big("the feature count"))?;
    let grid_y = u32::try_from(n_query.div_ceil(EXACT_TILE as usize))
        .ok()
        .filter(|&g| g < 65_536)
        .ok_or_else(|| too_big("the query block count"))?;
    let grid_x = u32::try_from(n_rows.div_ceil(EXACT_TILE as usize))
        .map_err(|_| too_big("the row block count"))?;
    let needed = (query.len() + rows.len() + n_query * n_rows) * std::mem::size_of::<f64>();
    if needed.saturating_mul(2) > gpu.free_memory()? {
        return Err(GpuError::NotApplicable(format!(
            "{needed} bytes of device memory needed"
        )));
    }
    let _guard = gpu.lock();
    let func = gpu.function(Kernels::SqdistTopk, "sqdist_exact_f64")?;
    let stream = gpu.stream();
    let q_dev = stream
        .clone_htod(query)
        .map_err(driver_err("copy query rows"))?;
    let x_dev = stream.clone_htod(rows).map_err(driver_err("copy rows"))?;
    let mut out_dev = stream
        .alloc_zeros::<f64>(n_query * n_rows)
        .map_err(driver_err("allocate distances"))?;
    let cfg = LaunchConfig {
        grid_dim: (grid_x, grid_y, 1),
        block_dim: (EXACT_TILE, EXACT_TILE, 1),
        shared_mem_bytes: 0,
    };
    let mut launch = stream.launch_builder(&func);
    launch
        .arg(&q_dev)
        .arg(&n_query_i)
        .arg(&x_dev)
        .arg(&n_rows_i)
        .arg(&d_i)
        .arg(&mut out_dev);
    // SAFETY: the arguments match `sqdist_exact_f64` in
    // kernels/sqdist_topk.cu (n_query × d and n_rows × d inputs, an
    // n_query × n_rows output, all allocated above); the grid covers every
    // pair and the kernel guards the edges.
    unsafe { launch.launch(cfg) }.map_err(driver_err("sqdist_exact_f64"))?;
    stream
        .clone_dtoh(&out_dev)
        .map_err(driver_err("copy distances back"))
}
