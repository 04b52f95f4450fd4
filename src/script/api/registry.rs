//! Script functions for the model registry: publish a run's (or a hand-fitted)
//! model, load one by `name@requirement`, read its metadata, list entries.
//! The registry is the workspace's `registry/`; the rules (immutability,
//! integrity, resolution) are the library's, see `crate::registry`.

use crate::detectors::FittedDetector;
use crate::registry::{ArtefactRegistry, Bump, Provenance, VersionChoice};
use crate::script::HostContext;
use crate::script::api::convert::{ctx_err, msg_err};
use crate::script::types::{DatasetRef, ResultRef};
use rhai::plugin::*;
use rhai::{EvalAltResult, Map, NativeCallContext};

fn open(ctx: &NativeCallContext) -> Result<ArtefactRegistry, Box<EvalAltResult>> {
    Ok(ArtefactRegistry::new(
        HostContext::of(ctx)?.workspace.registry_dir(),
    ))
}

/// `#{ bump: "patch"|"minor"|"major" }` or `#{ version: "1.2.0" }` (default:
/// a patch bump), plus `dataset` (a Dataset) when `allow_dataset`.
fn save_options(
    opts: &Map,
    allow_dataset: bool,
) -> Result<(VersionChoice, Option<DatasetRef>), Box<EvalAltResult>> {
    let mut choice = None;
    let mut dataset = None;
    for (k, v) in opts {
        match k.as_str() {
            "bump" | "version" if choice.is_some() => {
                return Err(msg_err(
                    "save_model: give either `bump` or `version`, not both",
                ));
            }
            "bump" => {
                let b: Bump = v.to_string().parse().map_err(ctx_err)?;
                choice = Some(VersionChoice::Bump(b));
            }
            "version" => {
                choice = Some(VersionChoice::exact(&v.to_string()).map_err(ctx_err)?);
            }
            "dataset" if allow_dataset => {
                let d = v.clone().try_cast::<DatasetRef>().ok_or_else(|| {
                    msg_err(format!(
                        "save_model option `dataset` must be a Dataset, got {}",
                        v.type_name()
                    ))
                })?;
                dataset = Some(d);
            }
            other => {
                let known = if allow_dataset {
                    "bump, version, dataset"
                } else {
                    "bump, version"
                };
                return Err(msg_err(format!(
                    "unknown save_model option `{other}`; known: {known}"
                )));
            }
        }
    }
    Ok((choice.unwrap_or(VersionChoice::Bump(Bump::Patch)), dataset))
}

fn publish(
    ctx: &NativeCallContext,
    fitted: &FittedDetector,
    name: &str,
    provenance: &Provenance,
    choice: &VersionChoice,
) -> Result<String, Box<EvalAltResult>> {
    open(ctx)?
        .publish(name, fitted, provenance, choice)
        .map(|m| m.id())
        .map_err(ctx_err)
}

fn run_model(r: &ResultRef) -> Result<&FittedDetector, Box<EvalAltResult>> {
    r.1.as_ref().ok_or_else(|| {
        msg_err(format!(
            "run {} has no fitted model (it was read back, not run in this session); re-run it with evaluate() to publish it",
            &r.0.run_id[..16.min(r.0.run_id.len())]
        ))
    })
}

#[export_module]
pub mod registry_api {
    use super::{open, publish, run_model, save_options};
    use crate::detectors::FittedDetector;
    use crate::registry::Provenance;
    use crate::script::api::convert::{ctx_err, json_to_dynamic, msg_err};
    use crate::script::types::ResultRef;
    use rhai::{Array, Dynamic, EvalAltResult, Map, NativeCallContext};

