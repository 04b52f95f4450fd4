//! The REPL's `:` commands: one table of name, argument, help text and
//! handler. `:help` prints it and completion reads it, so a command cannot
//! exist without being documented.

use super::Session;
use crate::script::docs::FnDoc;
use std::path::{Path, PathBuf};

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// One `:` command.
pub struct Command {
    pub name: &'static str,
    /// The argument, as shown by `:help` ("" for none).
    pub arg: &'static str,
    pub help: &'static str,
    pub run: fn(&mut Session, &str) -> Flow,
}

/// How `:load` and `:save` read their FILE (printed by `:help`).
pub const FILE_RULE: &str = "FILE of :load and :save: a relative path is in the workspace (--workspace), \
`~/…` is in your home directory, an absolute path is as written; :load reads at most \
--max-string-size bytes.";

/// Every command, in `:help` order.
pub const COMMANDS: &[Command] = &[
    Command {
        name: ":help",
        arg: "",
        help: "list commands and documented functions",
        run: help,
    },
    Command {
        name: ":doc",
        arg: "NAME",
        help: "signature, doc and example of a function, property or detector",
        run: doc,
    },
    Command {
        name: ":vars",
        arg: "",
        help: "variables in scope with their types and values",
        run: vars,
    },
    Command {
        name: ":type",
        arg: "EXPR",
        help: "evaluate EXPR in the session and print its type",
        run: type_of,
    },
    Command {
        name: ":time",
        arg: "",
        help: "toggle printing wall time and Rhai operations after each input",
        run: time,
    },
    Command {
        name: ":load",
        arg: "FILE",
        help: "run a script file in the session (its variables stay)",
        run: load,
    },
    Command {
        name: ":save",
        arg: "FILE",
        help: "write the session's successful inputs as a script",
        run: save,
    },
    Command {
        name: ":clear",
        arg: "",
        help: "forget every variable, function and input of the session",
        run: clear,
    },
    Command {
        name: ":quit",
        arg: "",
        help: "leave (Ctrl-D works too)",
        run: |_, _| Flow::Quit,
    },
];

/// Run the command line `line` (starting with `:`).
pub fn dispatch(session: &mut Session, line: &str) -> Flow {
    let (name, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let alias = match name {
        ":h" | ":?" => ":help",
        ":q" | ":exit" => ":quit",
        other => other,
    };
    match COMMANDS.iter().find(|c| c.name == alias) {
        Some(c) => (c.run)(session, arg.trim()),
        None => {
            eprintln!("unknown command {name}; :help lists commands");
            Flow::Continue
        }
    }
}

fn help(s: &mut Session, _: &str) -> Flow {
    println!("commands:");
    for c in COMMANDS {
        println!("  {:<14} {}", format!("{} {}", c.name, c.arg), c.help);
    }
    println!("\n{FILE_RULE}");
    let mut names: Vec<&str> = s.docs.iter().map(|d| d.name.as_str()).collect();
    names.dedup();
    println!("\nfunctions and properties (:doc NAME for details, Tab completes):");
    for chunk in names.chunks(6) {
        println!("  {}", chunk.join("  "));
    }
    println!(
        "\ndetectors: {}",
        crate::detectors::DETECTORS
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "metrics (:doc NAME): {}",
        crate::metrics::TABLE
            .iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    Flow::Continue
}

fn doc(s: &mut Session, name: &str) -> Flow {
    let name = name.trim().trim_start_matches('.');
    if name.is_empty() {
        eprintln!(":doc NAME — e.g. :doc load_dataset");
        return Flow::Continue;
    }
    match doc_text(&s.docs, name) {
        Some(text) => print!("{text}"),
        None => eprintln!(
            "no documented function, property, detector or metric `{name}`; :help lists them"
        ),
    }
    Flow::Continue
}

/// What `:doc NAME` shows (the Jupyter kernel's inspect reply too): a
/// detector's parameters and example, and every function, property or
/// metric of that name with its signature, doc and example; `None` when
/// nothing is documented under `name`.
pub fn doc_text(docs: &[FnDoc], name: &str) -> Option<String> {
    use std::fmt::Write as _;
    let name = name.trim().trim_start_matches('.');
    if name.is_empty() {
        return None;
    }
    let metric_docs = crate::script::docs::metric_docs();
    let hits: Vec<&FnDoc> = docs
        .iter()
        .chain(&metric_docs)
        .filter(|d| d.name.trim_start_matches('.') == name)
        .collect();
    let detector = crate::detectors::DETECTORS.iter().find(|d| d.name == name);
    if hits.is_empty() && detector.is_none() {
        return None;
    }
    let mut out = String::new();
    if let Some(spec) = detector {
        let _ = writeln!(
            out,
            "detector `{}` {}: {}\n{}\n",
            spec.name, spec.version, spec.summary, spec.reference
        );
        let defaults = spec.default_params();
        for p in spec.params {
            let d = defaults.get(p.name).cloned().unwrap_or_default();
            let _ = writeln!(out, "  {} = {d}\n      {}", p.name, p.doc);
        }
        let _ = writeln!(out, "\nexample:\n{}\n", spec.example);
    }
    for d in hits {
        let _ = writeln!(out, "{}\n\n{}\n", d.signature, d.doc);
        if let Some(ex) = &d.example {
            let _ = writeln!(out, "example:\n{ex}\n");
        }
    }
    Some(out)
}

fn vars(s: &mut Session, _: &str) -> Flow {
    if s.scope.is_empty() {
        println!("no variables yet");
    }
    for (name, _, v) in s.scope.iter() {
        let ty = s.host.engine().map_type_name(v.type_name());
        let shown = crate::script::types::display_value(&v);
        let lines = shown.lines().count();
        if lines > 1 {
            println!("{name}: {ty} ({lines} lines; enter `{name}` to show it)");
        } else {
            println!("{name}: {ty} = {shown}");
        }
    }
    Flow::Continue
}

fn type_of(s: &mut Session, expr: &str) -> Flow {
    if expr.is_empty() {
        eprintln!(":type EXPR — e.g. :type load_dataset(\"cardio\")");
        return Flow::Continue;
    }
    match s.eval(expr, None) {
        Ok(v) => println!("{}", s.host.engine().map_type_name(v.type_name())),
        Err(e) => eprint!("{e}"),
    }
    Flow::Continue
}

fn time(s: &mut Session, _: &str) -> Flow {
    s.timing = !s.timing;
    println!("timing {}", if s.timing { "on" } else { "off" });
    Flow::Continue
}

/// The file a `:load` or `:save` argument names: a relative path is
/// resolved against the workspace root (as every path a script touches);
/// `~` and `~/…` are the home directory; `~user` is refused; an absolute
/// path is taken as written.
pub fn session_path(workspace_root: &Path, file: &str) -> Result<PathBuf, String> {
    let file = file.trim();
    if let Some(rest) = file.strip_prefix('~') {
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(format!(
                "`{file}`: only `~` and `~/…` are expanded (to the home directory)"
            ));
        }
        let home =
            dirs::home_dir().ok_or_else(|| format!("`{file}`: no home directory is known"))?;
        return Ok(home.join(rest.trim_start_matches('/')));
    }
    let p = Path::new(file);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        workspace_root.join(p)
    })
}

