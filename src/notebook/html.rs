//! The HTML report: one self-contained file to attach to a code review.
//! Inline CSS, inline SVG figures, HTML tables, code highlighted on the
//! server, markdown rendered with pulldown-cmark (raw HTML in markdown is
//! shown as text, never passed through), per-cell timing and the
//! provenance block. No script, no stylesheet link, no image URL: the page
//! makes no request of any kind.

use super::execute::{CellRun, CellStatus, NotebookRun, Output};
use super::highlight::{escape, highlight};
use super::sidecar::Provenance;
use super::{CellKind, RenderOptions};
use crate::script::types::Table;

const CSS: &str = r#"
:root { --fg: #1d2330; --muted: #5b6577; --line: #d9dee7; --bg: #ffffff; --code: #f6f8fa; --err: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f5; color: var(--fg); font: 15px/1.5 "DejaVu Sans", Verdana, sans-serif; }
main { max-width: 1000px; margin: 24px auto; padding: 0 16px; }
header.provenance, section.cell { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px; margin-bottom: 14px; }
header.provenance h1 { font-size: 20px; margin: 0 0 8px; }
header.provenance table { font-size: 12.5px; }
header.provenance td:first-child { color: var(--muted); white-space: nowrap; padding-right: 14px; vertical-align: top; }
header.provenance code { word-break: break-all; }
.meta { font-size: 12px; color: var(--muted); margin-bottom: 6px; display: flex; gap: 12px; }
.meta .status-error { color: var(--err); font-weight: bold; }
.meta .status-not-run { color: #946200; font-weight: bold; }
pre { margin: 6px 0; padding: 10px 12px; overflow-x: auto; border-radius: 4px; font: 13px/1.45 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
pre.code { background: var(--code); border: 1px solid var(--line); }
pre.stdout, pre.value { background: #fbfbfd; border-left: 3px solid #8aa1c1; }
pre.error { background: #fff4f2; border-left: 3px solid var(--err); color: var(--err); }
.kw { color: #8a3ffc; font-weight: bold; } .str { color: #0a7a32; } .num { color: #b35c00; }
.com { color: #6e7781; font-style: italic; } .fn { color: #0550ae; } .op { color: #8a3ffc; }
table.data { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
table.data th, table.data td { border: 1px solid var(--line); padding: 3px 9px; text-align: right; }
table.data th { background: var(--code); }
table.data td:first-child, table.data th:first-child { text-align: left; }
figure { margin: 8px 0; } figure svg { max-width: 100%; height: auto; }
section.markdown { background: transparent; border: none; padding: 4px 4px; }
section.markdown table { border-collapse: collapse; } section.markdown td, section.markdown th { border: 1px solid var(--line); padding: 3px 8px; }
"#;

/// An SVG made inline: the XML declaration and the namespace attribute
/// (which HTML does not need) are dropped, so the page holds no URL.
pub fn inline_svg(svg: &str) -> String {
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "", 1)
}

/// Whether a markdown link target may stay a link in the report: `http`,
/// `https` and `mailto` URLs, and relative paths and fragments. Anything
/// else (`javascript:`, `vbscript:`, `data:`, `file:`, protocol-relative
/// `//host`) is refused. The test is made on the URL as a browser reads
/// it: entities are already decoded by the markdown parser, and
/// whitespace and control characters (which browsers drop or which make
/// the scheme invalid) are removed before the scheme is read, so
/// `java\tscript:` and `JaVaScRiPt:` are both `javascript:`.
pub fn is_safe_link(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    // Browsers read `\` as `/`: `//host`, `\\host` and `/\host` all name
    // another host with the page's scheme.
    let b = cleaned.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'/' | b'\\') && matches!(b[1], b'/' | b'\\') {
        return false;
    }
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if b[i] == b':' => matches!(&cleaned[..i], "http" | "https" | "mailto"),
        _ => true,
    }
}

/// Markdown to HTML for a report that runs nothing and requests nothing:
/// raw HTML blocks and inline HTML become text; a link whose target is
/// not [`is_safe_link`] becomes its text; an image becomes the text
/// `[image not shown: ALT]` (a report's only images are the figures the
/// notebook itself drew, inlined as SVG).
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};
    // Per open link: whether it was kept (links do not nest, but an image
    // may sit inside a link).
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .filter_map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                let keep = is_safe_link(dest_url);
                links.push(keep);
                keep.then_some(e)
            }
            Event::End(TagEnd::Link) => links.pop().unwrap_or(false).then_some(e),
            Event::Start(Tag::Image { .. }) => {
                Some(Event::Text(CowStr::Borrowed("[image not shown: ")))
            }
            Event::End(TagEnd::Image) => Some(Event::Text(CowStr::Borrowed("]"))),
            other => Some(other),
        });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// An HTML table.
pub fn table_html(t: &Table) -> String {
    let mut s = String::from("<table class=\"data\"><thead><tr>");
    for h in &t.header {
        s.push_str(&format!("<th>{}</th>", escape(h)));
    }
    s.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{}</td>", escape(c)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// The provenance block's rows (shared with the Markdown report).
pub fn provenance_rows(p: &Provenance) -> Vec<(String, String)> {
    let mut rows = vec![
        ("anml".to_string(), p.anml_version.clone()),
        ("notebook".into(), p.notebook.clone()),
        ("notebook SHA-256".into(), p.notebook_sha256.clone()),
        ("date (UTC)".into(), p.date.clone()),
    ];
    for (name, sha) in &p.inputs.datasets {
        rows.push((format!("dataset {name}"), sha.clone()));
    }
    for (name, sha) in &p.inputs.series {
        rows.push((format!("series {name}"), sha.clone()));
    }
    for (name, sha) in &p.inputs.artefacts {
        rows.push((format!("artefact {name}"), sha.clone()));
    }
    let seeds: Vec<String> = p.inputs.seeds.iter().map(u64::to_string).collect();
    rows.push((
        "seeds".into(),
        if seeds.is_empty() {
            "none".into()
        } else {
            seeds.join(", ")
        },
    ));
    if let Some(obj) = p.limits.as_object() {
        let l: Vec<String> = obj.iter().map(|(k, v)| format!("{k} {v}")).collect();
        rows.push(("sandbox limits".into(), l.join(", ")));
    }
    rows.push((
        "hardware".into(),
        [
            p.hardware.vendor.as_str(),
            p.hardware.model.as_str(),
            p.hardware.notes.as_str(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("; "),
    ));
    rows.push(("BLAS".into(), p.blas.clone()));
    rows
}

fn status_html(c: &CellRun) -> String {
    match c.status {
        CellStatus::Ok => String::new(),
        CellStatus::Error if c.cell.allow_error => {
            "<span class=\"status-error\">error (allowed)</span>".into()
        }
        CellStatus::Error => "<span class=\"status-error\">error</span>".into(),
        CellStatus::NotRun => "<span class=\"status-not-run\">not run</span>".into(),
    }
}

fn cell_html(c: &CellRun, opts: &RenderOptions) -> String {
    let id = c
        .cell
        .label
        .clone()
        .unwrap_or_else(|| format!("cell-{}", c.cell.index + 1));
    if c.cell.kind == CellKind::Markdown {
        return format!(
            "<section class=\"cell markdown\" id=\"{}\">\n{}</section>\n",
            escape(&id),
            markdown_to_html(&c.cell.source)
        );
    }
    let mut s = format!("<section class=\"cell code\" id=\"{}\">\n", escape(&id));
    let title = c
        .cell
        .title
        .as_ref()
        .map(|t| format!("<span>{}</span>", escape(t)))
        .unwrap_or_default();
    let timing = if c.status == CellStatus::NotRun {
        String::new()
    } else {
        format!("<span>{:.3} s</span>", c.seconds)
    };
    s.push_str(&format!(
        "<div class=\"meta\"><span>[{}] {}</span>{title}{timing}{}</div>\n",
        c.cell.index + 1,
        escape(&c.cell.name()),
        status_html(c)
    ));
    if c.cell.echo && !opts.no_code {
        s.push_str(&format!(
            "<pre class=\"code\"><code>{}</code></pre>\n",
            highlight(&c.cell.source)
        ));
    }
    if !c.stdout.is_empty() {
        s.push_str(&format!(
            "<pre class=\"stdout\">{}</pre>\n",
            escape(c.stdout.trim_end())
        ));
    }
    for o in &c.outputs {
        match o {
            Output::Text(t) => s.push_str(&format!("<pre class=\"value\">{}</pre>\n", escape(t))),
            Output::Rich { html, .. } => {
                s.push_str(html);
                s.push('\n');
            }
            Output::Table(t) => {
                s.push_str(&table_html(t));
                s.push('\n');
            }
            Output::Plot { plot, svg } => s.push_str(&format!(
                "<figure aria-label=\"{}\">{}</figure>\n",
                escape(plot.title()),
                inline_svg(svg)
            )),
        }
    }
    if let Some(e) = &c.error {
        s.push_str(&format!(
            "<pre class=\"error\">{}</pre>\n",
            escape(e.trim_end())
        ));
    }
    s.push_str("</section>\n");
    s
}

/// The whole page.
pub fn render(run: &NotebookRun, provenance: &Provenance, opts: &RenderOptions) -> String {
    let name = std::path::Path::new(&provenance.notebook)
        .file_name()
        .map_or_else(
            || provenance.notebook.clone(),
            |n| n.to_string_lossy().into_owned(),
        );
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(super::paths::HTML_MARKER);
    s.push('\n');
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str(&format!(
        "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&name)
    ));
    s.push_str(&format!(
        "<header class=\"provenance\" id=\"provenance\">\n<h1>{}</h1>\n<table>\n",
        escape(&name)
    ));
    for (k, v) in provenance_rows(provenance) {
        s.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td></tr>\n",
            escape(&k),
            escape(&v)
        ));
    }
    let total: f64 = run.cells.iter().map(|c| c.seconds).sum();
    let summary = match (run.failed, run.interrupted) {
        (_, true) => "interrupted (Ctrl-C)".to_string(),
        (Some(i), _) => format!("stopped: cell {} failed", i + 1),
        (None, _) => "all cells ran".to_string(),
    };
    s.push_str(&format!(
        "<tr><td>run</td><td><code>{summary}; {:.3} s in cells</code></td></tr>\n</table>\n</header>\n",
        total
    ));
    for c in &run.cells {
        s.push_str(&cell_html(c, opts));
    }
    s.push_str("</main>\n</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_in_markdown_is_text() {
        let h = markdown_to_html("# T\n\n<script>alert(1)</script>\n\nx <b>y</b>");
        assert!(h.contains("<h1>T</h1>"));
        assert!(!h.contains("<script>") && !h.contains("<b>"));
        assert!(h.contains("&lt;script&gt;"));
    }

    /// Hostile markdown: nothing that runs, loads or navigates to a
    /// script may come out.
    const HOSTILE: &[&str] = &[
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](<java\tscript:alert(1)>)",
        "[x](<java\nscript:alert(1)>)",
        "[x](<\x01javascript:alert(1)>)",
        "[x]( javascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript&#x3A;alert(1))",
        "[x](javascript&colon;alert(1))",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](file:///etc/passwd)",
        "[x](//evil.example/x)",
        "[x](\\\\\\\\evil.example/x)",
        "[x](/\\evil.example/x)",
        "![i](http://host/x.png)",
        "![i](//host/x.png)",
        "![i](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "[![i](http://host/x.png)](javascript:alert(1))",
        "<script>alert(1)</script>",
        "x <script>alert(1)</script> y",
        "<img src=x onerror=alert(1)>",
        "x <img src=x onerror=alert(1)> y",
        "<svg><script>alert(1)</script></svg>",
        "<svg onload=alert(1)>",
        "<iframe src=\"http://host/\"></iframe>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[x](http://ok.example \"t\\\" onmouseover=alert(1)\")",
    ];

    /// The tags of `html` (the text between `<` and `>`): text `<` is
    /// always escaped, so every literal `<` opens a real tag.
    fn tags(html: &str) -> Vec<String> {
        html.split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn hostile_markdown_runs_and_loads_nothing() {
        const ALLOWED: &[&str] = &["p", "a", "em", "strong", "code", "pre", "br"];
        for md in HOSTILE {
            let h = markdown_to_html(md);
            for tag in tags(&h) {
                let name = tag.trim_start_matches('/');
                let name = name.split([' ', '\t', '\n']).next().unwrap_or("");
                assert!(ALLOWED.contains(&name), "{md:?} gave tag <{tag}> in {h:?}");
                // Attributes outside their quoted values: only href/title.
                let mut outside = String::new();
                for (i, part) in tag.split('"').enumerate() {
                    if i % 2 == 0 {
                        outside.push_str(part);
                    }
                }
                for attr in outside.split_whitespace().skip(1) {
                    let key = attr.trim_end_matches('=');
                    assert!(
                        key == "href" || key == "title",
                        "{md:?} gave attribute {attr:?} in {h:?}"
                    );
                }
                if let Some(i) = tag.find("href=\"") {
                    let href = tag[i + 6..].split('"').next().unwrap_or("");
                    assert!(
                        href.starts_with("http://ok.example"),
                        "{md:?} kept the link {href:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn safe_links_stay_links_and_images_become_text() {
        for (md, href) in [
            (
                "[a](https://example.org/x?y=1#z)",
                "https://example.org/x?y=1#z",
            ),
            ("[a](HTTP://example.org)", "HTTP://example.org"),
            ("[a](mailto:me@example.org)", "mailto:me@example.org"),
            ("[a](#provenance)", "#provenance"),
            ("[a](other.html)", "other.html"),
            ("[a](../dir/page.html)", "../dir/page.html"),
            ("[a](/abs/path)", "/abs/path"),
        ] {
            let h = markdown_to_html(md);
            assert!(
                h.contains(&format!("<a href=\"{href}\">a</a>")),
                "{md}: {h}"
            );
        }
        let h = markdown_to_html("[x](javascript:alert(1)) ![i](http://host/x.png)");
        assert_eq!(h, "<p>x [image not shown: i]</p>\n");
        for url in [
            "javascript:x",
            "JAVASCRIPT:x",
            "java\tscript:x",
            "\u{0}javascript:x",
        ] {
            assert!(!is_safe_link(url), "{url:?}");
        }
        for url in [
            "data:text/html,x",
            "vbscript:x",
            "//h/x",
            "\\\\h\\x",
            " //h",
            "blob:x",
        ] {
            assert!(!is_safe_link(url), "{url:?}");
        }
        for url in [
            "",
            "#a",
            "a.html",
            "a/b:c",
            "?q=1:2",
            "https://h/",
            "mailto:a@b",
        ] {
            assert!(is_safe_link(url), "{url:?}");
        }
    }

    #[test]
    fn inline_svg_has_no_namespace_url() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\"><text>a</text></svg>";
        let s = inline_svg(svg);
        assert_eq!(s, "<svg width=\"1\"><text>a</text></svg>");
    }
}
