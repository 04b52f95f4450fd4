//! Evaluation protocols: how a dataset becomes a standardised train/test
//! pair. Splitting and scaling are separate steps (`split`, `scale`) that
//! every protocol composes. Protocols differ only in how the permutation of
//! the rows is drawn; sizes, layout and scaling are shared.

use super::mt19937::NumpyRandomState;
use super::split::{Split, shuffle_split, split_permutation, split_sizes};
use super::{DataError, Dataset, scale::StandardScaler};
use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

/// A named split protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// 60/40 unstratified shuffle (ChaCha8 seeded by the split seed), then
    /// standardisation fit on the train part. The layout of the PyOD
    /// benchmark; anml's own RNG.
    Holdout60,
    /// PyOD's benchmark split, bit-exact: scikit-learn's
    /// `train_test_split(X, y, test_size=0.4,
    /// random_state=np.random.RandomState(seed))` (numpy's legacy MT19937
    /// permutation, see `mt19937`), then standardisation fit on the train
    /// part. Seeds must fit in `u32`, as numpy requires. Detectors are run
    /// with contamination = the dataset's anomaly ratio (`contamination`).
    Pyod,
}

/// The test fraction every protocol uses (`test_size=0.4`).
const TEST_FRACTION: f64 = 0.4;

impl Protocol {
    pub const ALL: &'static [Protocol] = &[Protocol::Holdout60, Protocol::Pyod];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Holdout60 => "holdout60",
            Protocol::Pyod => "pyod",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Protocol::Holdout60 => {
                "60/40 unstratified shuffle split (ChaCha8, split seed), StandardScaler fit on train"
            }
            Protocol::Pyod => {
                "PyOD benchmark: train_test_split(test_size=0.4, random_state=RandomState(seed)) \
                 bit-exact, StandardScaler fit on train; contamination = the dataset's anomaly ratio"
            }
        }
    }

    pub fn parse(name: &str) -> Result<Self, DataError> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.name() == name)
            .ok_or_else(|| DataError::UnknownProtocol {
                name: name.to_string(),
                known: Self::ALL
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The contamination a detector is given under this protocol: the
    /// dataset's anomaly ratio for `pyod` (as PyOD's benchmark does), `None`
    /// (the detector's own default) otherwise.
    /// Whether the protocol sets every detector's `contamination` itself
    /// (so a caller's value would be silently replaced).
    pub fn fixes_contamination(self) -> bool {
        matches!(self, Protocol::Pyod)
    }

    pub fn contamination(self, ds: &Dataset) -> Option<f64> {
        match self {
            Protocol::Holdout60 => None,
            Protocol::Pyod => Some(ds.anomaly_ratio()),
        }
    }

    /// Detector parameters this protocol sets unless the caller names them:
    /// the PyOD benchmark runs CBLOF with `n_clusters = 10` (PyOD's own
    /// default is 8).
    pub fn detector_defaults(self, model: &str) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        if let (Protocol::Pyod, "cblof") = (self, model) {
            m.insert("n_clusters".into(), serde_json::Value::from(10));
        }
        m
    }

    /// The train/test split of `n` rows with `seed`.
    pub fn split(self, n: usize, seed: u64) -> Result<Split, DataError> {
        match self {
            Protocol::Holdout60 => shuffle_split(n, TEST_FRACTION, seed),
            Protocol::Pyod => {
                let seed32 = u32::try_from(seed).map_err(|_| DataError::Seed {
                    seed,
                    message: format!(
                        "too large for the pyod protocol: numpy's RandomState accepts \
                         seeds 0..={}",
                        u32::MAX
                    ),
                })?;
                let (n_train, n_test) = split_sizes(n, TEST_FRACTION)?;
                let perm = NumpyRandomState::new(seed32).permutation(n);
                Ok(split_permutation(&perm, n_train, n_test))
            }
        }
    }

    /// Split and scale `ds` with `seed`.
    pub fn prepare(self, ds: &Dataset, seed: u64) -> Result<Prepared, DataError> {
        let split = self.split(ds.n_samples(), seed)?;
        let x_train_raw = ds.x.select(Axis(0), &split.train);
        let x_test_raw = ds.x.select(Axis(0), &split.test);
        let scaler = StandardScaler::fit(x_train_raw.view());
        Ok(Prepared {
            x_train: scaler.transform(x_train_raw.view()),
            y_train: ds.y.select(Axis(0), &split.train),
            x_test: scaler.transform(x_test_raw.view()),
            y_test: ds.y.select(Axis(0), &split.test),
            info: SplitInfo {
                protocol: self.name().to_string(),
                seed,
                n_train: split.train.len(),
                n_test: split.test.len(),
            },
            split,
        })
    }
}

/// What a result records about the split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitInfo {
    pub protocol: String,
    pub seed: u64,
    pub n_train: usize,
    pub n_test: usize,
}

/// A dataset split and standardised by a protocol.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub x_train: Array2<f64>,
    pub y_train: Array1<u8>,
    pub x_test: Array2<f64>,
    pub y_test: Array1<u8>,
    pub split: Split,
    pub info: SplitInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyod_split_is_sklearns() {
        // train_test_split(np.arange(10), test_size=0.4,
        //                  random_state=np.random.RandomState(0))
        let split = Protocol::Pyod.split(10, 0).unwrap();
        assert_eq!(split.train, vec![1, 6, 7, 3, 0, 5]);
        assert_eq!(split.test, vec![2, 8, 4, 9]);
        let err = Protocol::Pyod.split(10, 1 << 32).unwrap_err();
        assert!(matches!(err, DataError::Seed { .. }));
    }

    #[test]
    fn names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::parse(p.name()).unwrap(), *p);
        }
        let err = Protocol::parse("nope").unwrap_err().to_string();
        assert!(err.contains("holdout60") && err.contains("pyod"), "{err}");
    }
}
