//! Integration tests of the dataset registry: every registered file loads
//! from the shared mirror with its catalogued shape, hashes are enforced on
//! every path (cache, mirror, download), downloads are atomic, and malformed
//! files give useful format errors.
//!
//! The mirror is `ANML_DATA_MIRROR`, else `../shared/datasets` next to the
//! crate. Each test uses its own temporary cache directory; the download
//! tests run a tiny HTTP/1.1 server on 127.0.0.1.

use anml::data::catalog::{self, Collection, DatasetSpec, FileSpec, Format};
use anml::data::formats;
use anml::data::toy::{ToyBlobsParams, toy_blobs};
use anml::data::{DataError, DatasetRegistry};
use anml::hashing::sha256_hex;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn mirror_dir() -> PathBuf {
    let dir = std::env::var_os("ANML_DATA_MIRROR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "dataset mirror not found at {}; set ANML_DATA_MIRROR to the shared datasets directory",
        dir.display()
    );
    dir
}

fn spec(name: &str) -> &'static DatasetSpec {
    catalog::find(name).unwrap_or_else(|| panic!("{name} is registered"))
}

fn file_of(name: &str) -> FileSpec {
    spec(name).file.expect("dataset has a file")
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// A temporary mirror holding copies of the named datasets' files,
/// optionally with one byte flipped.
fn temp_mirror(names: &[&str], corrupt: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = mirror_dir();
    for name in names {
        let file = file_of(name);
        let mut bytes = fs::read(source.join(file.path)).unwrap();
        if corrupt {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x01;
        }
        let target = dir.path().join(file.path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, bytes).unwrap();
    }
    dir
}

#[test]
fn every_registered_file_loads_from_the_mirror_with_its_catalogued_shape() {
    let cache = tempfile::tempdir().unwrap();
    let registry = DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror_dir()))
        .with_download(false);
    let mut loaded = 0;
    for spec in registry.specs() {
        let ds = registry
            .load(spec.name)
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        assert_eq!(
            (ds.n_samples(), ds.n_features(), ds.n_anomalies()),
            (spec.n_samples, spec.n_features, spec.n_anomalies),
            "{}",
            spec.name
        );
        assert_eq!(ds.name, spec.name);
        assert_eq!(ds.source, spec.collection.name());
        assert!(ds.x.is_standard_layout(), "{}", spec.name);
        if let Some(file) = &spec.file {
            assert_eq!(ds.sha256, file.sha256, "{}", spec.name);
            loaded += 1;
        }
    }
    assert_eq!(loaded, 60);
    // Mirror hits are used in place: nothing was copied into the cache.
    assert!(files_under(cache.path()).is_empty());
}

#[test]
fn odds_and_adbench_copies_of_a_dataset_agree() {
    // ODDS cardio.mat and ADBench 6_cardio.npz are the same 1831 × 21 data,
    // stored column-major in two formats; both must read identically.
    let cache = tempfile::tempdir().unwrap();
    let registry = DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror_dir()))
        .with_download(false);
    let odds = registry.load("cardio").unwrap();
    let adbench = registry.load("adbench/cardio").unwrap();
    let max_diff = (&odds.x - &adbench.x)
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_diff < 1e-6, "max |Δ| = {max_diff}");
    assert_eq!(odds.y, adbench.y);
}

const ODDS_URL: &str = "https://raw.githubusercontent.com/yzhao062/pyod/34f7996effac700a5166d882d5e94c6e6078fae3/notebooks/data/NAME.mat";
const ADBENCH_URL: &str = "https://raw.githubusercontent.com/Minqi824/ADBench/3dac8221081e190f157d78e93bfa8867f90d0965/adbench/datasets/Classical/FILE.npz";

