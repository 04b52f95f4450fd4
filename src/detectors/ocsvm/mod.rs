//! One-class SVM (Schölkopf, Platt, Shawe-Taylor, Smola & Williamson 2001)
//! with an RBF kernel, with the behaviour of PyOD's `OCSVM`, which wraps
//! scikit-learn's `OneClassSVM` (libsvm).
//!
//! **Problem.** With `K(a, b) = exp(−γ ‖a − b‖²)` and `l` training rows, the
//! dual solved is libsvm's scaled one:
//! `min_α ½ αᵀKα` subject to `0 <= α_i <= 1` and `Σ α_i = ν l`. The
//! decision value of a row x is `f(x) = Σ_i α_i K(x_i, x) − ρ` (positive
//! inside the support); scikit-learn's `decision_function` is f, its
//! `dual_coef_` is α and its `offset_` is ρ.
//!
//! **Solver.** [`solver`] is a port of libsvm's SMO `Solver::Solve` as
//! scikit-learn 1.9 ships it: libsvm's starting point (the first ⌊ν l⌋
//! α = 1, then the fractional remainder, the rest 0), second-order working
//! set selection (WSS3, Fan, Chen & Lin 2005), shrinking with one gradient
//! reconstruction, the stopping rule `m(α) − M(α) < tol` checked on the whole
//! problem, and libsvm's ρ (mean gradient of the free variables, else the
//! midpoint of the bounds). The kernel matrix is never formed: rows are
//! computed on demand (one BLAS GEMV per row, `‖x_i‖² + ‖x_j‖² − 2 x_iᵀx_j`)
//! and kept in a bounded LRU cache of `cache_size` MiB ([`kernel`]), stored
//! in single precision like libsvm's `Qfloat`, so the solver sees the same
//! numbers and takes the same steps as scikit-learn. Memory is
//! O(cache_size + l·d), so large training sets (shuttle's ~29k rows) fit.
//!
//! **Scores.** PyOD's `decision_function` is `−f(x) = ρ − Σ α_i K(x_i, x)`
//! (higher = more anomalous); `decision_scores_` is the same on the training
//! rows. The model keeps the support vectors (α > 0) with their α, ρ and γ,
//! and scores in blocks of rows with one GEMM per block ([`model`]).
//!
//! **PyOD's defaults:** `kernel='rbf'`, `gamma='auto'` (= 1 / n_features),
//! `nu=0.5`, `tol=1e-3`, `shrinking=True`, `cache_size=200` (MB),
//! `max_iter=-1` (no limit). anml's defaults are the same.
//!
//! **Deliberate differences from PyOD / scikit-learn:**
//! * Only the RBF kernel (PyOD also offers linear, poly, sigmoid,
//!   precomputed and callables); there is no `kernel`, `degree` or `coef0`
//!   parameter, and no `sample_weight`.
//! * `max_iter = 0` is refused (scikit-learn accepts it and stops before the
//!   first iteration, returning the starting point); `-1` means no limit as
//!   in scikit-learn. When the limit stops the solver, scikit-learn warns;
//!   anml has no warnings, so the model records `converged = false` instead.
//! * Kernel dot products come from the system OpenBLAS GEMV rather than
//!   scikit-learn's per-pair `ddot`, and test-time squared distances from a
//!   GEMM (`‖x‖² + ‖sv‖² − 2 xᵀsv`, clamped at 0) rather than libsvm's
//!   per-pair difference vector. Rounding differences are far below the
//!   single-precision kernel cache, so the solver's path is in practice the
//!   same; scores agree with PyOD to ~1e-10 relative on the parity datasets
//!   (the target is 1e-4).
//! * The cache is sized like libsvm's (MiB of `f32` entries, at least two
//!   full rows); `cache_size` changes speed only, never results.
//! * `gamma = "scale"` uses the two-pass population variance of all entries
//!   (numpy's `X.var()` sums pairwise; the γ may differ in the last bit).

mod kernel;
mod model;
mod params;
mod solver;

pub use model::OcsvmModel;
pub use params::{Gamma, OcsvmParams};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, ParamError};
use ndarray::ArrayView2;

/// The parameters of `ocsvm`.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "nu",
        doc: "Upper bound on the fraction of training errors and lower bound on the fraction \
              of support vectors; default 0.5; a number in (0, 1].",
    },
    ParamDoc {
        name: "gamma",
        doc: "RBF kernel width in exp(-gamma * |a - b|^2); default \"auto\" (= 1 / n_features, \
              PyOD's default); \"scale\" (= 1 / (n_features * X.var()), scikit-learn's default) \
              or a finite number > 0.",
    },
    ParamDoc {
        name: "tol",
        doc: "Solver stopping tolerance on the maximal KKT violation; default 0.001; a finite \
              number > 0.",
    },
    ParamDoc {
        name: "shrinking",
        doc: "Use libsvm's shrinking heuristic (speed only); default true; a boolean.",
    },
    ParamDoc {
        name: "cache_size",
        doc: "Kernel-row cache size in MiB (speed only, never results); default 200; a finite \
              number in (0, 1048576] (at least two kernel rows are always cached).",
    },
    ParamDoc {
        name: "max_iter",
        doc: "Hard limit on solver iterations; default -1 (no limit, as scikit-learn); -1 or an \
              integer in [1, 100000000]. A model stopped by the limit records converged = false.",
    },
];

impl DetectorParams for OcsvmParams {
    type Model = OcsvmModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<OcsvmModel>, DetectorError> {
        if x.ncols() == 0 {
            return Err(DetectorError::CannotFit(
                "needs at least one feature column".into(),
            ));
        }
        let settings = model::FitSettings {
            nu: self.nu,
            gamma: self.gamma.resolve(x),
            tol: self.tol,
            shrinking: self.shrinking,
            cache_bytes: self.cache_size * (1u64 << 20) as f64,
            max_iter: self.iteration_limit(),
        };
        let (model, train_scores) = OcsvmModel::fit(x, &settings);
        if !model.rho().is_finite() {
            // No free variable and none at 0: every α is at its bound 1,
            // which happens when nu = 1. scikit-learn raises here too.
            return Err(DetectorError::CannotFit(format!(
                "the offset rho is not finite: with nu = {} every training row is a bounded                      support vector (scikit-learn refuses this fit too); use nu < 1",
                self.nu
            )));
        }
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
