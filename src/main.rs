//! The `anml` binary: parse flags, run, print an error once with its cause
//! chain (each cause once, see `Error::chain_text`), exit with a deliberate code (0 ok, 1 error or failed check, 2 usage,
//! 130 Ctrl-C).

use anml::cli::{Cli, Outcome};
use anml::script::Interrupt;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let interrupt = Interrupt::new();
    let flag = interrupt.clone();
    // First Ctrl-C stops the running script (the REPL survives); a second
    // one while the first is still pending ends the process.
    let _ = ctrlc::set_handler(move || {
        if flag.is_triggered() {
            std::process::exit(130);
        }
        flag.trigger();
    });
    match anml::cli::run(cli, interrupt) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Ok(Outcome::ChecksFailed) => ExitCode::from(1),
        Err(e) => {
            let code = if e.is_usage() { 2 } else { 1 };
            let text = e.chain_text();
            if text.starts_with("error:") {
                eprint!("{text}");
                if !text.ends_with('\n') {
                    eprintln!();
                }
            } else {
                eprintln!("error: {text}");
            }
            ExitCode::from(code)
        }
    }
}
