//! The fitted Deep SVDD model: the input scaler, the trained network, the
//! hypersphere centre and the training history; saved form, load-time
//! checks and scoring.

use crate::detectors::Model;
use crate::detectors::deep::{Scaler, check_scaler, nan_to_inf, prepare};
use crate::nn::{History, Mlp, row_sum_of_squares};
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted `deep_svdd` detector.
///
/// Saved as `{"n_features", "scaler": {"mean", "divisor"} | null,
/// "network": {"layers": [...]}, "centre": [...], "history": {"loss",
/// "best_epoch"}}`; loading checks the network (widths, finite values,
/// rates), the scaler (finite, divisors > 0, one per column) and the centre
/// (one finite value per network output, not all zero), and that
/// `best_epoch` names a recorded epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "DeepSvddRepr")]
pub struct DeepSvddModel {
    n_features: usize,
    scaler: Option<Scaler>,
    network: Mlp,
    centre: Array1<f64>,
    history: History,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeepSvddRepr {
    n_features: usize,
    scaler: Option<Scaler>,
    network: Mlp,
    centre: Array1<f64>,
    history: History,
}

impl TryFrom<DeepSvddRepr> for DeepSvddModel {
    type Error = String;
    fn try_from(r: DeepSvddRepr) -> Result<Self, String> {
        let model = Self::from_parts(r.scaler, r.network, r.centre)?;
        if model.n_features != r.n_features {
            return Err(format!(
                "n_features is {} but the network takes {}",
                r.n_features, model.n_features
            ));
        }
        model.with_history(r.history)
    }
}

impl DeepSvddModel {
    /// A model from a scaler (`None`: inputs used as they are), a trained
    /// network and its centre (e.g. PyOD's weights and `c_`, for parity
    /// tests). The history is empty.
    pub fn from_parts(
        scaler: Option<Scaler>,
        network: Mlp,
        centre: Array1<f64>,
    ) -> Result<Self, String> {
        let n_features = network.inputs();
        if n_features == 0 {
            return Err("the network takes no input columns".into());
        }
        network.check(n_features).map_err(|e| e.to_string())?;
        if centre.len() != network.outputs() {
            return Err(format!(
                "the centre has {} values, the network {} outputs",
                centre.len(),
                network.outputs()
            ));
        }
        if centre.iter().any(|c| !c.is_finite()) {
            return Err("the centre has a non-finite value".into());
        }
        if centre.iter().all(|&c| c == 0.0) {
            return Err("the centre is all zeros".into());
        }
        check_scaler(scaler.as_ref(), n_features)?;
        Ok(Self {
            n_features,
            scaler,
            network,
            centre,
            history: History::default(),
        })
    }

    /// The same model with its training history.
    pub(super) fn with_history(mut self, history: History) -> Result<Self, String> {
        if history.loss.iter().any(|l| !l.is_finite()) {
            return Err("history has a non-finite loss".into());
        }
        if history.best_epoch.is_some_and(|b| b >= history.loss.len()) {
            return Err("history's best epoch was not recorded".into());
        }
        self.history = history;
        Ok(self)
    }

    pub fn network(&self) -> &Mlp {
        &self.network
    }

    pub fn centre(&self) -> &Array1<f64> {
        &self.centre
    }

    pub fn scaler(&self) -> Option<&Scaler> {
        self.scaler.as_ref()
    }
}

impl Model for DeepSvddModel {
    /// PyOD's `decision_function`: the squared distance `‖φ(x) − c‖²` of
    /// the eval-mode embedding to the centre.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        if x.ncols() != self.n_features {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        let xs = prepare(self.scaler.as_ref(), x);
        let out = self.network.predict(xs.view()) - &self.centre;
        nan_to_inf(row_sum_of_squares(out.view()))
    }

    fn history(&self) -> Option<&History> {
        Some(&self.history)
    }
}
