//! Hyperparameters of CBLOF, their serde form and their rules.

use crate::detectors::ParamError;
use serde::{Deserialize, Serialize};

/// The largest number of clusters accepted.
pub const MAX_CLUSTERS: usize = 100_000;

/// CBLOF hyperparameters. Defaults are PyOD's (`n_clusters = 8`,
/// `alpha = 0.9`, `beta = 5`, `use_weights = false`); `seed` replaces
/// `random_state` (it seeds k-means++).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CblofParams {
    /// Number of k-means clusters (≥ 2).
    pub n_clusters: usize,
    /// Share of the rows the large clusters must hold, in (0, 1).
    pub alpha: f64,
    /// Size ratio between consecutive clusters that separates large from
    /// small ones, > 1.
    pub beta: f64,
    /// Multiply each score by the size of the row's cluster.
    pub use_weights: bool,
    /// Seed of the k-means++ initialisation.
    pub seed: u64,
}

impl Default for CblofParams {
    fn default() -> Self {
        Self {
            n_clusters: 8,
            alpha: 0.9,
            beta: 5.0,
            use_weights: false,
            seed: 0,
        }
    }
}

impl CblofParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if !(2..=MAX_CLUSTERS).contains(&self.n_clusters) {
            return Err(ParamError::new(
                "n_clusters",
                self.n_clusters,
                "an integer in [2, 100000]",
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(ParamError::new("alpha", self.alpha, "a number in (0, 1)"));
        }
        if !(self.beta > 1.0 && self.beta.is_finite()) {
            return Err(ParamError::new("beta", self.beta, "a finite number > 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut CblofParams)) -> CblofParams {
        let mut p = CblofParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = CblofParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"n_clusters": 8, "alpha": 0.9, "beta": 5.0, "use_weights": false, "seed": 0})
        );
    }

    #[test]
    fn rule_n_clusters_in_range() {
        for bad in [0, 1, MAX_CLUSTERS + 1] {
            let e = with(|p| p.n_clusters = bad).validate().unwrap_err();
            assert_eq!(e.param, "n_clusters");
            assert!(e.to_string().contains("[2, 100000]"), "{e}");
        }
        assert!(with(|p| p.n_clusters = 2).validate().is_ok());
    }

    #[test]
    fn rule_alpha_open_unit_interval() {
        for bad in [0.0, 1.0, -0.1, f64::NAN] {
            let e = with(|p| p.alpha = bad).validate().unwrap_err();
            assert_eq!(e.param, "alpha");
            assert!(e.to_string().contains("(0, 1)"), "{e}");
        }
        assert!(with(|p| p.alpha = 0.5).validate().is_ok());
    }

    #[test]
    fn rule_beta_above_one() {
        for bad in [1.0, 0.5, f64::INFINITY, f64::NAN] {
            let e = with(|p| p.beta = bad).validate().unwrap_err();
            assert_eq!(e.param, "beta");
            assert!(e.to_string().contains("> 1"), "{e}");
        }
        assert!(with(|p| p.beta = 1.0001).validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<CblofParams>(json!({"k": 3})).is_err());
        // An integer beta, as PyOD's default, reads as a number.
        let p: CblofParams = serde_json::from_value(json!({"beta": 5, "seed": 2})).unwrap();
        assert_eq!(p, with(|p| p.seed = 2));
    }
}
