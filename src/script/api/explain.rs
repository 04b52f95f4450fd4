//! Script functions for explanations: why a fitted detector scores a row as
//! it does, as a table of per-feature contributions or a bar chart of the
//! top ones. The numbers come from `FittedDetector::explain`
//! (`src/detectors/explain.rs`); this file only converts script values.

use crate::detectors::{Explanation, FittedDetector};
use crate::plot::{BarsPlot, Plot};
use crate::script::api::convert::{ctx_err, msg_err};
use crate::script::api::matrix::{index, number};
use crate::script::types::{Matrix, Table, Vector};
use ndarray::Array1;
use rhai::plugin::*;
use rhai::{Array, Dynamic, EvalAltResult, Map};

/// A row from a script value: an array of numbers or a `Vector`.
fn row_of(v: &Dynamic) -> Result<Array1<f64>, Box<EvalAltResult>> {
    if let Some(vec) = v.clone().try_cast::<Vector>() {
        return Ok(vec.0.as_ref().clone());
    }
    let arr = v.read_lock::<Array>().ok_or_else(|| {
        msg_err(format!(
            "explain: the row must be an array of numbers or a Vector, got {}",
            v.type_name()
        ))
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| number(x, &format!("explain: row element {i}")))
        .collect()
}

fn explain_row(f: &FittedDetector, row: &Array1<f64>) -> Result<Explanation, Box<EvalAltResult>> {
    f.explain(row.view()).map_err(ctx_err)
}

fn explain_matrix_row(
    f: &FittedDetector,
    x: &Matrix,
    i: i64,
) -> Result<Explanation, Box<EvalAltResult>> {
    let v = x.view();
    let i = index(i, v.nrows(), "row")?;
    f.explain(v.row(i)).map_err(ctx_err)
}

/// feature | contribution | share, by decreasing |contribution|.
fn table(e: &Explanation) -> Table {
    Table {
        header: vec!["feature".into(), "contribution".into(), "share".into()],
        rows: e
            .ranked(None)
            .into_iter()
            .map(|f| {
                vec![
                    f.label(),
                    format!("{:.6}", f.contribution),
                    format!("{:.4}", e.share(f)),
                ]
            })
            .collect(),
    }
}

/// `#{top, title}` for `explain_plot`.
fn plot(f: &FittedDetector, e: &Explanation, opts: &Map) -> Result<Plot, Box<EvalAltResult>> {
    let mut top = Some(10);
    let mut title = None;
    for (k, v) in opts {
        match k.as_str() {
            "top" => {
                let t = v
                    .as_int()
                    .ok()
                    .and_then(|t| usize::try_from(t).ok())
                    .filter(|&t| t >= 1)
                    .ok_or_else(|| {
                        msg_err(format!(
                            "explain_plot: top must be an integer >= 1, got {v}"
                        ))
                    })?;
                top = Some(t);
            }
            "title" => title = Some(v.to_string()),
            other => {
                return Err(msg_err(format!(
                    "unknown explain_plot option `{other}`; known: top, title"
                )));
            }
        }
    }
    let mut bars = BarsPlot::from_explanation(e, f.name(), top);
    if let Some(t) = title {
        bars.title = t;
    }
    let p = Plot::Bars(bars);
    p.validate().map_err(ctx_err)?;
    Ok(p)
}

/// feature | importance, by decreasing importance (NaN last).
fn importance_table(values: &[f64]) -> Table {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
        key(values[b]).total_cmp(&key(values[a])).then(a.cmp(&b))
    });
    Table {
        header: vec!["feature".into(), "importance".into()],
        rows: order
            .into_iter()
            .map(|j| vec![format!("x{j}"), format!("{:.6}", values[j])])
            .collect(),
    }
}

#[export_module]
pub mod explain_api {
    use super::{explain_matrix_row, explain_row, importance_table, plot, row_of, table};
    use crate::detectors::FittedDetector;
    use crate::detectors::isolation_forest::diffi::global_importances;
    use crate::plot::Plot;
    use crate::script::api::convert::ctx_err;
    use crate::script::types::{Matrix, Table};
    use rhai::{Dynamic, EvalAltResult, Map};

