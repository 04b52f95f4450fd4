//! The dataset registry: names → verified, parsed datasets.
//!
//! Why it exists: callers ask for a dataset by name and must get exactly the
//! registered bytes, from wherever they are available, without caring where.
//! The lookup order for a file is: the cache (`cache_dir/<path>`), a
//! read-only mirror (`mirror/<path>`, used in place, never copied), then a
//! download into the cache (unless downloads are disabled). Whatever the
//! source, the bytes are SHA-256-checked before they are parsed (see
//! [`super::fetch`]), and the parsed shape is checked against the catalog.
//!
//! Configuration from the environment ([`DatasetRegistry::from_env`]):
//! `ANML_DATA_DIR` (cache directory; default `<user cache dir>/anml/datasets`,
//! or `./.anml-cache` if the platform has none), `ANML_DATA_MIRROR` (a
//! directory laid out like the cache, e.g. a shared read-only copy),
//! `ANML_DATA_URL` (download base: fetch `{ANML_DATA_URL}/{path}`, e.g.
//! `http://mirror.example.org/anml/odds/cardio.mat`, instead of each file's
//! pinned URL; for institutional mirrors, over HTTP or HTTPS, laid out like
//! the cache; the SHA-256 is checked all the same) and `ANML_OFFLINE=1`
//! (never download).
//!
//! Crash safety: a download is written to a locked temp file and renamed
//! into the cache only once its hash matches, so a process killed
//! mid-download leaves no cache file, only a temp file that the next load
//! from that cache directory removes (see [`super::fetch`]).

use super::catalog::{self, Collection, DatasetSpec, FileSpec};
use super::series_catalog::{self, SeriesLayout, SeriesSpec};
use super::{DataError, Dataset, TimeSeries, Training, fetch, formats, toy};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Loads registered datasets; see the module docs for the lookup order.
#[derive(Debug, Clone)]
pub struct DatasetRegistry {
    cache_dir: PathBuf,
    mirror: Option<PathBuf>,
    allow_download: bool,
    download_base: Option<String>,
}

impl DatasetRegistry {
    /// A registry caching in `cache_dir`, with downloads allowed and no mirror.
    pub fn new(cache_dir: PathBuf) -> Self {
        Self {
            cache_dir,
            mirror: None,
            allow_download: true,
            download_base: None,
        }
    }

    /// Configure from `ANML_DATA_DIR`, `ANML_DATA_MIRROR` and `ANML_OFFLINE`
    /// (see the module docs). `ANML_OFFLINE` counts as set unless it is
    /// empty, `0`, `false`, `no` or `off`. A mirror that is not an existing
    /// directory is an error rather than being silently skipped.
    pub fn from_env() -> Result<Self, DataError> {
        Self::from_lookup(|key| std::env::var_os(key))
    }

    /// [`Self::from_env`] with the variables read through `var`.
    fn from_lookup(var: impl Fn(&str) -> Option<OsString>) -> Result<Self, DataError> {
        let cache_dir = match var("ANML_DATA_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => default_cache_dir(),
        };
        let mirror = var("ANML_DATA_MIRROR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        if let Some(m) = &mirror
            && !m.is_dir()
        {
            return Err(DataError::io(
                m,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "ANML_DATA_MIRROR does not name an existing directory",
                ),
            ));
        }
        let download_base = download_base_from(var("ANML_DATA_URL"))?;
        let offline = var("ANML_OFFLINE").is_some_and(|v| {
            let v = v.to_string_lossy().trim().to_ascii_lowercase();
            !matches!(v.as_str(), "" | "0" | "false" | "no" | "off")
        });
        Ok(Self::new(cache_dir)
            .with_mirror(mirror)
            .with_download(!offline)
            .with_download_base(download_base))
    }

    /// The download base `ANML_DATA_URL` names, if set (see the module
    /// docs); anything but an `http://` or `https://` URL is an error.
    pub fn download_base_from_env() -> Result<Option<String>, DataError> {
        download_base_from(std::env::var_os("ANML_DATA_URL"))
    }

    pub fn with_mirror(mut self, mirror: Option<PathBuf>) -> Self {
        self.mirror = mirror;
        self
    }

    pub fn with_download(mut self, allow: bool) -> Self {
        self.allow_download = allow;
        self
    }

