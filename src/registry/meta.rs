//! What the registry records beside each model: `meta.json`. It exists so a
//! published model can be traced back to the data, split, seed and anml
//! version that produced it, and so the model file can be checked against
//! the digest recorded when it was published.

use crate::data::SplitInfo;
use crate::results::RunResult;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// The contents of `registry/<name>/<version>/meta.json`, in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtefactMeta {
    pub name: String,
    pub version: semver::Version,
    /// The registered detector name (`isolation_forest`, …).
    pub detector: String,
    /// Every parameter, defaults filled in, including `contamination`.
    pub params: Value,
    /// The anml that published it.
    pub anml_version: String,
    /// RFC 3339, UTC, whole seconds: `2026-05-01T12:34:56Z`.
    pub created_at: String,
    /// Training dataset name, when known.
    pub dataset: Option<String>,
    pub dataset_sha256: Option<String>,
    /// How the training part was split off, for a model from a benchmark run.
    pub split: Option<SplitInfo>,
    pub seed: Option<u64>,
    /// The run's metrics at publish time, one per tabular metric of the
    /// metric table by record field (`roc_auc`, `pr_auc`, `f1`,
    /// `precision_at_n`), for a model from a benchmark run.
    pub metrics: Option<Map<String, Value>>,
    /// The run id of the benchmark run that fitted it, when there was one.
    #[serde(default)]
    pub run_id: Option<String>,
    /// `format_version` of `model.json` (see `MODEL_FORMAT_VERSION`).
    pub model_format_version: u64,
    /// `sha256:` + hex of `model.json`: the same string as
    /// `FittedDetector::digest()` and a result's `artefact_digest`.
    pub sha256: String,
}

impl ArtefactMeta {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The first 12 hex digits of the digest, for tables.
    pub fn short_sha(&self) -> String {
        let hex = self.sha256.strip_prefix("sha256:").unwrap_or(&self.sha256);
        hex.chars().take(12).collect()
    }
}

/// Where a model came from. Everything is optional: a model fitted by hand
/// in a script has no split, seed or metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub dataset: Option<String>,
    pub dataset_sha256: Option<String>,
    pub split: Option<SplitInfo>,
    pub seed: Option<u64>,
    pub metrics: Option<Map<String, Value>>,
    pub run_id: Option<String>,
}

impl Provenance {
    /// The provenance a benchmark run records: its dataset, split, seed,
    /// metrics and run id.
    pub fn from_run(r: &RunResult) -> Self {
        let mut metrics = Map::new();
        for (spec, v) in crate::metrics::METRICS.iter().zip(r.metrics.values()) {
            metrics.insert(spec.field.into(), Value::from(v));
        }
        Self {
            dataset: Some(r.dataset.clone()),
            dataset_sha256: Some(r.dataset_sha256.clone()),
            split: Some(r.split.clone()),
            seed: Some(r.seed),
            metrics: Some(metrics),
            run_id: Some(r.run_id.clone()),
        }
    }

    /// Only the training dataset is known.
    pub fn dataset(name: &str, sha256: &str) -> Self {
        Self {
            dataset: Some(name.to_string()),
            dataset_sha256: Some(sha256.to_string()),
            ..Self::default()
        }
    }
}

/// The current time as RFC 3339 UTC with whole seconds.
pub fn now_rfc3339() -> String {
    // A clock before 1970 is a broken clock; record the epoch rather than fail a publish.
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339_utc(secs)
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
///
/// Written here instead of pulling in a date crate for one line of output:
/// the civil-from-days step is Howard Hinnant's algorithm
/// (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>),
/// exact for the proleptic Gregorian calendar, and tested below against
/// known dates including leap days and century years.
pub fn rfc3339_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        // Values checked with `date -u -d @SECS +%Y-%m-%dT%H:%M:%SZ`.
        for (secs, want) in [
            (0, "1970-01-01T00:00:00Z"),
            (86_399, "1970-01-01T23:59:59Z"),
            (951_782_400, "2000-02-29T00:00:00Z"), // leap day of a 400-year
            (951_868_800, "2000-03-01T00:00:00Z"),
            (1_078_012_800, "2004-02-29T00:00:00Z"),
            (4_107_456_000, "2100-02-28T00:00:00Z"), // 2100 is not a leap year
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (1_234_567_890, "2009-02-13T23:31:30Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (1_735_689_599, "2024-12-31T23:59:59Z"),
            (1_735_689_600, "2025-01-01T00:00:00Z"),
        ] {
            assert_eq!(rfc3339_utc(secs), want, "{secs}");
        }
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        // Walk 1970..2200 day by day: dates are strictly increasing, months
        // have the right lengths, and leap years follow the Gregorian rule.
        let (mut py, mut pm, mut pd) = civil_from_days(0);
        for day in 1..84_000u64 {
            let (y, m, d) = civil_from_days(day);
            let leap = (py % 4 == 0 && py % 100 != 0) || py % 400 == 0;
            let len = match pm {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            if pd < len {
                assert_eq!((y, m, d), (py, pm, pd + 1), "day {day}");
            } else if pm < 12 {
                assert_eq!((y, m, d), (py, pm + 1, 1), "day {day}");
            } else {
                assert_eq!((y, m, d), (py + 1, 1, 1), "day {day}");
            }
            (py, pm, pd) = (y, m, d);
        }
    }
}
