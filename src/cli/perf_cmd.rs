//! `anml perf`: the in-process timing of one (dataset, detector) pair that
//! `scripts/peer_bench.py` sets beside PyOD's. Prints a table, or with
//! `--json` one object the harness reads.

use super::Outcome;
use super::args::{GlobalOpts, PerfArgs};
use super::common::{parse_params, registry, styled_table};
use crate::bench::{self, BenchError};
use crate::data::Protocol;
use crate::detectors::Detector;
use crate::error::Error;
use crate::script::Interrupt;
use serde_json::json;

pub fn perf(g: &GlobalOpts, a: &PerfArgs, interrupt: Interrupt) -> Result<Outcome, Error> {
    // Everything the flags name is checked before any data is loaded.
    let params = parse_params(&a.params)?;
    let detector = Detector::new(&a.model, &params)?;
    let protocol = Protocol::parse(&a.protocol)?;
    bench::refuse_replaced_contamination(
        protocol,
        params.contains_key("contamination"),
        "the detector's",
    )?;
    let seeds = bench::parse_seeds(&a.seeds)?;
    let dataset = registry(g)?.load(&a.dataset)?;
    crate::blas::single_threaded();
    let report = match bench::time_runs(
        &dataset,
        &detector,
        protocol,
        &seeds,
        a.repeats as usize,
        Some(&interrupt.flag()),
    ) {
        Err(BenchError::Interrupted { finished }) => {
            // (Not BenchError's message: `anml perf` stores nothing, so
            // there is nothing to resume.)
            eprintln!(
                "interrupted (Ctrl-C) after {finished} of {} seeds; nothing is written",
                seeds.len()
            );
            return Ok(Outcome::Interrupted);
        }
        other => other?,
    };
    let peak = bench::peak_rss_kib();
    let blas = crate::blas::describe();
    if a.json {
        let mut v = serde_json::to_value(&report).map_err(|e| BenchError::Encode {
            what: "the timing report",
            message: e.to_string(),
        })?;
        if let Some(m) = v.as_object_mut() {
            m.insert("peak_rss_kib".into(), json!(peak));
            m.insert("blas".into(), json!(blas));
            m.insert("simd".into(), json!(crate::simd::level().name()));
            m.insert("device".into(), json!(device_text()));
            m.insert("anml_version".into(), json!(crate::VERSION));
        }
        println!("{v}");
        return Ok(Outcome::Success);
    }
    let mut t = styled_table(vec!["seed", "fit s", "score s", "fit+score s", "ROC-AUC"]);
    for r in &report.runs {
        t.add_row(vec![
            r.seed.to_string(),
            format!("{:.4}", r.fit_seconds),
            format!("{:.4}", r.score_seconds),
            format!("{:.4}", r.fit_score_seconds),
            format!("{:.4}", r.roc_auc),
        ]);
    }
    println!("{t}");
    println!(
        "{} on {} ({} train × {} features, {} test): median fit+score {:.4} s over {} seeds; peak RSS {}; {} threads; device {}; anml kernels {}; BLAS {}",
        report.model,
        report.dataset,
        report.n_train,
        report.n_features,
        report.n_test,
        report.median_fit_score_seconds,
        report.runs.len(),
        peak.map_or("unknown".into(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        )),
        report.threads,
        device_text(),
        crate::simd::level().name(),
        blas
    );
    Ok(Outcome::Success)
}

/// `cpu`, or `cuda (model, compute capability, driver)` for the GPU in use.
fn device_text() -> String {
    match crate::gpu::active_info() {
        Some(g) => format!(
            "cuda ({}, compute capability {}.{}, CUDA driver {})",
            g.model, g.compute_capability.0, g.compute_capability.1, g.driver_version
        ),
        None => "cpu".into(),
    }
}
