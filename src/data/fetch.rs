//! Getting a dataset file's bytes, verified, from one place.
//!
//! Why it exists: a result is only as reproducible as the bytes it was
//! computed on. Every source of a file — the local cache, a read-only
//! mirror, an HTTP download — goes through here, and every byte string is
//! SHA-256-checked against the catalog before anything parses it.
//!
//! Downloads stream through the hasher into a temporary file next to the
//! target (`.NAME.tmp-<pid>-<counter>.<host>`, locked while written, named and
//! cleaned up as [`crate::atomic_file`]'s); only when the hash matches is the
//! file fsynced and renamed into place, so the cache never holds a partial
//! or unverified file, even with several processes downloading at once. On
//! any failure the temporary file is deleted; one left by a process killed
//! mid-download is removed by the next process that reads or downloads into
//! that cache directory ([`clear_stale_temps`]).
//!
//! A cached file whose hash no longer matches is deleted when the mismatch
//! is reported, so simply loading again re-fetches a good copy.

use super::catalog::FileSpec;
use super::{DataError, HashError};
use crate::hashing::{StreamHasher, sha256_hex};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Time allowed to open the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for a whole download (the largest registered file is ~3 MB).
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// Bytes read from the network per step.
const CHUNK: usize = 64 * 1024;

/// The most bytes accepted for `file`: its registered size plus a margin
/// (10%, at least 64 KiB). Anything longer cannot match the hash anyway.
pub fn size_cap(file: &FileSpec) -> u64 {
    file.bytes.saturating_add((file.bytes / 10).max(64 * 1024))
}

/// Check `bytes` against `file`'s SHA-256; `origin` names where they came
/// from in the error.
pub fn verify(bytes: &[u8], file: &FileSpec, origin: impl Into<String>) -> Result<(), HashError> {
    let actual = sha256_hex(bytes);
    if actual == file.sha256 {
        Ok(())
    } else {
        Err(HashError {
            file: origin.into(),
            expected: file.sha256.to_string(),
            actual,
        })
    }
}

/// Read `path` whole; `Ok(None)` if it does not exist.
fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, DataError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(DataError::io(path, e)),
    }
}

/// The verified bytes of a cached copy at `path`, or `Ok(None)` if there is
/// none. A copy that fails the hash is deleted and reported as
/// [`DataError::Hash`]; the next load fetches it afresh.
pub fn read_cached(path: &Path, file: &FileSpec) -> Result<Option<Vec<u8>>, DataError> {
    let Some(bytes) = read_if_present(path)? else {
        return Ok(None);
    };
    let origin = path.display().to_string();
    if let Err(mut e) = verify(&bytes, file, origin) {
        e.file = match fs::remove_file(path) {
            Ok(()) => format!(
                "{} (corrupt cached copy deleted; loading again re-fetches it)",
                e.file
            ),
            Err(rm) => format!(
                "{} (corrupt cached copy; deleting it failed: {rm}; delete it by hand)",
                e.file
            ),
        };
        return Err(e.into());
    }
    Ok(Some(bytes))
}

/// The verified bytes of a mirror copy at `path`, or `Ok(None)` if there is
/// none. The mirror is read-only: a copy that fails the hash is reported as
/// [`DataError::Hash`] and left alone, and nothing is cached.
pub fn read_mirror(path: &Path, file: &FileSpec) -> Result<Option<Vec<u8>>, DataError> {
    let Some(bytes) = read_if_present(path)? else {
        return Ok(None);
    };
    verify(&bytes, file, path.display().to_string())?;
    Ok(Some(bytes))
}

/// The HTTP client used for downloads: bounded connect and total time.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(DOWNLOAD_TIMEOUT))
        .user_agent(format!("anml/{}", crate::VERSION))
        .build()
        .into()
}

/// Download `url` into `target` (atomically, see the module docs) and return
/// the verified bytes. Errors: [`DataError::Download`] for network/HTTP
/// failures and oversized bodies, [`DataError::Hash`] if the body's hash
/// differs, [`DataError::Io`] for local file-system failures. On every error
/// no file is left behind.
pub fn download(
    agent: &ureq::Agent,
    url: &str,
    target: &Path,
    file: &FileSpec,
) -> Result<Vec<u8>, DataError> {
    let fail = |message: String| DataError::Download {
        url: url.to_string(),
        message,
    };
    let dir = target.parent().ok_or_else(|| {
        DataError::io(
            target,
            io::Error::other("cache target has no parent directory"),
        )
    })?;
    fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    clear_stale_temps(target);

    let mut response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    let cap = size_cap(file);
    if let Some(len) = response.body().content_length()
        && len > cap
    {
        return Err(fail(format!(
            "server announces {len} bytes; the registered file has {} (limit {cap})",
            file.bytes
        )));
    }
    let mut body = response.body_mut().with_config().limit(cap).reader();

    let mut temp = TempFile::create(dir, file.file_name())?;
    let mut hasher = StreamHasher::new();
    let mut bytes = Vec::with_capacity(usize::try_from(file.bytes.min(cap)).unwrap_or(0));
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(format!("reading the body: {e}"))),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        temp.write_all(chunk)?;
        bytes.extend_from_slice(chunk);
    }
    let actual = hasher.finish_hex();
    if actual != file.sha256 {
        return Err(HashError {
            file: url.to_string(),
            expected: file.sha256.to_string(),
            actual,
        }
        .into());
    }
    temp.persist(target)?;
    Ok(bytes)
}

