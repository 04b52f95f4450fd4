//! Merging run stores: the shards of one sweep (or stores of separate
//! sweeps) combined into one store with one leaderboard.
//!
//! Records (and a time-series run's point scores) are copied byte for byte. A run id present in two inputs must
//! agree on every deterministic field (anything else means the stores do
//! not hold the same experiment, and the merge stops with a conflict); an
//! `ok` record wins over a `failed` one. When the inputs carry sweep
//! manifests, the merged leaderboard follows the grid's order, so shards
//! merged together give the same tables as the unsharded run, and grid
//! points that no input has are reported as missing.

use super::BenchError;
use super::report::{self, Reports};
use super::store::{Lookup, Manifest, ManifestEntry, RunStore, deterministic_json};
use crate::data::DatasetRegistry;
use crate::results::StoredRun;
use std::collections::{HashMap, HashSet};

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// Records copied into the output.
    pub copied: usize,
    /// Records the output already had (identical apart from timing, or a
    /// failure where the input's is a failure too).
    pub already_present: usize,
    /// Input records of a run an earlier input already supplied (the same
    /// shard merged twice, overlapping stores); not copied again.
    pub duplicates: usize,
    /// The merged grid's records in grid order (or sorted, without a grid).
    pub records: Vec<StoredRun>,
    /// Grid points no input had.
    pub missing: Vec<ManifestEntry>,
    /// The merged grid's size, when the stores carry their grid.
    pub grid_size: Option<usize>,
    /// The leaderboards written into the output.
    pub reports: Reports,
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

/// Merge `inputs` into `output` and write its manifest and reports.
/// Every input record is read and checked (and compared with the output's
/// copy) before anything is copied, so a bad input leaves the output as it
/// was. A time-series run's point scores are copied with its record;
/// `registry` gives the series' label windows for NAB's corpus score.
pub fn merge_stores(
    inputs: &[RunStore],
    output: &RunStore,
    registry: &DatasetRegistry,
) -> Result<MergeOutcome, BenchError> {
    let mut manifests = Vec::new();
    for s in inputs {
        if !s.runs_dir().is_dir() {
            return Err(BenchError::NotAStore(s.dir().to_path_buf()));
        }
        // Merging a store into itself would count its runs as neither
        // copied nor already there; merge into a new store instead.
        if same_dir(s, output) {
            return Err(BenchError::flag(
                "--output",
                format!(
                    "{} is also an input; merge into a new store",
                    output.dir().display()
                ),
            ));
        }
        manifests.extend(s.read_manifest()?);
    }
    let grid = merged_grid(&manifests);

    // Pass 1: read and check every input record; decide what to copy:
    // run id → the input it comes from and the record the output will hold.
    let mut planned: HashMap<String, (&RunStore, StoredRun)> = HashMap::new();
    let mut already_present = 0;
    let mut duplicates = 0;
    // run ids an earlier input had (whether or not it is copied)
    let mut seen: HashSet<String> = HashSet::new();
    for s in inputs {
        for id in s.run_ids()? {
            let rec = match s.get(&id)? {
                Lookup::Found(rec) => rec,
                Lookup::Invalid(message) => {
                    return Err(BenchError::BadStoreFile {
                        path: s.path_of(&id),
                        message,
                    });
                }
                Lookup::Missing => continue,
            };
            let from_input = !seen.insert(id.clone());
            let in_output;
            // the record this one meets: the one planned from an earlier
            // input, else the output's
            let have = match planned.get(&id) {
                Some((_, r)) => Some(r),
                None => match output.get(&id)? {
                    Lookup::Found(r) => {
                        in_output = r;
                        Some(&in_output)
                    }
                    Lookup::Missing | Lookup::Invalid(_) => None,
                },
            };
            if let Some(have) = have {
                // an ok record wins over a failed one; two failures: keep ours
                let keep = if have.is_ok() && rec.is_ok() {
                    if deterministic_json(have)? != deterministic_json(&rec)? {
                        return Err(BenchError::MergeConflict {
                            run_id: id,
                            input: s.dir().to_path_buf(),
                            output: output.dir().to_path_buf(),
                        });
                    }
                    true
                } else {
                    !rec.is_ok()
                };
                if from_input {
                    duplicates += 1;
                } else if keep {
                    already_present += 1;
                }
                if keep {
                    continue;
                }
            }
            // new, or an ok record replacing an earlier failure
            planned.insert(id, (s, rec));
        }
    }
    // Pass 2: copy (after removing what a killed writer left half-written).
    output.remove_stale_temp_files()?;
    for (id, (s, _)) in &planned {
        output.copy_run_from(s, id)?;
    }

    let (records, missing, reports) = collect_and_report(output, grid.as_ref(), registry)?;
    Ok(MergeOutcome {
        copied: planned.len(),
        already_present,
        duplicates,
        records,
        missing,
        grid_size: grid.as_ref().map(|m| m.grid.len()),
        reports,
    })
}

