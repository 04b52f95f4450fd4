//! The `pyod` protocol reproduces PyOD's benchmark split bit for bit:
//! scikit-learn's `train_test_split(X, y, test_size=0.4,
//! random_state=np.random.RandomState(seed))` followed by a `StandardScaler`
//! fit on the train part.
//!
//! The reference is `tests/fixtures/splits/sklearn_splits.json`, written by
//! `scripts/gen_split_reference.py` (numpy 2.4 / scikit-learn 1.9):
//!
//! * for n in {10, 148, 214, 1831, 7603, 49097} and seeds 0..9 the train and
//!   test index lists must be identical (full lists for n ≤ 1831; for larger
//!   n the first 50 indices of each part and the SHA-256 of each full list as
//!   comma-joined decimal text);
//! * ODDS `cardio`, seed 0: the standardised `X_train`/`X_test` agree with
//!   scikit-learn's on the first 5 rows (within 1e-12) and in their column
//!   sums.
//!
//! `cardio` comes from the mirror `ANML_DATA_MIRROR`, else
//! `../shared/datasets` next to the crate; nothing is downloaded.

use anml::data::mt19937::NumpyRandomState;
use anml::data::split::{split_permutation, split_sizes};
use anml::data::{DataError, Dataset, DatasetRegistry, Protocol};
use anml::hashing::sha256_hex;
use ndarray::{Array1, Array2, ArrayView2};
use serde_json::Value;
use std::path::PathBuf;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixture() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/splits/sklearn_splits.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("split fixture is valid JSON")
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array of indices")
        .iter()
        .map(|i| i.as_u64().expect("a non-negative integer") as usize)
        .collect()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array of numbers")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("an array of rows")
        .iter()
        .map(f64s)
        .collect()
}

/// The SHA-256 the fixture stores for a full index list.
fn index_hash(indices: &[usize]) -> String {
    let text = indices
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",");
    sha256_hex(text.as_bytes())
}

/// A dataset whose single feature is the row index, so the selected rows
/// show which indices went where.
fn index_dataset(n: usize) -> Dataset {
    let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64);
    let y = Array1::from_shape_fn(n, |i| u8::from(i % 10 == 0));
    Dataset::new(format!("index-{n}"), x, y, "", "test").expect("valid dataset")
}

#[test]
fn splits_match_sklearn_train_test_split() -> TestResult {
    let fx = fixture();
    let cases = fx["splits"].as_array().expect("splits");
    assert_eq!(cases.len(), 60, "6 sizes × 10 seeds");
    let mut last_n = 0;
    let mut ds = index_dataset(1);
    for case in cases {
        let n = case["n"].as_u64().expect("n") as usize;
        let seed = case["seed"].as_u64().expect("seed");
        let what = format!("n={n} seed={seed}");
        if n != last_n {
            ds = index_dataset(n);
            last_n = n;
        }
        let prep = Protocol::Pyod.prepare(&ds, seed)?;
        let (train, test) = (&prep.split.train, &prep.split.test);
        assert_eq!(
            train.len(),
            case["n_train"].as_u64().expect("n_train") as usize,
            "{what}"
        );
        assert_eq!(
            test.len(),
            case["n_test"].as_u64().expect("n_test") as usize,
            "{what}"
        );
        assert_eq!(prep.info.protocol, "pyod");
        assert_eq!(
            (prep.info.n_train, prep.info.n_test),
            (train.len(), test.len())
        );

        if let Some(full) = case.get("train") {
            assert_eq!(*train, usizes(full), "train indices, {what}");
            assert_eq!(*test, usizes(&case["test"]), "test indices, {what}");
        } else {
            let k = fx["prefix_len"].as_u64().expect("prefix_len") as usize;
            assert_eq!(
                train[..k],
                usizes(&case["train_prefix"]),
                "train prefix, {what}"
            );
            assert_eq!(
                test[..k],
                usizes(&case["test_prefix"]),
                "test prefix, {what}"
            );
            assert_eq!(
                index_hash(train),
                case["train_sha256"],
                "train hash, {what}"
            );
            assert_eq!(index_hash(test), case["test_sha256"], "test hash, {what}");
        }

        // The same split straight from the building blocks.
        let (n_train, n_test) = split_sizes(n, 0.4)?;
        let perm = NumpyRandomState::new(u32::try_from(seed)?).permutation(n);
        assert_eq!(
            split_permutation(&perm, n_train, n_test),
            prep.split,
            "{what}"
        );
    }
    Ok(())
}

#[test]
fn selected_rows_follow_the_split() -> TestResult {
    // Feature = row index; the scaler is affine, so undoing it recovers the
    // indices in split order.
    let ds = index_dataset(148);
    let prep = Protocol::Pyod.prepare(&ds, 3)?;
    let train_x = prep.x_train.column(0).to_vec();
    let scale =
        (train_x[1] - train_x[0]) / (prep.split.train[1] as f64 - prep.split.train[0] as f64);
    let offset = train_x[0] - scale * prep.split.train[0] as f64;
    for (row, &i) in prep.split.train.iter().enumerate() {
        assert!((train_x[row] - (scale * i as f64 + offset)).abs() < 1e-9);
        assert_eq!(prep.y_train[row], ds.y[i]);
    }
    for (row, &i) in prep.split.test.iter().enumerate() {
        assert!((prep.x_test[[row, 0]] - (scale * i as f64 + offset)).abs() < 1e-9);
        assert_eq!(prep.y_test[row], ds.y[i]);
    }
    Ok(())
}

