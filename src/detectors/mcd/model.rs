//! The fitted MCD model: robust (reweighted) location, covariance and its
//! pseudo-inverse; its saved form, load-time checks and the squared
//! Mahalanobis score.

use crate::detectors::Model;
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted `mcd` detector.
///
/// Saved as `{"location", "covariance", "precision"}` (d, d × d, d × d);
/// `precision` is `pinvh(covariance)`, stored so that scores do not depend
/// on re-running an eigendecomposition at load. Loading checks shapes and
/// finiteness.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "McdRepr")]
pub struct McdModel {
    location: Array1<f64>,
    covariance: Array2<f64>,
    precision: Array2<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct McdRepr {
    location: Array1<f64>,
    covariance: Array2<f64>,
    precision: Array2<f64>,
}

impl TryFrom<McdRepr> for McdModel {
    type Error = String;
    fn try_from(r: McdRepr) -> Result<Self, String> {
        let d = r.location.len();
        if d == 0 || r.covariance.dim() != (d, d) || r.precision.dim() != (d, d) {
            return Err(format!(
                "shapes disagree: location {d}, covariance {:?}, precision {:?}",
                r.covariance.dim(),
                r.precision.dim()
            ));
        }
        if r.location
            .iter()
            .chain(&r.covariance)
            .chain(&r.precision)
            .any(|v| !v.is_finite())
        {
            return Err("location, covariance and precision must be finite".into());
        }
        Ok(Self {
            location: r.location,
            covariance: r.covariance,
            precision: r.precision,
        })
    }
}

impl McdModel {
    pub(super) fn new(
        location: Array1<f64>,
        covariance: Array2<f64>,
        precision: Array2<f64>,
    ) -> Self {
        Self {
            location,
            covariance,
            precision,
        }
    }

    /// The reweighted robust location (scikit-learn's `location_`).
    pub fn location(&self) -> &Array1<f64> {
        &self.location
    }

    /// The reweighted, consistency-corrected covariance (`covariance_`).
    pub fn covariance(&self) -> &Array2<f64> {
        &self.covariance
    }
}

/// Squared Mahalanobis distances `((x − loc) P) · (x − loc)` per row, in
/// anml's fixed order (no BLAS: the same bits on every CPU).
pub(super) fn mahalanobis(
    x: ArrayView2<'_, f64>,
    location: &Array1<f64>,
    precision: &Array2<f64>,
) -> Array1<f64> {
    crate::linalg_fixed::mahalanobis(x, location.view(), precision.view())
}

impl Model for McdModel {
    /// Squared Mahalanobis distance under the robust location and
    /// covariance (PyOD's `decision_function`, scikit-learn's
    /// `mahalanobis`). Input of the wrong width scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        if x.ncols() != self.location.len() {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        mahalanobis(x, &self.location, &self.precision)
    }
}
