//! `.rhai → .ipynb → .rhai` is byte-identical (seeded generated notebooks
//! and the shipped ones), Jupyter-authored notebooks convert, edits win,
//! and bad input is refused by name.

use super::*;

fn round_trip(text: &str) -> String {
    let nb = to_ipynb(text).unwrap_or_else(|e| panic!("{e}\n{text:?}"));
    let json = to_json_text(&nb);
    from_ipynb(&json).unwrap_or_else(|e| panic!("{e}\n{text:?}\n{json}"))
}

fn check_ids(nb: &Value) {
    let mut seen = std::collections::BTreeSet::new();
    for c in nb["cells"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert!(valid_id(id), "{id}");
        assert!(seen.insert(id.to_string()), "duplicate id {id}");
    }
}

/// The kinds and sources of a notebook's cells.
fn cells_of(nb: &Value) -> Vec<(String, String)> {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cell_type"].as_str().unwrap().to_string(),
                multiline_text(c.get("source")).unwrap(),
            )
        })
        .collect()
}

#[test]
fn shipped_notebooks_round_trip_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rhai") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(round_trip(&text), text, "{}", path.display());
            let nb = to_ipynb(&text).unwrap();
            check_ids(&nb);
            // and back again: same kinds and sources
            let again = to_ipynb(&from_ipynb(&to_json_text(&nb)).unwrap()).unwrap();
            assert_eq!(cells_of(&again), cells_of(&nb));
            n += 1;
        }
    }
    assert!(n >= 3, "{n} notebooks in scripts/");
}

#[test]
fn cells_sources_ids_and_metadata() {
    let text = "// %% [markdown]\n// # Title\n//\n// text\n\n// %% Setup\n//| label: roc\n//| echo: false\n//| error: true\nlet b = 1;\nb;\n\n// %%\nprint(2);";
    let nb = to_ipynb(text).unwrap();
    assert_eq!(nb["nbformat"], 4);
    assert_eq!(nb["nbformat_minor"], 5);
    assert_eq!(nb["metadata"]["kernelspec"]["name"], "anml");
    assert_eq!(nb["metadata"]["language_info"]["name"], "rhai");
    let cells = nb["cells"].as_array().unwrap();
    assert_eq!(cells[0]["cell_type"], "markdown");
    assert_eq!(cells[0]["source"], json!(["# Title\n", "\n", "text"]));
    assert_eq!(cells[0]["id"], "cell-1");
    assert!(cells[0].get("outputs").is_none());
    assert_eq!(cells[1]["id"], "roc");
    assert_eq!(cells[1]["execution_count"], Value::Null);
    assert_eq!(cells[1]["outputs"], json!([]));
    assert_eq!(cells[1]["source"], json!(["let b = 1;\n", "b;"]));
    let m = &cells[1]["metadata"];
    assert_eq!(
        m["anml"]["head"],
        "// %% Setup\n//| label: roc\n//| echo: false\n//| error: true\n"
    );
    assert_eq!(m["anml"]["tail"], "\n\n");
    assert!(m["anml"].get("body").is_none(), "{m}");
    assert_eq!(m["tags"], json!(["raises-exception"]));
    assert_eq!(m["jupyter"]["source_hidden"], true);
    // no final newline: an empty tail
    assert_eq!(cells[2]["metadata"]["anml"]["tail"], "");
    assert_eq!(round_trip(text), text);
}

#[test]
fn ids_are_unique_when_a_label_looks_generated() {
    let nb = to_ipynb("// %%\n//| label: cell-2\n1\n// %%\n2\n// %%\n//| label: x\n3").unwrap();
    let ids: Vec<&str> = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cell-2", "cell-2-2", "x"]);
    let long = "a".repeat(65);
    let nb = to_ipynb(&format!("// %%\n//| label: {long}\n1\n")).unwrap();
    assert_eq!(nb["cells"][0]["id"], "cell-1");
}

