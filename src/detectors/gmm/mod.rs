//! Gaussian mixture model as an outlier score, with the behaviour of PyOD's
//! `GMM`, which wraps scikit-learn's `GaussianMixture`.
//!
//! A mixture of k Gaussians `p(x) = Σ_k w_k N(x | μ_k, Σ_k)` is fitted to the
//! training rows by expectation–maximisation, and a row's score is `−ln p(x)`
//! (PyOD's `decision_function`, scikit-learn's `-score_samples`; higher =
//! more anomalous); training scores are the same on the training rows
//! (PyOD's `decision_scores_`).
//!
//! The fit follows `sklearn/mixture/_base.py` and `_gaussian_mixture.py`
//! (see `em.rs`): initial responsibilities (hard k-means labels by default)
//! give weights `nk / n` (`nk = Σ resp + 10ε`), means and covariances, each
//! covariance with `reg_covar` added to its diagonal and stored as the upper
//! factor `U = (L⁻¹)ᵀ` of its precision (L its lower Cholesky factor); then
//! E-steps (log responsibilities by log-sum-exp) and M-steps alternate until
//! the mean log likelihood changes by less than `tol` or `max_iter` E/M
//! pairs ran. `n_init` restarts draw their initialisations one after the
//! other from one seeded stream; the restart with the highest final lower
//! bound wins. A covariance whose Cholesky factorisation fails is a typed
//! error ([`GmmError::SingularCovariance`], reported as
//! `DetectorError::BadParams`) naming `reg_covar`, where scikit-learn raises
//! its "ill-defined empirical covariance" `ValueError`. At least two
//! training rows and no more components than rows are needed (as
//! scikit-learn).
//!
//! PyOD's defaults: `n_components=1, covariance_type='full', tol=1e-3,
//! reg_covar=1e-6, max_iter=100, n_init=1, init_params='kmeans',
//! random_state=None`. With one component the fit does not depend on the
//! randomness at all: it is the sample mean and the maximum-likelihood
//! covariance plus `reg_covar` (the first M-step reproduces the initial
//! parameters and EM stops after the second iteration).
//!
//! Deliberate differences from PyOD / scikit-learn:
//! * randomness is seeded (`seed`, default 0) and drawn from ChaCha8, not
//!   numpy's MT19937, so for k > 1 the k-means initialisation (hence the
//!   fitted mixture) is not the one scikit-learn finds for the same seed
//!   number; given the same initial labels the EM is the same
//!   ([`fit_from_labels`], tested against scikit-learn on real data);
//! * the k-means is a plain Lloyd run with greedy k-means++ seeding and
//!   scikit-learn's stopping rules (see `kmeans.rs`), not scikit-learn's
//!   Elkan/Lloyd Cython code: the same algorithm, different random draws;
//! * `covariance_type` accepts `"full"` only; `weights_init`, `means_init`,
//!   `precisions_init` and `warm_start` are not parameters;
//! * `L⁻¹` comes from a triangular solve (scikit-learn solves `L X = I`
//!   with a general LU solver): equal up to rounding.

mod em;
mod kmeans;
mod model;
mod params;

pub use em::{GmmError, fit_from_labels};
pub use model::GmmModel;
pub use params::{CovarianceType, GmmParams, InitParams};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::ArrayView2;

/// The parameters of `gmm`.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_components",
        doc: "Number of mixture components; default 1; an integer in [1, 100000] and at \
              most the number of training rows.",
    },
    ParamDoc {
        name: "covariance_type",
        doc: "Covariance shape of each component; default \"full\" (the only one \
              implemented).",
    },
    ParamDoc {
        name: "tol",
        doc: "EM stops when the mean training log likelihood changes by less than tol; \
              default 1e-3; a finite number >= 0.",
    },
    ParamDoc {
        name: "reg_covar",
        doc: "Added to every covariance's diagonal to keep it positive definite; default \
              1e-6; a finite number >= 0. A fit whose covariance is still singular fails \
              with an error naming reg_covar.",
    },
    ParamDoc {
        name: "max_iter",
        doc: "EM iterations per restart; default 100; an integer in [0, 100000000] (0 \
              keeps the initial parameters).",
    },
    ParamDoc {
        name: "n_init",
        doc: "Number of restarts, the best final lower bound wins; default 1; an \
              integer in [1, 1000].",
    },
    ParamDoc {
        name: "init_params",
        doc: "Initial responsibilities: \"kmeans\" (default: labels of a seeded k-means), \
              \"k-means++\", \"random\" or \"random_from_data\", as scikit-learn.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the initialisations (ChaCha8); default 0. With n_components = 1 the \
              fit does not depend on it.",
    },
];

impl From<GmmError> for DetectorError {
    fn from(e: GmmError) -> Self {
        DetectorError::CannotFit(e.to_string())
    }
}

impl DetectorParams for GmmParams {
    type Model = GmmModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<GmmModel>, DetectorError> {
        let model = em::fit(x, self)?;
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