    /// Fetch `{base}/{file.path}` instead of each file's registered URL
    /// (tests, private HTTP mirrors). The hash is checked all the same.
    pub fn with_download_base(mut self, base: Option<String>) -> Self {
        self.download_base = base.map(|b| b.trim_end_matches('/').to_string());
        self
    }

    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    pub fn mirror(&self) -> Option<&Path> {
        self.mirror.as_deref()
    }

    pub fn downloads_allowed(&self) -> bool {
        self.allow_download
    }

    /// Every registered dataset.
    pub fn specs(&self) -> &'static [DatasetSpec] {
        catalog::DATASETS
    }

    /// Where `file` lives (or would live) in the cache.
    pub fn cache_path(&self, file: &FileSpec) -> PathBuf {
        join_rel(&self.cache_dir, file.path)
    }

    /// Whether the dataset's file is in the cache with the registered size
    /// (the hash is checked when it is loaded). Built-in datasets are
    /// always available.
    pub fn is_cached(&self, spec: &DatasetSpec) -> bool {
        match &spec.file {
            None => true,
            Some(file) => std::fs::metadata(self.cache_path(file))
                .map(|m| m.is_file() && m.len() == file.bytes)
                .unwrap_or(false),
        }
    }

    /// Load a registered dataset by name (see [`catalog::NAMING_RULE`]).
    /// An unknown name gives [`DataError::UnknownDataset`] with the closest
    /// registered names as a hint.
    pub fn load(&self, name: &str) -> Result<Dataset, DataError> {
        let spec = catalog::find(name).ok_or_else(|| DataError::UnknownDataset {
            name: name.to_string(),
            hint: suggestion_hint(name),
        })?;
        self.load_spec(spec)
    }

    /// Load the dataset `spec` describes.
    pub fn load_spec(&self, spec: &DatasetSpec) -> Result<Dataset, DataError> {
        let Some(file) = &spec.file else {
            return match spec.name {
                "toy-blobs" => Ok(toy::toy_blobs(&toy::ToyBlobsParams::default())),
                other => Err(DataError::UnknownDataset {
                    name: other.to_string(),
                    hint: "; no file and no built-in generator of that name".to_string(),
                }),
            };
        };
        let bytes = self.fetch_file(file)?;
        let origin = Path::new(file.path);
        let parts = formats::parse(file.format, &bytes, origin, spec.name)?;
        let dataset = parts.into_dataset(spec.name, file.sha256, spec.collection.name())?;
        check_shape(spec, &dataset)?;
        Ok(dataset)
    }

    /// Load a registered time series by name (see
    /// [`series_catalog::SERIES_NAMING_RULE`]); every file it is read from is
    /// verified like a dataset file.
    pub fn load_series(&self, name: &str) -> Result<TimeSeries, DataError> {
        let spec = series_catalog::find_series(name).ok_or_else(|| DataError::UnknownDataset {
            name: name.to_string(),
            hint: series_hint(name),
        })?;
        self.load_series_spec(spec)
    }

    /// Load the series `spec` describes and check it has the registered
    /// shape.
    pub fn load_series_spec(&self, spec: &SeriesSpec) -> Result<TimeSeries, DataError> {
        let source = spec.collection.name();
        let series = match &spec.layout {
            SeriesLayout::TimeEval {
                test,
                train,
                train_is_prefix,
            } => {
                let parts = formats::series::read_csv(
                    &self.fetch_file(test)?,
                    Path::new(test.path),
                    spec.name,
                )?;
                let (training, sha) = match train {
                    None => (Training::None, test.sha256.to_string()),
                    Some(file) => {
                        let train_parts = formats::series::read_csv(
                            &self.fetch_file(file)?,
                            Path::new(file.path),
                            spec.name,
                        )?;
                        let training = if *train_is_prefix {
                            check_prefix(spec.name, &parts, &train_parts)?;
                            Training::Prefix(train_parts.values.nrows())
                        } else {
                            Training::Separate(train_parts.values)
                        };
                        (training, combined_sha(&[test, file]))
                    }
                };
                let ts =
                    TimeSeries::new(spec.name, parts.values, parts.labels, training, sha, source)?;
                match parts.timestamps {
                    Some(t) => ts.with_timestamps(t)?,
                    None => ts,
                }
            }
            SeriesLayout::Nab { data } => {
                let windows_file = &series_catalog::NAB_WINDOWS;
                let windows = formats::series::parse_nab_windows(
                    &self.fetch_file(windows_file)?,
                    Path::new(windows_file.path),
                )?;
                let key = data.path.strip_prefix("nab/data/").unwrap_or(data.path);
                let own = windows.get(key).map(Vec::as_slice).unwrap_or(&[]);
                let parts =
                    formats::series::read_nab(&self.fetch_file(data)?, Path::new(data.path), own)?;
                let ts = TimeSeries::new(
                    spec.name,
                    parts.values,
                    parts.labels,
                    Training::None,
                    combined_sha(&[data, windows_file]),
                    source,
                )?;
                match parts.timestamps {
                    Some(t) => ts.with_timestamps(t)?,
                    None => ts,
                }
            }
            SeriesLayout::Mat { file, x_key, y_key } => {
                let bytes = self.fetch_file(file)?;
                let (x, y) = formats::mat::read_vars(&bytes, Path::new(file.path), x_key, y_key)?;
                let labels = Dataset::labels_from_f64(spec.name, &y)?;
                TimeSeries::new(
                    spec.name,
                    x,
                    Some(labels),
                    Training::None,
                    file.sha256,
                    source,
                )?
            }
        };
        let got = (
            series.len(),
            series.n_channels(),
            series.n_anomalous_points(),
        );
        let want = (spec.n_points, spec.n_channels, spec.n_anomalous_points);
        if got != want {
            return Err(DataError::Shape {
                dataset: spec.name.to_string(),
                message: format!(
                    "read {} points × {} channels with {} anomalous points, but the catalog registers {} × {} with {}",
                    got.0, got.1, got.2, want.0, want.1, want.2
                ),
            });
        }
        Ok(series)
    }

    /// The verified bytes of `file`: from the cache, else the mirror, else a
    /// download into the cache. A corrupt cached copy is deleted and reported
    /// ([`DataError::Hash`]); loading again re-fetches it. A corrupt mirror
    /// copy is reported and nothing is cached. Without a copy and with
    /// downloads disabled: [`DataError::NotAvailable`] listing what was tried.
    pub fn fetch_file(&self, file: &FileSpec) -> Result<Vec<u8>, DataError> {
        let mut tried = Vec::new();
        let cache_path = self.cache_path(file);
        fetch::clear_stale_temps(&cache_path);
        if let Some(bytes) = fetch::read_cached(&cache_path, file)? {
            return Ok(bytes);
        }
        tried.push(format!("cache {} (absent)", cache_path.display()));

        match &self.mirror {
            Some(mirror) => {
                let mirror_path = join_rel(mirror, file.path);
                if let Some(bytes) = fetch::read_mirror(&mirror_path, file)? {
                    return Ok(bytes);
                }
                tried.push(format!("mirror {} (absent)", mirror_path.display()));
            }
            None => tried.push("no mirror configured (ANML_DATA_MIRROR)".to_string()),
        }

        if !self.allow_download {
            tried.push("downloads disabled (ANML_OFFLINE)".to_string());
            return Err(DataError::NotAvailable {
                file: file.path.to_string(),
                tried: tried.join("; "),
            });
        }
        let url = match &self.download_base {
            Some(base) => format!("{base}/{}", file.path),
            None => file.url.to_string(),
        };
        fetch::download(&fetch::agent(), &url, &cache_path, file)
    }
}

