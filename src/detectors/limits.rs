//! Upper bounds on every size-like detector parameter, in one place.
//!
//! Each bound is checked when the parameters are validated (before any
//! data is loaded or any fit starts), so a typo such as
//! `n_estimators: 1000000000` is a [`ParamError`] naming the parameter and
//! its bound instead of an 8 GB allocation or a fit that never ends. The
//! bounds are far beyond what published benchmarks use (PyOD's defaults
//! are 100 trees, 5–20 neighbours, 10 bins) while keeping the worst case a
//! process can be asked for finite.
//!
//! Detector-specific bounds that live beside their detector (they are part
//! of its rules text) are re-exported here so this file lists them all.

use super::ParamError;

pub use super::cblof::MAX_CLUSTERS;
pub use super::deep::{MAX_BATCH_SIZE, MAX_EPOCHS, MAX_HIDDEN_LAYERS, MAX_PARAMETERS, MAX_WIDTH};
pub use super::dif::{MAX_ENSEMBLE as DIF_MAX_ENSEMBLE, MAX_ESTIMATORS as DIF_MAX_ESTIMATORS};
pub use super::hbos::MAX_BINS;
pub use super::inne::MAX_ESTIMATORS as INNE_MAX_ESTIMATORS;
pub use super::loda::MAX_CUTS;
pub use super::usad::{MAX_BATCH as USAD_MAX_BATCH, MAX_SIZE as USAD_MAX_SIZE};

/// Trees or estimators in an ensemble (`isolation_forest`'s
/// `n_estimators`; `inne` and `dif` have their own, see their params).
pub const MAX_ESTIMATORS: usize = 100_000;
/// Neighbours k (`knn`, `avg_knn`, `med_knn`, `lof`).
pub const MAX_NEIGHBORS: usize = 100_000;
/// Mixture or principal components (`gmm`, `pca` as a count).
pub const MAX_COMPONENTS: usize = 100_000;
/// Iterations of an iterative fit (`gmm`'s EM `max_iter`, `ocsvm`'s
/// `max_iter` when not -1).
pub const MAX_ITER: u64 = 100_000_000;
/// Restarts (`gmm`'s `n_init`).
pub const MAX_INIT: usize = 1_000;
/// Kernel cache in MiB (`ocsvm`'s `cache_size`): 1 TiB.
pub const MAX_CACHE_MIB: f64 = 1_048_576.0;
/// Subsequence or sliding-window length on a series (`window`, `stride`).
pub const MAX_WINDOW: usize = 100_000;
/// Values in the matrix of sliding windows a tabular detector is fitted on
/// (windows × window length × channels): 4 GB of float64.
pub const MAX_WINDOW_VALUES: u128 = 500_000_000;

/// The rule texts, each naming its bound (a test checks they agree).
pub const ESTIMATORS_RULE: &str = "an integer in [1, 100000]";
pub const NEIGHBORS_RULE: &str = "an integer in [1, 100000]";
pub const COMPONENTS_RULE: &str = "an integer in [1, 100000]";
pub const ITER_RULE: &str = "an integer in [1, 100000000]";
pub const GMM_ITER_RULE: &str = "an integer in [0, 100000000]";
pub const OCSVM_ITER_RULE: &str = "-1 (no limit) or an integer in [1, 100000000]";
pub const INIT_RULE: &str = "an integer in [1, 1000]";
pub const CACHE_RULE: &str = "a finite number of MiB in (0, 1048576]";
pub const WINDOW_RULE: &str = "an integer in [1, 100000]";

