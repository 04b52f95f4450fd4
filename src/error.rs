//! The top-level library error: one variant per layer, each wrapping that
//! layer's own enum.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Detector(#[from] crate::detectors::DetectorError),
}