/// The store's records in grid order (sorted without a grid), the grid
/// points it lacks, and its reports, written. With a grid, the manifest is
/// written too.
fn collect_and_report(
    store: &RunStore,
    grid: Option<&Manifest>,
    registry: &DatasetRegistry,
) -> Result<(Vec<StoredRun>, Vec<ManifestEntry>, Reports), BenchError> {
    let mut records = Vec::new();
    let mut missing = Vec::new();
    match grid {
        Some(m) => {
            for e in &m.grid {
                match store.get(&e.run_id)? {
                    Lookup::Found(rec) => records.push(rec),
                    Lookup::Missing | Lookup::Invalid(_) => missing.push(e.clone()),
                }
            }
            store.write_manifest(m)?;
        }
        None => {
            for id in store.run_ids()? {
                if let Lookup::Found(rec) = store.get(&id)? {
                    records.push(rec);
                }
            }
            records.sort_by_key(StoredRun::sort_key);
        }
    }
    let reports = report::write_reports(store, &records, None, &|name| {
        Ok(registry.load_series(name)?.ranges())
    })?;
    Ok((records, missing, reports))
}

/// Rewrite one store's reports from the runs it holds, in its grid's
/// order, and name the grid points it lacks: what the merge job of a Slurm
/// sweep does once the array tasks (which all filed into this store) have
/// ended. `copied`, `already_present` and `duplicates` are 0.
pub fn report_store(
    store: &RunStore,
    registry: &DatasetRegistry,
) -> Result<MergeOutcome, BenchError> {
    // A sweep whose every task died before its first run left sweep.json
    // and no runs/: all of its grid is missing, which is the answer.
    if !store.has_sweep() {
        return Err(BenchError::NotAStore(store.dir().to_path_buf()));
    }
    store.remove_stale_temp_files()?;
    let grid = store.read_manifest()?;
    let (records, missing, reports) = collect_and_report(store, grid.as_ref(), registry)?;
    Ok(MergeOutcome {
        copied: 0,
        already_present: 0,
        duplicates: 0,
        records,
        missing,
        grid_size: grid.as_ref().map(|m| m.grid.len()),
        reports,
    })
}

/// How far a store is: its grid's points that are done, failed or
/// missing (without a grid: the runs it holds).
#[derive(Debug, Clone)]
pub struct StoreStatus {
    /// The grid (`sweep.json`), when the store has one.
    pub manifest: Option<Manifest>,
    /// Grid points (or run files) with a completed record.
    pub done: usize,
    /// Grid points whose record is a failure.
    pub failed: Vec<crate::results::FailedRun>,
    /// Grid points with no usable record.
    pub missing: Vec<ManifestEntry>,
    /// Run files that do not parse or validate.
    pub invalid: Vec<String>,
}

/// Read (never write) a store and count its runs against its grid.
pub fn store_status(store: &RunStore) -> Result<StoreStatus, BenchError> {
    if !store.has_sweep() {
        return Err(BenchError::NotAStore(store.dir().to_path_buf()));
    }
    let manifest = store.read_manifest()?;
    let ids: Vec<String> = match &manifest {
        Some(m) => m.grid.iter().map(|e| e.run_id.clone()).collect(),
        None => store.run_ids()?,
    };
    let mut st = StoreStatus {
        manifest: None,
        done: 0,
        failed: Vec::new(),
        missing: Vec::new(),
        invalid: Vec::new(),
    };
    for (i, id) in ids.iter().enumerate() {
        let entry = || manifest.as_ref().map(|m| m.grid[i].clone());
        match store.get(id)? {
            Lookup::Found(StoredRun::Failed(f)) => st.failed.push(*f),
            Lookup::Found(_) => st.done += 1,
            Lookup::Missing => st.missing.extend(entry()),
            Lookup::Invalid(why) => {
                st.invalid.push(why);
                st.missing.extend(entry());
            }
        }
    }
    st.manifest = manifest;
    Ok(st)
}
