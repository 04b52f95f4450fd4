//! The fitted one-class SVM: support vectors, their dual coefficients, ρ and
//! γ; its saved form, load-time checks and blocked GEMM scoring.

use super::kernel::OneClassQ;
use super::solver;
use crate::detectors::Model;
use crate::exp_fixed;
use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Number of query × support-vector cells one scoring block may hold
/// (2^20 doubles = 8 MiB).
const BLOCK_CELLS: usize = 1 << 20;

/// A fitted `ocsvm` detector.
///
/// Saved as `{"gamma", "rho", "support_vectors", "dual_coef", "n_iter",
/// "converged"}`: the support vectors in training-row order with their α
/// (scikit-learn's `dual_coef_`, each in (0, 1]), ρ (scikit-learn's
/// `offset_`), the γ used and, for information, the solver's iteration count
/// and whether it converged within `max_iter`. Loading checks shapes,
/// finiteness and ranges.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "OcsvmRepr", into = "OcsvmRepr")]
pub struct OcsvmModel {
    gamma: f64,
    rho: f64,
    support_vectors: Array2<f64>,
    dual_coef: Array1<f64>,
    n_iter: u64,
    converged: bool,
    /// ‖sv‖² of each support vector (derived, not saved).
    sv_square: Array1<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OcsvmRepr {
    gamma: f64,
    rho: f64,
    support_vectors: Array2<f64>,
    dual_coef: Array1<f64>,
    n_iter: u64,
    converged: bool,
}

impl From<OcsvmModel> for OcsvmRepr {
    fn from(m: OcsvmModel) -> Self {
        Self {
            gamma: m.gamma,
            rho: m.rho,
            support_vectors: m.support_vectors,
            dual_coef: m.dual_coef,
            n_iter: m.n_iter,
            converged: m.converged,
        }
    }
}

impl TryFrom<OcsvmRepr> for OcsvmModel {
    type Error = String;
    fn try_from(r: OcsvmRepr) -> Result<Self, String> {
        if !(r.gamma.is_finite() && r.gamma > 0.0) {
            return Err(format!("gamma = {} must be finite and > 0", r.gamma));
        }
        if !r.rho.is_finite() {
            return Err(format!("rho = {} must be finite", r.rho));
        }
        let n_sv = r.support_vectors.nrows();
        if n_sv == 0 || r.support_vectors.ncols() == 0 {
            return Err(
                "there must be at least one support vector with at least one column".into(),
            );
        }
        if r.dual_coef.len() != n_sv {
            return Err(format!(
                "dual_coef has {} values for {n_sv} support vectors",
                r.dual_coef.len()
            ));
        }
        if r.support_vectors.iter().any(|v| !v.is_finite()) {
            return Err("support vectors must be finite".into());
        }
        if r.dual_coef.iter().any(|&a| !(a > 0.0 && a <= 1.0)) {
            return Err("dual coefficients must be in (0, 1]".into());
        }
        Ok(Self::new(
            r.gamma,
            r.rho,
            r.support_vectors,
            r.dual_coef,
            r.n_iter,
            r.converged,
        ))
    }
}

/// What [`OcsvmModel::fit`] needs besides the data.
pub(super) struct FitSettings {
    pub nu: f64,
    pub gamma: f64,
    pub tol: f64,
    pub shrinking: bool,
    pub cache_bytes: f64,
    pub max_iter: Option<u64>,
}

impl OcsvmModel {
    fn new(
        gamma: f64,
        rho: f64,
        support_vectors: Array2<f64>,
        dual_coef: Array1<f64>,
        n_iter: u64,
        converged: bool,
    ) -> Self {
        let sv_square = support_vectors
            .rows()
            .into_iter()
            .map(|r| r.dot(&r))
            .collect();
        Self {
            gamma,
            rho,
            support_vectors,
            dual_coef,
            n_iter,
            converged,
            sv_square,
        }
    }

    /// Solve the one-class dual on `x` (n ≥ 1 rows, checked finite) and keep
    /// the rows with α > 0. Returns the model and the training rows' scores.
    pub(super) fn fit(x: ArrayView2<'_, f64>, st: &FitSettings) -> (Self, Array1<f64>) {
        let l = x.nrows();
        let mut q = OneClassQ::new(x, st.gamma, st.cache_bytes);
        let sol = solver::solve(&mut q, l, st.nu, st.tol, st.shrinking, st.max_iter);
        drop(q);
        let keep: Vec<usize> = (0..l).filter(|&i| sol.alpha[i].abs() > 0.0).collect();
        let support_vectors = x.select(Axis(0), &keep);
        let dual_coef: Array1<f64> = keep.iter().map(|&i| sol.alpha[i]).collect();
        let model = Self::new(
            st.gamma,
            sol.rho,
            support_vectors,
            dual_coef,
            sol.iterations,
            !sol.hit_max_iter,
        );
        let scores = model.score_samples(x);
        (model, scores)
    }

