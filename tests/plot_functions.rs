//! The figure script functions (`roc_plot`, `pr_plot`, `score_histogram`,
//! `heatmap`, `loss_plot`) through the real binary: what they draw matches the metrics,
//! and bad input is refused with a message naming the problem.

mod common;

use common::{Sandbox, text};

fn run(sb: &Sandbox, name: &str, src: &str) -> (bool, String, String) {
    let path = sb.write(name, src);
    let out = sb.anml().arg("script").arg(&path).output().unwrap();
    let (stdout, stderr) = text(&out);
    (out.status.success(), stdout, stderr)
}

#[test]
fn curves_histogram_and_heatmap_render_what_the_metrics_say() {
    let sb = Sandbox::new();
    let (ok, stdout, stderr) = run(
        &sb,
        "plots.rhai",
        r#"
        let sp = load_dataset("cardio").split(0);
        let s = #{
            hbos: detector("hbos").fit(sp.x_train).score(sp.x_test),
            ecod: detector("ecod").fit(sp.x_train).score(sp.x_test),
        };
        print(roc_auc(sp.y_test, s.hbos));
        print(pr_auc(sp.y_test, s.ecod));
        save(roc_plot(sp.y_test, s, #{ title: "roc title" }), "results/roc.svg");
        save(pr_plot(sp.y_test, s), "results/pr.svg");
        save(score_histogram(sp.y_test, s.hbos, #{ bins: 12, threshold: 1.5 }), "results/h.svg");
        let runs = sweep(#{ datasets: ["wbc", "glass"], detectors: ["hbos", "ecod"] });
        save(heatmap(runs, #{ metric: "pr_auc" }), "results/heat.svg");
        save(heatmap(runs.results()), "results/heat2.png");
        "#,
    );
    assert!(ok, "{stdout}\n{stderr}");
    let mut lines = stdout.lines();
    let roc: f64 = lines.next().unwrap().parse().unwrap();
    let ap: f64 = lines.next().unwrap().parse().unwrap();
    let svg = |f: &str| std::fs::read_to_string(sb.root().join("results").join(f)).unwrap();

    let roc_svg = svg("roc.svg");
    assert!(roc_svg.contains("roc title"));
    assert!(
        roc_svg.contains(&format!("hbos (AUC {roc:.3})")),
        "the legend shows the ROC-AUC {roc:.3}"
    );
    assert!(roc_svg.contains("chance"));
    let pr_svg = svg("pr.svg");
    assert!(
        pr_svg.contains(&format!("ecod (AUC {ap:.3})")),
        "AP {ap:.3}"
    );
    assert!(pr_svg.contains("baseline (positive rate 0.097)"));
    let h = svg("h.svg");
    // cardio's test part: 733 points, 71 of them anomalous (seed 0)
    assert!(h.contains("normal (n = 662)") && h.contains("anomalous (n = 71)"));
    assert!(h.contains("threshold 1.5"));
    let heat = svg("heat.svg");
    assert!(heat.contains("mean PR-AUC") && heat.contains("wbc") && heat.contains("glass"));
    let png = std::fs::read(sb.root().join("results/heat2.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn a_deep_detector_shows_its_training_history() {
    let sb = Sandbox::new();
    let (ok, stdout, stderr) = run(
        &sb,
        "loss.rhai",
        r#"
        let sp = load_dataset("wbc").split(0);
        let f = detector("deep_svdd", #{ epochs: 12, seed: 3 }).fit(sp.x_train);
        let h = f.history;
        print(h.len());
        save(loss_plot(f, #{ title: "svdd loss" }), "results/loss.svg");
        let a = detector("autoencoder", #{ epochs: 5, seed: 3 }).fit(sp.x_train);
        print(a.history.len());
        save(loss_plot(a), "results/ae.svg");
        "#,
    );
    assert!(ok, "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["12", "5"]);
    let svg = std::fs::read_to_string(sb.root().join("results/loss.svg")).unwrap();
    for want in ["svdd loss", "training loss", "epoch", "kept epoch"] {
        assert!(svg.contains(want), "missing {want}");
    }
    let ae = std::fs::read_to_string(sb.root().join("results/ae.svg")).unwrap();
    assert!(ae.contains("autoencoder training loss") && !ae.contains("kept epoch"));
}

#[test]
fn bad_plot_input_is_refused_by_name() {
    let sb = Sandbox::new();
    for (src, want) in [
        (
            "roc_plot(labels([0, 0, 0]), vector([0.1, 0.2, 0.3]))",
            "class",
        ),
        ("roc_plot(labels([0, 1, 0]), vector([0.1, 0.2]))", "length"),
        (
            "pr_plot(labels([0, 1]), #{ a: [0.1, 0.2] })",
            "scores `a` must be a Vector",
        ),
        ("pr_plot(labels([0, 1]), #{})", "empty"),
        (
            "roc_plot(labels([0, 1]), vector([0.1, 0.2]), #{ colour: 1 })",
            "unknown roc_plot option `colour`",
        ),
        (
            "score_histogram(labels([0, 1]), vector([0.1]))",
            "2 labels but 1 scores",
        ),
        (
            "score_histogram(labels([0, 1]), vector([0.1, 0.2]), #{ bins: 0 })",
            "bins",
        ),
        (
            "score_histogram(labels([0, 1]), vector([0.1, 0.2]), #{ bins: -3 })",
            "positive",
        ),
        ("heatmap([1, 2])", "not a RunResult"),
        (
            r#"loss_plot(detector("knn").fit(load_dataset("toy-blobs").split(0).x_train))"#,
            "knn is not trained by epochs",
        ),
        (
            r#"detector("hbos").fit(load_dataset("toy-blobs").split(0).x_train).history"#,
            "hbos is not trained by epochs",
        ),
        ("heatmap(5)", "Runs of a sweep"),
        (
            r#"heatmap(sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] }), #{ metric: "f1" })"#,
            "roc_auc",
        ),
        (
            r#"save(roc_plot(labels([0, 1]), vector([0.1, 0.2])), "/tmp/x.svg")"#,
            "outside",
        ),
    ] {
        let (ok, stdout, stderr) = run(&sb, "bad.rhai", src);
        assert!(!ok, "{src} should fail:\n{stdout}");
        assert!(
            stderr.to_lowercase().contains(&want.to_lowercase()),
            "{src}: expected `{want}` in\n{stderr}"
        );
    }
}
