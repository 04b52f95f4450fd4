//! Expectation–maximisation for a full-covariance Gaussian mixture, step for
//! step as scikit-learn's `GaussianMixture` (`sklearn/mixture/_base.py`,
//! `_gaussian_mixture.py`): initial responsibilities → parameters, then
//! E-step / M-step until the mean log likelihood changes by less than `tol`.

use super::kmeans::{kmeans_labels, kmeans_plusplus};
use super::model::{GmmModel, log_sum_exp};
use super::params::{GmmParams, InitParams};
use ndarray::{Array1, Array2, Array3, ArrayView2, Axis, Zip};
use ndarray_linalg::{Cholesky, Diag, SolveTriangular, UPLO};
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Why a mixture cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GmmError {
    /// scikit-learn's "ill-defined empirical covariance" `ValueError`: the
    /// Cholesky factorisation of a component's covariance (with `reg_covar`
    /// already on its diagonal) failed.
    #[error(
        "component {component}'s covariance is not positive definite (an ill-defined \
         empirical covariance, e.g. a singleton or collapsed component); increase \
         reg_covar (now {reg_covar}), decrease n_components, or scale the input data"
    )]
    SingularCovariance { component: usize, reg_covar: f64 },
    #[error("needs at least 2 training rows; got {0}")]
    TooFewRows(usize),
    #[error("n_components = {n_components} exceeds the number of training rows ({n_rows})")]
    TooManyComponents { n_components: usize, n_rows: usize },
    #[error("initial labels: expected {expected} labels below {n_components}, got {got}")]
    BadLabels {
        expected: usize,
        got: usize,
        n_components: usize,
    },
}

/// Parameters of one EM state.
struct State {
    weights: Array1<f64>,
    means: Array2<f64>,
    precisions_cholesky: Array3<f64>,
}

impl State {
    fn model(&self, converged: bool, n_iter: usize, lower_bound: f64) -> GmmModel {
        GmmModel::new(
            self.weights.clone(),
            self.means.clone(),
            self.precisions_cholesky.clone(),
            converged,
            n_iter,
            lower_bound,
        )
    }
}

/// `U = (L⁻¹)ᵀ` for the lower Cholesky factor L of `cov` (scikit-learn's
/// `_compute_precision_cholesky`, which solves `L X = I`).
fn precision_cholesky(
    cov: &Array2<f64>,
    component: usize,
    reg_covar: f64,
) -> Result<Array2<f64>, GmmError> {
    let singular = GmmError::SingularCovariance {
        component,
        reg_covar,
    };
    let l = cov.cholesky(UPLO::Lower).map_err(|_| singular.clone())?;
    if l.diag().iter().any(|&v| !(v.is_finite() && v > 0.0)) {
        return Err(singular);
    }
    let eye = Array2::<f64>::eye(cov.nrows());
    let inv = l
        .solve_triangular(UPLO::Lower, Diag::NonUnit, &eye)
        .map_err(|_| singular.clone())?;
    if inv.iter().any(|v| !v.is_finite()) {
        return Err(singular);
    }
    Ok(inv.reversed_axes().as_standard_layout().into_owned())
}

/// scikit-learn's `_estimate_gaussian_parameters` (full): `nk = Σ resp + 10ε`,
/// means `respᵀX / nk`, covariances `Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / nk +
/// reg_covar I`, and their precision factors. Returns the unnormalised
/// weights `nk`.
fn estimate_parameters(
    x: ArrayView2<'_, f64>,
    resp: &Array2<f64>,
    reg_covar: f64,
) -> Result<State, GmmError> {
    let d = x.ncols();
    let nk: Array1<f64> = resp.sum_axis(Axis(0)) + 10.0 * f64::EPSILON;
    let means = resp.t().dot(&x) / nk.view().insert_axis(Axis(1));
    let factors: Vec<Result<Array2<f64>, GmmError>> = (0..nk.len())
        .into_par_iter()
        .map(|k| {
            let diff = &x - &means.row(k);
            let weighted = &diff * &resp.column(k).insert_axis(Axis(1));
            let mut cov = weighted.t().dot(&diff) / nk[k];
            for i in 0..d {
                cov[[i, i]] += reg_covar;
            }
            precision_cholesky(&cov, k, reg_covar)
        })
        .collect();
    let mut precisions_cholesky = Array3::zeros((nk.len(), d, d));
    for (k, f) in factors.into_iter().enumerate() {
        precisions_cholesky.index_axis_mut(Axis(0), k).assign(&f?);
    }
    Ok(State {
        weights: nk,
        means,
        precisions_cholesky,
    })
}

/// E-step: the mean log likelihood (the lower bound) and the
/// responsibilities `exp(log_resp)`.
fn e_step(x: ArrayView2<'_, f64>, state: &State) -> (f64, Array2<f64>) {
    let model = state.model(false, 0, f64::NAN);
    let mut wlp = model.weighted_log_prob(x);
    let norms: Vec<f64> = wlp
        .outer_iter()
        .map(|r| match r.as_slice() {
            Some(v) => log_sum_exp(v),
            None => log_sum_exp(&r.to_vec()),
        })
        .collect();
    Zip::from(wlp.rows_mut())
        .and(&Array1::from(norms.clone()))
        .for_each(|mut r, &lpn| r.mapv_inplace(|v| (v - lpn).exp()));
    let mean = norms.iter().sum::<f64>() / norms.len() as f64;
    (mean, wlp)
}

