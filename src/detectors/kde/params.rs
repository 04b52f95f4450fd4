//! Hyperparameters of the Gaussian kernel density detector, their serde form
//! and their rules.

use crate::detectors::ParamError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// The kernel bandwidth h, as scikit-learn's `KernelDensity(bandwidth=...)`.
///
/// In JSON: a number (`1.0`, `0.5`), or the string `"scott"` or
/// `"silverman"` (scikit-learn's rules of thumb, resolved at fit time from
/// the training size n and dimension d).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bandwidth {
    /// A fixed bandwidth (must be finite and > 0).
    Value(f64),
    /// `n^(-1 / (d + 4))`.
    Scott,
    /// `(n (d + 2) / 4)^(-1 / (d + 4))`.
    Silverman,
}

impl Default for Bandwidth {
    /// PyOD's default, `bandwidth=1.0`.
    fn default() -> Self {
        Bandwidth::Value(1.0)
    }
}

/// The rule text for `bandwidth`, shared by validation and deserialisation.
pub(super) const BANDWIDTH_RULE: &str = "a finite number > 0, \"scott\" or \"silverman\"";

impl Bandwidth {
    /// The bandwidth for a training set of `n` rows and `d` columns, with
    /// scikit-learn's formulas for the named rules.
    pub fn resolve(self, n: usize, d: usize) -> f64 {
        let (n, d) = (n as f64, d as f64);
        match self {
            Bandwidth::Value(h) => h,
            Bandwidth::Scott => n.powf(-1.0 / (d + 4.0)),
            Bandwidth::Silverman => (n * (d + 2.0) / 4.0).powf(-1.0 / (d + 4.0)),
        }
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bandwidth::Value(h) => write!(f, "{h:?}"),
            Bandwidth::Scott => f.write_str("\"scott\""),
            Bandwidth::Silverman => f.write_str("\"silverman\""),
        }
    }
}

impl Serialize for Bandwidth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Bandwidth::Value(h) => s.serialize_f64(h),
            Bandwidth::Scott => s.serialize_str("scott"),
            Bandwidth::Silverman => s.serialize_str("silverman"),
        }
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bandwidth;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "bandwidth as {BANDWIDTH_RULE}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Bandwidth, E> {
                match v {
                    "scott" => Ok(Bandwidth::Scott),
                    "silverman" => Ok(Bandwidth::Silverman),
                    _ => Err(E::custom(format!(
                        "invalid bandwidth {v:?}: must be {BANDWIDTH_RULE}"
                    ))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bandwidth, E> {
                Ok(Bandwidth::Value(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bandwidth, E> {
                Ok(Bandwidth::Value(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bandwidth, E> {
                Ok(Bandwidth::Value(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// KDE hyperparameters. Defaults are PyOD's (`bandwidth = 1.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct KdeParams {
    /// The Gaussian kernel's bandwidth h.
    pub bandwidth: Bandwidth,
}

impl KdeParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if let Bandwidth::Value(h) = self.bandwidth
            && !(h.is_finite() && h > 0.0)
        {
            return Err(ParamError::new("bandwidth", self.bandwidth, BANDWIDTH_RULE));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = KdeParams::default();
        assert_eq!(p.bandwidth, Bandwidth::Value(1.0));
        assert!(p.validate().is_ok());
        assert_eq!(serde_json::to_value(&p).unwrap(), json!({"bandwidth": 1.0}));
    }

    #[test]
    fn rule_bandwidth_positive_finite() {
        for bad in [0.0, -1.0, f64::INFINITY, f64::NAN] {
            let e = KdeParams {
                bandwidth: Bandwidth::Value(bad),
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.param, "bandwidth");
            assert!(e.to_string().contains("> 0"), "{e}");
        }
        for ok in [
            Bandwidth::Value(1e-3),
            Bandwidth::Value(7.0),
            Bandwidth::Scott,
            Bandwidth::Silverman,
        ] {
            assert!(KdeParams { bandwidth: ok }.validate().is_ok());
        }
    }

    #[test]
    fn bandwidth_json_forms() {
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": 2})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::Value(2.0));
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": 0.25})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::Value(0.25));
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": "scott"})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::Scott);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"bandwidth": "scott"})
        );
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": "silverman"})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::Silverman);
        let e = serde_json::from_value::<KdeParams>(json!({"bandwidth": "auto"})).unwrap_err();
        assert!(e.to_string().contains("scott"), "{e}");
        assert!(serde_json::from_value::<KdeParams>(json!({"bandwidth": true})).is_err());
    }

    #[test]
    fn rules_of_thumb_are_sklearns() {
        // sklearn: scott = n ** (-1 / (d + 4)); silverman = (n (d + 2) / 4) ** (-1 / (d + 4)).
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * b.abs();
        assert!(close(
            Bandwidth::Scott.resolve(100, 2),
            100f64.powf(-1.0 / 6.0)
        ));
        assert!(close(
            Bandwidth::Silverman.resolve(100, 2),
            100f64.powf(-1.0 / 6.0)
        ));
        assert!(close(
            Bandwidth::Silverman.resolve(50, 3),
            (50.0 * 5.0 / 4.0f64).powf(-1.0 / 7.0)
        ));
        assert_eq!(Bandwidth::Value(0.5).resolve(10, 3), 0.5);
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<KdeParams>(json!({"kernel": "gaussian"})).is_err());
        let p: KdeParams = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p, KdeParams::default());
    }
}
