//! Standardisation fit on the train part only, as scikit-learn's
//! `StandardScaler` does: population standard deviation (ddof = 0), and a
//! scale of 1 for (near-)constant columns so they map to 0 instead of NaN.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    pub mean: Array1<f64>,
    pub scale: Array1<f64>,
}

impl StandardScaler {
    /// Column means and standard deviations of `x` (n ≥ 1).
    pub fn fit(x: ArrayView2<'_, f64>) -> Self {
        let n = x.nrows().max(1) as f64;
        let mean = x.sum_axis(Axis(0)) / n;
        let mut var = Array1::<f64>::zeros(x.ncols());
        for row in x.rows() {
            for ((v, &xi), &m) in var.iter_mut().zip(row).zip(&mean) {
                let d = xi - m;
                *v += d * d;
            }
        }
        // scikit-learn's `_handle_zeros_in_scale`: a scale below 10·eps is a
        // constant column, scaled by 1.
        let scale = var.mapv(|v| {
            let s = (v / n).sqrt();
            if s < 10.0 * f64::EPSILON { 1.0 } else { s }
        });
        Self { mean, scale }
    }

    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn matches_sklearn_standard_scaler() {
        // sklearn StandardScaler().fit([[1, 5], [3, 5], [8, 5]]):
        // mean_ = [4, 5], scale_ = [2.943920288775949, 1.0]
        let x = array![[1.0, 5.0], [3.0, 5.0], [8.0, 5.0]];
        let s = StandardScaler::fit(x.view());
        assert_eq!(s.mean, array![4.0, 5.0]);
        assert!((s.scale[0] - 2.943920288775949).abs() < 1e-12);
        assert_eq!(s.scale[1], 1.0);
        let t = s.transform(x.view());
        assert!(
            (t[[0, 0]] + 1.0190493307301363).abs() < 1e-12,
            "{}",
            t[[0, 0]]
        );
        assert_eq!(t[[2, 1]], 0.0);
    }
}
