//! The shipped notebook `scripts/compare_tour.rhai` (issue 20's tour of
//! comparisons, thresholds, explanations and drift on the ODDS suite),
//! rendered by the real binary: the HTML report is self-contained and has
//! every cell, the CD diagram and both explanation plots; the comparison,
//! threshold, explanation and drift outputs are there with their numbers;
//! `--check` passes after the run store is deleted (every number computed
//! again).

mod common;

use common::{Sandbox, text};
use std::path::Path;

#[test]
fn compare_tour_renders_and_checks() {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/compare_tour.rhai"),
    )
    .unwrap();
    let sb = Sandbox::new();
    let nb = sb.write("compare_tour.rhai", &src);
    let html = sb.root().join("out/compare_tour.html");
    let md = sb.root().join("out/compare_tour.md");
    std::fs::create_dir_all(html.parent().unwrap()).unwrap();
    let out = sb
        .anml()
        .args(["notebook", "run"])
        .arg(&nb)
        .arg("--html")
        .arg(&html)
        .arg("--md")
        .arg(&md)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("357 runs") || stderr.contains("357 run"),
        "{stdout}\n{stderr}"
    );

    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        page.matches("<svg").count(),
        3,
        "CD diagram, ECOD bars, DIFFI bars"
    );
    for banned in [
        "http://", "https://", "<script", "<link", "src=\"", "@import",
    ] {
        assert!(!page.contains(banned), "the report contains {banned}");
    }
    for label in [
        "suite",
        "compare",
        "cd-diagram",
        "thresholds",
        "explain",
        "explain-plot",
        "diffi",
        "diffi-global",
        "drift",
    ] {
        assert!(page.contains(&format!("id=\"{label}\"")), "cell {label}");
    }
    let report = std::fs::read_to_string(&md).unwrap();
    for needle in [
        "7 models on 17 datasets by roc_auc",
        "Friedman chi2(6)",
        "Iman-Davenport F(6, 96)",
        "Nemenyi critical difference CD",
        "| detector | contamination | iqr | mad | zscore | otsu | karch | gesd | clust |",
        "| feature | contribution | share |",
        "| feature | importance |",
        "| feature | psi | ks | ks_p | verdict |",
        "Otsu threshold",
    ] {
        assert!(report.contains(needle), "the report lacks {needle:?}");
    }
    // no cell failed and no threshold method was left out of the table
    assert!(
        !report.contains("| - |"),
        "a threshold method fitted nowhere"
    );

    std::fs::remove_dir_all(sb.root().join("results/compare_tour/runs")).unwrap();
    let check = sb
        .anml()
        .args(["notebook", "run"])
        .arg(&nb)
        .arg("--html")
        .arg(&html)
        .arg("--check")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&check);
    assert!(check.status.success(), "{stdout}\n{stderr}");
}
