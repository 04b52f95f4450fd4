//! The collections `anml benchmark --suite NAME` runs, and how the suite
//! flags (datasets, models, seeds, protocol) become one [`SweepSpec`]. Every
//! suite, tabular or time-series, then runs through [`super::run_sweep`].

use super::series::SERIES_PROTOCOL;
use super::sweep::{RunProtocol, SweepSpec, parse_seeds};
use super::{BenchError, ReferenceTable};
use crate::data::series_catalog::{SeriesCollection, series_of};
use crate::data::{Protocol, catalog};
use crate::detectors::DETECTORS;
use serde_json::{Map, Value};
use std::path::Path;

/// The models `--models all` means in a time-series suite.
pub const SERIES_SUITE_MODELS: &[&str] = &[
    "matrix_profile",
    "isolation_forest",
    "knn",
    "lof",
    "pca",
    "hbos",
    "usad",
];

/// A suite: a registered collection of datasets or series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// The 17 ODDS datasets.
    Odds,
    /// The ADBench "Classical" datasets.
    Adbench,
    /// The 58 NAB series (NAB scores, VUS).
    Nab,
    /// The UCR-format series (hit/miss, VUS).
    Ucr,
}

impl Suite {
    pub const ALL: &'static [Suite] = &[Suite::Odds, Suite::Adbench, Suite::Nab, Suite::Ucr];

    pub fn name(self) -> &'static str {
        match self {
            Suite::Odds => "odds",
            Suite::Adbench => "adbench",
            Suite::Nab => "nab",
            Suite::Ucr => "ucr",
        }
    }

    pub fn parse(name: &str) -> Result<Self, BenchError> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                BenchError::flag(
                    "--suite",
                    format!(
                        "unknown suite `{name}`; known: {}",
                        Self::ALL
                            .iter()
                            .map(|s| s.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    /// Whether the suite's members are time series.
    pub fn is_series(self) -> bool {
        matches!(self, Suite::Nab | Suite::Ucr)
    }

    /// Every member's name, in catalog order.
    pub fn members(self) -> Vec<&'static str> {
        let tabular = |c: catalog::Collection| {
            catalog::DATASETS
                .iter()
                .filter(|s| s.collection == c)
                .map(|s| s.name)
                .collect()
        };
        let series = |c: SeriesCollection| series_of(c).map(|s| s.name).collect();
        match self {
            Suite::Odds => tabular(catalog::Collection::Odds),
            Suite::Adbench => tabular(catalog::Collection::Adbench),
            Suite::Nab => series(SeriesCollection::Nab),
            Suite::Ucr => series(SeriesCollection::Ucr),
        }
    }

    /// `all` or a comma list of members.
    pub fn datasets(self, selection: &str) -> Result<Vec<String>, BenchError> {
        let members = self.members();
        if selection == "all" {
            return Ok(members.iter().map(|m| m.to_string()).collect());
        }
        selection
            .split(',')
            .map(str::trim)
            .map(|name| {
                if members.contains(&name) {
                    Ok(name.to_string())
                } else {
                    Err(BenchError::NotInSuite {
                        suite: self.name().to_string(),
                        name: name.to_string(),
                        members: members.join(", "),
                    })
                }
            })
            .collect()
    }

    /// `all` (every detector; for time series [`SERIES_SUITE_MODELS`]) or a
    /// comma list (checked when the sweep starts).
    pub fn models(self, selection: &str) -> Vec<String> {
        if selection != "all" {
            return selection.split(',').map(|m| m.trim().to_string()).collect();
        }
        if self.is_series() {
            SERIES_SUITE_MODELS.iter().map(|m| m.to_string()).collect()
        } else {
            DETECTORS.iter().map(|s| s.name.to_string()).collect()
        }
    }

    /// Seeds when none are given: `0-9` for tabular suites (ten splits),
    /// `0` for time series (no split; seeds only reach stochastic detectors).
    pub fn default_seeds(self) -> &'static str {
        if self.is_series() { "0" } else { "0-9" }
    }

    /// The run protocol: `protocol` if given (tabular suites), else the
    /// suite's own. A time-series suite has exactly one.
    pub fn protocol(self, protocol: Option<&str>) -> Result<RunProtocol, BenchError> {
        match (self.is_series(), protocol) {
            (true, None) => Ok(RunProtocol::TimeSeries),
            (true, Some(p)) if p == SERIES_PROTOCOL => Ok(RunProtocol::TimeSeries),
            (true, Some(p)) => Err(BenchError::flag(
                "--protocol",
                format!(
                    "`{p}` splits rows; the `{}` suite scores whole series (protocol `{SERIES_PROTOCOL}`)",
                    self.name()
                ),
            )),
            (false, None) => Ok(RunProtocol::Tabular(Protocol::Holdout60)),
            (false, Some(p)) => match Protocol::parse(p) {
                Ok(p) => Ok(RunProtocol::Tabular(p)),
                Err(e) => Err(BenchError::flag("--protocol", e.to_string())),
            },
        }
    }

    /// The sweep the suite flags describe.
    pub fn sweep_spec(
        self,
        datasets: &str,
        models: &str,
        params: Map<String, Value>,
        seeds: Option<&str>,
        protocol: Option<&str>,
    ) -> Result<SweepSpec, BenchError> {
        let spec = SweepSpec {
            datasets: self.datasets(datasets)?,
            models: self.models(models),
            params,
            seeds: parse_seeds(seeds.unwrap_or(self.default_seeds()))?,
            protocol: self.protocol(protocol)?,
        };
        check_grid_size(&spec)?;
        Ok(spec)
    }
}

