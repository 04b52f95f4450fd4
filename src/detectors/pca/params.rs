//! Hyperparameters of the principal-component detector, their serde form
//! and rules.

use crate::detectors::ParamError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// How many principal components the score sums over, as scikit-learn's
/// `PCA(n_components=...)`.
///
/// In JSON: `null` (all components with non-zero variance), an integer
/// count (`3`) or an explained-variance fraction written as a float
/// (`0.9`). As in scikit-learn an integer and a float differ: `1` is one
/// component, a fraction must lie strictly between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum NComponents {
    /// Every component whose variance passes the rank rule.
    #[default]
    All,
    /// The first k components (k >= 1, at most min(n, d)).
    Count(u64),
    /// The fewest leading components whose cumulative explained-variance
    /// ratio exceeds the fraction (scikit-learn's
    /// `searchsorted(cumsum, f, side="right") + 1`).
    Fraction(f64),
}

/// The rule text for `n_components`, shared by validation and
/// deserialisation.
pub(crate) const N_COMPONENTS_RULE: &str = "null, an integer >= 1, or a fraction in (0, 1)";

impl fmt::Display for NComponents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NComponents::All => f.write_str("null"),
            NComponents::Count(k) => write!(f, "{k}"),
            NComponents::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

impl Serialize for NComponents {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            NComponents::All => s.serialize_none(),
            NComponents::Count(k) => s.serialize_u64(k),
            NComponents::Fraction(x) => s.serialize_f64(x),
        }
    }
}

impl<'de> Deserialize<'de> for NComponents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NComponents;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "n_components as {N_COMPONENTS_RULE}")
            }
            fn visit_unit<E: de::Error>(self) -> Result<NComponents, E> {
                Ok(NComponents::All)
            }
            fn visit_none<E: de::Error>(self) -> Result<NComponents, E> {
                Ok(NComponents::All)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<NComponents, D2::Error> {
                d.deserialize_any(V)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NComponents, E> {
                Ok(NComponents::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NComponents, E> {
                u64::try_from(v).map(NComponents::Count).map_err(|_| {
                    E::custom(format!(
                        "invalid n_components {v}: must be {N_COMPONENTS_RULE}"
                    ))
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NComponents, E> {
                Ok(NComponents::Fraction(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// PCA hyperparameters. Defaults are PyOD's `PCA()`: all components,
/// standardised columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaParams {
    /// Components the score sums over.
    pub n_components: NComponents,
    /// Divide each centred column by its (population) standard deviation
    /// before the eigendecomposition (PyOD's `standardization=True`).
    pub standardization: bool,
}

impl Default for PcaParams {
    fn default() -> Self {
        Self {
            n_components: NComponents::All,
            standardization: true,
        }
    }
}

impl PcaParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        match self.n_components {
            NComponents::Count(0) => Err(ParamError::new(
                "n_components",
                self.n_components,
                N_COMPONENTS_RULE,
            )),
            NComponents::Fraction(f) if !(f > 0.0 && f < 1.0) => Err(ParamError::new(
                "n_components",
                self.n_components,
                N_COMPONENTS_RULE,
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = PcaParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"n_components": null, "standardization": true})
        );
    }

    #[test]
    fn n_components_forms_round_trip() {
        for (v, want) in [
            (json!(null), NComponents::All),
            (json!(3), NComponents::Count(3)),
            (json!(0.9), NComponents::Fraction(0.9)),
        ] {
            let p: PcaParams =
                serde_json::from_value(json!({ "n_components": v.clone() })).unwrap();
            assert_eq!(p.n_components, want);
            assert_eq!(serde_json::to_value(&p).unwrap()["n_components"], v);
        }
        assert!(serde_json::from_value::<PcaParams>(json!({"n_components": -1})).is_err());
        assert!(serde_json::from_value::<PcaParams>(json!({"n_components": "all"})).is_err());
    }

    #[test]
    fn rule_count_at_least_one() {
        let p = PcaParams {
            n_components: NComponents::Count(0),
            ..PcaParams::default()
        };
        let e = p.validate().unwrap_err();
        assert_eq!(e.param, "n_components");
        assert!(e.to_string().contains("integer >= 1"), "{e}");
        let p = PcaParams {
            n_components: NComponents::Count(1),
            ..PcaParams::default()
        };
        assert!(p.validate().is_ok());
    }

    #[test]
    fn rule_fraction_strictly_inside_zero_one() {
        for bad in [0.0, 1.0, 1.5, -0.2, f64::NAN] {
            let p = PcaParams {
                n_components: NComponents::Fraction(bad),
                ..PcaParams::default()
            };
            let e = p.validate().unwrap_err();
            assert_eq!(e.param, "n_components");
            assert!(e.to_string().contains("(0, 1)"), "{e}");
        }
        let p = PcaParams {
            n_components: NComponents::Fraction(0.5),
            ..PcaParams::default()
        };
        assert!(p.validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<PcaParams>(json!({"whiten": true})).is_err());
        let p: PcaParams = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p, PcaParams::default());
        let p: PcaParams = serde_json::from_value(json!({"standardization": false})).unwrap();
        assert!(!p.standardization);
    }
}
