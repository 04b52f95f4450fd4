//! `anml repl`: an interactive session over the same sandboxed engine as
//! `anml script`.
//!
//! rustyline gives line editing, Ctrl-R history search and hints from
//! history; the history file (`$XDG_DATA_HOME/anml/history`) is written
//! after every input, so a killed session keeps it. `helper` holds the
//! Rhai-aware validator (multi-line input) and completion from the live
//! session; `commands` is the one table of `:` commands; `display` shows
//! values richly. Variables and functions persist across inputs; an
//! optional `$XDG_CONFIG_HOME/anml/init.rhai` runs first (`--no-init`
//! skips it). Ctrl-C stops a running evaluation and keeps the session;
//! Ctrl-D leaves.

mod commands;
mod display;
mod helper;

pub use commands::{doc_text, read_script};
pub use helper::{Names, VarInfo, complete_at, is_incomplete};

use super::Outcome;
use super::args::{GlobalOpts, ReplArgs};
use crate::error::Error;
use crate::script::docs::{FnDoc, function_docs};
use crate::script::{Host, Interrupt, ScriptError};
use commands::Flow;
use helper::ReplHelper;
use rhai::{AST, Dynamic, Scope};
use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::history::{DefaultHistory, History};
use rustyline::{CompletionType, Editor};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

/// Entries kept in the history file.
const HISTORY_SIZE: usize = 10_000;

/// The state of one session.
pub struct Session {
    host: Host,
    scope: Scope<'static>,
    functions: AST,
    docs: Vec<FnDoc>,
    /// Successful inputs, for `:save`.
    inputs: Vec<String>,
    /// `:time` is on.
    timing: bool,
    /// Evaluations so far (names the source `<repl:N>`).
    count: usize,
    names: Rc<RefCell<Names>>,
}

impl Session {
    fn new(host: Host) -> Self {
        let docs = function_docs(host.engine());
        Self {
            host,
            scope: Scope::new(),
            functions: AST::empty(),
            docs,
            inputs: Vec::new(),
            timing: false,
            count: 0,
            names: Rc::new(RefCell::new(Names::default())),
        }
    }

    /// Evaluate `src` in the session; errors name `source` (a file), else
    /// `<repl:N>`.
    fn eval(&mut self, src: &str, source: Option<&str>) -> Result<Dynamic, ScriptError> {
        self.count += 1;
        let name = source.map_or_else(|| format!("<repl:{}>", self.count), str::to_string);
        let r = self
            .host
            .eval_repl(&mut self.scope, &mut self.functions, &name, src);
        // A Ctrl-C that arrived after the evaluation finished must not
        // stop the next one.
        self.host.interrupt().reset();
        r
    }

    /// Evaluate an input (typed, or the file `file`), show its value or
    /// error, remember it for `:save`, and refresh completion.
    fn run_input(&mut self, src: &str, file: Option<&str>) {
        let start = Instant::now();
        let result = self.eval(src, file);
        let label = file.map_or_else(|| format!("<repl:{}>", self.count), str::to_string);
        let secs = start.elapsed().as_secs_f64();
        match result {
            Ok(v) => {
                self.inputs.push(src.to_string());
                let text = display::show(self.host.context(), &v);
                if !text.is_empty() {
                    println!("{text}");
                }
            }
            Err(ScriptError::Interrupted(msg)) => {
                eprint!("{msg}");
                eprintln!("interrupted; the session is intact");
            }
            Err(e) => eprint!("{e}"),
        }
        if self.timing {
            println!(
                "[{label}: {:.3} s, {} operations]",
                secs,
                self.host.last_operations()
            );
        }
        self.refresh_names();
    }

    fn reset(&mut self) {
        self.scope = Scope::new();
        self.functions = AST::empty();
        self.inputs.clear();
        self.refresh_names();
    }

    /// Rebuild what completion offers from the engine and the scope.
    fn refresh_names(&self) {
        *self.names.borrow_mut() = names_of(&self.host, &self.docs, &self.scope);
    }
}

