//! Golden per-seed ROC-AUC (issue 22, "the same answers on every CPU"): every
//! registered detector on three small ODDS datasets (wbc, lympho, cardio),
//! seeds 0-2, under the PyOD protocol (the split `anml benchmark --protocol
//! pyod` uses, contamination = anomaly ratio, default parameters), must give
//! exactly the ROC-AUC stored in `tests/fixtures/golden_roc_auc.json`: f64
//! bit equality, not a tolerance.
//!
//! The fixture was made by anml itself on the machine it names (CPU model,
//! SIMD level, OpenBLAS kernel). Running this test under other OpenBLAS
//! kernels (`OPENBLAS_CORETYPE=Haswell`, `Zen`, `SkylakeX` select AVX2 or
//! AVX-512 code on one machine) or on another CPU shows which results
//! depend on the kernel's rounding. A detector that cannot be exact
//! everywhere has an entry in the fixture's `tolerances` (the bound, the
//! measured maximum difference, and why); every other one is compared bit
//! for bit. On failure the test lists each differing (detector, dataset,
//! seed) with both values and their bits.
//!
//! Regenerate (only when a detector's results change on purpose, and say why
//! in the commit; the `tolerances` section is kept as it is):
//!
//! ```sh
//! ANML_REGEN_GOLDEN=1 cargo test --test golden_roc_auc
//! ```
//!
//! which rewrites the fixture atomically (temp file + rename).

mod common;

use anml::bench;
use anml::data::{DatasetRegistry, Protocol};
use anml::detectors::{DETECTORS, Detector};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

const DATASETS: &[&str] = &["wbc", "lympho", "cardio"];
const SEEDS: &[u64] = &[0, 1, 2];
const REGEN_ENV: &str = "ANML_REGEN_GOLDEN";

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden_roc_auc.json")
}

/// detector → dataset → per-seed ROC-AUC, computed now.
type Table = BTreeMap<String, BTreeMap<String, Vec<f64>>>;

fn compute() -> Table {
    let sb = common::Sandbox::new();
    let reg = DatasetRegistry::new(sb.cache())
        .with_mirror(Some(common::mirror()))
        .with_download(false);
    let mut table = Table::new();
    for &dataset in DATASETS {
        let ds = reg
            .load(dataset)
            .unwrap_or_else(|e| panic!("{dataset}: {e}"));
        for spec in DETECTORS {
            let det = Detector::new(spec.name, &Map::new())
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            let per_seed = SEEDS
                .iter()
                .map(|&seed| {
                    bench::run(
                        &ds,
                        &det,
                        Protocol::Pyod,
                        seed,
                        &bench::RunContext::default(),
                    )
                    .unwrap_or_else(|e| panic!("{} {dataset} seed {seed}: {e}", spec.name))
                    .result
                    .roc_auc
                })
                .collect();
            table
                .entry(spec.name.to_string())
                .or_default()
                .insert(dataset.to_string(), per_seed);
        }
    }
    table
}

/// The highest SIMD level this CPU offers (what OpenBLAS's DYNAMIC_ARCH and
/// glibc's libm pick their code by).
fn simd_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512f";
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return "avx2+fma";
        }
        if std::arch::is_x86_feature_detected!("avx") {
            return "avx";
        }
        "sse2"
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH
    }
}

fn machine() -> Value {
    let hw = anml::results::Hardware::detect();
    json!({
        "cpu": hw.model,
        "vendor": hw.vendor,
        "simd": simd_level(),
        "openblas": anml::blas::describe(),
        "anml_version": anml::VERSION,
    })
}

fn regenerate(table: &Table, old: Option<&Value>) {
    let tolerances = old
        .and_then(|o| o.get("tolerances").cloned())
        .unwrap_or_else(|| json!({}));
    let fixture = json!({
        "description": "Per-seed test ROC-AUC of every registered detector (default \
            parameters) under the pyod protocol; tests/golden_roc_auc.rs compares \
            them bit for bit, except the detectors listed in `tolerances`.",
        "regenerate": format!("{REGEN_ENV}=1 cargo test --test golden_roc_auc"),
        "generated_on": machine(),
        "protocol": "pyod",
        "datasets": DATASETS,
        "seeds": SEEDS,
        "tolerances": tolerances,
        "roc_auc": table,
    });
    let mut text = serde_json::to_string_pretty(&fixture).expect("serialise");
    text.push('\n');
    anml::atomic_file::write(&fixture_path(), text.as_bytes()).expect("write the fixture");
    println!("wrote {}", fixture_path().display());
}

