//! Hyperparameters of the three k-NN distance detectors, their serde form and
//! their rules. The aggregation (k-th, mean or median distance) is fixed by
//! the detector's name, so each detector has its own thin params type with
//! PyOD's default `n_neighbors = 5`.

use super::Method;
use crate::detectors::ParamError;
use crate::detectors::limits::{MAX_NEIGHBORS, NEIGHBORS_RULE, check_count};
use serde::{Deserialize, Serialize};

/// The rule text for `n_neighbors`.
pub(super) const N_NEIGHBORS_RULE: &str = "an integer >= 1 (and below the number of training rows)";

macro_rules! knn_params {
    ($(#[$doc:meta])* $name:ident, $method:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// Number of neighbours k (≥ 1; fitting needs more than k rows).
            pub n_neighbors: usize,
        }

        impl Default for $name {
            fn default() -> Self {
                Self { n_neighbors: 5 }
            }
        }

        impl $name {
            /// How the k distances become one score.
            pub const METHOD: Method = $method;

            /// Check every rule; the first broken one is returned.
            pub(super) fn check_rules(&self) -> Result<(), ParamError> {
                check_n_neighbors(self.n_neighbors)
            }
        }
    };
}

knn_params!(
    /// `knn`: the distance to the k-th nearest training row (PyOD
    /// `KNN(method='largest')`).
    KnnParams,
    Method::Largest
);
knn_params!(
    /// `avg_knn`: the mean distance to the k nearest training rows (PyOD
    /// `KNN(method='mean')`).
    AvgKnnParams,
    Method::Mean
);
knn_params!(
    /// `med_knn`: the median distance to the k nearest training rows (PyOD
    /// `KNN(method='median')`).
    MedKnnParams,
    Method::Median
);

fn check_n_neighbors(k: usize) -> Result<(), ParamError> {
    if k < 1 {
        return Err(ParamError::new("n_neighbors", k, N_NEIGHBORS_RULE));
    }
    check_count("n_neighbors", k, MAX_NEIGHBORS, NEIGHBORS_RULE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    #[test]
    fn defaults_are_pyod_and_valid() {
        assert_eq!(KnnParams::default().n_neighbors, 5);
        assert_eq!(AvgKnnParams::default().n_neighbors, 5);
        assert_eq!(MedKnnParams::default().n_neighbors, 5);
        assert!(KnnParams::default().validate().is_ok());
        assert_eq!(
            serde_json::to_value(KnnParams::default()).unwrap(),
            json!({"n_neighbors": 5})
        );
        assert_eq!(KnnParams::METHOD, Method::Largest);
        assert_eq!(AvgKnnParams::METHOD, Method::Mean);
        assert_eq!(MedKnnParams::METHOD, Method::Median);
    }

    #[test]
    fn rule_n_neighbors_at_least_one() {
        for e in [
            KnnParams { n_neighbors: 0 }.validate().unwrap_err(),
            AvgKnnParams { n_neighbors: 0 }.validate().unwrap_err(),
            MedKnnParams { n_neighbors: 0 }.validate().unwrap_err(),
        ] {
            assert_eq!(e.param, "n_neighbors");
            assert_eq!(e.value, "0");
            assert!(e.to_string().contains(">= 1"), "{e}");
        }
        assert!(KnnParams { n_neighbors: 1 }.validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<KnnParams>(json!({"k": 3})).is_err());
        // The method is the detector's name, not a parameter.
        assert!(serde_json::from_value::<KnnParams>(json!({"method": "mean"})).is_err());
        assert!(serde_json::from_value::<KnnParams>(json!({"n_neighbors": -1})).is_err());
        let p: MedKnnParams = serde_json::from_value(json!({"n_neighbors": 9})).unwrap();
        assert_eq!(p.n_neighbors, 9);
    }
}
