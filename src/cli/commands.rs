//! One function per subcommand. Each builds the real objects from the raw
//! flags (registry, workspace, detector), does the work through the library
//! and prints.

use super::Outcome;
use super::args::{BenchmarkArgs, Cli, Command, GlobalOpts, ListArgs, ScriptArgs};
use crate::bench;
use crate::data::{DatasetRegistry, Protocol, catalog};
use crate::detectors::{DETECTORS, Detector, DetectorError};
use crate::error::Error;
use crate::results::RunResult;
use crate::script::{Host, HostContext, Interrupt, ScriptError};
use crate::workspace::Workspace;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// Run the parsed command line.
pub fn run(cli: Cli, interrupt: Interrupt) -> Result<Outcome, Error> {
    match &cli.command {
        Command::Benchmark(a) => benchmark(&cli.global, a),
        Command::Script(a) => script(&cli.global, a, interrupt),
        Command::Datasets(a) => datasets(&cli.global, a),
        Command::Models(a) => models(a),
        Command::Repl(a) => super::repl::run(&cli.global, a, interrupt),
        Command::Registry(a) => super::registry_cmd::registry(&cli.global, a),
    }
}

/// The dataset registry the flags describe.
pub(crate) fn registry(g: &GlobalOpts) -> Result<DatasetRegistry, Error> {
    let reg = match &g.data_dir {
        Some(dir) => DatasetRegistry::new(dir.clone()),
        None => DatasetRegistry::from_env()?,
    };
    Ok(reg
        .with_mirror(g.data_mirror.clone())
        .with_download(!g.offline))
}

/// The script host the flags describe.
pub(crate) fn host(
    g: &GlobalOpts,
    experiment: String,
    interrupt: Interrupt,
) -> Result<Host, Error> {
    let datasets = registry(g)?;
    let workspace = Workspace::new(&g.workspace, datasets.cache_dir())?;
    let ctx = HostContext {
        workspace,
        datasets,
        limits: g.limits.to_limits(),
        experiment,
    };
    Ok(Host::new(ctx, interrupt))
}

fn styled_table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// Pretty-print a JSON listing (`--json`).
fn print_json(list: &[Value]) -> Result<Outcome, Error> {
    println!("{}", serde_json::to_string_pretty(list).unwrap_or_default());
    Ok(Outcome::Success)
}

/// `NAME=VALUE` pairs into a params map; VALUE is JSON, else a string.
fn parse_params(pairs: &[String]) -> Result<Map<String, Value>, DetectorError> {
    let mut m = Map::new();
    for p in pairs {
        let (k, v) = p.split_once('=').ok_or_else(|| DetectorError::BadParams {
            detector: "--param".into(),
            message: format!("`{p}` is not NAME=VALUE"),
        })?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
        m.insert(k.trim().to_string(), value);
    }
    Ok(m)
}

/// A file-system-safe experiment name.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn benchmark(g: &GlobalOpts, a: &BenchmarkArgs) -> Result<Outcome, Error> {
    if let Some(suite) = &a.suite {
        return benchmark_suite(g, a, suite);
    }
    let dataset_name = a.dataset.as_deref().unwrap_or_default();
    let model = a.model.as_deref().ok_or_else(|| DetectorError::BadParams {
        detector: "--model".into(),
        message: "a single run needs --model NAME (see `anml models`)".into(),
    })?;
    // Everything the flags name is checked before any data is loaded.
    let detector = Detector::new(model, &parse_params(&a.params)?)?;
    let protocol = Protocol::parse(&a.protocol)?;
    let publish = super::registry_cmd::publish_request(g, a)?;
    let reg = registry(g)?;
    let dataset = reg.load(dataset_name)?;
    let outcome = bench::run(&dataset, &detector, protocol, a.seed)?;
    let r = &outcome.result;

    let path: PathBuf = match &a.output {
        Some(p) => p.clone(),
        None => {
            let exp = safe_name(a.experiment.as_deref().unwrap_or(dataset_name));
            g.workspace
                .join("results")
                .join(exp)
                .join(format!("{}.json", r.model))
        }
    };
    r.write(&path)?;

    let mut t = styled_table(RunResult::TABLE_HEADER.to_vec());
    t.add_row(r.table_row());
    println!("{t}");
    println!("result: {} (run_id {})", path.display(), &r.run_id[..16]);
    if let Some(p) = &publish {
        super::registry_cmd::publish_run(p, &outcome)?;
    }
    Ok(Outcome::Success)
}

