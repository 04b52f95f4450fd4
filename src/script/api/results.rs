//! Script functions for benchmark runs and result files.

use crate::bench;
use crate::data::Protocol;
use crate::detectors::Detector;
use crate::script::api::convert::ctx_err;
use crate::script::types::{DatasetRef, ResultRef};
use rhai::plugin::*;
use rhai::{Engine, FuncRegistration, NativeCallContext};
use std::sync::Arc;

/// The doc comment of the `RunResult` getter of a tabular metric: its
/// summary and a runnable example (the docs test runs it).
pub(crate) fn metric_getter_doc(spec: &crate::metrics::MetricSpec) -> String {
    format!(
        "/// {}: {} (on the test part; metric `{}`).\n///\n/// ```rhai\n/// print(evaluate(load_dataset(\"toy-blobs\"), detector(\"isolation_forest\"), 0).{});\n/// ```",
        spec.title, spec.summary, spec.name, spec.field
    )
}

/// One `RunResult` getter per tabular metric of the metric table
/// (`r.roc_auc`, `r.f1`, …), documented from the table, so `:doc` and
/// completion list them.
pub fn register_metric_getters(engine: &mut Engine) {
    for (i, spec) in crate::metrics::METRICS.iter().enumerate() {
        FuncRegistration::new_getter(spec.field)
            .with_params_info(["r: &mut RunResult", "f64"])
            .with_comments([metric_getter_doc(spec)])
            .register_into_engine(engine, move |r: &mut ResultRef| -> f64 {
                r.0.metrics.values().get(i).copied().unwrap_or(f64::NAN)
            });
    }
}

fn run(
    ctx: &NativeCallContext,
    ds: &DatasetRef,
    det: &Detector,
    protocol: Protocol,
    seed: u64,
) -> Result<ResultRef, Box<EvalAltResult>> {
    let host = crate::script::HostContext::of(ctx)?;
    host.record_seed(seed);
    bench::run(&ds.0, det, protocol, seed, &host.run)
        .map(|o| ResultRef(Arc::new(o.result), Some(o.fitted)))
        .map_err(ctx_err)
}

#[export_module]
pub mod results_api {
    use super::run;
    use crate::data::Protocol;
    use crate::detectors::Detector;
    use crate::script::HostContext;
    use crate::script::api::convert::{
        ctx_err, json_to_dynamic, msg_err, non_negative, run_options,
    };
    use crate::script::types::{DatasetRef, ResultRef};
    use rhai::{Dynamic, EvalAltResult, Map, NativeCallContext};

