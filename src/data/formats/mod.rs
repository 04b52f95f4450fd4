//! Readers for the dataset file formats (MAT v5, NPZ, NPY, CSV).
//!
//! Why it exists: the registry verifies a file's SHA-256 on the bytes it
//! holds in memory and then parses *those same bytes*, so a file is never
//! read twice and what is parsed is exactly what was hashed. Every reader
//! therefore works on a byte slice; `origin` is only used to name the file
//! in error messages.
//!
//! Each reader returns the feature matrix in standard (row-major) layout as
//! `f64` and the raw labels as `f64`; [`parse`] turns the labels into 0/1.
//!
//! Sizes a file *claims* (a `.npy` shape, a MAT sparse matrix's dimensions,
//! a compressed member's decompressed length) are checked against
//! [`MAX_ELEMENTS`] / [`MAX_DECOMPRESSED_BYTES`] and against the bytes
//! actually present before anything of that size is allocated
//! ([`DataError::TooLarge`]); `tests/fuzz_parsers.rs` holds them to it.

pub mod csv;
pub mod mat;
pub mod npy;
pub mod npz;
pub mod series;

use super::catalog::Format;
use super::{DataError, Dataset};
use crate::hashing::sha256_hex;
use ndarray::{Array1, Array2};
use std::path::Path;

/// The most values one array read from a file may hold (2^28: 2 GiB as
/// `f64`; the largest catalog dataset, ADBench celeba, has 7.9 million).
pub const MAX_ELEMENTS: usize = 1 << 28;

/// The most bytes one compressed part of a file (an `.npz` member, a MAT
/// `miCOMPRESSED` element) may decompress to: [`MAX_ELEMENTS`] `f64`
/// values plus room for headers.
pub const MAX_DECOMPRESSED_BYTES: u64 = (MAX_ELEMENTS as u64) * 8 + (1 << 20);

/// A parsed file: features and 0/1 labels, not yet a [`Dataset`] (that needs
/// the fingerprint and provenance the caller knows).
#[derive(Debug, Clone)]
pub struct Parts {
    /// n × d, standard layout.
    pub x: Array2<f64>,
    /// 1 = anomaly, 0 = normal.
    pub y: Array1<u8>,
}

impl Parts {
    /// Build the checked [`Dataset`] (finite values, matching lengths).
    pub fn into_dataset(
        self,
        name: impl Into<String>,
        sha256: impl Into<String>,
        source: impl Into<String>,
    ) -> Result<Dataset, DataError> {
        Dataset::new(name, self.x, self.y, sha256, source)
    }
}

/// Parse a labelled dataset of `format` from `bytes`. `origin` names the file
/// in [`DataError::Format`] messages; `name` is the dataset name used in
/// label errors ([`DataError::BadLabel`]).
pub fn parse(format: Format, bytes: &[u8], origin: &Path, name: &str) -> Result<Parts, DataError> {
    let (x, raw_y) = match format {
        Format::Mat => mat::read(bytes, origin)?,
        Format::Npz => npz::read(bytes, origin)?,
        Format::Csv => {
            let table = csv::read(bytes, origin)?;
            let y = table.y.ok_or_else(|| {
                format_error(
                    origin,
                    Format::Csv,
                    format!(
                        "no label column (expected one of {}) in header: {}",
                        csv::LABEL_COLUMNS.join(", "),
                        table.columns.join(", ")
                    ),
                )
            })?;
            (table.x, y)
        }
        Format::Json => {
            return Err(format_error(
                origin,
                Format::Json,
                "a JSON file holds side data (labels), not a dataset table",
            ));
        }
    };
    let y = Dataset::labels_from_f64(name, &raw_y)?;
    Ok(Parts { x, y })
}

/// Parse a labelled file that is not in the catalog (a user's CSV, say)
/// straight into a [`Dataset`] whose fingerprint is the SHA-256 of `bytes`
/// and whose `source` is `source` (typically the path).
pub fn parse_dataset(
    format: Format,
    bytes: &[u8],
    origin: &Path,
    name: &str,
    source: &str,
) -> Result<Dataset, DataError> {
    parse(format, bytes, origin, name)?.into_dataset(name, sha256_hex(bytes), source)
}

/// A [`DataError::Format`] for `origin`.
pub(crate) fn format_error(origin: &Path, format: Format, message: impl Into<String>) -> DataError {
    DataError::Format {
        path: origin.to_path_buf(),
        format: format.name(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_needs_a_label_column_for_datasets() {
        let err = parse(Format::Csv, b"a,b\n1,2\n", Path::new("t.csv"), "t").unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, DataError::Format { format: "CSV", .. }),
            "{msg}"
        );
        assert!(
            msg.contains("no label column") && msg.contains("a, b"),
            "{msg}"
        );
    }

    #[test]
    fn labels_must_be_binary() {
        let err = parse(Format::Csv, b"a,label\n1,2\n", Path::new("t.csv"), "t").unwrap_err();
        assert!(matches!(err, DataError::BadLabel { row: 0, .. }), "{err}");
    }

    #[test]
    fn parts_become_a_dataset() {
        let parts = parse(Format::Csv, b"a,label\n1,0\n2,1\n", Path::new("t.csv"), "t").unwrap();
        let ds = parts.into_dataset("t", "abc", "test").unwrap();
        assert_eq!(ds.n_samples(), 2);
        assert_eq!(ds.n_anomalies(), 1);
    }

    #[test]
    fn parse_dataset_fingerprints_the_bytes() {
        let bytes = b"timestamp,v,is_anomaly\n0,1.5,0\n1,9,1\n";
        let ds = parse_dataset(Format::Csv, bytes, Path::new("u.csv"), "u", "u.csv").unwrap();
        assert_eq!(ds.sha256, sha256_hex(bytes));
        assert_eq!((ds.name.as_str(), ds.source.as_str()), ("u", "u.csv"));
        assert_eq!(ds.x.dim(), (2, 1));
    }
}