#[test]
fn catalog_matches_the_manifest() {
    let manifest = fs::read_to_string(mirror_dir().join("MANIFEST.md")).unwrap();
    assert!(
        manifest.contains(ODDS_URL),
        "ODDS URL pattern differs from the MANIFEST"
    );
    assert!(
        manifest.contains(ADBENCH_URL),
        "ADBench URL pattern differs from the MANIFEST"
    );
    let mut rows = 0;
    for line in manifest.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | file | bytes | n | d | n_anom | %anom | dtype | sha256 |
        if cells.len() != 10 || !(cells[1].starts_with("odds/") || cells[1].starts_with("adbench/"))
        {
            continue;
        }
        let path = cells[1];
        let spec = catalog::DATASETS
            .iter()
            .find(|s| s.file.is_some_and(|f| f.path == path))
            .unwrap_or_else(|| panic!("{path} is not registered"));
        let file = spec.file.unwrap();
        assert_eq!(file.bytes.to_string(), cells[2], "{path} bytes");
        assert_eq!(spec.n_samples.to_string(), cells[3], "{path} n");
        assert_eq!(spec.n_features.to_string(), cells[4], "{path} d");
        assert_eq!(spec.n_anomalies.to_string(), cells[5], "{path} anomalies");
        assert_eq!(file.sha256, cells[8], "{path} sha256");
        let stem = Path::new(path).file_stem().unwrap().to_str().unwrap();
        let expected_url = if path.starts_with("odds/") {
            assert_eq!(spec.collection, Collection::Odds);
            assert_eq!(file.format, Format::Mat);
            ODDS_URL.replace("NAME", stem)
        } else {
            assert_eq!(spec.collection, Collection::Adbench);
            assert_eq!(file.format, Format::Npz);
            ADBENCH_URL.replace("FILE", stem)
        };
        assert_eq!(file.url, expected_url, "{path} url");
        // The files in the mirror really are what the MANIFEST says.
        let bytes = fs::read(mirror_dir().join(path)).unwrap();
        assert_eq!(bytes.len() as u64, file.bytes, "{path} size on disk");
        assert_eq!(sha256_hex(&bytes), file.sha256, "{path} hash on disk");
        rows += 1;
    }
    assert_eq!(rows, 60);
}

#[test]
fn corrupted_mirror_copy_is_a_hash_error_and_nothing_is_cached() {
    let mirror = temp_mirror(&["lympho"], true);
    let cache = tempfile::tempdir().unwrap();
    let registry = DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror.path().to_path_buf()))
        .with_download(false);
    let file = file_of("lympho");
    let corrupt = fs::read(mirror.path().join(file.path)).unwrap();
    match registry.load("lympho") {
        Err(DataError::Hash(h)) => {
            assert_eq!(h.expected, file.sha256);
            assert_eq!(h.actual, sha256_hex(&corrupt));
            assert_ne!(h.expected, h.actual);
            assert!(h.file.contains("lympho.mat"), "{}", h.file);
        }
        other => panic!("expected a hash error, got {other:?}"),
    }
    assert_eq!(
        fs::read_dir(cache.path()).unwrap().count(),
        0,
        "cache must stay empty"
    );
    // The mirror is read-only: the corrupt copy is still there.
    assert!(mirror.path().join(file.path).exists());
}

#[test]
fn corrupted_cache_copy_is_reported_removed_and_then_repaired() {
    let cache = temp_mirror(&["glass"], true); // a cache laid out like a mirror
    let file = file_of("glass");
    let cached = cache.path().join(file.path);
    let registry = DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror_dir()))
        .with_download(false);
    assert!(
        registry.is_cached(spec("glass")),
        "same size counts as cached"
    );
    match registry.load("glass") {
        Err(DataError::Hash(h)) => {
            assert_eq!(h.expected, file.sha256);
            assert!(h.file.contains("deleted"), "{}", h.file);
        }
        other => panic!("expected a hash error, got {other:?}"),
    }
    assert!(!cached.exists(), "corrupt cached copy removed");
    assert!(!registry.is_cached(spec("glass")));
    // Loading again falls through to the mirror.
    let ds = registry.load("glass").unwrap();
    assert_eq!(ds.sha256, file.sha256);
}

#[test]
fn a_good_cache_copy_needs_no_mirror_or_network() {
    let cache = temp_mirror(&["wbc"], false);
    let registry = DatasetRegistry::new(cache.path().to_path_buf()).with_download(false);
    let ds = registry.load("wbc").unwrap();
    assert_eq!(ds.n_samples(), spec("wbc").n_samples);
    assert!(registry.is_cached(spec("wbc")));
}

