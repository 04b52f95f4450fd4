//! Jupyter notebooks (nbformat 4.5) both ways, so a percent-format notebook
//! can be opened, edited and shared in Jupyter and come back unchanged.
//!
//! Why it exists: reviewers and collaborators live in Jupyter, while anml's
//! notebooks are plain `.rhai` files that also run as scripts. Converting
//! must not cost the `.rhai` file its exact bytes, or every trip through
//! Jupyter would show up as a diff in review.
//!
//! * [`to_ipynb`]: one Jupyter cell per percent cell. The cell's `source` is
//!   what the parser gives ([`super::cells::Cell::source`]: code as
//!   written, markdown without its `// ` prefix). What the percent text
//!   needs beyond that is kept in the cell's `metadata.anml`:
//!   - `head`: the text between the previous cell's `tail` and this
//!     cell's source, exactly as written: text before the first marker
//!     (first cell), the `// %%` marker line with its title, the `//|`
//!     option lines, blank lines;
//!   - `tail`: the text after the source's last character up to the next
//!     cell's `head`: the line ending (none for a file without a final
//!     newline) and the blank lines between cells;
//!   - `body` (only when the source does not give the lines back, e.g. a
//!     markdown line indented before its `//`, or mixed line endings): the
//!     cell's lines exactly as written;
//!   - `crlf: true` when the cell's lines end in CRLF (lines a user adds in
//!     Jupyter get the same ending).
//!
//!   Options also show in Jupyter's own terms: `//| error: true` as the
//!   `raises-exception` tag, `//| echo: false` as
//!   `metadata.jupyter.source_hidden`. Cell ids are the cell's label where
//!   it has one, else `cell-N`.
//! * [`from_ipynb`]: back to the percent format. A cell with `metadata.anml`
//!   is written from `head` + source + `tail`; when its source was edited in
//!   Jupyter (it no longer equals what `body` gives), the edited source wins
//!   and is written in the canonical form. A cell without it (a notebook
//!   authored in Jupyter) gets a canonical marker, its options from the tag
//!   and `source_hidden`, and one blank line after it. Raw cells become
//!   markdown cells (a raw cell is text that is not run; markdown is the
//!   percent format's only such cell); attachments are dropped with a note
//!   (the percent format has no place for them). The result is parsed
//!   again: a cell that would not read back as itself (a `// %%` line in a
//!   code cell, a markdown line starting with `%%`, an unclosed block
//!   comment) is refused with [`NotebookError::IpynbCell`] naming it. The
//!   percent format has no leading or trailing blank lines in a cell and
//!   no trailing spaces on markdown lines, so those are dropped.
//! * [`executed_ipynb`]: a run's outputs as nbformat outputs (`stream`,
//!   `display_data`, `execute_result`, `error`), its record (the sidecar,
//!   [`super::sidecar::Sidecar`]) as the notebook's `metadata.anml`, which
//!   `anml notebook run --check FILE.ipynb` compares a re-run with.

use super::NotebookError;
use super::cells::{self, Cell, CellKind};
use super::execute::{CellRun, CellStatus, NotebookRun, Output};
use super::sidecar::Sidecar;
use serde_json::{Map, Value, json};
use std::path::Path;

/// The largest `.ipynb` anml reads (executed notebooks carry base64 PNGs,
/// but a notebook past this is not one anml wrote or should parse whole).
pub const MAX_IPYNB_BYTES: u64 = 256 << 20;

/// The kernel anml's notebooks name and `anml jupyter install` installs.
pub const KERNEL_NAME: &str = "anml";
/// What JupyterLab's launcher and kernel picker call it.
pub const KERNEL_DISPLAY_NAME: &str = "anml (Rhai)";
/// The language of the cells, as notebooks and the kernel describe it:
/// name, MIME type, file extension, and the CodeMirror mode and Pygments
/// lexer that highlight it (Rhai reads close enough to Rust).
pub const LANGUAGE: &str = "rhai";
pub const LANGUAGE_MIMETYPE: &str = "text/x-rhai";
pub const LANGUAGE_EXTENSION: &str = ".rhai";
pub const LANGUAGE_HIGHLIGHT: &str = "rust";

