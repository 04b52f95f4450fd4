//! The run store: one experiment's runs on disk, one JSON file per run at
//! `results/{experiment}/runs/{run_id}.json`, plus the last sweep's
//! manifest (`sweep.json`: its grid in order). A time-series run also files
//! its point scores beside its record, `{run_id}.scores.npy` (1-D float64),
//! written before the record. A run is done when its record exists and is a
//! valid completed record (and, for a time-series run, its scores are
//! there); files are only ever written whole (temp file + rename), so a
//! sweep killed at any point leaves complete records and, at worst, a stray
//! temp file that the next sweep removes.

use super::BenchError;
use crate::results::{ResultError, StoredRun, canonical_json};
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Whether `id` has the shape of a run id: 64 lowercase hex digits.
pub fn is_run_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The first 16 characters of a run id, for messages; any string (a
/// hand-edited manifest's) is shown whole when shorter, never sliced
/// inside a character.
pub fn short_id(id: &str) -> &str {
    id.char_indices().nth(16).map_or(id, |(i, _)| &id[..i])
}

/// One grid point of a sweep, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub run_id: String,
    pub dataset: String,
    pub model: String,
    pub variant: String,
    pub seed: u64,
}

/// The grid of the last sweep written to a store, in grid order. Shards of
/// one sweep write the same manifest (the whole grid), which is how
/// `anml results merge` checks that they belong together and that every
/// run is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub experiment: String,
    pub protocol: String,
    pub grid: Vec<ManifestEntry>,
}

/// What the store holds for one run id.
#[derive(Debug, Clone)]
pub enum Lookup {
    Missing,
    Found(StoredRun),
    /// A file that does not parse or validate (edited by hand, or from
    /// another anml version); the run is treated as not done.
    Invalid(String),
}

/// One experiment's directory of runs.
#[derive(Debug, Clone)]
pub struct RunStore {
    dir: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| {
        BenchError::Result(ResultError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn is_run_file(name: &str) -> bool {
    name.strip_suffix(".json").is_some_and(is_run_id)
}

impl RunStore {
    /// The store rooted at `dir` (`results/{experiment}`); nothing is
    /// created until something is written.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn runs_dir(&self) -> PathBuf {
        self.dir.join("runs")
    }

    pub fn path_of(&self, run_id: &str) -> PathBuf {
        self.runs_dir().join(format!("{run_id}.json"))
    }

    /// Where a time-series run's point scores are filed.
    pub fn scores_path(&self, run_id: &str) -> PathBuf {
        self.runs_dir().join(format!("{run_id}.scores.npy"))
    }

    /// The record stored for `run_id`, checking that it is the run it is
    /// filed as and, for a time-series run, that its point scores are there.
    pub fn get(&self, run_id: &str) -> Result<Lookup, BenchError> {
        let path = self.path_of(run_id);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Lookup::Missing),
            Err(e) => return Err(io_err(&path)(e)),
        };
        Ok(match StoredRun::from_json(&text) {
            Ok(rec) if rec.run_id() != run_id => Lookup::Invalid(format!(
                "{} holds run {}, not {run_id}",
                path.display(),
                rec.run_id()
            )),
            Ok(StoredRun::Series(r)) => match self.read_scores(run_id) {
                Ok(s) if s.len() == r.n_points => Lookup::Found(StoredRun::Series(r)),
                Ok(s) => Lookup::Invalid(format!(
                    "{} holds {} scores for a series of {} points",
                    self.scores_path(run_id).display(),
                    s.len(),
                    r.n_points
                )),
                Err(e) => Lookup::Invalid(e.to_string()),
            },
            Ok(rec) => Lookup::Found(rec),
            Err(e) => Lookup::Invalid(format!("{}: {e}", path.display())),
        })
    }

    /// Validate and write a record atomically.
    pub fn put(&self, rec: &StoredRun) -> Result<(), BenchError> {
        let json = rec.to_json()?;
        let path = self.path_of(rec.run_id());
        crate::atomic_file::write(&path, json.as_bytes()).map_err(io_err(&path))
    }

