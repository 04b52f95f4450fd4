//! The files a sweep (or a merge) leaves beside its runs, built from the
//! records in grid order, so a merged set of shards writes the same tables
//! as one unsharded run (apart from time columns):
//!
//! - tabular runs: `leaderboard.md` / `leaderboard.csv` (mean ± std per
//!   dataset and model); the Markdown ends with the statistical comparison
//!   of the models by ROC-AUC at α = 0.05 (`crate::compare`: Friedman,
//!   Nemenyi CD and groups, pairwise Wilcoxon/Holm), or one line saying why
//!   there is none (fewer than 2 models or 2 complete datasets);
//! - time-series runs: the mean of each metric per model over the series,
//!   plus NAB's corpus score (one threshold per profile over all series)
//!   for runs scored under NAB's protocol. They go to `leaderboard.md` /
//!   `.csv` too, or to `series-leaderboard.md` / `.csv` when the store also
//!   holds tabular runs;
//! - `failures.md` when runs failed (either kind), removed when none did.

use super::leaderboard::series_leaderboard;
use super::store::RunStore;
use super::{BenchError, Leaderboard};
use crate::metrics::{NabItem, nab_corpus_scores, nab_scaled};
use crate::results::{FailedRun, ResultError, RunResult, SeriesRunResult, StoredRun};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> Result<(), BenchError> {
    let p = dir.join(name);
    crate::atomic_file::write(&p, text.as_bytes())
        .map_err(|source| BenchError::Result(ResultError::Io { path: p, source }))
}

fn remove(dir: &Path, name: &str) -> Result<(), BenchError> {
    let p = dir.join(name);
    match std::fs::remove_file(&p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(BenchError::Result(ResultError::Io { path: p, source })),
    }
}

/// A series' label windows (inclusive point ranges) by name, for NAB's
/// corpus score.
pub type WindowsOf<'a> = &'a dyn Fn(&str) -> Result<Vec<(usize, usize)>, BenchError>;

/// Markdown list of failures, one line each.
pub fn failures_markdown(failures: &[&FailedRun]) -> String {
    let mut s = String::from(
        "# Failed runs\n\n| dataset | model | variant | seed | error |\n|---|---|---|---|---|\n",
    );
    for f in failures {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            f.dataset,
            f.model,
            f.variant,
            f.seed,
            f.error.replace('|', "\\|").replace('\n', " ")
        ));
    }
    s
}

/// What a set of records summarises to.
#[derive(Debug, Clone, Default)]
pub struct Reports {
    /// The tabular leaderboard (also written when there is no record of
    /// either kind, so a store always has one).
    pub tabular: Option<Leaderboard>,
    /// The time-series leaderboard as Markdown (with the NAB corpus table
    /// when NAB runs are among the records).
    pub series: Option<String>,
}

impl Reports {
    /// Everything for the terminal: the tabular table, then the
    /// time-series Markdown.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if let Some(lb) = &self.tabular {
            s.push_str(&lb.to_table().to_string());
            s.push('\n');
        }
        if let Some(md) = &self.series {
            s.push_str(md);
        }
        s
    }
}

/// NAB's own corpus score per model (label and seed): every series' scores
/// scaled to [0, 1], one threshold per profile optimised over all series
/// (NAB's scorer), normalised between the null (0) and perfect (100)
/// detectors. Runs without NAB scores are left out; `None` when none has.
fn nab_corpus_markdown(
    store: &RunStore,
    runs: &[&SeriesRunResult],
    windows: WindowsOf<'_>,
) -> Result<Option<String>, BenchError> {
    let mut corpora: Vec<(String, Vec<NabItem>)> = Vec::new();
    for r in runs.iter().filter(|r| r.metrics.nab.is_some()) {
        let label = format!(
            "{} (seed {})",
            crate::results::label(&r.model, &r.variant),
            r.seed
        );
        let item = (
            nab_scaled(&store.read_scores(&r.run_id)?),
            windows(&r.series)?,
        );
        match corpora.iter_mut().find(|(l, _)| *l == label) {
            Some((_, c)) => c.push(item),
            None => corpora.push((label, vec![item])),
        }
    }
    if corpora.is_empty() {
        return Ok(None);
    }
    let mut md = String::from(
        "\nNAB corpus score (one threshold per profile over all series, as NAB's scorer):\n\n\
         | model | series | standard | reward_low_fp | reward_low_fn |\n|---|---|---|---|---|\n",
    );
    for (label, corpus) in &corpora {
        let s = nab_corpus_scores(corpus).map_err(|source| BenchError::Metric {
            dataset: format!("NAB corpus of {label}"),
            seed: 0,
            source,
        })?;
        let f = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"));
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            corpus.len(),
            f(s.standard),
            f(s.reward_low_fp),
            f(s.reward_low_fn)
        ));
    }
    Ok(Some(md))
}

/// The leaderboard's "Statistical comparison" section: Demšar's tests on
/// the default metric and α, or the reason there are none.
pub fn comparison_markdown(records: &[StoredRun]) -> String {
    use crate::compare::{DEFAULT_ALPHA, DEFAULT_METRIC, compare_records};
    match compare_records(records, DEFAULT_METRIC, DEFAULT_ALPHA) {
        Ok(c) => c.to_markdown(),
        Err(e) => format!("## Statistical comparison\n\nNot computed: {e}.\n"),
    }
}

/// Write the reports of `records` into the store's directory and return
/// them for printing. `windows` gives a series' label windows (for NAB's
/// corpus score); time-series point scores are read from the store.
/// `threshold` is the threshold method whose F1, precision and recall the
/// tabular leaderboard shows (`None`: `contamination`).
pub fn write_reports(
    store: &RunStore,
    records: &[StoredRun],
    threshold: Option<&'static str>,
    windows: WindowsOf<'_>,
) -> Result<Reports, BenchError> {
    let dir = store.dir();
    let tabular: Vec<RunResult> = records.iter().filter_map(|r| r.as_ok().cloned()).collect();
    let series: Vec<&SeriesRunResult> = records.iter().filter_map(StoredRun::as_series).collect();
    let failures: Vec<&FailedRun> = records.iter().filter_map(StoredRun::as_failed).collect();
    let mut reports = Reports::default();
    if !tabular.is_empty() || series.is_empty() {
        let lb = Leaderboard::with_threshold(&tabular, threshold);
        let md = format!("{}\n{}", lb.to_markdown(), comparison_markdown(records));
        write(dir, "leaderboard.md", &md)?;
        let csv = lb.to_csv().map_err(|e| BenchError::Encode {
            what: "the leaderboard CSV",
            message: e.to_string(),
        })?;
        write(dir, "leaderboard.csv", &csv)?;
        reports.tabular = Some(lb);
    }
    if !series.is_empty() {
        let (mut md, csv) = series_leaderboard(&series);
        if let Some(nab) = nab_corpus_markdown(store, &series, windows)? {
            md.push_str(&nab);
        }
        let stem = if tabular.is_empty() {
            "leaderboard"
        } else {
            "series-leaderboard"
        };
        let title = "Mean per model over the series where a metric is defined.\n\n";
        write(dir, &format!("{stem}.md"), &format!("{title}{md}"))?;
        write(dir, &format!("{stem}.csv"), &csv)?;
        reports.series = Some(md);
    }
    if failures.is_empty() {
        remove(dir, "failures.md")?;
    } else {
        write(dir, "failures.md", &failures_markdown(&failures))?;
    }
    Ok(reports)
}
