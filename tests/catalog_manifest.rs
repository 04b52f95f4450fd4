//! The generated catalogs against the datasets `MANIFEST.md`: every file the
//! dataset and series tables pin is listed in the MANIFEST with the same
//! SHA-256 and size, and every ODDS/ADBench file and NAB series the MANIFEST
//! lists is registered. A failure names each file and the command that
//! regenerates its table.
//!
//! Reads only the MANIFEST (`$ANML_DATA_MIRROR`, else `../shared/datasets`):
//! no data files, no Python. `tests/data_registry.rs` also checks the files'
//! bytes on disk and the tabular shapes.

mod common;

use anml::data::catalog::{self, FileSpec};
use anml::data::series_catalog::{self, NAB_WINDOWS};
use std::collections::{BTreeMap, BTreeSet};

const REGEN_DATASETS: &str = "regenerate with `python3 scripts/gen_catalog.py`";
const REGEN_SERIES: &str = "regenerate with `python3 scripts/gen_series_catalog.py`";
const FIX_NAB_WINDOWS: &str = "fix `NAB_WINDOWS` (hand-written) in src/data/series_catalog.rs";

/// One file row of the MANIFEST.
struct Listed {
    bytes: u64,
    sha256: String,
}

/// The MANIFEST's file rows by path. Its tables put the path first and the
/// size second (`| file | bytes | n | d | … | sha256 |` for tabular data,
/// `| file | bytes | sha256 | … |` for time series and NAB); the SHA-256 is
/// the one 64-hex-digit cell.
fn manifest() -> BTreeMap<String, Listed> {
    let path = common::mirror().join("MANIFEST.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; set ANML_DATA_MIRROR to the shared datasets directory",
            path.display()
        )
    });
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        // cells[0] is the empty text before the leading `|`.
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(file), Some(bytes)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let Ok(bytes) = bytes.parse::<u64>() else {
            continue;
        };
        let sha = cells
            .iter()
            .find(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()));
        if let Some(sha) = sha {
            let listed = Listed {
                bytes,
                sha256: sha.to_string(),
            };
            rows.insert(file.to_string(), listed);
        }
    }
    assert!(
        rows.len() > 100,
        "{} lists only {} files: not the datasets MANIFEST?",
        path.display(),
        rows.len()
    );
    rows
}

/// Why `file` disagrees with the MANIFEST, if it does; `fix` says how to
/// repair the table that pins it.
fn mismatch(manifest: &BTreeMap<String, Listed>, file: &FileSpec, fix: &str) -> Option<String> {
    let Some(listed) = manifest.get(file.path) else {
        return Some(format!("{}: not in the MANIFEST; {fix}", file.path));
    };
    let mut wrong = Vec::new();
    if listed.sha256 != file.sha256 {
        wrong.push(format!(
            "sha256 {} in the catalog, {} in the MANIFEST",
            file.sha256, listed.sha256
        ));
    }
    if listed.bytes != file.bytes {
        wrong.push(format!(
            "{} bytes in the catalog, {} in the MANIFEST",
            file.bytes, listed.bytes
        ));
    }
    (!wrong.is_empty()).then(|| format!("{}: {}; {fix}", file.path, wrong.join(", ")))
}

/// Every way the pinned `files` disagree with the MANIFEST (`fix` says how
/// to repair the table that pins a file), plus every MANIFEST file that
/// `must_register` selects and none of `files` pins; a set, as a file may
/// back several entries. Panics listing them all, if there are any.
fn assert_matches_manifest(
    files: &[&FileSpec],
    fix: impl Fn(&FileSpec) -> &'static str,
    must_register: impl Fn(&str) -> bool,
    fix_missing: &str,
) {
    let manifest = manifest();
    let mut problems: BTreeSet<String> = files
        .iter()
        .filter_map(|f| mismatch(&manifest, f, fix(f)))
        .collect();
    let pinned: BTreeSet<&str> = files.iter().map(|f| f.path).collect();
    for path in manifest.keys() {
        if must_register(path) && !pinned.contains(path.as_str()) {
            problems.insert(format!(
                "{path}: in the MANIFEST but not registered; {fix_missing}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) against {}:\n  {}",
        problems.len(),
        common::mirror().join("MANIFEST.md").display(),
        problems.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn dataset_files_match_the_manifest_and_cover_odds_and_adbench() {
    let files: Vec<&FileSpec> = catalog::DATASETS
        .iter()
        .filter_map(|s| s.file.as_ref())
        .collect();
    assert_matches_manifest(
        &files,
        |_| REGEN_DATASETS,
        |path| path.starts_with("odds/") || path.starts_with("adbench/"),
        REGEN_DATASETS,
    );
}

#[test]
fn series_files_match_the_manifest_and_cover_nab() {
    let files: Vec<&FileSpec> = series_catalog::SERIES
        .iter()
        .flat_map(|s| s.layout.files())
        .collect();
    assert_matches_manifest(
        &files,
        |f| {
            if *f == NAB_WINDOWS {
                FIX_NAB_WINDOWS
            } else {
                REGEN_SERIES
            }
        },
        |path| path.starts_with("nab/data/") && path.ends_with(".csv"),
        REGEN_SERIES,
    );
}
