//! Script functions for the metrics. Each takes labels (1 = anomaly) and
//! scores (higher = more anomalous) and equals scikit-learn's value.

use rhai::plugin::*;

#[export_module]
pub mod metrics_api {
    use crate::metrics;
    use crate::script::api::convert::ctx_err;
    use crate::script::types::{Labels, Vector};
    use rhai::{EvalAltResult, Map};

    /// Area under the ROC curve (scikit-learn's `roc_auc_score`, ties as one
    /// step). Needs both classes.
    ///
    /// ```rhai
    /// print(roc_auc(labels([0, 0, 1, 1]), vector([0.1, 0.4, 0.35, 0.8])));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn roc_auc(y: Labels, scores: Vector) -> Result<f64, Box<EvalAltResult>> {
        metrics::roc_auc(y.view(), scores.0.view()).map_err(ctx_err)
    }

    /// Average precision (scikit-learn's `average_precision_score`).
    ///
    /// ```rhai
    /// print(pr_auc(labels([0, 0, 1, 1]), vector([0.1, 0.4, 0.35, 0.8])));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn pr_auc(y: Labels, scores: Vector) -> Result<f64, Box<EvalAltResult>> {
        metrics::pr_auc(y.view(), scores.0.view()).map_err(ctx_err)
    }

    /// F1 at the threshold maximising TPR − FPR, as `#{ f1, threshold }`.
    ///
    /// ```rhai
    /// let r = f1_at_youden(labels([0, 0, 1, 1]), vector([0.1, 0.4, 0.35, 0.8]));
    /// print(r.f1);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn f1_at_youden(y: Labels, scores: Vector) -> Result<Map, Box<EvalAltResult>> {
        let r = metrics::f1_at_youden(y.view(), scores.0.view()).map_err(ctx_err)?;
        let mut m = Map::new();
        m.insert("f1".into(), r.f1.into());
        m.insert("threshold".into(), r.threshold.into());
        Ok(m)
    }

    /// Precision among the n highest scores, n = number of anomalies
    /// (PyOD's `precision_n_scores`).
    ///
    /// ```rhai
    /// print(precision_at_n(labels([0, 0, 1, 1]), vector([0.1, 0.4, 0.35, 0.8])));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn precision_at_n(y: Labels, scores: Vector) -> Result<f64, Box<EvalAltResult>> {
        metrics::precision_at_n(y.view(), scores.0.view()).map_err(ctx_err)
    }
}
