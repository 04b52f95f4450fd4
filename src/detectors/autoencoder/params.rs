//! Hyperparameters of the autoencoder, their serde form and their rules.

use crate::detectors::ParamError;
use crate::detectors::deep::CommonRules;
use crate::nn::Activation;
use serde::{Deserialize, Serialize};

const HIDDEN_RULE: &str = "a list of 1 to 32 layer widths, each an integer in [1, 10000]";

/// Autoencoder hyperparameters. Defaults are PyOD 3.6.7's `AutoEncoder`
/// (`hidden_neuron_list=[64, 32]`, `hidden_activation_name='relu'`,
/// `batch_norm=True`, `dropout_rate=0.2`, `epoch_num=10`, `batch_size=32`,
/// `lr=1e-3`, `optimizer_params={'weight_decay': 1e-5}`,
/// `preprocessing=True`); `seed` replaces PyOD's `random_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoencoderParams {
    /// Encoder widths; the decoder mirrors them without repeating the last
    /// (`[64, 32]` gives d → 64 → 32 → 64 → d).
    pub hidden_neurons: Vec<usize>,
    pub hidden_activation: Activation,
    /// Batch norm after every hidden Linear (before the activation).
    pub batch_norm: bool,
    /// Dropout after every hidden block (train mode only).
    pub dropout_rate: f64,
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Adam's (coupled, L2) weight decay.
    pub weight_decay: f64,
    /// Scale the inputs with the training mean and `std + 1e-8`.
    pub preprocessing: bool,
    pub seed: u64,
}

impl Default for AutoencoderParams {
    fn default() -> Self {
        Self {
            hidden_neurons: vec![64, 32],
            hidden_activation: Activation::Relu,
            batch_norm: true,
            dropout_rate: 0.2,
            epochs: 10,
            batch_size: 32,
            lr: 1e-3,
            weight_decay: 1e-5,
            preprocessing: true,
            seed: 0,
        }
    }
}

impl AutoencoderParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        CommonRules {
            hidden_neurons: &self.hidden_neurons,
            min_layers: 1,
            hidden_rule: HIDDEN_RULE,
            dropout_rate: self.dropout_rate,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            weight_decay: self.weight_decay,
        }
        .check()?;
        if self.batch_norm && self.batch_size < 2 {
            return Err(ParamError::new(
                "batch_size",
                self.batch_size,
                "at least 2 with batch_norm (batch statistics need two rows)",
            ));
        }
        Ok(())
    }

    /// The layer widths from input to output: d, the encoder, the mirrored
    /// decoder, d.
    pub fn widths(&self, d: usize) -> Vec<usize> {
        let mut w = vec![d];
        w.extend(&self.hidden_neurons);
        w.extend(self.hidden_neurons.iter().rev().skip(1));
        w.push(d);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut AutoencoderParams)) -> AutoencoderParams {
        let mut p = AutoencoderParams::default();
        f(&mut p);
        p
    }

    fn refused(p: AutoencoderParams, param: &str, rule: &str) {
        let e = p.validate().unwrap_err();
        assert_eq!(e.param, param, "{e}");
        assert!(e.to_string().contains(rule), "{e}");
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = AutoencoderParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({
                "hidden_neurons": [64, 32], "hidden_activation": "relu", "batch_norm": true,
                "dropout_rate": 0.2, "epochs": 10, "batch_size": 32, "lr": 0.001,
                "weight_decay": 1e-5, "preprocessing": true, "seed": 0
            })
        );
        assert_eq!(p.widths(30), vec![30, 64, 32, 64, 30]);
        assert_eq!(
            with(|p| p.hidden_neurons = vec![8]).widths(3),
            vec![3, 8, 3]
        );
    }

    #[test]
    fn rule_hidden_neurons_count_and_widths() {
        for bad in [vec![], vec![0], vec![64, 10_001], vec![4; 33]] {
            refused(
                with(|p| p.hidden_neurons = bad),
                "hidden_neurons",
                "1 to 32 layer widths",
            );
        }
        assert!(with(|p| p.hidden_neurons = vec![10_000]).validate().is_ok());
        assert!(with(|p| p.hidden_neurons = vec![1; 32]).validate().is_ok());
    }

    #[test]
    fn rule_dropout_rate_in_unit_interval() {
        for bad in [-0.1, 1.0, f64::NAN] {
            refused(with(|p| p.dropout_rate = bad), "dropout_rate", "[0, 1)");
        }
        assert!(with(|p| p.dropout_rate = 0.0).validate().is_ok());
    }

    #[test]
    fn rule_epochs_in_range() {
        for bad in [0, 100_001] {
            refused(with(|p| p.epochs = bad), "epochs", "[1, 100000]");
        }
        assert!(with(|p| p.epochs = 100_000).validate().is_ok());
    }

    #[test]
    fn rule_batch_size_in_range() {
        for bad in [0, 1_000_001] {
            refused(with(|p| p.batch_size = bad), "batch_size", "[1, 1000000]");
        }
        assert!(with(|p| p.batch_size = 1_000_000).validate().is_ok());
    }

    #[test]
    fn rule_batch_size_at_least_two_with_batch_norm() {
        refused(with(|p| p.batch_size = 1), "batch_size", "with batch_norm");
        assert!(
            with(|p| {
                p.batch_size = 1;
                p.batch_norm = false
            })
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn rule_lr_positive_and_at_most_ten() {
        for bad in [0.0, -1e-3, 10.5, f64::NAN, f64::INFINITY] {
            refused(with(|p| p.lr = bad), "lr", "(0, 10]");
        }
        assert!(with(|p| p.lr = 10.0).validate().is_ok());
    }

    #[test]
    fn rule_weight_decay_finite_non_negative() {
        for bad in [-1e-5, f64::NAN, f64::INFINITY] {
            refused(with(|p| p.weight_decay = bad), "weight_decay", ">= 0");
        }
        assert!(with(|p| p.weight_decay = 0.0).validate().is_ok());
    }

    #[test]
    fn activations_are_pyods_names_and_unknown_fields_are_refused() {
        for (name, a) in [
            ("relu", Activation::Relu),
            ("leaky_relu", Activation::LeakyRelu),
            ("sigmoid", Activation::Sigmoid),
            ("tanh", Activation::Tanh),
        ] {
            let p: AutoencoderParams =
                serde_json::from_value(json!({ "hidden_activation": name })).unwrap();
            assert_eq!(p.hidden_activation, a);
        }
        // PyOD has elu/softplus/...; anml refuses what it does not implement.
        assert!(
            serde_json::from_value::<AutoencoderParams>(json!({"hidden_activation": "elu"}))
                .is_err()
        );
        assert!(serde_json::from_value::<AutoencoderParams>(json!({"epoch_num": 3})).is_err());
        let p: AutoencoderParams = serde_json::from_value(json!({"seed": 4})).unwrap();
        assert_eq!(p, with(|p| p.seed = 4));
    }
}