/// The most grid points a suite may name. Expanding a grid holds every
/// point (and its run id) in memory before the first run: `--suite odds
/// --seeds 0-99999` (36 million points) used to grow past 2 GB without
/// starting a run. A million runs is far beyond any benchmark.
pub const MAX_GRID_POINTS: u128 = 1_000_000;

/// Parameter combinations at most: the product of every value list's
/// length (`name: [..]`, or inside `detector: { name: [..] }`), an upper
/// bound on what any one model gets.
fn param_combinations(params: &Map<String, Value>) -> u128 {
    params.values().fold(1u128, |acc, v| {
        let n = match v {
            Value::Array(a) => a.len().max(1) as u128,
            Value::Object(m) => param_combinations(m),
            _ => 1,
        };
        acc.saturating_mul(n)
    })
}

/// Refuse a grid of more than [`MAX_GRID_POINTS`] points (counted as
/// datasets × models × seeds × parameter combinations, an upper bound).
fn check_grid_size(spec: &SweepSpec) -> Result<(), BenchError> {
    let combos = param_combinations(&spec.params);
    let points = [
        spec.datasets.len() as u128,
        spec.models.len() as u128,
        spec.seeds.len() as u128,
        combos,
    ]
    .iter()
    .fold(1u128, |a, &b| a.saturating_mul(b));
    if points > MAX_GRID_POINTS {
        return Err(BenchError::Grid(format!(
            "the grid has up to {points} points ({} datasets x {} models x {} seeds x {combos} \
             parameter combinations); at most {MAX_GRID_POINTS}: use fewer seeds, models or values",
            spec.datasets.len(),
            spec.models.len(),
            spec.seeds.len()
        )));
    }
    Ok(())
}

/// Read a `--compare` reference table (mean ROC-AUC per dataset and model,
/// e.g. tests/fixtures/pyod_suite/mean_roc_auc.json).
pub fn read_reference(path: &Path) -> Result<ReferenceTable, BenchError> {
    let bad =
        |message: String| BenchError::flag("--compare", format!("{}: {message}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    ReferenceTable::from_json(&v).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_name_their_members_and_refuse_others() {
        assert_eq!(Suite::Odds.members().len(), 17);
        assert_eq!(Suite::Nab.members().len(), 58);
        assert!(!Suite::Ucr.datasets("all").unwrap().is_empty());
        let e = Suite::Nab.datasets("nab/x").unwrap_err();
        assert!(
            e.is_usage() && e.to_string().contains("not in the `nab` suite"),
            "{e}"
        );
        assert!(Suite::parse("odds").is_ok());
        assert!(Suite::parse("nope").unwrap_err().is_usage());
    }

    #[test]
    fn a_grid_beyond_a_million_points_is_refused() {
        let spec = |seeds: &str, params: Value| {
            Suite::Odds.sweep_spec(
                "all",
                "knn,hbos",
                params.as_object().cloned().unwrap_or_default(),
                Some(seeds),
                None,
            )
        };
        // 17 datasets x 2 models x 10 seeds x 2 values
        assert!(spec("0-9", serde_json::json!({"n_bins": [5, 10]})).is_ok());
        // 17 x 2 x 100000 seeds
        let e = spec("0-99999", serde_json::json!({})).unwrap_err();
        assert!(
            e.is_usage() && e.to_string().contains("at most 1000000"),
            "{e}"
        );
        // 17 x 2 x 10 x 100^2 values
        let many: Vec<u32> = (1..=100).collect();
        let e = spec(
            "0-9",
            serde_json::json!({"knn": {"n_neighbors": many}, "n_bins": many}),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("10000 parameter combinations"),
            "{e}"
        );
    }

    #[test]
    fn a_series_suite_has_one_protocol() {
        assert_eq!(Suite::Nab.protocol(None).unwrap(), RunProtocol::TimeSeries);
        assert_eq!(
            Suite::Nab.protocol(Some("timeseries")).unwrap(),
            RunProtocol::TimeSeries
        );
        assert!(Suite::Ucr.protocol(Some("pyod")).unwrap_err().is_usage());
        assert_eq!(
            Suite::Odds.protocol(Some("pyod")).unwrap(),
            RunProtocol::Tabular(Protocol::Pyod)
        );
        assert!(Suite::Odds.protocol(Some("nope")).unwrap_err().is_usage());
        assert_eq!(Suite::Nab.models("all"), SERIES_SUITE_MODELS);
        assert_eq!(Suite::Ucr.default_seeds(), "0");
    }
}
