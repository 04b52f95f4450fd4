//! The metric table: every metric anml computes, declared once.
//!
//! One entry per metric (in the `metric_table!` call at the bottom): its
//! field name, kind (a section: `both`, `tabular` or `series`), the
//! function that computes it, its direction and its doc. Everything else is
//! derived from the table:
//!
//! * [`Scorecard`]: one field per tabular metric, in table order (plus the
//!   extra fields a metric records, the Youden `threshold`), computed by
//!   [`scorecard()`](super::scorecard()) from one validated, sorted
//!   [`Scored`] input;
//! * the result record: `RunResult` flattens the scorecard, so its JSON keys
//!   are the table's, in table order; the results schema's metric properties
//!   are checked against the table (`tests/metric_table.rs`);
//! * the time-series record: [`SERIES_METRICS`] say where each value sits in
//!   a `SeriesRunResult`'s `metrics` object, and how to read it;
//! * the script getters on `RunResult` (with the summary as their doc, so the
//!   REPL's `:doc` and completion list them), the script tables, the
//!   tabular and time-series leaderboards, and the registry's `meta.json`
//!   metrics, all of which iterate [`METRICS`] / [`SERIES_METRICS`].
//!
//! Adding a metric: write its function (a `fn(&Scored) -> f64` for a
//! tabular metric, an accessor of [`SeriesMetrics`] for a time-series one)
//! and add one line to the table.

use super::curve::{Counts, Roc};
use super::input::Ranked;
use super::series::SeriesMetrics;
use super::youden::{self, YoudenF1};
use super::{MetricError, pr_auc, precision_at_n, roc_auc};
use ndarray::ArrayView1;
use serde::{Deserialize, Deserializer, Serialize};

/// Which runs a metric applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Tabular benchmark runs (`RunResult`).
    Tabular,
    /// Time-series runs (`SeriesRunResult`).
    Series,
    /// Both.
    Both,
}

impl MetricKind {
    pub fn tabular(self) -> bool {
        matches!(self, Self::Tabular | Self::Both)
    }

    pub fn series(self) -> bool {
        matches!(self, Self::Series | Self::Both)
    }
}

/// One registered metric.
#[derive(Debug, Clone, Copy)]
pub struct MetricSpec {
    /// The metric's name (`roc_auc`, `f1_at_youden`, `vus_roc`, …).
    pub name: &'static str,
    /// Its key in a tabular record, its [`Scorecard`] field and its script
    /// getter (`f1` for `f1_at_youden`); the name for time-series metrics.
    pub field: &'static str,
    /// Short column header in tables and leaderboards (`p@n`).
    pub column: &'static str,
    /// Human name in leaderboard rows (`mean ROC-AUC`).
    pub title: &'static str,
    pub kind: MetricKind,
    /// One line saying what the metric measures.
    pub summary: &'static str,
    /// Whether a larger value is a better detector.
    pub higher_is_better: bool,
    /// Tabular: the value from the validated, ranked input.
    pub compute: Option<fn(&Scored) -> f64>,
    /// Further record fields the metric fills (the Youden `threshold`).
    pub extras: &'static [&'static str],
    /// Time series: the value in a run's metrics (`None` where undefined).
    pub series: Option<fn(&SeriesMetrics) -> Option<f64>>,
    /// Time series: JSON pointer of the value inside a record's `metrics`.
    pub series_path: &'static str,
}

/// The validated, ranked input every tabular metric is computed from: one
/// validation and one sort serve them all.
#[derive(Debug, Clone)]
pub struct Scored {
    pub(crate) ranked: Ranked,
    pub(crate) counts: Counts,
    pub(crate) roc: Roc,
    pub(crate) youden: YoudenF1,
}

impl Scored {
    /// Validate and rank `y` (1 = anomaly) and `scores` (higher = more
    /// anomalous). Both classes must be present.
    pub fn new(y: ArrayView1<'_, u8>, scores: ArrayView1<'_, f64>) -> Result<Self, MetricError> {
        let ranked = Ranked::new(y, scores)?;
        let counts = Counts::new(&ranked);
        let roc = Roc::new(&counts);
        let youden = youden::from_roc(&roc, ranked.n_pos);
        Ok(Self {
            ranked,
            counts,
            roc,
            youden,
        })
    }
}

/// The registered metric called `name`, if any.
pub fn spec(name: &str) -> Option<&'static MetricSpec> {
    TABLE.iter().find(|m| m.name == name)
}

