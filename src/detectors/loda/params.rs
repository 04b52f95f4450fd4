//! Hyperparameters of LODA, their serde form and their rules.

use crate::detectors::ParamError;
use crate::detectors::hbos::{DEFAULT_N_BINS, MAX_BINS, NBins};
use serde::{Deserialize, Serialize};

/// The largest number of projections accepted.
pub const MAX_CUTS: usize = 1_000_000;

const N_BINS_RULE: &str = "\"auto\" or an integer in [1, 1000000]";

/// LODA hyperparameters. Defaults are PyOD's (`n_bins = 10`,
/// `n_random_cuts = 100`); `seed` replaces PyOD's `random_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LodaParams {
    /// Bins per projection histogram (`"auto"`: the Birgé–Rozenblac choice
    /// per projection).
    pub n_bins: NBins,
    /// Number of sparse random projections (≥ 1).
    pub n_random_cuts: usize,
    /// Seed of the projections.
    pub seed: u64,
}

impl Default for LodaParams {
    fn default() -> Self {
        Self {
            n_bins: DEFAULT_N_BINS,
            n_random_cuts: 100,
            seed: 0,
        }
    }
}

impl LodaParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        self.n_bins
            .check(N_BINS_RULE, |k| (1..=MAX_BINS).contains(&k))?;
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
            let e = with(|p| p.n_bins = NBins::Number(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "n_bins");
            assert!(e.to_string().contains("[1, 1000000]"), "{e}");
        }
        for good in [NBins::Number(1), NBins::Number(MAX_BINS), NBins::AUTO] {
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
        assert_eq!(parse(json!({"n_bins": "auto"})).unwrap(), NBins::AUTO);
        assert_eq!(parse(json!({"n_bins": 7})).unwrap(), NBins::Number(7));
        assert!(parse(json!({"n_bins": "sturges"})).is_err());
        assert!(parse(json!({"n_bins": -1})).is_err());
        assert!(parse(json!({"n_bins": 2.5})).is_err());
        assert_eq!(
            serde_json::to_value(with(|p| p.n_bins = NBins::AUTO)).unwrap()["n_bins"],
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
