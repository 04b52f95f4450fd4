//! The leaderboard of a suite: datasets × models means over seeds of every
//! tabular metric of the metric table (`metrics::METRICS`), each model's
//! average rank across datasets (by the table's first metric, mean ROC-AUC,
//! ties sharing the mean rank, rank 1 = best) and mean fit+score time,
//! rendered as a terminal table, Markdown and CSV; and the time-series
//! suite's leaderboard, one column per metric of `metrics::SERIES_METRICS`.
//! The tabular one also shows the F1, precision and recall at one threshold
//! method of the records' `thresholds` (`--threshold`, default
//! `contamination`).

use crate::metrics::{METRICS, SERIES_METRICS};
use crate::results::{RunResult, SeriesRunResult};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::collections::BTreeMap;

/// Which mean a leaderboard heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapMetric {
    RocAuc,
    PrAuc,
}

/// The per-dataset cells show the means of the table's first this-many
/// metrics (ROC-AUC / PR-AUC); the summary rows and the CSV show them all.
const CELL_METRICS: usize = 2;

impl HeatmapMetric {
    /// The metric's position in [`METRICS`].
    fn index(self) -> usize {
        let field = match self {
            Self::RocAuc => "roc_auc",
            Self::PrAuc => "pr_auc",
        };
        METRICS.iter().position(|m| m.field == field).unwrap_or(0)
    }
}

/// The runs of one (dataset, model): each metric's values (table order)
/// and the fit+score seconds.
#[derive(Debug, Clone)]
struct Cell {
    metrics: Vec<Vec<f64>>,
    /// F1, precision and recall at the leaderboard's threshold method, from
    /// the runs that recorded it (records older than `thresholds` did not).
    at_threshold: [Vec<f64>; 3],
    secs: Vec<f64>,
}

impl Default for Cell {
    fn default() -> Self {
        Self {
            metrics: vec![Vec::new(); METRICS.len()],
            at_threshold: Default::default(),
            secs: Vec::new(),
        }
    }
}

/// The threshold columns: title and CSV key of F1, precision, recall.
const AT_THRESHOLD: [(&str, &str); 3] = [
    ("F1", "f1"),
    ("precision", "precision"),
    ("recall", "recall"),
];

