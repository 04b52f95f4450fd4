//! Script functions for tables: build one row by row, or summarise an array
//! of run results; printing renders with comfy-table.

use crate::script::api::convert::msg_err;
use crate::script::types::ResultRef;
use rhai::Array;
use rhai::plugin::*;

fn cell(v: &Dynamic) -> String {
    match v.as_float() {
        Ok(f) => format!("{f:.4}"),
        Err(_) => v.to_string(),
    }
}

/// `mean ± std` (population std) to four decimals: the summary cell of a
/// group of runs.
pub(crate) fn mean_std(v: &[f64]) -> String {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt();
    format!("{m:.4} ± {s:.4}")
}

/// `mean ± std` of every tabular metric over `runs`, in table order.
pub(crate) fn metric_columns(runs: &[&crate::results::RunResult]) -> Vec<String> {
    (0..crate::metrics::N_TABULAR)
        .map(|i| {
            mean_std(
                &runs
                    .iter()
                    .map(|r| r.metrics.values()[i])
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

fn results_of(items: &Array) -> Result<Vec<ResultRef>, Box<EvalAltResult>> {
    items
        .iter()
        .enumerate()
        .map(|(i, d)| {
            d.clone().try_cast::<ResultRef>().ok_or_else(|| {
                msg_err(format!(
                    "element {i} is a {}, expected a RunResult",
                    d.type_name()
                ))
            })
        })
        .collect()
}

#[export_module]
pub mod tables_api {
    use super::{cell, mean_std, metric_columns, results_of};
    use crate::script::HostContext;
    use crate::script::api::convert::{ctx_err, msg_err};
    use crate::script::types::Table;
    use rhai::{Array, EvalAltResult, NativeCallContext};
    use std::collections::BTreeMap;

    /// An empty table with the given column names.
    ///
    /// ```rhai
    /// let t = table(["dataset", "roc_auc"]);
    /// t.add_row(["cardio", 0.93]);
    /// print(t);
    /// ```
    pub fn table(header: Array) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Append a row; it must have one value per column. Floats print with
    /// four decimals.
    ///
    /// ```rhai
    /// let t = table(["a", "b"]);
    /// t.add_row([1, 2.5]);
    /// print(t.len);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn add_row(
        ctx: NativeCallContext,
        t: &mut Table,
        row: Array,
    ) -> Result<(), Box<EvalAltResult>> {
        // A table lives outside Rhai's size accounting: bound its rows by
        // the array limit (and everything by the memory budget).
        let limits = HostContext::of(&ctx)?.limits;
        crate::script::api::convert::check_array_len(&limits, "add_row", t.rows.len() + 1)?;
        crate::memory::check(limits.max_memory, 0).map_err(ctx_err)?;
        if row.len() != t.header.len() {
            return Err(msg_err(format!(
                "row has {} values but the table has {} columns",
                row.len(),
                t.header.len()
            )));
        }
        t.rows.push(row.iter().map(cell).collect());
        Ok(())
    }

    /// Number of rows.
    ///
    /// ```rhai
    /// print(table(["a"]).len);
    /// ```
    #[rhai_fn(get = "len", name = "len", pure)]
    pub fn len(t: &mut Table) -> i64 {
        t.rows.len() as i64
    }

    /// One row per run: dataset, model, seed and every metric.
    ///
    /// ```rhai
    /// let ds = load_dataset("toy-blobs");
    /// let rs = [evaluate(ds, detector("isolation_forest"), 0), evaluate(ds, detector("isolation_forest"), 1)];
    /// print(results_table(rs));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn results_table(results: Array) -> Result<Table, Box<EvalAltResult>> {
        let rs = results_of(&results)?;
        Ok(Table {
            header: crate::results::RunResult::TABLE_HEADER
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: rs.iter().map(|r| r.0.table_row()).collect(),
        })
    }

    /// Mean ± standard deviation over seeds of every metric, one row per
    /// (dataset, model), in first-seen order.
    ///
    /// ```rhai
    /// let ds = load_dataset("toy-blobs");
    /// let rs = [evaluate(ds, detector("isolation_forest"), 0), evaluate(ds, detector("isolation_forest"), 1)];
    /// print(summary(rs));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn summary(results: Array) -> Result<Table, Box<EvalAltResult>> {
        let rs = results_of(&results)?;
        let mut order: Vec<(String, String)> = Vec::new();
        let mut groups: BTreeMap<(String, String), Vec<&crate::results::RunResult>> =
            BTreeMap::new();
        for r in &rs {
            let key = (r.0.dataset.clone(), r.0.model.clone());
            if !groups.contains_key(&key) {
                order.push(key.clone());
            }
            groups.entry(key).or_default().push(&r.0);
        }
        let mut header: Vec<String> = ["dataset", "model", "runs"].map(String::from).to_vec();
        header.extend(crate::metrics::METRICS.iter().map(|m| m.column.to_string()));
        header.push("fit+score s".into());
        let rows = order
            .iter()
            .map(|key| {
                let g = &groups[key];
                let mut row = vec![key.0.clone(), key.1.clone(), g.len().to_string()];
                row.extend(metric_columns(g));
                row.push(mean_std(
                    &g.iter()
                        .map(|r| r.fit_time + r.score_time)
                        .collect::<Vec<_>>(),
                ));
                row
            })
            .collect();
        Ok(Table { header, rows })
    }

    /// The rendered table as a string.
    ///
    /// ```rhai
    /// print(table(["a"]).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn table_to_string(t: &mut Table) -> String {
        t.render()
    }
}
