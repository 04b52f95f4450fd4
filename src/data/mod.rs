//! Datasets and time series: the registration tables, verified loading (cache → mirror →
//! download, SHA-256 checked before parsing), file formats, the built-in
//! generated dataset, and the split/scale protocols.

pub mod catalog;
mod dataset;
mod error;
pub mod fetch;
pub mod formats;
pub mod mt19937;
pub mod protocol;
mod registry;
pub mod scale;
mod series;
pub mod series_catalog;
pub mod split;
pub mod toy;

pub use dataset::Dataset;
pub use error::{DataError, HashError};
pub use protocol::{Prepared, Protocol, SplitInfo};
pub use registry::DatasetRegistry;
pub use series::{TimeSeries, Training, label_ranges, labels_from_ranges, sliding_windows};
