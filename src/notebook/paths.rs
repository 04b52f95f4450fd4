//! Where a notebook run may write: its outputs (HTML report, Markdown
//! report, JSON record, executed `.ipynb`) must be distinct files, none of
//! them the notebook itself, and an existing file is replaced only if anml
//! wrote it (its first bytes carry the report's marker or the record's
//! `$schema`; an executed `.ipynb` carries the record as `metadata.anml`).
//! Paths are compared after resolving symlinks and `..` of the part that
//! exists, so `out/../nb.rhai` and a link to the notebook are caught too.

use super::NotebookError;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The kinds of file a notebook run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Html,
    Markdown,
    Record,
    /// An executed Jupyter notebook.
    Ipynb,
}

impl OutputKind {
    /// The flag that names it.
    pub fn flag(self) -> &'static str {
        match self {
            OutputKind::Html => "--html",
            OutputKind::Markdown => "--md",
            OutputKind::Record => "--sidecar",
            OutputKind::Ipynb => "--ipynb",
        }
    }
}

/// The first line of every HTML report's `<head>` after the charset.
pub const HTML_MARKER: &str = "<meta name=\"generator\" content=\"anml notebook\">";
/// The first line of every Markdown report (an HTML comment: invisible
/// where the Markdown is rendered).
pub const MARKDOWN_MARKER: &str = "<!-- anml notebook report -->";

/// How many leading bytes of an existing file are read to recognise it.
const SNIFF_BYTES: u64 = 4096;

/// `path` made absolute, with the longest existing ancestor canonicalised
/// (symlinks and `..` resolved) and the rest appended as written, minus
/// `.` components.
pub fn resolve(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                if part == ".." {
                    out.pop();
                } else {
                    out.push(part);
                }
            }
            return out;
        }
        match (cur.parent(), cur.components().next_back()) {
            (Some(parent), Some(last)) => {
                match last {
                    Component::CurDir => {}
                    other => rest.push(other.as_os_str().to_os_string()),
                }
                cur = parent;
            }
            _ => return abs,
        }
    }
}

/// Whether the existing file at `path` was written by anml as `kind`.
fn written_by_anml(path: &Path, kind: OutputKind) -> bool {
    if kind == OutputKind::Ipynb {
        // The record may come after the cells: the whole file (bounded).
        return super::ipynb::read_file(path).is_ok_and(|t| super::ipynb::written_by_anml(&t));
    }
    let mut head = Vec::new();
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
        .is_ok();
    if !read {
        return false;
    }
    let head = String::from_utf8_lossy(&head);
    match kind {
        OutputKind::Html => head.starts_with("<!DOCTYPE html>") && head.contains(HTML_MARKER),
        OutputKind::Markdown => head.starts_with(MARKDOWN_MARKER),
        OutputKind::Record => {
            // pretty or compact: compared without whitespace
            let compact: String = head.chars().filter(|c| !c.is_whitespace()).collect();
            compact.starts_with('{')
                && compact.contains(&format!("\"$schema\":\"{}\"", super::sidecar::SCHEMA_ID))
        }
        OutputKind::Ipynb => false,
    }
}

