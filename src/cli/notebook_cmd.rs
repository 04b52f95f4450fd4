//! `anml notebook run`: parse flags, run the notebook through the library,
//! write the reports and the record, or check against the record.

use super::Outcome;
use super::args::{GlobalOpts, NotebookRunArgs};
use super::common::{host_with_output, safe_name};
use crate::error::Error;
use crate::notebook::{self, NotebookError, RenderOptions, Sidecar};
use crate::script::{Interrupt, ScriptError};
use std::path::Path;

fn write(path: &Path, text: &str) -> Result<(), NotebookError> {
    crate::atomic_file::write(path, text.as_bytes()).map_err(|source| NotebookError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub fn run(g: &GlobalOpts, a: &NotebookRunArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    let sidecar_path = a
        .sidecar
        .clone()
        .or_else(|| a.html.as_ref().map(|p| p.with_extension("json")))
        .or_else(|| a.md.as_ref().map(|p| p.with_extension("json")))
        .ok_or(NotebookError::NoOutput)?;
    if !(a.tolerance >= 0.0 && a.tolerance.is_finite()) {
        return Err(ScriptError::Failed(format!(
            "--tolerance must be a finite number >= 0, got {}",
            a.tolerance
        ))
        .into());
    }
    // Outputs are checked before any cell runs: none may replace the
    // notebook, another output or a file anml did not write.
    if !a.check {
        use notebook::paths::{OutputKind, check_outputs};
        let mut outputs = Vec::new();
        if let Some(p) = &a.html {
            outputs.push((OutputKind::Html, p.as_path()));
        }
        if let Some(p) = &a.md {
            outputs.push((OutputKind::Markdown, p.as_path()));
        }
        outputs.push((OutputKind::Record, sidecar_path.as_path()));
        check_outputs(&a.file, &outputs)?;
    }
    // Read the record first: a check against a missing record fails before
    // any cell runs.
    let recorded = if a.check {
        Some(Sidecar::read(&sidecar_path)?)
    } else {
        None
    };
    let source = std::fs::read_to_string(&a.file).map_err(|source| ScriptError::Read {
        path: a.file.clone(),
        source,
    })?;
    let cells = notebook::parse(&source)?;
    let experiment = a.experiment.clone().unwrap_or_else(|| {
        a.file
            .file_stem()
            .map_or_else(|| "notebook".into(), |s| s.to_string_lossy().into_owned())
    });
    let (sink, printed) = notebook::capturing_sink();
    let host = host_with_output(
        g,
        safe_name(&experiment),
        Some((&a.file, &source)),
        None,
        interrupt,
        Some(sink),
    )?;
    let name = a.file.display().to_string();
    let run = notebook::execute(&host, &printed, &name, &cells);
    let provenance = notebook::provenance(&name, &source, &host, &run);
    let record = Sidecar::new(provenance.clone(), &run);

    if let Some(recorded) = recorded {
        let report = notebook::compare(&recorded, &record, a.tolerance);
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
        if run.interrupted {
            eprintln!("interrupted (Ctrl-C): nothing compared");
            return Ok(Outcome::Interrupted);
        }
        // A run that stopped at a failing cell (one not marked `error:
        // true`) reproduces nothing after it, even when the record failed
        // the same way: never "check OK".
        let stopped = run.failed.and_then(|i| run.cells.get(i));
        if report.differences.is_empty() && stopped.is_none() {
            println!(
                "check OK: {} cells, {} numbers and {} texts agree with {} (tolerance {})",
                record.cells.len(),
                report.numbers,
                report.texts,
                sidecar_path.display(),
                a.tolerance
            );
            return Ok(Outcome::Success);
        }
        println!(
            "check FAILED: {} difference(s) from {} (tolerance {}):",
            report.differences.len(),
            sidecar_path.display(),
            a.tolerance
        );
        for d in &report.differences {
            println!("  {d}");
        }
        if let Some(c) = stopped {
            let not_run = record
                .cells
                .iter()
                .filter(|c| c.status == "not-run")
                .count();
            println!(
                "  cell {} failed (it is not marked `//| error: true`); {not_run} cell(s) after it did not run",
                c.cell.name()
            );
        }
        return Ok(Outcome::ChecksFailed);
    }

    let opts = RenderOptions { no_code: a.no_code };
    let mut written = Vec::new();
    if let Some(p) = &a.html {
        write(p, &notebook::html::render(&run, &provenance, &opts))?;
        written.push(p.display().to_string());
    }
    if let Some(p) = &a.md {
        let text = notebook::markdown::render(&run, &provenance, &opts, p)?;
        write(p, &text)?;
        written.push(p.display().to_string());
    }
    record.write(&sidecar_path)?;
    written.push(sidecar_path.display().to_string());

    let count = |s: notebook::CellStatus| run.cells.iter().filter(|c| c.status == s).count();
    eprintln!(
        "notebook {}: {} cells ({} ok, {} failed, {} not run) → {}",
        name,
        run.cells.len(),
        count(notebook::CellStatus::Ok),
        count(notebook::CellStatus::Error),
        count(notebook::CellStatus::NotRun),
        written.join(", ")
    );
    if run.interrupted {
        return Ok(Outcome::Interrupted);
    }
    if let Some(i) = run.failed {
        if let Some(e) = run.cells.get(i).and_then(|c| c.error.as_ref()) {
            eprint!("{e}");
        }
        eprintln!(
            "cell {} failed (mark it `//| error: true` to let the run go on)",
            run.cells[i].cell.name()
        );
        return Ok(Outcome::ChecksFailed);
    }
    Ok(Outcome::Success)
}
