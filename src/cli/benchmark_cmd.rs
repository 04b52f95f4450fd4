//! `anml benchmark`: one run (`--dataset D --model M`), filed in the run
//! store or written to `--output`, optionally published to the registry;
//! or a suite (`--suite odds|adbench|nab|ucr`), which is one sweep through
//! the library's engine: the same store, resume, `--jobs`, `--shard`,
//! `--force`, progress, reports and Ctrl-C for every suite.

use super::Outcome;
use super::args::{BenchmarkArgs, GlobalOpts};
use super::common::{parse_params, registry, safe_name, styled_table, sweep_options};
use crate::bench::{self, BenchError, Suite};
use crate::data::Protocol;
use crate::detectors::{Detector, DetectorError};
use crate::error::Error;
use crate::results::RunResult;
use crate::script::Interrupt;
use std::path::{Path, PathBuf};

pub fn run(g: &GlobalOpts, a: &BenchmarkArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    match &a.suite {
        Some(suite) => suite_run(g, a, Suite::parse(suite)?, interrupt),
        None => single(g, a),
    }
}

/// The `--threshold` method (clap has checked the name against the table).
fn threshold_method(a: &BenchmarkArgs) -> Result<Option<&'static str>, Error> {
    a.threshold
        .as_deref()
        .map(|name| crate::thresholds::method(name).map(|m| m.name))
        .transpose()
        .map_err(|e| BenchError::flag("--threshold", e.to_string()).into())
}

fn single(g: &GlobalOpts, a: &BenchmarkArgs) -> Result<Outcome, Error> {
    let dataset_name = a.dataset.as_deref().unwrap_or_default();
    let threshold = threshold_method(a)?;
    let model = a.model.as_deref().ok_or_else(|| DetectorError::BadParams {
        detector: "--model".into(),
        message: "a single run needs --model NAME (see `anml models`)".into(),
    })?;
    // Everything the flags name is checked before any data is loaded.
    let params = parse_params(&a.params)?;
    let detector = Detector::new(model, &params)?;
    let protocol = Protocol::parse(a.protocol.as_deref().unwrap_or("holdout60"))?;
    bench::refuse_replaced_contamination(
        protocol,
        params.contains_key("contamination"),
        "the detector's",
    )?;
    if a.sweep.slurm.slurm {
        return Err(BenchError::flag(
            "--slurm",
            "submits sweeps: a suite (--suite) or a script (anml sweep FILE.rhai --slurm); a single run runs here",
        )
        .into());
    }
    if a.sweep.force || a.sweep.shard.is_some() || a.sweep.jobs != 0 {
        return Err(BenchError::flag(
            "--force/--shard/--jobs",
            "these schedule suites (--suite) and scripts; a single run always runs, once",
        )
        .into());
    }
    // clap's `requires = "suite"` does not fire for these (they were
    // silently ignored: `--seeds 0-9` ran seed 0 alone)
    let suite_only = [
        ("--seeds", a.seeds.is_some()),
        ("--compare", a.compare.is_some()),
        ("--models", a.models != "all"),
        ("--datasets", a.datasets != "all"),
    ];
    if let Some((flag, _)) = suite_only.iter().find(|(_, given)| *given) {
        return Err(BenchError::flag(
            flag,
            "selects what a suite (--suite) runs; a single run takes --dataset, --model and --seed",
        )
        .into());
    }
    let publish = super::registry_cmd::publish_request(g, a)?;
    let reg = registry(g)?;
    let dataset = reg.load(dataset_name)?;
    let experiment = safe_name(a.experiment.as_deref().unwrap_or(dataset_name));
    let outcome = bench::with_epoch_bar(|| {
        bench::run(
            &dataset,
            &detector,
            protocol,
            a.seed,
            &bench::RunContext::cli(&experiment),
        )
    })?;
    let r = &outcome.result;

    let path: PathBuf = match &a.output {
        Some(p) => p.clone(),
        None => {
            let store = bench::RunStore::new(g.workspace.join("results").join(&experiment));
            // what a killed earlier run or sweep left half-written
            store.remove_stale_temp_files()?;
            store.path_of(&r.run_id)
        }
    };
    // Publish before writing the result: a registry that refuses the model
    // leaves no result behind that claims a finished, published run. The
    // result's directory is made first, so a place the result cannot go
    // fails before anything is published.
    if let Some(p) = &publish {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| crate::results::ResultError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        super::registry_cmd::publish_run(p, &outcome)?;
    }
    r.write(&path)?;

    let mut t = styled_table(RunResult::TABLE_HEADER.to_vec());
    t.add_row(r.table_row());
    println!("{t}");
    let method = threshold.unwrap_or(crate::thresholds::METHODS[0].name);
    match r.thresholds.get(method) {
        Some(m) => println!(
            "threshold {method}: {:.6} (F1 {:.4}, precision {:.4}, recall {:.4})",
            m.threshold, m.f1, m.precision, m.recall
        ),
        None => println!("threshold {method}: cannot be fitted on these training scores"),
    }
    println!(
        "result: {} (run_id {})",
        path.display(),
        bench::short_id(&r.run_id)
    );
    Ok(Outcome::Success)
}

