//! Merging run stores: the shards of one sweep (or stores of separate
//! sweeps) combined into one store with one leaderboard.
//!
//! Records are copied byte for byte. A run id present in two inputs must
//! agree on every deterministic field (anything else means the stores do
//! not hold the same experiment, and the merge stops with a conflict); an
//! `ok` record wins over a `failed` one. When the inputs carry sweep
//! manifests, the merged leaderboard follows the grid's order, so shards
//! merged together give the same tables as the unsharded run, and grid
//! points that no input has are reported as missing.

use super::store::{Lookup, Manifest, ManifestEntry, RunStore, deterministic_json};
use super::{BenchError, report};
use crate::results::{ResultError, StoredRun};
use std::collections::HashSet;

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// Records copied into the output.
    pub copied: usize,
    /// Records the output already had (identical apart from timing).
    pub already_present: usize,
    /// The merged grid's records in grid order (or sorted, without a grid).
    pub records: Vec<StoredRun>,
    /// Grid points no input had.
    pub missing: Vec<ManifestEntry>,
}

impl MergeOutcome {
    pub fn failed(&self) -> usize {
        self.records
            .iter()
            .filter(|r| matches!(r, StoredRun::Failed(_)))
            .count()
    }
}

fn same_dir(a: &RunStore, b: &RunStore) -> bool {
    match (a.dir().canonicalize(), b.dir().canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The union of the inputs' grids, in input order, each run id once.
fn merged_grid(manifests: &[Manifest]) -> Option<Manifest> {
    let first = manifests.first()?;
    let mut seen = HashSet::new();
    let mut grid = Vec::new();
    for m in manifests {
        for e in &m.grid {
            if seen.insert(e.run_id.clone()) {
                grid.push(e.clone());
            }
        }
    }
    Some(Manifest {
        experiment: first.experiment.clone(),
        protocol: first.protocol.clone(),
        grid,
    })
}

/// Merge `inputs` into `output` and write its manifest and leaderboard.
pub fn merge_stores(inputs: &[RunStore], output: &RunStore) -> Result<MergeOutcome, BenchError> {
    let mut manifests = Vec::new();
    for s in inputs {
        if !s.runs_dir().is_dir() {
            return Err(BenchError::Suite(format!(
                "{} is not a run store (it has no runs/ directory)",
                s.dir().display()
            )));
        }
        manifests.extend(s.read_manifest()?);
    }
    if inputs.iter().any(|s| same_dir(s, output))
        && let Some(m) = output.read_manifest()?
    {
        manifests.push(m);
    }
    let grid = merged_grid(&manifests);
    let mut copied = 0;
    let mut already_present = 0;
    for s in inputs.iter().filter(|s| !same_dir(s, output)) {
        for id in s.run_ids()? {
            let path = s.path_of(&id);
            let bytes = std::fs::read(&path).map_err(|source| {
                BenchError::Result(ResultError::Io {
                    path: path.clone(),
                    source,
                })
            })?;
            let text = String::from_utf8_lossy(&bytes);
            let rec = StoredRun::from_json(&text)
                .map_err(|e| BenchError::Suite(format!("{}: {e}", path.display())))?;
            if rec.run_id() != id {
                return Err(BenchError::Suite(format!(
                    "{} holds run {}, not {id}",
                    path.display(),
                    rec.run_id()
                )));
            }
            match output.get(&id)? {
                Lookup::Missing | Lookup::Invalid(_) => {
                    output.put_bytes(&id, &bytes)?;
                    copied += 1;
                }
                Lookup::Found(have) => match (&have, &rec) {
                    (StoredRun::Ok(_), StoredRun::Ok(_)) => {
                        if deterministic_json(&have)? != deterministic_json(&rec)? {
                            return Err(BenchError::Suite(format!(
                                "conflict: run {id} in {} differs from the one already in {} beyond timing and hardware",
                                s.dir().display(),
                                output.dir().display()
                            )));
                        }
                        already_present += 1;
                    }
                    (StoredRun::Failed(_), StoredRun::Ok(_)) => {
                        output.put_bytes(&id, &bytes)?;
                        copied += 1;
                    }
                    _ => already_present += 1,
                },
            }
        }
    }

    let mut records = Vec::new();
    let mut missing = Vec::new();
    match &grid {
        Some(m) => {
            for e in &m.grid {
                match output.get(&e.run_id)? {
                    Lookup::Found(rec) => records.push(rec),
                    Lookup::Missing | Lookup::Invalid(_) => missing.push(e.clone()),
                }
            }
            output.write_manifest(m)?;
        }
        None => {
            for id in output.run_ids()? {
                if let Lookup::Found(rec) = output.get(&id)? {
                    records.push(rec);
                }
            }
            records.sort_by_key(|r| match r {
                StoredRun::Ok(r) => (r.dataset.clone(), r.label(), r.seed),
                StoredRun::Failed(f) => (f.dataset.clone(), f.model.clone(), f.seed),
            });
        }
    }
    let results: Vec<_> = records.iter().filter_map(|r| r.as_ok().cloned()).collect();
    let failures: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            StoredRun::Failed(f) => Some(f.as_ref()),
            StoredRun::Ok(_) => None,
        })
        .collect();
    report::write_reports(output.dir(), &results, &failures)?;
    Ok(MergeOutcome {
        copied,
        already_present,
        records,
        missing,
    })
}
