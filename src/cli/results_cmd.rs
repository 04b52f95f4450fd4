//! `anml results merge`: combine run stores (the shards of a sweep, tabular
//! or time-series) into one store and its reports.

use super::Outcome;
use super::args::{GlobalOpts, MergeArgs};
use super::common::registry;
use crate::bench::{self, RunStore};
use crate::error::Error;

pub fn merge(g: &GlobalOpts, a: &MergeArgs) -> Result<Outcome, Error> {
    let inputs: Vec<RunStore> = a.dirs.iter().map(RunStore::new).collect();
    let output = RunStore::new(&a.output);
    let m = bench::merge_stores(&inputs, &output, &registry(g)?)?;
    print!("{}", m.reports.to_text());
    let duplicates = if m.duplicates > 0 {
        format!(", {} in more than one input", m.duplicates)
    } else {
        String::new()
    };
    println!(
        "merged {} stores into {}: {} runs ({} copied, {} already there{duplicates}, {} failed, {} missing)",
        inputs.len(),
        output.dir().display(),
        m.records.len(),
        m.copied,
        m.already_present,
        m.failed(),
        m.missing.len()
    );
    for e in m.missing.iter().take(20) {
        eprintln!(
            "missing: {} {} seed {} (run {})",
            e.dataset,
            crate::results::label(&e.model, &e.variant),
            e.seed,
            bench::short_id(&e.run_id)
        );
    }
    if m.missing.len() > 20 {
        eprintln!("… and {} more missing", m.missing.len() - 20);
    }
    if m.missing.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(bench::BenchError::MissingRuns(m.missing.len()).into())
    }
}