#[test]
fn an_edited_source_wins_and_keeps_the_options() {
    let text = "// %% Title\n//| label: a\nlet x = 1;\n\n// %% [markdown]\n  // indented prefix\n\n// %%\n2\n";
    let mut nb = to_ipynb(text).unwrap();
    nb["cells"][0]["source"] = json!("let x = 2;\nx");
    nb["cells"][1]["source"] = json!(["new *text*\n", "\n", "more"]);
    let back = from_ipynb(&nb.to_string()).unwrap();
    assert_eq!(
        back,
        "// %% Title\n//| label: a\nlet x = 2;\nx\n\n// %% [markdown]\n// new *text*\n//\n// more\n\n// %%\n2\n"
    );
    // unedited, the indented prefix comes back as written
    let nb = to_ipynb(text).unwrap();
    assert_eq!(from_ipynb(&nb.to_string()).unwrap(), text);
}

#[test]
fn cells_added_moved_or_retyped_in_jupyter() {
    // the last cell had no final newline; a cell appended after it
    let text = "let a = 1;\n// %%\nlet b = 2;";
    let mut nb = to_ipynb(text).unwrap();
    let cells = nb["cells"].as_array_mut().unwrap();
    cells.push(json!({"cell_type": "code", "id": "new", "metadata": {}, "outputs": [], "execution_count": null, "source": "let c = 3;"}));
    // the implicit first cell moved to the end
    cells.swap(0, 2);
    // a duplicated cell (same metadata, same label)
    let back = from_ipynb(&nb.to_string()).unwrap();
    let parsed = cells::parse(&back).unwrap();
    let sources: Vec<&str> = parsed.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(
        sources,
        ["let c = 3;", "let b = 2;", "let a = 1;"],
        "{back}"
    );

    let mut nb = to_ipynb("// %%\n//| label: x\n1\n\n// %% [markdown]\n// hi\n").unwrap();
    let copy = nb["cells"][0].clone();
    nb["cells"].as_array_mut().unwrap().push(copy);
    nb["cells"][1]["cell_type"] = json!("code");
    nb["cells"][1]["outputs"] = json!([]);
    let back = from_ipynb(&nb.to_string()).unwrap();
    let parsed = cells::parse(&back).unwrap();
    assert_eq!(parsed.len(), 3, "{back}");
    assert_eq!(parsed[0].label.as_deref(), Some("x"));
    assert_eq!(parsed[1].kind, CellKind::Code);
    assert_eq!(parsed[1].source, "hi");
    assert_eq!(parsed[2].label, None, "{back}");
}

#[test]
fn a_notebook_authored_in_jupyter_converts() {
    let nb = json!({
        "nbformat": 4, "nbformat_minor": 2,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title\n\nSee ![x](attachment:x.png)  ", "attachments": {"x.png": {"image/png": "iVBORw0KGgo="}}},
            {"cell_type": "code", "metadata": {"tags": ["raises-exception"], "jupyter": {"source_hidden": true}}, "source": ["\n", "let x = 1;\r\n", "x\n", "\n"], "outputs": [], "execution_count": 3},
            {"cell_type": "raw", "metadata": {}, "source": "raw text"},
            {"cell_type": "code", "metadata": {}, "source": [], "outputs": [], "execution_count": null},
        ]
    });
    let (text, notes) = from_ipynb_with_notes(&nb.to_string()).unwrap();
    assert_eq!(
        text,
        "// %% [markdown]\n// # Title\n//\n// See ![x](attachment:x.png)\n\n// %%\n//| echo: false\n//| error: true\nlet x = 1;\nx\n\n// %% [markdown]\n// raw text\n\n// %%\n"
    );
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("x.png"), "{notes:?}");
    assert!(notes[1].contains("raw cell"), "{notes:?}");
    // and back: same kinds (raw is markdown) and sources (normalised)
    let again = to_ipynb(&text).unwrap();
    assert_eq!(
        cells_of(&again),
        [
            (
                "markdown".into(),
                "# Title\n\nSee ![x](attachment:x.png)".into()
            ),
            ("code".into(), "let x = 1;\nx".into()),
            ("markdown".into(), "raw text".into()),
            ("code".into(), String::new()),
        ]
    );
}

