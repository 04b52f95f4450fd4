//! The record of a rendered notebook: the provenance header every report
//! carries, and per cell its status and outputs in a canonical text form
//! that `--check` compares. Written as `OUT.json` beside the report and
//! validated against the shipped `src/resources/notebook-schema.json`.

use super::NotebookError;
use super::execute::{NotebookRun, Output};
use crate::plot::Plot;
use crate::results::Hardware;
use crate::script::AccessLog;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// The schema text, compiled into the binary.
pub const SCHEMA_JSON: &str = include_str!("../resources/notebook-schema.json");
/// The schema's `$id`, written as every sidecar's `$schema`.
pub const SCHEMA_ID: &str = "https://anml.dev/schemas/notebook-1.json";

/// Where a report came from: enough to re-run it and to see whether the
/// inputs are the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub anml_version: String,
    /// The notebook file as given and the SHA-256 of its bytes.
    pub notebook: String,
    pub notebook_sha256: String,
    /// When it ran (UTC, RFC 3339).
    pub date: String,
    /// Every dataset, series and registry artefact read, and the seeds used.
    pub inputs: AccessLog,
    /// The sandbox limits in force.
    pub limits: Value,
    pub hardware: Hardware,
    /// The BLAS in use.
    pub blas: String,
}

/// One output of a cell, as the sidecar stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// `text`, `table` or `plot`.
    pub kind: String,
    /// The canonical text form: the text itself; a table's header and rows
    /// (cells joined by ` | `); a figure's title and its numbers (curve
    /// areas, point counts and sums, histogram groups, heatmap values).
    pub content: String,
}

/// One cell of the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRecord {
    pub index: usize,
    /// The label, else `cell N`.
    pub name: String,
    /// `code` or `markdown`.
    pub kind: String,
    /// `ok`, `error` or `not-run`.
    pub status: String,
    pub seconds: f64,
    /// Printed text.
    pub stdout: String,
    pub outputs: Vec<OutputRecord>,
    pub error: Option<String>,
}

/// The whole sidecar file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub provenance: Provenance,
    pub cells: Vec<CellRecord>,
}

fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

/// A figure's numbers as text (what `--check` compares, rather than the
/// SVG bytes).
pub fn plot_digest(p: &Plot) -> String {
    let mut s = format!("{}\n", p.title());
    match p {
        Plot::Roc(c) | Plot::PrecisionRecall(c) => {
            for k in &c.curves {
                s.push_str(&format!(
                    "{}: auc {} points {} sum_x {} sum_y {}\n",
                    k.name,
                    k.auc,
                    k.x.len(),
                    sum(&k.x),
                    sum(&k.y)
                ));
            }
            if let Some(b) = c.baseline {
                s.push_str(&format!("baseline {b}\n"));
            }
        }
        Plot::Histogram(h) => {
            s.push_str(&format!(
                "bins {} normal {} sum {} anomalous {} sum {} threshold {:?}\n",
                h.bins,
                h.normal.len(),
                sum(&h.normal),
                h.anomalous.len(),
                sum(&h.anomalous),
                h.threshold
            ));
        }
        Plot::Bars(b) => {
            s.push_str(&format!("{}\n", b.value_label));
            for (l, v) in b.labels.iter().zip(&b.values) {
                s.push_str(&format!("{l} | {v}\n"));
            }
        }
        Plot::Heatmap(h) => {
            s.push_str(&format!("{} | {}\n", h.value_label, h.cols.join(" | ")));
            for (r, row) in h.rows.iter().zip(&h.values) {
                let cells: Vec<String> = row
                    .iter()
                    .map(|v| v.map_or_else(|| "n/a".to_string(), |v| v.to_string()))
                    .collect();
                s.push_str(&format!("{r} | {}\n", cells.join(" | ")));
            }
        }
        Plot::CdDiagram(c) => {
            s.push_str(&format!("cd {}\n", c.cd));
            for (m, r) in c.models.iter().zip(&c.ranks) {
                s.push_str(&format!("{m}: rank {r}\n"));
            }
            for g in &c.groups {
                let names: Vec<&str> = g
                    .iter()
                    .filter_map(|&i| c.models.get(i))
                    .map(String::as_str)
                    .collect();
                s.push_str(&format!("group {}\n", names.join(", ")));
            }
        }
        Plot::TimeSeries(t) => {
            for (i, panel) in t.panels.iter().enumerate() {
                for l in &panel.lines {
                    s.push_str(&format!(
                        "panel {i} {}: from {} points {} sum {}\n",
                        l.name,
                        l.x0,
                        l.values.len(),
                        sum(&l.values)
                    ));
                }
            }
            for (a, b) in &t.ranges {
                s.push_str(&format!("range {a}..{b}\n"));
            }
            for m in &t.markers {
                s.push_str(&format!("marker {} {}\n", m.x, m.label));
            }
        }
    }
    s
}

/// What a timing cell is recorded as: wall times differ between runs and
/// machines, so `--check` does not compare them.
pub const TIMING: &str = "(timing)";

