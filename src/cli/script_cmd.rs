//! `anml script FILE` (alias `anml sweep`): run a Rhai experiment script in
//! the sandbox. Its SHA-256 goes into every run id; Ctrl-C stops it with
//! exit 130. With `--slurm` the script is submitted as a job array instead
//! (see `slurm_cmd`).

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
    let sha256 = crate::hashing::sha256_hex(source.as_bytes());
    if let Some(submitted) = &a.script_sha256
        && *submitted != sha256
    {
        return Err(crate::slurm::SlurmError::ScriptChanged {
            path: a.file.clone(),
            submitted: submitted.clone(),
            now: sha256,
        }
        .into());
    }
    let experiment = safe_name(&a.experiment.clone().unwrap_or_else(|| stem(&a.file)));
    let cancel = interrupt.flag();
    let host = host(
        g,
        experiment.clone(),
        Some((&a.file, &source)),
        Some(&a.sweep),
        interrupt,
    )?;
    if a.sweep.slurm.slurm {
        let options = super::slurm_cmd::check(&a.sweep, None)?;
        // A script that does not compile fails here, not in every task.
        host.compile(&a.file.display().to_string(), &source)?;
        let store = g.workspace.join("results").join(&experiment);
        return super::slurm_cmd::submit(
            g,
            &a.sweep,
            options,
            super::slurm_cmd::SweepToSubmit {
                experiment: &experiment,
                store,
                stored: None,
                task_args: vec!["--script-sha256".into(), sha256],
                cancel,
            },
        );
    }
    match host.run(&a.file.display().to_string(), &source) {
        Ok(_) => Ok(Outcome::Success),
        Err(ScriptError::Interrupted(msg)) => {
            eprint!("{msg}");
            Ok(Outcome::Interrupted)
        }
        Err(e) => Err(e.into()),
    }
}
