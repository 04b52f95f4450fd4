//! Losses with their gradients with respect to the network output.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};

/// `torch.nn.MSELoss()` (reduction `mean` over every element) and its
/// gradient `2 (y − t) / N`.
pub fn mse(output: &Array2<f64>, target: ArrayView2<'_, f64>) -> (f64, Array2<f64>) {
    let n = output.len().max(1) as f64;
    let diff = output - &target;
    let loss = diff.iter().map(|d| d * d).sum::<f64>() / n;
    let scale = 2.0 / n;
    (loss, diff * scale)
}

/// The mean over rows of the squared distance to `centre`,
/// `mean_i ‖y_i − c‖²` (DeepSVDD's objective), and its gradient
/// `2 (y_i − c) / b`.
pub fn centre_distance(output: &Array2<f64>, centre: ArrayView1<'_, f64>) -> (f64, Array2<f64>) {
    let b = output.nrows().max(1) as f64;
    let diff = output - &centre;
    let loss = row_sum_of_squares(diff.view()).sum() / b;
    (loss, diff * (2.0 / b))
}

/// `Σ_j a_ij²` per row, summed in column order.
pub fn row_sum_of_squares(a: ArrayView2<'_, f64>) -> Array1<f64> {
    a.map_axis(Axis(1), |r| r.iter().map(|v| v * v).sum())
}

/// `Σ_j (a_ij − b_ij)²` per row, summed in column order.
pub fn row_squared_error(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array1<f64> {
    let mut out = Array1::zeros(a.nrows());
    Zip::from(&mut out)
        .and(a.rows())
        .and(b.rows())
        .for_each(|o, ra, rb| {
            *o = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
        });
    out
}
