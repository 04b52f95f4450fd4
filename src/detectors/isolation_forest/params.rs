//! Hyperparameters of the Isolation Forest, their serde form and their rules.

use crate::detectors::ParamError;
use crate::detectors::keyword_or_number::{CountOrFraction, KeywordOr, Keywords};
use serde::{Deserialize, Serialize};

/// The keyword of `max_samples`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxSamplesKeyword {
    /// The detector's default subsample size (`min(256, n)` here,
    /// `min(8, n)` for `inne`).
    Auto,
}

impl Keywords for MaxSamplesKeyword {
    const PARAM: &'static str = "max_samples";
    const ALL: &'static [(Self, Option<&'static str>)] = &[(MaxSamplesKeyword::Auto, Some("auto"))];
}

/// Rows subsampled per tree or estimator (ψ), as scikit-learn's and PyOD's
/// `max_samples`: `"auto"`, an integer count (`128`) or a fraction written
/// as a float (`0.5`). As in scikit-learn, `1` means one row, `1.0` all rows.
/// Shared with `inne`, which resolves it with its own default.
pub type MaxSamples = KeywordOr<MaxSamplesKeyword, CountOrFraction>;

impl MaxSamples {
    /// `"auto"`.
    pub const AUTO: MaxSamples = KeywordOr::Keyword(MaxSamplesKeyword::Auto);

    /// ψ for `n` training rows: `"auto"` is `min(auto, n)`, a count is
    /// capped at `n` (scikit-learn and PyOD cap with a warning), a fraction
    /// gives `floor(fraction * n)` rows, at least `min_rows` (when n allows)
    /// and at most `n`.
    pub fn resolve(self, n: usize, auto: usize, min_rows: usize) -> usize {
        match self {
            KeywordOr::Keyword(MaxSamplesKeyword::Auto) => n.min(auto),
            KeywordOr::Number(CountOrFraction::Count(k)) => {
                usize::try_from(k).unwrap_or(usize::MAX).min(n)
            }
            // `as` saturates; the product is at most n for a valid fraction.
            KeywordOr::Number(CountOrFraction::Fraction(f)) => ((f * n as f64).floor() as usize)
                .max(min_rows)
                .min(n.max(min_rows)),
        }
    }
}

/// The rule text for `max_samples`.
const MAX_SAMPLES_RULE: &str = "\"auto\", an integer >= 1, or a fraction in (0, 1]";

/// Isolation Forest hyperparameters. Defaults are scikit-learn's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IsolationForestParams {
    /// Number of trees (≥ 1).
    pub n_estimators: usize,
    /// Rows drawn per tree (ψ).
    pub max_samples: MaxSamples,
    /// Fraction of the features each tree may split on, in (0, 1]; a tree
    /// sees `max(1, floor(max_features * d))` features drawn without
    /// replacement.
    pub max_features: f64,
    /// Draw each tree's rows with replacement.
    pub bootstrap: bool,
    /// Seed of the whole forest; every tree's seed is derived from it.
    pub seed: u64,
}

impl Default for IsolationForestParams {
    fn default() -> Self {
        Self {
            n_estimators: 100,
            max_samples: MaxSamples::AUTO,
            max_features: 1.0,
            bootstrap: false,
            seed: 0,
        }
    }
}

