//! The `anml` binary: parse flags, run, print an error with its cause chain
//! (each cause once, see `Error::chain_text`), exit with a deliberate code
//! (0 ok, 1 error or failed check, 2 usage, 130 Ctrl-C).

use anml::cli::{Cli, Outcome};
use anml::script::Interrupt;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // First, while this is the only thread: one BLAS thread, and OpenBLAS's
    // idle workers stopped (they would spin on a core for ~0.1 s).
    anml::blas::single_threaded_process();
    ignore_file_size_signal();
    end_quietly_on_closed_pipe();
    let cli = Cli::parse();
    if let Err(e) = anml::simd::check_env() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
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

/// Past a file-size limit (`ulimit -f`, RLIMIT_FSIZE) the kernel sends
/// SIGXFSZ, whose default action kills the process with no message and
/// leaves its temp files behind. Ignored, the write fails with EFBIG
/// instead, which is reported like a full disk: a clear error, exit 1, the
/// temp file removed and no final-named file with partial content.
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN at startup, before
    // any other thread exists, installs no handler code.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Rust ignores SIGPIPE, so `anml ... | head` made `println!` panic with
/// "failed printing to stdout: Broken pipe" once `head` had exited. With the
/// default action the process ends quietly on a closed pipe, as `cat` or
/// `ls` do. Nothing else anml writes can raise it: sockets (the Jupyter
/// kernel) are written with MSG_NOSIGNAL by std, and no child process gets a
/// stdin pipe (`slurm::tools` gives sbatch/squeue/sacct a null stdin). Files
/// are written atomically, so a run ended this way leaves no partial file.
fn end_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at startup, before
    // any other thread exists, installs no handler code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
