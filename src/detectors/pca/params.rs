//! Hyperparameters of the principal-component detector, their serde form
//! and rules.

use crate::detectors::ParamError;
use crate::detectors::keyword_or_number::{CountOrFraction, KeywordOr, Keywords};
use crate::detectors::limits::{COMPONENTS_RULE, MAX_COMPONENTS};
use serde::{Deserialize, Serialize};

/// The keyword of `n_components`, spelled `null` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllComponents {
    /// Every component whose variance passes the rank rule.
    All,
}

impl Keywords for AllComponents {
    const PARAM: &'static str = "n_components";
    const ALL: &'static [(Self, Option<&'static str>)] = &[(AllComponents::All, None)];
}

/// How many principal components the score sums over, as scikit-learn's
/// `PCA(n_components=...)`.
///
/// In JSON: `null` (all components with non-zero variance), an integer
/// count (`3`: the first k components, k >= 1, at most min(n, d)) or an
/// explained-variance fraction written as a float (`0.9`: the fewest leading
/// components whose cumulative explained-variance ratio exceeds it,
/// scikit-learn's `searchsorted(cumsum, f, side="right") + 1`). As in
/// scikit-learn an integer and a float differ: `1` is one component, a
/// fraction must lie strictly between 0 and 1.
pub type NComponents = KeywordOr<AllComponents, CountOrFraction>;

impl NComponents {
    /// `null`: every component.
    pub const ALL: NComponents = KeywordOr::Keyword(AllComponents::All);
}

/// The rule text for `n_components`.
pub(crate) const N_COMPONENTS_RULE: &str = "null, an integer >= 1, or a fraction in (0, 1)";

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
            n_components: NComponents::ALL,
            standardization: true,
        }
    }
}

impl PcaParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        self.n_components.check(N_COMPONENTS_RULE, |n| match n {
            CountOrFraction::Count(k) => k >= 1,
            CountOrFraction::Fraction(f) => f > 0.0 && f < 1.0,
        })?;
        if let KeywordOr::Number(CountOrFraction::Count(k)) = self.n_components
            && k > MAX_COMPONENTS as u64
        {
            return Err(ParamError::new("n_components", k, COMPONENTS_RULE));
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
            (json!(null), NComponents::ALL),
            (json!(3), NComponents::count(3)),
            (json!(0.9), NComponents::fraction(0.9)),
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
            n_components: NComponents::count(0),
            ..PcaParams::default()
        };
        let e = p.validate().unwrap_err();
        assert_eq!(e.param, "n_components");
        assert!(e.to_string().contains("integer >= 1"), "{e}");
        let p = PcaParams {
            n_components: NComponents::count(1),
            ..PcaParams::default()
        };
        assert!(p.validate().is_ok());
    }

    #[test]
    fn rule_fraction_strictly_inside_zero_one() {
        for bad in [0.0, 1.0, 1.5, -0.2, f64::NAN] {
            let p = PcaParams {
                n_components: NComponents::fraction(bad),
                ..PcaParams::default()
            };
            let e = p.validate().unwrap_err();
            assert_eq!(e.param, "n_components");
            assert!(e.to_string().contains("(0, 1)"), "{e}");
        }
        let p = PcaParams {
            n_components: NComponents::fraction(0.5),
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
