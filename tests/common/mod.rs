//! Shared test helpers: the dataset mirror, temp workspaces, and running the
//! real `anml` binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

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
            .env_remove("ANML_DEVICE")
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

/// The result type of the parity tests' `#[test]` functions.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `|a − b| / max(1, |b|)`: relative to the reference value `b`, absolute
/// near zero. Every parity tolerance is on this measure.
pub fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// Indices stored in a reference fixture (panics on anything else).
pub fn usizes(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("integer") as usize)
        .collect()
}

/// A number stored in a reference fixture (panics if it is not one).
pub fn num(v: &serde_json::Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("fixture value {v} is not a number"))
}

/// [`modulo_split`] of `name`, checked against the row counts a reference
/// fixture stored for it (`want["n_train"]`, `want["n_test"]`).
pub fn split_as_stored(
    name: &str,
    want: &serde_json::Value,
) -> Result<ModuloSplit, anml::data::DataError> {
    let data = modulo_split(name)?;
    assert_eq!(
        data.x_train.nrows() as u64,
        want["n_train"].as_u64().unwrap_or(0),
        "{name}: training rows"
    );
    assert_eq!(
        data.x_test.nrows() as u64,
        want["n_test"].as_u64().unwrap_or(0),
        "{name}: test rows"
    );
    Ok(data)
}

/// How scores are compared with a fixture's summary of them: the reference
/// scripts store the first scores (up to 300, under `first_key`) and the
/// `sum`, `sum_sq`, `min` and `max` over all of them.
pub struct Summary<'a> {
    /// Who computed the reference, for failure messages ("PyOD", ...).
    pub reference: &'a str,
    /// Fixture key of the first scores: `"first"` (or `"head"`).
    pub first_key: &'a str,
    /// Largest allowed [`rel_err`] of each stored score.
    pub tol: f64,
    /// Largest allowed [`rel_err`] of the aggregates.
    pub aggregate_tol: f64,
    /// Positions among the stored first scores not compared; when any are
    /// given, the aggregates (which include them) are not compared either.
    pub skip: &'a [usize],
}

impl<'a> Summary<'a> {
    /// Every stored score and aggregate within `tol` of `reference`'s.
    pub const fn new(reference: &'a str, tol: f64) -> Self {
        Self {
            reference,
            first_key: "first",
            tol,
            aggregate_tol: tol,
            skip: &[],
        }
    }

    /// Compare `got` with the stored summary `want`, failing (with `what`
    /// and the value in the message) beyond a tolerance; returns the
    /// largest relative error seen. `got` must hold at least as many scores
    /// as were stored.
    pub fn compare(&self, what: &str, got: &ndarray::Array1<f64>, want: &serde_json::Value) -> f64 {
        let first = want[self.first_key]
            .as_array()
            .unwrap_or_else(|| panic!("fixture has no `{}`", self.first_key));
        assert!(got.len() >= first.len(), "{what}: too few scores");
        let mut worst = 0.0f64;
        let mut check = |label: String, a: f64, b: f64, tol: f64| {
            let e = rel_err(a, b);
            assert!(
                e <= tol,
                "{what} {label}: anml {a} vs {} {b} (relative error {e:.3e})",
                self.reference
            );
            worst = worst.max(e);
        };
        for (i, (a, b)) in got.iter().zip(first).enumerate() {
            if !self.skip.contains(&i) {
                check(format!("score {i}"), *a, num(b), self.tol);
            }
        }
        if self.skip.is_empty() {
            let sum: f64 = got.sum();
            let sum_sq: f64 = got.iter().map(|v| v * v).sum();
            let min = got.iter().copied().fold(f64::INFINITY, f64::min);
            let max = got.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for (label, a) in [("sum", sum), ("sum_sq", sum_sq), ("min", min), ("max", max)] {
                check(label.to_string(), a, num(&want[label]), self.aggregate_tol);
            }
        }
        worst
    }
}

