//! The type-erased detector values that the rest of anml handles: an
//! unfitted [`Detector`] (validated params) and a [`FittedDetector`]
//! (model + threshold), with the versioned JSON save format.

use super::explain::EXPLAINABLE;
use super::input::{check_columns, check_finite};
use super::registry::{DetectorSpec, spec};
use super::threshold::quantile_threshold;
use super::{DetectorError, DetectorParams, Explanation, Model};
use crate::hashing::sha256_hex;
use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Version of the saved-model JSON layout. Bump on any incompatible change.
pub const MODEL_FORMAT_VERSION: u64 = 1;

/// Object-safe face of a [`Model`].
pub(crate) trait DynModel: Send + Sync {
    fn score(&self, x: ArrayView2<'_, f64>) -> Array1<f64>;
    fn to_value(&self) -> Result<Value, serde_json::Error>;
    fn history(&self) -> Option<&crate::nn::History>;
    fn explain(&self, row: ArrayView1<'_, f64>) -> Option<Explanation>;
}

impl<M: Model> DynModel for M {
    fn score(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        self.score_samples(x)
    }
    fn history(&self) -> Option<&crate::nn::History> {
        Model::history(self)
    }
    fn explain(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        Model::explain_row(self, row)
    }
    fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// Object-safe face of a validated params struct: what [`Detector::new`]
/// builds once per parameter setting and every fit uses.
pub(crate) trait ErasedParams: Send + Sync {
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FitOutput, DetectorError>;
}

impl<P: DetectorParams> ErasedParams for P {
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FitOutput, DetectorError> {
        let fit = DetectorParams::fit(self, x)?;
        Ok((Arc::new(fit.model), fit.train_scores))
    }
}

/// Params resolved from a caller's map: the typed, validated value and its
/// JSON with every default filled in (what results record).
pub(crate) type Resolved = (Arc<dyn ErasedParams>, Value);

/// Deserialize and validate params (the only validation of a run's
/// parameters), and re-serialize them: the resolved map holds every
/// parameter with defaults filled in, so results record the full setting.
pub(crate) fn resolve_params<P: DetectorParams + 'static>(
    detector: &str,
    given: &Map<String, Value>,
) -> Result<Resolved, DetectorError> {
    let p: P = serde_json::from_value(Value::Object(given.clone())).map_err(|e| {
        DetectorError::BadParams {
            detector: detector.to_string(),
            message: e.to_string(),
        }
    })?;
    p.validate()?;
    let value = serde_json::to_value(&p).map_err(|e| DetectorError::Corrupt(e.to_string()))?;
    Ok((Arc::new(p), value))
}

pub(crate) fn default_params<P: DetectorParams>() -> Value {
    serde_json::to_value(P::default()).unwrap_or(Value::Null)
}

pub(crate) type FitOutput = (Arc<dyn DynModel>, Array1<f64>);

pub(crate) fn load_erased<P: DetectorParams>(
    model: Value,
) -> Result<Arc<dyn DynModel>, DetectorError> {
    let m: P::Model =
        serde_json::from_value(model).map_err(|e| DetectorError::Corrupt(e.to_string()))?;
    Ok(Arc::new(m))
}

/// An unfitted detector: a registered algorithm with validated parameters.
#[derive(Clone)]
pub struct Detector {
    spec: &'static DetectorSpec,
    /// The validated params, built once by [`Detector::new`].
    typed: Arc<dyn ErasedParams>,
    params: Value,
    contamination: f64,
    /// The parameters the caller named (without `contamination`); a run's
    /// seed or a protocol's defaults never replace these.
    given: Map<String, Value>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Detector({} {})", self.spec.name, self.params)
    }
}

impl Detector {
    /// Build by name. `contamination` (default 0.1, in (0, 0.5]) is common to
    /// every detector; the other keys must be the detector's own parameters.
    pub fn new(name: &str, params: &Map<String, Value>) -> Result<Self, DetectorError> {
        let spec = spec(name)?;
        let mut own = params.clone();
        let contamination = match own.remove("contamination") {
            None => super::DEFAULT_CONTAMINATION,
            Some(v) => v.as_f64().ok_or_else(|| {
                super::ParamError::new("contamination", &v, "a number in (0, 0.5]")
            })?,
        };
        if !(contamination > 0.0 && contamination <= 0.5) {
            return Err(
                super::ParamError::new("contamination", contamination, "in (0, 0.5]").into(),
            );
        }
        let (typed, params) = (spec.resolve)(spec.name, &own)?;
        Ok(Self {
            spec,
            typed,
            params,
            contamination,
            given: own,
        })
    }

