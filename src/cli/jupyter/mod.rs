//! `anml jupyter`: a native Jupyter kernel, so `.rhai` notebooks open and
//! run in JupyterLab and VS Code as in the REPL — the same sandboxed host,
//! limits, workspace gate, run store and access log as `anml script`,
//! the same completion table and `:doc` text — with tables, datasets,
//! leaderboards and figures shown richly.
//!
//! `server` holds the ZeroMQ channels (Jupyter messaging protocol 5.3,
//! HMAC-SHA256), `session` the engine thread, `kernelspec` the install.

pub mod kernelspec;
mod server;
mod session;

pub use session::error_output;

use super::Outcome;
use super::args::{GlobalOpts, JupyterArgs, JupyterCommand};
use crate::error::Error;
use crate::notebook::ipynb;
use crate::script::{Host, Interrupt};
use jupyter_protocol::{
    CodeMirrorMode, ConnectionInfo, KernelInfoReply, LanguageInfo, ReplyStatus,
};
use std::sync::{Arc, Mutex};
use thiserror::Error as ThisError;

/// Why the kernel could not start, run or be installed.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum JupyterError {
    /// The connection file is missing, unreadable or not one.
    #[error("connection file {path}: {message}")]
    ConnectionFile { path: String, message: String },
    /// `anml jupyter` was started without a connection file.
    #[error(
        "give --connection-file FILE (Jupyter does, from the kernelspec `anml jupyter install` writes)"
    )]
    NoConnectionFile,
    /// The connection asks for something anml does not speak.
    #[error("{0}")]
    Connection(String),
    /// A socket could not be bound (a port in use, a bad address).
    #[error("cannot open the kernel's sockets: {0}")]
    Bind(String),
    /// The session's host could not be built (a bad workspace, limits).
    #[error("cannot start the kernel's session: {0}")]
    Host(#[source] Box<Error>),
    /// The runtime or the engine thread failed.
    #[error("kernel runtime: {0}")]
    Runtime(String),
    /// The kernelspec could not be written.
    #[error("cannot install the kernelspec: {0}")]
    Install(String),
}

impl JupyterError {
    /// Whether the error is in the command line (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            JupyterError::ConnectionFile { .. } | JupyterError::NoConnectionFile
        )
    }
}

/// The `kernel_info_reply` content.
pub fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".to_string(),
        implementation: "anml".to_string(),
        implementation_version: crate::VERSION.to_string(),
        language_info: LanguageInfo {
            name: ipynb::LANGUAGE.to_string(),
            version: "1.27".to_string(),
            mimetype: Some(ipynb::LANGUAGE_MIMETYPE.to_string()),
            file_extension: Some(ipynb::LANGUAGE_EXTENSION.to_string()),
            pygments_lexer: Some(ipynb::LANGUAGE_HIGHLIGHT.to_string()),
            codemirror_mode: Some(CodeMirrorMode::Simple(
                ipynb::LANGUAGE_HIGHLIGHT.to_string(),
            )),
            nbconvert_exporter: None,
        },
        banner: format!(
            "anml {} — sandboxed Rhai for anomaly-detection research. Shift-Tab on a \
             function shows its documentation; Tab completes.",
            crate::VERSION
        ),
        help_links: vec![],
        debugger: false,
        error: None,
    }
}

/// The global flags in force that the kernel must start with: limits
/// that differ from the defaults, and the workspace, data directory,
/// mirror (from flags or their environment variables) and `--offline`, as
/// absolute paths. So `anml --max-operations=1e9 jupyter install` gives
/// notebooks that limit.
fn spec_flags(g: &GlobalOpts) -> Result<Vec<String>, Error> {
    let abs = |p: &std::path::Path| -> Result<String, Error> {
        std::path::absolute(p)
            .map(|p| p.display().to_string())
            .map_err(|e| JupyterError::Install(format!("{}: {e}", p.display())).into())
    };
    let mut flags = g.limits.non_default_flags();
    if g.workspace != std::path::Path::new(".") {
        flags.push(format!("--workspace={}", abs(&g.workspace)?));
    }
    if let Some(d) = &g.data_dir {
        flags.push(format!("--data-dir={}", abs(d)?));
    }
    if let Some(m) = &g.data_mirror {
        flags.push(format!("--data-mirror={}", abs(m)?));
    }
    if g.offline {
        flags.push("--offline".into());
    }
    Ok(flags)
}

