//! Script functions for detectors: build by name with a params map, fit,
//! score, predict, and inspect.

use crate::detectors::FittedDetector;
use crate::script::api::convert::ctx_err;
use crate::script::types::{Labels, Matrix};
use rhai::plugin::*;
use std::sync::Arc;

fn predict_at(
    f: &FittedDetector,
    x: Matrix,
    threshold: Option<f64>,
) -> Result<Labels, Box<EvalAltResult>> {
    let p = f.predict(x.view(), threshold).map_err(ctx_err)?;
    Ok(Labels::Owned(Arc::new(p.mapv(|v| u8::from(v == 1)))))
}

#[export_module]
pub mod detectors_api {
    use super::predict_at;
    use crate::detectors::{DETECTORS, Detector, FittedDetector};
    use crate::script::api::convert::{ctx_err, json_to_dynamic, map_to_json};
    use crate::script::types::{Labels, Matrix, Vector};
    use rhai::{Array, Dynamic, EvalAltResult, Map, NativeCallContext};
    use std::sync::Arc;

    /// A detector by name with default parameters.
    ///
    /// ```rhai
    /// let det = detector("isolation_forest");
    /// print(det.params);
    /// ```
    #[rhai_fn(name = "detector", return_raw)]
    pub fn detector_default(name: &str) -> Result<Detector, Box<EvalAltResult>> {
        Detector::new(name, &serde_json::Map::new()).map_err(ctx_err)
    }

    /// A detector by name with parameters; invalid parameters fail here,
    /// before any data is touched. `contamination` (default 0.1) sets the
    /// decision threshold for `predict`.
    ///
    /// ```rhai
    /// let det = detector("isolation_forest", #{ n_estimators: 200, seed: 0 });
    /// print(det.name);
    /// ```
    #[rhai_fn(name = "detector", return_raw)]
    pub fn detector_params(
        ctx: NativeCallContext,
        name: &str,
        params: Map,
    ) -> Result<Detector, Box<EvalAltResult>> {
        let det = Detector::new(name, &map_to_json(&params)?).map_err(ctx_err)?;
        if let Some(seed) = params.get("seed").and_then(|s| s.as_int().ok())
            && let Ok(seed) = u64::try_from(seed)
        {
            crate::script::HostContext::of(&ctx)?.record_seed(seed);
        }
        Ok(det)
    }

    /// Names of every registered detector.
    ///
    /// ```rhai
    /// print(models());
    /// ```
    pub fn models() -> Array {
        DETECTORS
            .iter()
            .map(|s| Dynamic::from(s.name.to_string()))
            .collect()
    }

    /// The detector's registered name.
    ///
    /// ```rhai
    /// print(detector("isolation_forest").name);
    /// ```
    #[rhai_fn(get = "name", pure)]
    pub fn name(d: &mut Detector) -> String {
        d.name().to_string()
    }

    /// Every parameter, defaults filled in, including `contamination`.
    ///
    /// ```rhai
    /// print(detector("isolation_forest").params.n_estimators);
    /// ```
    #[rhai_fn(get = "params", pure)]
    pub fn params(d: &mut Detector) -> Dynamic {
        json_to_dynamic(&d.all_params())
    }

    /// Fit on a feature matrix (rows = samples). NaN/inf is rejected.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("isolation_forest", #{ seed: 1 }).fit(sp.x_train);
    /// print(model.threshold);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn fit(d: &mut Detector, x: Matrix) -> Result<FittedDetector, Box<EvalAltResult>> {
        d.fit(x.view()).map_err(ctx_err)
    }

    /// Anomaly scores of each row; higher means more anomalous.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let s = detector("isolation_forest").fit(sp.x_train).score(sp.x_test);
    /// print(s.len);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn score(f: &mut FittedDetector, x: Matrix) -> Result<Vector, Box<EvalAltResult>> {
        f.score_samples(x.view())
            .map(|s| Vector(Arc::new(s)))
            .map_err(ctx_err)
    }

    /// 0/1 predictions at the fitted threshold (the `1 - contamination`
    /// quantile of the training scores).
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let p = detector("isolation_forest").fit(sp.x_train).predict(sp.x_test);
    /// print(p.n_anomalies);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn predict(f: &mut FittedDetector, x: Matrix) -> Result<Labels, Box<EvalAltResult>> {
        predict_at(f, x, None)
    }

    /// 0/1 predictions at an explicit score threshold.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let p = detector("isolation_forest").fit(sp.x_train).predict(sp.x_test, 0.6);
    /// print(p.len);
    /// ```
    #[rhai_fn(name = "predict", return_raw, pure)]
    pub fn predict_threshold(
        f: &mut FittedDetector,
        x: Matrix,
        threshold: f64,
    ) -> Result<Labels, Box<EvalAltResult>> {
        predict_at(f, x, Some(threshold))
    }

    /// The fitted decision threshold.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// print(detector("isolation_forest").fit(sp.x_train).threshold);
    /// ```
    #[rhai_fn(get = "threshold", pure)]
    pub fn threshold(f: &mut FittedDetector) -> f64 {
        f.decision_threshold()
    }

    /// `sha256:` + hex of the serialized fitted model.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// print(detector("isolation_forest").fit(sp.x_train).digest);
    /// ```
    #[rhai_fn(get = "digest", return_raw, pure)]
    pub fn digest(f: &mut FittedDetector) -> Result<String, Box<EvalAltResult>> {
        f.digest().map_err(ctx_err)
    }

    /// The mean training loss of each epoch, for detectors trained by
    /// epochs (autoencoder, deep_svdd, usad); an error for the others.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let f = detector("autoencoder", #{ epochs: 3 }).fit(sp.x_train);
    /// print(f.history);
    /// ```
    #[rhai_fn(get = "history", return_raw, pure)]
    pub fn history(f: &mut FittedDetector) -> Result<Vector, Box<EvalAltResult>> {
        let h = f.history().ok_or_else(|| {
            crate::script::api::convert::msg_err(format!(
                "`history`: {} is not trained by epochs, so it has no loss history",
                f.name()
            ))
        })?;
        Ok(Vector(Arc::new(ndarray::Array1::from(h.loss.clone()))))
    }

    /// The fitted detector's name.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// print(detector("isolation_forest").fit(sp.x_train).name);
    /// ```
    #[rhai_fn(get = "name", name = "name", pure)]
    pub fn fitted_name(f: &mut FittedDetector) -> String {
        f.name().to_string()
    }

    /// Text form of a detector.
    ///
    /// ```rhai
    /// print(detector("isolation_forest").to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn detector_to_string(d: &mut Detector) -> String {
        format!("Detector({} {})", d.name(), d.all_params())
    }

    /// Text form of a fitted detector.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// print(detector("isolation_forest").fit(sp.x_train).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn fitted_to_string(f: &mut FittedDetector) -> String {
        format!(
            "FittedDetector({}, {} features, threshold {:.6})",
            f.name(),
            f.n_features(),
            f.decision_threshold()
        )
    }
}
