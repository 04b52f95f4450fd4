//! The workspace gate: the only way script-facing code touches files.
//!
//! A workspace is a root directory with `results/` and `registry/` inside it,
//! plus the dataset cache (which may live elsewhere). Paths from scripts are
//! resolved against the root, normalised, and checked after resolving
//! symlinks, so neither `../..`, an absolute path nor a symlink can escape.

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
        if path.is_empty() || path.contains('\0') {
            return Err(WorkspaceError::Invalid(path.to_string()));
        }
        let joined = self.root.join(path);
        let resolved = resolve_existing_prefix(&normalise(&joined));
        if allowed
            .iter()
            .any(|a| resolved.starts_with(a) && resolved != **a)
        {
            Ok(resolved)
        } else {
            Err(WorkspaceError::Escape {
                path: path.to_string(),
                access,
                allowed: allowed
                    .iter()
                    .map(|a| a.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }

    /// A file a script may create: under `results/`. The registry is
    /// written only by the registry itself (`save_model`), so a script can
    /// never overwrite or plant files in a published version.
    pub fn resolve_write(&self, path: &str) -> Result<PathBuf, WorkspaceError> {
        self.resolve(path, &[&self.results], "write")
    }

    /// A file a script may read: under `results/`, `registry/` or the
    /// dataset cache.
    pub fn resolve_read(&self, path: &str) -> Result<PathBuf, WorkspaceError> {
        self.resolve(path, &[&self.results, &self.registry, &self.data], "read")
    }

    /// A `.rhai` module a script may import: anywhere under the root.
    pub fn resolve_module(&self, path: &str) -> Result<PathBuf, WorkspaceError> {
        let with_ext = if path.ends_with(".rhai") {
            path.to_string()
        } else {
            format!("{path}.rhai")
        };
        self.resolve(&with_ext, &[&self.root], "import modules")
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
}
