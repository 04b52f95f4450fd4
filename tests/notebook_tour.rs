//! The shipped notebook, `scripts/odds_tour.rhai`, rendered by the real
//! binary as CI does: the HTML report is self-contained and has every cell,
//! plot, table and the provenance block; `--check` confirms it reproduces;
//! changing the seed in the file makes `--check` fail and name the cells.

mod common;

use common::{Sandbox, text};
use std::path::Path;

fn tour() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/odds_tour.rhai");
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn odds_tour_renders_a_self_contained_report_that_checks() {
    let sb = Sandbox::new();
    let nb = sb.write("odds_tour.rhai", &tour());
    let html = sb.root().join("out/odds_tour.html");
    let md = sb.root().join("out/odds_tour.md");
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

    let page = std::fs::read_to_string(&html).unwrap();
    // every plot inline, no fetches of any kind, no script
    assert_eq!(
        page.matches("<svg").count(),
        4,
        "ROC, PR, histogram, heatmap"
    );
    for banned in [
        "http://", "https://", "<script", "<link", "src=\"", "@import",
    ] {
        assert!(!page.contains(banned), "the report contains {banned}");
    }
    assert!(page.contains("<table"), "tables are HTML tables");
    for label in [
        "datasets",
        "cardio-scores",
        "roc",
        "pr",
        "histogram",
        "leaderboard",
        "heatmap",
    ] {
        assert!(page.contains(&format!("id=\"{label}\"")), "cell {label}");
    }
    // markdown cells are rendered, code is highlighted server-side
    assert!(page.contains("<h1") && page.contains("A tour of three ODDS datasets"));
    assert!(page.contains("<span class="));
    // the provenance block names the notebook's and the datasets' SHA-256
    let manifest = std::fs::read_to_string(common::mirror().join("MANIFEST.md")).unwrap();
    for ds in ["cardio", "wbc", "glass"] {
        let line = manifest
            .lines()
            .find(|l| l.contains(&format!("odds/{ds}.mat")))
            .unwrap_or_else(|| panic!("{ds} in MANIFEST.md"));
        let sha = line
            .split(|c: char| !c.is_ascii_hexdigit())
            .find(|w| w.len() == 64)
            .unwrap();
        assert!(page.contains(sha), "provenance lists {ds}'s SHA-256");
    }
    assert!(page.contains(env!("CARGO_PKG_VERSION")));

    // the sidecar validates (the binary checks it against its schema when
    // reading it back for --check) and the run reproduces
    let sidecar = html.with_extension("json");
    assert!(sidecar.exists());
    // Re-run from nothing: without the run store's cached runs every
    // number is computed again (and wall times differ, which the record
    // leaves out).
    std::fs::remove_dir_all(sb.root().join("results/odds_tour/runs")).unwrap();
    let check = || {
        sb.anml()
            .args(["notebook", "run"])
            .arg(&nb)
            .arg("--html")
            .arg(&html)
            .arg("--check")
            .output()
            .unwrap()
    };
    let check_out = check();
    let (stdout, stderr) = text(&check_out);
    assert!(check_out.status.success(), "{stdout}\n{stderr}");

    // a different seed changes the outputs, and --check says which
    std::fs::write(&nb, tour().replace("let seed = 0;", "let seed = 1;")).unwrap();
    let check_out = check();
    let (stdout, stderr) = text(&check_out);
    assert!(!check_out.status.success(), "{stdout}\n{stderr}");
    let report = format!("{stdout}{stderr}");
    assert!(report.contains("cardio-scores"), "{report}");
    assert!(report.contains("leaderboard"), "{report}");
}
