//! anml's comparison of detectors (src/compare/) against scipy,
//! scikit-posthocs, statsmodels and autorank on PyOD's ODDS leaderboard
//! (`tests/fixtures/compare/reference.json`, written by
//! `scripts/gen_compare_reference.py`; no Python is needed here).
//!
//! Checked to 1e-10: Friedman χ² and p (scipy), Iman–Davenport F and p
//! (scipy's F distribution), average ranks (scipy's rankdata), Nemenyi
//! p-values (scikit-posthocs), q_α and the CD (scipy's studentized_range),
//! Wilcoxon statistic and p in every branch scipy's method='auto' takes
//! (exact, permutation, normal approximation), Holm-adjusted p-values
//! (statsmodels). autorank's CD is checked to 1e-3: it takes q from
//! statsmodels' `qsturng`, an interpolation of tables, not an integral.
//! autorank's groups must equal ours exactly.

use anml::compare::{Comparison, Matrix, q_alpha};
use serde_json::Value;

mod common;

const TOL: f64 = 1e-10;

fn close(case: &str, what: &str, got: f64, want: f64, tol: f64) -> f64 {
    let d = (got - want).abs();
    assert!(
        d <= tol,
        "{case}: {what}: anml {got} vs reference {want} (|diff| {d:e} > {tol:e})"
    );
    d
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn comparison_matches_scipy_scikit_posthocs_and_autorank() {
    let fixture = common::fixture("compare/reference.json");
    let cases = fixture["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    let mut worst = 0.0f64;
    let mut branches = std::collections::BTreeSet::new();
    for c in cases {
        let name = c["name"].as_str().expect("name");
        let values: Vec<Vec<f64>> = c["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|r| r.as_array().expect("row").iter().map(f).collect())
            .collect();
        let m =
            Matrix::new(strings(&c["datasets"]), strings(&c["models"]), values).expect("matrix");
        let k = m.models.len();
        for (alpha_key, cd_ref) in c["cd"].as_object().expect("cd") {
            let alpha: f64 = alpha_key.parse().expect("alpha");
            let cmp = Comparison::with_direction(&m, "roc_auc", true, alpha).expect("compare");
            let w = |got, want: &Value, what: &str| close(name, what, got, f(want), TOL);
            worst = worst.max(w(
                cmp.friedman.statistic,
                &c["friedman_statistic"],
                "Friedman chi2",
            ));
            worst = worst.max(w(cmp.friedman.p, &c["friedman_p"], "Friedman p"));
            worst = worst.max(close(
                name,
                "Iman-Davenport F",
                cmp.iman_davenport.statistic,
                f(&c["iman_davenport_statistic"]),
                TOL * f(&c["iman_davenport_statistic"]).max(1.0),
            ));
            worst = worst.max(w(
                cmp.iman_davenport.p,
                &c["iman_davenport_p"],
                "Iman-Davenport p",
            ));
            assert_eq!(cmp.iman_davenport.df1, f(&c["iman_davenport_df"][0]));
            assert_eq!(cmp.iman_davenport.df2, f(&c["iman_davenport_df"][1]));
            for (j, want) in c["average_ranks"]
                .as_array()
                .expect("ranks")
                .iter()
                .enumerate()
            {
                worst = worst.max(w(
                    cmp.average_ranks[j],
                    want,
                    &format!("rank of {}", m.models[j]),
                ));
                let auto = &cd_ref["autorank_meanrank"][&m.models[j]];
                worst = worst.max(w(cmp.average_ranks[j], auto, "autorank mean rank"));
            }
            worst = worst.max(w(cmp.q_alpha, &cd_ref["q_alpha"], "q_alpha"));
            worst = worst.max(w(cmp.cd, &cd_ref["cd"], "CD"));
            close(
                name,
                "CD vs autorank",
                cmp.cd,
                f(&cd_ref["autorank_cd"]),
                1e-3,
            );
            let groups: Vec<Vec<String>> = cd_ref["autorank_groups"]
                .as_array()
                .expect("groups")
                .iter()
                .map(strings)
                .collect();
            let mut ours: Vec<Vec<String>> = cmp
                .groups
                .iter()
                .map(|g| {
                    let mut g = g.clone();
                    g.sort();
                    g
                })
                .collect();
            ours.sort();
            let mut theirs = groups.clone();
            theirs.sort();
            assert_eq!(ours, theirs, "{name} alpha {alpha}: groups");

            let nem = c["nemenyi_p"].as_array().expect("nemenyi");
            let pairs = c["pairs"].as_array().expect("pairs");
            assert_eq!(pairs.len(), cmp.pairs.len());
            for (got, want) in cmp.pairs.iter().zip(pairs) {
                let (i, j) = (
                    want["i"].as_u64().expect("i") as usize,
                    want["j"].as_u64().expect("j") as usize,
                );
                let what = format!("{} vs {}", m.models[i], m.models[j]);
                assert_eq!(
                    (got.a.as_str(), got.b.as_str()),
                    (m.models[i].as_str(), m.models[j].as_str())
                );
                worst = worst.max(w(got.nemenyi_p, &nem[i][j], &format!("{what}: Nemenyi p")));
                assert_eq!(
                    (got.wins, got.ties, got.losses),
                    (
                        want["wins"].as_u64().expect("wins") as usize,
                        want["ties"].as_u64().expect("ties") as usize,
                        want["losses"].as_u64().expect("losses") as usize
                    ),
                    "{name}: {what}: W/T/L"
                );
                let branch = want["branch"].as_str().expect("branch");
                assert_eq!(got.wilcoxon_method.name(), branch, "{name}: {what}: branch");
                branches.insert(branch.to_string());
                worst = worst.max(w(
                    got.wilcoxon_statistic,
                    &want["statistic"],
                    &format!("{what}: W"),
                ));
                worst = worst.max(w(
                    got.wilcoxon_p,
                    &want["p"],
                    &format!("{what}: Wilcoxon p"),
                ));
                worst = worst.max(w(got.holm_p, &want["holm_p"], &format!("{what}: Holm p")));
            }
            assert_eq!(k, m.models.len());
        }
    }
    assert_eq!(
        branches.into_iter().collect::<Vec<_>>(),
        vec!["asymptotic", "exact", "permutation"],
        "every branch of scipy's wilcoxon is exercised"
    );
    eprintln!("largest |anml - reference| over all checked values: {worst:e}");
}

/// Demšar (2006), tables 5(a) and 5(b): q_α for k = 2…10 to the table's
/// three decimals (it truncates: q_0.05 for k = 3 is 2.3437, printed 2.343).
#[test]
fn q_alpha_reproduces_demsars_table() {
    let t05 = [
        1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164,
    ];
    let t10 = [
        1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920,
    ];
    for (i, k) in (2..=10).enumerate() {
        close(
            "table",
            &format!("q_0.05 k={k}"),
            q_alpha(0.05, k),
            t05[i],
            1e-3,
        );
        close(
            "table",
            &format!("q_0.10 k={k}"),
            q_alpha(0.10, k),
            t10[i],
            1e-3,
        );
    }
}
