//! The sandboxed engine: `Engine::new_raw()` plus the language packages
//! scripts need (no file, network or process access exists in any of them),
//! `eval` disabled, limits always set, interruption through `on_progress`,
//! `print` routed to a sink, and imports resolved by the gated resolver.

use super::modules::GatedModuleResolver;
use super::render::render_error;
use super::{HostContext, Limits, ScriptError, api};
use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, BasicMathPackage, BitFieldPackage, CorePackage,
    LogicPackage, MoreStringPackage, Package,
};
use rhai::{AST, Dynamic, Engine, EvalAltResult, Scope};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A shared flag that stops the running evaluation at its next operation.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn new() -> Self {
        Self::default()
    }
    /// Ask the running evaluation to stop.
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// The shared flag itself, for long native work (sweeps) to poll.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
    /// Clear before the next evaluation.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Where `print` and `debug` output goes.
pub type OutputSink = Arc<Mutex<dyn FnMut(&str) + Send>>;

/// A configured engine plus its context.
pub struct Host {
    engine: Engine,
    ctx: Arc<HostContext>,
    interrupt: Interrupt,
    /// Rhai operations of the current (or last) evaluation.
    operations: Arc<AtomicU64>,
}

impl Host {
    /// Build a sandboxed host. `print`/`debug` go to stdout.
    pub fn new(ctx: HostContext, interrupt: Interrupt) -> Self {
        Self::with_output(ctx, interrupt, None)
    }

    /// Build a host whose `print`/`debug` output goes to `sink`.
    pub fn with_output(ctx: HostContext, interrupt: Interrupt, sink: Option<OutputSink>) -> Self {
        let ctx = Arc::new(ctx);
        let mut engine = Engine::new_raw();
        for pkg in [
            CorePackage::new().as_shared_module(),
            LogicPackage::new().as_shared_module(),
            BitFieldPackage::new().as_shared_module(),
            BasicMathPackage::new().as_shared_module(),
            BasicArrayPackage::new().as_shared_module(),
            BasicMapPackage::new().as_shared_module(),
            MoreStringPackage::new().as_shared_module(),
        ] {
            engine.register_global_module(pkg);
        }
        api::register(&mut engine);
        engine.disable_symbol("eval");
        apply_limits(&mut engine, &ctx.limits);

        let flag = interrupt.clone();
        let operations = Arc::new(AtomicU64::new(0));
        let ops = operations.clone();
        engine.on_progress(move |n| {
            ops.store(n, Ordering::Relaxed);
            if flag.is_triggered() {
                Some(Dynamic::from("interrupted (Ctrl-C)"))
            } else {
                None
            }
        });
        match sink {
            Some(sink) => {
                let s1 = sink.clone();
                engine.on_print(move |text| {
                    if let Ok(mut f) = s1.lock() {
                        f(text);
                    }
                });
                engine.on_debug(move |text, source, pos| {
                    if let Ok(mut f) = sink.lock() {
                        f(&format!("[{}:{}] {text}", source.unwrap_or("script"), pos));
                    }
                });
            }
            None => {
                engine.on_print(|text| println!("{text}"));
                engine.on_debug(|text, source, pos| {
                    eprintln!("[{}:{}] {text}", source.unwrap_or("script"), pos)
                });
            }
        }
        engine.set_module_resolver(GatedModuleResolver::new(ctx.workspace.clone()));
        engine.set_default_tag(Dynamic::from(ctx.clone()));
        Self {
            engine,
            ctx,
            interrupt,
            operations,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn context(&self) -> &Arc<HostContext> {
        &self.ctx
    }

    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// Rhai operations the last evaluation performed (the REPL's `:time`).
    pub fn last_operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    /// Compile `source`; errors are rendered against `name`.
    pub fn compile(&self, name: &str, source: &str) -> Result<AST, ScriptError> {
        self.engine.compile(source).map_err(|e| {
            ScriptError::Failed(render_error(
                name,
                source,
                &EvalAltResult::ErrorParsing((*e.0).clone(), e.1),
                &self.ctx.limits,
            ))
        })
    }

    /// Run a whole script in a fresh scope.
    pub fn run(&self, name: &str, source: &str) -> Result<Dynamic, ScriptError> {
        let mut scope = Scope::new();
        self.eval_in(&mut scope, name, source)
    }

    /// Evaluate `source` in `scope` (the REPL keeps one scope across inputs).
    pub fn eval_in(
        &self,
        scope: &mut Scope<'static>,
        name: &str,
        source: &str,
    ) -> Result<Dynamic, ScriptError> {
        let mut ast = self.compile(name, source)?;
        ast.set_source(name);
        self.eval_ast_in(scope, name, source, &ast)
    }

    /// Evaluate one REPL input in `scope`, with the functions defined by
    /// earlier inputs (`functions`) callable; functions this input defines
    /// are added to `functions` for the next ones.
    pub fn eval_repl(
        &self,
        scope: &mut Scope<'static>,
        functions: &mut AST,
        name: &str,
        source: &str,
    ) -> Result<Dynamic, ScriptError> {
        let mut ast = self.compile(name, source)?;
        ast.set_source(name);
        let merged = functions.merge(&ast);
        let result = self.eval_ast_in(scope, name, source, &merged);
        *functions = functions.merge(&ast.clone_functions_only());
        result
    }

    /// Evaluate a compiled AST in `scope`.
    pub fn eval_ast_in(
        &self,
        scope: &mut Scope<'static>,
        name: &str,
        source: &str,
        ast: &AST,
    ) -> Result<Dynamic, ScriptError> {
        self.interrupt.reset();
        self.operations.store(0, Ordering::Relaxed);
        self.engine
            .eval_ast_with_scope::<Dynamic>(scope, ast)
            .map_err(|e| {
                let text = render_error(name, source, &e, &self.ctx.limits);
                if matches!(*e, EvalAltResult::ErrorTerminated(..)) {
                    ScriptError::Interrupted(text)
                } else {
                    ScriptError::Failed(text)
                }
            })
    }
}

fn apply_limits(engine: &mut Engine, l: &Limits) {
    engine.set_max_operations(l.max_operations);
    engine.set_max_call_levels(l.max_call_depth);
    engine.set_max_string_size(l.max_string_size);
    engine.set_max_array_size(l.max_array_size);
    engine.set_max_map_size(l.max_map_size);
    engine.set_max_modules(l.max_modules);
    engine.set_max_expr_depths(128, 64);
}