    /// Publish a run's fitted model to the workspace registry as `name`, at
    /// the next patch version (`1.0.0` for a new name), with the run's
    /// dataset, split, seed and metrics. Returns `"name@version"`; the
    /// registry's `sha256` equals the run's `artefact_digest`.
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
    /// let id = save_model(r, "doc-hbos");
    /// print(id);
    /// print(model_info(id).sha256 == r.artefact_digest);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn save_model(
        ctx: NativeCallContext,
        r: ResultRef,
        name: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        save_model_opts(ctx, r, name, Map::new())
    }

    /// Publish a run's fitted model with options: `#{ bump: "minor" }`
    /// (`patch`, `minor` or `major`, counted from the highest published
    /// release) or `#{ version: "1.2.0" }` (exact; published versions are
    /// immutable, so an existing one is an error). Returns `"name@version"`.
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
    /// save_model(r, "doc-bumped");
    /// print(save_model(r, "doc-bumped", #{ bump: "minor" }));
    /// ```
    #[rhai_fn(name = "save_model", return_raw)]
    pub fn save_model_opts(
        ctx: NativeCallContext,
        r: ResultRef,
        name: &str,
        opts: Map,
    ) -> Result<String, Box<EvalAltResult>> {
        let (choice, _) = save_options(&opts, false)?;
        let fitted = run_model(&r)?;
        publish(&ctx, fitted, name, &Provenance::from_run(&r.0), &choice)
    }

    /// Publish a model fitted by hand as `name` at the next patch version.
    /// It has no recorded dataset, split, seed or metrics. Returns
    /// `"name@version"`.
    ///
    /// ```rhai
    /// let m = detector("copod").fit(load_dataset("toy-blobs").x);
    /// print(save_model(m, "doc-by-hand"));
    /// ```
    #[rhai_fn(name = "save_model", return_raw)]
    pub fn save_fitted(
        ctx: NativeCallContext,
        fitted: FittedDetector,
        name: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        save_fitted_opts(ctx, fitted, name, Map::new())
    }

    /// Publish a model fitted by hand with options: `bump` or `version` as
    /// for a run, and `dataset` (a Dataset) to record the training data's
    /// name and SHA-256. Returns `"name@version"`.
    ///
    /// ```rhai
    /// let ds = load_dataset("toy-blobs");
    /// let m = detector("hbos").fit(ds.x);
    /// let id = save_model(m, "doc-by-hand-ds", #{ dataset: ds, bump: "major" });
    /// print(model_info(id).dataset);
    /// ```
    #[rhai_fn(name = "save_model", return_raw)]
    pub fn save_fitted_opts(
        ctx: NativeCallContext,
        fitted: FittedDetector,
        name: &str,
        opts: Map,
    ) -> Result<String, Box<EvalAltResult>> {
        let (choice, dataset) = save_options(&opts, true)?;
        let provenance = match dataset {
            Some(d) => Provenance::dataset(&d.0.name, &d.0.sha256),
            None => Provenance::default(),
        };
        publish(&ctx, &fitted, name, &provenance, &choice)
    }

    /// Load a published model: `"name"` (highest release), `"name@1.2.3"`
    /// (exactly), `"name@^1.2"` or any semver requirement (highest match).
    /// The file's SHA-256 is checked against the registry before it is
    /// read; a changed file is an error.
    ///
    /// ```rhai
    /// let ds = load_dataset("toy-blobs");
    /// let r = evaluate(ds, detector("hbos"), 0);
    /// save_model(r, "doc-load");
    /// let m = load_model("doc-load@^1");
    /// print(m.score(ds.x));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_model(
        ctx: NativeCallContext,
        spec: &str,
    ) -> Result<FittedDetector, Box<EvalAltResult>> {
        let (fitted, meta) = open(&ctx)?.load(spec).map_err(ctx_err)?;
        HostContext::of(&ctx)?
            .record_artefact(&format!("{}@{}", meta.name, meta.version), &meta.sha256);
        Ok(fitted)
    }

    /// The metadata of a published model (`"name"` or `"name@requirement"`)
    /// as an object map: name, version, detector, params, anml_version,
    /// created_at, dataset, dataset_sha256, split, seed, metrics, run_id,
    /// model_format_version, sha256 (`()` where unknown).
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 3);
    /// save_model(r, "doc-info");
    /// let info = model_info("doc-info");
    /// print(`${info.name}@${info.version}: seed ${info.seed}, roc_auc ${info.metrics.roc_auc}`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn model_info(ctx: NativeCallContext, spec: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        let meta = open(&ctx)?.show(spec).map_err(ctx_err)?;
        serde_json::to_value(&meta)
            .map(|v| json_to_dynamic(&v))
            .map_err(|e| msg_err(format!("model_info: {e}")))
    }

    /// Every published model as `"name@version"`, sorted by name then
    /// version.
    ///
    /// ```rhai
    /// save_model(detector("hbos").fit(load_dataset("toy-blobs").x), "doc-listed");
    /// print(registry_models());
    /// ```
    #[rhai_fn(return_raw)]
    pub fn registry_models(ctx: NativeCallContext) -> Result<Array, Box<EvalAltResult>> {
        Ok(open(&ctx)?
            .entries()
            .map_err(ctx_err)?
            .into_iter()
            .map(|(n, v)| Dynamic::from(format!("{n}@{v}")))
            .collect())
    }
}
