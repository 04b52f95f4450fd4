//! Script functions for comparing detectors over datasets (Demšar 2006):
//! `compare(runs)` / `compare(runs, #{ metric, alpha })` on a sweep's
//! `Runs` or an array of results, `compare_matrix(...)` on plain values,
//! the `Comparison` getters, and `cd_diagram(comparison)`. The statistics
//! are `crate::compare`'s; this file only converts script values.

use crate::compare::{Comparison, DEFAULT_ALPHA, DEFAULT_METRIC, Matrix, check_alpha, metric_spec};
use crate::results::{FailedRun, RunResult};
use crate::script::api::convert::{ctx_err, msg_err};
use crate::script::types::{ResultRef, Runs, Table};
use rhai::plugin::*;
use rhai::{Array, Dynamic, EvalAltResult, Map};

/// `metric` and `alpha` from an options map (unknown keys refused).
fn options(opts: &Map) -> Result<(String, f64), Box<EvalAltResult>> {
    let mut metric = DEFAULT_METRIC.to_string();
    let mut alpha = DEFAULT_ALPHA;
    for (k, v) in opts {
        match k.as_str() {
            "metric" => metric = v.to_string(),
            "alpha" => alpha = number("alpha", v)?,
            other => {
                return Err(msg_err(format!(
                    "unknown compare option `{other}`; known: metric, alpha"
                )));
            }
        }
    }
    check_alpha(alpha).map_err(ctx_err)?;
    Ok((metric, alpha))
}

fn number(what: &str, v: &Dynamic) -> Result<f64, Box<EvalAltResult>> {
    v.as_float()
        .or_else(|_| v.as_int().map(|i| i as f64))
        .map_err(|t| msg_err(format!("{what} must be a number, got {t}")))
}

fn strings(what: &str, v: Option<&Dynamic>) -> Result<Vec<String>, Box<EvalAltResult>> {
    let arr = v
        .and_then(|v| v.read_lock::<Array>().map(|a| a.clone()))
        .ok_or_else(|| {
            msg_err(format!(
                "compare_matrix: `{what}` must be an array of names"
            ))
        })?;
    Ok(arr.iter().map(|s| s.to_string()).collect())
}

fn run(
    results: &[RunResult],
    failures: &[FailedRun],
    opts: &Map,
) -> Result<Comparison, Box<EvalAltResult>> {
    let (metric, alpha) = options(opts)?;
    let spec = metric_spec(&metric).map_err(ctx_err)?;
    Comparison::new(&Matrix::from_runs(results, failures, spec), spec, alpha).map_err(ctx_err)
}

