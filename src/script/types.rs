//! Script-facing value types. Each wraps a library value behind an `Arc`, so
//! copying a value in a script never copies data. Their display forms are
//! what `print` and the REPL show.

use crate::data::{Dataset, Prepared};
use crate::detectors::FittedDetector;
use crate::results::RunResult;
use comfy_table::{Table as ComfyTable, presets::UTF8_FULL_CONDENSED};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use std::sync::Arc;

/// A dense n × d matrix of f64 (script type `Matrix`). Matrices taken from
/// a dataset or split share its storage.
#[derive(Debug, Clone)]
pub enum Matrix {
    Owned(Arc<Array2<f64>>),
    DatasetX(Arc<Dataset>),
    TrainX(Arc<Prepared>),
    TestX(Arc<Prepared>),
}

impl Matrix {
    pub fn view(&self) -> ArrayView2<'_, f64> {
        match self {
            Matrix::Owned(a) => a.view(),
            Matrix::DatasetX(d) => d.x.view(),
            Matrix::TrainX(p) => p.x_train.view(),
            Matrix::TestX(p) => p.x_test.view(),
        }
    }
}

/// A vector of f64, e.g. scores (script type `Vector`).
#[derive(Debug, Clone)]
pub struct Vector(pub Arc<Array1<f64>>);

/// 0/1 labels or predictions, 1 = anomaly (script type `Labels`).
#[derive(Debug, Clone)]
pub enum Labels {
    Owned(Arc<Array1<u8>>),
    DatasetY(Arc<Dataset>),
    TrainY(Arc<Prepared>),
    TestY(Arc<Prepared>),
}

impl Labels {
    pub fn view(&self) -> ArrayView1<'_, u8> {
        match self {
            Labels::Owned(a) => a.view(),
            Labels::DatasetY(d) => d.y.view(),
            Labels::TrainY(p) => p.y_train.view(),
            Labels::TestY(p) => p.y_test.view(),
        }
    }
}

/// A loaded time series (script type `TimeSeries`).
#[derive(Debug, Clone)]
pub struct SeriesRef(pub Arc<crate::data::TimeSeries>);

/// A matrix profile (script type `MatrixProfile`).
#[derive(Debug, Clone)]
pub struct ProfileRef(pub Arc<crate::detectors::matrix_profile::MatrixProfile>);

/// A loaded dataset (script type `Dataset`).
#[derive(Debug, Clone)]
pub struct DatasetRef(pub Arc<Dataset>);

/// A split and standardised dataset (script type `Split`).
#[derive(Debug, Clone)]
pub struct SplitRef(pub Arc<Prepared>);

/// One benchmark run (script type `RunResult`): the result record and, for a
/// run made in this session, the fitted model (so it can be published). A
/// result read back from the run store has no model.
#[derive(Debug, Clone)]
pub struct ResultRef(pub Arc<RunResult>, pub Option<FittedDetector>);

/// The outcome of a sweep (script type `Runs`): completed results and
/// failures, in grid order, with how many were cached, run or failed.
/// Filtering keeps the counts of the sweep it came from.
#[derive(Debug, Clone)]
pub struct Runs {
    pub results: Arc<Vec<RunResult>>,
    pub failures: Arc<Vec<crate::results::FailedRun>>,
    pub cached: usize,
    pub ran: usize,
    pub failed: usize,
}

impl Runs {
    /// `N cached, M run, F failed`.
    pub fn summary(&self) -> String {
        format!(
            "{} cached, {} run, {} failed",
            self.cached, self.ran, self.failed
        )
    }

    /// One row per completed run.
    pub fn table(&self) -> Table {
        let mut header: Vec<String> = RunResult::TABLE_HEADER
            .iter()
            .map(|s| s.to_string())
            .collect();
        header.insert(2, "variant".into());
        Table {
            header,
            rows: self
                .results
                .iter()
                .map(|r| {
                    let mut row = r.table_row();
                    row.insert(2, r.variant.clone());
                    row
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.table().render())?;
        write!(
            f,
            "{} results; sweep: {}",
            self.results.len(),
            self.summary()
        )?;
        for x in self.failures.iter() {
            write!(
                f,
                "\nfailed: {} {} [{}] seed {}: {}",
                x.dataset, x.model, x.variant, x.seed, x.error
            )?;
        }
        Ok(())
    }
}

/// A printable table (script type `Table`).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn render(&self) -> String {
        let mut t = ComfyTable::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(self.header.clone());
        for r in &self.rows {
            t.add_row(r.clone());
        }
        t.to_string()
    }
}