    /// Rebuild with the caller's parameters plus `set`, and `contamination`.
    fn rebuild(&self, set: Map<String, Value>, contamination: f64) -> Result<Self, DetectorError> {
        let mut params = self.given.clone();
        params.extend(set);
        params.insert("contamination".into(), Value::from(contamination));
        Self::new(self.spec.name, &params)
    }

    /// The same detector with another `contamination` (validated: (0, 0.5]).
    pub fn with_contamination(&self, contamination: f64) -> Result<Self, DetectorError> {
        self.rebuild(Map::new(), contamination)
    }

    /// The detector a run with seed `seed` uses: for a stochastic detector
    /// whose caller did not name a `seed`, the same detector seeded with it.
    pub fn with_run_seed(&self, seed: u64) -> Result<Self, DetectorError> {
        self.for_run(&Map::new(), seed, None)
    }

    /// The same detector with a protocol's parameter defaults (for example
    /// the PyOD benchmark's `n_clusters = 10` for `cblof`) for every
    /// parameter the caller did not name; named ones win.
    pub fn with_protocol_defaults(
        &self,
        defaults: &Map<String, Value>,
    ) -> Result<Self, DetectorError> {
        let set = self.unnamed(defaults);
        if set.is_empty() {
            return Ok(self.clone());
        }
        self.rebuild(set, self.contamination)
    }

    /// The entries of `defaults` the caller did not name.
    fn unnamed(&self, defaults: &Map<String, Value>) -> Map<String, Value> {
        defaults
            .iter()
            .filter(|(k, _)| !self.given.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The detector one run fits, built (and validated) once: a protocol's
    /// `defaults` for parameters the caller did not name, the run `seed` for
    /// a stochastic detector whose caller named none, and `contamination`
    /// when the protocol fixes one. Unchanged when none of these applies.
    pub fn for_run(
        &self,
        defaults: &Map<String, Value>,
        seed: u64,
        contamination: Option<f64>,
    ) -> Result<Self, DetectorError> {
        let mut set = self.unnamed(defaults);
        if self.spec.stochastic && !self.given.contains_key("seed") {
            set.insert("seed".into(), Value::from(seed));
        }
        if set.is_empty() && contamination.is_none_or(|c| c == self.contamination) {
            return Ok(self.clone());
        }
        self.rebuild(set, contamination.unwrap_or(self.contamination))
    }

    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The detector's own parameters with defaults filled in.
    pub fn params(&self) -> &Value {
        &self.params
    }

    pub fn contamination(&self) -> f64 {
        self.contamination
    }

    /// Every parameter including `contamination`, as recorded in results.
    pub fn all_params(&self) -> Value {
        let mut m = match &self.params {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        m.insert("contamination".into(), Value::from(self.contamination));
        Value::Object(m)
    }

    /// Fit on `x` (n × d). Rejects empty or non-finite input before any work;
    /// a detector's refusal of this data names the registered detector.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedDetector, DetectorError> {
        self.fit_scored(x).map(|(fitted, _)| fitted)
    }

    /// Fit and also return the training scores (PyOD's `decision_scores_`:
    /// for neighbour methods each training point's own neighbours exclude
    /// itself, which scoring the training data again would not).
    pub fn fit_scored(
        &self,
        x: ArrayView2<'_, f64>,
    ) -> Result<(FittedDetector, Array1<f64>), DetectorError> {
        check_finite(x)?;
        let (model, train_scores) = self.typed.fit(x).map_err(|e| match e {
            DetectorError::CannotFit(message) => DetectorError::BadParams {
                detector: self.spec.name.to_string(),
                message,
            },
            e => e,
        })?;
        let threshold = quantile_threshold(train_scores.view(), 1.0 - self.contamination);
        let fitted = FittedDetector {
            detector: self.clone(),
            threshold,
            n_features: x.ncols(),
            model,
        };
        Ok((fitted, train_scores))
    }
}

/// A fitted detector: scores new data and applies the decision threshold.
#[derive(Clone)]
pub struct FittedDetector {
    detector: Detector,
    threshold: f64,
    n_features: usize,
    model: Arc<dyn DynModel>,
}

impl std::fmt::Debug for FittedDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FittedDetector({} d={} threshold={})",
            self.detector.name(),
            self.n_features,
            self.threshold
        )
    }
}

