//! A suite: every (dataset, model, seed) of a grid, run in parallel on a
//! bounded thread pool, each result written as its own schema-valid JSON.
//! A failing run is recorded and the suite goes on.

use super::{BenchError, run};
use crate::data::{DataError, Dataset, DatasetRegistry, Protocol};
use crate::detectors::Detector;
use crate::results::RunResult;
use rayon::prelude::*;
use std::path::PathBuf;

/// What to run.
#[derive(Debug, Clone)]
pub struct SuiteSpec {
    pub datasets: Vec<String>,
    pub models: Vec<String>,
    pub seeds: Vec<u64>,
    pub protocol: Protocol,
    /// Results go to `out_dir/{dataset}/{model}-seed{seed}.json`.
    pub out_dir: PathBuf,
    /// Worker threads (runs in flight); 0 = one per core.
    pub jobs: usize,
}

/// A run that failed, with its error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub dataset: String,
    pub model: String,
    pub seed: u64,
    pub error: String,
}

/// Every result (in grid order: dataset, model, seed) and every failure.
#[derive(Debug, Clone)]
pub struct SuiteOutcome {
    pub results: Vec<RunResult>,
    pub failures: Vec<Failure>,
}

/// Seeds as `A-B` (inclusive range) or a comma list `1,4,7`.
pub fn parse_seeds(s: &str) -> Result<Vec<u64>, DataError> {
    let bad = || {
        DataError::Split(format!(
            "seeds `{s}`: expected A-B or a comma list, e.g. 0-9"
        ))
    };
    if let Some((a, b)) = s.split_once('-') {
        let a: u64 = a.trim().parse().map_err(|_| bad())?;
        let b: u64 = b.trim().parse().map_err(|_| bad())?;
        if b < a {
            return Err(bad());
        }
        return Ok((a..=b).collect());
    }
    s.split(',')
        .map(|t| t.trim().parse::<u64>().map_err(|_| bad()))
        .collect()
}

fn file_name(dataset: &str) -> String {
    dataset.replace('/', "_")
}

/// Run the grid. Detectors and datasets are all resolved before any run, so
/// a typo fails fast; `on_done` is called after each run (for progress).
pub fn run_suite(
    registry: &DatasetRegistry,
    spec: &SuiteSpec,
    on_done: &(dyn Fn(&str, &str, u64, bool) + Sync),
) -> Result<SuiteOutcome, BenchError> {
    let detectors: Vec<Detector> = spec
        .models
        .iter()
        .map(|m| Detector::new(m, &serde_json::Map::new()))
        .collect::<Result<_, _>>()?;
    let datasets: Vec<Dataset> = spec
        .datasets
        .iter()
        .map(|d| registry.load(d))
        .collect::<Result<_, _>>()?;

    let grid: Vec<(&Dataset, &Detector, u64)> = datasets
        .iter()
        .flat_map(|ds| {
            detectors
                .iter()
                .flat_map(move |det| spec.seeds.iter().map(move |&s| (ds, det, s)))
        })
        .collect();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(spec.jobs)
        .build()
        .map_err(|e| {
            BenchError::Suite(format!("cannot start {} worker threads: {e}", spec.jobs))
        })?;
    let outcomes: Vec<Result<RunResult, Failure>> = pool.install(|| {
        grid.par_iter()
            .map(|&(ds, det, seed)| {
                let r = run(ds, det, spec.protocol, seed).and_then(|o| {
                    let path = spec
                        .out_dir
                        .join(file_name(&ds.name))
                        .join(format!("{}-seed{seed}.json", det.name()));
                    o.result.write(&path)?;
                    Ok(o.result)
                });
                on_done(&ds.name, det.name(), seed, r.is_ok());
                r.map_err(|e| Failure {
                    dataset: ds.name.clone(),
                    model: det.name().to_string(),
                    seed,
                    error: e.to_string(),
                })
            })
            .collect()
    });
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for o in outcomes {
        match o {
            Ok(r) => results.push(r),
            Err(f) => failures.push(f),
        }
    }
    Ok(SuiteOutcome { results, failures })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse() {
        assert_eq!(parse_seeds("0-3").unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(parse_seeds("5").unwrap(), vec![5]);
        assert_eq!(parse_seeds("1, 4,7").unwrap(), vec![1, 4, 7]);
        assert!(parse_seeds("3-1").is_err());
        assert!(parse_seeds("a").is_err());
    }

    #[test]
    fn a_small_suite_runs_and_writes_every_result() {
        let dir = tempfile::tempdir().unwrap();
        let reg = DatasetRegistry::new(dir.path().join("cache")).with_download(false);
        let spec = SuiteSpec {
            datasets: vec!["toy-blobs".into()],
            models: vec!["isolation_forest".into()],
            seeds: vec![0, 1, 2],
            protocol: Protocol::Holdout60,
            out_dir: dir.path().join("out"),
            jobs: 2,
        };
        let out = run_suite(&reg, &spec, &|_, _, _, _| {}).unwrap();
        assert_eq!(out.results.len(), 3);
        assert!(out.failures.is_empty());
        assert_eq!(out.results[2].seed, 2);
        assert!(
            dir.path()
                .join("out/toy-blobs/isolation_forest-seed1.json")
                .exists()
        );
    }
}
