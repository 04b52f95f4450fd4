//! What the deep detectors (`autoencoder`, `deep_svdd`) share: the input
//! scalers PyOD fits before training, the size limits checked at fit time,
//! the seeded random streams, and mapping engine errors.

use super::{DetectorError, ParamError};
use crate::nn::{NnError, child_rng};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Most layers in `hidden_neurons`.
pub const MAX_HIDDEN_LAYERS: usize = 32;
/// Widest hidden layer.
pub const MAX_WIDTH: usize = 10_000;
/// Most trainable parameters a network may have (5·10^7: 400 MB of weights,
/// 1.2 GB with Adam's two moments). Checked at fit time, when the input
/// width is known.
pub const MAX_PARAMETERS: u128 = 50_000_000;
/// Most values one training batch may produce (rows × the summed widths of
/// every layer's output, 10^8 = 800 MB per stored tensor). Checked at fit
/// time with the actual batch rows, `min(batch_size, n)`.
pub const MAX_BATCH_VALUES: u128 = 100_000_000;
/// Largest `epochs`.
pub const MAX_EPOCHS: usize = 100_000;
/// Largest `batch_size`.
pub const MAX_BATCH_SIZE: usize = 1_000_000;
/// Largest learning rate.
pub const MAX_LR: f64 = 10.0;

/// The rules both deep detectors share, in their order: `hidden_neurons`
/// (between `min_layers` and [`MAX_HIDDEN_LAYERS`] widths, each in [1,
/// [`MAX_WIDTH`]]; `hidden_rule` states it), `dropout_rate` in [0, 1),
/// `epochs` in [1, [`MAX_EPOCHS`]], `batch_size` in [1,
/// [`MAX_BATCH_SIZE`]], `lr` in (0, [`MAX_LR`]], `weight_decay` finite and
/// >= 0.
pub struct CommonRules<'a> {
    pub hidden_neurons: &'a [usize],
    pub min_layers: usize,
    pub hidden_rule: &'static str,
    pub dropout_rate: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
}

impl CommonRules<'_> {
    pub fn check(&self) -> Result<(), ParamError> {
        let h = self.hidden_neurons;
        if h.len() < self.min_layers
            || h.len() > MAX_HIDDEN_LAYERS
            || h.iter().any(|&w| !(1..=MAX_WIDTH).contains(&w))
        {
            return Err(ParamError::new(
                "hidden_neurons",
                format!("{h:?}"),
                self.hidden_rule,
            ));
        }
        if !(0.0..1.0).contains(&self.dropout_rate) {
            return Err(ParamError::new(
                "dropout_rate",
                self.dropout_rate,
                "a number in [0, 1)",
            ));
        }
        if !(1..=MAX_EPOCHS).contains(&self.epochs) {
            return Err(ParamError::new(
                "epochs",
                self.epochs,
                "an integer in [1, 100000]",
            ));
        }
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return Err(ParamError::new(
                "batch_size",
                self.batch_size,
                "an integer in [1, 1000000]",
            ));
        }
        if !(self.lr > 0.0 && self.lr <= MAX_LR) {
            return Err(ParamError::new("lr", self.lr, "a number in (0, 10]"));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(ParamError::new(
                "weight_decay",
                self.weight_decay,
                "a finite number >= 0",
            ));
        }
        Ok(())
    }
}

/// PyOD's `TorchDataset` epsilon: the autoencoder divides by `std + 1e-8`.
pub const PYOD_STD_EPS: f64 = 1e-8;

/// Column-wise `x ↦ (x − mean) / divisor`, fitted on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaler {
    pub mean: Array1<f64>,
    pub divisor: Array1<f64>,
}

/// Column means and population variances (two passes, ddof = 0).
fn mean_and_var(x: ArrayView2<'_, f64>) -> (Array1<f64>, Array1<f64>) {
    let n = x.nrows().max(1) as f64;
    let mean = x.sum_axis(Axis(0)) / n;
    let var = (&x - &mean).mapv(|v| v * v).sum_axis(Axis(0)) / n;
    (mean, var)
}

