//! Module resolution for `import`: the embedded stdlib (`stdlib/*.rhai`,
//! compiled into the binary) first, then `.rhai` files under the workspace
//! root through the workspace gate. Nothing else is readable.
//!
//! Rhai evaluates an imported module while resolving it, so a module that
//! imports itself (directly or through others) would recurse until the
//! stack overflows. The resolver keeps the chain of modules being resolved
//! and refuses an import already on it ([`ModuleError::Cycle`]), and refuses
//! nesting deeper than the engine's `max_modules`, and never deeper than
//! `MAX_NESTING` (the native stack's bound; [`ModuleError::TooDeep`]).

use crate::workspace::{Workspace, WorkspaceError};
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};
use std::sync::Mutex;
use thiserror::Error;

type SharedModule = Shared<Module>;

/// The stdlib modules shipped in `stdlib/`, by import name.
pub const STDLIB: &[(&str, &str)] = &[("bench", include_str!("../../stdlib/bench.rhai"))];

/// Why an `import` was refused before its module was evaluated.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModuleError {
    #[error("import cycle: {}", .chain.join(" -> "))]
    Cycle { chain: Vec<String> },
    #[error(
        "imports nested {depth} deep: sandbox limit max_modules = {limit} reached \
         (raise it with --max-modules; imports never nest deeper than {})",
        crate::script::MAX_NESTING
    )]
    TooDeep { depth: usize, limit: usize },
}

pub struct GatedModuleResolver {
    workspace: Workspace,
    /// The modules being resolved, outermost first (stdlib by name,
    /// workspace modules by canonical path).
    resolving: Mutex<Vec<String>>,
}

impl GatedModuleResolver {
    pub fn new(workspace: Workspace) -> Self {
        Self {
            workspace,
            resolving: Mutex::new(Vec::new()),
        }
    }

    fn stack(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        // A poisoned lock means a panic mid-resolve; the chain is still a list.
        self.resolving.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Push `key` on the chain, or say why it cannot be imported now.
    fn enter(&self, key: &str, max_depth: usize) -> Result<(), ModuleError> {
        let mut stack = self.stack();
        if let Some(i) = stack.iter().position(|k| k == key) {
            let mut chain = stack[i..].to_vec();
            chain.push(key.to_string());
            return Err(ModuleError::Cycle { chain });
        }
        if max_depth > 0 && stack.len() >= max_depth {
            return Err(ModuleError::TooDeep {
                depth: stack.len() + 1,
                limit: max_depth,
            });
        }
        stack.push(key.to_string());
        Ok(())
    }

    /// Resolve `key` with `compile`, keeping it on the chain meanwhile.
    fn guarded(
        &self,
        engine: &Engine,
        key: &str,
        pos: Position,
        compile: impl FnOnce() -> Result<SharedModule, Box<EvalAltResult>>,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        self.enter(key, engine.max_modules().min(crate::script::MAX_NESTING))
            .map_err(|e| Box::new(EvalAltResult::ErrorRuntime(e.to_string().into(), pos)))?;
        let out = compile();
        self.stack().pop();
        out
    }
}

fn compile_module(
    engine: &Engine,
    name: &str,
    source: &str,
    pos: Position,
) -> Result<SharedModule, Box<EvalAltResult>> {
    let mut ast = engine
        .compile(source)
        .map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.into(), e.into(), pos)))?;
    ast.set_source(name);
    let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
        .map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.into(), e, pos)))?;
    Ok(module.into())
}

impl ModuleResolver for GatedModuleResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        if let Some((name, src)) = STDLIB.iter().find(|(n, _)| *n == path) {
            return self.guarded(engine, name, pos, || compile_module(engine, name, src, pos));
        }
        let (file, src) = self.workspace.read_module(path).map_err(|e| match e {
            WorkspaceError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Box::new(EvalAltResult::ErrorModuleNotFound(
                    format!(
                        "{path} (not a stdlib module: {}; no file {path}.rhai in the workspace)",
                        STDLIB
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    pos,
                ))
            }
            e => Box::new(EvalAltResult::ErrorRuntime(e.to_string().into(), pos)),
        })?;
        let key = file
            .strip_prefix(self.workspace.root())
            .unwrap_or(&file)
            .display()
            .to_string();
        self.guarded(engine, &key, pos, || {
            compile_module(engine, path, &src, pos)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> (tempfile::TempDir, GatedModuleResolver) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path(), &dir.path().join("cache")).unwrap();
        (dir, GatedModuleResolver::new(ws))
    }

    fn run(dir: &std::path::Path, r: GatedModuleResolver, main: &str) -> String {
        let mut engine = Engine::new_raw();
        engine.set_module_resolver(r);
        let _ = dir;
        match engine.run(main) {
            Ok(()) => String::new(),
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn a_module_importing_itself_is_a_cycle_error() {
        let (d, r) = resolver();
        std::fs::write(d.path().join("a.rhai"), "import \"a\" as a;").unwrap();
        let err = run(d.path(), r, "import \"a\" as a;");
        assert!(err.contains("import cycle: a.rhai -> a.rhai"), "{err}");
    }

    #[test]
    fn two_modules_importing_each_other_is_a_cycle_error() {
        let (d, r) = resolver();
        std::fs::write(d.path().join("a.rhai"), "import \"b\" as b;").unwrap();
        std::fs::write(d.path().join("b.rhai"), "import \"a\" as a;").unwrap();
        let err = run(d.path(), r, "import \"a\" as a;");
        assert!(
            err.contains("import cycle: a.rhai -> b.rhai -> a.rhai"),
            "{err}"
        );
    }

    #[test]
    fn a_diamond_is_not_a_cycle_and_the_chain_is_emptied() {
        let (d, r) = resolver();
        std::fs::write(d.path().join("a.rhai"), "import \"c\" as c;").unwrap();
        std::fs::write(d.path().join("b.rhai"), "import \"c\" as c;").unwrap();
        std::fs::write(d.path().join("c.rhai"), "fn f() { 1 }").unwrap();
        let err = run(d.path(), r, "import \"a\" as a; import \"b\" as b;");
        assert_eq!(err, "");
    }

    #[test]
    fn deep_chains_stop_at_max_modules() {
        let (_d, r) = resolver();
        for i in 0..5 {
            r.enter(&format!("m{i}"), 5).unwrap();
        }
        assert_eq!(
            r.enter("m5", 5),
            Err(ModuleError::TooDeep { depth: 6, limit: 5 })
        );
    }
}
