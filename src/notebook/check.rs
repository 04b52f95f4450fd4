//! `--check`: does a re-run reproduce the record? Every output is compared
//! as text with its numbers taken out: the rest of the text must be equal,
//! and each number must agree within a relative tolerance. Timings, the
//! date and the hardware are not compared; changed input hashes are
//! reported as warnings (the outputs decide).

use super::sidecar::{CellRecord, Sidecar};

/// One way the re-run differs from the record.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The cell's name (label or `cell N`).
    pub cell: String,
    /// Where in the cell (e.g. `stdout number 3`, `output 1 (table) text`).
    pub what: String,
    pub recorded: String,
    pub now: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cell {}: {}: recorded {}, now {}",
            self.cell, self.what, self.recorded, self.now
        )
    }
}

/// What the comparison found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub differences: Vec<Difference>,
    /// Input changes that do not by themselves fail the check.
    pub warnings: Vec<String>,
    /// How many numbers and texts were compared.
    pub numbers: usize,
    pub texts: usize,
}

/// Split text into its skeleton (numbers replaced by `#`) and its numbers.
/// A number is an optional sign, digits with an optional fraction, and an
/// optional exponent; `NaN` and `inf` are numbers too.
pub fn split_numbers(text: &str) -> (String, Vec<f64>) {
    let b = text.as_bytes();
    let mut skeleton = String::with_capacity(text.len());
    let mut nums = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let prev_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let starts = !prev_word
            && (b[i].is_ascii_digit()
                || ((b[i] == b'-' || b[i] == b'+' || b[i] == b'.')
                    && b.get(i + 1).is_some_and(|c| c.is_ascii_digit())));
        if starts {
            let mut j = i;
            if b[j] == b'-' || b[j] == b'+' {
                j += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j < b.len() && b[j] == b'.' && b.get(j + 1).is_some_and(|c| c.is_ascii_digit()) {
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if j < b.len() && (b[j] == b'e' || b[j] == b'E') {
                let mut k = j + 1;
                if k < b.len() && (b[k] == b'-' || b[k] == b'+') {
                    k += 1;
                }
                if k < b.len() && b[k].is_ascii_digit() {
                    while k < b.len() && b[k].is_ascii_digit() {
                        k += 1;
                    }
                    j = k;
                }
            }
            // The text is ASCII in [i, j), so this slice is on char bounds.
            if let Ok(v) = text[i..j].parse::<f64>() {
                nums.push(v);
                skeleton.push('#');
                i = j;
                continue;
            }
        }
        if b[i].is_ascii_alphanumeric() || b[i] == b'_' {
            // A word (`x2`, `v1.2`, `satimage-2`'s `satimage`): digits inside
            // it are not numbers.
            let mut j = i + 1;
            while j < b.len()
                && (b[j].is_ascii_alphanumeric()
                    || b[j] == b'_'
                    || (b[j] == b'.' && b.get(j + 1).is_some_and(|c| c.is_ascii_alphanumeric())))
            {
                j += 1;
            }
            skeleton.push_str(&text[i..j]);
            i = j;
            continue;
        }
        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
        skeleton.push_str(&text[i..i + ch_len]);
        i += ch_len;
    }
    (skeleton, nums)
}

/// Whether `a` and `b` agree: `|a − b| ≤ tol · max(1, |a|, |b|)`; NaN
/// equals NaN, infinities must be equal.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

fn short(s: &str) -> String {
    let one_line = s.replace('\n', "⏎");
    if one_line.chars().count() > 120 {
        format!("{:?}…", one_line.chars().take(120).collect::<String>())
    } else {
        format!("{one_line:?}")
    }
}

fn compare_text(
    report: &mut CheckReport,
    cell: &str,
    what: &str,
    recorded: &str,
    now: &str,
    tol: f64,
) {
    let (sk_a, na) = split_numbers(recorded);
    let (sk_b, nb) = split_numbers(now);
    report.texts += 1;
    if sk_a != sk_b || na.len() != nb.len() {
        report.differences.push(Difference {
            cell: cell.into(),
            what: format!("{what} text"),
            recorded: short(recorded),
            now: short(now),
        });
        return;
    }
    // The recorded line holding each number, to say where it is.
    let lines: Vec<&str> = recorded
        .lines()
        .flat_map(|l| std::iter::repeat_n(l, split_numbers(l).1.len()))
        .collect();
    for (k, (a, b)) in na.iter().zip(&nb).enumerate() {
        report.numbers += 1;
        if !close(*a, *b, tol) {
            let place = lines
                .get(k)
                .map(|l| format!(" in {}", short(l.trim())))
                .unwrap_or_default();
            report.differences.push(Difference {
                cell: cell.into(),
                what: format!("{what} number {}{place}", k + 1),
                recorded: a.to_string(),
                now: b.to_string(),
            });
        }
    }
}

fn compare_cell(report: &mut CheckReport, a: &CellRecord, b: &CellRecord, tol: f64) {
    let cell = a.name.as_str();
    if a.status != b.status {
        report.differences.push(Difference {
            cell: cell.into(),
            what: "status".into(),
            recorded: a.status.clone(),
            now: b.status.clone(),
        });
    }
    compare_text(report, cell, "stdout", &a.stdout, &b.stdout, tol);
    if a.outputs.len() != b.outputs.len() {
        report.differences.push(Difference {
            cell: cell.into(),
            what: "number of outputs".into(),
            recorded: a.outputs.len().to_string(),
            now: b.outputs.len().to_string(),
        });
    }
    for (i, (x, y)) in a.outputs.iter().zip(&b.outputs).enumerate() {
        let what = format!("output {} ({})", i + 1, x.kind);
        if x.kind != y.kind {
            report.differences.push(Difference {
                cell: cell.into(),
                what: format!("output {} kind", i + 1),
                recorded: x.kind.clone(),
                now: y.kind.clone(),
            });
            continue;
        }
        compare_text(report, cell, &what, &x.content, &y.content, tol);
    }
    let (ea, eb) = (
        a.error.as_deref().unwrap_or(""),
        b.error.as_deref().unwrap_or(""),
    );
    if !ea.is_empty() || !eb.is_empty() {
        compare_text(report, cell, "error", ea, eb, tol);
    }
}

/// Compare a re-run (`now`) with the `recorded` sidecar.
pub fn compare(recorded: &Sidecar, now: &Sidecar, tol: f64) -> CheckReport {
    let mut report = CheckReport::default();
    let (pa, pb) = (&recorded.provenance, &now.provenance);
    if pa.notebook_sha256 != pb.notebook_sha256 {
        report.warnings.push(format!(
            "the notebook changed since the record (SHA-256 {} → {})",
            &pa.notebook_sha256[..12.min(pa.notebook_sha256.len())],
            &pb.notebook_sha256[..12.min(pb.notebook_sha256.len())]
        ));
    }
    for (kind, a, b) in [
        ("dataset", &pa.inputs.datasets, &pb.inputs.datasets),
        ("series", &pa.inputs.series, &pb.inputs.series),
        ("artefact", &pa.inputs.artefacts, &pb.inputs.artefacts),
    ] {
        for (name, sha) in a {
            match b.get(name) {
                Some(s) if s == sha => {}
                Some(s) => report.warnings.push(format!(
                    "{kind} {name}: SHA-256 {sha} in the record, {s} now"
                )),
                None => report
                    .warnings
                    .push(format!("{kind} {name} was read by the record, not now")),
            }
        }
        for name in b.keys().filter(|n| !a.contains_key(*n)) {
            report
                .warnings
                .push(format!("{kind} {name} is read now, not by the record"));
        }
    }
    if pa.inputs.seeds != pb.inputs.seeds {
        report.differences.push(Difference {
            cell: "(provenance)".into(),
            what: "seeds".into(),
            recorded: format!("{:?}", pa.inputs.seeds),
            now: format!("{:?}", pb.inputs.seeds),
        });
    }
    let names = |s: &Sidecar| s.cells.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    if names(recorded) != names(now) {
        report.differences.push(Difference {
            cell: "(notebook)".into(),
            what: "cells".into(),
            recorded: names(recorded).join(", "),
            now: names(now).join(", "),
        });
    }
    for a in &recorded.cells {
        if let Some(b) = now.cells.iter().find(|b| b.name == a.name) {
            compare_cell(&mut report, a, b, tol);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_split_from_text() {
        let (sk, n) = split_numbers("auc 0.953, n = 1831; -2.5e-3 x2 satimage-2 v1.2");
        assert_eq!(sk, "auc #, n = #; # x2 satimage-# v1.2");
        assert_eq!(n, vec![0.953, 1831.0, -2.5e-3, 2.0]);
        let (sk, n) = split_numbers("ümlaut 3 → 4.0");
        assert_eq!(sk, "ümlaut # → #");
        assert_eq!(n, vec![3.0, 4.0]);
    }

    #[test]
    fn tolerance_is_relative_above_one() {
        assert!(close(1.0, 1.0 + 5e-10, 1e-9));
        assert!(!close(1.0, 1.0 + 5e-9, 1e-9));
        assert!(close(1e6, 1e6 + 5e-4, 1e-9));
        assert!(!close(0.0, 2e-9, 1e-9));
        assert!(close(f64::NAN, f64::NAN, 0.0));
        assert!(!close(f64::INFINITY, 1e308, 1.0));
    }
}