/// The Jupyter kernel anml's notebooks name (the kernel reports the same).
pub fn kernelspec() -> Value {
    json!({"display_name": KERNEL_DISPLAY_NAME, "language": LANGUAGE, "name": KERNEL_NAME})
}

/// The language anml's notebooks are written in, as Jupyter describes it.
pub fn language_info() -> Value {
    json!({
        "codemirror_mode": LANGUAGE_HIGHLIGHT,
        "file_extension": LANGUAGE_EXTENSION,
        "mimetype": LANGUAGE_MIMETYPE,
        "name": LANGUAGE,
        "pygments_lexer": LANGUAGE_HIGHLIGHT
    })
}

/// Whether `path` names a Jupyter notebook (by its extension).
pub fn is_ipynb_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ipynb"))
}

/// Read an `.ipynb` file as text, refusing one over [`MAX_IPYNB_BYTES`]
/// before reading it whole.
pub fn read_file(path: &Path) -> Result<String, NotebookError> {
    use crate::capped_read::{CappedReadError, read_text};
    read_text(path, MAX_IPYNB_BYTES).map_err(|e| match e {
        CappedReadError::Io(source) => NotebookError::Io {
            path: path.to_path_buf(),
            source,
        },
        CappedReadError::NotAFile => NotebookError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        },
        CappedReadError::TooLarge { bytes } => NotebookError::TooLarge {
            path: path.to_path_buf(),
            bytes,
            limit: MAX_IPYNB_BYTES,
        },
    })
}

/// A notebook as nbformat writes it: one-space indentation, a final
/// newline.
pub fn to_json_text(nb: &Value) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    // Serialising a Value into memory cannot fail.
    let _ = serde::Serialize::serialize(nb, &mut ser);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push('\n');
    text
}

/// Write `nb` to `path` atomically.
pub fn write(path: &Path, nb: &Value) -> Result<(), NotebookError> {
    crate::atomic_file::write(path, to_json_text(nb).as_bytes()).map_err(|source| {
        NotebookError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// A multi-line string as nbformat stores it: lines, each ending in `\n`
/// except the last.
fn multiline(text: &str) -> Value {
    Value::Array(
        text.split_inclusive('\n')
            .map(|l| Value::String(l.to_string()))
            .collect(),
    )
}

/// One line of a file: where it starts, its content (as `str::lines` gives
/// it) and its ending (`\n`, `\r\n`, or nothing at the end of the file).
struct Line<'a> {
    start: usize,
    content: &'a str,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        let content = piece
            .strip_suffix("\r\n")
            .or_else(|| piece.strip_suffix('\n'))
            .unwrap_or(piece);
        out.push(Line { start, content });
        start += piece.len();
    }
    out
}

fn is_marker(line: &str) -> bool {
    line.trim_start().starts_with("// %%")
}

/// The kind a marker line declares, `None` for an unknown `[type]`.
fn marker_kind(line: &str) -> Option<CellKind> {
    let rest = line.trim_start().strip_prefix("// %%")?.trim();
    if rest.starts_with("[markdown]") {
        Some(CellKind::Markdown)
    } else if rest.starts_with('[') {
        None
    } else {
        Some(CellKind::Code)
    }
}

/// Byte offsets of one cell in the file: `head_start..body_start` is its
/// head, `body_start..body_end` its lines, `body_end..tail_end` its tail.
#[derive(Debug, Clone, Copy)]
struct Span {
    head_start: usize,
    body_start: usize,
    body_end: usize,
    tail_end: usize,
}

fn body_lines(source: &str) -> usize {
    if source.is_empty() {
        0
    } else {
        source.split('\n').count()
    }
}

/// Where each parsed cell lies in `text`. Every byte belongs to exactly
/// one cell's head, body or tail.
fn spans(text: &str, cells: &[Cell]) -> Result<Vec<Span>, NotebookError> {
    let lines = split_lines(text);
    let line_start = |i: usize| lines.get(i).map_or(text.len(), |l| l.start);
    let internal = |line: usize| NotebookError::Parse {
        line,
        message: "cannot locate the cell's marker (please report this notebook)".into(),
    };
    let mut spans: Vec<Span> = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let first = cell.first_line.saturating_sub(1);
        let n = body_lines(&cell.source);
        let body_start = line_start(first);
        let body_end = if n == 0 {
            body_start
        } else {
            let last = lines
                .get(first + n - 1)
                .ok_or_else(|| internal(first + n))?;
            last.start + last.content.len()
        };
        let head_start = if i == 0 {
            0
        } else {
            // Back from the source over blank lines, `//` lines (markdown)
            // and options to the marker.
            let mut j = first;
            loop {
                j = j.checked_sub(1).ok_or_else(|| internal(first))?;
                let l = lines.get(j).ok_or_else(|| internal(j + 1))?.content;
                if is_marker(l) {
                    break lines[j].start;
                }
                let t = l.trim();
                if !(t.is_empty() || t == "//" || l.trim_start().starts_with("//|")) {
                    return Err(internal(j + 1));
                }
            }
        };
        if let Some(prev) = spans.last_mut() {
            prev.tail_end = head_start;
        }
        spans.push(Span {
            head_start,
            body_start,
            body_end,
            tail_end: text.len(),
        });
    }
    Ok(spans)
}