    /// The γ used.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// ρ (scikit-learn's `offset_`, minus its `intercept_`).
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// The support vectors, in training-row order.
    pub fn support_vectors(&self) -> ArrayView2<'_, f64> {
        self.support_vectors.view()
    }

    /// Their α (scikit-learn's `dual_coef_`).
    pub fn dual_coef(&self) -> &Array1<f64> {
        &self.dual_coef
    }

    /// Solver iterations taken.
    pub fn n_iter(&self) -> u64 {
        self.n_iter
    }

    /// False when `max_iter` stopped the solver first.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Query rows per block: between 8 and 256, so that a block's kernel
    /// matrix stays near [`BLOCK_CELLS`]. Depends only on the model.
    fn block_rows(&self) -> usize {
        (BLOCK_CELLS / self.support_vectors.nrows().max(1)).clamp(8, 256)
    }

    /// Scores of one block of rows into `out`.
    fn score_block(
        &self,
        xb: ArrayView2<'_, f64>,
        coef: &[f64],
        sv_square: &[f64],
        out: &mut [f64],
    ) {
        let cross = xb.dot(&self.support_vectors.t());
        let g = self.gamma;
        let mut k = Vec::with_capacity(sv_square.len());
        for ((o, row), cr) in out.iter_mut().zip(xb.rows()).zip(cross.rows()) {
            let sq = row.dot(&row);
            k.clear();
            match cr.as_slice() {
                Some(c) => k.extend_from_slice(c),
                None => k.extend(cr.iter()),
            }
            let sum = kernel_sum(g, sq, sv_square, coef, &mut k);
            // PyOD's score: −(Σ α_i K(x_i, x) − ρ).
            *o = -(sum - self.rho);
        }
    }
}

exp_fixed::widest_simd!(kernel_sum, kernel_sum_avx512, kernel_sum_avx2, kernel_sum_body,
    (gamma: f64, sq: f64, sv_square: &[f64], coef: &[f64], cross: &mut [f64]) -> f64);

/// `Σ_i coef_i exp(−γ max(sq + sv_square_i − 2 cross_i, 0))` for one row
/// (`cross`: its products with the support vectors, overwritten), in the
/// fixed order of [`exp_fixed::dot_fixed`].
#[inline(always)]
fn kernel_sum_body(gamma: f64, sq: f64, sv_square: &[f64], coef: &[f64], cross: &mut [f64]) -> f64 {
    for (c, &sv_sq) in cross.iter_mut().zip(sv_square) {
        let d2 = (sq + sv_sq - 2.0 * *c).max(0.0);
        *c = -gamma * d2;
    }
    exp_fixed::exp_in_place_body(cross);
    exp_fixed::dot_fixed_body(coef, cross)
}

impl Model for OcsvmModel {
    /// `ρ − Σ_i α_i exp(−γ ‖x − sv_i‖²)`: PyOD's `decision_function`, minus
    /// scikit-learn's. Squared distances come from one GEMM per block of
    /// rows (`‖x‖² + ‖sv‖² − 2 xᵀsv`, clamped at 0); blocks run in parallel
    /// on rayon with a partition that depends only on the model, and each
    /// row's sum runs over the support vectors in the fixed order of
    /// [`exp_fixed::dot_fixed`] (exponentials from [`exp_fixed`]), so the
    /// result is identical for any thread count and CPU. Input of the wrong width (which
    /// [`crate::detectors::FittedDetector`] rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let n = x.nrows();
        if x.ncols() != self.support_vectors.ncols() {
            return Array1::from_elem(n, f64::NAN);
        }
        crate::blas::single_threaded();
        let rows = self.block_rows();
        let mut out = vec![0.0; n];
        let coef = self.dual_coef.to_vec();
        let sv_square = self.sv_square.to_vec();
        out.par_chunks_mut(rows).enumerate().for_each(|(b, chunk)| {
            let start = b * rows;
            let xb = x.slice(s![start..start + chunk.len(), ..]);
            self.score_block(xb, &coef, &sv_square, chunk);
        });
        Array1::from_vec(out)
    }
}
