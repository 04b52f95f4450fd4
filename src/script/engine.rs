//! The sandboxed engine: `Engine::new_raw()` plus the language packages
//! scripts need (no file, network or process access exists in any of them),
//! `eval` disabled, limits always set, interruption and the memory budget
//! (`crate::memory`) checked through `on_progress`,
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
    /// Set when `on_progress` stopped the evaluation for the memory budget
    /// (a failure, not an interruption).
    memory_stop: Arc<AtomicBool>,
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
        let memory_stop = Arc::new(AtomicBool::new(false));
        let mem_flag = memory_stop.clone();
        let max_memory = ctx.limits.max_memory;
        engine.on_progress(move |n| {
            ops.store(n, Ordering::Relaxed);
            if flag.is_triggered() {
                Some(Dynamic::from("interrupted (Ctrl-C)"))
            } else if let Err(e) = crate::memory::check(max_memory, 0) {
                mem_flag.store(true, Ordering::SeqCst);
                Some(Dynamic::from(e.to_string()))
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
            memory_stop,
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
        self.memory_stop.store(false, Ordering::SeqCst);
        // Deep fits on this thread stop before their next batch on Ctrl-C.
        crate::nn::progress::with_stop_flag(self.interrupt.flag(), || {
            self.engine.eval_ast_with_scope::<Dynamic>(scope, ast)
        })
        .map_err(|e| {
            let text = render_error(name, source, &e, &self.ctx.limits);
            // An error raised while Ctrl-C is pending (a fit that stopped
            // early) is the interruption, not a failure.
            let stopped =
                matches!(*e, EvalAltResult::ErrorTerminated(..)) || self.interrupt.is_triggered();
            if stopped && !self.memory_stop.load(Ordering::SeqCst) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DatasetRegistry;
    use crate::workspace::Workspace;

    fn host(limits: Limits) -> (tempfile::TempDir, Host) {
        let dir = tempfile::tempdir().unwrap();
        let datasets = DatasetRegistry::new(dir.path().join("cache")).with_download(false);
        let ws = Workspace::new(dir.path(), datasets.cache_dir()).unwrap();
        let h = Host::new(
            HostContext::new(ws, datasets, limits, "test"),
            Interrupt::new(),
        );
        (dir, h)
    }

    fn failure(h: &Host, source: &str) -> String {
        match h.run("t.rhai", source) {
            Err(ScriptError::Failed(text)) => text,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn the_memory_budget_stops_a_map_of_large_strings() {
        // Other tests allocate in parallel: leave them a wide margin; the
        // script alone would hold about 200 MB.
        let limits = Limits {
            max_memory: crate::memory::live_bytes() + (64 << 20),
            ..Limits::default()
        };
        let (_d, h) = host(limits);
        let text = failure(
            &h,
            r#"let s = "x"; for i in 0..19 { s += s; }
               let m = #{}; for i in 0..400 { m["k" + i] = s + i; }"#,
        );
        assert!(text.contains("memory budget exceeded"), "{text}");
        assert!(text.contains("--max-memory"), "{text}");
    }

    #[test]
    fn the_memory_budget_stops_an_array_index_assignment_of_large_strings() {
        let limits = Limits {
            max_memory: crate::memory::live_bytes() + (64 << 20),
            ..Limits::default()
        };
        let (_d, h) = host(limits);
        let text = failure(
            &h,
            r#"let s = "x"; for i in 0..19 { s += s; }
               let a = []; a.pad(400, 0); for i in 0..400 { a[i] = s + i; }"#,
        );
        assert!(text.contains("--max-memory"), "{text}");
    }

    #[test]
    fn windows_larger_than_the_matrix_limit_are_refused_before_allocating() {
        let (_d, h) = host(Limits::default());
        // 50 001 windows of 50 000 points: 2.5e9 elements (20 GB).
        let text = failure(
            &h,
            "let a = []; a.pad(100000, 1.0); series_from(vector(a)).windows(50000, 1)",
        );
        assert!(text.contains("max_matrix_elements"), "{text}");
        assert!(text.contains("windows"), "{text}");
    }

    #[test]
    fn a_matrix_claiming_more_elements_than_the_limit_is_refused() {
        let limits = Limits {
            max_matrix_elements: 1000,
            ..Limits::default()
        };
        let (_d, h) = host(limits);
        let text = failure(
            &h,
            "let r = [1.0, 2.0]; let rows = []; rows.pad(999, r); matrix(rows)",
        );
        assert!(text.contains("max_matrix_elements = 1000"), "{text}");
        let text = failure(&h, "let a = []; a.pad(1001, 1.0); vector(a)");
        assert!(text.contains("max_matrix_elements = 1000"), "{text}");
    }

    #[test]
    fn arrays_built_from_native_values_respect_the_array_limit() {
        let limits = Limits {
            max_array_size: 100,
            ..Limits::default()
        };
        let (_d, h) = host(limits);
        let text = failure(&h, "let a = []; a.pad(60, 1.0); vector(a + a).to_array()");
        assert!(text.contains("max_array_size = 100"), "{text}");
        let text = failure(
            &h,
            r#"let t = table(["a"]); for i in 0..101 { t.add_row([i]); }"#,
        );
        assert!(text.contains("max_array_size = 100"), "{text}");
    }

    #[test]
    fn the_memory_limit_is_recorded_in_provenance() {
        let (_d, h) = host(Limits::default());
        let limits = h.context().run.provenance.limits.clone().unwrap();
        assert_eq!(limits["max_memory"], crate::memory::DEFAULT_MAX_MEMORY);
    }

    #[test]
    fn ctrl_c_from_another_thread_stops_a_deep_fit_between_batches() {
        let (_d, h) = host(Limits::default());
        let interrupt = h.interrupt().clone();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (ack_tx, ack_rx) = std::sync::mpsc::channel::<()>();
        // Triggers Ctrl-C when told the first epoch finished, then lets the
        // fit go on: no timing involved.
        let trigger = std::thread::spawn(move || {
            if rx.recv().is_ok() {
                interrupt.trigger();
            }
            let _ = ack_tx.send(());
        });
        let seen = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let last = seen.clone();
        let result = crate::nn::progress::with_epoch_observer(
            move |r| {
                last.set(r.epoch);
                if r.epoch == 1 {
                    let _ = tx.send(());
                    let _ = ack_rx.recv();
                }
            },
            || {
                h.run(
                    "t.rhai",
                    r#"detector("autoencoder", #{ epochs: 100000 }).fit(load_dataset("toy-blobs").x)"#,
                )
            },
        );
        trigger.join().unwrap();
        match result {
            Err(ScriptError::Interrupted(text)) => {
                assert!(text.contains("training interrupted in epoch 2"), "{text}")
            }
            other => panic!("expected an interruption, got {other:?}"),
        }
        assert_eq!(seen.get(), 1, "no epoch may finish after Ctrl-C");
    }

    #[test]
    fn errors_inside_sort_and_dedup_comparers_are_raised() {
        let limits = Limits {
            max_operations: 10_000,
            ..Limits::default()
        };
        let (_d, h) = host(limits);
        let text = failure(&h, r#"let x = [2, 1, 3]; x.sort(|a, b| throw "boom"); x"#);
        assert!(text.contains("boom"), "{text}");
        let text = failure(&h, "let x = [2, 1, 3]; x.sort(|a, b| { loop {} }); x");
        assert!(text.contains("max_operations"), "{text}");
        let text = failure(&h, r#"let x = [1, 1]; x.dedup(|a, b| throw "dup"); x"#);
        assert!(text.contains("dup"), "{text}");
        let sorted = h
            .run(
                "t.rhai",
                "let x = [3, 1, 2]; x.sort(|a, b| a - b); x.dedup(|a, b| a == b); x",
            )
            .unwrap();
        assert_eq!(sorted.to_string(), "[1, 2, 3]");
        let sorted = h
            .run("t.rhai", "let x = [1, 3, 2]; x.sort_by(|a, b| a > b); x")
            .unwrap();
        assert_eq!(sorted.to_string(), "[3, 2, 1]");
    }

    #[test]
    fn a_raised_call_depth_is_capped_below_a_native_stack_overflow() {
        // The main thread's stack size, as `anml script` runs on it.
        let text = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(|| {
                let limits = Limits {
                    max_call_depth: 1_000_000,
                    max_operations: u64::MAX,
                    ..Limits::default()
                };
                let (_d, h) = host(limits);
                assert_eq!(
                    h.context().limits.max_call_depth,
                    crate::script::MAX_NESTING
                );
                failure(&h, "fn f(n) { f(n + 1) } f(0)")
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(text.contains("max_call_depth = 1000"), "{text}");
        assert!(text.contains("overflow the native stack"), "{text}");
    }
}