impl Scaler {
    /// A scaler from its parts: same lengths, finite, divisors > 0.
    pub fn new(mean: Array1<f64>, divisor: Array1<f64>) -> Result<Self, String> {
        if mean.len() != divisor.len() {
            return Err("scaler mean and divisor differ in length".into());
        }
        if mean.iter().any(|v| !v.is_finite())
            || divisor.iter().any(|&v| !(v.is_finite() && v > 0.0))
        {
            return Err("scaler values must be finite with divisors > 0".into());
        }
        Ok(Self { mean, divisor })
    }

    /// PyOD's `BaseDeepLearningDetector` scaling (the autoencoder):
    /// `(x − mean) / (std + 1e-8)` with the population std. A constant
    /// column is divided by 1e-8, as in PyOD.
    pub fn fit_pyod(x: ArrayView2<'_, f64>) -> Self {
        let (mean, var) = mean_and_var(x);
        let divisor = var.mapv(|v| v.sqrt() + PYOD_STD_EPS);
        Self { mean, divisor }
    }

    /// [`Self::fit_pyod`]'s scaler from PyOD's stored `X_mean` and `X_std`.
    pub fn from_pyod(mean: Array1<f64>, std: Array1<f64>) -> Result<Self, String> {
        Self::new(mean, std.mapv(|s| s + PYOD_STD_EPS))
    }

    /// scikit-learn's `StandardScaler` (DeepSVDD): population std, and a
    /// divisor of 1 for columns `_is_constant_feature` calls constant,
    /// `var <= n·eps·var + (n·mean·eps)²`.
    pub fn fit_standard(x: ArrayView2<'_, f64>) -> Self {
        let n = x.nrows() as f64;
        let (mean, var) = mean_and_var(x);
        let eps = f64::EPSILON;
        let divisor = ndarray::Zip::from(&var).and(&mean).map_collect(|&v, &m| {
            let bound = n * eps * v + (n * m * eps) * (n * m * eps);
            if v <= bound { 1.0 } else { v.sqrt() }
        });
        Self { mean, divisor }
    }

    pub fn len(&self) -> usize {
        self.mean.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// The scaled rows (standard layout).
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = &x - &self.mean;
        out /= &self.divisor;
        out
    }
}

/// The rows a network sees: scaled, or copied as they are.
pub fn prepare(scaler: Option<&Scaler>, x: ArrayView2<'_, f64>) -> Array2<f64> {
    match scaler {
        Some(s) => s.transform(x),
        None => x.as_standard_layout().into_owned(),
    }
}

/// Check a saved scaler against the model's input width.
pub fn check_scaler(scaler: Option<&Scaler>, n_features: usize) -> Result<(), String> {
    if let Some(s) = scaler {
        Scaler::new(s.mean.clone(), s.divisor.clone())?;
        if s.len() != n_features {
            return Err(format!(
                "scaler has {} columns, the network takes {n_features}",
                s.len()
            ));
        }
    }
    Ok(())
}

/// The fit-time size rule: the chain of layer widths `widths` (input first)
/// with `extra` more parameters (batch norm) may hold at most
/// [`MAX_PARAMETERS`] parameters (`bias`: each Linear has a bias), and a
/// batch of `rows` at most [`MAX_BATCH_VALUES`] values.
pub fn check_size(
    widths: &[usize],
    bias: bool,
    extra: u128,
    rows: usize,
) -> Result<(), DetectorError> {
    let params: u128 = widths
        .windows(2)
        .map(|w| w[0] as u128 * w[1] as u128 + if bias { w[1] as u128 } else { 0 })
        .sum::<u128>()
        + extra;
    if params > MAX_PARAMETERS {
        return Err(DetectorError::CannotFit(format!(
            "the network for {} input columns would have {params} parameters; at most \
             {MAX_PARAMETERS} are allowed (use fewer or narrower hidden layers)",
            widths.first().copied().unwrap_or(0)
        )));
    }
    let values = rows as u128 * widths.iter().skip(1).map(|&w| w as u128).sum::<u128>();
    if values > MAX_BATCH_VALUES {
        return Err(DetectorError::CannotFit(format!(
            "a training batch of {rows} rows would produce {values} layer outputs; at most \
             {MAX_BATCH_VALUES} are allowed (lower batch_size)"
        )));
    }
    Ok(())
}

/// The independent random streams of one fit, derived from `seed` in this
/// fixed order: weight initialisation, batch shuffling, dropout masks.
pub struct Streams {
    pub init: ChaCha8Rng,
    pub shuffle: ChaCha8Rng,
    pub dropout: ChaCha8Rng,
}

