//! `anml models [--json]`: every registered detector with its version,
//! parameters, defaults and runnable example (the `DETECTORS` table).

use super::Outcome;
use super::args::ListArgs;
use super::common::{print_json, styled_table};
use crate::detectors::DETECTORS;
use crate::error::Error;
use serde_json::{Value, json};

pub fn run(a: &ListArgs) -> Result<Outcome, Error> {
    if a.json {
        let list: Vec<Value> = DETECTORS
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "version": s.version,
                    "summary": s.summary,
                    "reference": s.reference,
                    "stochastic": s.stochastic,
                    "example": s.example,
                    "defaults": s.default_params(),
                    "params": s.params.iter().map(|p| json!({"name": p.name, "doc": p.doc})).collect::<Vec<_>>(),
                })
            })
            .collect();
        return print_json(&list);
    }
    let mut t = styled_table(vec![
        "name",
        "version",
        "stochastic",
        "parameters (defaults)",
        "summary",
    ]);
    for s in DETECTORS {
        let defaults = s.default_params();
        let mut params: Vec<String> = s
            .params
            .iter()
            .map(|p| {
                format!(
                    "{} = {}",
                    p.name,
                    defaults.get(p.name).unwrap_or(&Value::Null)
                )
            })
            .collect();
        params.push(format!(
            "contamination = {}",
            crate::detectors::DEFAULT_CONTAMINATION
        ));
        t.add_row(vec![
            s.name.to_string(),
            s.version.to_string(),
            if s.stochastic { "yes (seed)" } else { "no" }.to_string(),
            params.join("\n"),
            format!("{}\n{}", s.summary, s.reference),
        ]);
    }
    println!("{t}");
    for s in DETECTORS {
        println!("\n{}:", s.name);
        for p in s.params {
            println!("  {:<14} {}", p.name, p.doc);
        }
        println!(
            "  {:<14} expected fraction of anomalies, sets the predict threshold; (0, 0.5]",
            "contamination"
        );
        println!("  example:");
        for line in s.example.lines() {
            println!("    {line}");
        }
    }
    Ok(Outcome::Success)
}