fn results_of(items: &Array) -> Result<Vec<RunResult>, Box<EvalAltResult>> {
    items
        .iter()
        .enumerate()
        .map(|(i, d)| {
            d.clone()
                .try_cast::<ResultRef>()
                .map(|r| (*r.0).clone())
                .ok_or_else(|| {
                    msg_err(format!(
                        "compare: element {i} is a {}, expected a RunResult",
                        d.type_name()
                    ))
                })
        })
        .collect()
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> Table {
    Table {
        header: header.iter().map(|s| s.to_string()).collect(),
        rows,
    }
}

#[export_module]
pub mod compare_api {
    use super::*;

    /// Compare the detectors of a sweep over its datasets by ROC-AUC at
    /// α = 0.05: average ranks, Friedman and Iman–Davenport tests, the
    /// Nemenyi critical difference and groups, and per pair Wilcoxon
    /// (Holm-adjusted) and Nemenyi p-values with win/tie/loss counts. Each
    /// (dataset, detector) is the mean over seeds; datasets where a detector
    /// is missing or failed are dropped (`.dropped`). Needs 2 detectors and
    /// 2 complete datasets.
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs", "vertebral", "glass"],
    ///                     detectors: ["hbos", "knn", "copod"] });
    /// let c = compare(runs);
    /// print(c);
    /// ```
    #[rhai_fn(name = "compare", return_raw)]
    pub fn compare_runs(runs: Runs) -> Result<Comparison, Box<EvalAltResult>> {
        run(&runs.results, &runs.failures, &Map::new())
    }

    /// `compare(runs)` with options: `metric` (a tabular metric, default
    /// "roc_auc"; its direction decides rank 1) and `alpha` (in (0, 1),
    /// default 0.05).
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs", "vertebral", "glass"],
    ///                     detectors: ["hbos", "knn", "copod"] });
    /// print(compare(runs, #{ metric: "pr_auc", alpha: 0.1 }).cd);
    /// ```
    #[rhai_fn(name = "compare", return_raw)]
    pub fn compare_runs_opts(runs: Runs, opts: Map) -> Result<Comparison, Box<EvalAltResult>> {
        run(&runs.results, &runs.failures, &opts)
    }

    /// Compare an array of run results (e.g. `runs.results()` filtered).
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs", "vertebral"],
    ///                     detectors: ["hbos", "copod"] });
    /// print(compare(runs.results()).friedman_p);
    /// ```
    #[rhai_fn(name = "compare", return_raw)]
    pub fn compare_array(results: Array) -> Result<Comparison, Box<EvalAltResult>> {
        run(&results_of(&results)?, &[], &Map::new())
    }

    /// Compare an array of run results with options (`metric`, `alpha`).
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs", "vertebral"],
    ///                     detectors: ["hbos", "copod"] });
    /// print(compare(runs.results(), #{ metric: "f1" }).metric);
    /// ```
    #[rhai_fn(name = "compare", return_raw)]
    pub fn compare_array_opts(results: Array, opts: Map) -> Result<Comparison, Box<EvalAltResult>> {
        run(&results_of(&results)?, &[], &opts)
    }

    /// Compare models given as plain values: `datasets` and `models` (names)
    /// and `values` (one array per dataset, one number per model); optional
    /// `higher_is_better` (default true), `metric` (a label, default
    /// "value") and `alpha` (default 0.05).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{
    ///     datasets: ["d1", "d2", "d3", "d4"],
    ///     models: ["a", "b", "c"],
    ///     values: [[0.9, 0.8, 0.7], [0.85, 0.8, 0.6], [0.7, 0.75, 0.5], [0.95, 0.9, 0.8]],
    /// });
    /// print(c.ranks);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn compare_matrix(spec: Map) -> Result<Comparison, Box<EvalAltResult>> {
        let mut higher = true;
        let mut metric = "value".to_string();
        let mut alpha = DEFAULT_ALPHA;
        for (k, v) in &spec {
            match k.as_str() {
                "datasets" | "models" | "values" => {}
                "higher_is_better" => {
                    higher = v.as_bool().map_err(|t| {
                        msg_err(format!("higher_is_better must be true or false, got {t}"))
                    })?
                }
                "metric" => metric = v.to_string(),
                "alpha" => alpha = number("alpha", v)?,
                other => {
                    return Err(msg_err(format!(
                        "unknown compare_matrix key `{other}`; known: datasets, models, values, \
                         higher_is_better, metric, alpha"
                    )));
                }
            }
        }
        let datasets = strings("datasets", spec.get("datasets"))?;
        let models = strings("models", spec.get("models"))?;
        let rows = spec
            .get("values")
            .and_then(|v| v.read_lock::<Array>().map(|a| a.clone()))
            .ok_or_else(|| msg_err("compare_matrix: `values` must be an array of arrays"))?;
        let mut values = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let r = r.read_lock::<Array>().map(|a| a.clone()).ok_or_else(|| {
                msg_err(format!(
                    "compare_matrix: values[{i}] must be an array of numbers"
                ))
            })?;
            values.push(
                r.iter()
                    .map(|v| number(&format!("values[{i}]"), v))
                    .collect::<Result<Vec<f64>, _>>()?,
            );
        }
        let m = Matrix::new(datasets, models, values).map_err(ctx_err)?;
        Comparison::with_direction(&m, &metric, higher, alpha).map_err(ctx_err)
    }

    /// The average ranks, best first: a table of model and average rank
    /// (rank 1 = best, ties sharing the mid-rank).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.ranks);
    /// ```
    #[rhai_fn(get = "ranks", pure)]
    pub fn ranks(c: &mut Comparison) -> Table {
        let rows = c
            .rank_order()
            .into_iter()
            .map(|i| vec![c.models[i].clone(), format!("{:.4}", c.average_ranks[i])])
            .collect();
        table(&["model", "average rank"], rows)
    }

    /// The average rank of each model as a map (model → rank).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.average_ranks["a"]);
    /// ```
    #[rhai_fn(get = "average_ranks", pure)]
    pub fn average_ranks(c: &mut Comparison) -> Map {
        c.models
            .iter()
            .zip(&c.average_ranks)
            .map(|(m, r)| (m.as_str().into(), Dynamic::from_float(*r)))
            .collect()
    }

    /// The Friedman test's p-value (χ² with scipy's tie correction).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2", "d3"], models: ["a", "b", "c"],
    ///                           values: [[0.9, 0.8, 0.7], [0.7, 0.75, 0.6], [0.8, 0.7, 0.6]] });
    /// print(c.friedman_p);
    /// ```
    #[rhai_fn(get = "friedman_p", pure)]
    pub fn friedman_p(c: &mut Comparison) -> f64 {
        c.friedman.p
    }

    /// The Friedman χ² statistic.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2", "d3"], models: ["a", "b", "c"],
    ///                           values: [[0.9, 0.8, 0.7], [0.7, 0.75, 0.6], [0.8, 0.7, 0.6]] });
    /// print(c.friedman_statistic);
    /// ```
    #[rhai_fn(get = "friedman_statistic", pure)]
    pub fn friedman_statistic(c: &mut Comparison) -> f64 {
        c.friedman.statistic
    }

    /// The Iman–Davenport F test's p-value.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2", "d3"], models: ["a", "b", "c"],
    ///                           values: [[0.9, 0.8, 0.7], [0.7, 0.75, 0.6], [0.8, 0.7, 0.6]] });
    /// print(c.iman_davenport_p);
    /// ```
    #[rhai_fn(get = "iman_davenport_p", pure)]
    pub fn iman_davenport_p(c: &mut Comparison) -> f64 {
        c.iman_davenport.p
    }

    /// The Iman–Davenport F statistic (infinite when the rankings agree
    /// perfectly).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2", "d3"], models: ["a", "b", "c"],
    ///                           values: [[0.9, 0.8, 0.7], [0.7, 0.75, 0.6], [0.8, 0.7, 0.6]] });
    /// print(c.iman_davenport_statistic);
    /// ```
    #[rhai_fn(get = "iman_davenport_statistic", pure)]
    pub fn iman_davenport_statistic(c: &mut Comparison) -> f64 {
        c.iman_davenport.statistic
    }

    /// Nemenyi's critical difference of average ranks at the comparison's α.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.cd);
    /// ```
    #[rhai_fn(get = "cd", pure)]
    pub fn cd(c: &mut Comparison) -> f64 {
        c.cd
    }

    /// q_α: the studentized range quantile (1 − α, k, ∞) / √2.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.q_alpha);
    /// ```
    #[rhai_fn(get = "q_alpha", pure)]
    pub fn q_alpha(c: &mut Comparison) -> f64 {
        c.q_alpha
    }

    /// The significance level.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]], alpha: 0.1 });
    /// print(c.alpha);
    /// ```
    #[rhai_fn(get = "alpha", pure)]
    pub fn alpha(c: &mut Comparison) -> f64 {
        c.alpha
    }

    /// The compared metric's name.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]], metric: "auc" });
    /// print(c.metric);
    /// ```
    #[rhai_fn(get = "metric", pure)]
    pub fn metric(c: &mut Comparison) -> String {
        c.metric.clone()
    }

    /// The groups of models not significantly different by the CD (best
    /// first): an array of arrays of model names, the CD diagram's bars.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.groups);
    /// ```
    #[rhai_fn(get = "groups", pure)]
    pub fn groups(c: &mut Comparison) -> Array {
        c.groups
            .iter()
            .map(|g| Dynamic::from_array(g.iter().map(|m| Dynamic::from(m.clone())).collect()))
            .collect()
    }

    /// The datasets compared (complete ones only).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.datasets);
    /// ```
    #[rhai_fn(get = "datasets", pure)]
    pub fn datasets(c: &mut Comparison) -> Array {
        c.datasets
            .iter()
            .map(|d| Dynamic::from(d.clone()))
            .collect()
    }

    /// The datasets left out, as maps of `dataset` and `reason` (a model
    /// missing or failed there).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.dropped.len());
    /// ```
    #[rhai_fn(get = "dropped", pure)]
    pub fn dropped(c: &mut Comparison) -> Array {
        c.dropped
            .iter()
            .map(|d| {
                let mut m = Map::new();
                m.insert("dataset".into(), Dynamic::from(d.dataset.clone()));
                m.insert("reason".into(), Dynamic::from(d.reason.clone()));
                Dynamic::from_map(m)
            })
            .collect()
    }

    /// One row per pair of models: wins/ties/losses of a against b, the
    /// Wilcoxon signed-rank p-value, its Holm adjustment over all pairs,
    /// Nemenyi's p-value, and which Wilcoxon computation scipy would use.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2", "d3"], models: ["a", "b", "c"],
    ///                           values: [[0.9, 0.8, 0.7], [0.7, 0.75, 0.6], [0.8, 0.7, 0.6]] });
    /// print(c.pairs);
    /// ```
    #[rhai_fn(get = "pairs", pure)]
    pub fn pairs(c: &mut Comparison) -> Table {
        let rows = c
            .pairs
            .iter()
            .map(|p| {
                vec![
                    p.a.clone(),
                    p.b.clone(),
                    p.wins.to_string(),
                    p.ties.to_string(),
                    p.losses.to_string(),
                    format!("{:.6}", p.wilcoxon_p),
                    format!("{:.6}", p.holm_p),
                    format!("{:.6}", p.nemenyi_p),
                    p.wilcoxon_method.name().to_string(),
                ]
            })
            .collect();
        table(
            &[
                "a",
                "b",
                "wins",
                "ties",
                "losses",
                "wilcoxon_p",
                "holm_p",
                "nemenyi_p",
                "wilcoxon_method",
            ],
            rows,
        )
    }

    /// The whole report: what was compared, the tests, the CD and groups,
    /// the rank and pair tables.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(c.to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn to_string(c: &mut Comparison) -> String {
        c.to_text()
    }

    /// Demšar's critical-difference diagram: average ranks on an axis (best
    /// on the left), each model's name on a line to its rank, thick bars
    /// joining the groups not significantly different, the CD above. Save
    /// it with `save(plot, "results/cd.svg")` (or `.png`).
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2", "d3"], models: ["a", "b", "c"],
    ///                           values: [[0.9, 0.8, 0.7], [0.7, 0.75, 0.6], [0.8, 0.7, 0.6]] });
    /// print(save(cd_diagram(c), "results/cd.svg"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn cd_diagram(c: Comparison) -> Result<crate::plot::Plot, Box<EvalAltResult>> {
        let title = format!(
            "Critical difference (Nemenyi, alpha = {}) on {} datasets",
            c.alpha,
            c.datasets.len()
        );
        let plot = crate::plot::Plot::CdDiagram(c.cd_diagram(&title));
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }

    /// The critical-difference diagram with a title of your own.
    ///
    /// ```rhai
    /// let c = compare_matrix(#{ datasets: ["d1", "d2"], models: ["a", "b"],
    ///                           values: [[0.9, 0.8], [0.7, 0.75]] });
    /// print(save(cd_diagram(c, "My detectors"), "results/cd.png"));
    /// ```
    #[rhai_fn(name = "cd_diagram", return_raw)]
    pub fn cd_diagram_titled(
        c: Comparison,
        title: &str,
    ) -> Result<crate::plot::Plot, Box<EvalAltResult>> {
        let plot = crate::plot::Plot::CdDiagram(c.cd_diagram(title));
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }
}
