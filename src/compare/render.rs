//! A [`Comparison`] as text: a terminal report (`anml results compare`)
//! and the Markdown section of a suite's leaderboard. Both show the same
//! things in the same order: what was compared (and what was dropped), the
//! average ranks, the Friedman and Iman–Davenport tests, the critical
//! difference and its groups, and the pairwise table.

use super::Comparison;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

/// A p-value: four decimals, or scientific below 1e-4.
pub fn format_p(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else if p != 0.0 && p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}

fn format_stat(v: f64) -> String {
    if v.is_infinite() {
        "inf".into()
    } else {
        format!("{v:.4}")
    }
}

impl Comparison {
    /// The lines before the tables: what was compared, the tests, the CD.
    fn summary_lines(&self) -> Vec<String> {
        let direction = if self.higher_is_better {
            "higher is better"
        } else {
            "lower is better"
        };
        let mut lines = vec![format!(
            "{} models on {} datasets by {} ({direction}; rank 1 = best), alpha = {}",
            self.models.len(),
            self.datasets.len(),
            self.metric,
            self.alpha
        )];
        for d in &self.dropped {
            lines.push(format!("dropped {}: {}", d.dataset, d.reason));
        }
        lines.push(format!(
            "Friedman chi2({}) = {}, p = {}",
            self.friedman.df,
            format_stat(self.friedman.statistic),
            format_p(self.friedman.p)
        ));
        lines.push(format!(
            "Iman-Davenport F({}, {}) = {}, p = {}",
            self.iman_davenport.df1,
            self.iman_davenport.df2,
            format_stat(self.iman_davenport.statistic),
            format_p(self.iman_davenport.p)
        ));
        lines.push(format!(
            "Nemenyi critical difference CD = {:.4} (q_alpha = {:.4})",
            self.cd, self.q_alpha
        ));
        if self.groups.is_empty() {
            lines.push("groups: none (every pair of models differs by more than the CD)".into());
        } else {
            for g in &self.groups {
                lines.push(format!(
                    "group (not significantly different): {}",
                    g.join(", ")
                ));
            }
        }
        lines
    }

    fn rank_rows(&self) -> Vec<Vec<String>> {
        self.rank_order()
            .into_iter()
            .map(|i| {
                vec![
                    self.models[i].clone(),
                    format!("{:.4}", self.average_ranks[i]),
                ]
            })
            .collect()
    }

    fn pair_rows(&self) -> Vec<Vec<String>> {
        self.pairs
            .iter()
            .map(|p| {
                vec![
                    p.a.clone(),
                    p.b.clone(),
                    format!("{}/{}/{}", p.wins, p.ties, p.losses),
                    format_p(p.wilcoxon_p),
                    format_p(p.holm_p),
                    format_p(p.nemenyi_p),
                    p.wilcoxon_method.name().to_string(),
                ]
            })
            .collect()
    }

    const PAIR_HEADER: [&'static str; 7] = [
        "model a",
        "model b",
        "W/T/L (a vs b)",
        "Wilcoxon p",
        "Holm p",
        "Nemenyi p",
        "Wilcoxon method",
    ];

    /// The terminal report.
    pub fn to_text(&self) -> String {
        let mut s = self.summary_lines().join("\n");
        s.push('\n');
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(vec!["model", "average rank"]);
        for r in self.rank_rows() {
            t.add_row(r);
        }
        s.push_str(&format!("{t}\n"));
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(Self::PAIR_HEADER.to_vec());
        for r in self.pair_rows() {
            t.add_row(r);
        }
        s.push_str(&format!("{t}\n"));
        s
    }

    /// The Markdown section (a `## Statistical comparison` heading, the
    /// summary as a list, the two tables).
    pub fn to_markdown(&self) -> String {
        let esc = |c: &str| c.replace('|', "\\|");
        let mut s = String::from("## Statistical comparison\n\n");
        for l in self.summary_lines() {
            s.push_str(&format!("- {}\n", esc(&l)));
        }
        s.push_str("\n| model | average rank |\n|---|---|\n");
        for r in self.rank_rows() {
            s.push_str(&format!("| {} | {} |\n", esc(&r[0]), r[1]));
        }
        s.push_str(&format!(
            "\n| {} |\n|{}\n",
            Self::PAIR_HEADER.join(" | "),
            "---|".repeat(Self::PAIR_HEADER.len())
        ));
        for r in self.pair_rows() {
            let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
            s.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        s
    }
}
