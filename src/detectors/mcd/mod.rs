//! Minimum Covariance Determinant outlier score (Rousseeuw & Van Driessen
//! 1999, FastMCD; Hardin & Rocke 2004), with the behaviour of PyOD 3.6.7's
//! `MCD`, which wraps scikit-learn 1.9.1's `MinCovDet`.
//!
//! Fit on n rows, d columns (n >= 2):
//! 1. **raw MCD** (`fast_mcd`): the h-subset (h = ⌈(n + d + 1) / 2⌉ by
//!    default, else ⌊support_fraction · n⌋) whose covariance has the smallest
//!    determinant, searched by c-steps (estimate mean/covariance of h rows,
//!    keep the h rows with the smallest Mahalanobis distances, repeat while
//!    the log-determinant decreases):
//!    * n <= 500: 30 random h-subsets, two c-steps each; the 10 best are
//!      iterated (<= 30 c-steps) on the whole data and the best kept;
//!    * n > 500: the shuffled rows are cut into ⌊n / 300⌋ subsets, each gets
//!      max(10, 500 / n_subsets) random starts with two c-steps and keeps its
//!      10 best; those seed c-steps (<= 30) on a random merged set of
//!      min(1500, n) rows (h scaled in proportion); for n < 1500 its best is
//!      the answer, otherwise its 10 best seed c-steps on the whole data;
//!    * d = 1: scikit-learn's exact shortest-half estimate.
//! 2. **consistency correction** (`correct_covariance`): the raw distances
//!    are divided by `c(α) = α / F_{χ²(d+2)}(F⁻¹_{χ²(d)}(α))` at α = h / n
//!    (Croux & Haesbroeck 1999). (scikit-learn 1.9.1 does not rescale the
//!    stored raw covariance, only the distances; so does anml.) A raw
//!    covariance that is all 0 (|v| <= 1e-8, scikit-learn's `allclose`)
//!    with h < n is refused, as scikit-learn raises.
//! 3. **reweighting** (`reweight_covariance`): the rows whose corrected
//!    distance is below the χ²(d) 0.975 quantile give the location (mean)
//!    and covariance (biased, times c(0.975)).
//! 4. score = squared Mahalanobis distance `(x − μ)ᵀ P (x − μ)` with P the
//!    pseudo-inverse of that covariance (`pinvh`: eigenvalues with |s| <=
//!    max|s| · d · ε count as 0, scipy's default). Test scores are PyOD's
//!    `decision_function` (`MinCovDet.mahalanobis`), training scores its
//!    `decision_scores_` (`dist_` after reweighting). Higher = more
//!    anomalous.
//!
//! Singular covariances are handled as scikit-learn does: every precision
//! is a pseudo-inverse, and a c-step whose support covariance has a
//! non-positive determinant (`fast_logdet` = −∞, found by LU as numpy's
//! `slogdet`) stops at once and returns that support (the "exact fit"
//! early return), which then wins the candidate selection.
//!
//! Deliberate differences from scikit-learn:
//! * randomness: the random subsets come from ChaCha8 streams seeded by
//!   `seed` (one seed per start, drawn up front, so starts run in parallel
//!   and results do not depend on the thread count), not numpy's
//!   `RandomState`; supports — and so scores — match scikit-learn's in
//!   distribution, not bit for bit;
//! * ties: among equal distances the lower row index enters the support
//!   (`argpartition` picks arbitrarily), and among equal determinants the
//!   earlier start wins (`argsort` is not stable);
//! * `assume_centered` and `store_precision` are not offered (PyOD's
//!   defaults, False and True, are what anml does); `random_state` is
//!   `seed`.
//!
//! Same answers on every CPU: the covariances, eigendecompositions,
//! log-determinants and distances come from [`crate::linalg_fixed`], not
//! BLAS/LAPACK, whose CPU-specific kernels once changed which candidate won
//! (issue 22); `tests/golden_roc_auc.rs` pins the ROC-AUC bit for bit.
//!
//! The χ² quantile and CDF come from [`chi2`] (regularised incomplete gamma
//! function, checked against scipy).
//!
//! The deterministic part, from a given raw support to the scores, is
//! [`reweighted_from_support`]; `tests/mcd_parity.rs` runs it from
//! scikit-learn's own raw supports and compares to 1e-6.

mod chi2;
mod fastmcd;
mod model;
mod params;

pub use model::McdModel;
pub use params::McdParams;

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, ParamError};
use ndarray::{Array1, ArrayView2};

/// The parameters of `mcd`.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "support_fraction",
        doc: "Fraction of rows in the raw MCD support; default null = \
              ceil((n + d + 1) / 2) rows (scikit-learn's minimum); else a fraction in (0, 1] \
              (h = floor(fraction * n)).",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the random initial subsets; default 0; an integer >= 0. The same \
              seed gives the same scores for any thread count.",
    },
];

impl DetectorParams for McdParams {
    type Model = McdModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<McdModel>, DetectorError> {
        let (n, d) = x.dim();
        if d == 0 {
            return Err(DetectorError::Empty);
        }
        super::input::check_min_rows(x, 2)?;
        let h = self.support_size(n, d);
        if h == 0 {
            return Err(DetectorError::CannotFit(format!(
                "support_fraction gives an empty support for {n} rows"
            )));
        }
        let raw = fastmcd::fast_mcd(x, h, self.seed).map_err(DetectorError::CannotFit)?;
        let (model, train_scores) =
            fastmcd::correct_and_reweight(x, raw).map_err(DetectorError::CannotFit)?;
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

/// The deterministic part of the fit: from a raw support (row indices of
/// `x`) to the reweighted model and the training scores, as scikit-learn's
/// `correct_covariance` + `reweight_covariance` do with the raw estimate of
/// that support (its mean, biased covariance, and distances under its
/// pseudo-inverse).
pub fn reweighted_from_support(
    x: ArrayView2<'_, f64>,
    support: &[usize],
) -> Result<(McdModel, Array1<f64>), DetectorError> {
    let n = x.nrows();
    if support.is_empty() || support.iter().any(|&i| i >= n) {
        return Err(DetectorError::CannotFit(format!(
            "support must be non-empty row indices below {n}"
        )));
    }
    let mut s = support.to_vec();
    s.sort_unstable();
    s.dedup();
    let raw = fastmcd::raw_from_support(x, s).map_err(DetectorError::CannotFit)?;
    fastmcd::correct_and_reweight(x, raw).map_err(DetectorError::CannotFit)
}

/// scipy's `chi2.ppf(p, df)` and `chi2.cdf(x, df)`, exposed for the parity
/// test of the χ² functions.
pub fn chi2_ppf_cdf(p: f64, df: f64, x: f64) -> (f64, f64) {
    (chi2::chi2_ppf(p, df), chi2::chi2_cdf(x, df))
}

#[cfg(test)]
mod tests;
