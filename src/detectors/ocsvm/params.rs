//! Hyperparameters of the one-class SVM, their serde form and their rules.

use crate::detectors::ParamError;
use crate::detectors::keyword_or_number::{KeywordOr, Keywords, finite_positive};
use crate::detectors::limits::{CACHE_RULE, MAX_CACHE_MIB, MAX_ITER, OCSVM_ITER_RULE};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// The named choices of `gamma`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GammaRule {
    /// `1 / n_features` (PyOD's default).
    Auto,
    /// `1 / (n_features · var(X))` over all entries of X (1 if that is 0;
    /// scikit-learn's default).
    Scale,
}

impl Keywords for GammaRule {
    const PARAM: &'static str = "gamma";
    const ALL: &'static [(Self, Option<&'static str>)] = &[
        (GammaRule::Auto, Some("auto")),
        (GammaRule::Scale, Some("scale")),
    ];
}

/// The RBF kernel width γ in `K(a, b) = exp(−γ ‖a − b‖²)`, as scikit-learn's
/// `gamma`: `"auto"`, `"scale"` or a number (finite, > 0).
pub type Gamma = KeywordOr<GammaRule, f64>;

/// The rule text for `gamma`.
const GAMMA_RULE: &str = "\"auto\", \"scale\" or a finite number > 0";

impl Gamma {
    /// `"auto"`.
    pub const AUTO: Gamma = KeywordOr::Keyword(GammaRule::Auto);
    /// `"scale"`.
    pub const SCALE: Gamma = KeywordOr::Keyword(GammaRule::Scale);

    /// The γ used for training data `x` (n × d, d ≥ 1), as scikit-learn's
    /// `_gamma`. The variance is numpy's `X.var()` (population variance of
    /// all n·d entries), computed in two passes.
    pub fn resolve(self, x: ArrayView2<'_, f64>) -> f64 {
        let d = x.ncols().max(1) as f64;
        match self {
            KeywordOr::Keyword(GammaRule::Auto) => 1.0 / d,
            KeywordOr::Number(g) => g,
            KeywordOr::Keyword(GammaRule::Scale) => {
                let count = x.len().max(1) as f64;
                let mean = x.iter().sum::<f64>() / count;
                let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count;
                if var != 0.0 { 1.0 / (d * var) } else { 1.0 }
            }
        }
    }
}

/// One-class SVM hyperparameters. Defaults are PyOD's `OCSVM()` (kernel
/// `rbf`, which is the only kernel anml offers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcsvmParams {
    /// Upper bound on the fraction of training errors and lower bound on the
    /// fraction of support vectors; in (0, 1].
    pub nu: f64,
    /// RBF kernel width.
    pub gamma: Gamma,
    /// Stopping tolerance of the solver (libsvm's `eps`): it stops when the
    /// maximal KKT violation `m(α) − M(α)` is below `tol`; > 0.
    pub tol: f64,
    /// libsvm's shrinking heuristic (speed only; the stopping rule is checked
    /// on the whole problem before stopping).
    pub shrinking: bool,
    /// Kernel-row cache size in MiB (speed only); > 0.
    pub cache_size: f64,
    /// Hard limit on solver iterations: −1 = no limit (scikit-learn's
    /// default), otherwise an integer >= 1.
    pub max_iter: i64,
}

impl Default for OcsvmParams {
    fn default() -> Self {
        Self {
            nu: 0.5,
            gamma: Gamma::AUTO,
            tol: 1e-3,
            shrinking: true,
            cache_size: 200.0,
            max_iter: -1,
        }
    }
}

