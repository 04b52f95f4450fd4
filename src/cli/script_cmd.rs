//! `anml script FILE`: run a Rhai experiment script in the sandbox. Its
//! SHA-256 goes into every run id; Ctrl-C stops it with exit 130.

use super::Outcome;
use super::args::{GlobalOpts, ScriptArgs};
use super::common::{host, safe_name, stem};
use crate::error::Error;
use crate::script::{Interrupt, ScriptError};

pub fn run(g: &GlobalOpts, a: &ScriptArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    let source = std::fs::read_to_string(&a.file).map_err(|source| ScriptError::Read {
        path: a.file.clone(),
        source,
    })?;
    let experiment = a.experiment.clone().unwrap_or_else(|| stem(&a.file));
    let host = host(
        g,
        safe_name(&experiment),
        Some((&a.file, &source)),
        Some(&a.sweep),
        interrupt,
    )?;
    match host.run(&a.file.display().to_string(), &source) {
        Ok(_) => Ok(Outcome::Success),
        Err(ScriptError::Interrupted(msg)) => {
            eprint!("{msg}");
            Ok(Outcome::Interrupted)
        }
        Err(e) => Err(e.into()),
    }
}
