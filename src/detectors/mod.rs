//! Detectors: the contract every algorithm implements, the type-erased fitted
//! model the rest of anml handles, and the one registration table.
//!
//! Adding a detector means adding a module folder (`params.rs` with a
//! validated params struct, the algorithm, a fitted model type) and one
//! [`DetectorSpec`] line in [`registry::DETECTORS`].

pub mod autoencoder;
pub mod cblof;
pub mod copod;
pub mod deep;
pub mod deep_svdd;
pub mod dif;
pub mod distance;
mod ecdf;
pub mod ecod;
mod error;
pub mod explain;
mod fitted;
pub mod gmm;
pub mod hbos;
pub mod inne;
pub mod input;
pub mod isolation_forest;
pub mod kde;
pub mod keyword_or_number;
pub mod knn;
pub mod limits;
pub mod loda;
pub mod lof;
pub mod matrix_profile;
pub mod mcd;
pub mod neighbors;
pub mod ocsvm;
pub mod pca;
mod registry;
mod rows;
pub mod sampling;
pub mod series;
pub mod tail;
#[cfg(test)]
pub(crate) mod test_support;
mod threshold;
pub mod usad;

pub use error::{DetectorError, ParamError};
pub use explain::{EXPLAINABLE, ExplainMethod, Explanation, FeatureContribution};
pub use fitted::{Detector, FittedDetector, MODEL_FORMAT_VERSION};
pub use registry::{DETECTORS, DetectorSpec, ParamDoc, spec};
pub use threshold::{DEFAULT_CONTAMINATION, quantile_threshold};

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Serialize, de::DeserializeOwned};

/// Hyperparameters of one detector. Validation runs once, before any fit.
///
/// Deserialisation fills defaults and rejects unknown names; `validate`
/// checks ranges and names the parameter and the allowed range on failure.
/// [`Detector::new`] (and so loading a saved model) deserialises and
/// validates once and keeps the typed value for every fit.
pub trait DetectorParams: Serialize + DeserializeOwned + Default + Clone + Send + Sync {
    type Model: Model;

    /// Check every rule; the first broken one is returned.
    fn validate(&self) -> Result<(), ParamError>;

    /// Fit on finite training data (`x` is n × d, n ≥ 1).
    ///
    /// Assumes `self` passed [`validate`](Self::validate) (as every params
    /// value built by [`Detector`] has; a caller building params by hand
    /// validates first) and does not check again. Rules that depend on the
    /// data as well (more rows than clusters, …) are the fit's own:
    /// they return [`DetectorError::CannotFit`] without the detector's name,
    /// which [`Detector`] adds.
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError>;
}

/// What a fit produces: the model and the training scores, from which the
/// decision threshold is derived (PyOD's `decision_scores_`).
pub struct Fit<M> {
    pub model: M,
    pub train_scores: Array1<f64>,
}

/// A fitted model. Inputs reaching `score_samples` have already been checked
/// for shape and finiteness by [`FittedDetector`].
pub trait Model: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Anomaly scores; higher means more anomalous.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64>;

    /// The training history of a model trained by epochs (the deep
    /// detectors); `None` for the others.
    fn history(&self) -> Option<&crate::nn::History> {
        None
    }

    /// The per-feature explanation of one row's score ([`explain`]); `None`
    /// for models that have none. `row` is already checked (finite, the
    /// fitted column count) by [`FittedDetector::explain`].
    fn explain_row(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        let _ = row;
        None
    }
}
