//! What script-facing functions may reach: the workspace gate, the dataset
//! registry and the limits. Stored in the engine's default tag and read back
//! by functions through their `NativeCallContext`.

use super::Limits;
use crate::bench::{RunContext, SweepOptions};
use crate::data::DatasetRegistry;
use crate::workspace::Workspace;
use rhai::{EvalAltResult, NativeCallContext, Position};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// What a script read and which seeds it used: the inputs a report's
/// provenance names. Sorted and de-duplicated, so the same script gives the
/// same log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLog {
    /// Tabular datasets by name → SHA-256 of the file read.
    pub datasets: BTreeMap<String, String>,
    /// Time series by name → SHA-256 of its (first) file.
    pub series: BTreeMap<String, String>,
    /// Registry artefacts `name@version` → `sha256:<hex>` of the model file.
    pub artefacts: BTreeMap<String, String>,
    /// Every seed passed to a split, evaluation, sweep or detector.
    pub seeds: BTreeSet<u64>,
}

pub struct HostContext {
    pub workspace: Workspace,
    pub datasets: DatasetRegistry,
    pub limits: Limits,
    /// Experiment name: the script's file stem, `repl`, or given by the CLI.
    pub experiment: String,
    /// What every run made by this host records (script hash, provenance).
    pub run: RunContext,
    /// How `sweep` schedules (`--jobs`, `--force`, `--shard`).
    pub sweep: SweepOptions,
    /// Follows every sweep's progress besides the terminal bar (the
    /// Jupyter kernel's progress display); `None` elsewhere.
    pub sweep_observer: Option<crate::bench::SweepObserver>,
    /// What the script has read so far (for notebook provenance).
    log: Mutex<AccessLog>,
}

impl HostContext {
    /// A context for `experiment` outside any script: runs record the
    /// limits and the command line, and sweeps use default scheduling.
    pub fn new(
        workspace: Workspace,
        datasets: DatasetRegistry,
        limits: Limits,
        experiment: &str,
    ) -> Self {
        // The limits in force (the call depth capped), as provenance says.
        let limits = limits.clamped();
        let mut run = RunContext::cli(experiment);
        run.provenance.limits = serde_json::to_value(limits).ok();
        Self {
            workspace,
            datasets,
            limits,
            experiment: experiment.to_string(),
            run,
            sweep: SweepOptions::default(),
            sweep_observer: None,
            log: Mutex::new(AccessLog::default()),
        }
    }

    fn with_log(&self, f: impl FnOnce(&mut AccessLog)) {
        // A poisoned lock only means another call panicked mid-record; the
        // log itself is still a valid set of entries.
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut log);
    }

    /// Note that dataset `name` (file SHA-256 `sha256`) was read.
    pub fn record_dataset(&self, name: &str, sha256: &str) {
        self.with_log(|l| {
            l.datasets.insert(name.to_string(), sha256.to_string());
        });
    }

    /// Note that time series `name` (file SHA-256 `sha256`) was read.
    pub fn record_series(&self, name: &str, sha256: &str) {
        self.with_log(|l| {
            l.series.insert(name.to_string(), sha256.to_string());
        });
    }

    /// Note that registry artefact `id` (`name@version`) was loaded.
    pub fn record_artefact(&self, id: &str, sha256: &str) {
        self.with_log(|l| {
            l.artefacts.insert(id.to_string(), sha256.to_string());
        });
    }

    /// Note that `seed` was used.
    pub fn record_seed(&self, seed: u64) {
        self.with_log(|l| {
            l.seeds.insert(seed);
        });
    }

    /// Everything recorded so far.
    pub fn access_log(&self) -> AccessLog {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The context of the engine running the current call.
    pub fn of(ctx: &NativeCallContext) -> Result<Arc<HostContext>, Box<EvalAltResult>> {
        ctx.tag()
            .and_then(|t| t.clone().try_cast::<Arc<HostContext>>())
            .ok_or_else(|| {
                Box::new(EvalAltResult::ErrorRuntime(
                    "internal: script host context missing".into(),
                    Position::NONE,
                ))
            })
    }
}