impl Streams {
    pub fn new(seed: u64) -> Self {
        let mut root = ChaCha8Rng::seed_from_u64(seed);
        let init = child_rng(&mut root);
        let shuffle = child_rng(&mut root);
        let dropout = child_rng(&mut root);
        Self {
            init,
            shuffle,
            dropout,
        }
    }
}

/// An engine error during a fit, as the detector reports it.
pub fn fit_error(e: NnError) -> DetectorError {
    DetectorError::CannotFit(e.to_string())
}

/// A NaN score (only from values overflowing f64 inside the network, which
/// needs inputs near f64's limits) reported as +inf, the most anomalous.
pub fn nan_to_inf(mut scores: Array1<f64>) -> Array1<f64> {
    scores.mapv_inplace(|s| if s.is_nan() { f64::INFINITY } else { s });
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn pyod_scaling_divides_by_std_plus_1e_8() {
        // numpy: X = [[1, 5], [3, 5], [8, 5]]; mean (4, 5); std (2.9439.., 0).
        let x = array![[1.0, 5.0], [3.0, 5.0], [8.0, 5.0]];
        let s = Scaler::fit_pyod(x.view());
        assert_eq!(s.mean, array![4.0, 5.0]);
        assert!((s.divisor[0] - (2.943920288775949 + 1e-8)).abs() < 1e-15);
        assert_eq!(s.divisor[1], 1e-8);
        let t = s.transform(array![[4.0, 5.0], [4.0, 6.0]].view());
        assert_eq!(t[[0, 1]], 0.0);
        // A value never seen in a constant column: huge but finite.
        assert!((t[[1, 1]] - 1e8).abs() < 1e-6);
    }

    #[test]
    fn standard_scaling_is_sklearns_with_constant_columns_at_one() {
        // sklearn StandardScaler().fit([[1, 5, 1e6], [3, 5, 1e6], [8, 5, 1e6]]):
        // scale_ = [2.943920288775949, 1, 1].
        let x = array![[1.0, 5.0, 1e6], [3.0, 5.0, 1e6], [8.0, 5.0, 1e6]];
        let s = Scaler::fit_standard(x.view());
        assert!((s.divisor[0] - 2.943920288775949).abs() < 1e-12);
        assert_eq!(s.divisor[1], 1.0);
        assert_eq!(s.divisor[2], 1.0);
        // Near-constant by rounding only: 0.1 repeated (mean not exactly 0.1).
        let c = Array2::from_elem((1000, 1), 0.1);
        assert_eq!(Scaler::fit_standard(c.view()).divisor[0], 1.0);
    }

    #[test]
    fn scalers_from_parts_are_checked() {
        assert!(Scaler::new(array![0.0], array![0.0]).is_err());
        assert!(Scaler::new(array![0.0], array![-1.0]).is_err());
        assert!(Scaler::new(array![f64::NAN], array![1.0]).is_err());
        assert!(Scaler::new(array![0.0, 1.0], array![1.0]).is_err());
        assert!(Scaler::from_pyod(array![0.0], array![0.0]).is_ok());
    }

    #[test]
    fn size_rule_counts_parameters_and_batch_values() {
        // 10 -> 64 -> 10 with biases: 10*64 + 64 + 64*10 + 10 = 1354.
        assert!(check_size(&[10, 64, 10], true, 0, 32).is_ok());
        let e = check_size(&[100_000, 10_000, 100_000], true, 0, 32).unwrap_err();
        assert!(e.to_string().contains("parameters"), "{e}");
        let e = check_size(&[10, 10_000, 10], false, 0, 1_000_000).unwrap_err();
        assert!(e.to_string().contains("batch_size"), "{e}");
    }

    #[test]
    fn streams_are_fixed_by_the_seed_and_distinct() {
        use rand::RngExt;
        let mut a = Streams::new(3);
        let mut b = Streams::new(3);
        let draw = |r: &mut ChaCha8Rng| r.random::<u64>();
        assert_eq!(draw(&mut a.init), draw(&mut b.init));
        assert_ne!(draw(&mut a.shuffle), draw(&mut a.dropout));
        assert_ne!(
            draw(&mut Streams::new(4).init),
            draw(&mut Streams::new(3).init)
        );
    }
}
