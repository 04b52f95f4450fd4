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
    /// A value with a text form and an HTML form (a dataset, a series, a
    /// run result): recorded and compared by its text, shown as HTML where
    /// the medium allows (reports, Jupyter).
    Rich { text: String, html: String },
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

/// The most bytes of printed text kept per cell, and of a value shown as
/// text: past it the rest is dropped and a note says how much, so a cell
/// that prints without end cannot exhaust memory or fill the reports.
pub const MAX_CELL_OUTPUT: usize = 1 << 20;

/// Printed text of the current cell, capped at [`MAX_CELL_OUTPUT`].
#[derive(Debug, Default)]
pub struct Captured {
    text: String,
    /// Bytes dropped past the cap.
    dropped: u64,
}

impl Captured {
    fn push(&mut self, piece: &str) {
        let room = MAX_CELL_OUTPUT.saturating_sub(self.text.len());
        if piece.len() <= room {
            self.text.push_str(piece);
            return;
        }
        let mut cut = room;
        while !piece.is_char_boundary(cut) {
            cut -= 1;
        }
        self.text.push_str(&piece[..cut]);
        self.dropped += (piece.len() - cut) as u64;
    }

    /// The text so far, with the truncation note if any; resets.
    fn take(&mut self) -> String {
        let mut text = std::mem::take(&mut self.text);
        let dropped = std::mem::take(&mut self.dropped);
        if dropped > 0 {
            text.push_str(&truncation_note(dropped));
        }
        text
    }
}

/// The line that ends output cut at [`MAX_CELL_OUTPUT`].
pub fn truncation_note(dropped: u64) -> String {
    format!(
        "\n[output truncated: {dropped} more bytes not kept (limit {MAX_CELL_OUTPUT} bytes per cell)]\n"
    )
}

/// `text` cut to [`MAX_CELL_OUTPUT`] bytes, with the note if it was cut.
pub fn cap_text(text: String) -> String {
    let mut c = Captured::default();
    c.push(&text);
    c.take()
}

/// A `print`/`debug` sink that collects text, and the buffer it fills.
pub fn capturing_sink() -> (OutputSink, Arc<Mutex<Captured>>) {
    let buf = Arc::new(Mutex::new(Captured::default()));
    let b = buf.clone();
    let sink: OutputSink = Arc::new(Mutex::new(move |text: &str| {
        let mut s = b.lock().unwrap_or_else(|p| p.into_inner());
        s.push(text);
        s.push("\n");
    }));
    (sink, buf)
}

fn take(buf: &Arc<Mutex<Captured>>) -> String {
    buf.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// The displayed outputs of a cell's value: tables and plots richly, an
/// array of them each in turn, datasets, series and run results as text
/// with an HTML table, anything else as text.
pub fn outputs_of(value: &Dynamic) -> Result<Vec<Output>, String> {
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
    if let Some(html) = super::mime::summary_html(value) {
        return Ok(vec![Output::Rich {
            text: cap_text(display_value(value)),
            html,
        }]);
    }
    Ok(vec![Output::Text(cap_text(display_value(value)))])
}

/// Run `cells` of the notebook `file_name` on `host`, whose `print` output
/// goes to `printed` (see [`capturing_sink`]). Errors are rendered with the
/// file's own line numbers.
pub fn execute(
    host: &Host,
    printed: &Arc<Mutex<Captured>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_output_is_capped_with_a_note() {
        let (sink, buf) = capturing_sink();
        let mb = "x".repeat(MAX_CELL_OUTPUT);
        {
            let mut print = sink.lock().unwrap();
            for _ in 0..5 {
                (*print)(&mb);
            }
        }
        let text = take(&buf);
        assert!(text.len() < MAX_CELL_OUTPUT + 200, "{}", text.len());
        let dropped = 5 * (MAX_CELL_OUTPUT as u64 + 1) - MAX_CELL_OUTPUT as u64;
        assert!(
            text.ends_with(&truncation_note(dropped)),
            "{}",
            &text[text.len() - 120..]
        );
        // the next cell starts empty and uncapped
        (*sink.lock().unwrap())("small");
        assert_eq!(take(&buf), "small\n");
        // a cut never splits a character
        let mut c = Captured::default();
        c.push(&"a".repeat(MAX_CELL_OUTPUT - 1));
        c.push("é");
        let t = c.take();
        assert!(t.starts_with(&"a".repeat(MAX_CELL_OUTPUT - 1)));
        assert!(t.contains("2 more bytes"), "{}", &t[t.len() - 100..]);
    }
}