/// The table column headers and row labels anml itself emits for wall
/// times: the run table's `fit s` / `score s`, `summary`'s `fit+score s`,
/// the leaderboard's `mean fit+score s` row, the series table's `time s`,
/// `anml perf`'s columns and the record fields of
/// [`crate::results::NONDETERMINISTIC_FIELDS`] that hold seconds. Only
/// these exact labels are timings: a label that merely contains a word
/// such as "time" (`nab/realTraffic/TravelTime_387`) is a result.
pub const TIMING_LABELS: &[&str] = &[
    "fit s",
    "score s",
    "fit+score s",
    "mean fit+score s",
    "time s",
    "fit_time",
    "score_time",
    "run_time",
    "time_per_1000",
];

/// Whether a table column header or row label is one of the declared
/// timing labels ([`TIMING_LABELS`], compared exactly after trimming).
pub fn is_timing_label(label: &str) -> bool {
    TIMING_LABELS.contains(&label.trim())
}

/// The canonical record of one output. Table cells in timing columns and
/// rows (see [`is_timing_label`]) are recorded as [`TIMING`].
pub fn output_record(o: &Output) -> OutputRecord {
    match o {
        // A rich value is recorded by its text form, as it was before it
        // had an HTML form: old records still check.
        Output::Text(t) | Output::Rich { text: t, .. } => OutputRecord {
            kind: "text".into(),
            content: t.clone(),
        },
        Output::Table(t) => {
            let timing_cols: Vec<bool> = t.header.iter().map(|h| is_timing_label(h)).collect();
            let mut s = t.header.join(" | ");
            for r in &t.rows {
                let timing_row = r.first().is_some_and(|c| is_timing_label(c));
                let cells: Vec<&str> = r
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let timed = timing_row || timing_cols.get(i).copied().unwrap_or(false);
                        if timed && i > 0 { TIMING } else { c.as_str() }
                    })
                    .collect();
                s.push('\n');
                s.push_str(&cells.join(" | "));
            }
            OutputRecord {
                kind: "table".into(),
                content: s,
            }
        }
        Output::Plot { plot, .. } => OutputRecord {
            kind: "plot".into(),
            content: plot_digest(plot),
        },
    }
}

impl Sidecar {
    /// The record of `run`.
    pub fn new(provenance: Provenance, run: &NotebookRun) -> Self {
        let cells = run
            .cells
            .iter()
            .map(|c| CellRecord {
                index: c.cell.index,
                name: c.cell.name(),
                kind: match c.cell.kind {
                    super::CellKind::Code => "code",
                    super::CellKind::Markdown => "markdown",
                }
                .into(),
                status: c.status.as_str().into(),
                seconds: c.seconds,
                stdout: c.stdout.clone(),
                outputs: c.outputs.iter().map(output_record).collect(),
                error: c.error.clone(),
            })
            .collect();
        Self {
            schema: SCHEMA_ID.into(),
            provenance,
            cells,
        }
    }

    /// Validate and write atomically.
    pub fn write(&self, path: &Path) -> Result<(), NotebookError> {
        let v = serde_json::to_value(self).map_err(|e| NotebookError::Sidecar {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        validate(&v).map_err(|message| NotebookError::Sidecar {
            path: path.to_path_buf(),
            message,
        })?;
        let mut text = serde_json::to_string_pretty(&v).map_err(|e| NotebookError::Sidecar {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        text.push('\n');
        crate::atomic_file::write(path, text.as_bytes()).map_err(|source| NotebookError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Read, validate against the schema, and parse.
    pub fn read(path: &Path) -> Result<Self, NotebookError> {
        let bad = |message: String| NotebookError::Sidecar {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|source| NotebookError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        validate(&v).map_err(bad)?;
        serde_json::from_value(v).map_err(|e| bad(e.to_string()))
    }
}

fn validator() -> Result<&'static jsonschema::Validator, String> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA_JSON).map_err(|e| e.to_string())?;
        jsonschema::validator_for(&schema).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| format!("the shipped notebook schema does not compile: {e}"))
}

/// Check `instance` against the notebook schema; every violation is listed.
pub fn validate(instance: &Value) -> Result<(), String> {
    crate::results::violations(validator()?, instance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::types::Table;

    #[test]
    fn timing_columns_and_rows_are_not_recorded() {
        let t = Table {
            header: vec!["dataset".into(), "roc_auc".into(), "fit s".into()],
            rows: vec![
                vec!["cardio".into(), "0.9".into(), "0.012".into()],
                vec!["mean fit+score s".into(), "0.5".into(), "0.3".into()],
            ],
        };
        let r = output_record(&Output::Table(t));
        assert_eq!(
            r.content,
            "dataset | roc_auc | fit s\ncardio | 0.9 | (timing)\nmean fit+score s | (timing) | (timing)"
        );
        assert!(is_timing_label("score_time") && !is_timing_label("samples"));
    }

    #[test]
    fn a_label_that_mentions_time_is_still_a_result() {
        // A NAB series name, a user's column: neither is a declared timing.
        for label in [
            "nab/realTraffic/TravelTime_387",
            "runtime_budget",
            "seconds_to_alarm",
            "uptime",
            "times",
        ] {
            assert!(!is_timing_label(label), "{label}");
        }
        let t = Table {
            header: vec!["series".into(), "roc_auc".into(), "time s".into()],
            rows: vec![vec![
                "nab/realTraffic/TravelTime_387".into(),
                "0.8257".into(),
                "1.5".into(),
            ]],
        };
        let r = output_record(&Output::Table(t));
        assert_eq!(
            r.content,
            "series | roc_auc | time s\nnab/realTraffic/TravelTime_387 | 0.8257 | (timing)"
        );
    }
}
