//! Hyperparameters of LODA, their serde form and their rules.

use crate::detectors::ParamError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Histogram bins per random projection, as PyOD's `n_bins`.
///
/// In JSON: an integer (`10`) or the string `"auto"` (Birgé–Rozenblac
/// choice per projection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LodaBins {
    /// Per projection, the Birgé–Rozenblac maximum-likelihood choice among
    /// `1..max(2, floor(sqrt(n)))` bins (PyOD's `get_optimal_n_bins`).
    Auto,
    /// This many equal-width bins for every projection.
    Count(u64),
}

impl Default for LodaBins {
    fn default() -> Self {
        LodaBins::Count(10)
    }
}

/// The largest static bin count accepted (keeps the model's size bounded).
pub const MAX_BINS: u64 = 1_000_000;
/// The largest number of projections accepted.
pub const MAX_CUTS: usize = 1_000_000;

const N_BINS_RULE: &str = "\"auto\" or an integer in [1, 1000000]";

impl fmt::Display for LodaBins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LodaBins::Auto => f.write_str("\"auto\""),
            LodaBins::Count(k) => write!(f, "{k}"),
        }
    }
}

impl Serialize for LodaBins {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            LodaBins::Auto => s.serialize_str("auto"),
            LodaBins::Count(k) => s.serialize_u64(k),
        }
    }
}

impl<'de> Deserialize<'de> for LodaBins {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LodaBins;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "n_bins as {N_BINS_RULE}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LodaBins, E> {
                if v == "auto" {
                    Ok(LodaBins::Auto)
                } else {
                    Err(E::custom(format!(
                        "invalid n_bins {v:?}: must be {N_BINS_RULE}"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LodaBins, E> {
                Ok(LodaBins::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LodaBins, E> {
                u64::try_from(v)
                    .map(LodaBins::Count)
                    .map_err(|_| E::custom(format!("invalid n_bins {v}: must be {N_BINS_RULE}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// LODA hyperparameters. Defaults are PyOD's (`n_bins = 10`,
/// `n_random_cuts = 100`); `seed` replaces PyOD's `random_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LodaParams {
    /// Bins per projection histogram.
    pub n_bins: LodaBins,
    /// Number of sparse random projections (≥ 1).
    pub n_random_cuts: usize,
    /// Seed of the projections.
    pub seed: u64,
}

impl Default for LodaParams {
    fn default() -> Self {
        Self {
            n_bins: LodaBins::default(),
            n_random_cuts: 100,
            seed: 0,
        }
    }
}

impl LodaParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if let LodaBins::Count(k) = self.n_bins
            && !(1..=MAX_BINS).contains(&k)
        {
            return Err(ParamError::new("n_bins", self.n_bins, N_BINS_RULE));
        }
        if !(1..=MAX_CUTS).contains(&self.n_random_cuts) {
            return Err(ParamError::new(
                "n_random_cuts",
                self.n_random_cuts,
                "an integer in [1, 1000000]",
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

    fn with(f: impl FnOnce(&mut LodaParams)) -> LodaParams {
        let mut p = LodaParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = LodaParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"n_bins": 10, "n_random_cuts": 100, "seed": 0})
        );
    }

    #[test]
    fn rule_n_bins_in_range() {
        for bad in [0, MAX_BINS + 1] {
            let e = with(|p| p.n_bins = LodaBins::Count(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "n_bins");
            assert!(e.to_string().contains("[1, 1000000]"), "{e}");
        }
        for good in [
            LodaBins::Count(1),
            LodaBins::Count(MAX_BINS),
            LodaBins::Auto,
        ] {
            assert!(with(|p| p.n_bins = good).validate().is_ok());
        }
    }

    #[test]
    fn rule_n_random_cuts_in_range() {
        for bad in [0, MAX_CUTS + 1] {
            let e = with(|p| p.n_random_cuts = bad).validate().unwrap_err();
            assert_eq!(e.param, "n_random_cuts");
            assert!(e.to_string().contains("[1, 1000000]"), "{e}");
        }
        assert!(with(|p| p.n_random_cuts = 1).validate().is_ok());
    }

    #[test]
    fn n_bins_json_forms() {
        let parse =
            |v: serde_json::Value| serde_json::from_value::<LodaParams>(v).map(|p| p.n_bins);
        assert_eq!(parse(json!({"n_bins": "auto"})).unwrap(), LodaBins::Auto);
        assert_eq!(parse(json!({"n_bins": 7})).unwrap(), LodaBins::Count(7));
        assert!(parse(json!({"n_bins": "sturges"})).is_err());
        assert!(parse(json!({"n_bins": -1})).is_err());
        assert!(parse(json!({"n_bins": 2.5})).is_err());
        assert_eq!(
            serde_json::to_value(with(|p| p.n_bins = LodaBins::Auto)).unwrap()["n_bins"],
            json!("auto")
        );
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<LodaParams>(json!({"cuts": 5})).is_err());
        let p: LodaParams = serde_json::from_value(json!({"seed": 3})).unwrap();
        assert_eq!(p, with(|p| p.seed = 3));
    }
}
