//! `anml notebook run`: parse flags, run the notebook (a percent-format
//! `.rhai` or a Jupyter `.ipynb`) through the library, write the reports,
//! the record and the executed `.ipynb`, or check against the record.
//! `anml notebook convert`: percent format ↔ `.ipynb`.

use super::Outcome;
use super::args::{GlobalOpts, NotebookConvertArgs, NotebookFormat, NotebookRunArgs};
use super::common::{host_with_output, safe_name};
use crate::error::Error;
use crate::notebook::{self, NotebookError, RenderOptions, Sidecar, ipynb};
use crate::script::{Interrupt, ScriptError};
use std::path::{Path, PathBuf};

fn write(path: &Path, text: &str) -> Result<(), NotebookError> {
    crate::atomic_file::write(path, text.as_bytes()).map_err(|source| NotebookError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A percent-format notebook's text, read as the REPL's `:load` reads a
/// script: a regular file of at most `--max-string-size` bytes (a FIFO or
/// `/dev/zero` would block or never end).
fn read_percent(path: &Path, g: &GlobalOpts) -> Result<String, Error> {
    super::repl::read_script(path, g.limits.to_limits().max_string_size)
        .map_err(|e| ScriptError::Failed(format!("error: {e}\n")).into())
}

pub fn run(g: &GlobalOpts, a: &NotebookRunArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    let is_ipynb = ipynb::is_ipynb_path(&a.file);
    let sidecar_path = a
        .sidecar
        .clone()
        .or_else(|| a.html.as_ref().map(|p| p.with_extension("json")))
        .or_else(|| a.md.as_ref().map(|p| p.with_extension("json")));
    // Something to write, or (with --check) a record to compare: a
    // sidecar, or the one an executed .ipynb carries.
    let has_target = if a.check {
        sidecar_path.is_some() || is_ipynb
    } else {
        sidecar_path.is_some() || a.ipynb.is_some()
    };
    if !has_target {
        return Err(NotebookError::NoOutput.into());
    }
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
        if let Some(p) = &sidecar_path {
            outputs.push((OutputKind::Record, p.as_path()));
        }
        if let Some(p) = &a.ipynb {
            outputs.push((OutputKind::Ipynb, p.as_path()));
        }
        check_outputs(&a.file, &outputs)?;
    }
    // The file as given and its percent text (what runs, and what the
    // provenance and run ids hash): the same for a .rhai, converted for an
    // .ipynb — so a notebook's .rhai and .ipynb forms, clean or executed,
    // have one fingerprint and share their runs.
    let given = if is_ipynb {
        ipynb::read_file(&a.file)?
    } else {
        read_percent(&a.file, g)?
    };
    let source = if is_ipynb {
        let (text, notes) = ipynb::from_ipynb_with_notes(&given)?;
        for n in notes {
            eprintln!("note: {n}");
        }
        text
    } else {
        given.clone()
    };
    // Read the record first: a check against a missing record fails before
    // any cell runs.
    let recorded = if a.check {
        Some(match &sidecar_path {
            Some(p) => (Sidecar::read(p)?, p.clone(), false),
            None => {
                let r = ipynb::embedded_record(&given, &a.file)?.ok_or_else(|| {
                    NotebookError::NoRecord {
                        path: a.file.clone(),
                    }
                })?;
                (r, a.file.clone(), true)
            }
        })
    } else {
        None
    };
    let cells = notebook::parse(&source)?;
    // Checking an executed .ipynb re-runs the notebook it was run from:
    // its experiment (run store) and its name in error texts, as the
    // record has them.
    let run_file = match &recorded {
        Some((r, _, true)) => PathBuf::from(&r.provenance.notebook),
        _ => a.file.clone(),
    };
    let experiment = a.experiment.clone().unwrap_or_else(|| {
        run_file
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
    let run = notebook::execute(&host, &printed, &run_file.display().to_string(), &cells);
    let provenance = notebook::provenance(&name, &source, &host, &run);
    let record = Sidecar::new(provenance.clone(), &run);

    if let Some((recorded, record_path, _)) = recorded {
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
                record_path.display(),
                a.tolerance
            );
            return Ok(Outcome::Success);
        }
        println!(
            "check FAILED: {} difference(s) from {} (tolerance {}):",
            report.differences.len(),
            record_path.display(),
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
    if let Some(p) = &sidecar_path {
        record.write(p)?;
        written.push(p.display().to_string());
    }
    if let Some(p) = &a.ipynb {
        let base = if is_ipynb {
            ipynb::Source::Ipynb(&given)
        } else {
            ipynb::Source::Percent(&source)
        };
        ipynb::write(p, &ipynb::executed_ipynb(base, &run, &record)?)?;
        written.push(p.display().to_string());
    }

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

/// `anml notebook convert FILE --to ipynb|rhai [--output OUT] [--force]`.
pub fn convert(g: &GlobalOpts, a: &NotebookConvertArgs) -> Result<Outcome, Error> {
    let out = a
        .output
        .clone()
        .unwrap_or_else(|| a.file.with_extension(a.to.extension()));
    if notebook::paths::resolve(&out) == notebook::paths::resolve(&a.file) {
        return Err(NotebookError::OutputIsInput {
            flag: "--output",
            path: out,
        }
        .into());
    }
    if !a.force && std::fs::symlink_metadata(&out).is_ok() {
        return Err(NotebookError::OutputExists {
            flag: "--output",
            path: out,
        }
        .into());
    }
    let text = match a.to {
        NotebookFormat::Ipynb => {
            let source = read_percent(&a.file, g)?;
            ipynb::to_json_text(&ipynb::to_ipynb(&source)?)
        }
        NotebookFormat::Rhai => {
            let (text, notes) = ipynb::from_ipynb_with_notes(&ipynb::read_file(&a.file)?)?;
            for n in notes {
                eprintln!("note: {n}");
            }
            text
        }
    };
    write(&out, &text)?;
    eprintln!("{} → {}", a.file.display(), out.display());
    Ok(Outcome::Success)
}
