//! `anml series list|profile` and the time-series suites of
//! `anml benchmark --suite nab|ucr`.

use super::Outcome;
use super::args::{BenchmarkArgs, GlobalOpts, ListArgs, ProfileArgs, SeriesCommand};
use super::commands::{parse_params, print_json, registry, safe_name, styled_table};
use crate::bench::series::{SeriesTask, SeriesTaskOutcome};
use crate::bench::{self, BenchError};
use crate::data::series_catalog::{SERIES, SERIES_NAMING_RULE, SeriesCollection, series_of};
use crate::data::{DataError, formats};
use crate::detectors::{DetectorError, matrix_profile};
use crate::error::Error;
use crate::results::ResultError;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

/// The models `--models all` means in a time-series suite.
pub const SERIES_SUITE_MODELS: &[&str] = &[
    "matrix_profile",
    "isolation_forest",
    "knn",
    "lof",
    "pca",
    "hbos",
];

pub fn series(g: &GlobalOpts, c: &SeriesCommand) -> Result<Outcome, Error> {
    match c {
        SeriesCommand::List(a) => list(g, a),
        SeriesCommand::Profile(a) => profile(g, a),
    }
}

fn list(g: &GlobalOpts, a: &ListArgs) -> Result<Outcome, Error> {
    let reg = registry(g)?;
    if a.json {
        let rows: Vec<Value> = SERIES
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "collection": s.collection.name(),
                    "n_points": s.n_points,
                    "n_channels": s.n_channels,
                    "n_anomalous_points": s.n_anomalous_points,
                    "files": s.layout.files().iter().map(|f| json!({"path": f.path, "sha256": f.sha256, "url": f.url})).collect::<Vec<_>>(),
                    "cached": s.layout.files().iter().all(|f| std::fs::metadata(reg.cache_path(f)).is_ok_and(|m| m.len() == f.bytes)),
                    "description": s.description,
                })
            })
            .collect();
        return print_json(&rows);
    }
    let mut t = styled_table(vec![
        "name",
        "points",
        "channels",
        "anomalous",
        "description",
    ]);
    for s in SERIES {
        t.add_row(vec![
            s.name.to_string(),
            s.n_points.to_string(),
            s.n_channels.to_string(),
            s.n_anomalous_points.to_string(),
            s.description.to_string(),
        ]);
    }
    println!("{t}");
    println!("{SERIES_NAMING_RULE}");
    Ok(Outcome::Success)
}

/// Read a univariate series from a .npy (1-D, or n × 1) or CSV file.
fn read_values(path: &Path) -> Result<Vec<f64>, Error> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        use ndarray_npy::ReadNpyExt;
        let bad = |e: String| DataError::Format {
            path: path.to_path_buf(),
            format: "NPY",
            message: e,
        };
        if let Ok(a) = ndarray::Array1::<f64>::read_npy(&bytes[..]) {
            return Ok(a.to_vec());
        }
        let a = ndarray::Array2::<f64>::read_npy(&bytes[..])
            .map_err(|e| bad(format!("expected a 1-D or n × 1 float64 array: {e}")))?;
        if a.ncols() != 1 {
            return Err(bad(format!(
                "array is {} × {}; expected one column",
                a.nrows(),
                a.ncols()
            ))
            .into());
        }
        return Ok(a.column(0).to_vec());
    }
    let parts = formats::series::read_csv(&bytes, path, &path.display().to_string())?;
    Ok(parts.values.column(0).to_vec())
}

