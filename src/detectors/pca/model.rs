//! The fitted principal-component model: column centring/scaling, the kept
//! eigenvectors and eigenvalues of the training covariance; its saved form,
//! load-time checks and the score.

use crate::detectors::Model;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// A fitted `pca` detector.
///
/// Saved as `{"mean", "scale", "components", "eigenvalues"}`: a row x is
/// mapped to `z_c = (x_c − mean_c) / scale_c`, or to 0 where `scale_c == 0`
/// (a column constant in training); `components` is d × k (column j is the
/// j-th eigenvector), `eigenvalues` the k matching variances (> 0,
/// non-increasing). Loading checks shapes and finiteness.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "PcaRepr")]
pub struct PcaModel {
    mean: Array1<f64>,
    scale: Array1<f64>,
    components: Array2<f64>,
    eigenvalues: Array1<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PcaRepr {
    mean: Array1<f64>,
    scale: Array1<f64>,
    components: Array2<f64>,
    eigenvalues: Array1<f64>,
}

impl TryFrom<PcaRepr> for PcaModel {
    type Error = String;
    fn try_from(r: PcaRepr) -> Result<Self, String> {
        let d = r.mean.len();
        let k = r.eigenvalues.len();
        if d == 0 || r.scale.len() != d || r.components.dim() != (d, k) || k == 0 || k > d {
            return Err(format!(
                "shapes disagree: mean {d}, scale {}, components {:?}, eigenvalues {k} \
                 (need d >= 1, 1 <= k <= d, components d x k)",
                r.scale.len(),
                r.components.dim()
            ));
        }
        if r.mean.iter().chain(&r.components).any(|v| !v.is_finite())
            || r.scale.iter().any(|&s| !(s.is_finite() && s >= 0.0))
        {
            return Err("mean, components must be finite and scale finite and >= 0".into());
        }
        if r.eigenvalues.iter().any(|&l| !(l.is_finite() && l > 0.0)) {
            return Err("eigenvalues must be finite and positive".into());
        }
        Ok(Self {
            mean: r.mean,
            scale: r.scale,
            components: r.components,
            eigenvalues: r.eigenvalues,
        })
    }
}

impl PcaModel {
    pub(super) fn new(
        mean: Array1<f64>,
        scale: Array1<f64>,
        components: Array2<f64>,
        eigenvalues: Array1<f64>,
    ) -> Self {
        Self {
            mean,
            scale,
            components,
            eigenvalues,
        }
    }

    /// The kept eigenvalues (variances along the components, n − 1 divisor).
    pub fn eigenvalues(&self) -> &Array1<f64> {
        &self.eigenvalues
    }

    /// The kept eigenvectors as the columns of a d × k matrix.
    pub fn components(&self) -> &Array2<f64> {
        &self.components
    }

    /// Number of components the score sums over.
    pub fn n_components(&self) -> usize {
        self.eigenvalues.len()
    }

    /// Rows centred, scaled, constant columns set to 0.
    pub(super) fn standardise(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        standardise(x, &self.mean, &self.scale)
    }
}

/// `(x − mean) / scale` column-wise, 0 where `scale == 0`.
pub(super) fn standardise(
    x: ArrayView2<'_, f64>,
    mean: &Array1<f64>,
    scale: &Array1<f64>,
) -> Array2<f64> {
    let mut z = x.to_owned();
    for mut row in z.rows_mut() {
        for ((v, &m), &s) in row.iter_mut().zip(mean).zip(scale) {
            *v = if s == 0.0 { 0.0 } else { (*v - m) / s };
        }
    }
    z
}

impl Model for PcaModel {
    /// Shyu et al.'s score `Σ_j (z · v_j)² / λ_j` over the kept components.
    /// Input of the wrong width (which [`crate::detectors::FittedDetector`]
    /// rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        if x.ncols() != self.mean.len() {
            return Array1::from_elem(x.nrows(), f64::NAN);
        }
        let proj = self.standardise(x).dot(&self.components);
        proj.map_axis(Axis(1), |r| {
            r.iter()
                .zip(&self.eigenvalues)
                .map(|(&p, &l)| p * p / l)
                .sum()
        })
    }
}
