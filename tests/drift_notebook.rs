//! The drift table as scripts and notebook reports show it: `drift(split)`
//! in a notebook renders in the HTML and Markdown reports and in the record
//! (one row per feature, the library's values to four decimals), `--check`
//! reproduces it, and a far-shifted current set reads `major`.

mod common;

use anml::data::Protocol;
use common::{Sandbox, text};
use serde_json::Value;

const NOTEBOOK: &str = r#"// %% [markdown]
// # Drift between the training and the test split
// %%
//| label: split
let sp = load_dataset("cardio").split(#{ protocol: "pyod", seed: 0 });
drift(sp);
// %%
//| label: far
let rows = [];
for i in 0..30 {
    let r = [];
    for j in 0..21 { r.push(100.0 + i); }
    rows.push(r);
}
drift(sp.x_train, matrix(rows));
"#;

fn table_rows<'a>(record: &'a Value, label: &str) -> Vec<&'a str> {
    let cell = record["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["name"] == label)
        .unwrap_or_else(|| panic!("no cell {label}"));
    let content = cell["outputs"][0]["content"]
        .as_str()
        .expect("table output");
    content.lines().collect()
}

#[test]
fn drift_table_renders_in_reports_and_record() {
    let sb = Sandbox::new();
    let nb = sb.write("drift.rhai", NOTEBOOK);
    let (html, md) = (sb.root().join("drift.html"), sb.root().join("drift.md"));
    let run = |check: bool| {
        let mut c = sb.anml();
        c.args(["notebook", "run"]).arg(&nb);
        c.arg("--html").arg(&html).arg("--md").arg(&md);
        if check {
            c.arg("--check");
        }
        c.output().expect("run anml")
    };
    let out = run(false);
    let (so, se) = text(&out);
    assert!(out.status.success(), "{so}\n{se}");

    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.root().join("drift.json")).unwrap())
            .unwrap();
    let rows = table_rows(&record, "split");
    assert_eq!(rows[0], "feature | psi | ks | ks_p | verdict");
    assert_eq!(rows.len(), 1 + 21);

    let ds = common::load_dataset("cardio").expect("cardio");
    let p = Protocol::Pyod.prepare(&ds, 0).expect("split");
    let want = anml::drift::drift(p.x_train.view(), p.x_test.view()).expect("drift");
    for (row, f) in rows[1..].iter().zip(&want) {
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells[0], f.feature.to_string());
        assert_eq!(cells[1], format!("{:.4}", f.psi), "feature {}", f.feature);
        assert_eq!(cells[2], format!("{:.4}", f.ks), "feature {}", f.feature);
        assert_eq!(cells[4], f.verdict.to_string());
    }
    for row in &table_rows(&record, "far")[1..] {
        assert!(row.ends_with("| major"), "{row}");
    }

    let md_text = std::fs::read_to_string(&md).unwrap();
    assert!(
        md_text.contains("| feature | psi | ks | ks_p | verdict |"),
        "{md_text}"
    );
    let html_text = std::fs::read_to_string(&html).unwrap();
    assert!(html_text.contains("verdict") && html_text.contains("major"));

    let out = run(true);
    let (so, se) = text(&out);
    assert!(out.status.success(), "--check: {so}\n{se}");
}
