//! One function per subcommand. Each builds the real objects from the raw
//! flags (registry, workspace, detector), does the work through the library
//! and prints.

use super::Outcome;
use super::args::{
    BenchmarkArgs, Cli, Command, GlobalOpts, ListArgs, NotebookCommand, ResultsCommand, ScriptArgs,
    SweepFlags,
};
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
        Command::Benchmark(a) => benchmark(&cli.global, a, interrupt),
        Command::Script(a) => script(&cli.global, a, interrupt),
        Command::Datasets(a) => datasets(&cli.global, a),
        Command::Models(a) => models(a),
        Command::Repl(a) => super::repl::run(&cli.global, a, interrupt),
        Command::Results(ResultsCommand::Merge(a)) => super::results_cmd::merge(&cli.global, a),
        Command::Registry(a) => super::registry_cmd::registry(&cli.global, a),
        Command::Series(c) => super::series_cmd::series(&cli.global, c),
        Command::Notebook(NotebookCommand::Run(a)) => {
            super::notebook_cmd::run(&cli.global, a, interrupt)
        }
        Command::Perf(a) => super::perf_cmd::perf(&cli.global, a, interrupt),
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

/// The script host the flags describe. A script (`path`, `source`) puts
/// its SHA-256 into every run id and its path and git state into every
/// run's provenance.
pub(crate) fn host(
    g: &GlobalOpts,
    experiment: String,
    script: Option<(&Path, &str)>,
    sweep: Option<&SweepFlags>,
    interrupt: Interrupt,
) -> Result<Host, Error> {
    host_with_output(g, experiment, script, sweep, interrupt, None)
}

/// [`host`] with `print`/`debug` output sent to `sink` (stdout when `None`).
pub(crate) fn host_with_output(
    g: &GlobalOpts,
    experiment: String,
    script: Option<(&Path, &str)>,
    sweep: Option<&SweepFlags>,
    interrupt: Interrupt,
    sink: Option<crate::script::OutputSink>,
) -> Result<Host, Error> {
    let datasets = registry(g)?;
    let workspace = Workspace::new(&g.workspace, datasets.cache_dir())?;
    let mut ctx = HostContext::new(workspace, datasets, g.limits.to_limits(), &experiment);
    if let Some((path, source)) = script {
        let sha = crate::hashing::sha256_hex(source.as_bytes());
        ctx.run.script_sha256 = Some(sha.clone());
        ctx.run.provenance.script = Some(crate::results::ScriptInfo {
            path: path.display().to_string(),
            sha256: sha,
        });
        ctx.run.provenance.git = crate::results::git_info(path);
    }
    if let Some(f) = sweep {
        ctx.sweep = sweep_options(f)?;
    }
    ctx.sweep.cancel = Some(interrupt.flag());
    Ok(Host::with_output(ctx, interrupt, sink))
}

/// The scheduling flags as sweep options.
fn sweep_options(f: &SweepFlags) -> Result<bench::SweepOptions, Error> {
    Ok(bench::SweepOptions {
        jobs: f.jobs,
        force: f.force,
        shard: f.shard.as_deref().map(bench::Shard::parse).transpose()?,
        cancel: None,
    })
}

pub(crate) fn styled_table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// Pretty-print a JSON listing (`--json`).
pub(crate) fn print_json(list: &[Value]) -> Result<Outcome, Error> {
    println!("{}", serde_json::to_string_pretty(list).unwrap_or_default());
    Ok(Outcome::Success)
}

/// `NAME=VALUE` pairs into a params map; VALUE is JSON, else a string.
pub(crate) fn parse_params(pairs: &[String]) -> Result<Map<String, Value>, DetectorError> {
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
/// A file-system-safe experiment name: ASCII letters, digits, `-_.`, not
/// starting with `.` (so never `.` or `..`), and never empty.
pub(crate) fn safe_name(s: &str) -> String {
    let name: String = s
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if c.is_ascii_alphanumeric() || "-_".contains(c) || (c == '.' && i > 0) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "default".to_string()
    } else {
        name
    }
}

