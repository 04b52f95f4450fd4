//! Hyperparameters of HBOS, their serde form and their rules.

use crate::detectors::ParamError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Number of histogram bins per feature, as PyOD's `n_bins`.
///
/// In JSON: an integer (`10`) or the string `"auto"` (Birgé–Rozenblac
/// choice per feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NBins {
    /// Per feature, the Birgé–Rozenblac maximum-likelihood choice among
    /// `1..max(2, floor(sqrt(n)))` bins (PyOD's `get_optimal_n_bins`).
    Auto,
    /// This many equal-width bins for every feature.
    Count(u64),
}

impl Default for NBins {
    fn default() -> Self {
        NBins::Count(10)
    }
}

/// The largest static bin count accepted (keeps the model's size bounded).
pub const MAX_BINS: u64 = 1_000_000;

const N_BINS_RULE: &str = "\"auto\" or an integer in [2, 1000000]";

impl fmt::Display for NBins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NBins::Auto => f.write_str("\"auto\""),
            NBins::Count(k) => write!(f, "{k}"),
        }
    }
}

impl Serialize for NBins {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            NBins::Auto => s.serialize_str("auto"),
            NBins::Count(k) => s.serialize_u64(k),
        }
    }
}

impl<'de> Deserialize<'de> for NBins {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NBins;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "n_bins as {N_BINS_RULE}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NBins, E> {
                if v == "auto" {
                    Ok(NBins::Auto)
                } else {
                    Err(E::custom(format!(
                        "invalid n_bins {v:?}: must be {N_BINS_RULE}"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NBins, E> {
                Ok(NBins::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NBins, E> {
                u64::try_from(v)
                    .map(NBins::Count)
                    .map_err(|_| E::custom(format!("invalid n_bins {v}: must be {N_BINS_RULE}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// HBOS hyperparameters. Defaults are PyOD's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HbosParams {
    /// Bins per feature.
    pub n_bins: NBins,
    /// Added to every bin density before the logarithm, in (0, 1).
    pub alpha: f64,
    /// How far (as a fraction of the outer bin's width) a value may lie
    /// outside the training range and still count in the outer bin, in (0, 1).
    pub tol: f64,
}

impl Default for HbosParams {
    fn default() -> Self {
        Self {
            n_bins: NBins::Count(10),
            alpha: 0.1,
            tol: 0.5,
        }
    }
}

impl HbosParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if let NBins::Count(k) = self.n_bins
            && !(2..=MAX_BINS).contains(&k)
        {
            return Err(ParamError::new("n_bins", self.n_bins, N_BINS_RULE));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(ParamError::new("alpha", self.alpha, "in (0, 1)"));
        }
        if !(self.tol > 0.0 && self.tol < 1.0) {
            return Err(ParamError::new("tol", self.tol, "in (0, 1)"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut HbosParams)) -> HbosParams {
        let mut p = HbosParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = HbosParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"n_bins": 10, "alpha": 0.1, "tol": 0.5})
        );
    }

    #[test]
    fn rule_n_bins_in_range() {
        for bad in [0, 1, MAX_BINS + 1] {
            let e = with(|p| p.n_bins = NBins::Count(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "n_bins");
            assert!(e.to_string().contains("[2, 1000000]"), "{e}");
        }
        for good in [2, 10, MAX_BINS] {
            assert!(with(|p| p.n_bins = NBins::Count(good)).validate().is_ok());
        }
        assert!(with(|p| p.n_bins = NBins::Auto).validate().is_ok());
    }

    #[test]
    fn rule_alpha_in_open_unit_interval() {
        for bad in [0.0, 1.0, -0.1, f64::NAN] {
            let e = with(|p| p.alpha = bad).validate().unwrap_err();
            assert_eq!(e.param, "alpha");
            assert!(e.to_string().contains("(0, 1)"), "{e}");
        }
        assert!(with(|p| p.alpha = 0.999).validate().is_ok());
    }

    #[test]
    fn rule_tol_in_open_unit_interval() {
        for bad in [0.0, 1.0, 2.0, f64::INFINITY] {
            let e = with(|p| p.tol = bad).validate().unwrap_err();
            assert_eq!(e.param, "tol");
            assert!(e.to_string().contains("(0, 1)"), "{e}");
        }
        assert!(with(|p| p.tol = 1e-6).validate().is_ok());
    }

    #[test]
    fn n_bins_json_forms() {
        let parse = |v| serde_json::from_value::<HbosParams>(v).map(|p| p.n_bins);
        assert_eq!(parse(json!({"n_bins": "auto"})).unwrap(), NBins::Auto);
        assert_eq!(parse(json!({"n_bins": 7})).unwrap(), NBins::Count(7));
        assert!(parse(json!({"n_bins": "many"})).is_err());
        assert!(parse(json!({"n_bins": -3})).is_err());
        assert!(parse(json!({"n_bins": 2.5})).is_err());
        assert!(serde_json::from_value::<HbosParams>(json!({"bins": 5})).is_err());
        for b in [NBins::Auto, NBins::Count(12)] {
            let v = serde_json::to_value(b).unwrap();
            assert_eq!(serde_json::from_value::<NBins>(v).unwrap(), b);
        }
    }
}
