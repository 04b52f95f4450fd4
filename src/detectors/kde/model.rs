//! The fitted KDE model (the training rows and the resolved bandwidth), its
//! saved form, load-time checks and the exact log-density sum.

use crate::detectors::Model;
use crate::detectors::neighbors::block_rows;
use crate::exp_fixed;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, CowArray, s};
use rayon::prelude::*;
use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

/// Largest bound on the absolute error of a row's log density that the
/// GEMM form of the squared distances may cause; rows whose bound exceeds it
/// are recomputed with direct differences (see [`KdeModel::log_density`]).
pub const MAX_LOG_DENSITY_ERROR: f64 = 1e-10;

/// A fitted `kde` detector.
///
/// Saved as `{"bandwidth", "train"}` where `bandwidth` is the resolved h.
/// Loading checks a finite positive bandwidth and finite training rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "KdeRepr")]
pub struct KdeModel {
    bandwidth: f64,
    train: Array2<f64>,
    #[serde(skip)]
    train_norms: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KdeRepr {
    bandwidth: f64,
    train: Array2<f64>,
}

impl TryFrom<KdeRepr> for KdeModel {
    type Error = String;
    fn try_from(r: KdeRepr) -> Result<Self, String> {
        if !(r.bandwidth.is_finite() && r.bandwidth > 0.0) {
            return Err(format!(
                "bandwidth = {} must be finite and > 0",
                r.bandwidth
            ));
        }
        if r.train.nrows() == 0 || r.train.ncols() == 0 {
            return Err("the training set must have at least one row and one column".into());
        }
        if r.train.iter().any(|v| !v.is_finite()) {
            return Err("training rows must be finite".into());
        }
        Ok(Self::new(r.bandwidth, r.train))
    }
}

/// `Σ v²` in index order.
fn sq_norm(v: ArrayView1<'_, f64>) -> f64 {
    v.iter().fold(0.0, |acc, &x| acc + x * x)
}

/// `ln Σ_j exp(a_j)`, shifted by the maximum so that nothing overflows or
/// underflows to a wrong result; `-inf` when every term is `-inf`.
/// The exponentials and the sum use [`exp_fixed`] (fixed order, same bits
/// on every CPU); `a` is overwritten.
pub(super) fn log_sum_exp(a: &mut [f64]) -> f64 {
    let m = exp_fixed::max_fixed(a);
    if m == f64::NEG_INFINITY {
        return m;
    }
    for v in a.iter_mut() {
        *v -= m;
    }
    exp_fixed::exp_in_place(a);
    m + libm::log(exp_fixed::sum_fixed(a))
}

impl KdeModel {
    /// A model on `train` (n ≥ 1 finite rows) with bandwidth `h` > 0.
    pub(super) fn new(bandwidth: f64, train: Array2<f64>) -> Self {
        let train = train.as_standard_layout().into_owned();
        let train_norms = train.rows().into_iter().map(sq_norm).collect();
        Self {
            bandwidth,
            train,
            train_norms,
        }
    }

    /// The resolved bandwidth h.
    pub fn bandwidth(&self) -> f64 {
        self.bandwidth
    }

    /// `ln` of the Gaussian kernel's normalising constant in d dimensions,
    /// scikit-learn's `_log_kernel_norm`: `−(d/2) ln 2π − d ln h`.
    pub fn log_kernel_norm(&self) -> f64 {
        let d = self.train.ncols() as f64;
        -(0.5 * d * (2.0 * PI).ln()) - d * self.bandwidth.ln()
    }

