//! Script functions for matrices, vectors and labels: construction from
//! script arrays (bounded by the matrix-size limit), shape, element access
//! and summaries. Bulk work stays in Rust; scripts never loop over data.

use crate::script::HostContext;
use crate::script::api::convert::{check_array_len, check_matrix_alloc, msg_err};
use rhai::NativeCallContext;
use rhai::plugin::*;

pub(super) fn number(v: &Dynamic, at: &str) -> Result<f64, Box<EvalAltResult>> {
    v.as_float()
        .or_else(|_| v.as_int().map(|i| i as f64))
        .map_err(|t| msg_err(format!("{at}: expected a number, got {t}")))
}

/// Refuse `n` elements of `elem_bytes` before allocating them (the
/// element limit and the memory budget).
fn check_size(
    ctx: &NativeCallContext,
    what: &str,
    n: usize,
    elem_bytes: usize,
) -> Result<(), Box<EvalAltResult>> {
    check_matrix_alloc(&HostContext::of(ctx)?.limits, what, n, elem_bytes)
}

fn check_array(ctx: &NativeCallContext, what: &str, n: usize) -> Result<(), Box<EvalAltResult>> {
    check_array_len(&HostContext::of(ctx)?.limits, what, n)
}

pub(super) fn index(i: i64, len: usize, what: &str) -> Result<usize, Box<EvalAltResult>> {
    usize::try_from(i)
        .ok()
        .filter(|&i| i < len)
        .ok_or_else(|| msg_err(format!("{what} index {i} out of range 0..{len}")))
}

#[export_module]
pub mod matrix_api {
    use super::{check_array, check_size, index, number};
    use crate::script::api::convert::msg_err;
    use crate::script::types::{Labels, Matrix, Vector};
    use ndarray::{Array1, Array2};
    use rhai::{Array, Dynamic, EvalAltResult, NativeCallContext};
    use std::sync::Arc;