/// Remove the temp files a process killed mid-download left beside
/// `target` (once per directory and process, best effort; see
/// [`crate::atomic_file::remove_stale_temps`]).
pub fn clear_stale_temps(target: &Path) {
    if let Some(dir) = target.parent() {
        crate::atomic_file::remove_stale_temps_once(dir);
    }
}

/// A temporary file that deletes itself unless persisted.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    /// Create `.NAME.tmp-<pid>-<counter>.<host>` in `dir`, never reusing a name,
    /// locked while this value lives.
    fn create(dir: &Path, name: &str) -> Result<Self, DataError> {
        let (path, file) = crate::atomic_file::create_temp(dir, name)
            .map_err(|e| DataError::io(dir.join(format!(".{name}.tmp-*")), e))?;
        Ok(Self {
            path,
            file: Some(file),
        })
    }

    fn write_all(&mut self, chunk: &[u8]) -> Result<(), DataError> {
        match self.file.as_mut() {
            Some(f) => f.write_all(chunk).map_err(|e| DataError::io(&self.path, e)),
            None => Err(DataError::io(
                &self.path,
                io::Error::other("temporary file already closed"),
            )),
        }
    }

    /// fsync, close and rename onto `target`; then fsync the directory
    /// (best effort) so the rename itself is durable.
    fn persist(mut self, target: &Path) -> Result<(), DataError> {
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(|e| DataError::io(&self.path, e))?;
        }
        fs::rename(&self.path, target).map_err(|e| DataError::io(target, e))?;
        self.path = PathBuf::new();
        if let Some(dir) = target.parent() {
            crate::atomic_file::sync_dir(dir);
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::catalog::Format;

    fn spec_for(bytes: &[u8]) -> FileSpec {
        let sha: &'static str = Box::leak(sha256_hex(bytes).into_boxed_str());
        FileSpec {
            path: "odds/x.mat",
            sha256: sha,
            bytes: bytes.len() as u64,
            url: "http://127.0.0.1:9/none",
            format: Format::Mat,
        }
    }

    #[test]
    fn cap_has_a_margin() {
        let f = spec_for(b"abc");
        assert_eq!(size_cap(&f), 3 + 64 * 1024);
        let big = FileSpec {
            bytes: 10_000_000,
            ..f
        };
        assert_eq!(size_cap(&big), 11_000_000);
    }

    #[test]
    fn cached_copy_verified_and_corrupt_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.mat");
        let f = spec_for(b"good bytes");
        assert!(read_cached(&path, &f).unwrap().is_none());
        fs::write(&path, b"good bytes").unwrap();
        assert_eq!(
            read_cached(&path, &f).unwrap().as_deref(),
            Some(&b"good bytes"[..])
        );
        fs::write(&path, b"bad bytes").unwrap();
        match read_cached(&path, &f) {
            Err(DataError::Hash(h)) => {
                assert!(h.file.contains("deleted"), "{}", h.file);
                assert_eq!(h.expected, f.sha256);
                assert_eq!(h.actual, sha256_hex(b"bad bytes"));
            }
            other => panic!("expected a hash error, got {other:?}"),
        }
        assert!(!path.exists());
    }

    #[test]
    fn mirror_copy_is_never_touched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.mat");
        let f = spec_for(b"good bytes");
        fs::write(&path, b"bad bytes").unwrap();
        assert!(matches!(read_mirror(&path, &f), Err(DataError::Hash(_))));
        assert!(path.exists());
    }

    #[test]
    fn temp_file_is_removed_unless_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = TempFile::create(dir.path(), "a.npz").unwrap();
        t.write_all(b"x").unwrap();
        let name = t.path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".a.npz.tmp-"), "{name}");
        drop(t);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let mut t = TempFile::create(dir.path(), "a.npz").unwrap();
        t.write_all(b"payload").unwrap();
        let target = dir.path().join("a.npz");
        t.persist(&target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"payload");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
