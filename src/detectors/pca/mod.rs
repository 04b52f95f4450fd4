//! Principal-component score (Shyu, Chen, Sarinnapakorn & Chang 2003, "A
//! novel anomaly detection scheme based on principal component classifier").
//!
//! Fit on n training rows x (n >= 2):
//! 1. standardise: `z = (x − mean) / std` per column with the population std
//!    (ddof = 0, as scikit-learn's `StandardScaler`); a column that is
//!    constant in training (scikit-learn's `_is_constant_feature` rule:
//!    `var <= n·eps·var + (n·mean·eps)²`) is set to 0 after centring, in
//!    training and in every later row: it has no variance, so no component
//!    can measure a deviation in it. With `standardization = false` the
//!    columns are only centred (constant ones still set to 0);
//! 2. eigendecompose the covariance `Zᵀ Z / (n − 1)` (LAPACK `dsyev` via
//!    ndarray-linalg's `Eigh`). The n − 1 divisor is scikit-learn's
//!    `PCA.explained_variance_`, so the score equals the one computed from
//!    sklearn's `components_` / `explained_variance_`;
//! 3. drop zero-variance components: eigenvalue `λ_j <= λ_max · d · ε`
//!    (ε = `f64::EPSILON`). The eigenvalues of a symmetric matrix computed
//!    by a backward-stable solver carry an absolute error of order
//!    `d · ε · ‖C‖₂ = d · ε · λ_max`, so anything below that bound is
//!    indistinguishable from 0 (a constant or collinear column); dividing by
//!    it would turn rounding noise into huge scores. It is the same relative
//!    cut-off as numpy's `matrix_rank` and scipy's `pinvh`. On the ODDS data
//!    the spectra have a wide gap there (cardio's collinear direction is
//!    2e-32 of λ_max, the smallest real one 5e-3; vertebral's smallest kept
//!    one is 1.3e-8);
//! 4. keep the leading k of the remaining components: all (`n_components =
//!    null`), the first k (an integer; more than `min(n, d)` is refused, as
//!    scikit-learn does; more than survive step 3 keeps those that do), or
//!    for a fraction f in (0, 1) the fewest whose cumulative
//!    explained-variance ratio exceeds f (scikit-learn's
//!    `searchsorted(cumsum(ratio), f, side="right") + 1`, ratio over all d
//!    eigenvalues).
//!
//! Score of a row: `Σ_j (z · v_j)² / λ_j` over the kept components — the
//! squared Mahalanobis distance in the principal subspace. Each term is
//! invariant under `v_j → −v_j`, so the arbitrary signs LAPACK gives the
//! eigenvectors do not matter. Training scores are the same formula on the
//! training rows. Higher = more anomalous.
//!
//! Difference from PyOD 3.6.7's `PCA` (deliberate): PyOD's
//! `decision_function` is `Σ_j cdist(X, v_j) / w_j`: the Euclidean distance
//! from each (standardised) row to each eigenvector taken *as a point*,
//! weighted by its explained-variance ratio. That depends on the sign LAPACK
//! happens to give each eigenvector (flipping v_j changes `‖x − v_j‖`), and
//! a zero-variance component gives a weight of 0 and infinite scores (mnist,
//! with 24 constant training columns, scores inf). anml implements the
//! paper's score instead; `tests/pca_parity.rs` checks it against a
//! scikit-learn computation and reports PyOD's ROC-AUC beside it. Shyu et
//! al.'s split of the score into major and minor components (with two
//! thresholds) is not implemented: anml scores with one sum; `n_components`
//! selects the major part.

mod model;
mod params;

pub use model::PcaModel;
pub use params::{AllComponents, NComponents, PcaParams};

use super::keyword_or_number::{CountOrFraction, KeywordOr};
use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use ndarray_linalg::{Eigh, UPLO};