#[test]
fn offline_without_a_copy_is_not_available() {
    let cache = tempfile::tempdir().unwrap();
    let registry = DatasetRegistry::new(cache.path().to_path_buf()).with_download(false);
    match registry.load("cardio") {
        Err(DataError::NotAvailable { file, tried }) => {
            assert_eq!(file, "odds/cardio.mat");
            assert!(
                tried.contains(&cache.path().join("odds").display().to_string()),
                "{tried}"
            );
            assert!(tried.contains("no mirror"), "{tried}");
            assert!(tried.contains("downloads disabled"), "{tried}");
        }
        other => panic!("expected NotAvailable, got {other:?}"),
    }
    // With an empty mirror configured, the mirror path is listed too.
    let empty_mirror = tempfile::tempdir().unwrap();
    let registry = registry.with_mirror(Some(empty_mirror.path().to_path_buf()));
    match registry.load("adbench/wine") {
        Err(DataError::NotAvailable { tried, .. }) => {
            assert!(tried.contains("45_wine.npz"), "{tried}");
            assert!(
                tried.contains(&empty_mirror.path().display().to_string()),
                "{tried}"
            );
        }
        other => panic!("expected NotAvailable, got {other:?}"),
    }
    assert!(files_under(cache.path()).is_empty());
}

#[test]
fn unknown_name_suggests_the_closest() {
    let registry = DatasetRegistry::new(tempfile::tempdir().unwrap().path().to_path_buf());
    match registry.load("cardoi") {
        Err(e @ DataError::UnknownDataset { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("unknown dataset `cardoi`"), "{msg}");
            assert!(msg.contains("did you mean `cardio`"), "{msg}");
        }
        other => panic!("expected UnknownDataset, got {other:?}"),
    }
    match registry.load("magic_gamma") {
        Err(DataError::UnknownDataset { hint, .. }) => {
            assert!(hint.contains("`adbench/magic.gamma`"), "{hint}")
        }
        other => panic!("expected UnknownDataset, got {other:?}"),
    }
}

// ---------------------------------------------------------------- downloads

#[derive(Clone, Copy)]
enum Serve {
    Files,
    Corrupt,
    NotFound,
    Oversized,
}

/// A minimal HTTP/1.1 file server on 127.0.0.1 that counts requests.
struct Server {
    base: String,
    hits: Arc<AtomicUsize>,
}

fn serve(root: PathBuf, mode: Serve) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = respond(&mut stream, &root, mode);
        }
    });
    Server {
        base: format!("http://127.0.0.1:{port}"),
        hits,
    }
}

fn respond(stream: &mut std::net::TcpStream, root: &Path, mode: Serve) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let body = match mode {
        Serve::NotFound => None,
        _ => fs::read(root.join(target.trim_start_matches('/'))).ok(),
    };
    match body {
        None => {
            let msg = b"not found";
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                msg.len()
            )?;
            stream.write_all(msg)?;
        }
        Some(mut bytes) => {
            match mode {
                Serve::Corrupt => {
                    let mid = bytes.len() / 2;
                    bytes[mid] ^= 0x80;
                }
                Serve::Oversized => bytes.extend(std::iter::repeat_n(0u8, 1 << 20)),
                Serve::Files | Serve::NotFound => {}
            }
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            )?;
            stream.write_all(&bytes)?;
        }
    }
    stream.flush()
}

fn downloading_registry(cache: &Path, server: &Server) -> DatasetRegistry {
    DatasetRegistry::new(cache.to_path_buf()).with_download_base(Some(server.base.clone()))
}

#[test]
fn download_lands_in_the_cache_and_is_reused() {
    let origin = temp_mirror(&["lympho", "adbench/wbc"], false);
    let server = serve(origin.path().to_path_buf(), Serve::Files);
    let cache = tempfile::tempdir().unwrap();
    let registry = downloading_registry(cache.path(), &server);

    for (i, name) in ["lympho", "adbench/wbc"].into_iter().enumerate() {
        let file = file_of(name);
        assert!(!registry.is_cached(spec(name)));
        let ds = registry.load(name).unwrap();
        assert_eq!(ds.sha256, file.sha256);
        assert_eq!(ds.n_samples(), spec(name).n_samples);
        assert_eq!(server.hits.load(Ordering::SeqCst), i + 1);
        let cached = cache.path().join(file.path);
        assert_eq!(sha256_hex(&fs::read(&cached).unwrap()), file.sha256);
        assert!(registry.is_cached(spec(name)));

        // Second load: served from the cache, no request.
        let again = registry.load(name).unwrap();
        assert_eq!(again.x, ds.x);
        assert_eq!(server.hits.load(Ordering::SeqCst), i + 1);
    }
    // Only the two final files, no temporaries.
    let mut names: Vec<String> = files_under(cache.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["42_WBC.npz", "lympho.mat"]);
}