/// One (detector, dataset, seed) that is not as stored.
struct Mismatch {
    detector: String,
    dataset: String,
    seed: u64,
    want: Option<f64>,
    got: f64,
    bound: Option<f64>,
}

#[test]
fn roc_auc_is_bit_identical_to_the_golden_fixture() {
    let started = std::time::Instant::now();
    let table = compute();
    let old = std::fs::read_to_string(fixture_path())
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok());
    if std::env::var_os(REGEN_ENV).is_some() {
        regenerate(&table, old.as_ref());
        return;
    }
    let Some(fixture) = old else {
        panic!(
            "cannot read {}; create it with {REGEN_ENV}=1 cargo test --test golden_roc_auc",
            fixture_path().display()
        );
    };
    let stored = &fixture["roc_auc"];
    let tolerances = &fixture["tolerances"];
    let mut mismatches = Vec::new();
    let mut worst: BTreeMap<&str, f64> = BTreeMap::new();
    for (detector, per_dataset) in &table {
        let bound = tolerances[detector.as_str()]["max_abs_diff"].as_f64();
        for (dataset, per_seed) in per_dataset {
            for (&seed, &got) in SEEDS.iter().zip(per_seed) {
                let want = stored[detector.as_str()][dataset.as_str()]
                    .get(seed as usize)
                    .and_then(Value::as_f64);
                let diff = want.map_or(f64::INFINITY, |w| (got - w).abs());
                let w = worst.entry(detector).or_insert(0.0);
                *w = w.max(diff);
                let ok = match (want, bound) {
                    (Some(w), None) => w.to_bits() == got.to_bits(),
                    (Some(_), Some(b)) => diff <= b,
                    (None, _) => false,
                };
                if !ok {
                    mismatches.push(Mismatch {
                        detector: detector.clone(),
                        dataset: dataset.clone(),
                        seed,
                        want,
                        got,
                        bound,
                    });
                }
            }
        }
    }
    println!(
        "{} detectors x {} datasets x {} seeds in {:.1} s on {}",
        table.len(),
        DATASETS.len(),
        SEEDS.len(),
        started.elapsed().as_secs_f64(),
        machine()
    );
    for (d, w) in &worst {
        if *w > 0.0 {
            println!("max |ROC-AUC - fixture| {d}: {w:e}");
        }
    }
    let extra: Vec<&String> = stored
        .as_object()
        .map(|o| o.keys().filter(|k| !table.contains_key(*k)).collect())
        .unwrap_or_default();
    assert!(
        extra.is_empty(),
        "the fixture has detectors that are no longer registered: {extra:?}; regenerate with \
         {REGEN_ENV}=1 cargo test --test golden_roc_auc"
    );
    if !mismatches.is_empty() {
        let lines: Vec<String> = mismatches
            .iter()
            .map(|m| {
                let want = m.want.map_or("missing".to_string(), |w| {
                    format!("{w:?} ({:#018x})", w.to_bits())
                });
                let rule = m
                    .bound
                    .map_or("bit equality".to_string(), |b| format!("|diff| <= {b:e}"));
                format!(
                    "  {} {} seed {}: fixture {want}, now {:?} ({:#018x}), diff {:e} ({rule})",
                    m.detector,
                    m.dataset,
                    m.seed,
                    m.got,
                    m.got.to_bits(),
                    m.want.map_or(f64::NAN, |w| m.got - w)
                )
            })
            .collect();
        panic!(
            "{} of {} ROC-AUCs differ from tests/fixtures/golden_roc_auc.json (made on {}; \
             this machine: {}):\n{}\nIf the change is intended, regenerate with \
             {REGEN_ENV}=1 cargo test --test golden_roc_auc and say why in the commit.",
            mismatches.len(),
            table.len() * DATASETS.len() * SEEDS.len(),
            fixture["generated_on"],
            machine(),
            lines.join("\n")
        );
    }
}