/// What completion offers in a session on `host` with variables `scope`:
/// documented functions, properties and methods (`docs`), metric and
/// detector names, dataset/series/registry names for string literals, and
/// the variables with their types and map keys. The REPL and the Jupyter
/// kernel complete from the same table.
pub fn names_of(host: &Host, docs: &[FnDoc], scope: &Scope<'static>) -> Names {
    let mut n = Names::default();
    for d in docs {
        let receiver = d
            .signature
            .split_once('(')
            .and_then(|(_, rest)| rest.split([',', ')']).next())
            .and_then(|p| p.split_once(':'))
            .map(|(_, t)| t.trim().trim_start_matches("&mut ").to_string())
            .unwrap_or_default();
        if let Some(prop) = d.name.strip_prefix('.') {
            n.properties.push((prop.to_string(), receiver));
        } else {
            n.functions.push(d.name.clone());
            let custom = receiver.chars().next().is_some_and(char::is_uppercase);
            if custom {
                n.methods.push((d.name.clone(), receiver));
            }
        }
    }
    n.metrics = crate::metrics::TABLE
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    n.detectors = crate::detectors::DETECTORS
        .iter()
        .map(|d| d.name.to_string())
        .collect();
    let mut strings: Vec<String> = crate::data::catalog::DATASETS
        .iter()
        .map(|d| d.name.to_string())
        .chain(
            crate::data::series_catalog::SERIES
                .iter()
                .map(|s| s.name.to_string()),
        )
        .chain(n.detectors.iter().cloned())
        .collect();
    let registry = crate::registry::ArtefactRegistry::new(host.context().workspace.registry_dir());
    if let Ok(entries) = registry.entries() {
        for (name, version) in entries {
            strings.push(format!("{name}@{version}"));
            strings.push(name);
        }
    }
    strings.sort();
    strings.dedup();
    n.strings = strings;
    n.vars = scope
        .iter()
        .map(|(name, _, v)| VarInfo {
            name: name.to_string(),
            type_name: v
                .type_name()
                .rsplit("::")
                .next()
                .unwrap_or_default()
                .to_string(),
            keys: v
                .read_lock::<rhai::Map>()
                .map(|m| m.keys().map(|k| k.to_string()).collect())
                .unwrap_or_default(),
        })
        .collect();
    n
}

fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("anml").join("history"))
}

fn init_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("anml").join("init.rhai"))
}

pub fn run(g: &GlobalOpts, a: &ReplArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    let host: Host = super::common::host(g, "repl".into(), None, None, interrupt)?;
    let mut session = Session::new(host);
    session.refresh_names();

    if !a.no_init
        && let Some(init) = init_path().filter(|p| p.is_file())
    {
        let limit = session.host.context().limits.max_string_size;
        match commands::read_script(&init, limit) {
            Ok(src) => session.run_input(&src, Some(&init.display().to_string())),
            Err(e) => eprintln!("{e}"),
        }
    }
    if let Some(file) = &a.file {
        let limit = session.host.context().limits.max_string_size;
        let src = commands::read_script(file, limit).map_err(ScriptError::Failed)?;
        session.run_input(&src, Some(&file.display().to_string()));
    }

    let config = Config::builder()
        .max_history_size(HISTORY_SIZE)
        .map_err(|e| ScriptError::Failed(format!("cannot start the REPL: {e}")))?
        .history_ignore_dups(true)
        .map_err(|e| ScriptError::Failed(format!("cannot start the REPL: {e}")))?
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut rl: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)
        .map_err(|e| ScriptError::Failed(format!("cannot start the REPL: {e}")))?;
    rl.set_helper(Some(ReplHelper::new(session.names.clone())));
    let hist = history_path();
    if let Some(h) = &hist {
        // A missing history file is the first session, not an error.
        let _ = rl.load_history(h);
    }
    println!(
        "anml {} REPL — :help for commands, Tab completes, Ctrl-R searches history, Ctrl-D quits",
        crate::VERSION
    );
    loop {
        match rl.readline("anml> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                if rl.history_mut().add(&line).is_ok()
                    && let Some(h) = &hist
                {
                    save_history(&mut rl, h);
                }
                let t = line.trim();
                if t.starts_with(':') {
                    if commands::dispatch(&mut session, t) == Flow::Quit {
                        break;
                    }
                    continue;
                }
                session.run_input(&line, None);
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("readline error: {e}");
                break;
            }
        }
    }
    Ok(Outcome::Success)
}

fn save_history(rl: &mut Editor<ReplHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_err()
    {
        return;
    }
    if let Err(e) = rl.save_history(path) {
        eprintln!("warning: cannot save history to {}: {e}", path.display());
    }
}