#[test]
fn fetch_file_returns_the_verified_bytes() {
    let origin = temp_mirror(&["vertebral"], false);
    let server = serve(origin.path().to_path_buf(), Serve::Files);
    let cache = tempfile::tempdir().unwrap();
    let registry = downloading_registry(cache.path(), &server);
    let file = file_of("vertebral");
    let bytes = registry.fetch_file(&file).unwrap();
    assert_eq!(bytes.len() as u64, file.bytes);
    assert_eq!(sha256_hex(&bytes), file.sha256);
}

#[test]
fn corrupted_download_is_a_hash_error_and_leaves_no_file() {
    let origin = temp_mirror(&["lympho"], false);
    let server = serve(origin.path().to_path_buf(), Serve::Corrupt);
    let cache = tempfile::tempdir().unwrap();
    let registry = downloading_registry(cache.path(), &server);
    let file = file_of("lympho");
    match registry.load("lympho") {
        Err(DataError::Hash(h)) => {
            assert_eq!(h.expected, file.sha256);
            assert_ne!(h.actual, file.sha256);
            assert!(h.file.starts_with(&server.base), "{}", h.file);
        }
        other => panic!("expected a hash error, got {other:?}"),
    }
    assert_eq!(
        files_under(cache.path()),
        Vec::<PathBuf>::new(),
        "no temp or final file"
    );
}

#[test]
fn http_404_is_a_download_error() {
    let origin = tempfile::tempdir().unwrap();
    let server = serve(origin.path().to_path_buf(), Serve::NotFound);
    let cache = tempfile::tempdir().unwrap();
    let registry = downloading_registry(cache.path(), &server);
    match registry.load("glass") {
        Err(e @ DataError::Download { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("404"), "{msg}");
            assert!(msg.contains("odds/glass.mat"), "{msg}");
        }
        other => panic!("expected a download error, got {other:?}"),
    }
    assert!(files_under(cache.path()).is_empty());
}

#[test]
fn oversized_download_is_refused() {
    let origin = temp_mirror(&["lympho"], false);
    let server = serve(origin.path().to_path_buf(), Serve::Oversized);
    let cache = tempfile::tempdir().unwrap();
    let registry = downloading_registry(cache.path(), &server);
    match registry.load("lympho") {
        Err(DataError::Download { message, .. }) => {
            assert!(message.contains("1269"), "{message}")
        }
        other => panic!("expected a download error, got {other:?}"),
    }
    assert!(files_under(cache.path()).is_empty());
}

#[test]
fn unreachable_server_is_a_download_error() {
    // Bind then drop a listener so the port is (almost certainly) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = tempfile::tempdir().unwrap();
    let registry = DatasetRegistry::new(cache.path().to_path_buf())
        .with_download_base(Some(format!("http://127.0.0.1:{port}")));
    assert!(matches!(
        registry.load("glass"),
        Err(DataError::Download { .. })
    ));
    assert!(files_under(cache.path()).is_empty());
}

// ---------------------------------------------------------- malformed files

fn fixture(name: &str) -> (PathBuf, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data")
        .join(name);
    let bytes = fs::read(&path).unwrap();
    (path, bytes)
}

fn format_error(format: Format, fixture_name: &str) -> String {
    let (path, bytes) = fixture(fixture_name);
    match formats::parse(format, &bytes, &path, "fixture") {
        Err(e @ DataError::Format { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(fixture_name), "error names the file: {msg}");
            msg
        }
        other => panic!("{fixture_name}: expected a format error, got {other:?}"),
    }
}

