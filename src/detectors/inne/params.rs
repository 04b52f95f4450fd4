//! Hyperparameters of iNNE, their serde form and their rules.

use crate::detectors::ParamError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Centroids sampled per estimator (ψ), as PyOD's `max_samples`.
///
/// In JSON: the string `"auto"`, an integer count (`16`) or a fraction
/// written as a float (`0.01`). As in PyOD, `1` means one row and `1.0`
/// means all rows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum InneSamples {
    /// `min(8, n)`, PyOD's and the paper's default.
    #[default]
    Auto,
    /// This many rows, capped at `n` (PyOD caps with a warning).
    Count(u64),
    /// `floor(fraction * n)` rows (PyOD's `int(max_samples * n)`).
    Fraction(f64),
}

const MAX_SAMPLES_RULE: &str = "\"auto\", an integer >= 2, or a fraction in (0, 1]";

/// The largest ensemble accepted.
pub const MAX_ESTIMATORS: usize = 1_000_000;

impl InneSamples {
    /// ψ for a training set of `n` rows (may be below 2 for tiny data or
    /// fractions; the fit refuses that).
    pub fn resolve(self, n: usize) -> usize {
        match self {
            InneSamples::Auto => n.min(8),
            InneSamples::Count(k) => usize::try_from(k).unwrap_or(usize::MAX).min(n),
            // `as` saturates; the product is at most n for a valid fraction.
            InneSamples::Fraction(f) => ((f * n as f64).floor() as usize).min(n),
        }
    }
}

impl fmt::Display for InneSamples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InneSamples::Auto => f.write_str("\"auto\""),
            InneSamples::Count(k) => write!(f, "{k}"),
            InneSamples::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

impl Serialize for InneSamples {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            InneSamples::Auto => s.serialize_str("auto"),
            InneSamples::Count(k) => s.serialize_u64(k),
            InneSamples::Fraction(x) => s.serialize_f64(x),
        }
    }
}

impl<'de> Deserialize<'de> for InneSamples {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = InneSamples;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "max_samples as {MAX_SAMPLES_RULE}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<InneSamples, E> {
                if v == "auto" {
                    Ok(InneSamples::Auto)
                } else {
                    Err(E::custom(format!(
                        "invalid max_samples {v:?}: must be {MAX_SAMPLES_RULE}"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<InneSamples, E> {
                Ok(InneSamples::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<InneSamples, E> {
                u64::try_from(v).map(InneSamples::Count).map_err(|_| {
                    E::custom(format!(
                        "invalid max_samples {v}: must be {MAX_SAMPLES_RULE}"
                    ))
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<InneSamples, E> {
                Ok(InneSamples::Fraction(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// iNNE hyperparameters. Defaults are PyOD's (`n_estimators = 200`,
/// `max_samples = "auto"`); `seed` replaces PyOD's `random_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InneParams {
    /// Number of sets of hyperspheres (≥ 1).
    pub n_estimators: usize,
    /// Centroids per set (ψ).
    pub max_samples: InneSamples,
    /// Seed of the ensemble; every estimator's seed is derived from it.
    pub seed: u64,
}

impl Default for InneParams {
    fn default() -> Self {
        Self {
            n_estimators: 200,
            max_samples: InneSamples::Auto,
            seed: 0,
        }
    }
}

impl InneParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if !(1..=MAX_ESTIMATORS).contains(&self.n_estimators) {
            return Err(ParamError::new(
                "n_estimators",
                self.n_estimators,
                "an integer in [1, 1000000]",
            ));
        }
        match self.max_samples {
            InneSamples::Auto => {}
            InneSamples::Count(k) if k >= 2 => {}
            InneSamples::Fraction(f) if f > 0.0 && f <= 1.0 => {}
            other => return Err(ParamError::new("max_samples", other, MAX_SAMPLES_RULE)),
        }
        Ok(())
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
            let e = with(|p| p.max_samples = InneSamples::Count(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "max_samples");
            assert!(e.to_string().contains("integer >= 2"), "{e}");
        }
        assert!(
            with(|p| p.max_samples = InneSamples::Count(2))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn rule_max_samples_fraction_in_unit_interval() {
        for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.max_samples = InneSamples::Fraction(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "max_samples");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        assert!(
            with(|p| p.max_samples = InneSamples::Fraction(1.0))
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
            InneSamples::Auto
        );
        assert_eq!(
            parse(json!({"max_samples": 16})).unwrap(),
            InneSamples::Count(16)
        );
        assert_eq!(
            parse(json!({"max_samples": 0.5})).unwrap(),
            InneSamples::Fraction(0.5)
        );
        assert!(parse(json!({"max_samples": "all"})).is_err());
        assert!(parse(json!({"max_samples": -3})).is_err());
        assert_eq!(InneSamples::Auto.resolve(1000), 8);
        assert_eq!(InneSamples::Auto.resolve(5), 5);
        assert_eq!(InneSamples::Count(50).resolve(10), 10);
        assert_eq!(InneSamples::Fraction(0.25).resolve(11), 2);
        assert_eq!(InneSamples::Fraction(0.05).resolve(11), 0);
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<InneParams>(json!({"psi": 5})).is_err());
        let p: InneParams = serde_json::from_value(json!({"seed": 4})).unwrap();
        assert_eq!(p, with(|p| p.seed = 4));
    }
}
