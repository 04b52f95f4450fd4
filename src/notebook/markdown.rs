//! The Markdown report, for a pull-request comment: GitHub-flavoured
//! tables, code in `rhai` fences, printed text in `text` fences, and
//! figures as PNG files in `OUT_files/` beside it, linked relatively.

use super::execute::{CellStatus, NotebookRun, Output};
use super::html::provenance_rows;
use super::sidecar::Provenance;
use super::{CellKind, NotebookError, RenderOptions};
use crate::script::types::Table;
use std::path::Path;

fn cell_text(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn table_md(t: &Table) -> String {
    let mut s = format!(
        "| {} |\n",
        t.header
            .iter()
            .map(|h| cell_text(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    s.push_str(&format!("|{}\n", " --- |".repeat(t.header.len().max(1))));
    for r in &t.rows {
        s.push_str(&format!(
            "| {} |\n",
            r.iter()
                .map(|c| cell_text(c))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    s
}

/// A fence longer than any backtick run in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn fenced(lang: &str, text: &str) -> String {
    let f = fence(text);
    format!("{f}{lang}\n{}\n{f}\n\n", text.trim_end())
}

/// Render to Markdown at `out`; figures go to `OUT_files/NAME-K.png`.
/// Returns the Markdown text (the caller writes it).
pub fn render(
    run: &NotebookRun,
    provenance: &Provenance,
    opts: &RenderOptions,
    out: &Path,
) -> Result<String, NotebookError> {
    let stem = out.file_stem().map_or_else(
        || "notebook".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let files_dir_name = format!("{stem}_files");
    let files_dir = out.with_file_name(&files_dir_name);
    let name = Path::new(&provenance.notebook).file_name().map_or_else(
        || provenance.notebook.clone(),
        |n| n.to_string_lossy().into_owned(),
    );

    let mut s = format!(
        "{}\n# {name}\n\n| provenance | |\n| --- | --- |\n",
        super::paths::MARKDOWN_MARKER
    );
    for (k, v) in provenance_rows(provenance) {
        s.push_str(&format!("| {} | `{}` |\n", cell_text(&k), cell_text(&v)));
    }
    s.push('\n');
    for c in &run.cells {
        if c.cell.kind == CellKind::Markdown {
            s.push_str(c.cell.source.trim_end());
            s.push_str("\n\n");
            continue;
        }
        let status = match c.status {
            CellStatus::Ok => String::new(),
            CellStatus::Error => " · **error**".into(),
            CellStatus::NotRun => " · **not run**".into(),
        };
        let timing = if c.status == CellStatus::NotRun {
            String::new()
        } else {
            format!(" · {:.3} s", c.seconds)
        };
        s.push_str(&format!(
            "<sub>[{}] {}{timing}{status}</sub>\n\n",
            c.cell.index + 1,
            cell_text(&c.cell.name())
        ));
        if c.cell.echo && !opts.no_code {
            s.push_str(&fenced("rhai", &c.cell.source));
        }
        if !c.stdout.is_empty() {
            s.push_str(&fenced("text", &c.stdout));
        }
        for (k, o) in c.outputs.iter().enumerate() {
            match o {
                Output::Text(t) | Output::Rich { text: t, .. } => s.push_str(&fenced("text", t)),
                Output::Table(t) => {
                    s.push_str(&table_md(t));
                    s.push('\n');
                }
                Output::Plot { plot, .. } => {
                    let id = c
                        .cell
                        .label
                        .clone()
                        .unwrap_or_else(|| format!("cell-{}", c.cell.index + 1));
                    let file = format!("{id}-{}.png", k + 1);
                    let png = plot
                        .to_png()
                        .map_err(|e| NotebookError::Render(e.to_string()))?;
                    std::fs::create_dir_all(&files_dir).map_err(|source| NotebookError::Io {
                        path: files_dir.clone(),
                        source,
                    })?;
                    let path = files_dir.join(&file);
                    crate::atomic_file::write(&path, &png)
                        .map_err(|source| NotebookError::Io { path, source })?;
                    s.push_str(&format!(
                        "![{}]({files_dir_name}/{file})\n\n",
                        plot.title().replace(['[', ']'], "")
                    ));
                }
            }
        }
        if let Some(e) = &c.error {
            s.push_str(&fenced("text", e));
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_pipes_and_fences_outgrow_backticks() {
        let t = Table {
            header: vec!["a|b".into(), "c".into()],
            rows: vec![vec!["1".into(), "x\ny".into()]],
        };
        assert_eq!(table_md(&t), "| a\\|b | c |\n| --- | --- |\n| 1 | x y |\n");
        assert_eq!(fence("no ticks"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