/// The parameters of `pca`.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_components",
        doc: "Components the score sums over; default null = every component whose \
              variance exceeds max variance * d * eps; an integer in [1, 100000] (at most min(n, d)) = \
              the leading k; a float in (0, 1) = the fewest leading components whose \
              explained-variance ratio exceeds it (as scikit-learn's PCA).",
    },
    ParamDoc {
        name: "standardization",
        doc: "Scale each centred column to unit (population) variance before the \
              eigendecomposition; default true; a boolean.",
    },
];

impl DetectorParams for PcaParams {
    type Model = PcaModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<PcaModel>, DetectorError> {
        let (n, d) = x.dim();
        if d == 0 {
            return Err(DetectorError::Empty);
        }
        super::input::check_min_rows(x, 2)?;
        if let KeywordOr::Number(CountOrFraction::Count(k)) = self.n_components
            && k > n.min(d) as u64
        {
            return Err(DetectorError::CannotFit(format!(
                "n_components = {k} exceeds min(n_rows, n_columns) = {}",
                n.min(d)
            )));
        }
        crate::blas::single_threaded();
        let (mean, scale) = column_scaling(x, self.standardization);
        let z = model::standardise(x, &mean, &scale);
        let cov = z.t().dot(&z) / (n - 1) as f64;
        let (w, v) = cov
            .eigh(UPLO::Lower)
            .map_err(|e| DetectorError::CannotFit(format!("eigendecomposition failed: {e}")))?;
        // LAPACK returns ascending eigenvalues: reverse to descending.
        let order: Vec<usize> = (0..d).rev().collect();
        let w: Array1<f64> = order.iter().map(|&i| w[i]).collect();
        let v: Array2<f64> = v.select(Axis(1), &order);
        let k = kept_components(&w.to_vec(), self.n_components);
        if k == 0 {
            return Err(DetectorError::CannotFit(
                "no component has non-zero variance (every training column is constant)".into(),
            ));
        }
        let model = PcaModel::new(
            mean,
            scale,
            v.slice(s![.., ..k]).to_owned(),
            w.slice(s![..k]).to_owned(),
        );
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

/// Column means and scales: the population std (or 1 without
/// standardisation), 0 for a column scikit-learn's `_is_constant_feature`
/// calls constant (`var <= n·eps·var + (n·mean·eps)²`).
fn column_scaling(x: ArrayView2<'_, f64>, standardization: bool) -> (Array1<f64>, Array1<f64>) {
    let n = x.nrows() as f64;
    let mean = x.sum_axis(Axis(0)) / n;
    let mut var = Array1::<f64>::zeros(x.ncols());
    for row in x.rows() {
        for ((v, &xi), &m) in var.iter_mut().zip(row).zip(&mean) {
            let d = xi - m;
            *v += d * d;
        }
    }
    var /= n;
    let eps = f64::EPSILON;
    let scale = var
        .iter()
        .zip(&mean)
        .map(|(&v, &m)| {
            let bound = n * eps * v + (n * m * eps).powi(2);
            if v <= bound {
                0.0
            } else if standardization {
                v.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    (mean, scale)
}

/// How many leading components (eigenvalues `w` in descending order) the
/// score keeps: those above `w[0] · d · ε`, then the `n_components` rule.
pub(crate) fn kept_components(w: &[f64], n_components: NComponents) -> usize {
    let d = w.len();
    let Some(&max) = w.first() else { return 0 };
    if max.is_nan() || max <= 0.0 {
        return 0;
    }
    let cutoff = max * d as f64 * f64::EPSILON;
    let valid = w.iter().take_while(|&&l| l > cutoff).count();
    match n_components {
        KeywordOr::Keyword(AllComponents::All) => valid,
        KeywordOr::Number(CountOrFraction::Count(k)) => {
            valid.min(usize::try_from(k).unwrap_or(usize::MAX))
        }
        KeywordOr::Number(CountOrFraction::Fraction(f)) => {
            let total: f64 = w.iter().map(|&l| l.max(0.0)).sum();
            let mut cum = 0.0;
            let mut below = 0;
            for &l in w {
                cum += l.max(0.0) / total;
                if cum <= f {
                    below += 1;
                } else {
                    break;
                }
            }
            valid.min(below + 1)
        }
    }
}

#[cfg(test)]
mod tests;
