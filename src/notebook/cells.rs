//! The percent format: a notebook is a plain `.rhai` file whose cells are
//! marked by comments, so the same file runs unchanged as a script.
//!
//! * `// %%` starts a code cell; text after the marker is the cell's title;
//! * `// %% [markdown]` starts a markdown cell; its lines are `// text` (or a
//!   bare `//`) and the prefix is stripped;
//! * `//| key: value` lines right after a marker are cell options:
//!   `label` (an id: letters, digits, `-`, `_`), `echo` and `error`
//!   (`true`/`false`);
//! * text before the first marker, if not blank, is an implicit first code
//!   cell.

use super::NotebookError;

/// What a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Code,
    Markdown,
}

/// One cell of a notebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// 0-based position in the notebook.
    pub index: usize,
    pub kind: CellKind,
    /// `//| label:` — an id used in reports, anchors and `--check` output.
    pub label: Option<String>,
    /// Text after `// %%` (code cells), if any.
    pub title: Option<String>,
    /// `//| echo: false` hides this cell's code in reports.
    pub echo: bool,
    /// `//| error: true`: the cell may fail and the run goes on.
    pub allow_error: bool,
    /// Code, or markdown with the `// ` prefix removed; trailing blank lines
    /// dropped.
    pub source: String,
    /// 1-based line of the file where `source` starts.
    pub first_line: usize,
}

impl Cell {
    /// The name a report and `--check` use: the label, else `cell N`
    /// (1-based).
    pub fn name(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| format!("cell {}", self.index + 1))
    }
}

fn new_cell(index: usize, kind: CellKind, title: Option<String>) -> Cell {
    Cell {
        index,
        kind,
        label: None,
        title,
        echo: true,
        allow_error: false,
        source: String::new(),
        first_line: 0,
    }
}

fn parse_bool(line: usize, key: &str, v: &str) -> Result<bool, NotebookError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(NotebookError::Parse {
            line,
            message: format!("option `{key}` must be true or false, got `{other}`"),
        }),
    }
}

fn apply_option(cell: &mut Cell, line: usize, text: &str) -> Result<(), NotebookError> {
    let (key, value) = text.split_once(':').ok_or_else(|| NotebookError::Parse {
        line,
        message: format!("a cell option is `//| key: value`, got `//| {text}`"),
    })?;
    let (key, value) = (key.trim(), value.trim());
    match key {
        "label" => {
            let ok = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(NotebookError::Parse {
                    line,
                    message: format!("a label is letters, digits, `-` and `_`, got `{value}`"),
                });
            }
            cell.label = Some(value.to_string());
        }
        "echo" => cell.echo = parse_bool(line, key, value)?,
        "error" => cell.allow_error = parse_bool(line, key, value)?,
        other => {
            return Err(NotebookError::Parse {
                line,
                message: format!("unknown cell option `{other}`; known: label, echo, error"),
            });
        }
    }
    Ok(())
}

