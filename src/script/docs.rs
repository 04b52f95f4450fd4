//! Function documentation from Rhai's metadata: every registered function's
//! signature and doc comment, and the runnable ```` ```rhai ```` example in
//! it. `:help`, `:doc`, completion and the docs-as-tests run all read this.

use rhai::Engine;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    functions: Vec<FnMeta>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FnMeta {
    name: String,
    signature: String,
    #[serde(default)]
    doc_comments: Vec<String>,
}

/// One documented script function (one overload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnDoc {
    /// Name as called from scripts (`get$x` getters are shown as `.x`).
    pub name: String,
    pub signature: String,
    /// The doc text without comment markers and without the example.
    pub doc: String,
    /// The ```` ```rhai ```` example, if any.
    pub example: Option<String>,
}

fn strip_comment(line: &str) -> &str {
    let l = line.trim_start();
    let l = l
        .strip_prefix("///")
        .or_else(|| l.strip_prefix("//!"))
        .or_else(|| l.strip_prefix("//"))
        .unwrap_or(l);
    l.strip_prefix(' ').unwrap_or(l)
}

fn split_doc(comments: &[String]) -> (String, Option<String>) {
    let mut doc = Vec::new();
    let mut example: Option<Vec<&str>> = None;
    let mut in_example = false;
    for block in comments {
        for raw in block.lines() {
            let line = strip_comment(raw);
            if in_example {
                if line.trim_start().starts_with("```") {
                    in_example = false;
                } else if let Some(ex) = example.as_mut() {
                    ex.push(line);
                }
            } else if line.trim_start().starts_with("```rhai") {
                in_example = true;
                example = Some(Vec::new());
            } else {
                doc.push(line);
            }
        }
    }
    let doc = doc.join("\n").trim().to_string();
    (doc, example.map(|e| e.join("\n")))
}

/// Every registered function that has a doc comment, sorted by name then
/// signature. Getters `get$x` are listed as `.x`.
pub fn function_docs(engine: &Engine) -> Vec<FnDoc> {
    let Ok(json) = engine.gen_fn_metadata_to_json(false) else {
        return Vec::new();
    };
    let Ok(meta) = serde_json::from_str::<Metadata>(&json) else {
        return Vec::new();
    };
    let mut out: Vec<FnDoc> = meta
        .functions
        .into_iter()
        .filter(|f| !f.doc_comments.is_empty())
        .map(|f| {
            let (doc, example) = split_doc(&f.doc_comments);
            let name = match f.name.strip_prefix("get$") {
                Some(prop) => format!(".{prop}"),
                None => f.name,
            };
            FnDoc {
                name,
                signature: f.signature,
                doc,
                example,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.signature).cmp(&(&b.name, &b.signature)));
    out.dedup();
    out
}

/// Names a user can type: every documented function and property.
pub fn completion_names(engine: &Engine) -> Vec<String> {
    let mut names: Vec<String> = function_docs(engine).into_iter().map(|d| d.name).collect();
    names.dedup();
    names
}

/// One entry per metric of the metric table (`metrics::TABLE`), for `:doc`
/// and completion of metric names: the name, where the value is found
/// (a `RunResult` getter, a time-series record's `metrics`), the direction
/// and the table's summary. No example: a metric is not a function.
pub fn metric_docs() -> Vec<FnDoc> {
    crate::metrics::TABLE
        .iter()
        .map(|m| {
            let mut places = Vec::new();
            if m.kind.tabular() {
                places.push(format!("RunResult.{}", m.field));
            }
            if m.kind.series() {
                places.push(format!(
                    "time-series record metrics{}",
                    m.series_path.replace('/', ".")
                ));
            }
            FnDoc {
                name: m.name.to_string(),
                signature: format!("metric {}: {}", m.name, places.join(", ")),
                doc: format!(
                    "{} ({} is better): {}.",
                    m.title,
                    if m.higher_is_better {
                        "higher"
                    } else {
                        "lower"
                    },
                    m.summary
                ),
                example: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_documented() {
        let docs = metric_docs();
        assert_eq!(docs.len(), crate::metrics::TABLE.len());
        let f1 = docs.iter().find(|d| d.name == "f1_at_youden").unwrap();
        assert!(f1.signature.contains("RunResult.f1"), "{f1:?}");
        let nab = docs.iter().find(|d| d.name == "nab_standard").unwrap();
        assert!(nab.signature.contains("metrics.nab.standard"), "{nab:?}");
        assert!(docs.iter().all(|d| !d.doc.is_empty()));
    }
}
