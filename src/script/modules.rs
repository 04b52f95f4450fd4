//! Module resolution for `import`: the embedded stdlib (`stdlib/*.rhai`,
//! compiled into the binary) first, then `.rhai` files under the workspace
//! root through the workspace gate. Nothing else is readable.

use crate::workspace::Workspace;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

type SharedModule = Shared<Module>;

/// The stdlib modules shipped in `stdlib/`, by import name.
pub const STDLIB: &[(&str, &str)] = &[("bench", include_str!("../../stdlib/bench.rhai"))];

pub struct GatedModuleResolver {
    workspace: Workspace,
}

impl GatedModuleResolver {
    pub fn new(workspace: Workspace) -> Self {
        Self { workspace }
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
            return compile_module(engine, name, src, pos);
        }
        let file = self
            .workspace
            .resolve_module(path)
            .map_err(|e| Box::new(EvalAltResult::ErrorRuntime(e.to_string().into(), pos)))?;
        let src = std::fs::read_to_string(&file).map_err(|_| {
            Box::new(EvalAltResult::ErrorModuleNotFound(
                format!(
                    "{path} (not a stdlib module: {}; no file {})",
                    STDLIB
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                    file.display()
                ),
                pos,
            ))
        })?;
        compile_module(engine, path, &src, pos)
    }
}
