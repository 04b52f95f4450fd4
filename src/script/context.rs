//! What script-facing functions may reach: the workspace gate, the dataset
//! registry and the limits. Stored in the engine's default tag and read back
//! by functions through their `NativeCallContext`.

use super::Limits;
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
}

impl HostContext {
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