impl IsolationForestParams {
    /// The subsample size ψ for a training set of `n` rows (ψ ≥ 1 when
    /// n ≥ 1): `"auto"` is `min(256, n)` (the paper's and scikit-learn's
    /// default), a fraction gives at least one row (scikit-learn fails on a
    /// fraction that yields none).
    pub fn psi(&self, n: usize) -> usize {
        self.max_samples.resolve(n, 256, 1)
    }

    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        // The upper bound is inne's: the forest is allocated up front, and
        // 1e8 trees asked for 9.6 GB at once (an abort, not an error).
        if !(1..=1_000_000).contains(&self.n_estimators) {
            return Err(ParamError::new(
                "n_estimators",
                self.n_estimators,
                "an integer >= 1 and <= 1000000",
            ));
        }
        self.max_samples.check(MAX_SAMPLES_RULE, |m| match m {
            CountOrFraction::Count(k) => k >= 1,
            CountOrFraction::Fraction(f) => f > 0.0 && f <= 1.0,
        })?;
        if !(self.max_features > 0.0 && self.max_features <= 1.0) {
            return Err(ParamError::new(
                "max_features",
                self.max_features,
                "a fraction in (0, 1]",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut IsolationForestParams)) -> IsolationForestParams {
        let mut p = IsolationForestParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_sklearn_and_valid() {
        let p = IsolationForestParams::default();
        assert_eq!(p.n_estimators, 100);
        assert_eq!(p.max_samples, MaxSamples::AUTO);
        assert_eq!(p.max_features, 1.0);
        assert!(!p.bootstrap);
        assert_eq!(p.seed, 0);
        assert!(p.validate().is_ok());
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v,
            json!({"n_estimators": 100, "max_samples": "auto", "max_features": 1.0,
                   "bootstrap": false, "seed": 0})
        );
    }

    #[test]
    fn rule_n_estimators_at_least_one() {
        let e = with(|p| p.n_estimators = 0).validate().unwrap_err();
        assert_eq!(e.param, "n_estimators");
        assert_eq!(e.value, "0");
        assert!(e.to_string().contains("n_estimators") && e.to_string().contains(">= 1"));
        assert!(with(|p| p.n_estimators = 1).validate().is_ok());
        let e = with(|p| p.n_estimators = 100_000_000)
            .validate()
            .unwrap_err();
        assert_eq!(e.param, "n_estimators");
        assert!(with(|p| p.n_estimators = 1_000_000).validate().is_ok());
    }

    #[test]
    fn rule_max_samples_count_at_least_one() {
        let e = with(|p| p.max_samples = MaxSamples::count(0))
            .validate()
            .unwrap_err();
        assert_eq!(e.param, "max_samples");
        assert!(e.to_string().contains("integer >= 1"));
        assert!(
            with(|p| p.max_samples = MaxSamples::count(1))
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
        for good in [1e-9, 0.5, 1.0] {
            assert!(
                with(|p| p.max_samples = MaxSamples::fraction(good))
                    .validate()
                    .is_ok()
            );
        }
    }

    #[test]
    fn rule_max_features_fraction_in_unit_interval() {
        for bad in [0.0, -1.0, 1.0000001, f64::NAN] {
            let e = with(|p| p.max_features = bad).validate().unwrap_err();
            assert_eq!(e.param, "max_features");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        assert!(with(|p| p.max_features = 0.01).validate().is_ok());
    }

    #[test]
    fn max_samples_json_forms() {
        let parse = |v: serde_json::Value| {
            serde_json::from_value::<IsolationForestParams>(v).map(|p| p.max_samples)
        };
        assert_eq!(
            parse(json!({"max_samples": "auto"})).unwrap(),
            MaxSamples::AUTO
        );
        assert_eq!(
            parse(json!({"max_samples": 128})).unwrap(),
            MaxSamples::count(128)
        );
        assert_eq!(
            parse(json!({"max_samples": 0.5})).unwrap(),
            MaxSamples::fraction(0.5)
        );
        assert_eq!(
            parse(json!({"max_samples": 1.0})).unwrap(),
            MaxSamples::fraction(1.0)
        );
        let e = parse(json!({"max_samples": "all"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_samples"), "{e}");
        let e = parse(json!({"max_samples": -3})).unwrap_err().to_string();
        assert!(e.contains("max_samples"), "{e}");
        assert!(parse(json!({"max_samples": true})).is_err());
        // Serialised forms read back as the same variant.
        for m in [
            MaxSamples::AUTO,
            MaxSamples::count(7),
            MaxSamples::fraction(1.0),
        ] {
            let v = serde_json::to_value(m).unwrap();
            assert_eq!(serde_json::from_value::<MaxSamples>(v).unwrap(), m);
        }
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<IsolationForestParams>(json!({"n_trees": 5})).is_err());
        let p: IsolationForestParams = serde_json::from_value(json!({"seed": 7})).unwrap();
        assert_eq!(p, with(|p| p.seed = 7));
    }

    #[test]
    fn max_samples_resolution() {
        assert_eq!(with(|p| p.max_samples = MaxSamples::AUTO).psi(1000), 256);
        assert_eq!(with(|p| p.max_samples = MaxSamples::AUTO).psi(10), 10);
        assert_eq!(with(|p| p.max_samples = MaxSamples::count(50)).psi(10), 10);
        assert_eq!(with(|p| p.max_samples = MaxSamples::count(5)).psi(10), 5);
        assert_eq!(
            with(|p| p.max_samples = MaxSamples::fraction(0.5)).psi(11),
            5
        );
        assert_eq!(
            with(|p| p.max_samples = MaxSamples::fraction(1.0)).psi(11),
            11
        );
        assert_eq!(
            with(|p| p.max_samples = MaxSamples::fraction(0.01)).psi(11),
            1
        );
    }
}
