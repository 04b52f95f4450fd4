//! Building the matrix from runs (averages, drops, labels), the errors,
//! and the assembled comparison on small hand-checked cases.

use super::*;
use crate::data::SplitInfo;
use crate::results::{Hardware, Provenance, SCHEMA_ID, STATUS_FAILED, STATUS_OK, TimePer1000};

fn run(dataset: &str, model: &str, variant: &str, seed: u64, roc_auc: f64) -> RunResult {
    let mut metrics = crate::metrics::scorecard(
        ndarray::array![0u8, 1, 0, 1].view(),
        ndarray::array![0.0, 0.75, 0.25, 0.5].view(),
    )
    .expect("scorecard");
    metrics.roc_auc = roc_auc;
    RunResult {
        schema: SCHEMA_ID.into(),
        run_id: "0".repeat(64),
        status: STATUS_OK.into(),
        experiment: "test".into(),
        anml_version: crate::VERSION.into(),
        dataset: dataset.into(),
        dataset_sha256: "a".repeat(64),
        n_samples: 10,
        model: model.into(),
        model_version: "1.0.0".into(),
        variant: variant.into(),
        params: serde_json::json!({}),
        seed,
        split: SplitInfo {
            protocol: "holdout60".into(),
            seed,
            n_train: 6,
            n_test: 4,
        },
        metrics,
        fit_time: 0.1,
        score_time: 0.1,
        time_per_1000: TimePer1000 {
            fit: 1.0,
            score: 1.0,
        },
        artefact_digest: format!("sha256:{}", "b".repeat(64)),
        provenance: Provenance::default(),
        hardware: Hardware::detect(),
        thresholds: Default::default(),
    }
}

fn failure(dataset: &str, model: &str) -> FailedRun {
    FailedRun {
        schema: SCHEMA_ID.into(),
        run_id: "1".repeat(64),
        status: STATUS_FAILED.into(),
        experiment: "test".into(),
        anml_version: crate::VERSION.into(),
        dataset: dataset.into(),
        dataset_sha256: "a".repeat(64),
        model: model.into(),
        variant: String::new(),
        params: serde_json::json!({}),
        seed: 1,
        protocol: "holdout60".into(),
        error: "boom".into(),
        provenance: Provenance::default(),
    }
}

fn roc() -> &'static MetricSpec {
    metric_spec("roc_auc").expect("roc_auc")
}

#[test]
fn cells_are_means_over_seeds_and_variants_are_models() {
    let runs = vec![
        run("a", "knn", "", 0, 0.8),
        run("a", "knn", "", 1, 0.6),
        run("a", "knn", "k=5", 0, 0.9),
        run("a", "knn", "k=5", 1, 0.9),
        run("b", "knn", "", 0, 0.5),
        run("b", "knn", "", 1, 0.5),
        run("b", "knn", "k=5", 0, 0.4),
        run("b", "knn", "k=5", 1, 0.4),
    ];
    let m = Matrix::from_runs(&runs, &[], roc());
    assert_eq!(m.datasets, vec!["a", "b"]);
    assert_eq!(m.models, vec!["knn", "knn[k=5]"]);
    assert!((m.values[0][0] - 0.7).abs() < 1e-15);
    assert_eq!(m.values[0][1], 0.9);
    assert_eq!(m.values[1], vec![0.5, 0.4]);
    assert!(m.dropped.is_empty());
}

#[test]
fn missing_and_failed_cells_drop_their_dataset_with_a_reason() {
    let runs = vec![
        run("a", "knn", "", 0, 0.8),
        run("a", "lof", "", 0, 0.7),
        run("b", "knn", "", 0, 0.5),
        run("c", "knn", "", 0, 0.5),
        run("c", "lof", "", 0, 0.6),
        run("d", "knn", "", 0, 0.5),
        run("d", "lof", "", 0, 0.6),
    ];
    let mut series = failure("nab/x", "usad");
    series.protocol = "timeseries".into();
    let m = Matrix::from_runs(&runs, &[failure("c", "lof"), series], roc());
    assert_eq!(m.datasets, vec!["a", "d"]);
    assert_eq!(m.models, vec!["knn", "lof"], "a series failure is no model");
    assert_eq!(
        m.dropped,
        vec![
            Dropped {
                dataset: "b".into(),
                reason: "lof has no run".into()
            },
            Dropped {
                dataset: "c".into(),
                reason: "lof failed".into()
            },
        ]
    );
    // two complete datasets: a comparison is possible
    let c = Comparison::new(&m, roc(), 0.05).expect("compare");
    assert_eq!(c.dropped.len(), 2);
}

#[test]
fn unequal_or_repeated_seeds_drop_their_dataset_with_a_reason() {
    // a lost run (b: lof has seed 0 only) and a run filed twice (c: knn
    // seed 1 twice) would average unlike numbers of seeds
    let mut runs = Vec::new();
    for d in ["a", "b", "c", "d"] {
        for m in ["knn", "lof"] {
            for seed in [0, 1] {
                if !(d == "b" && m == "lof" && seed == 1) {
                    runs.push(run(d, m, "", seed, 0.5 + 0.1 * seed as f64));
                }
            }
        }
    }
    runs.push(run("c", "knn", "", 1, 0.6));
    let m = Matrix::from_runs(&runs, &[], roc());
    assert_eq!(m.datasets, vec!["a", "d"]);
    assert_eq!(
        m.dropped,
        vec![
            Dropped {
                dataset: "b".into(),
                reason: "lof has runs for seeds [0] but knn for [0, 1]".into()
            },
            Dropped {
                dataset: "c".into(),
                reason: "knn has more than one run of a seed: [0, 1, 1], \
                         lof has runs for seeds [0, 1] but knn for [0, 1, 1]"
                    .into()
            },
        ]
    );
}

