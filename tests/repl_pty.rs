//! The real REPL typed into through a pseudo-terminal (rexpect): multi-line
//! input, Tab completion, `:doc`, an error with a caret, Ctrl-C during a
//! long evaluation (the session survives), init.rhai, and history that
//! persists across two launches.

mod common;

use rexpect::session::{PtySession, spawn_command};
use std::path::Path;
use std::process::Command;

const TIMEOUT_MS: u64 = 20_000;

fn launch(home: &Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anml"));
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("ANML_DATA_MIRROR", common::mirror())
        .env("ANML_DATA_DIR", home.join("cache"))
        .env("TERM", "xterm")
        .arg("--workspace")
        .arg(home.join("ws"))
        .arg("--max-operations")
        .arg("100000000000")
        .arg("repl");
    let mut p = spawn_command(cmd, Some(TIMEOUT_MS)).expect("spawn the REPL");
    p.exp_string("anml> ").expect("first prompt");
    p
}

/// Type `text` and press Enter.
fn enter(p: &mut PtySession, text: &str) {
    p.send(text).unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
}

/// Wait until the next prompt is reading: rustyline re-enters raw mode
/// per line (which drops typed-ahead input), then turns on bracketed paste.
fn ready(p: &mut PtySession) {
    p.exp_string("\x1b[?2004h").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
}

/// Enter a complete input, expect `want` in its output, wait for the prompt.
fn run(p: &mut PtySession, text: &str, want: &str) {
    enter(p, text);
    p.exp_string(want)
        .unwrap_or_else(|e| panic!("{text}: expected {want:?}: {e}"));
    ready(p);
}

#[test]
fn the_repl_edits_completes_documents_interrupts_and_remembers() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("ws")).unwrap();
    let config = home.path().join("config/anml");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("init.rhai"), "let from_init = 7;\n").unwrap();

    let mut p = launch(home.path());
    // init.rhai ran
    run(&mut p, "from_init * 6", "42");

    // multi-line input: the prompt stays open until the braces close
    enter(&mut p, "fn twice(x) {");
    enter(&mut p, "    x * 2");
    enter(&mut p, "}");
    ready(&mut p);
    run(&mut p, "twice(21) + 1000", "1042");

    // Tab completes a function name
    p.send("load_datas\t").unwrap();
    p.flush().unwrap();
    p.exp_string("load_dataset").unwrap();
    run(&mut p, "(\"toy-blobs\").n_samples * 3", "3000");

    // :doc shows the signature and the example
    enter(&mut p, ":doc load_dataset");
    p.exp_string("load_dataset(").unwrap();
    p.exp_string("example:").unwrap();
    ready(&mut p);

    // an error shows the line and a caret
    enter(&mut p, "let broken = 1 +* 2;");
    p.exp_string("<repl:").unwrap();
    p.exp_string("^").unwrap();
    ready(&mut p);

    // Ctrl-C stops a long evaluation; the session is intact
    enter(&mut p, "let n = 0; loop { n += 1; }");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    ready(&mut p);
    run(&mut p, "twice(500) + 1", "1001");

    enter(&mut p, "let remembered_line = 123;");
    ready(&mut p);
    enter(&mut p, ":quit");
    p.exp_eof().unwrap();

    // history persists: Up on a fresh launch brings the last line back
    let hist = std::fs::read_to_string(home.path().join("data/anml/history")).unwrap();
    assert!(hist.contains("let remembered_line = 123;"), "{hist}");
    let mut p = launch(home.path());
    p.send("\x1b[A").unwrap(); // Up: the last entry is `:quit`
    p.send("\x1b[A").unwrap();
    p.flush().unwrap();
    p.exp_string("let remembered_line = 123;").unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
    ready(&mut p);
    run(&mut p, "remembered_line + 1", "124");
    enter(&mut p, ":quit");
    p.exp_eof().unwrap();
}
