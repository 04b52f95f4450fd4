//! The rustyline helper: a Rhai-aware validator (the prompt stays open on
//! unclosed brackets and on input that ends early), completion from the
//! live session (functions, variables, map keys, properties of a value's
//! type, names inside string literals, `:` commands, files after `:load`),
//! and dimmed hints from history.

use super::commands::COMMANDS;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

/// Net count of open brackets outside strings and comments.
fn open_brackets(src: &str) -> i64 {
    let mut depth = 0i64;
    let mut chars = src.chars().peekable();
    let mut in_str: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = in_str {
            if c == '\\' {
                chars.next();
            } else if c == q {
                in_str = None;
            }
            continue;
        }
        match c {
            '"' | '`' | '\'' => in_str = Some(c),
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Whether `src` is unfinished: unclosed brackets, or a parse error at the
/// very end of the input.
pub fn is_incomplete(engine: &rhai::Engine, src: &str) -> bool {
    if src.trim().is_empty() || src.trim_start().starts_with(':') {
        return false;
    }
    if open_brackets(src) > 0 {
        return true;
    }
    match engine.compile(src) {
        Ok(_) => false,
        Err(e) => {
            matches!(
                e.err_type(),
                rhai::ParseErrorType::UnexpectedEOF | rhai::ParseErrorType::MissingToken(..)
            ) && e.position().line().unwrap_or(0) >= src.lines().count()
        }
    }
}

/// A variable in the session scope, as completion sees it.
#[derive(Debug, Clone, Default)]
pub struct VarInfo {
    pub name: String,
    /// The value's Rust type name, last path segment (`DatasetRef`, `Map`).
    pub type_name: String,
    /// Keys, when the value is a map.
    pub keys: Vec<String>,
}

/// What completion draws from; the session refreshes it after every input.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Documented functions (not properties).
    pub functions: Vec<String>,
    /// Properties as (name, receiver type), from `get$x(r: &mut Type)`.
    pub properties: Vec<(String, String)>,
    /// Methods as (name, receiver type): functions whose first parameter
    /// is a custom type (`x.fit(...)`).
    pub methods: Vec<(String, String)>,
    /// Names that make sense inside a string literal: datasets, series,
    /// detectors, registry models.
    pub strings: Vec<String>,
    /// Detector names (`:doc` completes them too).
    pub detectors: Vec<String>,
    /// Metric names from the metric table (`:doc` completes them).
    pub metrics: Vec<String>,
    pub vars: Vec<VarInfo>,
}

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "break", "continue",
    "return", "throw", "try", "catch", "import", "true", "false", "switch",
];

/// The rustyline helper of the REPL.
pub struct ReplHelper {
    pub names: Rc<RefCell<Names>>,
    pub checker: rhai::Engine,
    hinter: HistoryHinter,
    files: FilenameCompleter,
}

impl ReplHelper {
    pub fn new(names: Rc<RefCell<Names>>) -> Self {
        Self {
            names,
            checker: rhai::Engine::new_raw(),
            hinter: HistoryHinter::new(),
            files: FilenameCompleter::new(),
        }
    }
}

fn pairs<'a>(cands: impl Iterator<Item = &'a str>, prefix: &str) -> Vec<Pair> {
    let mut out: Vec<String> = cands
        .filter(|c| c.starts_with(prefix))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out.into_iter()
        .map(|c| Pair {
            display: c.clone(),
            replacement: c,
        })
        .collect()
}