    /// Run one benchmark: split `ds` by the default protocol with `seed`,
    /// fit on train, score test, compute every metric. The seed also drives
    /// the detector unless its params set `seed`.
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0);
    /// print(r.roc_auc > 0.5);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn evaluate(
        ctx: NativeCallContext,
        ds: DatasetRef,
        det: Detector,
        seed: i64,
    ) -> Result<ResultRef, Box<EvalAltResult>> {
        run(
            &ctx,
            &ds,
            &det,
            Protocol::Holdout60,
            non_negative("seed", seed)?,
        )
    }

    /// Run one benchmark with options `#{ seed: 0, protocol: "holdout60" }`.
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), #{ seed: 2 });
    /// print(r.seed);
    /// ```
    #[rhai_fn(name = "evaluate", return_raw)]
    pub fn evaluate_opts(
        ctx: NativeCallContext,
        ds: DatasetRef,
        det: Detector,
        opts: Map,
    ) -> Result<ResultRef, Box<EvalAltResult>> {
        let (protocol, seed) = run_options("evaluate", &opts)?;
        run(&ctx, &ds, &det, protocol, seed)
    }

    /// Write a result as schema-validated JSON (atomically) to a path under
    /// the workspace's `results/` (the registry is written only by
    /// `save_model`).
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0);
    /// write_result(r, "results/doc-example/toy.json");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn write_result(
        ctx: NativeCallContext,
        r: ResultRef,
        path: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        let pinned = host.workspace.pin_write(path).map_err(ctx_err)?;
        // The run store holds each run under its own id only: a record
        // filed under another name would replace another run's record.
        if let Some(name) = host.workspace.run_store_file(&pinned.path) {
            let own = format!("{}.json", r.0.run_id);
            if name != own {
                return Err(msg_err(format!(
                    "sandbox: `{path}` is in a run store, where this result may only be \
                     written as {own} (write_result(r) files it there)"
                )));
            }
        }
        r.0.write(&pinned.target).map_err(ctx_err)?;
        Ok(pinned.path.display().to_string())
    }

    /// File a result in the experiment's run store,
    /// `results/{experiment}/runs/{run_id}.json`, where the experiment is
    /// the script's file name (a later `sweep` of the same run finds it
    /// there). Returns the path.
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0);
    /// print(write_result(r));
    /// ```
    #[rhai_fn(name = "write_result", return_raw)]
    pub fn write_result_default(
        ctx: NativeCallContext,
        r: ResultRef,
    ) -> Result<String, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        let rel = format!("results/{}/runs/{}.json", host.experiment, r.0.run_id);
        write_result(ctx, r, &rel)
    }

    /// The result as an object map (the JSON fields).
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0);
    /// print(r.to_map().split.n_test);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn to_map(r: &mut ResultRef) -> Result<Dynamic, Box<EvalAltResult>> {
        r.0.to_value().map(|v| json_to_dynamic(&v)).map_err(ctx_err)
    }

    /// Seconds spent fitting.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0).fit_time >= 0.0);
    /// ```
    #[rhai_fn(get = "fit_time", pure)]
    pub fn fit_time(r: &mut ResultRef) -> f64 {
        r.0.fit_time
    }

    /// Seconds spent scoring the test part.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0).score_time >= 0.0);
    /// ```
    #[rhai_fn(get = "score_time", pure)]
    pub fn score_time(r: &mut ResultRef) -> f64 {
        r.0.score_time
    }

    /// Dataset name.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0).dataset);
    /// ```
    #[rhai_fn(get = "dataset", pure)]
    pub fn dataset(r: &mut ResultRef) -> String {
        r.0.dataset.clone()
    }

    /// Detector name.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0).model);
    /// ```
    #[rhai_fn(get = "model", pure)]
    pub fn model(r: &mut ResultRef) -> String {
        r.0.model.clone()
    }

    /// The run's seed.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 4).seed);
    /// ```
    #[rhai_fn(get = "seed", pure)]
    pub fn seed(r: &mut ResultRef) -> i64 {
        r.0.seed as i64
    }

    /// The run id: SHA-256 of the canonical inputs.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0).run_id);
    /// ```
    #[rhai_fn(get = "run_id", pure)]
    pub fn run_id(r: &mut ResultRef) -> String {
        r.0.run_id.clone()
    }

    /// The run's fitted model (a result read back from a run store has
    /// none, and asking for it is an error).
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
    /// print(r.fitted.digest == r.artefact_digest);
    /// ```
    #[rhai_fn(get = "fitted", return_raw, pure)]
    pub fn fitted(
        r: &mut ResultRef,
    ) -> Result<crate::detectors::FittedDetector, Box<EvalAltResult>> {
        r.1.clone().ok_or_else(|| {
            crate::script::api::convert::msg_err(format!(
                "run {} was read from the run store and has no fitted model; re-run it with evaluate() to get one",
                &r.0.run_id[..16]
            ))
        })
    }

    /// The serialized model's digest (`sha256:` + hex); equals the registry's
    /// `sha256` once the model is published.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("hbos"), 0).artefact_digest);
    /// ```
    #[rhai_fn(get = "artefact_digest", pure)]
    pub fn artefact_digest(r: &mut ResultRef) -> String {
        r.0.artefact_digest.clone()
    }

    /// Text form of a result.
    ///
    /// ```rhai
    /// print(evaluate(load_dataset("toy-blobs"), detector("isolation_forest"), 0).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn result_to_string(r: &mut ResultRef) -> String {
        r.to_string()
    }
}
