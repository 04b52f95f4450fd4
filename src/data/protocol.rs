//! Evaluation protocols: how a dataset becomes a standardised train/test
//! pair. Splitting and scaling are separate steps (`split`, `scale`) that
//! every protocol composes.

use super::split::{Split, shuffle_split};
use super::{DataError, Dataset, scale::StandardScaler};
use ndarray::{Array1, Array2, Axis};
use serde::Serialize;

/// A named split protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// 60/40 unstratified shuffle (ChaCha8 seeded by the split seed), then
    /// standardisation fit on the train part. The layout of the PyOD
    /// benchmark; anml's own RNG.
    Holdout60,
}

impl Protocol {
    pub const ALL: &'static [Protocol] = &[Protocol::Holdout60];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Holdout60 => "holdout60",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Protocol::Holdout60 => {
                "60/40 unstratified shuffle split (ChaCha8, split seed), StandardScaler fit on train"
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

    /// Split and scale `ds` with `seed`.
    pub fn prepare(self, ds: &Dataset, seed: u64) -> Result<Prepared, DataError> {
        let split = match self {
            Protocol::Holdout60 => shuffle_split(ds.n_samples(), 0.4, seed)?,
        };
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
