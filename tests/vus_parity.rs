//! Parity of anml's VUS-ROC / VUS-PR and `find_length` with TSB-AD 1.5,
//! against `tests/fixtures/vus/` (written by `scripts/gen_vus_reference.py`).
//!
//! * `vus_reference.json` `cases`: three real labelled series (UCR 135
//!   InternalBleeding16, GutenTAG ecg-diff-count-3, NAB nyc_taxi with its
//!   combined windows), four scores each (stored in `scores.npz`), windows
//!   0, 1, 10, 100 and the series' own `find_length_rank`: `vus` must equal
//!   TSB-AD's `get_metrics(...)['VUS-ROC' | 'VUS-PR']` within [`TOL`].
//! * `edge_cases`: small inputs inline (all-tied scores, anomalies at the
//!   very start / end, ranges that merge as the buffer grows, a window longer
//!   than the series, n < 250, signed zeros, dense anomalies, seeded random
//!   label layouts), same tolerance.
//! * `find_length`: `find_length_rank(x, rank=1)` of every stored score and
//!   of the value column of the NAB and `ts/` CSVs, exactly. The CSVs come
//!   from `ANML_DATA_MIRROR`, else `../shared/datasets` next to the crate;
//!   that test is skipped with a notice when they are absent.
//!
//! anml sums in a different order than TSB-AD's NumPy dot products (see the
//! module docs of `anml::metrics::vus`), so agreement is to a few ulps, not
//! bit for bit; [`TOL`] is far above that and far below any real difference
//! (one threshold or one buffer off moves the values by > 1e-6).

use anml::metrics::{MetricError, Vus, find_length, vus, vus_pr, vus_roc};
use ndarray::Array1;
use ndarray_npy::NpzReader;
use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Allowed |anml − TSB-AD| for VUS values (observed: ≤ ~1e-15).
const TOL: f64 = 1e-12;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vus")
}

fn mirror() -> PathBuf {
    std::env::var_os("ANML_DATA_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"))
}

fn reference() -> Value {
    let path = fixture_dir().join("vus_reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture JSON")
}