fn benchmark_suite(g: &GlobalOpts, a: &BenchmarkArgs, suite: &str) -> Result<Outcome, Error> {
    let collection = match suite {
        "odds" => catalog::Collection::Odds,
        _ => catalog::Collection::Adbench,
    };
    let models: Vec<String> = if a.models == "all" {
        DETECTORS.iter().map(|s| s.name.to_string()).collect()
    } else {
        a.models.split(',').map(|m| m.trim().to_string()).collect()
    };
    let out_dir = match &a.output {
        Some(p) => p.clone(),
        None => g
            .workspace
            .join("results")
            .join(safe_name(a.experiment.as_deref().unwrap_or(suite))),
    };
    let in_collection: Vec<String> = catalog::DATASETS
        .iter()
        .filter(|s| s.collection == collection)
        .map(|s| s.name.to_string())
        .collect();
    let datasets = if a.datasets == "all" {
        in_collection
    } else {
        let picked: Vec<String> = a
            .datasets
            .split(',')
            .map(|d| d.trim().to_string())
            .collect();
        if let Some(bad) = picked.iter().find(|d| !in_collection.contains(d)) {
            return Err(bench::BenchError::Suite(format!(
                "dataset `{bad}` is not in the `{suite}` suite; it has: {}",
                in_collection.join(", ")
            ))
            .into());
        }
        picked
    };
    // The reference is read before any run, so a bad file fails fast.
    let reference = match &a.compare {
        None => None,
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|source| crate::results::ResultError::Io {
                    path: p.clone(),
                    source,
                })?;
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| bench::BenchError::Suite(format!("--compare {}: {e}", p.display())))?;
            Some(
                bench::ReferenceTable::from_json(&v).map_err(|e| {
                    bench::BenchError::Suite(format!("--compare {}: {e}", p.display()))
                })?,
            )
        }
    };
    let spec = bench::SuiteSpec {
        datasets,
        models,
        seeds: bench::parse_seeds(&a.seeds)?,
        protocol: Protocol::parse(&a.protocol)?,
        out_dir: out_dir.clone(),
        jobs: a.jobs,
    };
    let total = spec.datasets.len() * spec.models.len() * spec.seeds.len();
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} runs, {msg} [{elapsed_precise}, ETA {eta}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let outcome = bench::run_suite(&registry(g)?, &spec, &|ds, model, seed, ok| {
        if !ok {
            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        bar.set_message(format!(
            "{} failed; last {ds} {model} seed {seed}",
            failed.load(std::sync::atomic::Ordering::Relaxed)
        ));
        bar.inc(1);
    })?;
    bar.finish();

    let lb = bench::Leaderboard::new(&outcome.results);
    println!("{}", lb.to_table());
    let write = |name: &str, text: &str| {
        let p = out_dir.join(name);
        crate::atomic_file::write(&p, text.as_bytes())
            .map_err(|source| crate::results::ResultError::Io { path: p, source })
    };
    write("leaderboard.md", &lb.to_markdown())?;
    let csv = lb
        .to_csv()
        .map_err(|e| bench::BenchError::Suite(format!("leaderboard CSV: {e}")))?;
    write("leaderboard.csv", &csv)?;
    if let Some(reference) = &reference {
        let rows = lb.compare(reference);
        println!(
            "compared with {}:",
            a.compare.as_deref().unwrap_or(Path::new("")).display()
        );
        println!("{}", bench::comparison_table(&rows));
        write("comparison.md", &bench::comparison_markdown(&rows))?;
    }
    println!(
        "{} runs written under {} (leaderboard.md, leaderboard.csv)",
        outcome.results.len(),
        out_dir.display()
    );
    if outcome.failures.is_empty() {
        return Ok(Outcome::Success);
    }
    for f in &outcome.failures {
        eprintln!(
            "failed: {} {} seed {}: {}",
            f.dataset, f.model, f.seed, f.error
        );
    }
    Err(
        bench::BenchError::Suite(format!("{} of {total} runs failed", outcome.failures.len()))
            .into(),
    )
}

fn script(g: &GlobalOpts, a: &ScriptArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    let source = std::fs::read_to_string(&a.file).map_err(|source| ScriptError::Read {
        path: a.file.clone(),
        source,
    })?;
    let experiment = a.experiment.clone().unwrap_or_else(|| stem(&a.file));
    let host = host(g, safe_name(&experiment), interrupt)?;
    match host.run(&a.file.display().to_string(), &source) {
        Ok(_) => Ok(Outcome::Success),
        Err(ScriptError::Interrupted(msg)) => {
            eprint!("{msg}");
            Ok(Outcome::Interrupted)
        }
        Err(e) => Err(e.into()),
    }
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "script".into())
}