#[test]
fn cells_the_percent_format_cannot_hold_are_named() {
    for (source, kind, want) in [
        ("1\n// %%\n2", "code", "would not read back"),
        ("/* open\n1", "code", "would not read back"),
        ("%% not a marker", "markdown", "would not read back"),
        ("//| colour: red\n1", "code", "unknown cell option"),
    ] {
        let nb = json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "id": "ok", "metadata": {}, "source": "fine", "outputs": [], "execution_count": null},
            {"cell_type": kind, "id": "bad", "metadata": {}, "source": source, "outputs": [], "execution_count": null},
            {"cell_type": "code", "id": "after", "metadata": {}, "source": "3", "outputs": [], "execution_count": null},
        ]});
        match from_ipynb(&nb.to_string()) {
            Err(e @ NotebookError::IpynbCell { cell: 2, .. }) => {
                let m = e.to_string();
                assert!(m.contains("ipynb cell 2 (id `bad`)"), "{m}");
                assert!(m.contains(want), "{source:?}: {m}");
                assert!(!e.is_usage());
            }
            other => panic!("{source:?}: {other:?}"),
        }
    }
}

#[test]
fn bad_ipynb_is_refused_with_a_reason() {
    let cell = |c: Value| {
        json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [c]}).to_string()
    };
    for (json, want) in [
        ("{not json".to_string(), "malformed JSON"),
        ("[]".to_string(), "not an object"),
        (json!({"cells": []}).to_string(), "no `nbformat`"),
        (
            json!({"nbformat": 3, "worksheets": []}).to_string(),
            "nbformat 3 is not supported",
        ),
        (json!({"nbformat": 4}).to_string(), "`cells`"),
        (json!({"nbformat": 4, "cells": []}).to_string(), "no cells"),
        (
            cell(json!({"cell_type": "code", "source": 5})),
            "cell 1: `source` must be",
        ),
        (
            cell(json!({"cell_type": "code", "source": ["a", 1]})),
            "`source` must be",
        ),
        (
            cell(json!({"cell_type": "heading", "id": "h", "source": "x"})),
            "cell 1 (id `h`): unknown cell_type `heading`",
        ),
        (cell(json!({"source": "x"})), "no `cell_type`"),
        (cell(json!("x")), "not a JSON object"),
    ] {
        match from_ipynb(&json) {
            Err(e) => {
                let m = e.to_string();
                assert!(m.contains(want), "{json}: {m}");
                assert!(!e.is_usage(), "{m}");
            }
            Ok(t) => panic!("{json}: accepted as {t:?}"),
        }
    }
}

#[test]
fn a_file_over_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.ipynb");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(MAX_IPYNB_BYTES + 1).unwrap();
    match read_file(&path) {
        Err(NotebookError::TooLarge { bytes, .. }) => assert_eq!(bytes, MAX_IPYNB_BYTES + 1),
        other => panic!("{other:?}"),
    }
}

/// The random notebooks' choices, from the crate's seeded generator.
struct Rng(rand_chacha::ChaCha8Rng);

