//! Hyperparameters of DIF, their serde form and their rules.

use super::model::Architecture;
use crate::detectors::ParamError;
use crate::detectors::isolation_forest::MaxSamples;
use crate::detectors::keyword_or_number::CountOrFraction;
use crate::nn::Activation;
use serde::{Deserialize, Serialize};

/// The largest ensemble accepted.
pub const MAX_ENSEMBLE: usize = 10_000;
/// The most trees per ensemble member.
pub const MAX_ESTIMATORS: usize = 100_000;
/// The widest layer accepted (hidden layers and the representation).
pub const MAX_WIDTH: usize = 100_000;
/// The most hidden layers accepted.
pub const MAX_HIDDEN_LAYERS: usize = 64;

const MAX_SAMPLES_RULE: &str = "\"auto\", an integer >= 1, or a fraction in (0, 1]";

/// DIF hyperparameters, by PyOD's names; defaults are PyOD 3.6.7's
/// (`random_state` is `seed`, default 0; PyOD's `device` has no
/// counterpart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DifParams {
    /// Ensemble members: random representation networks, each with its own
    /// isolation forest.
    pub n_ensemble: usize,
    /// Isolation trees per member.
    pub n_estimators: usize,
    /// Rows drawn per tree (ψ): `"auto"` = `min(256, n)`, a count capped at
    /// n, or a fraction of n. PyOD's default is the count 256, which
    /// resolves like `"auto"`.
    pub max_samples: MaxSamples,
    /// Widths of the hidden layers (`[]`: one linear map d → representation).
    pub hidden_neurons: Vec<usize>,
    /// Width of the representation the forests are grown on.
    pub representation_dim: usize,
    /// Activation after every hidden layer (none after the last layer).
    pub hidden_activation: Activation,
    /// Every hidden block outputs its input concatenated with its
    /// activation (widths d → h1, d + h1 → h2, …).
    pub skip_connection: bool,
    /// Rows per forward batch in PyOD; accepted for compatibility, it does
    /// not change any result (anml's inference blocks are fixed).
    pub batch_size: usize,
    /// Seed of the ensemble; every member's seed is derived from it.
    pub seed: u64,
}

impl Default for DifParams {
    fn default() -> Self {
        Self {
            n_ensemble: 50,
            n_estimators: 6,
            max_samples: MaxSamples::count(256),
            hidden_neurons: vec![500, 100],
            representation_dim: 20,
            hidden_activation: Activation::Tanh,
            skip_connection: false,
            batch_size: 1000,
            seed: 0,
        }
    }
}

impl DifParams {
    /// ψ for a training set of `n` rows: `"auto"` is `min(256, n)`, a count
    /// is capped at n (scikit-learn's `max_samples_`), a fraction gives
    /// `floor(fraction · n)` rows, at least one.
    pub fn psi(&self, n: usize) -> usize {
        self.max_samples.resolve(n, 256, 1)
    }

    /// The network shape every member shares.
    pub fn architecture(&self) -> Architecture {
        Architecture {
            hidden_neurons: self.hidden_neurons.clone(),
            representation_dim: self.representation_dim,
            hidden_activation: self.hidden_activation,
            skip_connection: self.skip_connection,
        }
    }

