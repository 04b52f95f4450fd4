//! Hyperparameters of the Minimum Covariance Determinant detector, their
//! serde form and rules.

use crate::detectors::ParamError;
use serde::{Deserialize, Serialize};

/// MCD hyperparameters. Defaults are PyOD's `MCD()`: `support_fraction =
/// None` (h = ⌈(n + d + 1) / 2⌉ rows), plus anml's `seed = 0`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct McdParams {
    /// Fraction of the rows in the raw MCD support (h = ⌊f · n⌋); `None`
    /// means scikit-learn's minimum `⌈(n + d + 1) / 2⌉`.
    pub support_fraction: Option<f64>,
    /// Seed of the random initial subsets.
    pub seed: u64,
}

impl McdParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if let Some(f) = self.support_fraction
            && !(f > 0.0 && f <= 1.0)
        {
            return Err(ParamError::new(
                "support_fraction",
                f,
                "null or a fraction in (0, 1]",
            ));
        }
        Ok(())
    }

    /// The raw support size h for n rows and d columns: scikit-learn's
    /// `min(ceil((n + d + 1) / 2), n)`, or `int(support_fraction * n)`.
    pub fn support_size(&self, n: usize, d: usize) -> usize {
        match self.support_fraction {
            None => ((0.5 * (n + d + 1) as f64).ceil() as usize).min(n),
            Some(f) => (f * n as f64) as usize,
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
        let p = McdParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"support_fraction": null, "seed": 0})
        );
    }

    #[test]
    fn rule_support_fraction_in_zero_one() {
        for bad in [0.0, -0.5, 1.01, f64::NAN] {
            let e = McdParams {
                support_fraction: Some(bad),
                seed: 0,
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.param, "support_fraction");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        for good in [0.5, 1.0] {
            let p = McdParams {
                support_fraction: Some(good),
                seed: 0,
            };
            assert!(p.validate().is_ok());
        }
    }

    #[test]
    fn support_size_is_sklearns() {
        let p = McdParams::default();
        assert_eq!(p.support_size(100, 5), 53);
        assert_eq!(p.support_size(101, 5), 54);
        assert_eq!(p.support_size(3, 5), 3);
        let p = McdParams {
            support_fraction: Some(0.75),
            seed: 0,
        };
        assert_eq!(p.support_size(101, 5), 75);
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<McdParams>(json!({"assume_centered": true})).is_err());
        assert!(serde_json::from_value::<McdParams>(json!({"seed": -1})).is_err());
        let p: McdParams = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p, McdParams::default());
        let p: McdParams = serde_json::from_value(json!({"support_fraction": 0.8})).unwrap();
        assert_eq!(p.support_fraction, Some(0.8));
    }
}