    /// Build a matrix from an array of equal-length rows of numbers.
    ///
    /// ```rhai
    /// let m = matrix([[1.0, 2.0], [3.0, 4.0], [5, 6]]);
    /// print(m.rows);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn matrix(ctx: NativeCallContext, rows: Array) -> Result<Matrix, Box<EvalAltResult>> {
        let n = rows.len();
        let d = match rows.first() {
            Some(r) => r
                .read_lock::<Array>()
                .map(|r| r.len())
                .ok_or_else(|| msg_err("matrix: each row must be an array of numbers"))?,
            None => return Err(msg_err("matrix: no rows given")),
        };
        check_size(&ctx, "matrix", n.saturating_mul(d), 8)?;
        let mut out = Array2::<f64>::zeros((n, d));
        for (i, r) in rows.iter().enumerate() {
            let r = r
                .read_lock::<Array>()
                .ok_or_else(|| msg_err(format!("matrix: row {i} is not an array")))?;
            if r.len() != d {
                return Err(msg_err(format!(
                    "matrix: row {i} has {} values, row 0 has {d}",
                    r.len()
                )));
            }
            for (j, v) in r.iter().enumerate() {
                out[[i, j]] = number(v, &format!("matrix: row {i}, column {j}"))?;
            }
        }
        Ok(Matrix::Owned(Arc::new(out)))
    }

    /// Build a vector from an array of numbers.
    ///
    /// ```rhai
    /// let v = vector([0.5, 1, 2.5]);
    /// print(v.len);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn vector(ctx: NativeCallContext, values: Array) -> Result<Vector, Box<EvalAltResult>> {
        check_size(&ctx, "vector", values.len(), 8)?;
        let v = values
            .iter()
            .enumerate()
            .map(|(i, x)| number(x, &format!("vector: element {i}")))
            .collect::<Result<Array1<f64>, _>>()?;
        Ok(Vector(Arc::new(v)))
    }

    /// Build 0/1 labels (1 = anomaly) from an array of integers.
    ///
    /// ```rhai
    /// let y = labels([0, 0, 1]);
    /// print(y.n_anomalies);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn labels(ctx: NativeCallContext, values: Array) -> Result<Labels, Box<EvalAltResult>> {
        check_size(&ctx, "labels", values.len(), 1)?;
        let v = values
            .iter()
            .enumerate()
            .map(|(i, x)| match x.as_int() {
                Ok(0) => Ok(0u8),
                Ok(1) => Ok(1u8),
                _ => Err(msg_err(format!(
                    "labels: element {i} must be 0 or 1, got {x}"
                ))),
            })
            .collect::<Result<Array1<u8>, _>>()?;
        Ok(Labels::Owned(Arc::new(v)))
    }

    /// Number of rows.
    ///
    /// ```rhai
    /// print(matrix([[1, 2]]).rows);
    /// ```
    #[rhai_fn(get = "rows", pure)]
    pub fn rows(m: &mut Matrix) -> i64 {
        m.view().nrows() as i64
    }

    /// Number of columns.
    ///
    /// ```rhai
    /// print(matrix([[1, 2]]).cols);
    /// ```
    #[rhai_fn(get = "cols", pure)]
    pub fn cols(m: &mut Matrix) -> i64 {
        m.view().ncols() as i64
    }

    /// `[rows, cols]`.
    ///
    /// ```rhai
    /// print(matrix([[1, 2]]).shape);
    /// ```
    #[rhai_fn(get = "shape", pure)]
    pub fn shape(m: &mut Matrix) -> Array {
        let v = m.view();
        vec![
            Dynamic::from(v.nrows() as i64),
            Dynamic::from(v.ncols() as i64),
        ]
    }

    /// Element at row `i`, column `j`.
    ///
    /// ```rhai
    /// print(matrix([[1, 2], [3, 4]]).get(1, 0));
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn get(m: &mut Matrix, i: i64, j: i64) -> Result<f64, Box<EvalAltResult>> {
        let v = m.view();
        Ok(v[[index(i, v.nrows(), "row")?, index(j, v.ncols(), "column")?]])
    }

    /// Number of elements.
    ///
    /// ```rhai
    /// print(vector([1, 2, 3]).len);
    /// ```
    #[rhai_fn(get = "len", name = "len", pure)]
    pub fn vec_len(v: &mut Vector) -> i64 {
        v.0.len() as i64
    }

    /// Element `i`.
    ///
    /// ```rhai
    /// print(vector([1, 2, 3]).get(2));
    /// ```
    #[rhai_fn(name = "get", return_raw, pure)]
    pub fn vec_get(v: &mut Vector, i: i64) -> Result<f64, Box<EvalAltResult>> {
        Ok(v.0[index(i, v.0.len(), "vector")?])
    }

    /// Mean of the elements.
    ///
    /// ```rhai
    /// print(vector([1, 2, 3]).mean());
    /// ```
    #[rhai_fn(pure)]
    pub fn mean(v: &mut Vector) -> f64 {
        v.0.mean().unwrap_or(f64::NAN)
    }

    /// Smallest element.
    ///
    /// ```rhai
    /// print(vector([1, 2, 3]).min());
    /// ```
    #[rhai_fn(pure)]
    pub fn min(v: &mut Vector) -> f64 {
        v.0.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// Largest element.
    ///
    /// ```rhai
    /// print(vector([1, 2, 3]).max());
    /// ```
    #[rhai_fn(pure)]
    pub fn max(v: &mut Vector) -> f64 {
        v.0.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// Index of the largest element (the first on ties; NaN is never
    /// largest), e.g. the most anomalous row of a score vector; `-1` when
    /// the vector is empty.
    ///
    /// ```rhai
    /// print(vector([0.2, 0.9, 0.4, 0.9]).argmax());
    /// ```
    #[rhai_fn(pure)]
    pub fn argmax(v: &mut Vector) -> i64 {
        let mut best: Option<(usize, f64)> = None;
        for (i, &x) in v.0.iter().enumerate() {
            if !x.is_nan() && best.is_none_or(|(_, b)| x > b) {
                best = Some((i, x));
            }
        }
        best.map_or(-1, |(i, _)| i as i64)
    }

    /// Copy into a script array (bounded by the array-size limit).
    ///
    /// ```rhai
    /// print(vector([1, 2]).to_array());
    /// ```
    #[rhai_fn(pure, return_raw)]
    pub fn to_array(ctx: NativeCallContext, v: &mut Vector) -> Result<Array, Box<EvalAltResult>> {
        check_array(&ctx, "to_array", v.0.len())?;
        Ok(v.0.iter().map(|&x| Dynamic::from(x)).collect())
    }

    /// Number of labels.
    ///
    /// ```rhai
    /// print(labels([0, 1]).len);
    /// ```
    #[rhai_fn(get = "len", name = "len", pure)]
    pub fn labels_len(y: &mut Labels) -> i64 {
        y.view().len() as i64
    }

    /// Number of anomalies (label 1).
    ///
    /// ```rhai
    /// print(labels([0, 1, 1]).n_anomalies);
    /// ```
    #[rhai_fn(get = "n_anomalies", pure)]
    pub fn labels_anomalies(y: &mut Labels) -> i64 {
        y.view().iter().filter(|&&v| v == 1).count() as i64
    }

    /// Copy labels into a script array of 0/1 integers.
    ///
    /// ```rhai
    /// print(labels([0, 1]).to_array());
    /// ```
    #[rhai_fn(name = "to_array", pure, return_raw)]
    pub fn labels_to_array(
        ctx: NativeCallContext,
        y: &mut Labels,
    ) -> Result<Array, Box<EvalAltResult>> {
        check_array(&ctx, "to_array", y.view().len())?;
        Ok(y.view()
            .iter()
            .map(|&x| Dynamic::from(i64::from(x)))
            .collect())
    }

    /// Text form of a matrix.
    ///
    /// ```rhai
    /// print(matrix([[1, 2]]).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn matrix_to_string(m: &mut Matrix) -> String {
        m.to_string()
    }

    /// Text form of a vector.
    ///
    /// ```rhai
    /// print(vector([1, 2]).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn vector_to_string(v: &mut Vector) -> String {
        v.to_string()
    }

    /// Text form of labels.
    ///
    /// ```rhai
    /// print(labels([0, 1]).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn labels_to_string(y: &mut Labels) -> String {
        y.to_string()
    }
}