impl FittedDetector {
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    pub fn name(&self) -> &'static str {
        self.detector.name()
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The per-epoch training losses of a deep detector (`None` for
    /// detectors not trained by epochs).
    pub fn history(&self) -> Option<&crate::nn::History> {
        self.model.history()
    }

    /// The `(1 - contamination)` quantile of the training scores.
    pub fn decision_threshold(&self) -> f64 {
        self.threshold
    }

    /// Anomaly scores, higher = more anomalous.
    pub fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>, DetectorError> {
        check_columns(x, self.n_features)?;
        check_finite(x)?;
        Ok(self.model.score(x))
    }

    /// Why `row` scores as it does: one contribution per fitted column
    /// (see [`super::explain`]). The row is checked like scoring input; a
    /// detector without explanations is [`DetectorError::NotExplainable`].
    pub fn explain(&self, row: ArrayView1<'_, f64>) -> Result<Explanation, DetectorError> {
        let x = row.insert_axis(Axis(0));
        check_columns(x, self.n_features)?;
        check_finite(x)?;
        self.model
            .explain(row)
            .ok_or_else(|| DetectorError::NotExplainable {
                detector: self.name().to_string(),
                explainable: EXPLAINABLE.join(", "),
            })
    }

    /// 1 where the score exceeds the threshold (the fitted one unless given).
    pub fn predict(
        &self,
        x: ArrayView2<'_, f64>,
        threshold: Option<f64>,
    ) -> Result<Array1<i32>, DetectorError> {
        let t = threshold.unwrap_or(self.threshold);
        Ok(self.score_samples(x)?.mapv(|s| i32::from(s > t)))
    }

    /// The versioned save format as a JSON value.
    pub fn to_value(&self) -> Result<Value, DetectorError> {
        let model = self
            .model
            .to_value()
            .map_err(|e| DetectorError::Corrupt(e.to_string()))?;
        let mut m = Map::new();
        m.insert("format".into(), Value::from("anml-model"));
        m.insert("format_version".into(), Value::from(MODEL_FORMAT_VERSION));
        m.insert("detector".into(), Value::from(self.name()));
        m.insert("params".into(), self.detector.params.clone());
        m.insert(
            "contamination".into(),
            Value::from(self.detector.contamination),
        );
        m.insert("threshold".into(), Value::from(self.threshold));
        m.insert("n_features".into(), Value::from(self.n_features));
        m.insert("model".into(), model);
        Ok(Value::Object(m))
    }

    /// Serialized bytes (compact JSON; field order is fixed, so the bytes and
    /// their digest are stable for the same model).
    pub fn to_bytes(&self) -> Result<Vec<u8>, DetectorError> {
        serde_json::to_vec(&self.to_value()?).map_err(|e| DetectorError::Corrupt(e.to_string()))
    }

    /// `sha256:` + hex of [`Self::to_bytes`].
    pub fn digest(&self) -> Result<String, DetectorError> {
        Ok(format!("sha256:{}", sha256_hex(&self.to_bytes()?)))
    }

    /// Load from bytes written by [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DetectorError> {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| DetectorError::Corrupt(e.to_string()))?;
        Self::from_value(v)
    }