fn scores() -> NpzReader<File> {
    let path = fixture_dir().join("scores.npz");
    NpzReader::new(File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("npz")
}

fn usize_of(v: &Value) -> usize {
    usize::try_from(v.as_u64().expect("non-negative integer")).expect("fits usize")
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

/// 0/1 labels of length `n` from inclusive `[start, end]` ranges.
fn labels_from_ranges(n: usize, ranges: &Value) -> Array1<u8> {
    let mut y = Array1::zeros(n);
    for r in ranges.as_array().expect("ranges") {
        for i in usize_of(&r[0])..=usize_of(&r[1]) {
            y[i] = 1;
        }
    }
    y
}

/// Worst error so far, and how many values matched bit for bit.
#[derive(Default)]
struct Tally {
    worst: f64,
    exact: usize,
    total: usize,
}

impl Tally {
    fn check(&mut self, what: &str, got: Vus, want: &Value) {
        for (name, g, w) in [
            ("VUS-ROC", got.roc, f64_of(&want["vus_roc"])),
            ("VUS-PR", got.pr, f64_of(&want["vus_pr"])),
        ] {
            let err = (g - w).abs();
            assert!(
                err <= TOL,
                "{what} {name}: anml {g:.17}, TSB-AD {w:.17} (|diff| = {err:e})"
            );
            self.worst = self.worst.max(err);
            self.exact += usize::from(g.to_bits() == w.to_bits());
            self.total += 1;
        }
    }

    fn report(&self, what: &str) {
        println!(
            "{what}: {} values, {} bit-identical, worst |anml - TSB-AD| = {:e}",
            self.total, self.exact, self.worst
        );
    }
}

#[test]
fn real_series_match_tsb_ad() {
    let reference = reference();
    let mut npz = scores();
    let mut tally = Tally::default();
    let cases = reference["cases"].as_array().expect("cases");
    assert!(cases.len() >= 48, "fixture has {} cases", cases.len());
    for case in cases {
        let key = case["series"].as_str().expect("series");
        let meta = &reference["series"][key];
        let y = labels_from_ranges(usize_of(&meta["n"]), &meta["anomaly_ranges"]);
        let score_key = format!("{key}__{}", case["score"].as_str().expect("score"));
        let s: Array1<f64> = npz.by_name(&score_key).expect("score array");
        let w = usize_of(&case["window"]);
        let got = vus(y.view(), s.view(), w).expect("vus");
        tally.check(&format!("{score_key} window {w}"), got, case);
    }
    tally.report("real series");
}

#[test]
fn edge_cases_match_tsb_ad() {
    let reference = reference();
    let mut tally = Tally::default();
    for case in reference["edge_cases"].as_array().expect("edge_cases") {
        let name = case["name"].as_str().expect("name");
        let y: Array1<u8> = case["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|v| u8::try_from(v.as_u64().expect("label")).expect("0/1"))
            .collect();
        let s: Array1<f64> = case["scores"]
            .as_array()
            .expect("scores")
            .iter()
            .map(f64_of)
            .collect();
        for result in case["results"].as_array().expect("results") {
            let w = usize_of(&result["window"]);
            let got = vus(y.view(), s.view(), w).expect("vus");
            assert_eq!(vus_roc(y.view(), s.view(), w), Ok(got.roc));
            assert_eq!(vus_pr(y.view(), s.view(), w), Ok(got.pr));
            tally.check(&format!("{name} window {w}"), got, result);
        }
    }
    tally.report("edge cases");
}

#[test]
fn find_length_of_scores_matches_tsb_ad() {
    let reference = reference();
    let mut npz = scores();
    let cases = reference["find_length"]["scores"]
        .as_array()
        .expect("find_length.scores");
    assert_eq!(cases.len(), 12);
    for case in cases {
        let key = case["scores"].as_str().expect("key");
        let s: Array1<f64> = npz.by_name(key).expect("score array");
        assert_eq!(find_length(s.view()), usize_of(&case["length"]), "{key}");
    }
}

/// Column 1 of a CSV with a header row (the value column of NAB and the
/// `ts/` files).
fn csv_values(path: &Path) -> Option<Array1<f64>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let v = l.split(',').nth(1).expect("value column");
                v.trim().parse::<f64>().expect("number")
            })
            .collect(),
    )
}

#[test]
fn find_length_of_data_files_matches_tsb_ad() {
    let reference = reference();
    let root = mirror();
    let files = reference["find_length"]["files"]
        .as_array()
        .expect("find_length.files");
    let mut checked = 0;
    for case in files {
        let rel = case["file"].as_str().expect("file");
        let Some(x) = csv_values(&root.join(rel)) else {
            eprintln!(
                "skipping find_length parity for {rel}: not in {}",
                root.display()
            );
            continue;
        };
        assert_eq!(find_length(x.view()), usize_of(&case["length"]), "{rel}");
        checked += 1;
    }
    // The labelled series' own periods (the windows of their cases).
    for meta in reference["series"].as_object().expect("series").values() {
        let rel = meta["source"].as_str().expect("source");
        if let Some(x) = csv_values(&root.join(rel)) {
            assert_eq!(x.len(), usize_of(&meta["n"]), "{rel}");
            assert_eq!(
                find_length(x.view()),
                usize_of(&meta["find_length"]),
                "{rel}"
            );
        }
    }
    println!(
        "find_length: {checked} of {} data files checked",
        files.len()
    );
}

#[test]
fn invalid_input_is_an_error() {
    let y = Array1::from(vec![0u8, 1, 0]);
    let s = Array1::from(vec![0.1, f64::NAN, 0.3]);
    assert!(matches!(
        vus(y.view(), s.view(), 10),
        Err(MetricError::NonFinite { index: 1, .. })
    ));
    let zeros = Array1::<u8>::zeros(3);
    assert!(matches!(
        vus(zeros.view(), Array1::from(vec![0.1, 0.2, 0.3]).view(), 10),
        Err(MetricError::OneClass { label: 0, n: 3 })
    ));
}