/// Split `text` into cells. Errors name the line (1-based).
pub fn parse(text: &str) -> Result<Vec<Cell>, NotebookError> {
    let mut cells: Vec<Cell> = Vec::new();
    let mut current = new_cell(0, CellKind::Code, None);
    // Options are read only right after a marker.
    let mut in_options = false;
    let mut lines: Vec<&str> = Vec::new();

    fn finish(cells: &mut Vec<Cell>, mut cell: Cell, lines: &[&str], explicit: bool) {
        let mut body: Vec<&str> = lines.to_vec();
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        let skip = body.iter().take_while(|l| l.trim().is_empty()).count();
        cell.first_line += skip;
        cell.source = body[skip..].join("\n");
        if explicit || !cell.source.trim().is_empty() {
            cell.index = cells.len();
            cells.push(cell);
        }
    }

    let mut explicit = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim_start();
        if let Some(rest) = trimmed.strip_prefix("// %%") {
            finish(&mut cells, current, &lines, explicit);
            lines.clear();
            explicit = true;
            let rest = rest.trim();
            current = if let Some(after) = rest.strip_prefix("[markdown]") {
                let mut c = new_cell(0, CellKind::Markdown, None);
                let t = after.trim();
                if !t.is_empty() {
                    c.title = Some(t.to_string());
                }
                c
            } else if rest.starts_with('[') {
                return Err(NotebookError::Parse {
                    line: line_no,
                    message: format!("unknown cell type `{rest}`; known: [markdown]"),
                });
            } else {
                new_cell(
                    0,
                    CellKind::Code,
                    (!rest.is_empty()).then(|| rest.to_string()),
                )
            };
            current.first_line = line_no + 1;
            in_options = true;
            continue;
        }
        if in_options {
            if let Some(opt) = trimmed.strip_prefix("//|") {
                apply_option(&mut current, line_no, opt.trim())?;
                current.first_line = line_no + 1;
                continue;
            }
            in_options = false;
        }
        if current.first_line == 0 {
            current.first_line = line_no;
        }
        match current.kind {
            CellKind::Code => lines.push(raw),
            CellKind::Markdown => {
                let t = raw.trim();
                let content = if t.is_empty() || t == "//" {
                    ""
                } else if let Some(c) = t.strip_prefix("// ") {
                    c
                } else {
                    return Err(NotebookError::Parse {
                        line: line_no,
                        message: "markdown cell lines start with `// `".into(),
                    });
                };
                lines.push(content);
            }
        }
    }
    finish(&mut cells, current, &lines, explicit);
    if cells.is_empty() {
        return Err(NotebookError::Parse {
            line: 1,
            message: "the notebook has no cells".into(),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &cells {
        if let Some(l) = &c.label
            && !seen.insert(l.clone())
        {
            return Err(NotebookError::Parse {
                line: c.first_line.saturating_sub(1),
                message: format!("label `{l}` is used twice"),
            });
        }
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_options_and_markdown() {
        let text = "let a = 1;\n\n// %% [markdown]\n// # Title\n//\n// text\n\n// %% Setup\n//| label: roc\n//| echo: false\n//| error: true\nlet b = a + 1;\nb;\n";
        let cells = parse(text).unwrap();
        assert_eq!(cells.len(), 3);
        assert_eq!(cells[0].kind, CellKind::Code);
        assert_eq!(cells[0].source, "let a = 1;");
        assert_eq!(cells[0].first_line, 1);
        assert_eq!(cells[1].kind, CellKind::Markdown);
        assert_eq!(cells[1].source, "# Title\n\ntext");
        let c = &cells[2];
        assert_eq!(c.label.as_deref(), Some("roc"));
        assert_eq!(c.title.as_deref(), Some("Setup"));
        assert!(!c.echo && c.allow_error);
        assert_eq!(c.source, "let b = a + 1;\nb;");
        assert_eq!(c.first_line, 12);
        assert_eq!(c.name(), "roc");
        assert_eq!(cells[0].name(), "cell 1");
    }

    #[test]
    fn no_implicit_cell_when_the_file_starts_with_a_marker() {
        let cells = parse("// %%\n1\n// %%\n2").unwrap();
        assert_eq!(cells.len(), 2);
        assert_eq!(cells[1].source, "2");
        assert_eq!(cells[1].index, 1);
    }

    #[test]
    fn bad_options_name_the_line() {
        for (text, line, want) in [
            ("// %%\n//| colour: red\n1", 2, "unknown cell option"),
            ("// %%\n//| echo: maybe\n1", 2, "true or false"),
            ("// %%\n//| label: a b\n1", 2, "label"),
            ("// %%\n//| label\n1", 2, "key: value"),
            ("// %% [raw]\n1", 1, "unknown cell type"),
            ("// %% [markdown]\nnot a comment", 2, "start with"),
            ("// %%\n//| label: x\n1\n// %%\n//| label: x\n2", 5, "twice"),
            ("", 1, "no cells"),
        ] {
            match parse(text) {
                Err(NotebookError::Parse { line: l, message }) => {
                    assert_eq!(l, line, "{text:?}: {message}");
                    assert!(message.contains(want), "{text:?}: {message}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
