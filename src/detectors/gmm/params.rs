//! Hyperparameters of the Gaussian mixture detector, their serde form and
//! their rules.

use crate::detectors::ParamError;
use crate::detectors::limits::{
    COMPONENTS_RULE, GMM_ITER_RULE, INIT_RULE, MAX_COMPONENTS, MAX_INIT, MAX_ITER, check_count,
};
use serde::{Deserialize, Serialize};

/// Shape of each component's covariance. Only scikit-learn's default,
/// `"full"` (one unrestricted covariance matrix per component), is
/// implemented; other names are rejected when the parameters are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CovarianceType {
    #[default]
    #[serde(rename = "full")]
    Full,
}

/// How the responsibilities of each EM restart are initialised
/// (scikit-learn's `init_params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum InitParams {
    /// Hard labels of a k-means run (one Lloyd run from k-means++ seeds).
    #[default]
    #[serde(rename = "kmeans")]
    KMeans,
    /// One-hot responsibilities on the k-means++ seed rows only.
    #[serde(rename = "k-means++")]
    KMeansPlusPlus,
    /// Uniform random responsibilities, each row normalised to sum 1.
    #[serde(rename = "random")]
    Random,
    /// One-hot responsibilities on k distinct rows drawn uniformly.
    #[serde(rename = "random_from_data")]
    RandomFromData,
}

/// GMM hyperparameters. Defaults are PyOD's / scikit-learn's, except that
/// the randomness is always seeded (`seed = 0`; PyOD's `random_state=None`
/// is unseeded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GmmParams {
    /// Number of mixture components (≥ 1).
    pub n_components: usize,
    /// Covariance shape; `"full"` only.
    pub covariance_type: CovarianceType,
    /// EM stops when the mean log likelihood changes by less than `tol`.
    pub tol: f64,
    /// Added to each covariance's diagonal so it stays positive definite.
    pub reg_covar: f64,
    /// EM iterations per restart (0 keeps the initial parameters).
    pub max_iter: usize,
    /// Number of restarts; the one with the highest final lower bound wins.
    pub n_init: usize,
    /// How each restart is initialised.
    pub init_params: InitParams,
    /// Seed of the initialisations (ChaCha8).
    pub seed: u64,
}

impl Default for GmmParams {
    fn default() -> Self {
        Self {
            n_components: 1,
            covariance_type: CovarianceType::Full,
            tol: 1e-3,
            reg_covar: 1e-6,
            max_iter: 100,
            n_init: 1,
            init_params: InitParams::KMeans,
            seed: 0,
        }
    }
}

impl GmmParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if self.n_components < 1 {
            return Err(ParamError::new(
                "n_components",
                self.n_components,
                "an integer >= 1",
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(ParamError::new("tol", self.tol, "a finite number >= 0"));
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err(ParamError::new(
                "reg_covar",
                self.reg_covar,
                "a finite number >= 0",
            ));
        }
        if self.n_init < 1 {
            return Err(ParamError::new("n_init", self.n_init, "an integer >= 1"));
        }
        check_count(
            "n_components",
            self.n_components,
            MAX_COMPONENTS,
            COMPONENTS_RULE,
        )?;
        check_count("n_init", self.n_init, MAX_INIT, INIT_RULE)?;
        // max_iter 0 is scikit-learn's "initialise only"
        if self.max_iter as u64 > MAX_ITER {
            return Err(ParamError::new("max_iter", self.max_iter, GMM_ITER_RULE));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut GmmParams)) -> GmmParams {
        let mut p = GmmParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = GmmParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"n_components": 1, "covariance_type": "full", "tol": 1e-3,
                   "reg_covar": 1e-6, "max_iter": 100, "n_init": 1,
                   "init_params": "kmeans", "seed": 0})
        );
    }

    #[test]
    fn rule_n_components_at_least_one() {
        let e = with(|p| p.n_components = 0).validate().unwrap_err();
        assert_eq!(e.param, "n_components");
        assert!(e.to_string().contains(">= 1"), "{e}");
        assert!(with(|p| p.n_components = 1).validate().is_ok());
    }

    #[test]
    fn rule_tol_finite_non_negative() {
        for bad in [-1e-9, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.tol = bad).validate().unwrap_err();
            assert_eq!(e.param, "tol");
            assert!(e.to_string().contains(">= 0"), "{e}");
        }
        assert!(with(|p| p.tol = 0.0).validate().is_ok());
    }

    #[test]
    fn rule_reg_covar_finite_non_negative() {
        for bad in [-1e-6, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.reg_covar = bad).validate().unwrap_err();
            assert_eq!(e.param, "reg_covar");
            assert!(e.to_string().contains(">= 0"), "{e}");
        }
        assert!(with(|p| p.reg_covar = 0.0).validate().is_ok());
    }

    #[test]
    fn rule_n_init_at_least_one() {
        let e = with(|p| p.n_init = 0).validate().unwrap_err();
        assert_eq!(e.param, "n_init");
        assert!(with(|p| p.n_init = 3).validate().is_ok());
    }

    #[test]
    fn max_iter_zero_is_allowed_as_in_sklearn() {
        assert!(with(|p| p.max_iter = 0).validate().is_ok());
    }

    #[test]
    fn names_are_sklearns_and_others_rejected() {
        for (name, want) in [
            ("kmeans", InitParams::KMeans),
            ("k-means++", InitParams::KMeansPlusPlus),
            ("random", InitParams::Random),
            ("random_from_data", InitParams::RandomFromData),
        ] {
            let p: GmmParams = serde_json::from_value(json!({ "init_params": name })).unwrap();
            assert_eq!(p.init_params, want);
        }
        assert!(serde_json::from_value::<GmmParams>(json!({"init_params": "pca"})).is_err());
        let e =
            serde_json::from_value::<GmmParams>(json!({"covariance_type": "diag"})).unwrap_err();
        assert!(e.to_string().contains("full"), "{e}");
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<GmmParams>(json!({"random_state": 1})).is_err());
        assert!(serde_json::from_value::<GmmParams>(json!({"n_components": -1})).is_err());
        let p: GmmParams = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p, GmmParams::default());
    }
}