fn load_cardio() -> Result<Dataset, Box<dyn std::error::Error>> {
    let mirror = std::env::var_os("ANML_DATA_MIRROR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    assert!(
        mirror.is_dir(),
        "dataset mirror not found at {}; set ANML_DATA_MIRROR to the shared datasets directory",
        mirror.display()
    );
    let cache = tempfile::tempdir()?;
    let reg = DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror))
        .with_download(false);
    Ok(reg.load("cardio")?)
}

fn assert_head_close(got: ArrayView2<'_, f64>, expected: &[Vec<f64>], what: &str) {
    for (r, row) in expected.iter().enumerate() {
        assert_eq!(got.ncols(), row.len(), "{what} row {r} width");
        for (c, &e) in row.iter().enumerate() {
            let g = got[[r, c]];
            assert!(
                (g - e).abs() <= 1e-12,
                "{what}[{r}, {c}]: anml {g} vs sklearn {e}"
            );
        }
    }
}

fn assert_col_sums_close(got: ArrayView2<'_, f64>, expected: &[f64], what: &str) {
    let sums = got.sum_axis(ndarray::Axis(0));
    assert_eq!(sums.len(), expected.len(), "{what} width");
    for (c, (&g, &e)) in sums.iter().zip(expected).enumerate() {
        // Sums of ~1000 standardised values: summation order alone moves
        // them by ~1e-13.
        assert!(
            (g - e).abs() <= 1e-9,
            "{what} column {c} sum: anml {g} vs sklearn {e}"
        );
    }
}

#[test]
fn cardio_matches_sklearn_standardised_split() -> TestResult {
    let fx = fixture();
    let cref = &fx["cardio"];
    let ds = load_cardio()?;
    assert_eq!(
        ds.n_samples() as u64,
        cref["n_samples"].as_u64().expect("n_samples")
    );
    assert_eq!(
        ds.n_features() as u64,
        cref["n_features"].as_u64().expect("n_features")
    );
    let seed = cref["seed"].as_u64().expect("seed");
    let prep = Protocol::Pyod.prepare(&ds, seed)?;

    let k = usizes(&cref["train_index_prefix"]).len();
    assert_eq!(prep.split.train[..k], usizes(&cref["train_index_prefix"]));
    assert_eq!(prep.split.test[..k], usizes(&cref["test_index_prefix"]));

    assert_head_close(prep.x_train.view(), &rows(&cref["x_train_head"]), "x_train");
    assert_head_close(prep.x_test.view(), &rows(&cref["x_test_head"]), "x_test");
    assert_col_sums_close(
        prep.x_train.view(),
        &f64s(&cref["x_train_col_sums"]),
        "x_train",
    );
    assert_col_sums_close(
        prep.x_test.view(),
        &f64s(&cref["x_test_col_sums"]),
        "x_test",
    );

    let ratio = cref["anomaly_ratio"].as_f64().expect("anomaly_ratio");
    let got = Protocol::Pyod
        .contamination(&ds)
        .expect("pyod sets contamination");
    assert!(
        (got - ratio).abs() < 1e-15,
        "contamination {got} vs {ratio}"
    );
    assert_eq!(Protocol::Holdout60.contamination(&ds), None);
    Ok(())
}

#[test]
fn parse_and_names() -> TestResult {
    assert_eq!(Protocol::parse("pyod")?, Protocol::Pyod);
    assert_eq!(Protocol::parse("holdout60")?, Protocol::Holdout60);
    for p in Protocol::ALL {
        assert_eq!(Protocol::parse(p.name())?, *p);
        assert!(!p.describe().is_empty());
    }
    assert!(Protocol::ALL.contains(&Protocol::Pyod));
    assert!(Protocol::Pyod.describe().contains("RandomState(seed)"));

    let err = Protocol::parse("pyodd").expect_err("unknown protocol");
    assert!(matches!(err, DataError::UnknownProtocol { .. }), "{err:?}");
    let msg = err.to_string();
    for p in Protocol::ALL {
        assert!(msg.contains(p.name()), "`{msg}` lists {}", p.name());
    }
    Ok(())
}

#[test]
fn seeds_beyond_u32_are_rejected() -> TestResult {
    let ds = index_dataset(20);
    // numpy accepts 0..=2**32-1 ...
    let max = Protocol::Pyod.prepare(&ds, u64::from(u32::MAX))?;
    let mut rs = NumpyRandomState::new(u32::MAX);
    let perm = rs.permutation(20);
    assert_eq!(max.split.test, perm[..8]);
    // ... and rejects anything larger, as the pyod protocol does.
    let err = Protocol::Pyod
        .prepare(&ds, u64::from(u32::MAX) + 1)
        .expect_err("seed 2^32 must be rejected");
    assert!(matches!(err, DataError::Seed { .. }), "{err:?}");
    assert!(err.to_string().contains("4294967296"), "{err}");
    // The ChaCha protocol takes any u64 seed.
    Protocol::Holdout60.prepare(&ds, u64::MAX)?;
    Ok(())
}
