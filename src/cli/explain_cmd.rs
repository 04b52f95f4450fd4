//! `anml explain --model NAME@VER --row I`: load a published model
//! (digest-checked), rebuild the row as the model's training rows were
//! scaled (`bench::explain`), and print its per-feature explanation as a
//! table or JSON, optionally saving a bar chart.

use super::Outcome;
use super::args::{ExplainArgs, GlobalOpts};
use super::common::{registry, styled_table};
use crate::bench::BenchError;
use crate::bench::explain::explain_published;
use crate::error::Error;
use crate::plot::{BarsPlot, Plot};
use serde_json::json;

/// Bars drawn by `--plot` when `--top` is not given.
const DEFAULT_PLOT_TOP: usize = 10;

pub fn run(g: &GlobalOpts, a: &ExplainArgs) -> Result<Outcome, Error> {
    if let Some(path) = &a.plot {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("svg" | "png")) {
            return Err(BenchError::flag(
                "--plot",
                format!("{} must end in .svg or .png", path.display()),
            )
            .into());
        }
    }
    let models = super::registry_cmd::open(g)?;
    let (fitted, meta) = models.load(&a.model)?;
    let datasets = registry(g)?;
    let name = a.dataset.clone().or_else(|| meta.dataset.clone()).ok_or_else(|| {
        BenchError::flag(
            "--model",
            format!(
                "model {} records no training dataset, so the scaling its input needs is unknown",
                meta.id()
            ),
        )
    })?;
    let ds = datasets.load(&name)?;
    let e = explain_published(&fitted, &meta, &ds, a.row)?;
    let top = a.top.map(|t| usize::try_from(t).unwrap_or(usize::MAX));
    let ranked = e.ranked(top);
    if a.json {
        let features: Vec<_> = ranked
            .iter()
            .map(|f| {
                json!({
                    "index": f.index,
                    "feature": f.label(),
                    "contribution": f.contribution,
                    "share": e.share(f),
                })
            })
            .collect();
        let out = json!({
            "model": meta.id(),
            "detector": fitted.name(),
            "dataset": ds.name,
            "row": a.row,
            "method": e.method.as_str(),
            "score": e.score,
            "sum": e.total(),
            "features": features,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        println!(
            "{} ({}) on {} row {}: score {} ({})",
            meta.id(),
            fitted.name(),
            ds.name,
            a.row,
            e.score,
            e.method
        );
        let mut t = styled_table(vec!["feature", "contribution", "share"]);
        for f in &ranked {
            t.add_row(vec![
                f.label(),
                format!("{:.6}", f.contribution),
                format!("{:.4}", e.share(f)),
            ]);
        }
        println!("{t}");
    }
    if let Some(path) = &a.plot {
        let mut bars =
            BarsPlot::from_explanation(&e, fitted.name(), Some(top.unwrap_or(DEFAULT_PLOT_TOP)));
        bars.title = format!("{} on {} row {}: {}", meta.id(), ds.name, a.row, bars.title);
        Plot::Bars(bars).save(path)?;
        if !a.json {
            println!("wrote {}", path.display());
        }
    }
    Ok(Outcome::Success)
}
