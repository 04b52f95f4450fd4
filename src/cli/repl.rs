//! `anml repl`: a basic interactive session. rustyline gives editing and
//! persistent history; a Rhai-aware validator keeps the prompt open while
//! brackets are unclosed or input ends early; `:` commands come from one
//! table; Ctrl-C stops a running evaluation and keeps the session.

use super::Outcome;
use super::args::{GlobalOpts, ReplArgs};
use crate::error::Error;
use crate::script::docs::{FnDoc, completion_names, function_docs};
use crate::script::{Host, Interrupt, ScriptError};
use rhai::{Dynamic, Scope};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper, Highlighter, Hinter};
use std::path::PathBuf;

/// The `:` commands, with their help text. `:help` prints this table.
const COMMANDS: &[(&str, &str)] = &[
    (":help", "list commands and documented functions"),
    (":doc NAME", "signature, doc and example of a function"),
    (":vars", "variables in scope"),
    (":quit", "leave (Ctrl-D works too)"),
];

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

#[derive(Helper, Hinter, Highlighter)]
struct ReplHelper {
    engine_names: Vec<String>,
    checker: rhai::Engine,
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

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let word = &line[start..pos];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let mut out: Vec<Pair> = self
            .engine_names
            .iter()
            .map(|n| n.trim_start_matches('.'))
            .filter(|n| n.starts_with(word))
            .map(|n| Pair {
                display: n.to_string(),
                replacement: n.to_string(),
            })
            .collect();
        out.dedup_by(|a, b| a.replacement == b.replacement);
        Ok((start, out))
    }
}

fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("anml").join("history"))
}

fn print_doc(docs: &[FnDoc], name: &str) {
    let name = name.trim().trim_start_matches('.');
    let hits: Vec<&FnDoc> = docs
        .iter()
        .filter(|d| d.name.trim_start_matches('.') == name)
        .collect();
    if let Some(s) = crate::detectors::DETECTORS.iter().find(|s| s.name == name) {
        println!(
            "detector `{}` {}: {}\n{}\n",
            s.name, s.version, s.summary, s.reference
        );
        let defaults = s.default_params();
        for p in s.params {
            let d = defaults.get(p.name).cloned().unwrap_or_default();
            println!("  {} = {d}\n      {}", p.name, p.doc);
        }
        println!("\nexample:\n{}\n", s.example);
    }
    if hits.is_empty() {
        if !crate::detectors::DETECTORS.iter().any(|s| s.name == name) {
            println!("no documented function or detector `{name}`; :help lists them");
        }
        return;
    }
    for d in hits {
        println!("{}\n\n{}\n", d.signature, d.doc);
        if let Some(ex) = &d.example {
            println!("example:\n{ex}\n");
        }
    }
}

fn print_help(docs: &[FnDoc]) {
    println!("commands:");
    for (c, h) in COMMANDS {
        println!("  {c:<12} {h}");
    }
    let mut names: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
    names.dedup();
    println!("\nfunctions and properties (:doc NAME for details):");
    for chunk in names.chunks(6) {
        println!("  {}", chunk.join("  "));
    }
}

fn show(value: &Dynamic) {
    if !value.is_unit() {
        println!("{}", crate::script::types::display_value(value));
    }
}

pub fn run(g: &GlobalOpts, a: &ReplArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    let host: Host = super::commands::host(g, "repl".into(), None, None, interrupt)?;
    let docs = function_docs(host.engine());
    let mut names = completion_names(host.engine());
    names.extend(
        crate::data::catalog::DATASETS
            .iter()
            .map(|s| s.name.to_string()),
    );
    names.extend(
        crate::detectors::DETECTORS
            .iter()
            .map(|s| s.name.to_string()),
    );
    names.sort();
    names.dedup();

    let mut scope: Scope<'static> = Scope::new();
    let mut functions = rhai::AST::empty();
    if let Some(file) = &a.file {
        let src = std::fs::read_to_string(file).map_err(|source| ScriptError::Read {
            path: file.clone(),
            source,
        })?;
        if let Err(e) = host.eval_repl(
            &mut scope,
            &mut functions,
            &file.display().to_string(),
            &src,
        ) {
            eprint!("{e}");
        }
    }

    let mut rl: Editor<ReplHelper, rustyline::history::DefaultHistory> =
        Editor::new().map_err(|e| ScriptError::Failed(format!("cannot start the REPL: {e}")))?;
    rl.set_helper(Some(ReplHelper {
        engine_names: names,
        checker: rhai::Engine::new_raw(),
    }));
    let hist = history_path();
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    println!(
        "anml {} REPL — :help for commands, Ctrl-D to quit",
        crate::VERSION
    );
    let mut n = 0usize;
    loop {
        match rl.readline("anml> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                let t = line.trim();
                if let Some(cmd) = t.strip_prefix(':') {
                    let (c, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
                    match c {
                        "help" | "h" => print_help(&docs),
                        "doc" => print_doc(&docs, rest),
                        "vars" => {
                            for (name, _, v) in scope.iter() {
                                let ty = host.engine().map_type_name(v.type_name());
                                let shown = crate::script::types::display_value(&v);
                                if shown.contains('\n') {
                                    println!("{name}: {ty} =\n{shown}");
                                } else {
                                    println!("{name}: {ty} = {shown}");
                                }
                            }
                        }
                        "quit" | "q" | "exit" => break,
                        other => println!("unknown command :{other}; :help lists commands"),
                    }
                    continue;
                }
                n += 1;
                match host.eval_repl(&mut scope, &mut functions, &format!("<repl:{n}>"), &line) {
                    Ok(v) => show(&v),
                    Err(e) => eprint!("{e}"),
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("readline error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &hist {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    Ok(Outcome::Success)
}

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
}