/// Read a script file of at most `limit` bytes (the string limit,
/// `--max-string-size`; 0 is no limit), checked before reading.
pub fn read_script(path: &Path, limit: usize) -> Result<String, String> {
    use crate::capped_read::{CappedReadError, read_text};
    let shown = path.display();
    // limits are at least 1; 0 would mean no cap
    let cap = if limit > 0 { limit as u64 } else { u64::MAX };
    read_text(path, cap).map_err(|e| match e {
        CappedReadError::Io(e) => format!("cannot read {shown}: {e}"),
        CappedReadError::NotAFile => format!("cannot read {shown}: not a file"),
        CappedReadError::TooLarge { bytes } => format!(
            "cannot load {shown}: it is {bytes} bytes, more than the string limit of {limit} bytes (--max-string-size)"
        ),
    })
}

fn load(s: &mut Session, file: &str) -> Flow {
    if file.is_empty() {
        eprintln!(":load FILE");
        return Flow::Continue;
    }
    let ctx = s.host.context().clone();
    let read = session_path(ctx.workspace.root(), file)
        .and_then(|p| read_script(&p, ctx.limits.max_string_size).map(|src| (p, src)));
    match read {
        Ok((path, src)) => s.run_input(&src, Some(&path.display().to_string())),
        Err(e) => eprintln!("{e}"),
    }
    Flow::Continue
}

fn save(s: &mut Session, file: &str) -> Flow {
    if file.is_empty() {
        eprintln!(":save FILE");
        return Flow::Continue;
    }
    let path = match session_path(s.host.context().workspace.root(), file) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return Flow::Continue;
        }
    };
    let mut text = format!("// saved from `anml repl` ({} inputs)\n", s.inputs.len());
    for i in &s.inputs {
        let body = i.trim_end();
        text.push_str(body);
        if !body.ends_with([';', '}']) {
            // a statement separator, on its own line after a trailing comment
            if body.lines().last().is_some_and(|l| l.contains("//")) {
                text.push('\n');
            }
            text.push(';');
        }
        text.push('\n');
    }
    match crate::atomic_file::write(&path, text.as_bytes()) {
        Ok(()) => println!("saved {} inputs to {}", s.inputs.len(), path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
    Flow::Continue
}

fn clear(s: &mut Session, _: &str) -> Flow {
    s.reset();
    println!("session cleared");
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_resolve_against_the_workspace_and_home() {
        let ws = Path::new("/ws/root");
        assert_eq!(session_path(ws, "a.rhai").unwrap(), ws.join("a.rhai"));
        assert_eq!(
            session_path(ws, " sub/b.rhai ").unwrap(),
            ws.join("sub/b.rhai")
        );
        assert_eq!(
            session_path(ws, "/abs/c.rhai").unwrap(),
            Path::new("/abs/c.rhai")
        );
        if let Some(home) = dirs::home_dir() {
            assert_eq!(session_path(ws, "~/x.rhai").unwrap(), home.join("x.rhai"));
            assert_eq!(session_path(ws, "~").unwrap(), home);
        }
        let e = session_path(ws, "~root/x.rhai").unwrap_err();
        assert!(e.contains("only `~` and `~/…`"), "{e}");
    }

    #[test]
    fn a_script_over_the_string_limit_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.rhai");
        std::fs::write(&f, "x".repeat(101)).unwrap();
        let e = read_script(&f, 100).unwrap_err();
        assert!(
            e.contains("101 bytes, more than the string limit of 100"),
            "{e}"
        );
        assert_eq!(read_script(&f, 101).unwrap().len(), 101);
        assert_eq!(read_script(&f, 0).unwrap().len(), 101);
        assert!(
            read_script(dir.path(), 100)
                .unwrap_err()
                .contains("not a file")
        );
    }

    #[test]
    fn every_command_is_documented_and_unique() {
        let mut names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        assert!(
            COMMANDS
                .iter()
                .all(|c| c.name.starts_with(':') && !c.help.is_empty())
        );
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
        for want in [
            ":help", ":doc", ":vars", ":type", ":time", ":load", ":save", ":clear", ":quit",
        ] {
            assert!(names.contains(&want), "{want}");
        }
    }
}