/// The tabular metric whose record field or name is `name`.
pub fn tabular_spec(name: &str) -> Option<&'static MetricSpec> {
    METRICS.iter().find(|m| m.field == name || m.name == name)
}

/// JSON writes an infinite value as null; read it back as +inf so a record
/// read from the run store re-serialises to the same bytes.
pub(crate) fn null_as_infinity<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
}

macro_rules! metric_table {
    (
        both {
            $( $b_field:ident: $b_column:literal, $b_title:literal, $b_higher:literal,
               $b_compute:expr, $b_series:expr, $b_path:literal, $b_summary:literal; )*
        }
        tabular {
            $( $t_field:ident = $t_name:literal: $t_column:literal, $t_title:literal, $t_higher:literal,
               $t_compute:expr, $t_summary:literal
               $(, also $t_extra:ident = $t_extra_fn:expr, $t_extra_doc:literal)?; )*
        }
        series {
            $( $s_field:ident: $s_column:literal, $s_title:literal, $s_higher:literal,
               $s_series:expr, $s_path:literal, $s_summary:literal; )*
        }
    ) => {
        /// Every metric of one set of scores, one field per tabular metric
        /// in table order; each equals the matching standalone function.
        /// Serialised as the metric fields of a result record.
        #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
        pub struct Scorecard {
            $( #[doc = $b_summary] pub $b_field: f64, )*
            $(
                #[doc = $t_summary] pub $t_field: f64,
                $(
                    #[doc = $t_extra_doc]
                    #[serde(deserialize_with = "null_as_infinity")]
                    pub $t_extra: f64,
                )?
            )*
        }

        impl Scorecard {
            /// Compute every tabular metric from one validated, ranked input.
            pub fn from_scored(c: &Scored) -> Self {
                Self {
                    $( $b_field: {
                        let f: fn(&Scored) -> f64 = $b_compute;
                        f(c)
                    }, )*
                    $(
                        $t_field: {
                            let f: fn(&Scored) -> f64 = $t_compute;
                            f(c)
                        },
                        $( $t_extra: {
                            let f: fn(&Scored) -> f64 = $t_extra_fn;
                            f(c)
                        }, )?
                    )*
                }
            }

            /// The value of each metric of [`METRICS`], in table order.
            pub fn values(&self) -> [f64; N_TABULAR] {
                [$( self.$b_field, )* $( self.$t_field, )*]
            }
        }

        /// Each metric's entry, built once; the three tables below list
        /// them (the const's name is the metric's field).
        #[allow(non_upper_case_globals)]
        mod entry {
            use super::*;
            $( pub const $b_field: MetricSpec = MetricSpec {
                name: stringify!($b_field),
                field: stringify!($b_field),
                column: $b_column,
                title: $b_title,
                kind: MetricKind::Both,
                summary: $b_summary,
                higher_is_better: $b_higher,
                compute: Some($b_compute),
                extras: &[],
                series: Some($b_series),
                series_path: $b_path,
            }; )*
            $( pub const $t_field: MetricSpec = MetricSpec {
                name: $t_name,
                field: stringify!($t_field),
                column: $t_column,
                title: $t_title,
                kind: MetricKind::Tabular,
                summary: $t_summary,
                higher_is_better: $t_higher,
                compute: Some($t_compute),
                extras: &[$( stringify!($t_extra) )?],
                series: None,
                series_path: "",
            }; )*
            $( pub const $s_field: MetricSpec = MetricSpec {
                name: stringify!($s_field),
                field: stringify!($s_field),
                column: $s_column,
                title: $s_title,
                kind: MetricKind::Series,
                summary: $s_summary,
                higher_is_better: $s_higher,
                compute: None,
                extras: &[],
                series: Some($s_series),
                series_path: $s_path,
            }; )*
        }

        /// The tabular metrics (kind tabular or both), in table order.
        pub static METRICS: &[MetricSpec] = &[$( entry::$b_field, )* $( entry::$t_field, )*];

        /// How many tabular metrics there are.
        pub const N_TABULAR: usize = [$( stringify!($b_field), )* $( $t_name, )*].len();

        /// The column header of each tabular metric, in table order.
        pub const TABULAR_COLUMNS: [&str; N_TABULAR] = [$( $b_column, )* $( $t_column, )*];

        /// The time-series metrics (kind series or both), in table order.
        pub static SERIES_METRICS: &[MetricSpec] = &[$( entry::$b_field, )* $( entry::$s_field, )*];

        /// Every metric: tabular and both, then time-series only.
        pub static TABLE: &[MetricSpec] =
            &[$( entry::$b_field, )* $( entry::$t_field, )* $( entry::$s_field, )*];
    };
}

// The table. Sections are the kinds; order within a section is display
// order. A `both` line: field: column, title, higher is better, tabular
// function, time-series accessor, JSON pointer in a series record's
// `metrics`, doc. A `tabular` line: field = name: column, title, higher,
// function, doc [, also extra_field = function, doc]. A `series` line:
// field: column, title, higher, accessor, JSON pointer, doc.
metric_table! {
    both {
        roc_auc: "roc_auc", "ROC-AUC", true, |c| roc_auc::from_roc(&c.roc), |m| m.roc_auc, "/roc_auc",
            "area under the ROC curve (scikit-learn roc_auc_score); 0.5 is chance";
        pr_auc: "pr_auc", "PR-AUC", true, |c| pr_auc::from_counts(&c.counts), |m| m.pr_auc, "/pr_auc",
            "average precision (scikit-learn average_precision_score); chance is the anomaly fraction";
    }
    tabular {
        f1 = "f1_at_youden": "f1", "F1 at Youden", true, |c| c.youden.f1,
            "F1 of scores >= the ROC threshold maximising TPR - FPR (Youden's J)",
            also threshold = |c| c.youden.threshold,
            "The Youden threshold; `+inf` (serialised as `null`) flags nothing.";
        precision_at_n = "precision_at_n": "p@n", "precision@n", true, |c| precision_at_n::from_ranked(&c.ranked),
            "precision among the n highest scores, n = number of anomalies (PyOD precision_n_scores)";
    }
    series {
        vus_roc: "vus_roc", "VUS-ROC", true, |m| m.vus_roc, "/vus_roc",
            "volume under the range-ROC surface (TSB-AD VUS-ROC)";
        vus_pr: "vus_pr", "VUS-PR", true, |m| m.vus_pr, "/vus_pr",
            "volume under the range-PR surface (TSB-AD VUS-PR)";
        nab_standard: "nab_standard", "NAB standard", true, |m| m.nab.as_ref().and_then(|n| n.standard), "/nab/standard",
            "NAB score, standard profile (0 = null detector, 100 = perfect)";
        nab_low_fp: "nab_low_fp", "NAB low FP", true, |m| m.nab.as_ref().and_then(|n| n.reward_low_fp), "/nab/reward_low_fp",
            "NAB score, reward_low_FP_rate profile (0 = null detector, 100 = perfect)";
        nab_low_fn: "nab_low_fn", "NAB low FN", true, |m| m.nab.as_ref().and_then(|n| n.reward_low_fn), "/nab/reward_low_fn",
            "NAB score, reward_low_FN_rate profile (0 = null detector, 100 = perfect)";
        ucr_hit: "ucr_accuracy", "UCR accuracy", true, |m| m.ucr.map(|u| f64::from(u8::from(u.hit))), "/ucr/hit",
            "UCR archive hit (1) or miss (0): the top score after the training prefix within ±100 points of the anomaly; its mean is the accuracy";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, m) in TABLE.iter().enumerate() {
            assert!(std::ptr::eq(spec(m.name).unwrap(), m), "{}", m.name);
            assert!(TABLE[..i].iter().all(|other| other.name != m.name));
            assert!(TABLE[..i].iter().all(|other| other.field != m.field));
        }
        assert_eq!(METRICS.len(), N_TABULAR);
        assert!(spec("accuracy").is_none());
        assert_eq!(tabular_spec("f1").map(|m| m.name), Some("f1_at_youden"));
    }

    #[test]
    fn kinds_match_the_functions_and_views() {
        for m in TABLE {
            assert_eq!(m.kind.tabular(), m.compute.is_some(), "{}", m.name);
            assert_eq!(m.kind.series(), m.series.is_some(), "{}", m.name);
            assert_eq!(
                m.kind.series(),
                m.series_path.starts_with('/'),
                "{}",
                m.name
            );
            // which views list it: tests/metric_table.rs, the_views_cover_the_table
        }
        let columns: Vec<&str> = METRICS.iter().map(|m| m.column).collect();
        assert_eq!(columns, TABULAR_COLUMNS);
    }
}