/// M-step: new parameters from the responsibilities, weights normalised.
fn m_step(x: ArrayView2<'_, f64>, resp: &Array2<f64>, reg_covar: f64) -> Result<State, GmmError> {
    let mut s = estimate_parameters(x, resp, reg_covar)?;
    let total = s.weights.sum();
    s.weights /= total;
    Ok(s)
}

/// One restart from initial responsibilities: `_initialize` (weights
/// `nk / n`) then EM. Returns the final state, whether it converged, the
/// iteration count and the lower bound.
fn run_em(
    x: ArrayView2<'_, f64>,
    resp: &Array2<f64>,
    p: &GmmParams,
) -> Result<(State, bool, usize, f64), GmmError> {
    let mut state = estimate_parameters(x, resp, p.reg_covar)?;
    state.weights /= x.nrows() as f64;
    let mut lower_bound = f64::NEG_INFINITY;
    let mut converged = false;
    let mut n_iter = 0;
    for it in 1..=p.max_iter {
        let prev = lower_bound;
        let (lb, resp) = e_step(x, &state);
        state = m_step(x, &resp, p.reg_covar)?;
        lower_bound = lb;
        n_iter = it;
        if (lower_bound - prev).abs() < p.tol {
            converged = true;
            break;
        }
    }
    Ok((state, converged, n_iter, lower_bound))
}

fn one_hot(n: usize, k: usize, labels: &[usize]) -> Array2<f64> {
    let mut resp = Array2::zeros((n, k));
    for (i, &l) in labels.iter().enumerate() {
        resp[[i, l]] = 1.0;
    }
    resp
}

/// Initial responsibilities of one restart (scikit-learn's
/// `_initialize_parameters`), drawing from `rng`.
fn initial_resp(x: ArrayView2<'_, f64>, p: &GmmParams, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let (n, k) = (x.nrows(), p.n_components);
    match p.init_params {
        InitParams::KMeans => one_hot(n, k, &kmeans_labels(x, k, rng)),
        InitParams::KMeansPlusPlus => {
            let mut resp = Array2::zeros((n, k));
            for (c, i) in kmeans_plusplus(x, k, rng).into_iter().enumerate() {
                resp[[i, c]] = 1.0;
            }
            resp
        }
        InitParams::Random => {
            let mut resp = Array2::from_shape_simple_fn((n, k), || rng.random::<f64>());
            for mut r in resp.rows_mut() {
                let s = r.sum();
                r /= s;
            }
            resp
        }
        InitParams::RandomFromData => {
            let mut resp = Array2::zeros((n, k));
            for (c, i) in index::sample(rng, n, k).into_iter().enumerate() {
                resp[[i, c]] = 1.0;
            }
            resp
        }
    }
}

fn check_shape(x: ArrayView2<'_, f64>, k: usize) -> Result<(), GmmError> {
    let n = x.nrows();
    if n < 2 {
        return Err(GmmError::TooFewRows(n));
    }
    if n < k {
        return Err(GmmError::TooManyComponents {
            n_components: k,
            n_rows: n,
        });
    }
    Ok(())
}

/// Fit with `n_init` seeded restarts and keep the one with the highest final
/// lower bound (the first on ties; with `max_iter = 0`, the last restart's
/// initial parameters, as scikit-learn does).
pub(super) fn fit(x: ArrayView2<'_, f64>, p: &GmmParams) -> Result<GmmModel, GmmError> {
    check_shape(x, p.n_components)?;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut best: Option<(State, bool, usize, f64)> = None;
    for _ in 0..p.n_init {
        let resp = initial_resp(x, p, &mut rng);
        let run = run_em(x, &resp, p)?;
        let better = match &best {
            None => true,
            Some(b) => p.max_iter == 0 || run.3 > b.3 || b.3 == f64::NEG_INFINITY,
        };
        if better {
            best = Some(run);
        }
    }
    match best {
        Some((state, converged, n_iter, lb)) => Ok(state.model(converged, n_iter, lb)),
        None => Err(GmmError::TooFewRows(x.nrows())),
    }
}

/// One EM run started from hard initial labels (`labels[i]` in
/// `0..n_components`), exactly as scikit-learn's `GaussianMixture` continues
/// after its k-means initialisation: `n_init`, `init_params` and `seed` are
/// not used. Public so that parity tests can start anml and scikit-learn
/// from the same k-means labels.
pub fn fit_from_labels(
    x: ArrayView2<'_, f64>,
    labels: &[usize],
    p: &GmmParams,
) -> Result<GmmModel, GmmError> {
    let k = p.n_components;
    check_shape(x, k)?;
    if labels.len() != x.nrows() || labels.iter().any(|&l| l >= k) {
        return Err(GmmError::BadLabels {
            expected: x.nrows(),
            got: labels.len(),
            n_components: k,
        });
    }
    let resp = one_hot(x.nrows(), k, labels);
    let (state, converged, n_iter, lb) = run_em(x, &resp, p)?;
    Ok(state.model(converged, n_iter, lb))
}
