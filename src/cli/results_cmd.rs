//! `anml results merge`: combine run stores (the shards of a sweep) into
//! one store and leaderboard.

use super::Outcome;
use super::args::{GlobalOpts, MergeArgs};
use crate::bench::{self, RunStore};
use crate::error::Error;

pub fn merge(_g: &GlobalOpts, a: &MergeArgs) -> Result<Outcome, Error> {
    let inputs: Vec<RunStore> = a.dirs.iter().map(RunStore::new).collect();
    let output = RunStore::new(&a.output);
    let m = bench::merge_stores(&inputs, &output)?;
    let results: Vec<_> = m
        .records
        .iter()
        .filter_map(|r| r.as_ok().cloned())
        .collect();
    println!("{}", bench::Leaderboard::new(&results).to_table());
    println!(
        "merged {} stores into {}: {} runs ({} copied, {} already there, {} failed, {} missing)",
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
            &e.run_id[..16]
        );
    }
    if m.missing.len() > 20 {
        eprintln!("… and {} more missing", m.missing.len() - 20);
    }
    if m.missing.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(bench::BenchError::Suite(format!(
            "{} grid points are in no input store; run the missing shards (or resume them) and merge again",
            m.missing.len()
        ))
        .into())
    }
}