/// Check an `ANML_DATA_URL` value: unset or empty is `None`; otherwise it
/// must be an `http://` or `https://` URL.
fn download_base_from(value: Option<OsString>) -> Result<Option<String>, DataError> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = v.to_string_lossy().trim().to_string();
    let lower = text.to_ascii_lowercase();
    let has_host = ["http://", "https://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
    if !has_host {
        return Err(DataError::Download {
            url: text,
            message: "ANML_DATA_URL must be an http:// or https:// URL (the files are fetched from {ANML_DATA_URL}/odds/NAME.mat and so on)".to_string(),
        });
    }
    Ok(Some(text))
}

/// A series read from several files is fingerprinted by the SHA-256 of its
/// files' `path sha256` lines, so a change to any of them changes it.
fn combined_sha(files: &[&FileSpec]) -> String {
    let lines: String = files
        .iter()
        .map(|f| format!("{} {}\n", f.path, f.sha256))
        .collect();
    crate::hashing::sha256_hex(lines.as_bytes())
}

/// The UCR convention: the training file is the first points of the test
/// file. Anything else means the files do not belong together.
fn check_prefix(
    name: &str,
    test: &formats::series::SeriesParts,
    train: &formats::series::SeriesParts,
) -> Result<(), DataError> {
    let n = train.values.nrows();
    let fits = n < test.values.nrows()
        && train.values.ncols() == test.values.ncols()
        && test.values.slice(ndarray::s![..n, ..]) == train.values;
    if fits {
        Ok(())
    } else {
        Err(DataError::Shape {
            dataset: name.to_string(),
            message: format!("the training file ({n} points) is not a prefix of the test file"),
        })
    }
}

