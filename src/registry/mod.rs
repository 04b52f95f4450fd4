//! The artefact registry: fitted models published under a name and a
//! semantic version, so an experiment can say "score with `fraud@^1.2`"
//! and get exactly the model that was evaluated, with its provenance.
//!
//! Layout, under the workspace's `registry/`:
//!
//! ```text
//! registry/
//!   .lock                    held (flock) by the one process publishing
//!   .staging/<unique>/       a publish in progress (or a dead one's leftovers)
//!   <name>/<version>/
//!     model.json             FittedDetector::to_bytes()
//!     meta.json              ArtefactMeta: provenance + sha256 of model.json
//! ```
//!
//! **Why JSON for the model.** The model file is anml's versioned save
//! format (`format: "anml-model"`, `format_version`): plain data a person
//! can open and read, that loading can never turn into code execution
//! (unlike pickle-style formats), and whose bytes are stable for the same
//! model, so its SHA-256 is a stable identity. A result's
//! `artefact_digest` is that same string, so a result and the registry
//! entry of its model can be matched literally.
//!
//! **Immutability.** A published version never changes. Publishing an
//! existing version is [`RegistryError::VersionExists`]; a bump picks the
//! next free version (see [`VersionChoice::resolve`]).
//!
//! **Integrity.** Loading hashes `model.json` and compares it with the
//! `sha256` in `meta.json` *before* parsing it; a changed file is
//! [`RegistryError::Integrity`] and nothing is loaded. The entry's meta must
//! also name the directory it sits in.
//!
//! **Concurrency and crashes.** A publish holds `registry/.lock` while it
//! chooses the version and writes, writes the files (fsynced) into
//! `registry/.staging/<unique>/`, and renames that directory to
//! `registry/<name>/<version>`, then fsyncs the parent. The rename is atomic
//! and refuses to replace a non-empty directory, so readers (which take no
//! lock) see a version complete or not at all, and a `kill -9` at any point
//! leaves the old state plus, at worst, a staging directory that the next
//! publish removes (see `publish.rs`). Listing and verifying skip `.lock`
//! and `.staging`.

mod meta;
mod publish;
mod version;

pub use meta::{ArtefactMeta, Provenance, now_rfc3339, rfc3339_utc};
pub use version::{Bump, MAX_NAME_LEN, ModelSpec, VersionChoice, validate_name};