#[test]
fn truncated_mat_is_a_format_error() {
    let msg = format_error(Format::Mat, "truncated-mat.bin");
    assert!(
        msg.contains("malformed MAT file") && msg.contains("truncated"),
        "{msg}"
    );
    // A real file cut short, too.
    let bytes = fs::read(mirror_dir().join("odds/glass.mat")).unwrap();
    let cut = &bytes[..bytes.len() / 2];
    assert!(matches!(
        formats::parse(Format::Mat, cut, Path::new("glass.mat"), "glass"),
        Err(DataError::Format { .. })
    ));
}

#[test]
fn garbage_npz_is_a_format_error() {
    let msg = format_error(Format::Npz, "garbage-npz.bin");
    assert!(
        msg.contains("malformed NPZ file") && msg.contains("zip"),
        "{msg}"
    );
    // A .mat file handed to the NPZ reader.
    let bytes = fs::read(mirror_dir().join("odds/glass.mat")).unwrap();
    assert!(matches!(
        formats::parse(Format::Npz, &bytes, Path::new("glass.npz"), "glass"),
        Err(DataError::Format { .. })
    ));
}

#[test]
fn csv_errors_name_line_and_column() {
    let msg = format_error(Format::Csv, "bad_number.csv");
    assert!(
        msg.contains("line 3, column 2 (`value`)") && msg.contains("`2.x5`"),
        "{msg}"
    );

    let msg = format_error(Format::Csv, "ragged.csv");
    assert!(
        msg.contains("line 3: expected 3 fields") && msg.contains("found 2"),
        "{msg}"
    );

    let msg = format_error(Format::Csv, "no_label.csv");
    assert!(
        msg.contains("no label column") && msg.contains("is_anomaly"),
        "{msg}"
    );

    let empty = formats::parse(Format::Csv, b"", Path::new("empty.csv"), "empty");
    assert!(
        matches!(&empty, Err(DataError::Format { message, .. }) if message.contains("empty file")),
        "{empty:?}"
    );
}

#[test]
fn a_registered_time_series_csv_parses() {
    // The TimeEval-format CSVs in the mirror: timestamp, value, is_anomaly.
    let path = mirror_dir().join("ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv");
    let bytes = fs::read(&path).unwrap();
    let ds = formats::parse_dataset(Format::Csv, &bytes, &path, "ucr135", "test").unwrap();
    assert_eq!(ds.n_samples(), 7501);
    assert_eq!(ds.n_features(), 1);
    assert_eq!(ds.n_anomalies(), 12);
}

// ----------------------------------------------------------------- built-in

#[test]
fn toy_blobs_is_deterministic_with_five_percent_anomalies() {
    let a = toy_blobs(&ToyBlobsParams::default());
    let b = toy_blobs(&ToyBlobsParams::default());
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.x, b.x);
    let other = toy_blobs(&ToyBlobsParams {
        seed: 42,
        ..ToyBlobsParams::default()
    });
    assert_ne!(a.sha256, other.sha256);
    assert_eq!(a.n_samples(), 1000);
    assert_eq!(a.n_anomalies(), 50);
    assert!((a.anomaly_ratio() - 0.05).abs() < 1e-12);

    // The registry's `toy-blobs` is the default version and touches no disk.
    let cache = tempfile::tempdir().unwrap();
    let missing_cache = cache.path().join("never-created");
    let registry = DatasetRegistry::new(missing_cache.clone()).with_download(false);
    let loaded = registry.load("toy-blobs").unwrap();
    assert_eq!(loaded.sha256, a.sha256);
    assert_eq!(loaded.source, "built-in");
    assert!(!missing_cache.exists());
}

// ------------------------------------------------------------------ network

/// Downloads one small file from its real pinned URL. Needs network access,
/// so it only runs with `cargo test -- --ignored`.
#[test]
#[ignore = "needs network access to raw.githubusercontent.com"]
fn real_download_from_the_pinned_url() {
    let cache = tempfile::tempdir().unwrap();
    let registry = DatasetRegistry::new(cache.path().to_path_buf());
    let ds = registry.load("adbench/wbc").unwrap();
    assert_eq!(ds.sha256, file_of("adbench/wbc").sha256);
    assert!(registry.is_cached(spec("adbench/wbc")));
}