/// The closest registered series names, as a hint.
fn series_hint(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let tail = lower.rsplit('/').next().unwrap_or(&lower);
    let close: Vec<String> = series_catalog::SERIES
        .iter()
        .filter(|s| s.name.to_ascii_lowercase().contains(tail))
        .take(3)
        .map(|s| format!("`{}`", s.name))
        .collect();
    if close.is_empty() {
        "; `anml series` lists the registered series".to_string()
    } else {
        format!("; did you mean {}?", close.join(", "))
    }
}

/// `<user cache dir>/anml/datasets`, or `./.anml-cache`.
fn default_cache_dir() -> PathBuf {
    dirs::cache_dir()
        .map(|d| d.join("anml").join("datasets"))
        .unwrap_or_else(|| PathBuf::from(".anml-cache"))
}

/// Join a catalog path (always `/`-separated) onto `base`.
fn join_rel(base: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .fold(base.to_path_buf(), |p, part| p.join(part))
}

/// The hash pins the bytes, so a shape different from the catalog's means a
/// reader bug; refuse rather than benchmark on a mis-read dataset.
fn check_shape(spec: &DatasetSpec, ds: &Dataset) -> Result<(), DataError> {
    let got = (ds.n_samples(), ds.n_features(), ds.n_anomalies());
    let want = (spec.n_samples, spec.n_features, spec.n_anomalies);
    if got == want {
        Ok(())
    } else {
        Err(DataError::Shape {
            dataset: spec.name.to_string(),
            message: format!(
                "read {} × {} with {} anomalies, but the catalog registers {} × {} with {}",
                got.0, got.1, got.2, want.0, want.1, want.2
            ),
        })
    }
}

/// `"; did you mean `a`, `b`?"` for the closest registered names, or a
/// pointer to the list.
fn suggestion_hint(name: &str) -> String {
    let close = closest_names(name, 3);
    if close.is_empty() {
        "; `anml datasets` lists the registered names".to_string()
    } else {
        let quoted: Vec<String> = close.iter().map(|n| format!("`{n}`")).collect();
        format!("; did you mean {}?", quoted.join(", "))
    }
}

/// Up to `max` registered names closest to `query` by edit distance
/// (adjacent transpositions count once), comparing case-insensitively with
/// both the full name and the name without its `adbench/` prefix.
pub fn closest_names(query: &str, max: usize) -> Vec<&'static str> {
    let lowered = query.trim().to_lowercase();
    let wants_adbench = lowered.starts_with("adbench/");
    let q = lowered.strip_prefix("adbench/").unwrap_or(&lowered);
    if q.is_empty() {
        return Vec::new();
    }
    let limit = (q.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &'static str)> = catalog::DATASETS
        .iter()
        .filter_map(|s| {
            let short = s.name.strip_prefix("adbench/").unwrap_or(s.name);
            let dist = edit_distance(q, short);
            (dist <= limit).then_some((dist, s.name))
        })
        .collect();
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(collection_rank(a.1, wants_adbench).cmp(&collection_rank(b.1, wants_adbench)))
            .then(a.1.cmp(b.1))
    });
    scored.into_iter().take(max).map(|(_, n)| n).collect()
}