impl Cell {
    fn runs(&self) -> usize {
        self.secs.len()
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Aggregated suite results. Datasets and models keep first-seen order; a
/// model's column is its [`RunResult::label`] (the model plus its sweep
/// variant), so each parameter setting of a sweep gets its own column.
#[derive(Debug, Clone, Default)]
pub struct Leaderboard {
    datasets: Vec<String>,
    models: Vec<String>,
    cells: BTreeMap<(String, String), Cell>,
    /// The threshold method whose F1/precision/recall are shown.
    threshold: &'static str,
}

impl Leaderboard {
    /// The leaderboard of `results`, with the F1, precision and recall of
    /// the `contamination` threshold.
    pub fn new(results: &[RunResult]) -> Self {
        Self::with_threshold(results, None)
    }

    /// The leaderboard of `results` showing threshold method `threshold`'s
    /// F1, precision and recall (`None`: `contamination`). A name outside
    /// `thresholds::METHODS` has no recorded values: its columns show `-`.
    pub fn with_threshold(results: &[RunResult], threshold: Option<&'static str>) -> Self {
        let mut lb = Self {
            threshold: threshold.unwrap_or(crate::thresholds::METHODS[0].name),
            ..Self::default()
        };
        for r in results {
            if !lb.datasets.contains(&r.dataset) {
                lb.datasets.push(r.dataset.clone());
            }
            let label = r.label();
            if !lb.models.contains(&label) {
                lb.models.push(label.clone());
            }
            let c = lb.cells.entry((r.dataset.clone(), label)).or_default();
            for (values, v) in c.metrics.iter_mut().zip(r.metrics.values()) {
                values.push(v);
            }
            if let Some(t) = r.thresholds.get(lb.threshold) {
                for (values, v) in c.at_threshold.iter_mut().zip([t.f1, t.precision, t.recall]) {
                    values.push(v);
                }
            }
            c.secs.push(r.fit_time + r.score_time);
        }
        lb
    }

    fn cell(&self, ds: &str, model: &str) -> Option<&Cell> {
        self.cells.get(&(ds.to_string(), model.to_string()))
    }

    /// Mean of the `i`th metric of [`METRICS`] for `model` on `ds` over
    /// seeds (NaN when absent).
    fn mean_metric(&self, ds: &str, model: &str, i: usize) -> f64 {
        self.cell(ds, model)
            .and_then(|c| c.metrics.get(i))
            .map_or(f64::NAN, |v| mean(v))
    }

    /// Mean ROC-AUC of `model` on `ds` over seeds (NaN when absent).
    pub fn mean_roc_auc(&self, ds: &str, model: &str) -> f64 {
        self.mean_metric(ds, model, HeatmapMetric::RocAuc.index())
    }

    /// The datasets × models heatmap of the mean `metric` over seeds
    /// (missing cells stay `None`), in first-seen order.
    pub fn heatmap(&self, metric: HeatmapMetric, title: &str) -> crate::plot::HeatmapPlot {
        let values = self
            .datasets
            .iter()
            .map(|d| {
                self.models
                    .iter()
                    .map(|m| {
                        self.cell(d, m)
                            .map(|_| self.mean_metric(d, m, metric.index()))
                    })
                    .collect()
            })
            .collect();
        crate::plot::HeatmapPlot {
            title: title.to_string(),
            rows: self.datasets.clone(),
            cols: self.models.clone(),
            values,
            value_label: match metric {
                HeatmapMetric::RocAuc => "mean ROC-AUC",
                HeatmapMetric::PrAuc => "mean PR-AUC",
            }
            .to_string(),
        }
    }

    /// Average rank per model over the datasets where every model ran.
    pub fn average_ranks(&self) -> Vec<f64> {
        let mut sums = vec![0.0; self.models.len()];
        let mut n = 0usize;
        for ds in &self.datasets {
            let scores: Vec<f64> = self
                .models
                .iter()
                .map(|m| self.mean_roc_auc(ds, m))
                .collect();
            if scores.iter().any(|s| s.is_nan()) {
                continue;
            }
            n += 1;
            for (i, s) in scores.iter().enumerate() {
                let better = scores.iter().filter(|&&o| o > *s).count() as f64;
                let equal = scores.iter().filter(|&&o| o == *s).count() as f64;
                sums[i] += better + (equal + 1.0) / 2.0;
            }
        }
        sums.iter()
            .map(|s| if n == 0 { f64::NAN } else { s / n as f64 })
            .collect()
    }

    fn model_means(&self, pick: impl Fn(&Cell) -> &[f64]) -> Vec<f64> {
        self.models
            .iter()
            .map(|m| {
                let v: Vec<f64> = self
                    .datasets
                    .iter()
                    .filter_map(|d| self.cell(d, m))
                    .map(|c| mean(pick(c)))
                    .collect();
                mean(&v)
            })
            .collect()
    }

    /// Rows of the leaderboard: one per dataset (per model, the means of
    /// the table's first metrics, `ROC-AUC / PR-AUC`), then the mean over
    /// datasets of every tabular metric, average rank and mean time.
    pub fn rows(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut header = vec!["dataset".to_string()];
        header.extend(self.models.iter().cloned());
        let fmt = |v: f64| {
            if v.is_nan() {
                "-".to_string()
            } else {
                format!("{v:.4}")
            }
        };
        let mut rows = Vec::new();
        for ds in &self.datasets {
            let mut row = vec![ds.clone()];
            for m in &self.models {
                row.push(match self.cell(ds, m) {
                    Some(c) => c
                        .metrics
                        .iter()
                        .take(CELL_METRICS)
                        .map(|v| fmt(mean(v)))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    None => "-".into(),
                });
            }
            rows.push(row);
        }
        let summary = |label: &str, v: Vec<f64>| {
            let mut row = vec![label.to_string()];
            row.extend(v.into_iter().map(fmt));
            row
        };
        for (i, spec) in METRICS.iter().enumerate() {
            rows.push(summary(
                &format!("mean {}", spec.title),
                self.model_means(|c| c.metrics.get(i).map_or(&[], |v| v.as_slice())),
            ));
        }
        for (i, (title, _)) in AT_THRESHOLD.iter().enumerate() {
            rows.push(summary(
                &format!("mean {title} at {}", self.threshold),
                self.model_means(|c| &c.at_threshold[i]),
            ));
        }
        rows.push(summary("average rank", self.average_ranks()));
        rows.push(summary("mean fit+score s", self.model_means(|c| &c.secs)));
        (header, rows)
    }

    /// Terminal table (cells: mean ROC-AUC / mean PR-AUC).
    pub fn to_table(&self) -> Table {
        let (header, rows) = self.rows();
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(header);
        for r in rows {
            t.add_row(r);
        }
        t
    }

    /// GitHub-flavoured Markdown.
    pub fn to_markdown(&self) -> String {
        let (header, rows) = self.rows();
        let mut s = format!("| {} |\n", header.join(" | "));
        s.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for r in rows {
            s.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        let cells: Vec<String> = METRICS
            .iter()
            .take(CELL_METRICS)
            .map(|m| format!("mean {}", m.title))
            .collect();
        s.push_str(&format!(
            "\nCells: {} over seeds. Rank 1 = best mean {}.\n",
            cells.join(" / "),
            METRICS[HeatmapMetric::RocAuc.index()].title
        ));
        s
    }

    /// CSV: one row per (dataset, model) with the run count, the mean of
    /// every tabular metric (`mean_{field}`, table order) and the time.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["dataset".to_string(), "model".into(), "runs".into()];
        header.extend(METRICS.iter().map(|m| format!("mean_{}", m.field)));
        header.extend(
            AT_THRESHOLD
                .iter()
                .map(|(_, key)| format!("mean_{key}_at_{}", self.threshold)),
        );
        header.push("mean_fit_score_s".into());
        w.write_record(&header)?;
        for ds in &self.datasets {
            for m in &self.models {
                if let Some(c) = self.cell(ds, m) {
                    let mut row = vec![ds.clone(), m.clone(), c.runs().to_string()];
                    row.extend(c.metrics.iter().map(|v| format!("{}", mean(v))));
                    row.extend(c.at_threshold.iter().map(|v| format!("{}", mean(v))));
                    row.push(format!("{}", mean(&c.secs)));
                    w.write_record(&row)?;
                }
            }
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A time-series suite's leaderboard: one row per model (label, first-seen
/// order), the number of series, then per metric of [`SERIES_METRICS`] the
/// mean over the series where it is defined (the UCR hit's mean is the
/// archive's accuracy). Markdown and CSV.
pub fn series_leaderboard(results: &[&SeriesRunResult]) -> (String, String) {
    let mut models: Vec<String> = Vec::new();
    for r in results {
        let l = crate::results::label(&r.model, &r.variant);
        if !models.contains(&l) {
            models.push(l);
        }
    }
    let mut header = vec!["model", "series"];
    header.extend(SERIES_METRICS.iter().map(|m| m.column));
    let mut md = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    let mut csv = format!("{}\n", header.join(","));
    for model in &models {
        let rows: Vec<&SeriesRunResult> = results
            .iter()
            .copied()
            .filter(|r| crate::results::label(&r.model, &r.variant) == *model)
            .collect();
        let cells: Vec<Option<f64>> = SERIES_METRICS
            .iter()
            .map(|spec| {
                let get = spec.series?;
                let v: Vec<f64> = rows.iter().filter_map(|r| get(&r.metrics)).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            })
            .collect();
        let shown: Vec<String> = cells
            .iter()
            .map(|c| c.map_or_else(|| "–".to_string(), |v| format!("{v:.4}")))
            .collect();
        let raw: Vec<String> = cells
            .iter()
            .map(|c| c.map_or_else(String::new, |v| v.to_string()))
            .collect();
        md.push_str(&format!(
            "| {model} | {} | {} |\n",
            rows.len(),
            shown.join(" | ")
        ));
        csv.push_str(&format!("{model},{},{}\n", rows.len(), raw.join(",")));
    }
    (md, csv)
}

/// A reference table of mean ROC-AUC per (dataset, model) from another
/// tool, in the layout `scripts/gen_pyod_suite_reference.py` writes:
/// `{"mean_roc_auc": {dataset: {model: {"mean_roc_auc": x, ...}}}}`.
#[derive(Debug, Clone, Default)]
pub struct ReferenceTable {
    cells: BTreeMap<(String, String), f64>,
}

impl ReferenceTable {
    /// Parse the JSON layout above; anything else is an error naming the
    /// offending path.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        let table = v
            .get("mean_roc_auc")
            .and_then(|t| t.as_object())
            .ok_or("expected an object `mean_roc_auc` of datasets")?;
        let mut cells = BTreeMap::new();
        for (ds, models) in table {
            let models = models
                .as_object()
                .ok_or_else(|| format!("mean_roc_auc.{ds}: expected an object of models"))?;
            for (m, cell) in models {
                let x = cell
                    .get("mean_roc_auc")
                    .and_then(|x| x.as_f64())
                    .ok_or_else(|| format!("mean_roc_auc.{ds}.{m}: expected `mean_roc_auc`"))?;
                cells.insert((ds.clone(), m.clone()), x);
            }
        }
        Ok(Self { cells })
    }
}

/// One model's comparison with a reference over the datasets both ran.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    pub model: String,
    pub datasets: usize,
    pub ours: f64,
    pub theirs: f64,
    /// The dataset with the largest |ours − theirs| and that difference.
    pub worst: Option<(String, f64)>,
}

impl Leaderboard {
    /// Per model: mean ROC-AUC over the datasets present in both tables,
    /// ours and the reference's, and the largest per-dataset difference.
    /// Models the reference lacks are left out.
    pub fn compare(&self, reference: &ReferenceTable) -> Vec<ComparisonRow> {
        let mut out = Vec::new();
        for m in &self.models {
            let mut pairs = Vec::new();
            for ds in &self.datasets {
                let Some(&theirs) = reference.cells.get(&(ds.clone(), m.clone())) else {
                    continue;
                };
                let ours = self.mean_roc_auc(ds, m);
                if !ours.is_nan() {
                    pairs.push((ds.clone(), ours, theirs));
                }
            }
            if pairs.is_empty() {
                continue;
            }
            let n = pairs.len() as f64;
            let worst = pairs
                .iter()
                .map(|(d, a, b)| (d.clone(), a - b))
                .max_by(|x, y| x.1.abs().total_cmp(&y.1.abs()));
            out.push(ComparisonRow {
                model: m.clone(),
                datasets: pairs.len(),
                ours: pairs.iter().map(|p| p.1).sum::<f64>() / n,
                theirs: pairs.iter().map(|p| p.2).sum::<f64>() / n,
                worst,
            });
        }
        out
    }
}

const COMPARISON_HEADER: [&str; 6] = [
    "model",
    "datasets",
    "anml mean ROC-AUC",
    "reference mean ROC-AUC",
    "difference",
    "largest per-dataset difference",
];

fn comparison_cells(r: &ComparisonRow) -> Vec<String> {
    vec![
        r.model.clone(),
        r.datasets.to_string(),
        format!("{:.4}", r.ours),
        format!("{:.4}", r.theirs),
        format!("{:+.4}", r.ours - r.theirs),
        r.worst
            .as_ref()
            .map_or("-".into(), |(d, x)| format!("{x:+.4} ({d})")),
    ]
}

/// The comparison as a terminal table.
pub fn comparison_table(rows: &[ComparisonRow]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(COMPARISON_HEADER.to_vec());
    for r in rows {
        t.add_row(comparison_cells(r));
    }
    t
}

/// The comparison as GitHub-flavoured Markdown.
pub fn comparison_markdown(rows: &[ComparisonRow]) -> String {
    let mut s = format!("| {} |\n", COMPARISON_HEADER.join(" | "));
    s.push_str(&format!("|{}\n", "---|".repeat(COMPARISON_HEADER.len())));
    for r in rows {
        s.push_str(&format!("| {} |\n", comparison_cells(r).join(" | ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_uses_only_shared_datasets() {
        let mut lb = Leaderboard {
            datasets: vec!["a".into(), "b".into()],
            models: vec!["x".into(), "y".into()],
            ..Leaderboard::default()
        };
        for (d, m, v) in [("a", "x", 0.9), ("b", "x", 0.7), ("a", "y", 0.6)] {
            lb.cells.insert(
                (d.into(), m.into()),
                Cell {
                    metrics: vec![vec![v, v]; METRICS.len()],
                    secs: vec![1.0, 1.0],
                    ..Cell::default()
                },
            );
        }
        let reference = ReferenceTable::from_json(&serde_json::json!({
            "mean_roc_auc": {
                "a": {"x": {"mean_roc_auc": 0.8}, "z": {"mean_roc_auc": 0.1}},
                "b": {"x": {"mean_roc_auc": 0.75}},
                "c": {"x": {"mean_roc_auc": 0.0}}
            }
        }))
        .unwrap();
        let rows = lb.compare(&reference);
        assert_eq!(rows.len(), 1, "y and z have no counterpart");
        assert_eq!(rows[0].datasets, 2);
        assert!((rows[0].ours - 0.8).abs() < 1e-12);
        assert!((rows[0].theirs - 0.775).abs() < 1e-12);
        let (d, x) = rows[0].worst.clone().unwrap();
        assert_eq!(d, "a");
        assert!((x - 0.1).abs() < 1e-12);
        assert!(
            comparison_markdown(&rows)
                .contains("| x | 2 | 0.8000 | 0.7750 | +0.0250 | +0.1000 (a) |")
        );
        assert!(
            ReferenceTable::from_json(&serde_json::json!({"mean_roc_auc": {"a": {"x": 1}}}))
                .is_err()
        );
    }

    #[test]
    fn ranks_share_ties() {
        let mut lb = Leaderboard {
            datasets: vec!["a".into(), "b".into()],
            models: vec!["x".into(), "y".into(), "z".into()],
            ..Leaderboard::default()
        };
        let put = |lb: &mut Leaderboard, d: &str, m: &str, v: f64| {
            lb.cells.insert(
                (d.into(), m.into()),
                Cell {
                    metrics: vec![vec![v]; METRICS.len()],
                    secs: vec![1.0],
                    ..Cell::default()
                },
            );
        };
        put(&mut lb, "a", "x", 0.9);
        put(&mut lb, "a", "y", 0.8);
        put(&mut lb, "a", "z", 0.8);
        put(&mut lb, "b", "x", 0.5);
        put(&mut lb, "b", "y", 0.7);
        put(&mut lb, "b", "z", 0.6);
        // a: x 1, y 2.5, z 2.5; b: y 1, z 2, x 3
        assert_eq!(lb.average_ranks(), vec![2.0, 1.75, 2.25]);
        let md = lb.to_markdown();
        assert!(
            md.contains("| average rank | 2.0000 | 1.7500 | 2.2500 |"),
            "{md}"
        );
        assert!(lb.to_csv().unwrap().lines().count() == 7);
    }
}