/// Scores from the public path (`Detector` with default parameters, fit on
/// the training split, scoring the test split) are bit-identical to
/// `test_scores` from the params path. Checked only where that second fit
/// is cheap (fewer than 5000 training rows).
pub fn assert_api_scores_match(
    detector: &str,
    data: &ModuloSplit,
    test_scores: &ndarray::Array1<f64>,
    what: &str,
) -> TestResult {
    if data.x_train.nrows() < 5000 {
        let fitted = anml::detectors::Detector::new(detector, &serde_json::Map::new())?
            .fit(data.x_train.view())?;
        let via_api = fitted.score_samples(data.x_test.view())?;
        assert!(
            via_api
                .iter()
                .zip(test_scores)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{what}: Detector API scores differ from the params path"
        );
    }
    Ok(())
}

/// Files of a store's `runs/` ending in `suffix` (temp files left out):
/// name → bytes.
fn store_files(dir: &Path, suffix: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir.join("runs")) else {
        return out;
    };
    for e in entries {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(suffix) && !name.starts_with('.') {
            out.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

/// Run records of a store (`DIR/runs/*.json`): name → text.
pub fn run_files(dir: &Path) -> BTreeMap<String, String> {
    store_files(dir, ".json")
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
        .collect()
}

/// Time-series point scores of a store (`DIR/runs/*.scores.npy`): name →
/// bytes.
pub fn score_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    store_files(dir, ".scores.npy")
}

/// The lines of a run file that do not hold timing or hardware values.
pub fn without_timing(json: &str) -> String {
    let mut skip_depth = 0usize;
    let mut out = Vec::new();
    for line in json.lines() {
        let t = line.trim_start();
        if skip_depth > 0 {
            skip_depth += t.matches('{').count();
            skip_depth -= t.matches('}').count();
            continue;
        }
        if ["\"fit_time\"", "\"score_time\"", "\"run_time\""]
            .iter()
            .any(|k| t.starts_with(k))
        {
            continue;
        }
        if t.starts_with("\"time_per_1000\"") || t.starts_with("\"hardware\"") {
            skip_depth = t.matches('{').count() - t.matches('}').count();
            continue;
        }
        out.push(line);
    }
    out.join("\n")
}

/// Two stores hold the same runs: same run ids, every record identical
/// apart from timing and hardware (as parsed records and as bytes), and
/// time-series point scores identical byte for byte.
pub fn assert_same_runs(a: &Path, b: &Path) {
    use anml::bench::deterministic_json;
    use anml::results::StoredRun;
    let fa = run_files(a);
    let fb = run_files(b);
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "run ids differ"
    );
    for (name, ja) in &fa {
        let jb = &fb[name];
        let ra = StoredRun::from_json(ja).expect("valid record");
        let rb = StoredRun::from_json(jb).expect("valid record");
        assert_eq!(
            deterministic_json(&ra).unwrap(),
            deterministic_json(&rb).unwrap(),
            "{name}"
        );
        assert_eq!(without_timing(ja), without_timing(jb), "{name}");
    }
    assert!(score_files(a) == score_files(b), "point scores differ");
}

/// Spawn `cmd`, wait until `ready()` holds (or `limit` passes), send it
/// SIGINT, and wait for it; returns its output and the time of the signal.
pub fn interrupt_when(
    mut cmd: Command,
    limit: Duration,
    ready: impl Fn() -> bool,
) -> (Output, Instant) {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !ready() && t0.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let t = Instant::now();
    (child.wait_with_output().unwrap(), t)
}

/// The GPU for the GPU equivalence tests (`tests/gpu_*.rs`, all
/// `#[ignore]`d: `cargo test -- --include-ignored` on a GPU machine). Where
/// no GPU can be used it says so and returns `None`, unless
/// `ANML_REQUIRE_GPU=1`, where that fails the test.
#[cfg(feature = "cuda")]
#[allow(dead_code)]
pub fn gpu_or_skip() -> Option<std::sync::Arc<anml::gpu::Gpu>> {
    match anml::gpu::select(anml::gpu::Device::Cuda) {
        Ok(_) => anml::gpu::active(),
        Err(e) => {
            assert!(
                std::env::var("ANML_REQUIRE_GPU").as_deref() != Ok("1"),
                "ANML_REQUIRE_GPU=1 but no GPU: {e}"
            );
            eprintln!("no GPU, GPU equivalence test not run: {e}");
            None
        }
    }
}
