//! Atomic file writes: write a temp file beside the target, fsync, rename,
//! fsync the directory. A reader sees the old file or the new one, never a
//! half-written one.
//!
//! Temp files are named `.{target}.tmp-{pid}-{n}.{host}` and held under an
//! exclusive `flock` while they are written. A process killed mid-write
//! (`kill -9`, power loss, a full disk that kills it) leaves its temp file
//! behind; the first write of a later process into the same directory
//! removes such leftovers ([`remove_stale_temps`]): a temp file is stale when
//! nobody holds its lock *and* its writer is known to be gone: written on
//! this host by a pid that is no longer a live process here, or written on
//! another host more than [`STALE_ELSEWHERE`] ago. So a live writer's file is
//! never taken from under it, even by a process on another node of a
//! cluster sharing the directory over NFS or Lustre without working locks
//! (where `flock` is node-local or missing: then the file is written
//! without a lock, and the host and age rules alone decide).
//! [`crate::data::fetch`] names and locks its download temp files the same
//! way and uses the same cleanup.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// How old a temp file written on another host must be before it counts
/// as left behind (its writer's pid cannot be checked from here).
pub const STALE_ELSEWHERE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// This host's name as temp file names carry it: ASCII letters, digits,
/// `.`, `-` and `_` (anything else becomes `_`); empty when unknown.
fn host_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        let mut buf = [0u8; 256];
        #[cfg(unix)]
        // SAFETY: the buffer is valid for its length; the name is read up
        // to its NUL (or the buffer's end) below.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        #[cfg(not(unix))]
        let rc = -1;
        if rc != 0 {
            return String::new();
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end])
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    })
}

/// Whether an error from `flock` means the filesystem has no locks (Lustre
/// mounted without `flock`, NFS without a lock manager), not a conflict.
fn locks_unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported
        || matches!(
            e.raw_os_error(),
            Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) | Some(libc::ENOLCK) | Some(libc::EINVAL)
        )
}

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

/// Create and lock a fresh temp file `.{name}.tmp-{pid}-{n}.{host}` in
/// `dir` (never reusing a name). The lock lives as long as the returned
/// handle; on a filesystem without locks the file is used unlocked.
pub fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let host = match host_tag() {
        "" => String::new(),
        h => format!(".{h}"),
    };
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}.tmp-{pid}-{n}{host}"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                if let Err(e) = file.lock()
                    && !locks_unsupported(&e)
                {
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

/// Block until this process holds an exclusive `flock` on `path` (created
/// if absent, never truncated); the lock lasts as long as the returned
/// handle and the kernel drops it when the process dies, so a `kill -9`
/// never leaves it held. For read-modify-write of a shared file.
pub fn lock_path(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.lock()?;
    Ok(file)
}

/// fsync a directory (best effort), so a rename inside it is durable.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Who wrote a temp file, from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempOwner {
    pub pid: u32,
    /// The writer's host; `None` in names from before anml recorded it
    /// (those count as this host's).
    pub host: Option<String>,
}

/// The writer of `name` if it is one of our temp file names
/// (`.{target}.tmp-{pid}-{n}`, optionally followed by `.{host}`).
pub fn temp_owner(name: &str) -> Option<TempOwner> {
    let rest = name.strip_prefix('.')?;
    let (target, tail) = rest.rsplit_once(".tmp-")?;
    let (pid, rest) = tail.split_once('-')?;
    let (n, host) = match rest.split_once('.') {
        Some((n, h)) if !h.is_empty() => (n, Some(h.to_string())),
        Some(_) => return None,
        None => (rest, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if target.is_empty() || !digits(pid) || !digits(n) {
        return None;
    }
    Some(TempOwner {
        pid: pid.parse().ok()?,
        host,
    })
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
        let Some(owner) = temp_owner(&name.to_string_lossy()) else {
            continue;
        };
        let here = owner.host.as_deref().is_none_or(|h| h == host_tag());
        if here && process_alive(owner.pid) {
            continue;
        }
        let path = entry.path();
        // A live writer (here or on another host sharing the directory)
        // holds the lock; where the filesystem has no locks, the host and
        // age rules alone decide.
        let held = match File::open(&path) {
            Ok(f) => matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => false,
        };
        if held {
            continue;
        }
        if !here {
            // another host's writer: its pid means nothing here
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_ELSEWHERE);
            if !old {
                continue;
            }
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
        let owner = |pid, host: Option<&str>| {
            Some(super::TempOwner {
                pid,
                host: host.map(String::from),
            })
        };
        assert_eq!(super::temp_owner(".out.json.tmp-123-4"), owner(123, None));
        assert_eq!(super::temp_owner(".a.tmp-b.tmp-7-0"), owner(7, None));
        assert_eq!(
            super::temp_owner(".r.json.tmp-9-2.node-07.cluster"),
            owner(9, Some("node-07.cluster"))
        );
        for not_ours in [
            ".x.tmp-1-2.",
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

    /// A temp file written on another node (a cluster's shared store): its
    /// pid means nothing here, so only its lock and its age count.
    #[test]
    fn another_hosts_temp_file_is_kept_until_it_is_old() {
        let dir = tempfile::tempdir().unwrap();
        let other = format!("{}-other", super::host_tag());
        let fresh = dir.path().join(format!(".a.json.tmp-4294967295-0.{other}"));
        let old = dir.path().join(format!(".b.json.tmp-4294967295-1.{other}"));
        let locked_old = dir.path().join(format!(".c.json.tmp-4294967295-2.{other}"));
        for p in [&fresh, &old, &locked_old] {
            std::fs::write(p, b"x").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - super::STALE_ELSEWHERE * 2;
        for p in [&old, &locked_old] {
            let f = std::fs::File::options().write(true).open(p).unwrap();
            f.set_modified(long_ago).unwrap();
        }
        let guard = std::fs::File::open(&locked_old).unwrap();
        guard.lock().unwrap();
        // ours, from a dead pid on this host: removed at once
        let ours_dead = dir
            .path()
            .join(format!(".d.json.tmp-4294967295-3.{}", super::host_tag()));
        std::fs::write(&ours_dead, b"x").unwrap();
        assert_eq!(super::remove_stale_temps(dir.path()).unwrap(), 2);
        assert!(fresh.exists() && locked_old.exists());
        assert!(!old.exists() && !ours_dead.exists());
        // and this process names its own temp files with its host
        let (tmp, _f) = super::create_temp(dir.path(), "e.json").unwrap();
        let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        let owner = super::temp_owner(&name).unwrap();
        assert_eq!(owner.pid, std::process::id());
        assert_eq!(owner.host.as_deref(), Some(super::host_tag()));
        assert!(!super::host_tag().is_empty());
    }
}
