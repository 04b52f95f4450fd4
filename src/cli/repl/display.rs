//! Rich display of REPL values: a dataset as a summary table, tables and
//! sweep results with comfy-table, a figure written as SVG and PNG under
//! the workspace's `results/repl/` (its paths printed), anything else in
//! its text form.

use crate::plot::Plot;
use crate::script::HostContext;
use crate::script::types::{DatasetRef, display_value};
use comfy_table::{Table as ComfyTable, presets::UTF8_FULL_CONDENSED};
use rhai::Dynamic;

fn dataset_table(d: &DatasetRef) -> String {
    let ds = &d.0;
    let mut t = ComfyTable::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "dataset",
        "samples",
        "features",
        "anomalies",
        "rate",
        "SHA-256",
    ]);
    let n = ds.y.len();
    let anomalies = ds.y.iter().filter(|&&v| v != 0).count();
    let rate = if n == 0 {
        0.0
    } else {
        anomalies as f64 / n as f64
    };
    t.add_row([
        ds.name.clone(),
        n.to_string(),
        ds.x.ncols().to_string(),
        anomalies.to_string(),
        format!("{:.2}%", 100.0 * rate),
        format!("{}…", &ds.sha256[..12.min(ds.sha256.len())]),
    ]);
    t.to_string()
}

/// Write `plot` as `results/repl/plot-N.svg` and `.png` (N the first free
/// number) and say where.
fn save_plot(ctx: &HostContext, plot: &Plot) -> String {
    let dir = ctx.workspace.results_dir().join("repl");
    let mut n = 1;
    while dir.join(format!("plot-{n}.svg")).exists() {
        n += 1;
    }
    let mut shown = Vec::new();
    for ext in ["svg", "png"] {
        // the gate scripts' `save` goes through
        let path = match ctx
            .workspace
            .resolve_write(&format!("results/repl/plot-{n}.{ext}"))
        {
            Ok(p) => p,
            Err(e) => return format!("Plot({:?}): cannot save: {e}", plot.title()),
        };
        match plot.save(&path) {
            Ok(()) => shown.push(path.display().to_string()),
            Err(e) => return format!("Plot({:?}): cannot save: {e}", plot.title()),
        }
    }
    format!("Plot({:?}) → {}", plot.title(), shown.join(", "))
}

/// The text to print for `value` (empty for `()`).
pub fn show(ctx: &HostContext, value: &Dynamic) -> String {
    if value.is_unit() {
        return String::new();
    }
    if let Some(d) = value.read_lock::<DatasetRef>() {
        return dataset_table(&d);
    }
    if let Some(p) = value.read_lock::<Plot>() {
        return save_plot(ctx, &p);
    }
    display_value(value)
}
