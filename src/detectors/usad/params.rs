//! Hyperparameters of USAD, their serde form and their rules.

use crate::detectors::ParamError;
use serde::{Deserialize, Serialize};

/// The largest `hidden_size` / `latent_size`, `epochs`, `lr_step` and
/// `patience` accepted.
pub const MAX_SIZE: usize = 100_000;
/// The largest `batch_size` accepted.
pub const MAX_BATCH: usize = 1_000_000;
/// The largest network (encoder + both decoders) a fit builds; more
/// parameters (which depends on the data's width too) is
/// `DetectorError::CannotFit`.
pub const MAX_PARAMETERS: u128 = 10_000_000;

/// How the input columns are scaled before the networks see them (fitted on
/// the training rows, applied to every scored row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scaling {
    /// `(x − min) / (max − min)` per column, so training values lie in
    /// [0, 1], the range of the decoders' sigmoid output (the paper's
    /// min-max normalisation). A constant column is divided by 1
    /// (scikit-learn's `MinMaxScaler`): its training values become 0.
    #[default]
    Minmax,
    /// `(x − mean) / std` per column (population std); a constant column is
    /// divided by 1.
    Zscore,
    /// The values as given (TSB-AD's univariate windows are raw).
    None,
}

/// USAD hyperparameters. Network, optimiser and training defaults are
/// TSB-AD 1.5's (`TSB_AD/models/USAD.py`: `USADModel` `n_hidden = 16`,
/// `n_latent = 5`; `USAD.__init__` `batch_size = 128`, `epochs = 10`,
/// `patience = 3`, `lr = 1e-4`, `validation_size = 0.2`, `AdamW(lr,
/// weight_decay = 1e-5)`, `StepLR(step_size = 5, gamma = 0.9)`). The score
/// weights are the paper's and its code's `alpha = beta = 0.5`, where
/// TSB-AD's `decision_function` uses 0.1 and 0.9; `scaling` is anml's own
/// (see [`Scaling`]); `seed` replaces torch's global generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UsadParams {
    /// Width of the hidden layers of the encoder and both decoders.
    pub hidden_size: usize,
    /// Width of the latent code (the encoder's output).
    pub latent_size: usize,
    /// Maximum number of epochs (early stopping may end training sooner).
    pub epochs: usize,
    /// Rows per mini-batch (training and validation).
    pub batch_size: usize,
    /// Initial learning rate of both AdamW optimisers.
    pub lr: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// The learning rate is multiplied by `lr_gamma` after every `lr_step`
    /// epochs (torch's `StepLR`).
    pub lr_step: usize,
    /// See `lr_step`.
    pub lr_gamma: f64,
    /// Fraction of the training rows, taken from the end (chronological),
    /// held out to monitor the loss; 0 monitors the training loss.
    pub validation_size: f64,
    /// Epochs without an improvement of the monitored loss before training
    /// stops.
    pub patience: usize,
    /// Weight of autoencoder 1's reconstruction error in the score.
    pub alpha: f64,
    /// Weight of the adversarial reconstruction error in the score.
    pub beta: f64,
    /// Input scaling.
    pub scaling: Scaling,
    /// Seed of the weight initialisation and the batch shuffling.
    pub seed: u64,
}

impl Default for UsadParams {
    fn default() -> Self {
        Self {
            hidden_size: 16,
            latent_size: 5,
            epochs: 10,
            batch_size: 128,
            lr: 1e-4,
            weight_decay: 1e-5,
            lr_step: 5,
            lr_gamma: 0.9,
            validation_size: 0.2,
            patience: 3,
            alpha: 0.5,
            beta: 0.5,
            scaling: Scaling::Minmax,
            seed: 0,
        }
    }
}

fn count(
    name: &'static str,
    value: usize,
    lo: usize,
    hi: usize,
    rule: &'static str,
) -> Result<(), ParamError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ParamError::new(name, value, rule))
    }
}

fn real(
    name: &'static str,
    value: f64,
    ok: impl Fn(f64) -> bool,
    rule: &'static str,
) -> Result<(), ParamError> {
    if value.is_finite() && ok(value) {
        Ok(())
    } else {
        Err(ParamError::new(name, value, rule))
    }
}