    /// Write a time-series run's point scores atomically (before its
    /// record, so a record in the store implies its scores are there).
    pub fn put_scores(&self, run_id: &str, scores: &Array1<f64>) -> Result<(), BenchError> {
        use ndarray_npy::WriteNpyExt;
        let mut buf = Vec::new();
        scores.write_npy(&mut buf).map_err(|e| BenchError::Encode {
            what: "point scores",
            message: e.to_string(),
        })?;
        let path = self.scores_path(run_id);
        crate::atomic_file::write(&path, &buf).map_err(io_err(&path))
    }

    /// A time-series run's point scores.
    pub fn read_scores(&self, run_id: &str) -> Result<Array1<f64>, BenchError> {
        let path = self.scores_path(run_id);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let bad = |message: String| BenchError::BadStoreFile {
            path: path.clone(),
            message: format!("not a 1-D float64 .npy file: {message}"),
        };
        // The checked reader: a header claiming more than the file holds is
        // refused before it is allocated.
        let a = crate::data::formats::npy::read(&bytes, &path, "point scores")
            .map_err(|e| bad(e.to_string()))?;
        a.into_dimensionality::<ndarray::Ix1>()
            .map_err(|e| bad(e.to_string()))
    }

    /// Copy a record's exact bytes in from another store's file.
    pub fn put_bytes(&self, run_id: &str, bytes: &[u8]) -> Result<(), BenchError> {
        let path = self.path_of(run_id);
        crate::atomic_file::write(&path, bytes).map_err(io_err(&path))
    }

    /// Copy a run's exact files in from `other` (its point scores first,
    /// when it has them, then its record).
    pub fn copy_run_from(&self, other: &RunStore, run_id: &str) -> Result<(), BenchError> {
        let scores = other.scores_path(run_id);
        match std::fs::read(&scores) {
            Ok(bytes) => {
                let to = self.scores_path(run_id);
                crate::atomic_file::write(&to, &bytes).map_err(io_err(&to))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&scores)(e)),
        }
        let path = other.path_of(run_id);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        self.put_bytes(run_id, &bytes)
    }

    /// Remove temp files left by a process killed mid-write: those whose
    /// writer (the pid in the name `atomic_file` gives them) is no longer
    /// running on this machine and whose lock nobody holds, so a sweep
    /// never deletes the file another live process is about to rename (see
    /// [`crate::atomic_file::remove_stale_temps`]).
    pub fn remove_stale_temp_files(&self) -> Result<usize, BenchError> {
        let mut n = 0;
        // runs/ (records, scores) and the store's own files (sweep.json,
        // leaderboards, failures.md)
        for dir in [self.runs_dir(), self.dir.clone()] {
            n += crate::atomic_file::remove_stale_temps(&dir).map_err(io_err(&dir))?;
        }
        Ok(n)
    }

    /// Run ids of every run file, sorted.
    pub fn run_ids(&self) -> Result<Vec<String>, BenchError> {
        let dir = self.runs_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        let mut ids: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_run_file(n))
            .map(|n| n[..64].to_string())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Every valid record the store holds, read-only: in its grid's order
    /// when it has `sweep.json`, else in record order
    /// ([`StoredRun::sort_key`]). Missing and invalid run files are skipped.
    /// A directory no sweep wrote to is [`BenchError::NotAStore`].
    pub fn records(&self) -> Result<Vec<StoredRun>, BenchError> {
        if !self.has_sweep() {
            return Err(BenchError::NotAStore(self.dir.clone()));
        }
        let mut out = Vec::new();
        match self.read_manifest()? {
            Some(m) => {
                for e in &m.grid {
                    if let Lookup::Found(rec) = self.get(&e.run_id)? {
                        out.push(rec);
                    }
                }
            }
            None => {
                for id in self.run_ids()? {
                    if let Lookup::Found(rec) = self.get(&id)? {
                        out.push(rec);
                    }
                }
                out.sort_by_key(StoredRun::sort_key);
            }
        }
        Ok(out)
    }

    /// Whether a sweep has written here: runs (`runs/`) or at least its
    /// grid (`sweep.json`, when every task died before its first run).
    pub fn has_sweep(&self) -> bool {
        self.runs_dir().is_dir() || self.manifest_path().is_file()
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join("sweep.json")
    }

    pub fn write_manifest(&self, m: &Manifest) -> Result<(), BenchError> {
        let encode = |e: serde_json::Error| BenchError::Encode {
            what: "the sweep manifest",
            message: e.to_string(),
        };
        let v = serde_json::to_value(m).map_err(encode)?;
        let mut text = serde_json::to_string_pretty(&v).map_err(encode)?;
        text.push('\n');
        let path = self.manifest_path();
        crate::atomic_file::write(&path, text.as_bytes()).map_err(io_err(&path))
    }

    /// The manifest, or `None` when the store has none. Every grid entry's
    /// run id is checked (the file may have been edited by hand).
    pub fn read_manifest(&self) -> Result<Option<Manifest>, BenchError> {
        let path = self.manifest_path();
        let bad = |message: String| BenchError::BadStoreFile {
            path: path.clone(),
            message,
        };
        let m: Manifest = match std::fs::read_to_string(&path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| bad(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e)),
        };
        if let Some((i, e)) = m
            .grid
            .iter()
            .enumerate()
            .find(|(_, e)| !is_run_id(&e.run_id))
        {
            return Err(bad(format!(
                "grid entry {i} ({} {} seed {}): run_id `{}` is not a run id (64 lowercase hex digits); \
                 the file was edited or is damaged: re-run the sweep to rewrite it",
                e.dataset,
                crate::results::label(&e.model, &e.variant),
                e.seed,
                e.run_id
            )));
        }
        Ok(Some(m))
    }
}

