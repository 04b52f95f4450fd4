//! Losses with their gradients with respect to the network output.

use super::NnError;
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

/// The norm penalty `coef · Σ_t ‖p_t‖_F` over parameter tensors (DeepSVDD's
/// `1e-6 · sum(torch.linalg.norm(W) for W in parameters())`: the Frobenius
/// norm itself, not its square), summed in tensor order. Its gradient
/// `coef · p_t / ‖p_t‖_F` is added to `grads` (same order and sizes as
/// `params`); a tensor of norm 0 gets none, as torch's norm backward gives
/// 0 there. Returns the penalty.
pub fn add_norm_penalty(
    params: &[&[f64]],
    coef: f64,
    grads: &mut [Array1<f64>],
) -> Result<f64, NnError> {
    if params.len() != grads.len() || params.iter().zip(&*grads).any(|(p, g)| p.len() != g.len()) {
        return Err(NnError::Shape(
            "norm penalty: parameters and gradients differ in shape".into(),
        ));
    }
    let mut total = 0.0;
    for (p, g) in params.iter().zip(grads.iter_mut()) {
        let norm = p.iter().map(|v| v * v).sum::<f64>().sqrt();
        total += norm;
        if norm > 0.0 {
            let scale = coef / norm;
            Zip::from(g).and(*p).for_each(|g, &v| *g += scale * v);
        }
    }
    Ok(coef * total)
}
