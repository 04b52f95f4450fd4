//! The workspace gate: the only way script-facing code touches files.
//!
//! A workspace is a root directory with `results/` and `registry/` inside it,
//! plus the dataset cache (which may live elsewhere). Paths from scripts are
//! resolved against the root, normalised, and checked after resolving
//! symlinks, so neither `../..`, an absolute path nor a symlink can escape.
//!
//! Reads go through [`Workspace::read`], which opens the checked path and
//! then checks again that the file it opened is the one the canonical path
//! names now and still lies inside the workspace: a symlink swapped in (at
//! the last component or a parent directory) between the check and the
//! open is refused. A file with several hard links is refused too, since
//! one of its other names may be outside. Writes go through
//! [`Workspace::pin_write`], which holds the target's directory open and
//! writes through it (Linux), and are atomic renames (`atomic_file`), which
//! replace a symlink or hard link at the target instead of writing through
//! it. Paths with control characters, bidi or
//! zero-width format characters, or look-alikes of `.`, `/` and `\\`
//! (fullwidth dots, division slash) are refused outright: they only serve
//! to make a path read differently from what it is.

use std::path::{Component, Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WorkspaceError {
    #[error(
        "sandbox: path `{path}` is outside the workspace; scripts may {access} only under {allowed}"
    )]
    Escape {
        path: String,
        access: &'static str,
        allowed: String,
    },
    #[error("sandbox: invalid path `{0}`")]
    Invalid(String),
    #[error("sandbox: path `{path}` {reason}")]
    Refused { path: String, reason: &'static str },
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("workspace root {path}: {source}")]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    results: PathBuf,
    registry: PathBuf,
    data: PathBuf,
}

/// Lexically remove `.` and resolve `..` (never above the path's root).
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Canonicalise the deepest existing ancestor (resolving symlinks) and
/// re-attach the rest, which does not exist yet and so cannot be a link.
fn resolve_existing_prefix(p: &Path) -> PathBuf {
    let mut existing = p.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.iter().rev() {
        out.push(name);
    }
    out
}

/// A checked write target, pinned to its directory: on Linux the directory
/// is held open and writes go through `/proc/self/fd/N/NAME`, so a parent
/// directory swapped for a symlink after the check cannot redirect them.
#[derive(Debug)]
pub struct PinnedWrite {
    /// The checked path (for messages and return values).
    pub path: PathBuf,
    /// The path to write through while this value lives.
    pub target: PathBuf,
    _dir: Option<std::fs::File>,
}

/// Why `c` may not appear in a script path, if it may not.
fn refused_char(c: char) -> Option<&'static str> {
    match c {
        '\0' => Some("contains a NUL byte"),
        c if c.is_control() => Some("contains a control character"),
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}' => Some("contains an invisible or bidirectional format character"),
        '\u{FF0E}' | '\u{FE52}' | '\u{2024}' | '\u{FF0F}' | '\u{2215}' | '\u{2044}'
        | '\u{29F8}' | '\u{FF3C}' | '\u{2216}' | '\u{29F9}' | '\u{FE68}' => {
            Some("contains a look-alike of `.`, `/` or `\\`")
        }
        _ => None,
    }
}