impl OcsvmParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if !(self.nu > 0.0 && self.nu <= 1.0) {
            return Err(ParamError::new("nu", self.nu, "a number in (0, 1]"));
        }
        self.gamma.check(GAMMA_RULE, finite_positive)?;
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(ParamError::new("tol", self.tol, "a finite number > 0"));
        }
        if !(self.cache_size.is_finite() && self.cache_size > 0.0) {
            return Err(ParamError::new(
                "cache_size",
                self.cache_size,
                "a finite number of MiB > 0",
            ));
        }
        if self.cache_size > MAX_CACHE_MIB {
            return Err(ParamError::new("cache_size", self.cache_size, CACHE_RULE));
        }
        if self.max_iter > 0 && self.max_iter as u64 > MAX_ITER {
            return Err(ParamError::new("max_iter", self.max_iter, OCSVM_ITER_RULE));
        }
        if self.max_iter == 0 || self.max_iter < -1 {
            return Err(ParamError::new(
                "max_iter",
                self.max_iter,
                "-1 (no limit) or an integer >= 1",
            ));
        }
        Ok(())
    }

    /// The iteration limit, `None` for no limit.
    pub fn iteration_limit(&self) -> Option<u64> {
        u64::try_from(self.max_iter).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use ndarray::array;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut OcsvmParams)) -> OcsvmParams {
        let mut p = OcsvmParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = OcsvmParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"nu": 0.5, "gamma": "auto", "tol": 1e-3, "shrinking": true,
                   "cache_size": 200.0, "max_iter": -1})
        );
        assert_eq!(p.iteration_limit(), None);
    }

    #[test]
    fn rule_nu_in_zero_one() {
        for bad in [0.0, -0.1, 1.0000001, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.nu = bad).validate().unwrap_err();
            assert_eq!(e.param, "nu");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        for good in [1e-9, 0.1, 1.0] {
            assert!(with(|p| p.nu = good).validate().is_ok());
        }
    }

    #[test]
    fn rule_gamma_positive_or_named() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.gamma = Gamma::Number(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "gamma");
            assert!(e.to_string().contains("\"scale\""), "{e}");
        }
        assert!(with(|p| p.gamma = Gamma::Number(0.3)).validate().is_ok());
        assert!(with(|p| p.gamma = Gamma::SCALE).validate().is_ok());
        // The names and numbers in JSON; other strings are refused.
        let p: OcsvmParams = serde_json::from_value(json!({"gamma": "scale"})).unwrap();
        assert_eq!(p.gamma, Gamma::SCALE);
        let p: OcsvmParams = serde_json::from_value(json!({"gamma": 2})).unwrap();
        assert_eq!(p.gamma, Gamma::Number(2.0));
        let e = serde_json::from_value::<OcsvmParams>(json!({"gamma": "big"})).unwrap_err();
        assert!(e.to_string().contains("invalid gamma"), "{e}");
    }

    #[test]
    fn gamma_resolves_like_sklearn() {
        let x = array![[0.0, 1.0], [2.0, 3.0]];
        assert_eq!(Gamma::AUTO.resolve(x.view()), 0.5);
        assert_eq!(Gamma::Number(0.7).resolve(x.view()), 0.7);
        // Entries 0, 1, 2, 3: mean 1.5, variance 1.25 -> 1 / (2 * 1.25).
        assert_eq!(Gamma::SCALE.resolve(x.view()), 0.4);
        // Constant data: scikit-learn falls back to 1.
        assert_eq!(Gamma::SCALE.resolve(array![[3.0, 3.0]].view()), 1.0);
    }

    #[test]
    fn rule_tol_positive() {
        for bad in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.tol = bad).validate().unwrap_err();
            assert_eq!(e.param, "tol");
            assert!(e.to_string().contains("> 0"), "{e}");
        }
        assert!(with(|p| p.tol = 1e-12).validate().is_ok());
    }

    #[test]
    fn rule_cache_size_positive() {
        for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.cache_size = bad).validate().unwrap_err();
            assert_eq!(e.param, "cache_size");
            assert!(e.to_string().contains("MiB"), "{e}");
        }
        assert!(with(|p| p.cache_size = 0.5).validate().is_ok());
    }

    #[test]
    fn rule_max_iter_minus_one_or_positive() {
        for bad in [0, -2, i64::MIN] {
            let e = with(|p| p.max_iter = bad).validate().unwrap_err();
            assert_eq!(e.param, "max_iter");
            assert!(e.to_string().contains("-1 (no limit)"), "{e}");
        }
        assert!(with(|p| p.max_iter = 1).validate().is_ok());
        assert_eq!(with(|p| p.max_iter = 7).iteration_limit(), Some(7));
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<OcsvmParams>(json!({"kernel": "rbf"})).is_err());
        assert!(serde_json::from_value::<OcsvmParams>(json!({"shrinking": 1})).is_err());
        let p: OcsvmParams = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p, OcsvmParams::default());
    }
}