fn datasets(g: &GlobalOpts, a: &ListArgs) -> Result<Outcome, Error> {
    let reg = registry(g)?;
    if a.json {
        let list: Vec<Value> = catalog::DATASETS
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "n_samples": s.n_samples,
                    "n_features": s.n_features,
                    "n_anomalies": s.n_anomalies,
                    "source": s.collection.name(),
                    "cached": reg.is_cached(s),
                    "sha256": s.file.as_ref().map(|f| f.sha256),
                    "url": s.file.as_ref().map(|f| f.url),
                })
            })
            .collect();
        return print_json(&list);
    }
    let mut t = styled_table(vec![
        "name",
        "n",
        "d",
        "anomalies",
        "anomaly %",
        "source",
        "cached",
    ]);
    for s in catalog::DATASETS {
        t.add_row(vec![
            s.name.to_string(),
            s.n_samples.to_string(),
            s.n_features.to_string(),
            s.n_anomalies.to_string(),
            format!(
                "{:.2}",
                100.0 * s.n_anomalies as f64 / s.n_samples.max(1) as f64
            ),
            s.collection.name().to_string(),
            if s.file.is_none() {
                "built-in".to_string()
            } else if reg.is_cached(s) {
                "yes".to_string()
            } else {
                "no".to_string()
            },
        ]);
    }
    println!("{t}");
    println!("{}", catalog::NAMING_RULE);
    println!("cache: {}", reg.cache_dir().display());
    if let Some(m) = reg.mirror() {
        println!("mirror: {}", m.display());
    }
    Ok(Outcome::Success)
}

fn models(a: &ListArgs) -> Result<Outcome, Error> {
    if a.json {
        let list: Vec<Value> = DETECTORS
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "version": s.version,
                    "summary": s.summary,
                    "reference": s.reference,
                    "stochastic": s.stochastic,
                    "example": s.example,
                    "defaults": s.default_params(),
                    "params": s.params.iter().map(|p| json!({"name": p.name, "doc": p.doc})).collect::<Vec<_>>(),
                })
            })
            .collect();
        return print_json(&list);
    }
    let mut t = styled_table(vec![
        "name",
        "version",
        "stochastic",
        "parameters (defaults)",
        "summary",
    ]);
    for s in DETECTORS {
        let defaults = s.default_params();
        let mut params: Vec<String> = s
            .params
            .iter()
            .map(|p| {
                format!(
                    "{} = {}",
                    p.name,
                    defaults.get(p.name).unwrap_or(&Value::Null)
                )
            })
            .collect();
        params.push(format!(
            "contamination = {}",
            crate::detectors::DEFAULT_CONTAMINATION
        ));
        t.add_row(vec![
            s.name.to_string(),
            s.version.to_string(),
            if s.stochastic { "yes (seed)" } else { "no" }.to_string(),
            params.join("\n"),
            format!("{}\n{}", s.summary, s.reference),
        ]);
    }
    println!("{t}");
    for s in DETECTORS {
        println!("\n{}:", s.name);
        for p in s.params {
            println!("  {:<14} {}", p.name, p.doc);
        }
        println!(
            "  {:<14} expected fraction of anomalies, sets the predict threshold; (0, 0.5]",
            "contamination"
        );
        println!("  example:");
        for line in s.example.lines() {
            println!("    {line}");
        }
    }
    Ok(Outcome::Success)
}