/// Short preview of a 1-D array: the first few values.
fn preview<T: std::fmt::Display>(v: impl Iterator<Item = T>, len: usize) -> String {
    let shown: Vec<String> = v.take(6).map(|x| format!("{x:.6}")).collect();
    let more = if len > 6 { ", …" } else { "" };
    format!("[{}{more}]", shown.join(", "))
}

impl std::fmt::Display for Matrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.view();
        write!(f, "Matrix({} × {})", v.nrows(), v.ncols())
    }
}

impl std::fmt::Display for Vector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Vector(len {}) {}",
            self.0.len(),
            preview(self.0.iter(), self.0.len())
        )
    }
}

impl std::fmt::Display for Labels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.view();
        let ones = v.iter().filter(|&&x| x == 1).count();
        write!(f, "Labels(len {}, {ones} anomalies)", v.len())
    }
}

impl DatasetRef {
    /// The one-row summary the REPL, notebooks and Jupyter show.
    pub fn summary_table(&self) -> Table {
        let d = &self.0;
        Table {
            header: [
                "dataset",
                "n",
                "d",
                "anomalies",
                "anomaly %",
                "source",
                "sha256",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![vec![
                d.name.clone(),
                d.n_samples().to_string(),
                d.n_features().to_string(),
                d.n_anomalies().to_string(),
                format!("{:.2}", 100.0 * d.anomaly_ratio()),
                d.source.clone(),
                d.sha256.chars().take(12).collect::<String>(),
            ]],
        }
    }
}

impl std::fmt::Display for DatasetRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.summary_table().render())
    }
}

impl SeriesRef {
    /// The one-row summary the REPL, notebooks and Jupyter show.
    pub fn summary_table(&self) -> Table {
        let s = &self.0;
        Table {
            header: [
                "series",
                "points",
                "channels",
                "training",
                "anomalous points",
                "ranges",
                "source",
                "sha256",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![vec![
                s.name.clone(),
                s.len().to_string(),
                s.n_channels().to_string(),
                s.training_values().map_or(0, |v| v.nrows()).to_string(),
                s.n_anomalous_points().to_string(),
                s.ranges().len().to_string(),
                s.source.clone(),
                s.sha256.chars().take(12).collect::<String>(),
            ]],
        }
    }
}

impl std::fmt::Display for SeriesRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.summary_table().render())
    }
}

impl std::fmt::Display for ProfileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.0;
        let finite = p.profile.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        write!(
            f,
            "MatrixProfile(m = {}, {} subsequences, distances {:.4}..{:.4})",
            p.m,
            p.profile.len(),
            lo,
            hi
        )
    }
}

impl std::fmt::Display for SplitRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.0.info;
        write!(
            f,
            "Split({} seed {}: train {}, test {})",
            i.protocol, i.seed, i.n_train, i.n_test
        )
    }
}

impl std::fmt::Display for ResultRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.0;
        let metrics: Vec<String> = crate::metrics::METRICS
            .iter()
            .zip(r.metrics.values())
            .map(|(m, v)| format!("{} {v:.4}", m.column))
            .collect();
        write!(
            f,
            "RunResult({} on {} seed {}: {})",
            r.model,
            r.dataset,
            r.seed,
            metrics.join(", ")
        )
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.render())
    }
}

/// How the REPL and notebooks show a value: anml types by their display
/// form (tables for datasets and tables), everything else as Rhai prints it.
pub fn display_value(v: &rhai::Dynamic) -> String {
    macro_rules! try_show {
        ($($t:ty),*) => {
            $(if let Some(x) = v.read_lock::<$t>() {
                return x.to_string();
            })*
        };
    }
    try_show!(
        DatasetRef, SplitRef, Matrix, Vector, Labels, ResultRef, Table, Runs
    );
    if let Some(c) = v.read_lock::<crate::compare::Comparison>() {
        return c.to_text();
    }
    if let Some(d) = v.read_lock::<crate::detectors::Detector>() {
        return format!("Detector({} {})", d.name(), d.all_params());
    }
    if let Some(f) = v.read_lock::<crate::detectors::FittedDetector>() {
        return format!(
            "FittedDetector({}, {} features, threshold {:.6})",
            f.name(),
            f.n_features(),
            f.decision_threshold()
        );
    }
    v.to_string()
}