use crate::detectors::{DetectorError, FittedDetector, MODEL_FORMAT_VERSION};
use crate::hashing::{sha256_hex, sha256_reader};
use publish::{RegistryLock, clear_stale_staging, io_err, stage_and_rename};
use semver::Version;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// File names inside a version directory.
pub const MODEL_FILE: &str = "model.json";
pub const META_FILE: &str = "meta.json";

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("invalid model name `{name}`: {reason}; names match ^[a-z0-9][a-z0-9_.-]{{0,63}}$")]
    InvalidName { name: String, reason: String },
    #[error("invalid version `{text}`: {message}")]
    InvalidVersion { text: String, message: String },
    #[error(
        "{id} is already published and published versions are immutable; choose another version or a bump (patch, minor, major)"
    )]
    VersionExists { id: String },
    #[error("no model named `{name}` in the registry {registry}; known: {known}")]
    UnknownName {
        name: String,
        registry: PathBuf,
        known: String,
    },
    #[error("no version of `{name}` matches `{req}`; available: {available}")]
    NoMatch {
        name: String,
        req: String,
        available: String,
    },
    #[error(
        "integrity error in {id}: {path} has digest {found} but meta.json records {expected}; the file changed after publishing, nothing was loaded"
    )]
    Integrity {
        id: String,
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{id}: missing {path}")]
    MissingFile { id: String, path: PathBuf },
    #[error("{id}: unreadable {path}: {message}")]
    BadMeta {
        id: String,
        path: PathBuf,
        message: String,
    },
    #[error("{id}: {message}")]
    Mismatch { id: String, message: String },
    #[error("{path} is not a registry entry (expected registry/<name>/<version>/)")]
    NotAnEntry { path: PathBuf },
    /// A symbolic link inside the registry: never followed (its target
    /// is not a published entry, whatever it holds).
    #[error("{path} is a symbolic link; the registry holds only real files and directories")]
    Symlink { path: PathBuf },
    #[error("{id}: cannot load {MODEL_FILE}: {source}")]
    Model {
        id: String,
        #[source]
        source: DetectorError,
    },
    #[error("cannot serialise the model: {0}")]
    Serialise(#[source] DetectorError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What `verify` found: the entries that checked out and the problems.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// `name@version` of every good entry.
    pub ok: Vec<String>,
    /// One error per bad entry (each names the entry).
    pub problems: Vec<RegistryError>,
}

/// The registry rooted at a directory (normally `Workspace::registry_dir()`).
#[derive(Debug, Clone)]
pub struct ArtefactRegistry {
    root: PathBuf,
}

/// The directory listing: entries that look like `<name>/<version>` and
/// paths that do not.
struct Scan {
    entries: Vec<(String, Version)>,
    strays: Vec<PathBuf>,
    /// Symbolic links (names or versions), reported and not followed.
    links: Vec<PathBuf>,
}

/// A file of an entry that is a symbolic link is refused, not followed.
fn refuse_link(path: &Path) -> Result<(), RegistryError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(RegistryError::Symlink {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

fn join_or_none<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl ArtefactRegistry {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn entry_dir(&self, name: &str, version: &Version) -> PathBuf {
        self.root.join(name).join(version.to_string())
    }

    /// Publish `fitted` as `name` at the version `choice` picks, with
    /// `provenance`. Returns the written meta.
    pub fn publish(
        &self,
        name: &str,
        fitted: &FittedDetector,
        provenance: &Provenance,
        choice: &VersionChoice,
    ) -> Result<ArtefactMeta, RegistryError> {
        validate_name(name)?;
        // Serialise before taking the lock: the lock covers only the
        // version choice and the writes.
        let model = fitted.to_bytes().map_err(RegistryError::Serialise)?;
        // The same string as `FittedDetector::digest()`.
        let sha256 = format!("sha256:{}", sha256_hex(&model));

        let _lock = RegistryLock::acquire(&self.root)?;
        clear_stale_staging(&self.root)?;
        let existing = self.versions_of(name)?;
        let version = choice.resolve(&existing);
        let id = format!("{name}@{version}");
        if existing.contains(&version) {
            return Err(RegistryError::VersionExists { id });
        }
        let meta = ArtefactMeta {
            name: name.to_string(),
            version: version.clone(),
            detector: fitted.name().to_string(),
            params: fitted.detector().all_params(),
            anml_version: crate::VERSION.to_string(),
            created_at: now_rfc3339(),
            dataset: provenance.dataset.clone(),
            dataset_sha256: provenance.dataset_sha256.clone(),
            split: provenance.split.clone(),
            seed: provenance.seed,
            metrics: provenance.metrics.clone(),
            run_id: provenance.run_id.clone(),
            model_format_version: MODEL_FORMAT_VERSION,
            sha256,
        };
        let mut meta_bytes = serde_json::to_vec_pretty(&meta).map_err(|e| {
            RegistryError::Serialise(DetectorError::Corrupt(format!("meta.json: {e}")))
        })?;
        meta_bytes.push(b'\n');
        stage_and_rename(
            &self.root,
            &self.entry_dir(name, &version),
            &[(MODEL_FILE, &model), (META_FILE, &meta_bytes)],
            &id,
        )?;
        Ok(meta)
    }

    fn scan(&self) -> Result<Scan, RegistryError> {
        let mut scan = Scan {
            entries: Vec::new(),
            strays: Vec::new(),
            links: Vec::new(),
        };
        let names = match std::fs::read_dir(&self.root) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(scan),
            Err(e) => return Err(io_err(&self.root)(e)),
        };
        for n in names {
            let n = n.map_err(io_err(&self.root))?;
            let file_name = n.file_name().to_string_lossy().into_owned();
            // `.lock`, `.staging` and other dot-files are the registry's own.
            if file_name.starts_with('.') {
                continue;
            }
            let path = n.path();
            // `DirEntry::file_type` does not follow links: a link is
            // reported once, never descended into.
            let kind = n.file_type().map_err(io_err(&path))?;
            if kind.is_symlink() {
                scan.links.push(path);
                continue;
            }
            if !kind.is_dir() || validate_name(&file_name).is_err() {
                scan.strays.push(path);
                continue;
            }
            for v in std::fs::read_dir(&path).map_err(io_err(&path))? {
                let v = v.map_err(io_err(&path))?;
                let vname = v.file_name().to_string_lossy().into_owned();
                let vkind = v.file_type().map_err(io_err(&v.path()))?;
                if vkind.is_symlink() {
                    scan.links.push(v.path());
                    continue;
                }
                match Version::parse(&vname) {
                    Ok(version) if vkind.is_dir() && version.to_string() == vname => {
                        scan.entries.push((file_name.clone(), version));
                    }
                    _ => scan.strays.push(v.path()),
                }
            }
        }
        scan.entries.sort();
        scan.strays.sort();
        scan.links.sort();
        Ok(scan)
    }

    /// Every published `(name, version)`, sorted by name then version.
    pub fn entries(&self) -> Result<Vec<(String, Version)>, RegistryError> {
        Ok(self.scan()?.entries)
    }

    /// Names with at least one published version, sorted.
    pub fn names(&self) -> Result<Vec<String>, RegistryError> {
        let mut names: Vec<String> = self.entries()?.into_iter().map(|(n, _)| n).collect();
        names.dedup();
        Ok(names)
    }

    /// The published versions of `name`, ascending (empty if none).
    fn versions_of(&self, name: &str) -> Result<Vec<Version>, RegistryError> {
        let dir = self.root.join(name);
        if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(RegistryError::Symlink { path: dir });
        }
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        let mut out = Vec::new();
        for v in read {
            let v = v.map_err(io_err(&dir))?;
            let vname = v.file_name().to_string_lossy().into_owned();
            if let Ok(version) = Version::parse(&vname)
                && version.to_string() == vname
                && v.file_type().is_ok_and(|t| t.is_dir())
            {
                out.push(version);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The published versions of `name`, ascending.
    pub fn versions(&self, name: &str) -> Result<Vec<Version>, RegistryError> {
        validate_name(name)?;
        self.versions_of(name)
    }

    /// The `(name, version)` a spec (`name`, `name@1.2.3`, `name@^1.2`,
    /// `name@>=1.0, <2`) resolves to: the highest matching version.
    pub fn resolve(&self, spec: &str) -> Result<(String, Version), RegistryError> {
        let spec = ModelSpec::parse(spec)?;
        let versions = self.versions_of(&spec.name)?;
        if versions.is_empty() {
            return Err(RegistryError::UnknownName {
                name: spec.name,
                registry: self.root.clone(),
                known: join_or_none(&self.names()?),
            });
        }
        match spec.best(&versions) {
            Some(v) => Ok((spec.name.clone(), v.clone())),
            None => Err(RegistryError::NoMatch {
                req: spec.req_text.clone(),
                name: spec.name,
                available: join_or_none(&versions),
            }),
        }
    }

    /// Read and check an entry's meta: it parses and names its directory.
    fn read_meta(&self, name: &str, version: &Version) -> Result<ArtefactMeta, RegistryError> {
        let id = format!("{name}@{version}");
        let path = self.entry_dir(name, version).join(META_FILE);
        refuse_link(&path)?;
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RegistryError::MissingFile { id, path });
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let meta: ArtefactMeta =
            serde_json::from_slice(&text).map_err(|e| RegistryError::BadMeta {
                id: id.clone(),
                path: path.clone(),
                message: e.to_string(),
            })?;
        if meta.name != name || &meta.version != version {
            return Err(RegistryError::Mismatch {
                message: format!(
                    "meta.json says {}, but the entry's directory is {name}/{version}",
                    meta.id()
                ),
                id,
            });
        }
        Ok(meta)
    }

    /// Hash an entry's model file and compare with its meta.
    fn check_model_digest(&self, meta: &ArtefactMeta) -> Result<(), RegistryError> {
        let path = self.entry_dir(&meta.name, &meta.version).join(MODEL_FILE);
        refuse_link(&path)?;
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RegistryError::MissingFile {
                    id: meta.id(),
                    path,
                });
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let found = format!(
            "sha256:{}",
            sha256_reader(std::io::BufReader::new(file)).map_err(io_err(&path))?
        );
        if found != meta.sha256 {
            return Err(RegistryError::Integrity {
                id: meta.id(),
                path,
                expected: meta.sha256.clone(),
                found,
            });
        }
        Ok(())
    }

    /// The meta of the version `spec` resolves to.
    pub fn show(&self, spec: &str) -> Result<ArtefactMeta, RegistryError> {
        let (name, version) = self.resolve(spec)?;
        self.read_meta(&name, &version)
    }

    /// Load the model `spec` resolves to. The bytes are hashed and compared
    /// with the meta's `sha256` before they are parsed; a mismatch is
    /// [`RegistryError::Integrity`] and nothing is loaded.
    pub fn load(&self, spec: &str) -> Result<(FittedDetector, ArtefactMeta), RegistryError> {
        let (name, version) = self.resolve(spec)?;
        let meta = self.read_meta(&name, &version)?;
        let id = meta.id();
        let path = self.entry_dir(&name, &version).join(MODEL_FILE);
        refuse_link(&path)?;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RegistryError::MissingFile { id, path });
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let found = format!("sha256:{}", sha256_hex(&bytes));
        if found != meta.sha256 {
            return Err(RegistryError::Integrity {
                id,
                path,
                expected: meta.sha256,
                found,
            });
        }
        let fitted = FittedDetector::from_bytes(&bytes).map_err(|source| RegistryError::Model {
            id: id.clone(),
            source,
        })?;
        if fitted.name() != meta.detector {
            return Err(RegistryError::Mismatch {
                message: format!(
                    "meta.json says detector `{}` but model.json holds `{}`",
                    meta.detector,
                    fitted.name()
                ),
                id,
            });
        }
        Ok((fitted, meta))
    }

    /// Every entry with its meta (or why the meta could not be read), sorted
    /// by name then version. Does not hash model files; see [`Self::verify`].
    #[allow(clippy::type_complexity)]
    pub fn list(
        &self,
    ) -> Result<Vec<(String, Version, Result<ArtefactMeta, RegistryError>)>, RegistryError> {
        Ok(self
            .entries()?
            .into_iter()
            .map(|(n, v)| {
                let meta = self.read_meta(&n, &v);
                (n, v, meta)
            })
            .collect())
    }

    /// Re-hash every entry and check its meta: reports digest mismatches,
    /// missing files, unparsable metas, metas that name another entry, and
    /// paths under the registry that are not entries.
    pub fn verify(&self) -> Result<VerifyReport, RegistryError> {
        let scan = self.scan()?;
        let mut report = VerifyReport::default();
        for (name, version) in &scan.entries {
            match self
                .read_meta(name, version)
                .and_then(|m| self.check_model_digest(&m))
            {
                Ok(()) => report.ok.push(format!("{name}@{version}")),
                Err(e) => report.problems.push(e),
            }
        }
        report.problems.extend(
            scan.strays
                .into_iter()
                .map(|path| RegistryError::NotAnEntry { path }),
        );
        report.problems.extend(
            scan.links
                .into_iter()
                .map(|path| RegistryError::Symlink { path }),
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
