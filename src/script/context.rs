//! What script-facing functions may reach: the workspace gate, the dataset
//! registry and the limits. Stored in the engine's default tag and read back
//! by functions through their `NativeCallContext`.

use super::Limits;
use crate::bench::{RunContext, SweepOptions};
use crate::data::DatasetRegistry;
use crate::workspace::Workspace;
use rhai::{EvalAltResult, NativeCallContext, Position};
use std::sync::Arc;

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
        let mut run = RunContext::cli(experiment);
        run.provenance.limits = serde_json::to_value(limits).ok();
        Self {
            workspace,
            datasets,
            limits,
            experiment: experiment.to_string(),
            run,
            sweep: SweepOptions::default(),
        }
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
