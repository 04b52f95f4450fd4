//! The dataset registration table.
//!
//! Why it exists: a benchmark result is only reproducible if the exact bytes
//! behind a dataset name are known. Every registered file is pinned here by
//! its relative path, size, SHA-256 and a download URL at a fixed commit,
//! together with the shape it must have once loaded. The registry
//! ([`crate::data::DatasetRegistry`]) refuses bytes whose hash differs.
//!
//! The ODDS and ADBench rows live in `catalog_generated.rs`, written from the
//! datasets `MANIFEST.md` by `python3 scripts/gen_catalog.py` (`--check`
//! verifies it is current); this file holds the types, the built-in datasets
//! and the lookups. `tests/catalog_manifest.rs` and `tests/data_registry.rs`
//! cross-check the rows against the MANIFEST.

use std::fmt;

/// How a dataset file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// MATLAB level-5 MAT-file holding `X` (n × d) and `y` (n × 1 or 1 × n).
    Mat,
    /// NumPy `.npz` archive holding `X` (n × d) and `y` (n).
    Npz,
    /// CSV with a header row and a label column.
    Csv,
    /// JSON side data (NAB's label windows); never a table.
    Json,
}

impl Format {
    /// Short upper-case name used in error messages (`MAT`, `NPZ`, `CSV`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Mat => "MAT",
            Format::Npz => "NPZ",
            Format::Csv => "CSV",
            Format::Json => "JSON",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a dataset comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// Outlier Detection DataSets (Rayana 2016), `.mat` files.
    Odds,
    /// ADBench "Classical" tabular datasets (Han et al. 2022), `.npz` files.
    Adbench,
    /// Generated in memory by anml itself; no file.
    BuiltIn,
}

impl Collection {
    /// Display name, also stored as [`crate::data::Dataset::source`].
    pub fn name(self) -> &'static str {
        match self {
            Collection::Odds => "ODDS",
            Collection::Adbench => "ADBench",
            Collection::BuiltIn => "built-in",
        }
    }
}

impl fmt::Display for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One pinned file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// Relative path inside the cache and the mirror, e.g. `odds/cardio.mat`.
    pub path: &'static str,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: &'static str,
    /// Size in bytes.
    pub bytes: u64,
    /// Public download URL at a pinned commit.
    pub url: &'static str,
    pub format: Format,
}

impl FileSpec {
    /// The file name without directories (`cardio.mat`).
    pub fn file_name(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// One registered dataset and the shape it has once loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetSpec {
    pub name: &'static str,
    pub collection: Collection,
    /// `None` for built-in (generated) datasets.
    pub file: Option<FileSpec>,
    pub n_samples: usize,
    pub n_features: usize,
    pub n_anomalies: usize,
    pub description: &'static str,
}

impl DatasetSpec {
    /// Fraction of anomalies in [0, 1].
    pub fn anomaly_ratio(&self) -> f64 {
        if self.n_samples == 0 {
            0.0
        } else {
            self.n_anomalies as f64 / self.n_samples as f64
        }
    }
}

/// How dataset names are formed, shown by `anml datasets`.
pub const NAMING_RULE: &str = "ODDS datasets keep their ODDS name (`cardio`, `satimage-2`); \
ADBench files are `adbench/` plus the lower-cased file stem without its leading number \
(`6_cardio.npz` → `adbench/cardio`, `22_magic.gamma.npz` → `adbench/magic.gamma`); \
`toy-blobs` is generated in memory.";

/// Find a registered dataset by name. Exact match first, then
/// case-insensitive (registered names are unique ignoring case).
pub fn find(name: &str) -> Option<&'static DatasetSpec> {
    DATASETS
        .iter()
        .find(|s| s.name == name)
        .or_else(|| DATASETS.iter().find(|s| s.name.eq_ignore_ascii_case(name)))
}

#[path = "catalog_generated.rs"]
mod generated;