/// The source the parser gives for a cell whose lines are `body`.
fn derive_source(body: &str, kind: CellKind) -> String {
    let lines = split_lines(body);
    let contents: Vec<&str> = lines
        .iter()
        .map(|l| match kind {
            CellKind::Code => l.content,
            CellKind::Markdown => {
                let t = l.content.trim();
                if t == "//" {
                    ""
                } else {
                    t.strip_prefix("// ").unwrap_or(t)
                }
            }
        })
        .collect();
    contents.join("\n")
}

/// A cell's lines in the canonical form: code as is, markdown as `// text`
/// (a bare `//` for an empty line), joined by `eol`.
fn render_body(source: &str, kind: CellKind, eol: &str) -> String {
    if source.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = source
        .split('\n')
        .map(|l| match kind {
            CellKind::Code => l.to_string(),
            CellKind::Markdown if l.is_empty() => "//".to_string(),
            CellKind::Markdown => format!("// {l}"),
        })
        .collect();
    lines.join(eol)
}

/// The Jupyter cell ids of `cells`: the label where it is a valid id (at
/// most 64 characters), else `cell-N` (1-based; suffixed if a label took
/// it). Unique and deterministic.
fn cell_ids(cells: &[Cell]) -> Vec<String> {
    let label_of = |c: &Cell| c.label.clone().filter(|l| valid_id(l));
    let mut taken: std::collections::BTreeSet<String> = cells.iter().filter_map(label_of).collect();
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            label_of(c).unwrap_or_else(|| {
                let id = free_id(&taken, i);
                taken.insert(id.clone());
                id
            })
        })
        .collect()
}

fn free_id(taken: &std::collections::BTreeSet<String>, i: usize) -> String {
    let base = format!("cell-{}", i + 1);
    let mut id = base.clone();
    let mut k = 2;
    while taken.contains(&id) {
        id = format!("{base}-{k}");
        k += 1;
    }
    id
}