    /// Check every rule; the first broken one is returned.
    pub(super) fn check_rules(&self) -> Result<(), ParamError> {
        if !(1..=MAX_ENSEMBLE).contains(&self.n_ensemble) {
            return Err(ParamError::new(
                "n_ensemble",
                self.n_ensemble,
                "an integer in [1, 10000]",
            ));
        }
        if !(1..=MAX_ESTIMATORS).contains(&self.n_estimators) {
            return Err(ParamError::new(
                "n_estimators",
                self.n_estimators,
                "an integer in [1, 100000]",
            ));
        }
        self.max_samples.check(MAX_SAMPLES_RULE, |m| match m {
            CountOrFraction::Count(k) => k >= 1,
            CountOrFraction::Fraction(f) => f > 0.0 && f <= 1.0,
        })?;
        if self.hidden_neurons.len() > MAX_HIDDEN_LAYERS
            || self
                .hidden_neurons
                .iter()
                .any(|w| !(1..=MAX_WIDTH).contains(w))
        {
            return Err(ParamError::new(
                "hidden_neurons",
                format!("{:?}", self.hidden_neurons),
                "a list of at most 64 integers, each in [1, 100000]",
            ));
        }
        if !(1..=MAX_WIDTH).contains(&self.representation_dim) {
            return Err(ParamError::new(
                "representation_dim",
                self.representation_dim,
                "an integer in [1, 100000]",
            ));
        }
        if self.batch_size < 1 {
            return Err(ParamError::new(
                "batch_size",
                self.batch_size,
                "an integer >= 1",
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

    fn with(f: impl FnOnce(&mut DifParams)) -> DifParams {
        let mut p = DifParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_are_pyod_and_valid() {
        let p = DifParams::default();
        assert!(p.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({
                "n_ensemble": 50, "n_estimators": 6, "max_samples": 256,
                "hidden_neurons": [500, 100], "representation_dim": 20,
                "hidden_activation": "tanh", "skip_connection": false,
                "batch_size": 1000, "seed": 0
            })
        );
        assert_eq!(
            p.architecture().layer_widths(8),
            vec![(8, 500), (500, 100), (100, 20)]
        );
    }

    #[test]
    fn rule_n_ensemble_in_range() {
        for bad in [0, MAX_ENSEMBLE + 1] {
            let e = with(|p| p.n_ensemble = bad).validate().unwrap_err();
            assert_eq!(e.param, "n_ensemble");
            assert!(e.to_string().contains("[1, 10000]"), "{e}");
        }
        assert!(with(|p| p.n_ensemble = MAX_ENSEMBLE).validate().is_ok());
    }

    #[test]
    fn rule_n_estimators_in_range() {
        for bad in [0, MAX_ESTIMATORS + 1] {
            let e = with(|p| p.n_estimators = bad).validate().unwrap_err();
            assert_eq!(e.param, "n_estimators");
            assert!(e.to_string().contains("[1, 100000]"), "{e}");
        }
        assert!(with(|p| p.n_estimators = 1).validate().is_ok());
    }

    #[test]
    fn rule_max_samples_count_at_least_one() {
        let e = with(|p| p.max_samples = MaxSamples::count(0))
            .validate()
            .unwrap_err();
        assert_eq!(e.param, "max_samples");
        assert!(e.to_string().contains("integer >= 1"), "{e}");
        assert!(
            with(|p| p.max_samples = MaxSamples::count(1))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn rule_max_samples_fraction_in_unit_interval() {
        for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let e = with(|p| p.max_samples = MaxSamples::fraction(bad))
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "max_samples");
            assert!(e.to_string().contains("(0, 1]"), "{e}");
        }
        assert!(
            with(|p| p.max_samples = MaxSamples::fraction(1.0))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn rule_hidden_neurons_widths_and_depth() {
        for bad in [
            vec![0],
            vec![500, 0],
            vec![MAX_WIDTH + 1],
            vec![1; MAX_HIDDEN_LAYERS + 1],
        ] {
            let e = with(|p| p.hidden_neurons = bad.clone())
                .validate()
                .unwrap_err();
            assert_eq!(e.param, "hidden_neurons");
            assert!(e.to_string().contains("[1, 100000]"), "{e}");
        }
        for ok in [vec![], vec![MAX_WIDTH], vec![1; MAX_HIDDEN_LAYERS]] {
            assert!(with(|p| p.hidden_neurons = ok).validate().is_ok());
        }
    }

    #[test]
    fn rule_representation_dim_in_range() {
        for bad in [0, MAX_WIDTH + 1] {
            let e = with(|p| p.representation_dim = bad).validate().unwrap_err();
            assert_eq!(e.param, "representation_dim");
            assert!(e.to_string().contains("[1, 100000]"), "{e}");
        }
        assert!(with(|p| p.representation_dim = 1).validate().is_ok());
    }

    #[test]
    fn rule_batch_size_at_least_one() {
        let e = with(|p| p.batch_size = 0).validate().unwrap_err();
        assert_eq!(e.param, "batch_size");
        assert!(e.to_string().contains(">= 1"), "{e}");
        assert!(with(|p| p.batch_size = 1).validate().is_ok());
    }

    #[test]
    fn rule_hidden_activation_is_a_known_name() {
        for name in ["relu", "leaky_relu", "sigmoid", "tanh"] {
            let p: DifParams =
                serde_json::from_value(json!({ "hidden_activation": name })).unwrap();
            assert!(p.validate().is_ok());
        }
        for bad in ["elu", "softplus", "Tanh", "identity"] {
            let e = serde_json::from_value::<DifParams>(json!({ "hidden_activation": bad }))
                .unwrap_err()
                .to_string();
            assert!(e.contains("tanh"), "{bad}: {e}");
        }
    }

    #[test]
    fn skip_connection_widens_the_layer_inputs() {
        let p = with(|p| p.skip_connection = true);
        assert_eq!(
            p.architecture().layer_widths(8),
            vec![(8, 500), (508, 100), (608, 20)]
        );
        let p = with(|p| p.hidden_neurons = vec![]);
        assert_eq!(p.architecture().layer_widths(8), vec![(8, 20)]);
    }

    #[test]
    fn max_samples_json_forms_and_resolution() {
        let parse =
            |v: serde_json::Value| serde_json::from_value::<DifParams>(v).map(|p| p.max_samples);
        assert_eq!(
            parse(json!({"max_samples": "auto"})).unwrap(),
            MaxSamples::AUTO
        );
        assert_eq!(
            parse(json!({"max_samples": 64})).unwrap(),
            MaxSamples::count(64)
        );
        assert_eq!(
            parse(json!({"max_samples": 0.5})).unwrap(),
            MaxSamples::fraction(0.5)
        );
        assert_eq!(DifParams::default().psi(1000), 256);
        assert_eq!(DifParams::default().psi(100), 100);
        assert_eq!(with(|p| p.max_samples = MaxSamples::AUTO).psi(100), 100);
        assert_eq!(
            with(|p| p.max_samples = MaxSamples::fraction(0.01)).psi(50),
            1
        );
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_filled() {
        assert!(serde_json::from_value::<DifParams>(json!({"rep_dim": 5})).is_err());
        let p: DifParams = serde_json::from_value(json!({"seed": 4})).unwrap();
        assert_eq!(p, with(|p| p.seed = 4));
    }
}