#[test]
fn the_smallest_alpha_gives_a_finite_critical_difference() {
    let q = nemenyi::q_alpha(MIN_ALPHA, 7);
    assert!(q.is_finite() && q > nemenyi::q_alpha(0.05, 7), "{q}");
}

#[test]
fn too_few_models_or_datasets_is_an_error_naming_the_drops() {
    let runs = vec![run("a", "knn", "", 0, 0.8), run("a", "lof", "", 0, 0.7)];
    let m = Matrix::from_runs(&runs, &[failure("b", "lof")], roc());
    let e = Comparison::new(&m, roc(), 0.05).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, CompareError::TooFew(_)));
    assert!(text.contains("2 models and 1 complete datasets"), "{text}");
    assert!(text.contains("b: knn has no run, lof failed"), "{text}");
    let one_model = Matrix::new(
        vec!["a".into(), "b".into()],
        vec!["knn".into()],
        vec![vec![0.5], vec![0.6]],
    )
    .expect("matrix");
    assert!(matches!(
        Comparison::new(&one_model, roc(), 0.05),
        Err(CompareError::TooFew(_))
    ));
}

#[test]
fn bad_alpha_metric_and_matrices_are_refused() {
    // below MIN_ALPHA the quantile is not resolved (it came out infinite)
    for a in [0.0, 1.0, -0.1, f64::NAN, 1e-16, 1e-300, f64::INFINITY] {
        let e = check_alpha(a).unwrap_err();
        assert!(e.is_usage(), "{e}");
    }
    let e = metric_spec("accuracy").unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("roc_auc"), "{e}");
    assert!(metric_spec("f1").is_ok() && metric_spec("f1_at_youden").is_ok());
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches!(
        Matrix::new(s(&["a"]), s(&["x", "y"]), vec![vec![0.1]]),
        Err(CompareError::Shape(_))
    ));
    assert!(matches!(
        Matrix::new(s(&["a", "a"]), s(&["x"]), vec![vec![0.1], vec![0.2]]),
        Err(CompareError::Shape(_))
    ));
    assert!(matches!(
        Matrix::new(s(&["a"]), s(&["x"]), vec![vec![f64::NAN]]),
        Err(CompareError::NonFinite { .. })
    ));
    // a matrix edited after construction is checked again, not indexed blindly
    let mut m = Matrix::new(s(&["a", "b"]), s(&["x", "y"]), vec![vec![0.1, 0.2]; 2]).unwrap();
    m.values[1].pop();
    assert!(matches!(
        Comparison::new(&m, roc(), 0.05),
        Err(CompareError::Shape(_))
    ));
}

#[test]
fn lower_is_better_reverses_ranks_and_wins() {
    let m = Matrix::new(
        vec!["a".into(), "b".into(), "c".into()],
        vec!["x".into(), "y".into()],
        vec![vec![1.0, 2.0], vec![1.0, 3.0], vec![2.0, 2.0]],
    )
    .expect("matrix");
    let hi = Comparison::with_direction(&m, "loss", true, 0.05).expect("compare");
    let lo = Comparison::with_direction(&m, "loss", false, 0.05).expect("compare");
    assert_eq!(hi.average_ranks, vec![5.5 / 3.0, 3.5 / 3.0]);
    assert_eq!(
        lo.average_ranks,
        vec![hi.average_ranks[1], hi.average_ranks[0]]
    );
    assert_eq!(
        (hi.pairs[0].wins, hi.pairs[0].ties, hi.pairs[0].losses),
        (0, 1, 2)
    );
    assert_eq!(
        (lo.pairs[0].wins, lo.pairs[0].ties, lo.pairs[0].losses),
        (2, 1, 0)
    );
    // the p-values do not depend on the direction
    assert_eq!(hi.pairs[0].wilcoxon_p, lo.pairs[0].wilcoxon_p);
    assert_eq!(hi.friedman, lo.friedman);
}

#[test]
fn identical_models_form_one_group_with_p_one() {
    let m = Matrix::new(
        vec!["a".into(), "b".into(), "c".into()],
        vec!["x".into(), "y".into(), "z".into()],
        vec![vec![0.7; 3], vec![0.8; 3], vec![0.6; 3]],
    )
    .expect("matrix");
    let c = Comparison::new(&m, roc(), 0.05).expect("compare");
    assert_eq!(c.average_ranks, vec![2.0; 3]);
    assert_eq!((c.friedman.p, c.iman_davenport.p), (1.0, 1.0));
    assert_eq!(c.groups, vec![vec!["x", "y", "z"]]);
    for p in &c.pairs {
        assert_eq!((p.wilcoxon_p, p.holm_p, p.ties), (1.0, 1.0, 3));
        assert!((p.nemenyi_p - 1.0).abs() < 1e-15);
    }
    let md = c.to_markdown();
    assert!(md.starts_with("## Statistical comparison\n"), "{md}");
    assert!(c.to_text().contains("CD = "));
}
