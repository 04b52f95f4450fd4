//! Hyperparameters of the Isolation Forest, their serde form and their rules.

use crate::detectors::ParamError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Subsample size per tree (ψ), as scikit-learn's `max_samples`.
///
/// In JSON: the string `"auto"`, an integer count (`128`) or a fraction
/// written as a float (`0.5`). As in scikit-learn, an integer and a float are
/// different things: `1` means one row, `1.0` means all rows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum MaxSamples {
    /// `min(256, n)`, the paper's and scikit-learn's default.
    #[default]
    Auto,
    /// This many rows, capped at `n` (scikit-learn caps with a warning).
    Count(u64),
    /// `max(1, floor(fraction * n))` rows; the fraction must be in (0, 1].
    Fraction(f64),
}

/// The rule text for `max_samples`, shared by validation and deserialisation.
const MAX_SAMPLES_RULE: &str = "\"auto\", an integer >= 1, or a fraction in (0, 1]";

impl MaxSamples {
    /// The subsample size ψ for a training set of `n` rows (ψ ≥ 1 when n ≥ 1).
    pub fn resolve(self, n: usize) -> usize {
        match self {
            MaxSamples::Auto => n.min(256),
            MaxSamples::Count(k) => usize::try_from(k).unwrap_or(usize::MAX).min(n),
            // `as` saturates; the product is at most n for a valid fraction.
            MaxSamples::Fraction(f) => ((f * n as f64).floor() as usize).clamp(1, n.max(1)),
        }
    }
}

impl fmt::Display for MaxSamples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxSamples::Auto => f.write_str("\"auto\""),
            MaxSamples::Count(k) => write!(f, "{k}"),
            MaxSamples::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

impl Serialize for MaxSamples {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            MaxSamples::Auto => s.serialize_str("auto"),
            MaxSamples::Count(k) => s.serialize_u64(k),
            MaxSamples::Fraction(x) => s.serialize_f64(x),
        }
    }
}

impl<'de> Deserialize<'de> for MaxSamples {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MaxSamples;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "max_samples as {MAX_SAMPLES_RULE}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MaxSamples, E> {
                if v == "auto" {
                    Ok(MaxSamples::Auto)
                } else {
                    Err(E::custom(format!(
                        "invalid max_samples {v:?}: must be {MAX_SAMPLES_RULE}"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MaxSamples, E> {
                Ok(MaxSamples::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MaxSamples, E> {
                u64::try_from(v).map(MaxSamples::Count).map_err(|_| {
                    E::custom(format!(
                        "invalid max_samples {v}: must be {MAX_SAMPLES_RULE}"
                    ))
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MaxSamples, E> {
                Ok(MaxSamples::Fraction(v))
            }
        }
        d.deserialize_any(V)
    }
}

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
            max_samples: MaxSamples::Auto,
            max_features: 1.0,
            bootstrap: false,
            seed: 0,
        }
    }
}

impl IsolationForestParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if self.n_estimators < 1 {
            return Err(ParamError::new(
                "n_estimators",
                self.n_estimators,
                "an integer >= 1",
            ));
        }
        match self.max_samples {
            MaxSamples::Auto => {}
            MaxSamples::Count(k) if k >= 1 => {}
            MaxSamples::Fraction(f) if f > 0.0 && f <= 1.0 => {}
            other => return Err(ParamError::new("max_samples", other, MAX_SAMPLES_RULE)),
        }
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
        assert_eq!(p.max_samples, MaxSamples::Auto);
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
    }

    #[test]
    fn rule_max_samples_count_at_least_one() {
        let e = with(|p| p.max_samples = MaxSamples::Count(0))
            .validate()
            .unwrap_err();
        assert_eq!(e.param, "max_samples");
        assert!(e.to_string().contains("integer >= 1"));
        assert!(
            with(|p| p.max_samples = MaxSamples::Count(1))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn rule_max_samples_fraction_in_unit_interval() {
        for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.max_samples = MaxSamples::Fraction(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "max_samples");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        for good in [1e-9, 0.5, 1.0] {
            assert!(
                with(|p| p.max_samples = MaxSamples::Fraction(good))
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
            MaxSamples::Auto
        );
        assert_eq!(
            parse(json!({"max_samples": 128})).unwrap(),
            MaxSamples::Count(128)
        );
        assert_eq!(
            parse(json!({"max_samples": 0.5})).unwrap(),
            MaxSamples::Fraction(0.5)
        );
        assert_eq!(
            parse(json!({"max_samples": 1.0})).unwrap(),
            MaxSamples::Fraction(1.0)
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
            MaxSamples::Auto,
            MaxSamples::Count(7),
            MaxSamples::Fraction(1.0),
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
        assert_eq!(MaxSamples::Auto.resolve(1000), 256);
        assert_eq!(MaxSamples::Auto.resolve(10), 10);
        assert_eq!(MaxSamples::Count(50).resolve(10), 10);
        assert_eq!(MaxSamples::Count(5).resolve(10), 5);
        assert_eq!(MaxSamples::Fraction(0.5).resolve(11), 5);
        assert_eq!(MaxSamples::Fraction(1.0).resolve(11), 11);
        assert_eq!(MaxSamples::Fraction(0.01).resolve(11), 1);
    }
}
