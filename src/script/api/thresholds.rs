//! Script functions for the threshold methods (`crate::thresholds`):
//! `threshold(scores, "otsu")`, the method list, and a run's `thresholds`.
//! `threshold`'s doc is generated from the method table, so `:doc threshold`
//! and completion list exactly the registered methods.

use crate::script::api::convert::{ctx_err, msg_err};
use crate::script::types::Vector;
use crate::thresholds::{self, METHODS, Options};
use rhai::plugin::*;
use rhai::{Engine, EvalAltResult, FuncRegistration, Map};

/// `threshold`'s doc: the call, every method of the table, an example.
fn threshold_doc(with_options: bool) -> String {
    let mut s = String::from(
        "/// The decision threshold that method `method` fits on `scores` (higher =\n\
         /// more anomalous), in the scores' own scale; scores at or above it are\n\
         /// outliers (above it for `otsu` and `contamination`). As pythresh 1.1.1\n\
         /// with its defaults. Methods:\n///\n",
    );
    for m in METHODS {
        s.push_str(&format!("/// * `{}`: {}\n", m.name, m.summary));
    }
    if with_options {
        s.push_str(
            "///\n/// `options` may set `contamination` (in (0, 0.5], default 0.1), the\n\
             /// anomaly ratio of the `contamination` method.\n///\n/// ```rhai\n\
             /// let s = vector([0.1, 0.2, 0.15, 0.3, 0.9, 0.12, 0.22, 0.18, 0.95, 0.11]);\n\
             /// print(threshold(s, \"contamination\", #{ contamination: 0.2 }));\n/// ```",
        );
    } else {
        s.push_str(
            "///\n/// ```rhai\n\
             /// let s = vector([0.1, 0.2, 0.15, 0.3, 0.9, 0.12, 0.22, 0.18, 0.95, 0.11]);\n\
             /// print(threshold(s, \"otsu\"));\n/// ```",
        );
    }
    s
}

/// `options` as [`Options`]: only `contamination`, a number.
fn options(map: &Map) -> Result<Options, Box<EvalAltResult>> {
    let mut o = Options::default();
    for (k, v) in map {
        match k.as_str() {
            "contamination" => {
                o.contamination = v
                    .as_float()
                    .or_else(|_| v.as_int().map(|i| i as f64))
                    .map_err(|t| {
                        msg_err(format!("threshold: contamination is a {t}, not a number"))
                    })?;
            }
            other => {
                return Err(msg_err(format!(
                    "threshold: unknown option `{other}`; known: contamination"
                )));
            }
        }
    }
    Ok(o)
}

fn fit(scores: &Vector, method: &str, o: &Options) -> Result<f64, Box<EvalAltResult>> {
    thresholds::fit(method, scores.0.view(), o)
        .map(|t| t.value)
        .map_err(ctx_err)
}

/// `threshold(scores, method)` and `threshold(scores, method, options)`,
/// documented from the method table.
pub fn register_threshold_fns(engine: &mut Engine) {
    FuncRegistration::new("threshold")
        .with_params_info(["scores: Vector", "method: &str", "f64"])
        .with_comments([threshold_doc(false)])
        .register_into_engine(
            engine,
            |scores: Vector, method: &str| -> Result<f64, Box<EvalAltResult>> {
                fit(&scores, method, &Options::default())
            },
        );
    FuncRegistration::new("threshold")
        .with_params_info(["scores: Vector", "method: &str", "options: Map", "f64"])
        .with_comments([threshold_doc(true)])
        .register_into_engine(
            engine,
            |scores: Vector, method: &str, map: Map| -> Result<f64, Box<EvalAltResult>> {
                fit(&scores, method, &options(&map)?)
            },
        );
}

#[export_module]
pub mod thresholds_api {
    use crate::script::types::ResultRef;
    use rhai::{Array, Dynamic, Map};

    /// The threshold methods' names, in the order runs record them (the
    /// first, `contamination`, is `anml benchmark`'s default `--threshold`).
    ///
    /// ```rhai
    /// print(threshold_methods());
    /// ```
    pub fn threshold_methods() -> Array {
        crate::thresholds::METHODS
            .iter()
            .map(|m| Dynamic::from(m.name.to_string()))
            .collect()
    }

    /// Every threshold method's result on the run: a map from method name to
    /// `#{ threshold, f1, precision, recall }` (threshold fitted on the
    /// training scores, the rest on the test part), or `()` where the method
    /// could not be fitted. Empty for records made before thresholds were
    /// recorded.
    ///
    /// ```rhai
    /// let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
    /// print(r.thresholds.otsu.f1);
    /// ```
    #[rhai_fn(get = "thresholds", pure)]
    pub fn thresholds(r: &mut ResultRef) -> Map {
        r.0.thresholds
            .0
            .iter()
            .map(|(name, s)| {
                let v = match s {
                    Some(s) => {
                        let mut m = Map::new();
                        m.insert("threshold".into(), s.threshold.into());
                        m.insert("f1".into(), s.f1.into());
                        m.insert("precision".into(), s.precision.into());
                        m.insert("recall".into(), s.recall.into());
                        Dynamic::from_map(m)
                    }
                    None => Dynamic::UNIT,
                };
                (name.as_str().into(), v)
            })
            .collect()
    }
}
