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
//!   cell;
//! * a `// %%` line inside a block comment (`/* … */`, nested as Rhai nests
//!   them, or unterminated to the end of the file), a backtick string or a
//!   `\`-continued string is not a marker: it is part of the cell, so the
//!   notebook runs the same code as `anml script` on the same file.

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

/// One open construct of Rhai's lexer that can span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// Code; the count of `{` not yet closed (inside `${…}` the closing
    /// `}` ends the interpolation).
    Code(usize),
    /// A block comment, nesting depth.
    Block(usize),
    /// A backtick string (multi-line; `${…}` interpolates code).
    Backtick,
    /// A double-quoted string continued past the line end by `\`.
    Quote,
}

/// Just enough of Rhai's lexer to know whether a line starts in plain
/// code (where `// %%` is a marker) or inside a comment or string.
#[derive(Debug, Clone)]
struct Lexer {
    stack: Vec<Open>,
}

impl Lexer {
    fn new() -> Self {
        Self {
            stack: vec![Open::Code(0)],
        }
    }

    /// At plain top-level code (outside any comment, string or
    /// interpolation).
    fn at_top(&self) -> bool {
        matches!(self.stack.as_slice(), [Open::Code(_)])
    }

    /// Advance over one line of code.
    fn line(&mut self, line: &str) {
        let b: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < b.len() {
            let (c, next) = (b[i], b.get(i + 1).copied());
            let depth = self.stack.len();
            match self.stack.last_mut() {
                Some(Open::Code(braces)) => match c {
                    '/' if next == Some('/') => return,
                    '/' if next == Some('*') => {
                        self.stack.push(Open::Block(1));
                        i += 1;
                    }
                    '"' => self.stack.push(Open::Quote),
                    '`' => self.stack.push(Open::Backtick),
                    '\'' => {
                        // a character literal: to its closing quote
                        i += 1;
                        while i < b.len() && b[i] != '\'' {
                            i += if b[i] == '\\' { 2 } else { 1 };
                        }
                    }
                    '{' => *braces += 1,
                    '}' if *braces > 0 => *braces -= 1,
                    '}' if depth > 1 => {
                        // the end of a `${…}` interpolation
                        self.stack.pop();
                    }
                    _ => {}
                },
                Some(Open::Block(d)) => {
                    if c == '/' && next == Some('*') {
                        *d += 1;
                        i += 1;
                    } else if c == '*' && next == Some('/') {
                        *d -= 1;
                        if *d == 0 {
                            self.stack.pop();
                        }
                        i += 1;
                    }
                }
                Some(Open::Quote) => {
                    if c == '\\' {
                        i += 1;
                    } else if c == '"' {
                        self.stack.pop();
                    }
                }
                Some(Open::Backtick) => {
                    if c == '`' {
                        if next == Some('`') {
                            i += 1; // `` is an escaped backtick
                        } else {
                            self.stack.pop();
                        }
                    } else if c == '$' && next == Some('{') {
                        self.stack.push(Open::Code(0));
                        i += 1;
                    }
                }
                None => return,
            }
            i += 1;
        }
        // A double-quoted string ends with its line unless continued.
        if self.stack.last() == Some(&Open::Quote) && !line.ends_with('\\') {
            self.stack.pop();
        }
    }
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
    let mut lexer = Lexer::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim_start();
        let marker = if lexer.at_top() {
            trimmed.strip_prefix("// %%")
        } else {
            None
        };
        if let Some(rest) = marker {
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
        if in_options && lexer.at_top() {
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
            CellKind::Code => {
                lexer.line(raw);
                lines.push(raw);
            }
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
    fn markers_inside_comments_and_strings_are_code() {
        let sources = |text: &str| -> Vec<String> {
            parse(text).unwrap().into_iter().map(|c| c.source).collect()
        };
        // an unterminated block comment runs to the end, as in `anml script`
        assert_eq!(
            sources("print(1);\n/* unterminated\n// %%\nprint(2);\n"),
            ["print(1);\n/* unterminated\n// %%\nprint(2);"]
        );
        // closed comments, nested as Rhai nests them
        assert_eq!(sources("/* a */ 1\n// %%\n2").len(), 2);
        assert_eq!(
            sources("/* a /* b */\n// %%\n*/ 1\n// %%\n2"),
            ["/* a /* b */\n// %%\n*/ 1", "2"]
        );
        // strings and line comments that look like comment starts
        assert_eq!(sources("let s = \"/*\";\n// %%\n2").len(), 2);
        assert_eq!(sources("let c = '\"'; // /* no\n// %%\n2").len(), 2);
        // a backtick string over lines, with an interpolation
        assert_eq!(
            sources("let s = `a ${ #{x: 1}.x } b\n// %%\n`;\n// %%\ns"),
            ["let s = `a ${ #{x: 1}.x } b\n// %%\n`;", "s"]
        );
        assert_eq!(sources("let s = `a``\n// %%\n`;\n// %%\ns").len(), 2);
        // a `\`-continued string
        assert_eq!(sources("let s = \"a \\\n// %%\nb\";\n// %%\ns").len(), 2);
        // markdown and options are unaffected
        assert_eq!(
            parse("// %% [markdown]\n// /* x\n// %%\n//| label: a\n1")
                .unwrap()
                .len(),
            2
        );
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
