//! `anml datasets [--json]`: the registered datasets, whether each is
//! cached, and where the cache and mirror are.

use super::Outcome;
use super::args::{GlobalOpts, ListArgs};
use super::common::{print_json, registry, styled_table};
use crate::data::catalog;
use crate::error::Error;
use serde_json::{Value, json};

pub fn run(g: &GlobalOpts, a: &ListArgs) -> Result<Outcome, Error> {
    let reg = registry(g)?;
    if a.json {
        let list: Vec<Value> = catalog::DATASETS
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "n_samples": s.n_samples,
                    "n_features": s.n_features,
                    "n_anomalies": s.n_anomalies,
                    "source": s.collection.name(),
                    "cached": reg.is_cached(s),
                    "sha256": s.file.as_ref().map(|f| f.sha256),
                    "url": s.file.as_ref().map(|f| f.url),
                })
            })
            .collect();
        return print_json(&list);
    }
    let mut t = styled_table(vec![
        "name",
        "n",
        "d",
        "anomalies",
        "anomaly %",
        "source",
        "cached",
    ]);
    for s in catalog::DATASETS {
        t.add_row(vec![
            s.name.to_string(),
            s.n_samples.to_string(),
            s.n_features.to_string(),
            s.n_anomalies.to_string(),
            format!(
                "{:.2}",
                100.0 * s.n_anomalies as f64 / s.n_samples.max(1) as f64
            ),
            s.collection.name().to_string(),
            if s.file.is_none() {
                "built-in".to_string()
            } else if reg.is_cached(s) {
                "yes".to_string()
            } else {
                "no".to_string()
            },
        ]);
    }
    println!("{t}");
    println!("{}", catalog::NAMING_RULE);
    println!("cache: {}", reg.cache_dir().display());
    if let Some(m) = reg.mirror() {
        println!("mirror: {}", m.display());
    }
    Ok(Outcome::Success)
}