/// nbformat 4.5's cell id: `^[a-zA-Z0-9-_]+$`, 1 to 64 characters.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A percent-format notebook as an nbformat 4.5 notebook (no outputs).
/// [`from_ipynb`] gives back `source`'s exact bytes.
pub fn to_ipynb(source: &str) -> Result<Value, NotebookError> {
    let cells = cells::parse(source)?;
    let spans = spans(source, &cells)?;
    let ids = cell_ids(&cells);
    let mut out = Vec::with_capacity(cells.len());
    for ((cell, span), id) in cells.iter().zip(&spans).zip(ids) {
        let head = &source[span.head_start..span.body_start];
        let body = &source[span.body_start..span.body_end];
        let tail = &source[span.body_end..span.tail_end];
        let chunk = &source[span.head_start..span.tail_end];
        let crlf = chunk.find('\n').is_some_and(|i| chunk[..i].ends_with('\r'));
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut anml = Map::new();
        if crlf {
            anml.insert("crlf".into(), Value::Bool(true));
        }
        if render_body(&cell.source, cell.kind, eol) != body {
            anml.insert("body".into(), Value::String(body.to_string()));
        }
        anml.insert("head".into(), Value::String(head.to_string()));
        anml.insert("tail".into(), Value::String(tail.to_string()));
        let mut metadata = Map::new();
        metadata.insert("anml".into(), Value::Object(anml));
        if !cell.echo {
            metadata.insert("jupyter".into(), json!({"source_hidden": true}));
        }
        if cell.allow_error {
            metadata.insert("tags".into(), json!(["raises-exception"]));
        }
        out.push(match cell.kind {
            CellKind::Code => json!({
                "cell_type": "code",
                "execution_count": null,
                "id": id,
                "metadata": metadata,
                "outputs": [],
                "source": multiline(&cell.source)
            }),
            CellKind::Markdown => json!({
                "cell_type": "markdown",
                "id": id,
                "metadata": metadata,
                "source": multiline(&cell.source)
            }),
        });
    }
    Ok(json!({
        "cells": out,
        "metadata": {"kernelspec": kernelspec(), "language_info": language_info()},
        "nbformat": 4,
        "nbformat_minor": 5
    }))
}

/// One cell read from an `.ipynb`.
#[derive(Debug, Clone)]
struct InCell {
    kind: CellKind,
    /// `raw` in the file (written as markdown).
    raw: bool,
    /// The source, normalised to what the percent format can hold.
    source: String,
    /// The source as the file has it.
    original: String,
    id: Option<String>,
    /// `metadata.anml`, if any.
    anml: Option<Map<String, Value>>,
    /// `metadata.jupyter.source_hidden`.
    hidden: bool,
    /// The `raises-exception` tag.
    raises: bool,
    /// Names of attachments (not kept).
    attachments: Vec<String>,
}

fn ipynb_err(message: impl Into<String>) -> NotebookError {
    NotebookError::Ipynb {
        message: message.into(),
    }
}

fn cell_err(index: usize, id: Option<&str>, message: impl Into<String>) -> NotebookError {
    NotebookError::IpynbCell {
        cell: index + 1,
        id: id.map(str::to_string),
        message: message.into(),
    }
}

/// A cell's source as the percent format holds it: LF line ends, no
/// leading or trailing blank lines, markdown lines without trailing
/// whitespace. In a cell anml wrote from CRLF lines (`crlf`), a `\r`
/// before a line break is the line's own last character and stays.
fn normalise(source: &str, kind: CellKind, crlf: bool) -> String {
    let text = if crlf {
        source.to_string()
    } else {
        source.replace("\r\n", "\n")
    };
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|l| match kind {
            CellKind::Code => l,
            CellKind::Markdown => l.trim_end(),
        })
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let skip = lines.iter().take_while(|l| l.trim().is_empty()).count();
    lines[skip..].join("\n")
}

/// The notebook JSON, checked to be nbformat 4 with a `cells` list.
fn parse_notebook(json: &str) -> Result<Value, NotebookError> {
    if json.len() as u64 > MAX_IPYNB_BYTES {
        return Err(ipynb_err(format!(
            "{} bytes; anml reads notebooks up to {MAX_IPYNB_BYTES} bytes",
            json.len()
        )));
    }
    let nb: Value =
        serde_json::from_str(json).map_err(|e| ipynb_err(format!("malformed JSON: {e}")))?;
    let Some(root) = nb.as_object() else {
        return Err(ipynb_err("the JSON is not an object"));
    };
    match root.get("nbformat").and_then(Value::as_u64) {
        Some(4) => {}
        Some(v) => {
            return Err(ipynb_err(format!(
                "nbformat {v} is not supported: anml reads nbformat 4 (open and save it in a current Jupyter to convert it)"
            )));
        }
        None => {
            return Err(ipynb_err(
                "no `nbformat` version number: not a Jupyter notebook",
            ));
        }
    }
    if !root.get("cells").is_some_and(Value::is_array) {
        return Err(ipynb_err("`cells` is missing or not a list"));
    }
    Ok(nb)
}

