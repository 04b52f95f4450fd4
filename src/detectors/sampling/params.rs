//! Hyperparameters of the sampling detector, their serde form and their
//! rules.

use super::model::Distance;
use crate::detectors::ParamError;
use crate::detectors::keyword_or_number::{CountOrFraction, KeywordOr, Keywords};
use serde::{Deserialize, Serialize};

/// `subset_size` has no keyword: it is a count or a fraction only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SubsetSizeKeyword {}

impl Keywords for SubsetSizeKeyword {
    const PARAM: &'static str = "subset_size";
    const ALL: &'static [(Self, Option<&'static str>)] = &[];
}

/// Rows in the subsample, as PyOD's `subset_size`: an integer count (`20`)
/// or a fraction of the training rows written as a float (`0.1`). As in
/// PyOD, `1` means one row and `1.0` all rows.
pub type SubsetSize = KeywordOr<SubsetSizeKeyword, CountOrFraction>;

const SUBSET_SIZE_RULE: &str = "an integer >= 1 or a fraction in (0, 1]";

/// The metric names accepted (scikit-learn's `DistanceMetric` identifiers
/// for these four distances, aliases included).
pub const METRICS: &[&str] = &[
    "minkowski",
    "p",
    "euclidean",
    "l2",
    "manhattan",
    "cityblock",
    "l1",
    "chebyshev",
    "infinity",
];

const METRIC_RULE: &str = "one of \"minkowski\" (with p), \"euclidean\", \"manhattan\", \
     \"chebyshev\" or scikit-learn's aliases \"p\", \"l2\", \"cityblock\", \"l1\", \
     \"infinity\"; PyOD's other metrics are not supported";

const P_RULE: &str = "a finite number > 0";

const P_ONLY_MINKOWSKI_RULE: &str =
    "2 (the default) unless metric is \"minkowski\" (p is the Minkowski order)";

/// Sampling hyperparameters. Defaults are PyOD's (`subset_size = 20`,
/// `metric = "minkowski"` with scikit-learn's `p = 2`); `p` is PyOD's
/// `metric_params={"p": p}`; `seed` replaces PyOD's `random_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingParams {
    /// Rows in the subsample; see [`SamplingParams::subset_rows`].
    pub subset_size: SubsetSize,
    /// The distance's name; see [`METRICS`].
    pub metric: String,
    /// The Minkowski order (metric `"minkowski"` only).
    pub p: f64,
    /// Seed of the subsample draw.
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            subset_size: SubsetSize::count(20),
            metric: "minkowski".into(),
            p: 2.0,
            seed: 0,
        }
    }
}

impl SamplingParams {
    /// The subsample size for `n` training rows: a count as given (PyOD
    /// refuses one above `n`, and so does the fit), a fraction `f` gives
    /// `floor(f * n)` rows (PyOD's `int(subset_size * n_samples)`; may be 0,
    /// which the fit refuses).
    pub fn subset_rows(&self, n: usize) -> usize {
        match self.subset_size {
            KeywordOr::Keyword(k) => match k {},
            KeywordOr::Number(CountOrFraction::Count(k)) => {
                usize::try_from(k).unwrap_or(usize::MAX)
            }
            // `as` saturates; the product is at most n for a valid fraction.
            KeywordOr::Number(CountOrFraction::Fraction(f)) => (f * n as f64).floor() as usize,
        }
    }

