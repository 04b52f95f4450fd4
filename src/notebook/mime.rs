//! MIME bundles: one cell output as the `{mime type: data}` map Jupyter
//! displays, shared by the kernel (`display_data` / `execute_result`) and
//! by executed `.ipynb` files, so both show a value the same way.
//!
//! Tables, datasets, series and run results carry `text/plain` and
//! `text/html`; figures carry `image/svg+xml`, `image/png` (base64, as
//! nbformat stores it) and a `text/plain` line naming the figure.

use super::execute::Output;
use super::html::{inline_svg, table_html};
use crate::script::types::{DatasetRef, ResultRef, SeriesRef, Table};
use base64::Engine as _;
use rhai::Dynamic;
use serde_json::{Map, Value};

/// A MIME bundle: MIME type → data (a string; PNG is base64).
pub type Bundle = Map<String, Value>;

/// The HTML summary of a dataset, series or run result (the same fields
/// as its text form), or `None` for any other value.
pub fn summary_html(value: &Dynamic) -> Option<String> {
    if let Some(d) = value.read_lock::<DatasetRef>() {
        return Some(table_html(&d.summary_table()));
    }
    if let Some(s) = value.read_lock::<SeriesRef>() {
        return Some(table_html(&s.summary_table()));
    }
    if let Some(r) = value.read_lock::<ResultRef>() {
        let r = &r.0;
        let mut header: Vec<String> = ["model", "dataset", "seed"].map(String::from).to_vec();
        let mut row = vec![r.model.clone(), r.dataset.clone(), r.seed.to_string()];
        for (m, v) in crate::metrics::METRICS.iter().zip(r.metrics.values()) {
            header.push(m.column.to_string());
            row.push(format!("{v:.4}"));
        }
        header.push("run id".into());
        row.push(r.run_id.clone());
        return Some(table_html(&Table {
            header,
            rows: vec![row],
        }));
    }
    None
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

/// The bundle of one output. Drawing a figure as PNG can fail (the error
/// names why).
pub fn bundle(output: &Output) -> Result<Bundle, String> {
    let mut b = Bundle::new();
    match output {
        Output::Text(t) => {
            b.insert("text/plain".into(), text(t));
        }
        Output::Rich { text: t, html } => {
            b.insert("text/plain".into(), text(t));
            b.insert("text/html".into(), text(html));
        }
        Output::Table(t) => {
            b.insert("text/plain".into(), text(&t.render()));
            b.insert("text/html".into(), text(&table_html(t)));
        }
        Output::Plot { plot, svg } => {
            let png = plot
                .to_png()
                .map_err(|e| format!("cannot draw the figure as PNG: {e}"))?;
            b.insert(
                "text/plain".into(),
                text(&format!("Plot({:?})", plot.title())),
            );
            b.insert("image/svg+xml".into(), text(&inline_svg_doc(svg)));
            b.insert(
                "image/png".into(),
                text(&base64::engine::general_purpose::STANDARD.encode(png)),
            );
        }
    }
    Ok(b)
}

/// An SVG as a standalone document Jupyter renders in an `<img>`: it keeps
/// its namespace (an `<img>` needs it), without the XML declaration.
fn inline_svg_doc(svg: &str) -> String {
    let body = inline_svg(svg);
    body.replacen("<svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_has_text_and_html() {
        let t = Table {
            header: vec!["a".into(), "b".into()],
            rows: vec![vec!["1".into(), "<x>".into()]],
        };
        let b = bundle(&Output::Table(t)).unwrap();
        assert!(b["text/plain"].as_str().unwrap().contains("<x>"));
        let html = b["text/html"].as_str().unwrap();
        assert!(html.contains("<td>&lt;x&gt;</td>"), "{html}");
    }

    #[test]
    fn a_plain_value_is_text_only() {
        let b = bundle(&Output::Text("42".into())).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b["text/plain"], "42");
    }
}
