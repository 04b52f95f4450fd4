//! Atomic file writes: write a temp file beside the target, fsync, rename,
//! fsync the directory. A reader sees the old file or the new one, never a
//! half-written one.
//!
//! Temp files are named `.{target}.tmp-{pid}-{n}` and held under an
//! exclusive `flock` while they are written. A process killed mid-write
//! (`kill -9`, power loss, a full disk that kills it) leaves its temp file
//! behind; the first write of a later process into the same directory
//! removes such leftovers ([`remove_stale_temps`]): a temp file is stale when
//! its writer's pid is no longer a live process on this host *and* nobody
//! holds its lock, so a live writer's file is never taken from under it.
//! [`crate::data::fetch`] names and locks its download temp files the same
//! way and uses the same cleanup.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Directories this process has already cleaned of stale temp files.
static SWEPT: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Write `bytes` to `path` atomically, creating parent directories.
///
/// On any error (including a full disk or a file-size limit) the temp file
/// is removed, and `path` keeps its previous content (or stays absent).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    remove_stale_temps_once(dir);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let (tmp, mut f) = create_temp(dir, &name)?;
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir);
        Ok(())
    })();
    drop(f);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Create and lock a fresh temp file `.{name}.tmp-{pid}-{n}` in `dir`
/// (never reusing a name). The lock lives as long as the returned handle.
pub fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}.tmp-{pid}-{n}"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                if let Err(e) = file.lock() {
                    drop(file);
                    let _ = std::fs::remove_file(&path);
                    return Err(e);
                }
                return Ok((path, file));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// fsync a directory (best effort), so a rename inside it is durable.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The writer's pid if `name` is one of our temp file names
/// (`.{target}.tmp-{pid}-{n}`).
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (target, tail) = rest.rsplit_once(".tmp-")?;
    let (pid, n) = tail.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if target.is_empty() || !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
}

/// Whether `pid` is a live process on this host. A number no process can
/// have (0, or past `pid_t`) is not; where the check itself cannot tell,
/// the answer is "alive", so a live writer's file is never removed.
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 performs only the existence and permission check.
        let rc = unsafe { libc::kill(pid, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Remove the temp files in `dir` left by writers that died mid-write (see
/// the module docs); returns how many were removed. A temp file whose
/// writer is alive, or whose lock someone holds, is left alone.
pub fn remove_stale_temps(dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = temp_owner(&name.to_string_lossy()) else {
            continue;
        };
        if process_alive(pid) {
            continue;
        }
        let path = entry.path();
        // A writer on another host sharing the directory holds the lock.
        let unlocked = match File::open(&path) {
            Ok(f) => f.try_lock().is_ok(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => true,
        };
        if !unlocked {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            // another process cleaned it first
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// [`remove_stale_temps`] the first time this process touches `dir`; best
/// effort (a failure to clean never fails the write that triggered it).
pub fn remove_stale_temps_once(dir: &Path) {
    let key = dir.to_path_buf();
    {
        let Ok(mut swept) = SWEPT.lock() else {
            return;
        };
        if !swept.get_or_insert_with(HashSet::new).insert(key) {
            return;
        }
    }
    let _ = remove_stale_temps(dir);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/out.json");
        super::write(&p, b"one").unwrap();
        super::write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let entries: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn temp_names_are_recognised() {
        assert_eq!(super::temp_owner(".out.json.tmp-123-4"), Some(123));
        assert_eq!(super::temp_owner(".a.tmp-b.tmp-7-0"), Some(7));
        for not_ours in [
            "out.json",
            "out.json.tmp-1-2",
            ".tmp-1-2",
            ".x.tmp-1",
            ".x.tmp-a-2",
            ".x.tmp-1-",
            ".x.tmp-1-2-3",
        ] {
            assert_eq!(super::temp_owner(not_ours), None, "{not_ours}");
        }
    }

    /// Regression: a writer killed mid-write left `.NAME.tmp-PID-N` behind
    /// for good; now the next write into the directory removes it, and
    /// leaves a live writer's (or a locked) temp file alone.
    #[test]
    fn a_dead_writers_temp_file_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        // A pid that is certainly dead: a child we started and reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!(".out.json.tmp-{dead}-0"));
        std::fs::write(&stale, b"{\"half").unwrap();
        let mine = dir
            .path()
            .join(format!(".x.tmp-{}-999999", std::process::id()));
        std::fs::write(&mine, b"in use").unwrap();
        // Dead pid but locked (a writer on another host): kept.
        let locked = dir.path().join(format!(".y.tmp-{dead}-1"));
        std::fs::write(&locked, b"remote").unwrap();
        let guard = std::fs::File::open(&locked).unwrap();
        guard.lock().unwrap();
        // No process can have pid 0 or one past pid_t.
        let impossible = dir.path().join(".z.tmp-4294967295-0");
        std::fs::write(&impossible, b"x").unwrap();
        let zero = dir.path().join(".z.tmp-0-0");
        std::fs::write(&zero, b"x").unwrap();
        let unrelated = dir.path().join(".hidden");
        std::fs::write(&unrelated, b"keep").unwrap();

        super::write(&dir.path().join("out.json"), b"{}").unwrap();
        assert!(
            !stale.exists(),
            "stale temp file survived: {:?}",
            names(dir.path())
        );
        assert!(!impossible.exists() && !zero.exists());
        assert!(mine.exists() && locked.exists() && unrelated.exists());
        drop(guard);
        assert_eq!(super::remove_stale_temps(dir.path()).unwrap(), 1);
        assert!(!locked.exists());
        assert_eq!(
            names(dir.path()),
            vec![
                ".hidden".to_string(),
                format!(".x.tmp-{}-999999", std::process::id()),
                "out.json".to_string()
            ]
        );
    }
}
