//! Hyperparameters of the Local Outlier Factor, their serde form and rules.

use crate::detectors::ParamError;
use crate::detectors::limits::{MAX_NEIGHBORS, NEIGHBORS_RULE, check_count};
use serde::{Deserialize, Serialize};

/// LOF hyperparameters. Defaults are PyOD's (`n_neighbors = 20`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LofParams {
    /// Number of neighbours k (≥ 1). As in scikit-learn, a fit on n rows
    /// uses `max(1, min(k, n − 1))` neighbours.
    pub n_neighbors: usize,
}

impl Default for LofParams {
    fn default() -> Self {
        Self { n_neighbors: 20 }
    }
}

impl LofParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if self.n_neighbors < 1 {
            return Err(ParamError::new(
                "n_neighbors",
                self.n_neighbors,
                "an integer >= 1",
            ));
        }
        check_count(
            "n_neighbors",
            self.n_neighbors,
            MAX_NEIGHBORS,
            NEIGHBORS_RULE,
        )
    }

    /// The k a fit on `n_train` rows uses: scikit-learn's
    /// `max(1, min(n_neighbors, n_train - 1))`.
    pub fn effective_neighbors(&self, n_train: usize) -> usize {
        self.n_neighbors.min(n_train.saturating_sub(1)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = LofParams::default();
        assert_eq!(p.n_neighbors, 20);
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"n_neighbors": 20})
        );
    }

    #[test]
    fn rule_n_neighbors_at_least_one() {
        let e = LofParams { n_neighbors: 0 }.validate().unwrap_err();
        assert_eq!(e.param, "n_neighbors");
        assert_eq!(e.value, "0");
        assert!(e.to_string().contains(">= 1"), "{e}");
        assert!(LofParams { n_neighbors: 1 }.validate().is_ok());
    }

    #[test]
    fn n_neighbors_is_clipped_like_sklearn() {
        let p = LofParams::default();
        assert_eq!(p.effective_neighbors(1000), 20);
        assert_eq!(p.effective_neighbors(21), 20);
        assert_eq!(p.effective_neighbors(20), 19);
        assert_eq!(p.effective_neighbors(5), 4);
        assert_eq!(p.effective_neighbors(2), 1);
        assert_eq!(p.effective_neighbors(1), 1);
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<LofParams>(json!({"k": 3})).is_err());
        assert!(serde_json::from_value::<LofParams>(json!({"n_neighbors": -2})).is_err());
        let p: LofParams = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p, LofParams::default());
    }
}
