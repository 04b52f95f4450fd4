//! Shared test helpers: the dataset mirror, temp workspaces, and running the
//! real `anml` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `$ANML_DATA_MIRROR`, else `../shared/datasets` beside the repository.
pub fn mirror() -> PathBuf {
    std::env::var_os("ANML_DATA_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"))
}

/// A fresh workspace with its own empty dataset cache.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `anml` with the workspace, cache and mirror set, downloads off.
    pub fn anml(&self) -> Command {
        self.anml_with_mirror(&mirror())
    }

    pub fn anml_with_mirror(&self, mirror: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_anml"));
        c.env_remove("ANML_DATA_MIRROR")
            .env_remove("ANML_DATA_DIR")
            .env_remove("ANML_WORKSPACE")
            .arg("--workspace")
            .arg(self.root())
            .arg("--data-dir")
            .arg(self.cache())
            .arg("--data-mirror")
            .arg(mirror)
            .arg("--offline");
        c
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root().join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A committed reference fixture under `tests/fixtures/`.
pub fn fixture(rel: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("reference fixture is valid JSON")
}

/// Load a registered dataset from the mirror only (fresh cache, no
/// download); a missing mirror fails loudly rather than skipping.
pub fn load_dataset(name: &str) -> Result<anml::data::Dataset, anml::data::DataError> {
    let mirror = mirror();
    assert!(
        mirror.is_dir(),
        "dataset mirror not found at {}; set ANML_DATA_MIRROR to the shared datasets directory",
        mirror.display()
    );
    let cache = tempfile::tempdir().expect("tempdir");
    anml::data::DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror))
        .with_download(false)
        .load(name)
}

/// A dataset split by row index with no RNG, as the reference scripts do
/// (train: i % 5 in {0, 1, 2}, test: the rest), standardised on train.
pub struct ModuloSplit {
    pub x_train: ndarray::Array2<f64>,
    pub x_test: ndarray::Array2<f64>,
    pub y_test: ndarray::Array1<u8>,
}

pub fn modulo_split(name: &str) -> Result<ModuloSplit, anml::data::DataError> {
    use ndarray::Axis;
    let ds = load_dataset(name)?;
    let n = ds.x.nrows();
    let train: Vec<usize> = (0..n).filter(|i| i % 5 < 3).collect();
    let test: Vec<usize> = (0..n).filter(|i| i % 5 >= 3).collect();
    let x_train = ds.x.select(Axis(0), &train);
    let x_test = ds.x.select(Axis(0), &test);
    let scaler = anml::data::scale::StandardScaler::fit(x_train.view());
    Ok(ModuloSplit {
        x_train: scaler.transform(x_train.view()),
        x_test: scaler.transform(x_test.view()),
        y_test: ds.y.select(Axis(0), &test),
    })
}