    /// Why `row` (an array of numbers or a Vector, one per fitted column)
    /// scores as it does: a table of `feature`, `contribution` and `share`
    /// (|contribution| over the sum of |contributions|), largest first.
    /// Additive detectors (hbos, ecod, copod, loda) give terms that sum to
    /// the score; knn/avg_knn/med_knn the squared differences to the
    /// neighbours; isolation_forest DIFFI importances. Others refuse.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("ecod").fit(sp.x_train);
    /// print(explain(model, [0.5, -1.0, 2.0, 8.0]));
    /// ```
    #[rhai_fn(name = "explain", return_raw)]
    pub fn explain_values(
        f: &mut FittedDetector,
        row: Dynamic,
    ) -> Result<Table, Box<EvalAltResult>> {
        Ok(table(&explain_row(f, &row_of(&row)?)?))
    }

    /// DIFFI's global feature importances of a fitted isolation_forest
    /// (Carletti et al. 2023): how much more each feature isolates the
    /// trees' predicted outliers than their inliers, from each tree's own
    /// training rows. `x_train` must be the matrix the model was fitted on
    /// (checked against the trees). A table of feature and importance,
    /// largest first.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("isolation_forest", #{ seed: 0 }).fit(sp.x_train);
    /// print(diffi_global(model, sp.x_train));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn diffi_global(
        f: &mut FittedDetector,
        x_train: Matrix,
    ) -> Result<Table, Box<EvalAltResult>> {
        Ok(importance_table(
            &global_importances(f, x_train.view()).map_err(ctx_err)?,
        ))
    }

    /// The explanation of row `i` of the matrix `x` (see `explain(fitted, row)`).
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("knn").fit(sp.x_train);
    /// print(explain(model, sp.x_test, 0));
    /// ```
    #[rhai_fn(name = "explain", return_raw)]
    pub fn explain_matrix(
        f: &mut FittedDetector,
        x: Matrix,
        i: i64,
    ) -> Result<Table, Box<EvalAltResult>> {
        Ok(table(&explain_matrix_row(f, &x, i)?))
    }

    /// A horizontal bar chart of the 10 features with the largest
    /// |contribution| to `row`'s explanation; `save` it as SVG or PNG.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("hbos").fit(sp.x_train);
    /// let p = explain_plot(model, [0.5, -1.0, 2.0, 8.0]);
    /// print(p);
    /// ```
    #[rhai_fn(name = "explain_plot", return_raw)]
    pub fn explain_plot_values(
        f: &mut FittedDetector,
        row: Dynamic,
    ) -> Result<Plot, Box<EvalAltResult>> {
        plot(f, &explain_row(f, &row_of(&row)?)?, &Map::new())
    }

    /// `explain_plot` with options: `top` (how many features, default 10)
    /// and `title`.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("loda", #{ seed: 1 }).fit(sp.x_train);
    /// let p = explain_plot(model, [0.5, -1.0, 2.0, 8.0], #{ top: 3, title: "row 7" });
    /// print(p);
    /// ```
    #[rhai_fn(name = "explain_plot", return_raw)]
    pub fn explain_plot_values_opts(
        f: &mut FittedDetector,
        row: Dynamic,
        opts: Map,
    ) -> Result<Plot, Box<EvalAltResult>> {
        plot(f, &explain_row(f, &row_of(&row)?)?, &opts)
    }

    /// The bar chart of row `i` of the matrix `x`.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("isolation_forest", #{ seed: 0 }).fit(sp.x_train);
    /// print(explain_plot(model, sp.x_test, 3));
    /// ```
    #[rhai_fn(name = "explain_plot", return_raw)]
    pub fn explain_plot_matrix(
        f: &mut FittedDetector,
        x: Matrix,
        i: i64,
    ) -> Result<Plot, Box<EvalAltResult>> {
        plot(f, &explain_matrix_row(f, &x, i)?, &Map::new())
    }

    /// The bar chart of row `i` of the matrix `x`, with options `top` and
    /// `title`.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let model = detector("copod").fit(sp.x_train);
    /// print(explain_plot(model, sp.x_test, 3, #{ top: 2 }));
    /// ```
    #[rhai_fn(name = "explain_plot", return_raw)]
    pub fn explain_plot_matrix_opts(
        f: &mut FittedDetector,
        x: Matrix,
        i: i64,
        opts: Map,
    ) -> Result<Plot, Box<EvalAltResult>> {
        plot(f, &explain_matrix_row(f, &x, i)?, &opts)
    }
}
