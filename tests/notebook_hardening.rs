//! Hardening of notebooks, the REPL's file commands, sweeps and the
//! registry against a hostile user, through the real binary: `--check`
//! that cannot be fooled by labels or failed records, output paths that
//! never overwrite the notebook or each other, bounded captured output,
//! sweep grids without phantom points, and the registry's verify/list.

mod common;

use common::{Sandbox, text};
use serde_json::Value;
use std::path::Path;

/// `anml notebook run NB ARGS…`: exit code, stdout, stderr.
fn notebook(sb: &Sandbox, nb: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = sb
        .anml()
        .args(["notebook", "run"])
        .arg(nb)
        .args(args)
        .output()
        .unwrap();
    let (o, e) = text(&out);
    (out.status.code(), o, e)
}

#[test]
fn check_compares_numbers_in_rows_whose_label_mentions_time() {
    let sb = Sandbox::new();
    let nb = sb.write(
        "nab.rhai",
        "// %%\nlet t = table([\"series\", \"roc_auc\"]);\n\
         t.add_row([\"nab/realTraffic/TravelTime_387\", \"0.8257\"]);\nt\n",
    );
    let html = sb.root().join("nab.html");
    let html = html.to_str().unwrap();
    let (code, _, err) = notebook(&sb, &nb, &["--html", html]);
    assert_eq!(code, Some(0), "{err}");
    let sidecar = sb.root().join("nab.json");
    let recorded = std::fs::read_to_string(&sidecar).unwrap();
    assert!(recorded.contains("TravelTime_387 | 0.8257"), "{recorded}");
    // The same notebook giving another ROC-AUC must fail the check.
    std::fs::write(&sidecar, recorded.replace("0.8257", "0.7507")).unwrap();
    let (code, out, err) = notebook(&sb, &nb, &["--html", html, "--check"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("check FAILED") && out.contains("0.7507"),
        "{out}"
    );
}

#[test]
fn check_against_a_record_whose_cells_failed_is_not_ok() {
    let sb = Sandbox::new();
    let nb = sb.write(
        "broken.rhai",
        "// %%\nprint(1);\n// %%\nlet x = undefined_variable + 1;\n// %%\nprint(2);\n",
    );
    let html = sb.root().join("broken.html");
    let html = html.to_str().unwrap();
    let (code, _, err) = notebook(&sb, &nb, &["--html", html]);
    assert_eq!(code, Some(1), "{err}");
    let (code, out, err) = notebook(&sb, &nb, &["--html", html, "--check"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(!out.contains("check OK"), "{out}");
    assert!(out.contains("cell 2 failed"), "{out}");
}