    pub fn from_value(v: Value) -> Result<Self, DetectorError> {
        let corrupt = |what: &str| DetectorError::Corrupt(format!("missing or invalid `{what}`"));
        let Value::Object(mut m) = v else {
            return Err(corrupt("top-level object"));
        };
        if m.get("format").and_then(Value::as_str) != Some("anml-model") {
            return Err(corrupt("format"));
        }
        let version = m
            .get("format_version")
            .and_then(Value::as_u64)
            .ok_or_else(|| corrupt("format_version"))?;
        if version != MODEL_FORMAT_VERSION {
            return Err(DetectorError::FormatVersion {
                found: version,
                supported: MODEL_FORMAT_VERSION,
            });
        }
        let name = m
            .get("detector")
            .and_then(Value::as_str)
            .ok_or_else(|| corrupt("detector"))?
            .to_string();
        let mut params = match m.remove("params") {
            Some(Value::Object(p)) => p,
            _ => return Err(corrupt("params")),
        };
        let contamination = m
            .get("contamination")
            .and_then(Value::as_f64)
            .ok_or_else(|| corrupt("contamination"))?;
        params.insert("contamination".into(), Value::from(contamination));
        let detector = Detector::new(&name, &params)?;
        let threshold = m
            .get("threshold")
            .and_then(Value::as_f64)
            .ok_or_else(|| corrupt("threshold"))?;
        let n_features = m
            .get("n_features")
            .and_then(Value::as_u64)
            .ok_or_else(|| corrupt("n_features"))? as usize;
        let model_value = m.remove("model").ok_or_else(|| corrupt("model"))?;
        let model = (detector.spec.load)(model_value)?;
        Ok(Self {
            detector,
            threshold,
            n_features,
            model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn given(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_refusal_of_the_data_names_the_registered_detector() {
        // knn, avg_knn and med_knn share one fit; the name comes from the table.
        let x = ndarray::array![[0.0], [1.0]];
        let e = Detector::new("med_knn", &Map::new())
            .unwrap()
            .fit(x.view())
            .unwrap_err();
        assert!(
            matches!(&e, DetectorError::BadParams { detector, .. } if detector == "med_knn"),
            "{e}"
        );
        assert!(e.to_string().contains("n_neighbors"), "{e}");
    }

    #[test]
    fn run_seed_replaces_only_an_unnamed_seed() {
        let d = Detector::new("isolation_forest", &Map::new()).unwrap();
        assert_eq!(d.with_run_seed(7).unwrap().params()["seed"], json!(7));
        let d = Detector::new("isolation_forest", &given(json!({"seed": 3}))).unwrap();
        assert_eq!(d.with_run_seed(7).unwrap().params()["seed"], json!(3));
        // Deterministic detectors have no seed to set.
        let d = Detector::new("knn", &Map::new()).unwrap();
        assert!(d.with_run_seed(7).unwrap().params().get("seed").is_none());
    }

    #[test]
    fn contamination_change_keeps_the_named_parameters() {
        let d = Detector::new("isolation_forest", &given(json!({"n_estimators": 20})))
            .unwrap()
            .with_run_seed(4)
            .unwrap()
            .with_contamination(0.25)
            .unwrap();
        assert_eq!(d.contamination(), 0.25);
        assert_eq!(d.params()["n_estimators"], json!(20));
        assert_eq!(d.params()["seed"], json!(4));
        assert!(d.with_contamination(0.7).is_err());
    }

    #[test]
    fn protocol_defaults_fill_only_unnamed_parameters() {
        let defaults = given(json!({"n_estimators": 10}));
        let d = Detector::new("isolation_forest", &Map::new()).unwrap();
        let p = d.with_protocol_defaults(&defaults).unwrap();
        assert_eq!(p.params()["n_estimators"], json!(10));
        let d = Detector::new("isolation_forest", &given(json!({"n_estimators": 30}))).unwrap();
        let p = d.with_protocol_defaults(&defaults).unwrap();
        assert_eq!(p.params()["n_estimators"], json!(30));
        // A default that breaks a rule is an error, not silently dropped.
        let bad = given(json!({"n_estimators": 0}));
        let d = Detector::new("isolation_forest", &Map::new()).unwrap();
        assert!(d.with_protocol_defaults(&bad).is_err());
    }
}