    /// The log density of every row of `x` (scikit-learn's
    /// `KernelDensity.score_samples`):
    /// `ln Σ_j exp(−‖x − t_j‖² / 2h²) + log_kernel_norm − ln n`.
    ///
    /// Rows are taken in fixed blocks (the partition depends only on the
    /// training size) that run in parallel; a block's squared distances come
    /// from one matrix product, `‖q‖² + ‖t‖² − 2 qᵀt` clamped at 0, whose
    /// rounding error is at most `C (‖q‖² + ‖t‖²)`, `C = 8 (d + 4) ε`. That
    /// moves the log density by at most (to first order) the softmax-weighted
    /// mean of `C (‖q‖² + ‖t_j‖²) / 2h²` over the training rows; a row whose
    /// bound exceeds [`MAX_LOG_DENSITY_ERROR`] (or is not finite) is
    /// recomputed from direct differences `Σ_f (q_f − t_f)²`. Each row's value depends only
    /// on that row, so results are bit-identical for any thread count.
    pub fn log_density(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        crate::blas::single_threaded();
        let n_train = self.train.nrows();
        let d = self.train.ncols();
        if x.ncols() != d {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        let query = if x.is_standard_layout() {
            CowArray::from(x)
        } else {
            CowArray::from(x.as_standard_layout().into_owned())
        };
        let h2 = self.bandwidth * self.bandwidth;
        let bound_factor = 8.0 * (d as f64 + 4.0) * f64::EPSILON;
        let offset = self.log_kernel_norm() - (n_train as f64).ln();
        let train_t = self.train.t();
        let rows = block_rows(n_train);
        let mut out = vec![0.0f64; query.nrows()];
        out.par_chunks_mut(rows)
            .enumerate()
            .for_each(|(b, out_block)| {
                let first = b * rows;
                let q_block = query.slice(s![first..first + out_block.len(), ..]);
                let products = q_block.dot(&train_t);
                let mut terms = vec![0.0f64; n_train];
                for ((o, q_row), prod_row) in out_block
                    .iter_mut()
                    .zip(q_block.axis_iter(Axis(0)))
                    .zip(products.axis_iter(Axis(0)))
                {
                    let q_norm = sq_norm(q_row);
                    let prod_row = prod_row.as_slice().map_or_else(
                        || std::borrow::Cow::Owned(prod_row.to_vec()),
                        std::borrow::Cow::Borrowed,
                    );
                    let (m, w_sum, w_norm) =
                        row_sums(q_norm, &prod_row, &self.train_norms, h2, &mut terms);
                    let bound = bound_factor * (q_norm + w_norm / w_sum) / (2.0 * h2);
                    *o = if bound <= MAX_LOG_DENSITY_ERROR {
                        m + libm::log(w_sum) + offset
                    } else {
                        for (t, t_row) in terms.iter_mut().zip(self.train.rows()) {
                            let sq = q_row
                                .iter()
                                .zip(t_row)
                                .fold(0.0, |acc, (&a, &b)| acc + (a - b) * (a - b));
                            *t = -0.5 * sq / h2;
                        }
                        log_sum_exp(&mut terms) + offset
                    };
                }
            });
        Array1::from(out)
    }
}

exp_fixed::widest_simd!(row_sums, row_sums_avx512, row_sums_avx2, row_sums_body,
    (q_norm: f64, products: &[f64], train_norms: &[f64], h2: f64, terms: &mut [f64])
        -> (f64, f64, f64));

/// One query row's log-sum-exp pieces from its products `qᵀt_j` with the
/// training rows: the terms `−‖q − t_j‖² / 2h²` (squared distances in GEMM
/// form, clamped at 0), their maximum `m`, and `Σ_j w_j`, `Σ_j w_j ‖t_j‖²`
/// with `w_j = exp(term_j − m)` (fixed-order sums, [`exp_fixed`]). `terms`
/// ends holding the `w_j`. Returns `(m, Σ w, Σ w ‖t‖²)`.
#[inline(always)]
fn row_sums_body(
    q_norm: f64,
    products: &[f64],
    train_norms: &[f64],
    h2: f64,
    terms: &mut [f64],
) -> (f64, f64, f64) {
    for ((t, &p), &t_norm) in terms.iter_mut().zip(products).zip(train_norms) {
        let sq = (q_norm + t_norm - 2.0 * p).max(0.0);
        *t = -0.5 * sq / h2;
    }
    let m = exp_fixed::max_fixed(terms);
    for t in terms.iter_mut() {
        *t -= m;
    }
    exp_fixed::exp_in_place_body(terms);
    (
        m,
        exp_fixed::sum_fixed_body(terms),
        exp_fixed::dot_fixed_body(terms, train_norms),
    )
}

impl Model for KdeModel {
    /// Minus the log density of each row (PyOD's `decision_function`):
    /// higher = lower density = more anomalous. Input of the wrong width
    /// (which [`crate::detectors::FittedDetector`] rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        -self.log_density(x)
    }
}
