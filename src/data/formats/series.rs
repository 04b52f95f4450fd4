//! Readers for time-series files: TimeEval CSV exports and NAB's CSVs with
//! its label-window JSON.
//!
//! Why it exists: a time series keeps its order and timestamps, and NAB
//! labels anomalies as timestamp windows in a separate file, so these
//! readers return ordered values plus labels rather than a [`Parts`] table.
//! Like every reader they work on verified bytes.
//!
//! NAB windows map to rows exactly as NAB's own scorer does: a row is in a
//! window when its timestamp lies between the window's start and end,
//! inclusive. Timestamps are compared as fixed-width `YYYY-MM-DD
//! HH:MM:SS.ffffff` strings (NAB's two spellings, with and without the
//! fraction, are normalised to that), which orders them as times.
//!
//! [`Parts`]: super::Parts

use super::{csv, format_error};
use crate::data::DataError;
use crate::data::catalog::Format;
use ndarray::{Array1, Array2};
use std::collections::BTreeMap;
use std::path::Path;

/// An ordered series read from a file.
#[derive(Debug, Clone)]
pub struct SeriesParts {
    /// n × channels.
    pub values: Array2<f64>,
    /// 0/1 per point, if the file has labels.
    pub labels: Option<Array1<u8>>,
    pub timestamps: Option<Vec<String>>,
}

/// A TimeEval CSV (`timestamp,value...,is_anomaly`) or any CSV the table
/// reader understands; labels are optional.
pub fn read_csv(bytes: &[u8], origin: &Path, name: &str) -> Result<SeriesParts, DataError> {
    let table = csv::read(bytes, origin)?;
    let labels = match &table.y {
        Some(raw) => Some(crate::data::Dataset::labels_from_f64(name, raw)?),
        None => None,
    };
    Ok(SeriesParts {
        values: table.x,
        labels,
        timestamps: table.timestamps,
    })
}

/// NAB's `combined_windows.json`: series path (`realKnownCause/nyc_taxi.csv`)
/// → list of `[start, end]` timestamp pairs.
pub fn parse_nab_windows(
    bytes: &[u8],
    origin: &Path,
) -> Result<BTreeMap<String, Vec<(String, String)>>, DataError> {
    let raw: BTreeMap<String, Vec<Vec<String>>> = serde_json::from_slice(bytes)
        .map_err(|e| format_error(origin, Format::Json, e.to_string()))?;
    raw.into_iter()
        .map(|(series, windows)| {
            let windows = windows
                .into_iter()
                .map(|w| match <[String; 2]>::try_from(w) {
                    Ok([start, end]) if normalise_stamp(&start) <= normalise_stamp(&end) => {
                        Ok((start, end))
                    }
                    Ok([start, end]) => Err(format_error(
                        origin,
                        Format::Json,
                        format!("{series}: window ends ({end}) before it starts ({start})"),
                    )),
                    Err(w) => Err(format_error(
                        origin,
                        Format::Json,
                        format!("{series}: a window has {} timestamps, not 2", w.len()),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((series, windows))
        })
        .collect()
}

/// 1 for every row whose timestamp lies inside one of `windows`
/// (inclusive), as NAB labels rows: a membership test per row, so rows out
/// of time order (NAB's `machine_temperature_system_failure` has some) are
/// labelled by their own timestamp.
pub fn window_labels(timestamps: &[String], windows: &[(String, String)]) -> Vec<u8> {
    let spans: Vec<(String, String)> = windows
        .iter()
        .map(|(a, b)| (normalise_stamp(a), normalise_stamp(b)))
        .collect();
    timestamps
        .iter()
        .map(|t| {
            let t = normalise_stamp(t);
            u8::from(spans.iter().any(|(a, b)| *a <= t && t <= *b))
        })
        .collect()
}

/// A NAB series: its `timestamp,value` CSV plus its windows. Labels are
/// the rows inside a window ([`window_labels`]).
pub fn read_nab(
    bytes: &[u8],
    origin: &Path,
    windows: &[(String, String)],
) -> Result<SeriesParts, DataError> {
    let table = csv::read(bytes, origin)?;
    let timestamps = table.timestamps.ok_or_else(|| {
        format_error(
            origin,
            Format::Csv,
            "NAB series without a `timestamp` column",
        )
    })?;
    let labels = Array1::from(window_labels(&timestamps, windows));
    Ok(SeriesParts {
        values: table.x,
        labels: Some(labels),
        timestamps: Some(timestamps),
    })
}

/// `YYYY-MM-DD HH:MM:SS[.f…]` → `YYYY-MM-DD HH:MM:SS.ffffff`, so that string
/// order is time order.
fn normalise_stamp(stamp: &str) -> String {
    let (whole, frac) = stamp.trim().split_once('.').unwrap_or((stamp.trim(), ""));
    let mut frac: String = frac.chars().take(6).collect();
    while frac.len() < 6 {
        frac.push('0');
    }
    format!("{whole}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamps(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn windows_label_rows_inclusively_even_out_of_order() {
        let t = stamps(&[
            "2014-01-01 00:00:00",
            "2014-01-01 00:05:00",
            "2014-01-01 00:10:00",
            "2014-01-01 00:06:00",
            "2014-01-01 00:15:00",
        ]);
        let w = vec![
            (
                "2014-01-01 00:05:00.000000".to_string(),
                "2014-01-01 00:10:00.000000".to_string(),
            ),
            (
                "2014-01-01 00:11:00.000000".to_string(),
                "2014-01-01 00:12:00.000000".to_string(),
            ),
        ];
        assert_eq!(window_labels(&t, &w), vec![0, 1, 1, 1, 0]);
        let csv = b"timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n";
        let parts = read_nab(csv, Path::new("n.csv"), &w).unwrap();
        assert_eq!(parts.labels.unwrap().to_vec(), vec![0, 1]);
        let e = read_nab(b"value\n1\n", Path::new("n.csv"), &w).unwrap_err();
        assert!(e.to_string().contains("without a `timestamp`"), "{e}");
    }

    #[test]
    fn windows_file_is_checked() {
        let ok = br#"{"a/b.csv": [["2014-01-01 00:00:00.000000", "2014-01-02 00:00:00.000000"]], "c.csv": []}"#;
        let w = parse_nab_windows(ok, Path::new("w.json")).unwrap();
        assert_eq!(w["a/b.csv"].len(), 1);
        assert!(w["c.csv"].is_empty());
        let reversed = br#"{"a.csv": [["2014-01-02 00:00:00", "2014-01-01 00:00:00"]]}"#;
        assert!(parse_nab_windows(reversed, Path::new("w.json")).is_err());
        let three = br#"{"a.csv": [["1", "2", "3"]]}"#;
        assert!(parse_nab_windows(three, Path::new("w.json")).is_err());
        assert!(parse_nab_windows(b"[", Path::new("w.json")).is_err());
    }
}
