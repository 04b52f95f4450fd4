//! Hyperparameters of Deep SVDD, their serde form and their rules.

use crate::detectors::ParamError;
use crate::detectors::deep::CommonRules;
use crate::nn::Activation;
use serde::{Deserialize, Serialize};

const HIDDEN_RULE: &str = "a list of 2 to 32 layer widths, each an integer in [1, 10000]";

/// Deep SVDD hyperparameters. Defaults are PyOD 3.6.7's `DeepSVDD`
/// (`hidden_neurons=[64, 32]`, `hidden_activation='relu'`,
/// `dropout_rate=0.2`, `epochs=100`, `batch_size=32`,
/// `learning_rate=1e-4`, `l2_regularizer=0.5e-6`, `preprocessing=True`);
/// `lr` and `weight_decay` are PyOD's `learning_rate` and `l2_regularizer`
/// (named as the autoencoder's), `seed` replaces `random_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeepSvddParams {
    /// Widths of the bias-free layers; the last is the embedding.
    pub hidden_neurons: Vec<usize>,
    /// Activation after every layer, the embedding's included.
    pub hidden_activation: Activation,
    /// Dropout after the middle layers only (none for two layers).
    pub dropout_rate: f64,
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's learning rate (PyOD's `learning_rate`).
    pub lr: f64,
    /// Adam's coupled L2 weight decay (PyOD's `l2_regularizer`).
    pub weight_decay: f64,
    /// Scale the inputs as scikit-learn's `StandardScaler`.
    pub preprocessing: bool,
    pub seed: u64,
}

impl Default for DeepSvddParams {
    fn default() -> Self {
        Self {
            hidden_neurons: vec![64, 32],
            hidden_activation: Activation::Relu,
            dropout_rate: 0.2,
            epochs: 100,
            batch_size: 32,
            lr: 1e-4,
            weight_decay: 5e-7,
            preprocessing: true,
            seed: 0,
        }
    }
}

impl DeepSvddParams {
    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        CommonRules {
            hidden_neurons: &self.hidden_neurons,
            min_layers: 2,
            hidden_rule: HIDDEN_RULE,
            dropout_rate: self.dropout_rate,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            weight_decay: self.weight_decay,
        }
        .check()
    }

    /// The layer widths from input to embedding.
    pub fn widths(&self, d: usize) -> Vec<usize> {
        let mut w = vec![d];
        w.extend(&self.hidden_neurons);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::DetectorParams;
    use serde_json::json;

    fn with(f: impl FnOnce(&mut DeepSvddParams)) -> DeepSvddParams {
        let mut p = DeepSvddParams::default();
        f(&mut p);
        p
    }

    fn refused(p: DeepSvddParams, param: &str, rule: &str) {
        let e = p.validate().unwrap_err();
        assert_eq!(e.param, param, "{e}");
        assert!(e.to_string().contains(rule), "{e}");
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = DeepSvddParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({
                "hidden_neurons": [64, 32], "hidden_activation": "relu", "dropout_rate": 0.2,
                "epochs": 100, "batch_size": 32, "lr": 0.0001, "weight_decay": 5e-7,
                "preprocessing": true, "seed": 0
            })
        );
        assert_eq!(p.widths(9), vec![9, 64, 32]);
    }

    #[test]
    fn rule_hidden_neurons_two_to_32_widths() {
        // PyOD reads hidden_neurons[-2]: one layer is an IndexError there.
        for bad in [vec![], vec![8], vec![0, 4], vec![64, 10_001], vec![4; 33]] {
            refused(
                with(|p| p.hidden_neurons = bad),
                "hidden_neurons",
                "2 to 32 layer widths",
            );
        }
        assert!(with(|p| p.hidden_neurons = vec![1, 1]).validate().is_ok());
        assert!(
            with(|p| p.hidden_neurons = vec![10_000; 32])
                .validate()
                .is_ok()
        );
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
        assert!(with(|p| p.epochs = 1).validate().is_ok());
    }

    #[test]
    fn rule_batch_size_in_range() {
        for bad in [0, 1_000_001] {
            refused(with(|p| p.batch_size = bad), "batch_size", "[1, 1000000]");
        }
        assert!(with(|p| p.batch_size = 1).validate().is_ok());
    }

    #[test]
    fn rule_lr_positive_and_at_most_ten() {
        for bad in [0.0, -1e-4, 11.0, f64::NAN, f64::INFINITY] {
            refused(with(|p| p.lr = bad), "lr", "(0, 10]");
        }
        assert!(with(|p| p.lr = 10.0).validate().is_ok());
    }

    #[test]
    fn rule_weight_decay_finite_non_negative() {
        for bad in [-5e-7, f64::NAN, f64::INFINITY] {
            refused(with(|p| p.weight_decay = bad), "weight_decay", ">= 0");
        }
        assert!(with(|p| p.weight_decay = 0.0).validate().is_ok());
    }

    #[test]
    fn pyods_unimplemented_options_are_unknown_fields() {
        for field in [
            "use_ae",
            "c",
            "output_activation",
            "validation_size",
            "learning_rate",
        ] {
            let v = json!({ field: 1 });
            assert!(
                serde_json::from_value::<DeepSvddParams>(v).is_err(),
                "{field} accepted"
            );
        }
        let p: DeepSvddParams =
            serde_json::from_value(json!({"seed": 4, "hidden_activation": "sigmoid"})).unwrap();
        assert_eq!(
            p,
            with(|p| {
                p.seed = 4;
                p.hidden_activation = Activation::Sigmoid
            })
        );
    }
}
