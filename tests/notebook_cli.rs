//! `anml notebook run` through the real binary: failing cells, allowed
//! errors, the Markdown report, the record's schema, `--no-code`, and the
//! errors a user meets first.

mod common;

use common::{Sandbox, text};
use serde_json::Value;

const NOTEBOOK: &str = r#"// %% [markdown]
// # Small notebook
//
// <img src="x" onerror="alert(1)">

// %%
//| label: first
let sp = load_dataset("toy-blobs").split(3);
let s = detector("hbos").fit(sp.x_train).score(sp.x_test);
print(`roc ${roc_auc(sp.y_test, s)}`);

// %%
//| label: allowed
//| error: true
load_dataset("no-such-dataset");

// %%
//| label: figure
//| echo: false
roc_plot(sp.y_test, s);

// %%
//| label: broken
let x = undefined_variable + 1;

// %%
//| label: after
print("never printed");
"#;

#[test]
fn a_failing_cell_stops_the_run_and_the_report_says_so() {
    let sb = Sandbox::new();
    let nb = sb.write("small.rhai", NOTEBOOK);
    let md = sb.root().join("rep/small.md");
    let out = sb
        .anml()
        .args(["notebook", "run"])
        .arg(&nb)
        .arg("--html")
        .arg(sb.root().join("rep/small.html"))
        .arg("--md")
        .arg(&md)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("cell broken failed"), "{stderr}");
    assert!(stderr.contains("undefined_variable"), "{stderr}");

    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.root().join("rep/small.json")).unwrap())
            .unwrap();
    let status: Vec<(&str, &str)> = record["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("cell 1", "ok"),
            ("first", "ok"),
            ("allowed", "error"),
            ("figure", "ok"),
            ("broken", "error"),
            ("after", "not-run"),
        ]
    );
    assert!(
        record["cells"][2]["error"]
            .as_str()
            .unwrap()
            .contains("no-such-dataset")
    );
    // errors carry the notebook's own line numbers and a caret
    let broken = record["cells"][4]["error"].as_str().unwrap();
    assert!(broken.contains("small.rhai:24"), "{broken}");
    assert!(broken.contains('^'), "{broken}");
    assert_eq!(
        record["provenance"]["inputs"]["seeds"],
        serde_json::json!([3])
    );
    assert!(record["provenance"]["inputs"]["datasets"]["toy-blobs"].is_string());

    let html = std::fs::read_to_string(sb.root().join("rep/small.html")).unwrap();
    assert!(html.contains("not run") && html.contains("error (allowed)"));
    assert!(!html.contains("<img"), "raw HTML in markdown is escaped");
    assert!(html.contains("&lt;img"));
    // echo: false hides the figure cell's code but not its figure
    assert!(!html.contains("roc_plot") && html.contains("<svg"));

    let md_text = std::fs::read_to_string(&md).unwrap();
    assert!(md_text.contains("```rhai\nlet sp = load_dataset"));
    assert!(md_text.contains("](small_files/figure-1.png)"), "{md_text}");
    let png = std::fs::read(sb.root().join("rep/small_files/figure-1.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    assert!(md_text.contains("**not run**"));
}

#[test]
fn no_code_hides_code_and_check_needs_a_valid_record() {
    let sb = Sandbox::new();
    let nb = sb.write(
        "ok.rhai",
        "// %%\nlet a = 40 + 2;\nprint(a);\n// %%\na * 1.5;\n",
    );
    let html = sb.root().join("ok.html");
    let run = |extra: &[&str]| {
        let out = sb
            .anml()
            .args(["notebook", "run"])
            .arg(&nb)
            .arg("--html")
            .arg(&html)
            .args(extra)
            .output()
            .unwrap();
        let (o, e) = text(&out);
        (out.status.code(), o, e)
    };
    // --check before any record exists
    let (code, _, err) = run(&["--check"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("ok.json"), "{err}");

    let (code, _, err) = run(&["--no-code"]);
    assert_eq!(code, Some(0), "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("class=\"code\""));
    assert!(page.contains("<pre class=\"stdout\">42</pre>") && page.contains("63"));
    let (code, out, err) = run(&["--check"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("check OK: 2 cells"), "{out}");

    // a record edited by hand is refused by the schema
    let sidecar = sb.root().join("ok.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&sidecar).unwrap()).unwrap();
    v["cells"][0]["status"] = "fine".into();
    std::fs::write(&sidecar, v.to_string()).unwrap();
    let (code, _, err) = run(&["--check"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("status"), "{err}");

    // a changed number is named with its cell and line
    std::fs::write(&nb, "// %%\nlet a = 40 + 3;\nprint(a);\n// %%\na * 1.5;\n").unwrap();
    let (code, _, err) = run(&[]);
    assert_eq!(code, Some(0), "{err}");
    std::fs::write(&nb, "// %%\nlet a = 40 + 2;\nprint(a);\n// %%\na * 1.5;\n").unwrap();
    let (code, out, _) = run(&["--check"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("cell cell 1: stdout number 1"), "{out}");
    assert!(out.contains("recorded 43, now 42"), "{out}");
    assert!(
        out.contains("cell cell 2: output 1 (text) number 1"),
        "{out}"
    );
}

#[test]
fn parse_errors_and_missing_outputs_are_named() {
    let sb = Sandbox::new();
    let nb = sb.write("bad.rhai", "// %%\n//| colour: red\n1;\n");
    let out = sb
        .anml()
        .args(["notebook", "run"])
        .arg(&nb)
        .arg("--html")
        .arg(sb.root().join("bad.html"))
        .output()
        .unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("notebook line 2: unknown cell option `colour`"),
        "{err}"
    );
    assert!(!sb.root().join("bad.html").exists());

    let out = sb
        .anml()
        .args(["notebook", "run"])
        .arg(&nb)
        .output()
        .unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("--html"), "{err}");
}