fn benchmark(g: &GlobalOpts, a: &BenchmarkArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    if let Some(suite) = &a.suite {
        return benchmark_suite(g, a, suite, interrupt);
    }
    let dataset_name = a.dataset.as_deref().unwrap_or_default();
    let model = a.model.as_deref().ok_or_else(|| DetectorError::BadParams {
        detector: "--model".into(),
        message: "a single run needs --model NAME (see `anml models`)".into(),
    })?;
    // Everything the flags name is checked before any data is loaded.
    let detector = Detector::new(model, &parse_params(&a.params)?)?;
    let protocol = Protocol::parse(&a.protocol)?;
    if a.sweep.force || a.sweep.shard.is_some() {
        return Err(bench::BenchError::Suite(
            "--force and --shard apply to suites (--suite) and scripts; a single run always runs"
                .into(),
        )
        .into());
    }
    let publish = super::registry_cmd::publish_request(g, a)?;
    let reg = registry(g)?;
    let dataset = reg.load(dataset_name)?;
    let experiment = safe_name(a.experiment.as_deref().unwrap_or(dataset_name));
    let outcome = bench::run(
        &dataset,
        &detector,
        protocol,
        a.seed,
        &bench::RunContext::cli(&experiment),
    )?;
    let r = &outcome.result;

    let path: PathBuf = match &a.output {
        Some(p) => p.clone(),
        None => {
            bench::RunStore::new(g.workspace.join("results").join(&experiment)).path_of(&r.run_id)
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

fn benchmark_suite(
    g: &GlobalOpts,
    a: &BenchmarkArgs,
    suite: &str,
    interrupt: Interrupt,
) -> Result<Outcome, Error> {
    if matches!(suite, "nab" | "ucr") {
        return super::series_cmd::benchmark_series_suite(g, a, suite);
    }
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
    let experiment = safe_name(a.experiment.as_deref().unwrap_or(suite));
    let spec = bench::SweepSpec {
        datasets,
        models,
        params: parse_params(&a.params)?,
        seeds: bench::parse_seeds(a.seeds.as_deref().unwrap_or("0-9"))?,
        protocol: Protocol::parse(&a.protocol)?,
    };
    let mut opts = sweep_options(&a.sweep)?;
    opts.cancel = Some(interrupt.flag());
    let ctx = bench::RunContext::cli(&experiment);
    let store = bench::RunStore::new(&out_dir);
    let outcome = match bench::run_sweep_with_progress(&registry(g)?, &spec, &opts, &ctx, &store) {
        Err(e @ bench::BenchError::Interrupted { .. }) => {
            eprintln!("{e}");
            return Ok(Outcome::Interrupted);
        }
        other => other?,
    };

    let results = outcome.results();
    let failures = outcome.failures();
    let lb = bench::write_reports(&out_dir, &results, &failures)?;
    println!("{}", lb.to_table());
    if let Some(reference) = &reference {
        let rows = lb.compare(reference);
        println!(
            "compared with {}:",
            a.compare.as_deref().unwrap_or(Path::new("")).display()
        );
        println!("{}", bench::comparison_table(&rows));
        let p = out_dir.join("comparison.md");
        crate::atomic_file::write(&p, bench::comparison_markdown(&rows).as_bytes())
            .map_err(|source| crate::results::ResultError::Io { path: p, source })?;
    }
    report_sweep(&outcome, &out_dir, opts.shard);
    if outcome.failed == 0 {
        Ok(Outcome::Success)
    } else {
        Err(bench::BenchError::Suite(format!(
            "{} of {} runs failed (listed in {})",
            outcome.failed,
            outcome.records.len(),
            out_dir.join("failures.md").display()
        ))
        .into())
    }
}

/// The closing lines of a sweep: counts, where the runs are, failures.
fn report_sweep(outcome: &bench::SweepOutcome, dir: &Path, shard: Option<bench::Shard>) {
    let part = match shard {
        Some(s) => format!(
            "shard {}/{}: {} of the grid's {} runs",
            s.index,
            s.count,
            outcome.records.len(),
            outcome.grid_size
        ),
        None => format!("{} runs", outcome.records.len()),
    };
    println!(
        "{part}: {} (store {}; leaderboard.md, leaderboard.csv)",
        outcome.summary(),
        dir.join("runs").display()
    );
    for why in &outcome.replaced_invalid {
        eprintln!("warning: replaced an invalid run file: {why}");
    }
    for f in outcome.failures() {
        eprintln!(
            "failed: {} {} seed {}: {}",
            f.dataset,
            crate::results::label(&f.model, &f.variant),
            f.seed,
            f.error
        );
    }
}

fn script(g: &GlobalOpts, a: &ScriptArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    let source = std::fs::read_to_string(&a.file).map_err(|source| ScriptError::Read {
        path: a.file.clone(),
        source,
    })?;
    let experiment = a.experiment.clone().unwrap_or_else(|| stem(&a.file));
    let host = host(
        g,
        safe_name(&experiment),
        Some((&a.file, &source)),
        Some(&a.sweep),
        interrupt,
    )?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn experiment_names_stay_inside_results() {
        assert_eq!(super::safe_name(""), "default");
        assert_eq!(super::safe_name(".."), "_.");
        assert_eq!(super::safe_name("a/b c"), "a_b_c");
        assert_eq!(super::safe_name("odds.v2"), "odds.v2");
    }
}