fn suite_run(
    g: &GlobalOpts,
    a: &BenchmarkArgs,
    suite: Suite,
    interrupt: Interrupt,
) -> Result<Outcome, Error> {
    // Everything the flags name is checked before any data is loaded.
    let threshold = threshold_method(a)?;
    let spec = suite.sweep_spec(
        &a.datasets,
        &a.models,
        parse_params(&a.params)?,
        a.seeds.as_deref(),
        a.protocol.as_deref(),
    )?;
    if a.compare.is_some() && suite.is_series() {
        return Err(BenchError::flag(
            "--compare",
            "compares a tabular leaderboard's mean ROC-AUC with a reference table; \
             time-series suites have no reference table",
        )
        .into());
    }
    let experiment = safe_name(a.experiment.as_deref().unwrap_or(suite.name()));
    let out_dir = match &a.output {
        Some(p) => p.clone(),
        None => g.workspace.join("results").join(&experiment),
    };
    if a.sweep.slurm.slurm {
        if a.compare.is_some() {
            return Err(BenchError::flag(
                "--compare",
                "compares the whole leaderboard, which only exists once the merge job has run; \
                 then run this command again with --compare and without --slurm (every run is \
                 found in the store, none is repeated)",
            )
            .into());
        }
        // the flags before the data
        let options = super::slurm_cmd::check(&a.sweep, Some(bench::plan_size(&spec)?))?;
        return super::slurm_cmd::submit(
            g,
            &a.sweep,
            options,
            super::slurm_cmd::SweepToSubmit {
                experiment: &experiment,
                store: out_dir.clone(),
                // which grid points are stored already: a shard with
                // nothing left to run is not submitted
                stored: Some(if a.sweep.force {
                    vec![false; bench::plan_size(&spec)?]
                } else {
                    bench::stored_points(
                        &registry(g)?,
                        &spec,
                        &bench::RunContext::cli(&experiment),
                        &bench::RunStore::new(&out_dir),
                    )?
                }),
                task_args: Vec::new(),
                cancel: interrupt.flag(),
            },
        );
    }
    let reference = a
        .compare
        .as_deref()
        .map(bench::read_reference)
        .transpose()?;
    let mut opts = sweep_options(&a.sweep)?;
    opts.cancel = Some(interrupt.flag());
    opts.threshold = threshold;
    let ctx = bench::RunContext::cli(&experiment);
    let store = bench::RunStore::new(&out_dir);
    let outcome = match bench::run_sweep_with_progress(&registry(g)?, &spec, &opts, &ctx, &store) {
        Err(e @ BenchError::Interrupted { .. }) => {
            eprintln!("{e}");
            return Ok(Outcome::Interrupted);
        }
        other => other?,
    };

    print!("{}", outcome.reports.to_text());
    if let (Some(reference), Some(lb)) = (&reference, &outcome.reports.tabular) {
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
    report_sweep(&outcome, &store, opts.shard);
    if outcome.failed == 0 {
        Ok(Outcome::Success)
    } else {
        Err(BenchError::RunsFailed {
            failed: outcome.failed,
            total: outcome.records.len(),
            listed_in: out_dir.join("failures.md"),
        }
        .into())
    }
}

/// The closing lines of a sweep: counts, where the runs are, failures.
fn report_sweep(
    outcome: &bench::SweepOutcome,
    store: &bench::RunStore,
    shard: Option<bench::Shard>,
) {
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
        store.runs_dir().display()
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