fn profile(g: &GlobalOpts, a: &ProfileArgs) -> Result<Outcome, Error> {
    let (name, values) = match (&a.input, &a.series) {
        (Some(p), _) => (p.display().to_string(), read_values(p)?),
        (None, Some(s)) => {
            let ts = registry(g)?.load_series(s)?;
            let v = ts.univariate()?.to_vec();
            (ts.name, v)
        }
        (None, None) => unreachable!("clap requires --input or --series"),
    };
    if a.repeat == 0 {
        return Err(BenchError::Suite("--repeat must be at least 1".into()).into());
    }
    let mut seconds = Vec::with_capacity(a.repeat);
    let mut mp = None;
    for _ in 0..a.repeat {
        let t0 = Instant::now();
        let r = matrix_profile::self_join(&values, a.m).map_err(DetectorError::from)?;
        seconds.push(t0.elapsed().as_secs_f64());
        mp = Some(r);
    }
    let Some(mp) = mp else {
        unreachable!("repeat >= 1")
    };
    let top =
        matrix_profile::discords(&mp, a.discords.max(1), None).map_err(DetectorError::from)?;
    if let Some(out) = &a.output {
        use ndarray_npy::WriteNpyExt;
        let mut buf = Vec::new();
        ndarray::Array1::from(mp.profile.clone())
            .write_npy(&mut buf)
            .map_err(|e| BenchError::Suite(format!("cannot encode the profile: {e}")))?;
        crate::atomic_file::write(out, &buf).map_err(|source| ResultError::Io {
            path: out.clone(),
            source,
        })?;
    }
    if a.json {
        let v = json!({
            "series": name,
            "n": values.len(),
            "m": a.m,
            "threads": rayon::current_num_threads(),
            "seconds": seconds,
            "discords": top.iter().map(|d| json!({"index": d.index, "distance": d.distance})).collect::<Vec<_>>(),
        });
        println!("{v}");
        return Ok(Outcome::Success);
    }
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{name}: n = {}, m = {}, {} subsequences, {:.3} s (best of {}) on {} threads",
        values.len(),
        a.m,
        mp.profile.len(),
        best,
        a.repeat,
        rayon::current_num_threads()
    );
    let mut t = styled_table(vec!["rank", "index", "distance"]);
    for (i, d) in top.iter().enumerate() {
        t.add_row(vec![
            (i + 1).to_string(),
            d.index.to_string(),
            format!("{:.6}", d.distance),
        ]);
    }
    println!("{t}");
    Ok(Outcome::Success)
}

/// NAB's own corpus score per model: every series' scores scaled to
/// [0, 1], one threshold per profile optimised over all series (NAB's
/// scorer), normalised between the null (0) and perfect (100) detectors.
fn nab_corpus_table(
    reg: &crate::data::DatasetRegistry,
    outcomes: &[SeriesTaskOutcome],
    tasks: &[SeriesTask],
) -> Result<String, Error> {
    let mut windows = std::collections::BTreeMap::new();
    let mut corpora: Vec<(String, Vec<bench::series::NabItem>)> = Vec::new();
    for (o, t) in outcomes.iter().zip(tasks) {
        let Some((r, scores)) = o.completed() else {
            continue;
        };
        if !windows.contains_key(t.spec.name) {
            windows.insert(t.spec.name, reg.load_series_spec(t.spec)?.ranges());
        }
        let label = format!(
            "{} (seed {})",
            crate::results::label(&r.model, &r.variant),
            r.seed
        );
        let item = (
            bench::series::nab_scaled(scores),
            windows.get(t.spec.name).cloned().unwrap_or_default(),
        );
        match corpora.iter_mut().find(|(l, _)| *l == label) {
            Some((_, c)) => c.push(item),
            None => corpora.push((label, vec![item])),
        }
    }
    let mut md = String::from(
        "\nNAB corpus score (one threshold per profile over all series, as NAB's scorer):\n\n\
         | model | series | standard | reward_low_fp | reward_low_fn |\n|---|---|---|---|---|\n",
    );
    for (label, corpus) in &corpora {
        let s = bench::series::nab_corpus_scores(corpus)?;
        let f = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"));
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            corpus.len(),
            f(s.standard),
            f(s.reward_low_fp),
            f(s.reward_low_fn)
        ));
    }
    Ok(md)
}

