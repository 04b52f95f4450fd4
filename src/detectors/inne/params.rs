//! Hyperparameters of iNNE, their serde form and their rules.

use crate::detectors::ParamError;
use crate::detectors::isolation_forest::MaxSamples;
use crate::detectors::keyword_or_number::CountOrFraction;
use serde::{Deserialize, Serialize};

const MAX_SAMPLES_RULE: &str = "\"auto\", an integer >= 2, or a fraction in (0, 1]";

/// The largest ensemble accepted.
pub const MAX_ESTIMATORS: usize = 1_000_000;

/// iNNE hyperparameters. Defaults are PyOD's (`n_estimators = 200`,
/// `max_samples = "auto"`); `seed` replaces PyOD's `random_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InneParams {
    /// Number of sets of hyperspheres (≥ 1).
    pub n_estimators: usize,
    /// Centroids per set (ψ); see [`InneParams::psi`].
    pub max_samples: MaxSamples,
    /// Seed of the ensemble; every estimator's seed is derived from it.
    pub seed: u64,
}

impl Default for InneParams {
    fn default() -> Self {
        Self {
            n_estimators: 200,
            max_samples: MaxSamples::AUTO,
            seed: 0,
        }
    }
}

impl InneParams {
    /// ψ for a training set of `n` rows: `"auto"` is `min(8, n)` (PyOD's and
    /// the paper's default), a fraction gives `floor(fraction * n)` rows
    /// (PyOD's `int(max_samples * n)`). May be below 2 for tiny data or
    /// fractions; the fit refuses that.
    pub fn psi(&self, n: usize) -> usize {
        self.max_samples.resolve(n, 8, 0)
    }

    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if !(1..=MAX_ESTIMATORS).contains(&self.n_estimators) {
            return Err(ParamError::new(
                "n_estimators",
                self.n_estimators,
                "an integer in [1, 1000000]",
            ));
        }
        self.max_samples.check(MAX_SAMPLES_RULE, |m| match m {
            CountOrFraction::Count(k) => k >= 2,
            CountOrFraction::Fraction(f) => f > 0.0 && f <= 1.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut InneParams)) -> InneParams {
        let mut p = InneParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = InneParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"n_estimators": 200, "max_samples": "auto", "seed": 0})
        );
    }

    #[test]
    fn rule_n_estimators_in_range() {
        for bad in [0, MAX_ESTIMATORS + 1] {
            let e = with(|p| p.n_estimators = bad).validate().unwrap_err();
            assert_eq!(e.param, "n_estimators");
            assert!(e.to_string().contains("[1, 1000000]"), "{e}");
        }
        assert!(with(|p| p.n_estimators = 1).validate().is_ok());
    }

    #[test]
    fn rule_max_samples_count_at_least_two() {
        for bad in [0, 1] {
            let e = with(|p| p.max_samples = MaxSamples::count(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "max_samples");
            assert!(e.to_string().contains("integer >= 2"), "{e}");
        }
        assert!(
            with(|p| p.max_samples = MaxSamples::count(2))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn rule_max_samples_fraction_in_unit_interval() {
        for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.max_samples = MaxSamples::fraction(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "max_samples");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        assert!(
            with(|p| p.max_samples = MaxSamples::fraction(1.0))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn max_samples_json_forms_and_resolution() {
        let parse =
            |v: serde_json::Value| serde_json::from_value::<InneParams>(v).map(|p| p.max_samples);
        assert_eq!(
            parse(json!({"max_samples": "auto"})).unwrap(),
            MaxSamples::AUTO
        );
        assert_eq!(
            parse(json!({"max_samples": 16})).unwrap(),
            MaxSamples::count(16)
        );
        assert_eq!(
            parse(json!({"max_samples": 0.5})).unwrap(),
            MaxSamples::fraction(0.5)
        );
        assert!(parse(json!({"max_samples": "all"})).is_err());
        assert!(parse(json!({"max_samples": -3})).is_err());
        assert_eq!(with(|p| p.max_samples = MaxSamples::AUTO).psi(1000), 8);
        assert_eq!(with(|p| p.max_samples = MaxSamples::AUTO).psi(5), 5);
        assert_eq!(with(|p| p.max_samples = MaxSamples::count(50)).psi(10), 10);
        assert_eq!(
            with(|p| p.max_samples = MaxSamples::fraction(0.25)).psi(11),
            2
        );
        assert_eq!(
            with(|p| p.max_samples = MaxSamples::fraction(0.05)).psi(11),
            0
        );
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<InneParams>(json!({"psi": 5})).is_err());
        let p: InneParams = serde_json::from_value(json!({"seed": 4})).unwrap();
        assert_eq!(p, with(|p| p.seed = 4));
    }
}
