//! The metric registration table the CLI and REPL list.

/// One registered metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSpec {
    /// The name used on the command line and in results (`roc_auc`, …).
    pub name: &'static str,
    /// One line saying what the metric measures.
    pub summary: &'static str,
    /// Whether a larger value is a better detector.
    pub higher_is_better: bool,
}

/// Every metric anml computes, in display order.
pub static METRICS: &[MetricSpec] = &[
    MetricSpec {
        name: "roc_auc",
        summary: "area under the ROC curve (scikit-learn roc_auc_score); 0.5 is chance",
        higher_is_better: true,
    },
    MetricSpec {
        name: "pr_auc",
        summary: "average precision (scikit-learn average_precision_score); chance is the anomaly fraction",
        higher_is_better: true,
    },
    MetricSpec {
        name: "f1_at_youden",
        summary: "F1 of scores >= the ROC threshold maximising TPR - FPR (Youden's J)",
        higher_is_better: true,
    },
    MetricSpec {
        name: "precision_at_n",
        summary: "precision among the n highest scores, n = number of anomalies (PyOD precision_n_scores)",
        higher_is_better: true,
    },
];

/// The registered metric called `name`, if any.
pub fn spec(name: &str) -> Option<&'static MetricSpec> {
    METRICS.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, m) in METRICS.iter().enumerate() {
            assert_eq!(spec(m.name), Some(m));
            assert!(METRICS[..i].iter().all(|other| other.name != m.name));
        }
        assert_eq!(METRICS.len(), 4);
        assert!(spec("accuracy").is_none());
    }
}