/// The deterministic part of a record: its canonical JSON without the
/// timing and hardware fields and the Slurm job it ran in
/// (`provenance.slurm`). Two runs of the same inputs agree on it, wherever
/// and however they were scheduled.
pub fn deterministic_json(rec: &StoredRun) -> Result<String, BenchError> {
    let mut v = rec.to_value()?;
    if let Some(m) = v.as_object_mut() {
        for f in crate::results::NONDETERMINISTIC_FIELDS {
            m.remove(*f);
        }
        if let Some(p) = m.get_mut("provenance").and_then(|p| p.as_object_mut()) {
            p.remove(crate::results::SLURM_FIELD);
        }
    }
    Ok(canonical_json(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_file_names_are_recognised() {
        assert!(is_run_file(&format!("{}.json", "a".repeat(64))));
        assert!(!is_run_file(&format!(".{}.json.tmp-1-0", "a".repeat(64))));
        assert!(!is_run_file(&format!("{}.json", "A".repeat(64))));
        assert!(!is_run_file("sweep.json"));
    }

    #[test]
    fn missing_and_invalid_files_are_not_done() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let id = "c".repeat(64);
        assert!(matches!(store.get(&id).unwrap(), Lookup::Missing));
        std::fs::create_dir_all(store.runs_dir()).unwrap();
        std::fs::write(store.path_of(&id), "{ not json").unwrap();
        assert!(matches!(store.get(&id).unwrap(), Lookup::Invalid(_)));
        // A dead writer's temp file goes; a live one's (ours) stays.
        let dead = store
            .runs_dir()
            .join(format!(".{id}.json.tmp-4294967295-0"));
        let live = store
            .runs_dir()
            .join(format!(".{id}.json.tmp-{}-0", std::process::id()));
        // ... in the store's own directory too (a leaderboard's temp file)
        let dead_top = dir.path().join(".leaderboard.md.tmp-4294967295-3");
        let dead_scores = store
            .runs_dir()
            .join(format!(".{id}.scores.npy.tmp-4294967295-1"));
        for p in [&dead, &live, &dead_top, &dead_scores] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(store.remove_stale_temp_files().unwrap(), 3);
        assert!(!dead.exists() && live.exists());
        assert!(!dead_top.exists() && !dead_scores.exists());
        assert_eq!(store.run_ids().unwrap(), vec![id]);
    }
}
