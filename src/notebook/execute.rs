//! Running a notebook: code cells top to bottom in one sandboxed engine,
//! variables and functions shared between cells as in the REPL, with each
//! cell's printed text, returned value, error and wall time captured.

use super::cells::{Cell, CellKind};
use crate::plot::Plot;
use crate::script::OutputSink;
use crate::script::types::{Runs, Table, display_value};
use crate::script::{AccessLog, Host, ScriptError};
use rhai::{AST, Dynamic, Scope};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How a cell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellStatus {
    /// Ran to the end (markdown cells are always `Ok`).
    Ok,
    /// Failed; the error is in [`CellRun::error`].
    Error,
    /// Not run: an earlier cell failed or the run was interrupted.
    NotRun,
}

impl CellStatus {
    /// The sidecar's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Ok => "ok",
            CellStatus::Error => "error",
            CellStatus::NotRun => "not-run",
        }
    }
}

/// One displayed output of a cell.
#[derive(Debug, Clone)]
pub enum Output {
    /// A value shown as text (`display_value`).
    Text(String),
    /// A table.
    Table(Table),
    /// A figure and its SVG.
    Plot { plot: Box<Plot>, svg: String },
}

/// A cell and what running it produced.
#[derive(Debug, Clone)]
pub struct CellRun {
    pub cell: Cell,
    pub status: CellStatus,
    /// `print` and `debug` text, in order.
    pub stdout: String,
    /// The returned value as displayed outputs (none for `()`).
    pub outputs: Vec<Output>,
    /// The rendered error (line, caret, cause chain) of a failed cell.
    pub error: Option<String>,
    /// Wall time of the cell in seconds.
    pub seconds: f64,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct NotebookRun {
    pub cells: Vec<CellRun>,
    /// Datasets, series, artefacts and seeds the cells used.
    pub access: AccessLog,
    /// The run stopped at a cell that was not allowed to fail.
    pub failed: Option<usize>,
    /// Ctrl-C stopped the run.
    pub interrupted: bool,
}

/// A `print`/`debug` sink that collects text, and the buffer it fills.
pub fn capturing_sink() -> (OutputSink, Arc<Mutex<String>>) {
    let buf = Arc::new(Mutex::new(String::new()));
    let b = buf.clone();
    let sink: OutputSink = Arc::new(Mutex::new(move |text: &str| {
        let mut s = b.lock().unwrap_or_else(|p| p.into_inner());
        s.push_str(text);
        s.push('\n');
    }));
    (sink, buf)
}

fn take(buf: &Arc<Mutex<String>>) -> String {
    std::mem::take(&mut *buf.lock().unwrap_or_else(|p| p.into_inner()))
}

/// The displayed outputs of a cell's value: tables and plots richly, an
/// array of them each in turn, anything else as text.
fn outputs_of(value: &Dynamic) -> Result<Vec<Output>, String> {
    if value.is_unit() {
        return Ok(Vec::new());
    }
    if let Some(arr) = value.read_lock::<rhai::Array>() {
        let rich = !arr.is_empty()
            && arr
                .iter()
                .all(|v| v.is::<Table>() || v.is::<Plot>() || v.is::<Runs>());
        if rich {
            let mut out = Vec::new();
            for v in arr.iter() {
                out.extend(outputs_of(v)?);
            }
            return Ok(out);
        }
    }
    if let Some(t) = value.read_lock::<Table>() {
        return Ok(vec![Output::Table(t.clone())]);
    }
    if let Some(r) = value.read_lock::<Runs>() {
        // The table only: how many runs were cached differs between a first
        // run and a re-run, and is not a result.
        return Ok(vec![Output::Table(r.table())]);
    }
    if let Some(p) = value.read_lock::<Plot>() {
        let svg = p
            .to_svg()
            .map_err(|e| format!("cannot draw the figure: {e}"))?;
        return Ok(vec![Output::Plot {
            plot: Box::new(p.clone()),
            svg,
        }]);
    }
    Ok(vec![Output::Text(display_value(value))])
}

/// Run `cells` of the notebook `file_name` on `host`, whose `print` output
/// goes to `printed` (see [`capturing_sink`]). Errors are rendered with the
/// file's own line numbers.
pub fn execute(
    host: &Host,
    printed: &Arc<Mutex<String>>,
    file_name: &str,
    cells: &[Cell],
) -> NotebookRun {
    let mut scope: Scope<'static> = Scope::new();
    let mut functions = AST::empty();
    let mut runs = Vec::with_capacity(cells.len());
    let mut failed = None;
    let mut interrupted = false;
    for cell in cells {
        let mut run = CellRun {
            cell: cell.clone(),
            status: CellStatus::Ok,
            stdout: String::new(),
            outputs: Vec::new(),
            error: None,
            seconds: 0.0,
        };
        if cell.kind == CellKind::Markdown {
            runs.push(run);
            continue;
        }
        if failed.is_some() || interrupted {
            run.status = CellStatus::NotRun;
            runs.push(run);
            continue;
        }
        // Leading newlines make the engine's line numbers the file's.
        let source = format!(
            "{}{}",
            "\n".repeat(cell.first_line.saturating_sub(1)),
            cell.source
        );
        take(printed);
        let start = Instant::now();
        let result = host.eval_repl(&mut scope, &mut functions, file_name, &source);
        run.seconds = start.elapsed().as_secs_f64();
        run.stdout = take(printed);
        match result.map_err(|e| (matches!(e, ScriptError::Interrupted(_)), e.to_string())) {
            Ok(v) => match outputs_of(&v) {
                Ok(o) => run.outputs = o,
                Err(e) => {
                    run.status = CellStatus::Error;
                    run.error = Some(format!("error: {e}\n"));
                }
            },
            Err((stop, text)) => {
                run.status = CellStatus::Error;
                run.error = Some(text);
                interrupted = stop;
            }
        }
        if run.status == CellStatus::Error && !cell.allow_error && failed.is_none() {
            failed = Some(cell.index);
        }
        runs.push(run);
    }
    NotebookRun {
        cells: runs,
        access: host.context().access_log(),
        failed,
        interrupted,
    }
}