/// The experiment a kernel's runs are filed under: the notebook's file
/// stem, which jupyter_server passes as `JPY_SESSION_NAME` (so a sweep in
/// `odds_tour.ipynb` shares `results/odds_tour/` with `anml notebook run`
/// of the same notebook), else `jupyter`.
fn experiment_name(session: Option<std::ffi::OsString>) -> String {
    session
        .as_deref()
        .and_then(|s| std::path::Path::new(s).file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.trim().is_empty())
        .map_or_else(|| "jupyter".into(), |s| super::common::safe_name(&s))
}

/// Read a connection file (at most 1 MiB: it holds five ports and a key).
fn read_connection_file(path: &std::path::Path) -> Result<ConnectionInfo, JupyterError> {
    use crate::capped_read::{CappedReadError, read_text};
    let bad = |message: String| JupyterError::ConnectionFile {
        path: path.display().to_string(),
        message,
    };
    let text = read_text(path, 1 << 20).map_err(|e| match e {
        CappedReadError::Io(e) => bad(e.to_string()),
        CappedReadError::NotAFile => bad("not a regular file".into()),
        CappedReadError::TooLarge { bytes } => {
            bad(format!("{bytes} bytes is not a connection file"))
        }
    })?;
    serde_json::from_str(&text).map_err(|e| bad(format!("not a Jupyter connection file: {e}")))
}

pub fn run(g: &GlobalOpts, a: &JupyterArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    match &a.command {
        Some(JupyterCommand::Install(i)) => {
            let target = match (&i.prefix, i.sys_prefix) {
                (Some(p), _) => kernelspec::Target::Prefix(p.clone()),
                (None, true) => kernelspec::Target::SysPrefix,
                (None, false) => kernelspec::Target::User,
            };
            let dir = kernelspec::install(&target, &spec_flags(g)?)?;
            println!(
                "installed the `{}` kernelspec ({}) in {}",
                kernelspec::KERNEL_NAME,
                kernelspec::DISPLAY_NAME,
                dir.display()
            );
            Ok(Outcome::Success)
        }
        None => {
            let Some(path) = &a.connection_file else {
                return Err(JupyterError::NoConnectionFile.into());
            };
            let info = read_connection_file(path)?;
            let g = g.clone();
            let host_interrupt = interrupt.clone();
            let make_host = move |outputs: session::Outputs| -> Result<Host, Error> {
                let mut ctx = super::common::host_context(
                    &g,
                    experiment_name(std::env::var_os("JPY_SESSION_NAME")),
                    None,
                    None,
                    &host_interrupt,
                )?;
                let observer = outputs.clone();
                ctx.sweep_observer = Some(Arc::new(move |e| observer.sweep_event(e)));
                let printer = outputs;
                let sink: crate::script::OutputSink =
                    Arc::new(Mutex::new(move |text: &str| printer.print(text)));
                Ok(Host::with_output(ctx, host_interrupt, Some(sink)))
            };
            server::serve(info, interrupt, make_host)?;
            Ok(Outcome::Success)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_filed_under_the_notebook_name() {
        let name = |s: &str| experiment_name(Some(s.into()));
        assert_eq!(name("/home/me/work/odds_tour.ipynb"), "odds_tour");
        assert_eq!(name("a b/../x y.ipynb"), "x_y");
        assert_eq!(name(""), "jupyter");
        assert_eq!(experiment_name(None), "jupyter");
    }
}