/// `path` would leave the directories `allowed` for `access`.
fn escape_error(path: &str, access: &'static str, allowed: &[&Path]) -> WorkspaceError {
    WorkspaceError::Escape {
        path: path.to_string(),
        access,
        allowed: allowed
            .iter()
            .map(|a| a.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    true
}

#[cfg(unix)]
fn link_count(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.nlink()
}

#[cfg(not(unix))]
fn link_count(_m: &std::fs::Metadata) -> u64 {
    1
}

impl Workspace {
    /// A workspace rooted at `root` (created if missing) using `data_dir` as
    /// the dataset cache.
    pub fn new(root: &Path, data_dir: &Path) -> Result<Self, WorkspaceError> {
        std::fs::create_dir_all(root).map_err(|source| WorkspaceError::Root {
            path: root.to_path_buf(),
            source,
        })?;
        let root = root.canonicalize().map_err(|source| WorkspaceError::Root {
            path: root.to_path_buf(),
            source,
        })?;
        Ok(Self {
            results: resolve_existing_prefix(&root.join("results")),
            registry: resolve_existing_prefix(&root.join("registry")),
            data: resolve_existing_prefix(&normalise(&std::path::absolute(data_dir).map_err(
                |source| WorkspaceError::Root {
                    path: data_dir.to_path_buf(),
                    source,
                },
            )?)),
            root,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn results_dir(&self) -> &Path {
        &self.results
    }
    pub fn registry_dir(&self) -> &Path {
        &self.registry
    }
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    fn resolve(
        &self,
        path: &str,
        allowed: &[&Path],
        access: &'static str,
    ) -> Result<PathBuf, WorkspaceError> {
        if path.is_empty() {
            return Err(WorkspaceError::Invalid(path.to_string()));
        }
        if let Some(reason) = path.chars().find_map(refused_char) {
            return Err(WorkspaceError::Refused {
                path: path.escape_debug().to_string(),
                reason,
            });
        }
        let joined = self.root.join(path);
        let resolved = resolve_existing_prefix(&normalise(&joined));
        if allowed
            .iter()
            .any(|a| resolved.starts_with(a) && resolved != **a)
        {
            Ok(resolved)
        } else {
            Err(escape_error(path, access, allowed))
        }
    }

    /// A file a script may create: under `results/`. The registry is
    /// written only by the registry itself (`save_model`), so a script can
    /// never overwrite or plant files in a published version. A directory,
    /// a dangling symlink or a file with several hard links at the target
    /// is refused (the atomic rename would replace it, but a script has no
    /// business writing there).
    pub fn resolve_write(&self, path: &str) -> Result<PathBuf, WorkspaceError> {
        let file = self.resolve(path, &[&self.results], "write")?;
        // `resolve` followed every symlink that exists; what is left at the
        // final component is a dangling link or a plain name.
        if let Ok(m) = std::fs::symlink_metadata(&file) {
            let reason = if m.file_type().is_symlink() {
                Some("is a symbolic link")
            } else if m.is_dir() {
                Some("is a directory")
            } else if link_count(&m) > 1 {
                Some("has several hard links (one may be outside the workspace)")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(WorkspaceError::Refused {
                    path: path.to_string(),
                    reason,
                });
            }
        }
        Ok(file)
    }

    /// [`Self::resolve_write`], then pin the target's directory (created
    /// if missing) and check where the held directory really is.
    pub fn pin_write(&self, path: &str) -> Result<PinnedWrite, WorkspaceError> {
        let file = self.resolve_write(path)?;
        let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
            return Err(WorkspaceError::Invalid(path.to_string()));
        };
        let io = |source| WorkspaceError::Io {
            path: path.to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let held = std::fs::File::open(dir).map_err(io)?;
            let fd_path = PathBuf::from(format!("/proc/self/fd/{}", held.as_raw_fd()));
            if let Ok(real) = std::fs::read_link(&fd_path) {
                if !real.starts_with(&self.results) {
                    return Err(WorkspaceError::Escape {
                        path: path.to_string(),
                        access: "write",
                        allowed: self.results.display().to_string(),
                    });
                }
                return Ok(PinnedWrite {
                    target: fd_path.join(name),
                    path: file,
                    _dir: Some(held),
                });
            }
        }
        Ok(PinnedWrite {
            target: file.clone(),
            path: file,
            _dir: None,
        })
    }

    /// The run store file a write to `file` would land in, if it does:
    /// `results/{exp}/runs/NAME` gives `Some(NAME)`.
    pub fn run_store_file<'a>(&self, file: &'a Path) -> Option<&'a str> {
        let rel = file.strip_prefix(&self.results).ok()?;
        let parts: Vec<_> = rel.components().collect();
        match parts.as_slice() {
            [_, Component::Normal(runs), Component::Normal(name)] if *runs == "runs" => {
                name.to_str()
            }
            _ => None,
        }
    }

    /// A file a script may read: under `results/`, `registry/` or the
    /// dataset cache.
    pub fn resolve_read(&self, path: &str) -> Result<PathBuf, WorkspaceError> {
        self.resolve(path, &[&self.results, &self.registry, &self.data], "read")
    }

    /// A `.rhai` module a script may import: anywhere under the root.
    pub fn resolve_module(&self, path: &str) -> Result<PathBuf, WorkspaceError> {
        self.resolve(&Self::module_file(path), &[&self.root], "import modules")
    }

    fn module_file(path: &str) -> String {
        if path.ends_with(".rhai") {
            path.to_string()
        } else {
            format!("{path}.rhai")
        }
    }

    /// Read a file a script may read ([`Self::resolve_read`]): its checked
    /// path and bytes.
    pub fn read(&self, path: &str) -> Result<(PathBuf, Vec<u8>), WorkspaceError> {
        let allowed = [&*self.results, &*self.registry, &*self.data];
        let file = self.resolve(path, &allowed, "read")?;
        let bytes = self.read_checked(path, &file, &allowed, "read")?;
        Ok((file, bytes))
    }

    /// Read a module a script may import ([`Self::resolve_module`]): its
    /// checked path and text.
    pub fn read_module(&self, path: &str) -> Result<(PathBuf, String), WorkspaceError> {
        let with_ext = Self::module_file(path);
        let allowed = [&*self.root];
        let file = self.resolve(&with_ext, &allowed, "import modules")?;
        let bytes = self.read_checked(path, &file, &allowed, "import modules")?;
        let text = String::from_utf8(bytes).map_err(|e| WorkspaceError::Io {
            path: path.to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        Ok((file, text))
    }

    /// Open `file` (already checked), then check that what was opened is
    /// a regular file with one link, and is the file the canonical path
    /// names now, inside `allowed`.
    fn read_checked(
        &self,
        path: &str,
        file: &Path,
        allowed: &[&Path],
        access: &'static str,
    ) -> Result<Vec<u8>, WorkspaceError> {
        use std::io::Read;
        let io = |source| WorkspaceError::Io {
            path: path.to_string(),
            source,
        };
        let escape = || escape_error(path, access, allowed);
        let mut f = std::fs::File::open(file).map_err(io)?;
        let opened = f.metadata().map_err(io)?;
        if !opened.is_file() {
            return Err(WorkspaceError::Refused {
                path: path.to_string(),
                reason: "is not a regular file",
            });
        }
        if link_count(&opened) > 1 {
            return Err(WorkspaceError::Refused {
                path: path.to_string(),
                reason: "has several hard links (one may be outside the workspace)",
            });
        }
        let now = file.canonicalize().map_err(|_| escape())?;
        let inside = allowed.iter().any(|a| now.starts_with(a) && now != **a);
        let same = std::fs::metadata(&now)
            .map(|m| same_file(&m, &opened))
            .unwrap_or(false);
        if !inside || !same {
            return Err(escape());
        }
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(io)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path(), &dir.path().join("cache")).unwrap();
        (dir, ws)
    }

    #[test]
    fn allows_results_writes_and_registry_reads() {
        let (_d, ws) = ws();
        let p = ws.resolve_write("results/exp/a.json").unwrap();
        assert!(p.starts_with(ws.results_dir()));
        assert!(ws.resolve_write("results/../results/x.json").is_ok());
        assert!(ws.resolve_read("registry/m/1.0.0/meta.json").is_ok());
        let err = ws
            .resolve_write("registry/m/1.0.0/model.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("write only under"), "{err}");
    }

    #[test]
    fn rejects_escapes() {
        let (_d, ws) = ws();
        for bad in [
            "/etc/passwd",
            "../../etc/passwd",
            "results/../../x",
            "results/../scripts/x.rhai",
            "results",
            "",
        ] {
            assert!(ws.resolve_write(bad).is_err(), "{bad} should be rejected");
        }
        assert!(ws.resolve_read("/etc/passwd").is_err());
        let msg = ws.resolve_read("/etc/passwd").unwrap_err().to_string();
        assert!(msg.contains("outside the workspace"), "{msg}");
    }

    #[test]
    fn rejects_symlink_escape() {
        let (d, ws) = ws();
        std::fs::create_dir_all(d.path().join("results")).unwrap();
        std::os::unix::fs::symlink("/etc", d.path().join("results/etc")).unwrap();
        assert!(ws.resolve_read("results/etc/passwd").is_err());
    }

    #[test]
    fn a_symlink_swapped_in_after_the_check_is_refused_at_open() {
        let (d, ws) = ws();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.csv"), "a,label\n1,0\n").unwrap();
        std::fs::create_dir_all(d.path().join("results/sub")).unwrap();
        let allowed = [ws.results_dir()];
        // The last component swapped for a link after the check.
        std::fs::write(d.path().join("results/data.csv"), "a,label\n1,0\n").unwrap();
        let checked = ws.resolve_read("results/data.csv").unwrap();
        std::fs::remove_file(&checked).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.csv"), &checked).unwrap();
        let err = ws
            .read_checked("results/data.csv", &checked, &allowed, "read")
            .unwrap_err();
        assert!(matches!(err, WorkspaceError::Escape { .. }), "{err}");
        // A parent directory swapped for a link after the check.
        std::fs::write(d.path().join("results/sub/secret.csv"), "x").unwrap();
        let checked = ws.resolve_read("results/sub/secret.csv").unwrap();
        std::fs::remove_dir_all(d.path().join("results/sub")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("results/sub")).unwrap();
        let err = ws
            .read_checked("results/sub/secret.csv", &checked, &allowed, "read")
            .unwrap_err();
        assert!(matches!(err, WorkspaceError::Escape { .. }), "{err}");
        // Without a swap the same read succeeds.
        std::fs::write(d.path().join("results/ok.csv"), "x").unwrap();
        assert_eq!(ws.read("results/ok.csv").unwrap().1, b"x");
    }

    #[test]
    fn hard_links_and_links_at_the_target_are_refused() {
        let (d, ws) = ws();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.csv");
        std::fs::write(&secret, "x").unwrap();
        std::fs::create_dir_all(d.path().join("results")).unwrap();
        std::fs::hard_link(&secret, d.path().join("results/hl.csv")).unwrap();
        let err = ws.read("results/hl.csv").unwrap_err().to_string();
        assert!(err.contains("hard links"), "{err}");
        let err = ws.resolve_write("results/hl.csv").unwrap_err().to_string();
        assert!(err.contains("hard links"), "{err}");
        std::os::unix::fs::symlink(
            outside.path().join("new.json"),
            d.path().join("results/d.json"),
        )
        .unwrap();
        let err = ws.resolve_write("results/d.json").unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
    }

    #[test]
    fn odd_characters_are_refused() {
        let (_d, ws) = ws();
        for (bad, why) in [
            ("results/a\0b.csv", "NUL"),
            ("results/\u{202E}vsc.csv", "bidirectional"),
            ("results/a\u{200B}.csv", "invisible"),
            ("results/\u{FF0E}\u{FF0E}/x.csv", "look-alike"),
            ("results/a\u{2215}b.csv", "look-alike"),
            ("results/a\nb.csv", "control"),
        ] {
            let err = ws.resolve_write(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
            let err = ws.read(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert!(ws.resolve_write("results/données-ü.json").is_ok());
    }

    #[test]
    fn run_store_files_are_recognised() {
        let (_d, ws) = ws();
        let f = ws.resolve_write("results/exp/runs/abc.json").unwrap();
        assert_eq!(ws.run_store_file(&f), Some("abc.json"));
        let f = ws.resolve_write("results/exp/other.json").unwrap();
        assert_eq!(ws.run_store_file(&f), None);
    }

    #[test]
    fn a_write_lands_in_the_checked_directory_even_if_it_is_swapped_after_the_check() {
        let (d, ws) = ws();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("results/sub")).unwrap();
        let pinned = ws.pin_write("results/sub/r.json").unwrap();
        std::fs::rename(d.path().join("results/sub"), d.path().join("results/old")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("results/sub")).unwrap();
        crate::atomic_file::write(&pinned.target, b"{}").unwrap();
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        assert_eq!(
            std::fs::read(d.path().join("results/old/r.json")).unwrap(),
            b"{}"
        );
        // Pinning a directory that is already a link out is refused.
        let err = ws.pin_write("results/sub/x.json").unwrap_err().to_string();
        assert!(err.contains("outside the workspace"), "{err}");
    }
}