impl Rng {
    fn new(seed: u64) -> Self {
        use rand::SeedableRng;
        Self(rand_chacha::ChaCha8Rng::seed_from_u64(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        use rand::RngExt;
        self.0.random_range(0..n)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const CODE_LINES: &[&str] = &[
    "let x = 1;",
    "print(x);",
    "x",
    "    indented();",
    "// a comment",
    "//",
    "/* block\n// %% not a marker\n*/ let y = 2;",
    "let s = `multi\n// %% inside a string\nline`;",
    "let c = '\"'; // /* not a comment",
    "let t = \"continued \\\n// %% still a string\";",
    "  ",
    "\t",
    "x\r",
    "ünïcode → ✓",
];

const MD_LINES: &[&str] = &[
    "// # Heading",
    "// text with `code`",
    "//",
    "",
    "   // indented prefix",
    "//     indented content",
    "// trailing spaces  ",
    "// | a | b |",
];

const MARKERS: &[&str] = &[
    "// %%",
    "// %% Title",
    "  // %%   Spaced title  ",
    "// %%Tight",
    "// %% [markdown]",
    "// %% [markdown] A markdown title",
];

fn generate(rng: &mut Rng) -> String {
    let eol_of = |rng: &mut Rng, crlf: bool| {
        if crlf ^ rng.chance(3) { "\r\n" } else { "\n" }
    };
    let crlf = rng.chance(25);
    let mut lines: Vec<String> = Vec::new();
    match rng.below(4) {
        0 => {}
        1 => lines.extend((0..rng.below(3) + 1).map(|_| String::new())),
        2 => lines.extend((0..rng.below(3) + 1).map(|_| rng.pick(CODE_LINES).to_string())),
        _ => lines.push("   ".into()),
    }
    let mut label = 0;
    for _ in 0..rng.below(5) + 1 {
        let marker = rng.pick(MARKERS);
        lines.push(marker.to_string());
        let markdown = marker.contains("[markdown]");
        for opt in ["//| label: l", "//|echo:false", "//| error: true"] {
            if rng.chance(25) {
                if opt.contains("label") {
                    label += 1;
                    lines.push(format!("{opt}{label}"));
                } else {
                    lines.push(opt.to_string());
                }
            }
        }
        for _ in 0..rng.below(3) {
            lines.push(if rng.chance(50) {
                String::new()
            } else {
                " ".into()
            });
        }
        for _ in 0..rng.below(5) {
            let pool = if markdown { MD_LINES } else { CODE_LINES };
            lines.push(rng.pick(pool).to_string());
        }
        for _ in 0..rng.below(3) {
            lines.push(String::new());
        }
    }
    if rng.chance(10) {
        lines.push("/* unterminated to the end\n// %%".into());
    }
    let mut text = String::new();
    let n = lines.len();
    for (i, l) in lines.iter().enumerate() {
        for (k, part) in l.split('\n').enumerate() {
            if k > 0 {
                let e = eol_of(rng, crlf);
                text.push_str(e);
            }
            text.push_str(part);
        }
        if i + 1 < n || rng.chance(70) {
            let e = eol_of(rng, crlf);
            text.push_str(e);
        }
    }
    text
}

#[test]
fn generated_notebooks_round_trip_byte_for_byte() {
    let seed = std::env::var("ANML_IPYNB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261205u64);
    let mut rng = Rng::new(seed);
    let (mut tried, mut parsed) = (0, 0);
    while parsed < 400 {
        tried += 1;
        assert!(
            tried < 20_000,
            "the generator makes too few valid notebooks"
        );
        let text = generate(&mut rng);
        let Ok(cells) = cells::parse(&text) else {
            continue;
        };
        parsed += 1;
        let nb = to_ipynb(&text).unwrap();
        check_ids(&nb);
        let json = to_json_text(&nb);
        // ANML_IPYNB_DUMP=DIR keeps the notebooks (to validate them with
        // Python's nbformat by hand).
        if let Some(dir) = std::env::var_os("ANML_IPYNB_DUMP") {
            let path = Path::new(&dir).join(format!("generated-{parsed}.ipynb"));
            std::fs::write(path, &json).unwrap();
        }
        let back = from_ipynb(&json).unwrap_or_else(|e| panic!("{e}\n{text:?}"));
        assert_eq!(back, text, "\n{json}");
        // .ipynb → .rhai → .ipynb keeps every cell's kind and source
        let again = to_ipynb(&back).unwrap();
        assert_eq!(cells_of(&again), cells_of(&nb), "{text:?}");

        // An edit in Jupyter wins, the other cells keep their bytes.
        let k = rng.below(cells.len());
        let mut edited = nb.clone();
        let new = match cells[k].kind {
            CellKind::Code => "let edited = 1;\nedited",
            CellKind::Markdown => "edited *text*\n\nline",
        };
        edited["cells"][k]["source"] = json!(new);
        let back = from_ipynb(&edited.to_string()).unwrap_or_else(|e| panic!("{e}\n{text:?}"));
        let after = cells::parse(&back).unwrap_or_else(|e| panic!("{e}\n{back:?}"));
        assert_eq!(after.len(), cells.len(), "{text:?}\n{back:?}");
        for (i, (a, b)) in after.iter().zip(&cells).enumerate() {
            let want = if i == k { new } else { b.source.as_str() };
            assert_eq!(a.source, want, "cell {i} of {text:?}\n{back:?}");
            assert_eq!(
                (a.kind, &a.label, a.echo, a.allow_error),
                (b.kind, &b.label, b.echo, b.allow_error),
                "cell {i}, edited {k}: {text:?}\n{back:?}"
            );
        }
    }
}