    /// The distance the parameters name, or the broken rule. scikit-learn's
    /// `get_metric("minkowski", p=p)` returns the Manhattan distance for
    /// `p = 1` and the Euclidean one for `p = 2`, and so does this.
    pub fn distance(&self) -> Result<Distance, ParamError> {
        if !(self.p.is_finite() && self.p > 0.0) {
            return Err(ParamError::new("p", self.p, P_RULE));
        }
        let minkowski = matches!(self.metric.as_str(), "minkowski" | "p");
        if !minkowski && self.p != 2.0 {
            return Err(ParamError::new("p", self.p, P_ONLY_MINKOWSKI_RULE));
        }
        Ok(match self.metric.as_str() {
            "minkowski" | "p" => Distance::minkowski(self.p),
            "euclidean" | "l2" => Distance::Euclidean,
            "manhattan" | "cityblock" | "l1" => Distance::Manhattan,
            "chebyshev" | "infinity" => Distance::Chebyshev,
            other => return Err(ParamError::new("metric", format!("{other:?}"), METRIC_RULE)),
        })
    }

    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        self.subset_size.check(SUBSET_SIZE_RULE, |m| match m {
            CountOrFraction::Count(k) => k >= 1,
            CountOrFraction::Fraction(f) => f > 0.0 && f <= 1.0,
        })?;
        self.distance().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut SamplingParams)) -> SamplingParams {
        let mut p = SamplingParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = SamplingParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"subset_size": 20, "metric": "minkowski", "p": 2.0, "seed": 0})
        );
        assert_eq!(p.distance().unwrap(), Distance::Euclidean);
    }

    #[test]
    fn rule_subset_size_count_at_least_one() {
        let e = with(|p| p.subset_size = SubsetSize::count(0))
            .validate()
            .unwrap_err();
        assert_eq!((e.param, e.value.as_str()), ("subset_size", "0"));
        assert!(e.to_string().contains("integer >= 1"), "{e}");
        assert!(
            with(|p| p.subset_size = SubsetSize::count(1))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn rule_subset_size_fraction_in_unit_interval() {
        for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.subset_size = SubsetSize::fraction(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "subset_size");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        assert!(
            with(|p| p.subset_size = SubsetSize::fraction(1.0))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn rule_metric_is_a_supported_name() {
        for bad in ["cosine", "mahalanobis", "seuclidean", "Euclidean", ""] {
            let e = with(|p| p.metric = bad.into()).validate().unwrap_err();
            assert_eq!(e.param, "metric");
            assert!(e.to_string().contains("not supported"), "{e}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
        for (name, want) in [
            ("minkowski", Distance::Euclidean),
            ("p", Distance::Euclidean),
            ("euclidean", Distance::Euclidean),
            ("l2", Distance::Euclidean),
            ("manhattan", Distance::Manhattan),
            ("cityblock", Distance::Manhattan),
            ("l1", Distance::Manhattan),
            ("chebyshev", Distance::Chebyshev),
            ("infinity", Distance::Chebyshev),
        ] {
            let p = with(|p| p.metric = name.into());
            assert!(p.validate().is_ok(), "{name}");
            assert_eq!(p.distance().unwrap(), want, "{name}");
        }
        assert_eq!(METRICS.len(), 9);
    }

    #[test]
    fn rule_p_finite_positive() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.p = bad).validate().unwrap_err();
            assert_eq!(e.param, "p");
            assert!(e.to_string().contains("finite number > 0"), "{e}");
        }
        for (p, want) in [
            (1.0, Distance::Manhattan),
            (2.0, Distance::Euclidean),
            (3.0, Distance::Minkowski { p: 3.0 }),
            (0.5, Distance::Minkowski { p: 0.5 }),
        ] {
            assert_eq!(with(|q| q.p = p).distance().unwrap(), want, "p = {p}");
        }
    }

    #[test]
    fn rule_p_only_with_minkowski() {
        let e = with(|p| {
            p.metric = "manhattan".into();
            p.p = 3.0
        })
        .validate()
        .unwrap_err();
        assert_eq!(e.param, "p");
        assert!(e.to_string().contains("unless metric is"), "{e}");
    }

    #[test]
    fn subset_size_json_forms_and_resolution() {
        let parse = |v: serde_json::Value| {
            serde_json::from_value::<SamplingParams>(v).map(|p| p.subset_size)
        };
        assert_eq!(
            parse(json!({"subset_size": 16})).unwrap(),
            SubsetSize::count(16)
        );
        assert_eq!(
            parse(json!({"subset_size": 0.5})).unwrap(),
            SubsetSize::fraction(0.5)
        );
        assert!(parse(json!({"subset_size": "auto"})).is_err());
        assert!(parse(json!({"subset_size": -3})).is_err());
        assert!(parse(json!({"subset_size": null})).is_err());
        let rows = |s: SubsetSize, n| with(|p| p.subset_size = s).subset_rows(n);
        assert_eq!(rows(SubsetSize::count(20), 1000), 20);
        // A count above n is the fit's refusal, not a silent cap.
        assert_eq!(rows(SubsetSize::count(50), 10), 50);
        assert_eq!(rows(SubsetSize::fraction(0.25), 11), 2);
        assert_eq!(rows(SubsetSize::fraction(1.0), 11), 11);
        assert_eq!(rows(SubsetSize::fraction(0.05), 11), 0);
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<SamplingParams>(json!({"random_state": 1})).is_err());
        assert!(
            serde_json::from_value::<SamplingParams>(json!({"metric_params": {"p": 3}})).is_err()
        );
        let p: SamplingParams = serde_json::from_value(json!({"seed": 4, "p": 3})).unwrap();
        assert_eq!(
            p,
            with(|p| {
                p.seed = 4;
                p.p = 3.0
            })
        );
    }
}