/// `value` in `1..=max`, else a [`ParamError`] for `param` with `rule`.
pub fn check_count(
    param: &'static str,
    value: usize,
    max: usize,
    rule: &'static str,
) -> Result<(), ParamError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(ParamError::new(param, value, rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_text_names_its_bound() {
        for (rule, max) in [
            (ESTIMATORS_RULE, MAX_ESTIMATORS as u64),
            (NEIGHBORS_RULE, MAX_NEIGHBORS as u64),
            (COMPONENTS_RULE, MAX_COMPONENTS as u64),
            (ITER_RULE, MAX_ITER),
            (OCSVM_ITER_RULE, MAX_ITER),
            (GMM_ITER_RULE, MAX_ITER),
            (INIT_RULE, MAX_INIT as u64),
            (CACHE_RULE, MAX_CACHE_MIB as u64),
            (WINDOW_RULE, MAX_WINDOW as u64),
        ] {
            assert!(rule.contains(&format!(" {max}]")), "{rule} vs {max}");
        }
    }

    fn params(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn every_bound_is_checked_when_a_detector_is_built() {
        use crate::detectors::{Detector, DetectorError};
        use serde_json::json;
        // (detector, parameter, the largest valid value, the smallest too large)
        let cases = [
            (
                "isolation_forest",
                "n_estimators",
                json!(MAX_ESTIMATORS),
                json!(MAX_ESTIMATORS + 1),
            ),
            (
                "knn",
                "n_neighbors",
                json!(MAX_NEIGHBORS),
                json!(MAX_NEIGHBORS + 1),
            ),
            (
                "avg_knn",
                "n_neighbors",
                json!(MAX_NEIGHBORS),
                json!(MAX_NEIGHBORS + 1),
            ),
            (
                "med_knn",
                "n_neighbors",
                json!(MAX_NEIGHBORS),
                json!(MAX_NEIGHBORS + 1),
            ),
            (
                "lof",
                "n_neighbors",
                json!(MAX_NEIGHBORS),
                json!(MAX_NEIGHBORS + 1),
            ),
            (
                "gmm",
                "n_components",
                json!(MAX_COMPONENTS),
                json!(MAX_COMPONENTS + 1),
            ),
            ("gmm", "n_init", json!(MAX_INIT), json!(MAX_INIT + 1)),
            ("gmm", "max_iter", json!(MAX_ITER), json!(MAX_ITER + 1)),
            (
                "pca",
                "n_components",
                json!(MAX_COMPONENTS),
                json!(MAX_COMPONENTS + 1),
            ),
            ("ocsvm", "max_iter", json!(MAX_ITER), json!(MAX_ITER + 1)),
            (
                "ocsvm",
                "cache_size",
                json!(MAX_CACHE_MIB),
                json!(MAX_CACHE_MIB * 2.0),
            ),
        ];
        for (name, param, ok, too_large) in cases {
            assert!(
                Detector::new(name, &params(json!({ param: ok }))).is_ok(),
                "{name} {param} = {ok}"
            );
            match Detector::new(name, &params(json!({ param: too_large }))) {
                Err(DetectorError::Param(e)) => assert_eq!(e.param, param, "{name}"),
                other => panic!("{name} {param} = {too_large}: {other:?}"),
            }
        }
    }

    #[test]
    fn series_windows_are_bounded() {
        use crate::detectors::series::SeriesDetector;
        use serde_json::json;
        for name in ["knn", "matrix_profile"] {
            let ok = SeriesDetector::new(name, &params(json!({ "window": MAX_WINDOW })));
            assert!(ok.is_ok(), "{name}");
            let e = SeriesDetector::new(name, &params(json!({ "window": MAX_WINDOW + 1 })))
                .unwrap_err();
            assert!(e.to_string().contains("window"), "{e}");
        }
        let e =
            SeriesDetector::new("knn", &params(json!({ "stride": MAX_WINDOW + 1 }))).unwrap_err();
        assert!(e.to_string().contains("stride"), "{e}");
        // a window matrix beyond MAX_WINDOW_VALUES is refused before it is built
        let det = SeriesDetector::new("knn", &params(json!({ "window": 50_000 }))).unwrap();
        let ts = crate::data::TimeSeries::new(
            "big",
            ndarray::Array2::from_elem((100_000, 1), 0.5),
            None,
            crate::data::Training::None,
            "",
            "test",
        )
        .unwrap();
        let e = det.score(&ts).unwrap_err();
        assert!(e.to_string().contains("at most 500000000"), "{e}");
    }

    #[test]
    fn counts_outside_one_to_max_are_errors() {
        assert!(check_count("k", 0, 10, NEIGHBORS_RULE).is_err());
        assert!(check_count("k", 11, 10, NEIGHBORS_RULE).is_err());
        assert!(check_count("k", 1, 10, NEIGHBORS_RULE).is_ok());
        assert!(check_count("k", 10, 10, NEIGHBORS_RULE).is_ok());
        let e = check_count(
            "n_estimators",
            1_000_000_000,
            MAX_ESTIMATORS,
            ESTIMATORS_RULE,
        )
        .unwrap_err();
        assert!(e.to_string().contains("n_estimators") && e.to_string().contains("100000"));
    }
}