/// Check the outputs of a run of `input` before anything runs: no two the
/// same file, none the notebook, none an existing file anml did not write
/// as that kind, none a directory.
pub fn check_outputs(input: &Path, outputs: &[(OutputKind, &Path)]) -> Result<(), NotebookError> {
    let input_resolved = resolve(input);
    let resolved: Vec<PathBuf> = outputs.iter().map(|(_, p)| resolve(p)).collect();
    for (i, (kind, path)) in outputs.iter().enumerate() {
        if resolved[i] == input_resolved {
            return Err(NotebookError::OutputIsInput {
                flag: kind.flag(),
                path: path.to_path_buf(),
            });
        }
        for (j, (other, other_path)) in outputs.iter().enumerate().skip(i + 1) {
            if resolved[i] == resolved[j] {
                return Err(NotebookError::OutputClash {
                    first: kind.flag(),
                    second: other.flag(),
                    path: path.to_path_buf(),
                    other: other_path.to_path_buf(),
                });
            }
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() || !written_by_anml(path, *kind) => {
                return Err(NotebookError::NotAnmOutput {
                    flag: kind.flag(),
                    path: path.to_path_buf(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashes_with_the_input_and_between_outputs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let nb = dir.path().join("nb.rhai");
        std::fs::write(&nb, "// %%\n1\n").unwrap();
        let html = dir.path().join("r.html");
        let md = dir.path().join("r.md");
        let json = dir.path().join("r.json");
        use OutputKind::*;
        assert!(check_outputs(&nb, &[(Html, &html), (Markdown, &md), (Record, &json)]).is_ok());
        // the notebook itself, also through `..`
        let sneaky = dir.path().join("sub/../nb.rhai");
        for (kind, p) in [(Html, &nb), (Record, &sneaky)] {
            let e = check_outputs(&nb, &[(kind, p.as_path())]).unwrap_err();
            assert!(matches!(e, NotebookError::OutputIsInput { .. }), "{e}");
        }
        // two outputs on one file
        let e = check_outputs(&nb, &[(Html, &html), (Markdown, &html)]).unwrap_err();
        assert!(matches!(e, NotebookError::OutputClash { .. }), "{e}");
        let e = check_outputs(&nb, &[(Html, &json), (Record, &json)]).unwrap_err();
        assert!(matches!(e, NotebookError::OutputClash { .. }), "{e}");
        // a symlink to the notebook
        #[cfg(unix)]
        {
            let link = dir.path().join("link.html");
            std::os::unix::fs::symlink(&nb, &link).unwrap();
            let e = check_outputs(&nb, &[(Html, &link)]).unwrap_err();
            assert!(matches!(e, NotebookError::OutputIsInput { .. }), "{e}");
        }
    }

    #[test]
    fn only_files_anml_wrote_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let nb = dir.path().join("nb.rhai");
        std::fs::write(&nb, "").unwrap();
        let other = dir.path().join("other.rhai");
        std::fs::write(&other, "let precious = 1;\n").unwrap();
        use OutputKind::*;
        for kind in [Html, Markdown, Record] {
            let e = check_outputs(&nb, &[(kind, other.as_path())]).unwrap_err();
            assert!(matches!(e, NotebookError::NotAnmOutput { .. }), "{e}");
        }
        let e = check_outputs(&nb, &[(Html, dir.path())]).unwrap_err();
        assert!(matches!(e, NotebookError::NotAnmOutput { .. }), "{e}");
        let html = dir.path().join("r.html");
        std::fs::write(
            &html,
            format!("<!DOCTYPE html>\n<html>\n<head>\n{HTML_MARKER}\n"),
        )
        .unwrap();
        let md = dir.path().join("r.md");
        std::fs::write(&md, format!("{MARKDOWN_MARKER}\n# nb\n")).unwrap();
        let json = dir.path().join("r.json");
        std::fs::write(
            &json,
            format!(
                "{{\n  \"$schema\": \"{}\",\n}}",
                super::super::sidecar::SCHEMA_ID
            ),
        )
        .unwrap();
        assert!(check_outputs(&nb, &[(Html, &html), (Markdown, &md), (Record, &json)]).is_ok());
        // a compact record (edited by hand) is still anml's
        std::fs::write(
            &json,
            format!("{{\"$schema\":\"{}\"}}", super::super::sidecar::SCHEMA_ID),
        )
        .unwrap();
        assert!(check_outputs(&nb, &[(Record, &json)]).is_ok());
        // right marker, wrong kind
        let e = check_outputs(&nb, &[(Markdown, &html)]).unwrap_err();
        assert!(matches!(e, NotebookError::NotAnmOutput { .. }), "{e}");
        // an .ipynb is anml's when it carries the record as metadata.anml
        let ipynb = dir.path().join("r.ipynb");
        std::fs::write(
            &ipynb,
            r#"{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#,
        )
        .unwrap();
        let e = check_outputs(&nb, &[(Ipynb, &ipynb)]).unwrap_err();
        assert!(matches!(e, NotebookError::NotAnmOutput { .. }), "{e}");
        for kind in [Html, Record] {
            let e = check_outputs(&nb, &[(kind, &ipynb)]).unwrap_err();
            assert!(matches!(e, NotebookError::NotAnmOutput { .. }), "{e}");
        }
        std::fs::write(
            &ipynb,
            format!(
                r#"{{"cells": [], "metadata": {{"anml": {{"$schema": "{}"}}}}, "nbformat": 4, "nbformat_minor": 5}}"#,
                super::super::sidecar::SCHEMA_ID
            ),
        )
        .unwrap();
        assert!(check_outputs(&nb, &[(Ipynb, &ipynb)]).is_ok());
        let e = check_outputs(&ipynb, &[(Ipynb, &ipynb)]).unwrap_err();
        assert!(matches!(e, NotebookError::OutputIsInput { .. }), "{e}");
    }
}