/// nbformat's multi-line string: a string or a list of strings.
fn multiline_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => parts.iter().map(|p| p.as_str()).collect(),
        _ => None,
    }
}

fn read_cells(nb: &Value) -> Result<Vec<InCell>, NotebookError> {
    let cells = nb
        .get("cells")
        .and_then(Value::as_array)
        .ok_or_else(|| ipynb_err("`cells` is missing or not a list"))?;
    let mut out = Vec::with_capacity(cells.len());
    for (i, c) in cells.iter().enumerate() {
        let Some(obj) = c.as_object() else {
            return Err(cell_err(i, None, "not a JSON object"));
        };
        let id = obj.get("id").and_then(Value::as_str);
        let (kind, raw) = match obj.get("cell_type").and_then(Value::as_str) {
            Some("code") => (CellKind::Code, false),
            Some("markdown") => (CellKind::Markdown, false),
            Some("raw") => (CellKind::Markdown, true),
            Some(other) => {
                return Err(cell_err(
                    i,
                    id,
                    format!("unknown cell_type `{other}`; known: code, markdown, raw"),
                ));
            }
            None => return Err(cell_err(i, id, "no `cell_type`")),
        };
        let source = multiline_text(obj.get("source"))
            .ok_or_else(|| cell_err(i, id, "`source` must be a string or a list of strings"))?;
        let metadata = obj.get("metadata").and_then(Value::as_object);
        let anml = metadata
            .and_then(|m| m.get("anml"))
            .and_then(Value::as_object)
            .cloned();
        let hidden = metadata
            .and_then(|m| m.get("jupyter"))
            .and_then(|j| j.get("source_hidden"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let raises = metadata
            .and_then(|m| m.get("tags"))
            .and_then(Value::as_array)
            .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("raises-exception")));
        let attachments = obj
            .get("attachments")
            .and_then(Value::as_object)
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        let crlf = anml
            .as_ref()
            .and_then(|m| m.get("crlf"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.push(InCell {
            kind,
            raw,
            source: normalise(&source, kind, crlf),
            original: source,
            id: id.map(str::to_string),
            anml,
            hidden,
            raises,
            attachments,
        });
    }
    if out.is_empty() {
        return Err(ipynb_err(
            "the notebook has no cells (a percent-format notebook needs at least one)",
        ));
    }
    Ok(out)
}

impl InCell {
    /// Whether `source` (read back from percent text) is this cell's.
    fn same_source(&self, source: &str) -> bool {
        source == self.source || source == self.original
    }
}

/// What `metadata.anml` keeps of a cell's percent text.
struct Stored<'a> {
    head: &'a str,
    tail: &'a str,
    body: Option<&'a str>,
    crlf: bool,
}

fn stored(m: &Map<String, Value>) -> Option<Stored<'_>> {
    Some(Stored {
        head: m.get("head")?.as_str()?,
        tail: m.get("tail")?.as_str()?,
        body: match m.get("body") {
            None => None,
            Some(b) => Some(b.as_str()?),
        },
        crlf: m.get("crlf").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// Whether a stored head fits the cell at position `index` of kind
/// `kind`: it declares that kind, and only the first cell may have no
/// marker (the text before the first marker).
fn head_fits(head: &str, kind: CellKind, index: usize) -> bool {
    let lines = split_lines(head);
    match lines.iter().find(|l| is_marker(l.content)) {
        Some(m) => {
            // nothing but blank lines before the marker, after the first cell
            let before_ok = index == 0
                || lines
                    .iter()
                    .take_while(|l| !is_marker(l.content))
                    .all(|l| l.content.trim().is_empty());
            before_ok && marker_kind(m.content) == Some(kind)
        }
        None => index == 0 && kind == CellKind::Code && head.trim().is_empty(),
    }
}

/// A cell's head in the canonical form: its marker and the options
/// Jupyter's own metadata gives.
fn canonical_head(c: &InCell) -> String {
    let mut head = match c.kind {
        CellKind::Code => "// %%\n".to_string(),
        CellKind::Markdown => "// %% [markdown]\n".to_string(),
    };
    if c.hidden {
        head.push_str("//| echo: false\n");
    }
    if c.raises && c.kind == CellKind::Code {
        head.push_str("//| error: true\n");
    }
    head
}

/// The percent text of `cells`, using `metadata.anml` where `use_stored`
/// allows, and the byte offset where each cell's text starts.
fn render(cells: &[InCell], use_stored: &[bool]) -> (String, Vec<usize>) {
    let mut out = String::new();
    let mut starts = Vec::with_capacity(cells.len());
    let ensure_line_start = |out: &mut String, eol: &str| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
    };
    for (i, c) in cells.iter().enumerate() {
        let last = i + 1 == cells.len();
        let s = c
            .anml
            .as_ref()
            .filter(|_| use_stored[i])
            .and_then(stored)
            .filter(|s| head_fits(s.head, c.kind, i));
        let eol = if s.as_ref().is_some_and(|s| s.crlf) {
            "\r\n"
        } else {
            "\n"
        };
        if i > 0 {
            ensure_line_start(&mut out, eol);
        }
        starts.push(out.len());
        let body = match &s {
            Some(Stored { body: Some(b), .. }) if c.same_source(&derive_source(b, c.kind)) => {
                b.to_string()
            }
            _ => render_body(&c.source, c.kind, eol),
        };
        match &s {
            Some(s) => out.push_str(s.head),
            None => out.push_str(&canonical_head(c)),
        }
        if !body.is_empty() {
            ensure_line_start(&mut out, eol);
            out.push_str(&body);
        }
        match &s {
            Some(s) => {
                // A tail starts with the ending of the source's last line;
                // one stored after an empty source starts a line itself.
                let at_line_end = s.tail.is_empty() || s.tail.starts_with(['\n', '\r']);
                if !body.is_empty() && !at_line_end {
                    out.push_str(eol);
                }
                out.push_str(s.tail)
            }
            None => out.push_str(match (body.is_empty(), last) {
                (true, true) => "",
                (true, false) | (false, true) => "\n",
                (false, false) => "\n\n",
            }),
        }
    }
    (out, starts)
}

/// The index of the cell whose text (starting at the byte offsets
/// `starts`) holds `line` (1-based) of `text`.
fn cell_at_line(text: &str, starts: &[usize], line: usize) -> usize {
    let offset = split_lines(text)
        .get(line.saturating_sub(1))
        .map_or(text.len(), |l| l.start);
    starts.iter().rposition(|&s| s <= offset).unwrap_or(0)
}

/// A Jupyter notebook (nbformat 4) as a percent-format notebook. A
/// notebook [`to_ipynb`] wrote comes back byte for byte unless its cells
/// were edited.
pub fn from_ipynb(json: &str) -> Result<String, NotebookError> {
    from_ipynb_with_notes(json).map(|(text, _)| text)
}

/// [`from_ipynb`], with notes on what the percent format could not keep
/// (attachments, raw cells made markdown).
pub fn from_ipynb_with_notes(json: &str) -> Result<(String, Vec<String>), NotebookError> {
    let nb = parse_notebook(json)?;
    let cells = read_cells(&nb)?;
    let mut notes = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let name = cell_name(i, c.id.as_deref());
        if c.raw {
            notes.push(format!(
                "{name}: a raw cell, written as a markdown cell (the percent format's only cell that is not run)"
            ));
        }
        for a in &c.attachments {
            notes.push(format!(
                "{name}: attachment `{a}` not kept (the percent format has no place for it)"
            ));
        }
    }
    let mut use_stored = vec![true; cells.len()];
    // Each round either succeeds, fails naming a cell, or stops using one
    // cell's stored text: at most one round per cell, plus one.
    for _ in 0..=cells.len() {
        let (text, starts) = render(&cells, &use_stored);
        let culprit = match cells::parse(&text) {
            Ok(parsed) => {
                let differs = |(i, c): (usize, &InCell)| {
                    parsed
                        .get(i)
                        .is_none_or(|p| p.kind != c.kind || !c.same_source(&p.source))
                };
                match cells.iter().enumerate().position(differs) {
                    None if parsed.len() == cells.len() => return Ok((text, notes)),
                    None => (cells.len() - 1, None),
                    Some(i) => (i, None),
                }
            }
            Err(NotebookError::Parse { line, message }) => {
                (cell_at_line(&text, &starts, line), Some(message))
            }
            Err(e) => return Err(e),
        };
        let (i, message) = culprit;
        if use_stored[i] && cells[i].anml.is_some() {
            use_stored[i] = false;
            continue;
        }
        let why = message.unwrap_or_else(|| {
            "it would not read back as the same cell (a `// %%` line or an unclosed block comment or string in code, a `//|` first line, or a markdown line starting with `%%`)".into()
        });
        return Err(cell_err(
            i,
            cells[i].id.as_deref(),
            format!("cannot be written in the percent format: {why}"),
        ));
    }
    Err(ipynb_err("cannot be written in the percent format"))
}

fn cell_name(index: usize, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("cell {} (id `{id}`)", index + 1),
        None => format!("cell {}", index + 1),
    }
}

