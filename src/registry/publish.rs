//! Publishing without ever showing a half-written version: the registry
//! lock, the staging directory and the final rename.
//!
//! Two facts carry the design. `rename(2)` of a directory is atomic and
//! fails when the target is a non-empty directory, so a version appears
//! complete or not at all and can never be overwritten, even by a process
//! that ignores the lock. And only the holder of `registry/.lock` writes
//! under `registry/.staging/`, so whatever is there while we hold the lock
//! was left by a process that died mid-publish and can be removed.

use super::RegistryError;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) const LOCK_FILE: &str = ".lock";
pub(super) const STAGING_DIR: &str = ".staging";

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError + '_ {
    move |source| RegistryError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The exclusive registry lock; released when dropped (the OS also releases
/// it when the process dies, so a `kill -9` never leaves it held).
pub(super) struct RegistryLock {
    _file: File,
}

impl RegistryLock {
    /// Block until this process holds `root/.lock`.
    pub(super) fn acquire(root: &Path) -> Result<Self, RegistryError> {
        std::fs::create_dir_all(root).map_err(io_err(root))?;
        let path = root.join(LOCK_FILE);
        let file = crate::atomic_file::lock_path(&path).map_err(io_err(&path))?;
        Ok(Self { _file: file })
    }
}

/// Remove everything under `root/.staging`. Call only while holding the
/// lock: then nothing there belongs to a live publish.
pub(super) fn clear_stale_staging(root: &Path) -> Result<usize, RegistryError> {
    let staging = root.join(STAGING_DIR);
    let entries = match std::fs::read_dir(&staging) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err(&staging)(e)),
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry.map_err(io_err(&staging))?.path();
        let result = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        result.map_err(io_err(&path))?;
        removed += 1;
    }
    Ok(removed)
}

/// fsync a directory, so a rename or create inside it survives a crash.
pub(super) fn sync_dir(dir: &Path) -> Result<(), RegistryError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_err(dir))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Write `files` into a fresh staging directory, then rename it to
/// `target` (`root/<name>/<version>`). Fails with
/// [`RegistryError::VersionExists`] when the target already holds a
/// version, and leaves no staging directory behind on any error it sees.
pub(super) fn stage_and_rename(
    root: &Path,
    target: &Path,
    files: &[(&str, &[u8])],
    id: &str,
) -> Result<(), RegistryError> {
    let staging_root = root.join(STAGING_DIR);
    std::fs::create_dir_all(&staging_root).map_err(io_err(&staging_root))?;
    let staging: PathBuf = staging_root.join(format!(
        "{}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&staging).map_err(io_err(&staging))?;
    let result = (|| {
        for (name, bytes) in files {
            write_synced(&staging.join(name), bytes)?;
        }
        sync_dir(&staging)?;
        let parent = target.parent().unwrap_or(root);
        if !parent.exists() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
            sync_dir(root)?;
        }
        match std::fs::rename(&staging, target) {
            Ok(()) => {}
            // ENOTEMPTY / EEXIST: the version is already there.
            Err(e)
                if e.kind() == std::io::ErrorKind::DirectoryNotEmpty
                    || e.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                return Err(RegistryError::VersionExists { id: id.to_string() });
            }
            Err(e) => return Err(io_err(target)(e)),
        }
        sync_dir(parent)
    })();
    if result.is_err() && staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}