/// Among equally close names, the query's collection first: ADBench if it
/// was written with the `adbench/` prefix, ODDS and built-in otherwise.
fn collection_rank(name: &str, wants_adbench: bool) -> u8 {
    let is_adbench = catalog::find(name).is_some_and(|s| s.collection == Collection::Adbench);
    u8::from(is_adbench != wants_adbench)
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("cardoi", "cardio"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest_names("cardoi", 3).first(), Some(&"cardio"));
        assert!(closest_names("cardoi", 3).contains(&"adbench/cardio"));
        assert_eq!(closest_names("adbench/cardoi", 1), vec!["adbench/cardio"]);
        assert_eq!(closest_names("6_cardio", 1), vec!["cardio"]);
        assert_eq!(closest_names("magic.gama", 1), vec!["adbench/magic.gamma"]);
        assert_eq!(closest_names("toy-blob", 1), vec!["toy-blobs"]);
        assert!(closest_names("zzzzzzzzzzzzzz", 3).is_empty());
        assert!(suggestion_hint("zzzzzzzzzzzzzz").contains("anml datasets"));
        assert!(suggestion_hint("cardoi").contains("did you mean `cardio`"));
    }

    #[test]
    fn unknown_name_error() {
        let reg = DatasetRegistry::new(PathBuf::from("/nonexistent")).with_download(false);
        match reg.load("cardoi") {
            Err(DataError::UnknownDataset { name, hint }) => {
                assert_eq!(name, "cardoi");
                assert!(hint.contains("`cardio`"), "{hint}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn builtin_needs_no_disk() {
        let reg = DatasetRegistry::new(PathBuf::from("/nonexistent/cache")).with_download(false);
        let ds = reg.load("toy-blobs").unwrap();
        assert_eq!(ds.n_samples(), 1000);
        assert!(reg.is_cached(catalog::find("toy-blobs").unwrap()));
        assert!(!Path::new("/nonexistent/cache").exists());
    }

    #[test]
    fn configuration_from_variables() {
        let mirror = tempfile::tempdir().unwrap();
        let vars = |pairs: &[(&str, &str)]| {
            let map: std::collections::HashMap<String, OsString> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            move |key: &str| map.get(key).cloned()
        };
        let m = mirror.path().to_str().unwrap();
        let reg = DatasetRegistry::from_lookup(vars(&[
            ("ANML_DATA_DIR", "/data/cache"),
            ("ANML_DATA_MIRROR", m),
            ("ANML_OFFLINE", "1"),
        ]))
        .unwrap();
        assert_eq!(reg.cache_dir(), Path::new("/data/cache"));
        assert_eq!(reg.mirror(), Some(mirror.path()));
        assert!(!reg.downloads_allowed());

        let reg = DatasetRegistry::from_lookup(vars(&[("ANML_OFFLINE", "0")])).unwrap();
        assert!(reg.downloads_allowed());
        assert!(reg.mirror().is_none());
        assert_eq!(reg.cache_dir(), default_cache_dir());
        assert!(
            reg.cache_dir().ends_with("anml/datasets")
                || reg.cache_dir() == Path::new(".anml-cache")
        );

        let reg = DatasetRegistry::from_lookup(vars(&[("ANML_OFFLINE", "yes")])).unwrap();
        assert!(!reg.downloads_allowed());

        let reg =
            DatasetRegistry::from_lookup(vars(&[("ANML_DATA_URL", "http://10.0.0.1:8080/anml/")]))
                .unwrap();
        assert_eq!(
            reg.download_base.as_deref(),
            Some("http://10.0.0.1:8080/anml")
        );
        let reg = DatasetRegistry::from_lookup(vars(&[("ANML_DATA_URL", "")])).unwrap();
        assert!(reg.download_base.is_none());
        for bad in ["ftp://x", "/some/dir", "http://", "mirror.example.org"] {
            match DatasetRegistry::from_lookup(vars(&[("ANML_DATA_URL", bad)])) {
                Err(e @ DataError::Download { .. }) => {
                    assert!(e.to_string().contains("ANML_DATA_URL"), "{e}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }

        let missing = DatasetRegistry::from_lookup(vars(&[("ANML_DATA_MIRROR", "/no/such/dir")]));
        match missing {
            Err(e @ DataError::Io { .. }) => assert!(e.to_string().contains("ANML_DATA_MIRROR")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn builder_and_paths() {
        let reg = DatasetRegistry::new(PathBuf::from("c"))
            .with_mirror(Some(PathBuf::from("m")))
            .with_download(false)
            .with_download_base(Some("http://h/".to_string()));
        assert_eq!(reg.mirror(), Some(Path::new("m")));
        assert!(!reg.downloads_allowed());
        assert_eq!(reg.download_base.as_deref(), Some("http://h"));
        let file = catalog::find("cardio").and_then(|s| s.file).unwrap();
        assert_eq!(
            reg.cache_path(&file),
            Path::new("c").join("odds").join("cardio.mat")
        );
        assert_eq!(reg.specs().len(), catalog::DATASETS.len());
    }
}