/// The notebook a run's outputs are written into.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A percent-format notebook (converted with [`to_ipynb`]).
    Percent(&'a str),
    /// An `.ipynb` (kept as it is, apart from outputs, ids and the kernel).
    Ipynb(&'a str),
}

/// `nb` made nbformat 4.5 for anml: anml's kernel and language, every cell
/// a valid unique id, code cells without outputs.
fn prepare(mut nb: Value) -> Value {
    if let Some(root) = nb.as_object_mut() {
        root.insert("nbformat".into(), json!(4));
        root.insert("nbformat_minor".into(), json!(5));
        let meta = root
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Some(m) = meta.as_object_mut() {
            m.insert("kernelspec".into(), kernelspec());
            m.insert("language_info".into(), language_info());
        }
    }
    if let Some(cells) = nb.get_mut("cells").and_then(Value::as_array_mut) {
        let mut taken = std::collections::BTreeSet::new();
        let mut fresh = Vec::new();
        for (i, c) in cells.iter().enumerate() {
            match c.get("id").and_then(Value::as_str) {
                Some(id) if valid_id(id) && !taken.contains(id) => {
                    taken.insert(id.to_string());
                }
                _ => fresh.push(i),
            }
        }
        for i in fresh {
            let id = free_id(&taken, i);
            taken.insert(id.clone());
            if let Some(obj) = cells[i].as_object_mut() {
                obj.insert("id".into(), Value::String(id));
            }
        }
        for c in cells.iter_mut() {
            if let Some(obj) = c.as_object_mut()
                && obj.get("cell_type").and_then(Value::as_str) == Some("code")
            {
                obj.insert("execution_count".into(), Value::Null);
                obj.insert("outputs".into(), json!([]));
            }
        }
    }
    nb
}

fn stream(name: &str, text: &str) -> Value {
    json!({"name": name, "output_type": "stream", "text": multiline(text)})
}

/// The nbformat outputs of one cell run; `count` is its execution count.
fn cell_outputs(run: &CellRun, count: &Value, interrupted: bool) -> Vec<Value> {
    let mut out = Vec::new();
    if !run.stdout.is_empty() {
        out.push(stream("stdout", &run.stdout));
    }
    let n = run.outputs.len();
    for (k, o) in run.outputs.iter().enumerate() {
        out.push(output_json(o, k + 1 == n, count));
    }
    if let Some(e) = &run.error {
        let lines: Vec<&str> = e.lines().collect();
        out.push(json!({
            "ename": if interrupted { "Interrupted" } else { "ScriptError" },
            "evalue": lines.first().copied().unwrap_or(""),
            "output_type": "error",
            "traceback": lines
        }));
    }
    out
}

fn output_json(o: &Output, last: bool, count: &Value) -> Value {
    match super::mime::bundle(o) {
        Ok(data) if last => json!({
            "data": data,
            "execution_count": count,
            "metadata": {},
            "output_type": "execute_result"
        }),
        Ok(data) => json!({"data": data, "metadata": {}, "output_type": "display_data"}),
        Err(e) => stream("stderr", &format!("{e}\n")),
    }
}

/// The notebook `source` with `run`'s outputs: code cells numbered 1, 2, …
/// in run order (`null` for cells not run), printed text as a `stdout`
/// stream, values as `display_data` (the last as `execute_result`), a
/// failure as an `error` output; `record` as `metadata.anml`, serialised
/// as the sidecar is.
pub fn executed_ipynb(
    source: Source<'_>,
    run: &NotebookRun,
    record: &Sidecar,
) -> Result<Value, NotebookError> {
    let mut nb = match source {
        Source::Percent(text) => to_ipynb(text)?,
        Source::Ipynb(json) => {
            let nb = parse_notebook(json)?;
            read_cells(&nb)?;
            prepare(nb)
        }
    };
    let record_json =
        serde_json::to_value(record).map_err(|e| NotebookError::Render(e.to_string()))?;
    super::sidecar::validate(&record_json).map_err(|m| {
        NotebookError::Render(format!(
            "the record does not match the notebook schema: {m}"
        ))
    })?;
    let cells = nb
        .get_mut("cells")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ipynb_err("`cells` is missing or not a list"))?;
    if cells.len() != run.cells.len() {
        return Err(ipynb_err(format!(
            "the notebook has {} cells, the run {}",
            cells.len(),
            run.cells.len()
        )));
    }
    let interrupted_at = if run.interrupted {
        run.cells
            .iter()
            .rposition(|c| c.status == CellStatus::Error)
    } else {
        None
    };
    let mut counter = 0u64;
    for (i, (cell, r)) in cells.iter_mut().zip(&run.cells).enumerate() {
        if r.cell.kind != CellKind::Code {
            continue;
        }
        let count = if r.status == CellStatus::NotRun {
            Value::Null
        } else {
            counter += 1;
            json!(counter)
        };
        let outputs = cell_outputs(r, &count, interrupted_at == Some(i));
        if let Some(obj) = cell.as_object_mut() {
            obj.insert("execution_count".into(), count);
            obj.insert("outputs".into(), Value::Array(outputs));
        }
    }
    if let Some(meta) = nb.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("anml".into(), record_json);
    }
    Ok(nb)
}

/// The record an executed notebook carries (`metadata.anml`), checked
/// against the notebook schema; `None` when it has none. `path` names the
/// file in errors.
pub fn embedded_record(json: &str, path: &Path) -> Result<Option<Sidecar>, NotebookError> {
    let nb = parse_notebook(json)?;
    let Some(v) = nb.get("metadata").and_then(|m| m.get("anml")) else {
        return Ok(None);
    };
    let bad = |message: String| NotebookError::Sidecar {
        path: path.to_path_buf(),
        message: format!("metadata.anml: {message}"),
    };
    super::sidecar::validate(v).map_err(bad)?;
    serde_json::from_value(v.clone())
        .map(Some)
        .map_err(|e| bad(e.to_string()))
}

/// Whether `json` is an executed notebook anml wrote: one whose metadata
/// carries anml's record (`metadata.anml.$schema`).
pub fn written_by_anml(json: &str) -> bool {
    parse_notebook(json).is_ok_and(|nb| {
        nb.get("metadata")
            .and_then(|m| m.get("anml"))
            .and_then(|a| a.get("$schema"))
            .and_then(Value::as_str)
            == Some(super::sidecar::SCHEMA_ID)
    })
}

#[cfg(test)]
mod tests;