impl UsadParams {
    /// Number of parameters of the three networks for `d` input columns.
    pub fn parameter_count(&self, d: usize) -> u128 {
        let (d, h, z) = (
            d as u128,
            self.hidden_size as u128,
            self.latent_size as u128,
        );
        let linear = |i: u128, o: u128| i * o + o;
        let encoder = linear(d, h) + linear(h, h) + linear(h, z);
        let decoder = linear(z, h) + linear(h, h) + linear(h, d);
        encoder + 2 * decoder
    }

    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        count(
            "hidden_size",
            self.hidden_size,
            1,
            MAX_SIZE,
            "an integer in [1, 100000]",
        )?;
        count(
            "latent_size",
            self.latent_size,
            1,
            MAX_SIZE,
            "an integer in [1, 100000]",
        )?;
        count(
            "epochs",
            self.epochs,
            1,
            MAX_SIZE,
            "an integer in [1, 100000]",
        )?;
        count(
            "batch_size",
            self.batch_size,
            1,
            MAX_BATCH,
            "an integer in [1, 1000000]",
        )?;
        real("lr", self.lr, |v| v > 0.0 && v <= 1.0, "a number in (0, 1]")?;
        real(
            "weight_decay",
            self.weight_decay,
            |v| (0.0..=1.0).contains(&v),
            "a number in [0, 1]",
        )?;
        count(
            "lr_step",
            self.lr_step,
            1,
            MAX_SIZE,
            "an integer in [1, 100000]",
        )?;
        real(
            "lr_gamma",
            self.lr_gamma,
            |v| v > 0.0 && v <= 1.0,
            "a number in (0, 1]",
        )?;
        real(
            "validation_size",
            self.validation_size,
            |v| (0.0..1.0).contains(&v),
            "a number in [0, 1)",
        )?;
        count(
            "patience",
            self.patience,
            1,
            MAX_SIZE,
            "an integer in [1, 100000]",
        )?;
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        real("alpha", self.alpha, unit, "a number in [0, 1]")?;
        real("beta", self.beta, unit, "a number in [0, 1]")?;
        if self.alpha + self.beta <= 0.0 {
            return Err(ParamError::new(
                "beta",
                self.beta,
                "above 0 when alpha is 0 (the score needs a positive weight)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut UsadParams)) -> UsadParams {
        let mut p = UsadParams::default();
        f(&mut p);
        p
    }

    fn refused(p: UsadParams, param: &str, rule: &str) {
        let e = p.validate().unwrap_err();
        assert_eq!(e.param, param, "{e}");
        assert!(e.to_string().contains(rule), "{e}");
    }

    #[test]
    fn defaults_are_tsb_ad_and_valid() {
        let p = UsadParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({
                "hidden_size": 16, "latent_size": 5, "epochs": 10, "batch_size": 128,
                "lr": 1e-4, "weight_decay": 1e-5, "lr_step": 5, "lr_gamma": 0.9,
                "validation_size": 0.2, "patience": 3, "alpha": 0.5, "beta": 0.5,
                "scaling": "minmax", "seed": 0
            })
        );
    }

    #[test]
    fn rule_hidden_size_in_range() {
        for bad in [0, MAX_SIZE + 1] {
            refused(with(|p| p.hidden_size = bad), "hidden_size", "[1, 100000]");
        }
        assert!(with(|p| p.hidden_size = MAX_SIZE).validate().is_ok());
    }

    #[test]
    fn rule_latent_size_in_range() {
        for bad in [0, MAX_SIZE + 1] {
            refused(with(|p| p.latent_size = bad), "latent_size", "[1, 100000]");
        }
        assert!(with(|p| p.latent_size = 1).validate().is_ok());
    }

    #[test]
    fn rule_epochs_in_range() {
        for bad in [0, MAX_SIZE + 1] {
            refused(with(|p| p.epochs = bad), "epochs", "[1, 100000]");
        }
        assert!(with(|p| p.epochs = 1).validate().is_ok());
    }

    #[test]
    fn rule_batch_size_in_range() {
        for bad in [0, MAX_BATCH + 1] {
            refused(with(|p| p.batch_size = bad), "batch_size", "[1, 1000000]");
        }
        assert!(with(|p| p.batch_size = MAX_BATCH).validate().is_ok());
    }

    #[test]
    fn rule_lr_positive_at_most_one() {
        for bad in [0.0, -1e-3, 1.5, f64::NAN, f64::INFINITY] {
            refused(with(|p| p.lr = bad), "lr", "(0, 1]");
        }
        assert!(with(|p| p.lr = 1.0).validate().is_ok());
    }

    #[test]
    fn rule_weight_decay_in_unit_interval() {
        for bad in [-1e-5, 1.5, f64::NAN] {
            refused(with(|p| p.weight_decay = bad), "weight_decay", "[0, 1]");
        }
        assert!(with(|p| p.weight_decay = 0.0).validate().is_ok());
    }

    #[test]
    fn rule_lr_step_in_range() {
        for bad in [0, MAX_SIZE + 1] {
            refused(with(|p| p.lr_step = bad), "lr_step", "[1, 100000]");
        }
        assert!(with(|p| p.lr_step = 1).validate().is_ok());
    }

    #[test]
    fn rule_lr_gamma_in_half_open_unit_interval() {
        for bad in [0.0, -0.5, 1.1, f64::NAN] {
            refused(with(|p| p.lr_gamma = bad), "lr_gamma", "(0, 1]");
        }
        assert!(with(|p| p.lr_gamma = 1.0).validate().is_ok());
    }

    #[test]
    fn rule_validation_size_below_one() {
        for bad in [-0.1, 1.0, f64::NAN, f64::INFINITY] {
            refused(
                with(|p| p.validation_size = bad),
                "validation_size",
                "[0, 1)",
            );
        }
        assert!(with(|p| p.validation_size = 0.0).validate().is_ok());
    }

    #[test]
    fn rule_patience_in_range() {
        for bad in [0, MAX_SIZE + 1] {
            refused(with(|p| p.patience = bad), "patience", "[1, 100000]");
        }
        assert!(with(|p| p.patience = 1).validate().is_ok());
    }

    #[test]
    fn rule_alpha_in_unit_interval() {
        for bad in [-0.1, 1.1, f64::NAN] {
            refused(with(|p| p.alpha = bad), "alpha", "[0, 1]");
        }
        assert!(with(|p| p.alpha = 0.0).validate().is_ok());
    }

    #[test]
    fn rule_beta_in_unit_interval() {
        for bad in [-0.1, 1.1, f64::INFINITY] {
            refused(with(|p| p.beta = bad), "beta", "[0, 1]");
        }
        assert!(with(|p| p.beta = 0.0).validate().is_ok());
    }

    #[test]
    fn rule_alpha_and_beta_not_both_zero() {
        refused(
            with(|p| {
                p.alpha = 0.0;
                p.beta = 0.0;
            }),
            "beta",
            "positive weight",
        );
        assert!(
            with(|p| {
                p.alpha = 1.0;
                p.beta = 0.0;
            })
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn scaling_names_and_unknown_fields() {
        let parse = |v: serde_json::Value| serde_json::from_value::<UsadParams>(v);
        for (name, s) in [
            ("minmax", Scaling::Minmax),
            ("zscore", Scaling::Zscore),
            ("none", Scaling::None),
        ] {
            assert_eq!(parse(json!({ "scaling": name })).unwrap().scaling, s);
        }
        assert!(parse(json!({"scaling": "robust"})).is_err());
        assert!(parse(json!({"win_size": 5})).is_err());
        assert_eq!(parse(json!({"seed": 3})).unwrap(), with(|p| p.seed = 3));
    }

    #[test]
    fn parameter_count_of_the_three_networks() {
        // TSB-AD's USADModel(feats=1, n_window=5): encoder 5·16+16 + 16·16+16
        // + 16·5+5 = 453, each decoder 5·16+16 + 16·16+16 + 16·5+5 = 453.
        assert_eq!(UsadParams::default().parameter_count(5), 453 * 3);
        let huge = with(|p| p.hidden_size = MAX_SIZE);
        assert!(huge.parameter_count(1) > MAX_PARAMETERS);
    }
}