/// The candidates for the word ending at `pos` in `line`, and where the
/// word starts. Pure, so it is tested without a terminal.
pub fn complete_at(names: &Names, line: &str, pos: usize) -> (usize, Vec<Pair>) {
    let before = &line[..pos];
    // `:` commands and their arguments
    if let Some(cmd) = before.strip_prefix(':') {
        return match cmd.split_once(' ') {
            None => (0, pairs(COMMANDS.iter().map(|c| c.name), before)),
            Some(("doc", arg)) => {
                let start = pos - arg.len();
                let funcs = names.functions.iter().map(String::as_str);
                let props = names.properties.iter().map(|(n, _)| n.as_str());
                let dets = names.detectors.iter().map(String::as_str);
                let metrics = names.metrics.iter().map(String::as_str);
                (
                    start,
                    pairs(funcs.chain(props).chain(dets).chain(metrics), arg),
                )
            }
            Some(_) => (pos, Vec::new()),
        };
    }
    // inside a string literal: dataset, series, detector, model names
    let quotes = before.chars().filter(|&c| c == '"').count();
    if quotes % 2 == 1
        && let Some(q) = before.rfind('"')
    {
        let prefix = &before[q + 1..];
        return (
            q + 1,
            pairs(names.strings.iter().map(String::as_str), prefix),
        );
    }
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let word = &before[start..];
    // after `x.`: map keys, then properties and methods of x's type
    if start > 0 && before.as_bytes()[start - 1] == b'.' {
        let recv_end = start - 1;
        let recv_start = before[..recv_end]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let recv = &before[recv_start..recv_end];
        let mut cands: Vec<&str> = Vec::new();
        if let Some(v) = names.vars.iter().find(|v| v.name == recv) {
            cands.extend(v.keys.iter().map(String::as_str));
            cands.extend(
                names
                    .properties
                    .iter()
                    .chain(&names.methods)
                    .filter(|(_, t)| *t == v.type_name)
                    .map(|(n, _)| n.as_str()),
            );
        } else {
            cands.extend(names.properties.iter().map(|(n, _)| n.as_str()));
        }
        return (start, pairs(cands.into_iter(), word));
    }
    if word.is_empty() {
        return (pos, Vec::new());
    }
    let funcs = names.functions.iter().map(String::as_str);
    let vars = names.vars.iter().map(|v| v.name.as_str());
    (
        start,
        pairs(funcs.chain(vars).chain(KEYWORDS.iter().copied()), word),
    )
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.starts_with(":load ") || line.starts_with(":save ") {
            return self.files.complete(line, pos, ctx);
        }
        Ok(complete_at(&self.names.borrow(), line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        // dim, like fish and IPython
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        if is_incomplete(&self.checker, ctx.input()) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_input_keeps_the_prompt_open() {
        let e = rhai::Engine::new_raw();
        assert!(is_incomplete(&e, "fn f(x) {"));
        assert!(is_incomplete(&e, "let a = [1, 2,"));
        assert!(is_incomplete(&e, "let s = \"{\"; let m = #{ a: 1,"));
        assert!(!is_incomplete(&e, "let a = 1;"));
        assert!(!is_incomplete(&e, "let s = \"(\";"));
        assert!(!is_incomplete(&e, ":help"));
        assert!(!is_incomplete(&e, "let a = ;"));
    }

    fn names() -> Names {
        Names {
            functions: vec![
                "load_dataset".into(),
                "load_series".into(),
                "roc_auc".into(),
            ],
            properties: vec![
                ("n_samples".into(), "DatasetRef".into()),
                ("roc_auc".into(), "ResultRef".into()),
            ],
            methods: vec![("split".into(), "DatasetRef".into())],
            strings: vec!["cardio".into(), "cover".into(), "knn".into()],
            detectors: vec!["knn".into()],
            metrics: vec!["vus_pr".into()],
            vars: vec![
                VarInfo {
                    name: "ds".into(),
                    type_name: "DatasetRef".into(),
                    keys: vec![],
                },
                VarInfo {
                    name: "cfg".into(),
                    type_name: "Map".into(),
                    keys: vec!["alpha".into(), "beta".into()],
                },
                VarInfo {
                    name: "load_count".into(),
                    type_name: "i64".into(),
                    keys: vec![],
                },
            ],
        }
    }

    fn got(line: &str) -> (usize, Vec<String>) {
        let (s, p) = complete_at(&names(), line, line.len());
        (s, p.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn completes_functions_variables_keys_properties_and_strings() {
        assert_eq!(got("let x = load_d"), (8, vec!["load_dataset".into()]));
        assert_eq!(
            got("load_"),
            (
                0,
                vec![
                    "load_count".into(),
                    "load_dataset".into(),
                    "load_series".into()
                ]
            )
        );
        assert_eq!(got("cfg.a"), (4, vec!["alpha".into()]));
        assert_eq!(got("cfg."), (4, vec!["alpha".into(), "beta".into()]));
        assert_eq!(got("ds.n"), (3, vec!["n_samples".into()]));
        assert_eq!(got("ds.s"), (3, vec!["split".into()]));
        assert_eq!(
            got("load_dataset(\"c"),
            (14, vec!["cardio".into(), "cover".into()])
        );
        assert_eq!(
            got("print(\"done\"); detector(\"k"),
            (25, vec!["knn".into()])
        );
        assert_eq!(got(":ti"), (0, vec![":time".into()]));
        assert_eq!(got(":doc roc"), (5, vec!["roc_auc".into()]));
        assert_eq!(got(":doc kn"), (5, vec!["knn".into()]));
        assert_eq!(got(":doc vus_"), (5, vec!["vus_pr".into()]));
        assert_eq!(got("x + "), (4, vec![]));
    }
}
