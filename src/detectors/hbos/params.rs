//! Hyperparameters of HBOS, their serde form and their rules.

use crate::detectors::ParamError;
use crate::detectors::keyword_or_number::{KeywordOr, Keywords};
use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};

/// The keyword of `n_bins`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NBinsKeyword {
    /// Per column, the Birgé–Rozenblac maximum-likelihood choice among
    /// `1..max(2, floor(sqrt(n)))` bins (PyOD's `get_optimal_n_bins`).
    Auto,
}

impl Keywords for NBinsKeyword {
    const PARAM: &'static str = "n_bins";
    const ALL: &'static [(Self, Option<&'static str>)] = &[(NBinsKeyword::Auto, Some("auto"))];
}

/// Number of histogram bins per feature (HBOS) or per projection (LODA), as
/// PyOD's `n_bins`: `"auto"` or an integer count of equal-width bins.
pub type NBins = KeywordOr<NBinsKeyword, u64>;

/// PyOD's default, 10 bins.
pub const DEFAULT_N_BINS: NBins = KeywordOr::Number(10);

/// The largest static bin count accepted (keeps the model's size bounded).
pub const MAX_BINS: u64 = 1_000_000;

const N_BINS_RULE: &str = "\"auto\" or an integer in [2, 1000000]";

impl NBins {
    /// `"auto"`.
    pub const AUTO: NBins = KeywordOr::Keyword(NBinsKeyword::Auto);

    /// The bin count for one column of training values (validated params
    /// cap a count at [`MAX_BINS`]).
    pub fn resolve(self, column: ArrayView1<'_, f64>) -> usize {
        match self {
            KeywordOr::Keyword(NBinsKeyword::Auto) => super::optimal_n_bins(column),
            KeywordOr::Number(k) => k as usize,
        }
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
            n_bins: DEFAULT_N_BINS,
            alpha: 0.1,
            tol: 0.5,
        }
    }
}

impl HbosParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        self.n_bins
            .check(N_BINS_RULE, |k| (2..=MAX_BINS).contains(&k))?;
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
            let e = with(|p| p.n_bins = NBins::Number(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "n_bins");
            assert!(e.to_string().contains("[2, 1000000]"), "{e}");
        }
        for good in [2, 10, MAX_BINS] {
            assert!(with(|p| p.n_bins = NBins::Number(good)).validate().is_ok());
        }
        assert!(with(|p| p.n_bins = NBins::AUTO).validate().is_ok());
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
        assert_eq!(parse(json!({"n_bins": "auto"})).unwrap(), NBins::AUTO);
        assert_eq!(parse(json!({"n_bins": 7})).unwrap(), NBins::Number(7));
        assert!(parse(json!({"n_bins": "many"})).is_err());
        assert!(parse(json!({"n_bins": -3})).is_err());
        assert!(parse(json!({"n_bins": 2.5})).is_err());
        assert!(serde_json::from_value::<HbosParams>(json!({"bins": 5})).is_err());
        for b in [NBins::AUTO, NBins::Number(12)] {
            let v = serde_json::to_value(b).unwrap();
            assert_eq!(serde_json::from_value::<NBins>(v).unwrap(), b);
        }
    }
}
