//! Hyperparameters of the Gaussian kernel density detector, their serde form
//! and their rules.

use crate::detectors::ParamError;
use crate::detectors::keyword_or_number::{KeywordOr, Keywords, finite_positive};
use serde::{Deserialize, Serialize};

/// scikit-learn's named bandwidth rules of thumb, resolved at fit time from
/// the training size n and dimension d.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandwidthRule {
    /// `n^(-1 / (d + 4))`.
    Scott,
    /// `(n (d + 2) / 4)^(-1 / (d + 4))`.
    Silverman,
}

impl Keywords for BandwidthRule {
    const PARAM: &'static str = "bandwidth";
    const ALL: &'static [(Self, Option<&'static str>)] = &[
        (BandwidthRule::Scott, Some("scott")),
        (BandwidthRule::Silverman, Some("silverman")),
    ];
}

/// The kernel bandwidth h, as scikit-learn's `KernelDensity(bandwidth=...)`:
/// a fixed number (finite, > 0; an integer reads as a float) or a rule.
pub type Bandwidth = KeywordOr<BandwidthRule, f64>;

/// The rule text for `bandwidth`.
pub(super) const BANDWIDTH_RULE: &str = "a finite number > 0, \"scott\" or \"silverman\"";

impl Bandwidth {
    /// `"scott"`.
    pub const SCOTT: Bandwidth = KeywordOr::Keyword(BandwidthRule::Scott);
    /// `"silverman"`.
    pub const SILVERMAN: Bandwidth = KeywordOr::Keyword(BandwidthRule::Silverman);

    /// The bandwidth for a training set of `n` rows and `d` columns, with
    /// scikit-learn's formulas for the named rules.
    pub fn resolve(self, n: usize, d: usize) -> f64 {
        let (n, d) = (n as f64, d as f64);
        match self {
            KeywordOr::Number(h) => h,
            KeywordOr::Keyword(BandwidthRule::Scott) => n.powf(-1.0 / (d + 4.0)),
            KeywordOr::Keyword(BandwidthRule::Silverman) => {
                (n * (d + 2.0) / 4.0).powf(-1.0 / (d + 4.0))
            }
        }
    }
}

/// KDE hyperparameters. Defaults are PyOD's (`bandwidth = 1.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KdeParams {
    /// The Gaussian kernel's bandwidth h.
    pub bandwidth: Bandwidth,
}

impl Default for KdeParams {
    fn default() -> Self {
        Self {
            bandwidth: KeywordOr::Number(1.0),
        }
    }
}

impl KdeParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        self.bandwidth.check(BANDWIDTH_RULE, finite_positive)
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
        assert_eq!(p.bandwidth, Bandwidth::Number(1.0));
        assert!(p.validate().is_ok());
        assert_eq!(serde_json::to_value(&p).unwrap(), json!({"bandwidth": 1.0}));
    }

    #[test]
    fn rule_bandwidth_positive_finite() {
        for bad in [0.0, -1.0, f64::INFINITY, f64::NAN] {
            let e = KdeParams {
                bandwidth: Bandwidth::Number(bad),
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.param, "bandwidth");
            assert!(e.to_string().contains("> 0"), "{e}");
        }
        for ok in [
            Bandwidth::Number(1e-3),
            Bandwidth::Number(7.0),
            Bandwidth::SCOTT,
            Bandwidth::SILVERMAN,
        ] {
            assert!(KdeParams { bandwidth: ok }.validate().is_ok());
        }
    }

    #[test]
    fn bandwidth_json_forms() {
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": 2})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::Number(2.0));
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": 0.25})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::Number(0.25));
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": "scott"})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::SCOTT);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"bandwidth": "scott"})
        );
        let p: KdeParams = serde_json::from_value(json!({"bandwidth": "silverman"})).unwrap();
        assert_eq!(p.bandwidth, Bandwidth::SILVERMAN);
        let e = serde_json::from_value::<KdeParams>(json!({"bandwidth": "auto"})).unwrap_err();
        assert!(e.to_string().contains("scott"), "{e}");
        assert!(serde_json::from_value::<KdeParams>(json!({"bandwidth": true})).is_err());
    }

    #[test]
    fn rules_of_thumb_are_sklearns() {
        // sklearn: scott = n ** (-1 / (d + 4)); silverman = (n (d + 2) / 4) ** (-1 / (d + 4)).
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * b.abs();
        assert!(close(
            Bandwidth::SCOTT.resolve(100, 2),
            100f64.powf(-1.0 / 6.0)
        ));
        assert!(close(
            Bandwidth::SILVERMAN.resolve(100, 2),
            100f64.powf(-1.0 / 6.0)
        ));
        assert!(close(
            Bandwidth::SILVERMAN.resolve(50, 3),
            (50.0 * 5.0 / 4.0f64).powf(-1.0 / 7.0)
        ));
        assert_eq!(Bandwidth::Number(0.5).resolve(10, 3), 0.5);
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<KdeParams>(json!({"kernel": "gaussian"})).is_err());
        let p: KdeParams = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p, KdeParams::default());
    }
}