/// The built-in dataset: generated in memory by [`crate::data::toy`], no file.
const TOY_BLOBS: DatasetSpec = DatasetSpec {
    name: "toy-blobs",
    collection: Collection::BuiltIn,
    file: None,
    n_samples: 1000,
    n_features: 4,
    n_anomalies: 50,
    description: "Built-in: 950 points in 3 Gaussian blobs (std 1) in 4-d plus 50 uniform \
                  outliers in the enlarged bounding box; ChaCha8 seed 0",
};

/// Every registered dataset: 17 ODDS, 43 ADBench Classical (the generated
/// rows), then the built-in one.
pub static DATASETS: &[DatasetSpec] = &{
    // Built at compile time: every slot starts as `TOY_BLOBS`, then the
    // generated rows overwrite all but the last.
    let rows = generated::ROWS;
    let mut all = [TOY_BLOBS; generated::ROWS.len() + 1];
    let mut i = 0;
    while i < rows.len() {
        all[i] = rows[i];
        i += 1;
    }
    all
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::toy::ToyBlobsParams;
    use std::collections::HashSet;

    #[test]
    fn counts_per_collection() {
        let count = |c| DATASETS.iter().filter(|s| s.collection == c).count();
        assert_eq!(count(Collection::Odds), 17);
        assert_eq!(count(Collection::Adbench), 43);
        assert_eq!(count(Collection::BuiltIn), 1);
    }

    #[test]
    fn names_unique_ignoring_case() {
        let mut seen = HashSet::new();
        for s in DATASETS {
            assert!(
                seen.insert(s.name.to_ascii_lowercase()),
                "clash: {}",
                s.name
            );
        }
    }

    #[test]
    fn files_are_consistent() {
        let mut paths = HashSet::new();
        for s in DATASETS {
            match (s.collection, &s.file) {
                (Collection::BuiltIn, None) => {}
                (Collection::Odds, Some(f)) => {
                    assert_eq!(f.format, Format::Mat);
                    assert_eq!(f.path, format!("odds/{}.mat", s.name));
                    assert!(f.url.ends_with(&format!("/{}", f.file_name())));
                }
                (Collection::Adbench, Some(f)) => {
                    assert_eq!(f.format, Format::Npz);
                    assert!(f.path.starts_with("adbench/"));
                    let stem = f.file_name().trim_end_matches(".npz");
                    let (num, rest) = stem.split_once('_').expect("numbered stem");
                    assert!(num.chars().all(|c| c.is_ascii_digit()));
                    assert_eq!(s.name, format!("adbench/{}", rest.to_lowercase()));
                    assert!(f.url.ends_with(&format!("/{}", f.file_name())));
                }
                other => panic!("{}: inconsistent collection/file {other:?}", s.name),
            }
            if let Some(f) = &s.file {
                assert!(paths.insert(f.path));
                assert_eq!(f.sha256.len(), 64);
                assert!(
                    f.sha256
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
                assert!(f.url.starts_with("https://raw.githubusercontent.com/"));
                assert!(f.bytes > 0);
            }
            assert!(s.n_anomalies < s.n_samples && s.n_features > 0);
        }
    }

    #[test]
    fn find_examples() {
        assert_eq!(find("cardio").map(|s| s.collection), Some(Collection::Odds));
        assert_eq!(
            find("adbench/cardio").and_then(|s| s.file).map(|f| f.path),
            Some("adbench/6_cardio.npz")
        );
        assert_eq!(
            find("adbench/magic.gamma")
                .and_then(|s| s.file)
                .map(|f| f.path),
            Some("adbench/22_magic.gamma.npz")
        );
        assert_eq!(
            find("adbench/aloi").and_then(|s| s.file).map(|f| f.path),
            Some("adbench/1_ALOI.npz")
        );
        assert_eq!(find("ADBench/ALOI").map(|s| s.name), Some("adbench/aloi"));
        assert!(find("satimage-2").is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn toy_entry_matches_default_params() {
        let p = ToyBlobsParams::default();
        let s = find("toy-blobs").expect("registered");
        assert_eq!(s.n_samples, p.n_inliers + p.n_outliers);
        assert_eq!(s.n_features, p.n_features);
        assert_eq!(s.n_anomalies, p.n_outliers);
    }
}
