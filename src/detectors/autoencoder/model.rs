//! The fitted autoencoder: the input scaler, the trained network and its
//! training history; saved form, load-time checks and scoring.

use crate::detectors::Model;
use crate::detectors::deep::{Scaler, check_scaler, nan_to_inf, prepare};
use crate::nn::{History, Mlp, row_squared_error};
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted `autoencoder` detector.
///
/// Saved as `{"n_features", "scaler": {"mean", "divisor"} | null,
/// "network": {"layers": [...]}, "history": {"loss": [...]}}`; loading
/// checks the network (widths chain from `n_features` back to
/// `n_features`, finite values, valid batch-norm statistics and rates) and
/// the scaler (finite, divisors > 0, one per column).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "AutoencoderRepr")]
pub struct AutoencoderModel {
    n_features: usize,
    scaler: Option<Scaler>,
    network: Mlp,
    history: History,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoencoderRepr {
    n_features: usize,
    scaler: Option<Scaler>,
    network: Mlp,
    history: History,
}

impl TryFrom<AutoencoderRepr> for AutoencoderModel {
    type Error = String;
    fn try_from(r: AutoencoderRepr) -> Result<Self, String> {
        let model = Self::from_parts(r.scaler, r.network)?;
        if model.n_features != r.n_features {
            return Err(format!(
                "n_features is {} but the network takes {}",
                r.n_features, model.n_features
            ));
        }
        model.with_history(r.history)
    }
}

impl AutoencoderModel {
    /// A model from a scaler (`None`: inputs used as they are) and a
    /// trained network mapping d columns back to d (e.g. PyOD's weights,
    /// for parity tests). The history is empty.
    pub fn from_parts(scaler: Option<Scaler>, network: Mlp) -> Result<Self, String> {
        let n_features = network.inputs();
        if n_features == 0 {
            return Err("the network takes no input columns".into());
        }
        network.check(n_features).map_err(|e| e.to_string())?;
        if network.outputs() != n_features {
            return Err(format!(
                "the network maps {n_features} columns to {}, not back to {n_features}",
                network.outputs()
            ));
        }
        check_scaler(scaler.as_ref(), n_features)?;
        Ok(Self {
            n_features,
            scaler,
            network,
            history: History::default(),
        })
    }

    /// The same model with its training history.
    pub(super) fn with_history(mut self, history: History) -> Result<Self, String> {
        if history.loss.iter().any(|l| !l.is_finite()) {
            return Err("history has a non-finite loss".into());
        }
        self.history = history;
        Ok(self)
    }

    pub fn network(&self) -> &Mlp {
        &self.network
    }

    pub fn scaler(&self) -> Option<&Scaler> {
        self.scaler.as_ref()
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }
}

impl Model for AutoencoderModel {
    /// PyOD's `decision_function`: the Euclidean norm of the reconstruction
    /// error `‖x̂ − x‖` in the scaled space, with the network in eval mode
    /// (batch norm's running statistics, no dropout).
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        if x.ncols() != self.n_features {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        let xs = prepare(self.scaler.as_ref(), x);
        let recon = self.network.predict(xs.view());
        nan_to_inf(row_squared_error(recon.view(), xs.view()).mapv_into(f64::sqrt))
    }

    fn history(&self) -> Option<&History> {
        Some(&self.history)
    }
}