/// `anml benchmark --suite nab|ucr`.
pub fn benchmark_series_suite(
    g: &GlobalOpts,
    a: &BenchmarkArgs,
    suite: &str,
) -> Result<Outcome, Error> {
    let collection = if suite == "nab" {
        SeriesCollection::Nab
    } else {
        SeriesCollection::Ucr
    };
    let models: Vec<String> = if a.models == "all" {
        SERIES_SUITE_MODELS.iter().map(|m| m.to_string()).collect()
    } else {
        a.models.split(',').map(|m| m.trim().to_string()).collect()
    };
    let params = parse_params(&a.params)?;
    if let Some((k, _)) = params.iter().find(|(_, v)| v.is_array()) {
        return Err(BenchError::Suite(format!(
            "--param {k}: parameter grids are for tabular suites; give one value"
        ))
        .into());
    }
    let members: Vec<_> = series_of(collection).collect();
    let picked: Vec<_> = if a.datasets == "all" {
        members
    } else {
        let mut v = Vec::new();
        for name in a.datasets.split(',').map(str::trim) {
            match members.iter().find(|s| s.name == name) {
                Some(s) => v.push(*s),
                None => {
                    let names: Vec<&str> = members.iter().map(|s| s.name).collect();
                    return Err(BenchError::Suite(format!(
                        "series `{name}` is not in the `{suite}` suite; it has: {}",
                        names.join(", ")
                    ))
                    .into());
                }
            }
        }
        v
    };
    let seeds = bench::parse_seeds(a.seeds.as_deref().unwrap_or("0"))?;
    // Every detector is validated before any data is loaded.
    for m in &models {
        bench::series::series_detector(m, &params, 0)?;
    }
    let experiment = safe_name(a.experiment.as_deref().unwrap_or(suite));
    let out_dir = match &a.output {
        Some(p) => p.clone(),
        None => g.workspace.join("results").join(&experiment),
    };
    let store = out_dir.join("series-runs");
    let mut tasks = Vec::new();
    for spec in &picked {
        for m in &models {
            for &seed in &seeds {
                tasks.push(SeriesTask {
                    spec,
                    model: m.clone(),
                    params: params.clone(),
                    seed,
                });
            }
        }
    }
    let ctx = bench::RunContext::cli(&experiment);
    let total = tasks.len();
    let outcomes = bench::series::run_series_suite(
        &registry(g)?,
        &tasks,
        &store,
        a.sweep.force,
        &ctx,
        |i, o| match o {
            SeriesTaskOutcome::Ran(r, _) => {
                eprintln!(
                    "[{}/{total}] {} {}: {:.2} s",
                    i + 1,
                    r.series,
                    r.model,
                    r.run_time
                )
            }
            SeriesTaskOutcome::Cached(r, _) => {
                eprintln!("[{}/{total}] {} {}: cached", i + 1, r.series, r.model)
            }
            SeriesTaskOutcome::Failed {
                series,
                model,
                error,
            } => {
                eprintln!("[{}/{total}] {series} {model}: FAILED: {error}", i + 1)
            }
        },
    );
    let results: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.completed().map(|(r, _)| r))
        .collect();
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            SeriesTaskOutcome::Failed {
                series,
                model,
                error,
            } => Some(format!("- `{series}` × `{model}`: {error}")),
            _ => None,
        })
        .collect();
    let (mut md, csv) = bench::series::series_leaderboard(&results);
    if collection == SeriesCollection::Nab && !results.is_empty() {
        md.push_str(&nab_corpus_table(&registry(g)?, &outcomes, &tasks)?);
    }
    let write = |name: &str, text: &str| -> Result<(), Error> {
        let p = out_dir.join(name);
        crate::atomic_file::write(&p, text.as_bytes())
            .map_err(|source| ResultError::Io { path: p, source })?;
        Ok(())
    };
    let title = format!(
        "# {suite} suite: {} series × {} model(s) × {} seed(s)\n\nMean per model over the series where a metric is defined.\n\n",
        picked.len(),
        models.len(),
        seeds.len()
    );
    write("leaderboard.md", &format!("{title}{md}"))?;
    write("leaderboard.csv", &csv)?;
    if !failures.is_empty() {
        write(
            "failures.md",
            &format!("# Failed runs\n\n{}\n", failures.join("\n")),
        )?;
    }
    println!("{md}");
    println!(
        "{} runs ({} failed); store {}; leaderboard.md, leaderboard.csv in {}",
        total,
        failures.len(),
        store.display(),
        out_dir.display()
    );
    if failures.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(BenchError::Suite(format!(
            "{} of {total} runs failed (listed in {})",
            failures.len(),
            out_dir.join("failures.md").display()
        ))
        .into())
    }
}
