//! Row-parallel scoring shared by detectors whose score of a row depends on
//! that row and the model only (`inne`, `sampling`).

use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;

/// Rows scored per parallel task. Fixed, so the partition never depends on
/// the thread count (and each row's score does not depend on it anyway).
const BLOCK_ROWS: usize = 256;

/// `score(row, scratch)` for every row of `x`, in parallel blocks of
/// [`BLOCK_ROWS`] rows. `row` is the row as a contiguous slice; `scratch` is
/// one buffer per block, for the scorer's own use.
pub(crate) fn score_rows(
    x: ArrayView2<'_, f64>,
    score: impl Fn(&[f64], &mut Vec<f64>) -> f64 + Sync,
) -> Array1<f64> {
    let x = x.as_standard_layout();
    let mut out = vec![0.0f64; x.nrows()];
    out.par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .for_each(|(b, block)| {
            let mut scratch = Vec::new();
            for (i, o) in block.iter_mut().enumerate() {
                let row = x.row(b * BLOCK_ROWS + i);
                *o = score(row.as_slice().unwrap_or(&[]), &mut scratch);
            }
        });
    Array1::from_vec(out)
}
