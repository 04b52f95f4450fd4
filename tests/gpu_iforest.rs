//! IsolationForest scores on the GPU (`kernels/iforest_score.cu`,
//! `anml::gpu::iforest`) against the CPU's, bit for bit, on ODDS datasets;
//! and, without a GPU, the flat arrays the kernel reads walked on the CPU
//! against the CPU scorer on the same data.
//!
//! The GPU tests are ignored by default:
//! `cargo test --release --test gpu_iforest -- --include-ignored --nocapture`
//! prints one timing line per case (GPU vs CPU seconds).
#![cfg(feature = "cuda")]

mod common;

use anml::detectors::isolation_forest::{IsolationForestModel, IsolationForestParams};
use anml::detectors::{DetectorParams, Model};
use anml::gpu::{Device, GpuError, with_device};
use ndarray::{Array1, Array2};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Instant;

/// The device choice is process-wide: the tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// (dataset, parameters). The mnist forest with ψ = n (7603 rows) has trees
/// larger than the kernel's shared-memory tile (2048 nodes), so it also runs
/// the kernel's global-memory branch (shuttle's ψ = 4096 trees stay under
/// 1000 nodes: its rows repeat); the CPU test checks both sizes occur.
fn cases() -> Vec<(&'static str, Value)> {
    vec![
        ("cardio", json!({"seed": 0})),
        ("satimage-2", json!({"seed": 1})),
        ("pendigits", json!({"seed": 2})),
        ("mnist", json!({"seed": 3})),
        ("shuttle", json!({"seed": 4})),
        (
            "cardio",
            json!({"seed": 5, "bootstrap": true, "max_features": 0.5, "max_samples": 1000}),
        ),
        (
            "shuttle",
            json!({"seed": 6, "n_estimators": 50, "max_samples": 4096}),
        ),
        (
            "mnist",
            json!({"seed": 7, "n_estimators": 20, "max_samples": 1.0}),
        ),
    ]
}

fn bits(a: &Array1<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

/// The dataset's rows and a forest fitted on them on the CPU.
fn fitted(name: &str, params: &Value) -> (Array2<f64>, IsolationForestModel) {
    let x = common::load_dataset(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .x
        .as_standard_layout()
        .into_owned();
    let p: IsolationForestParams = serde_json::from_value(params.clone()).expect("params");
    let fit = with_device(Device::Cpu, || p.fit(x.view()))
        .expect("cpu")
        .expect("fit");
    (x, fit.model)
}

#[test]
fn the_flat_arrays_walked_on_the_cpu_give_the_cpu_scores() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut largest_trees = Vec::new();
    for (name, params) in cases() {
        let (x, model) = fitted(name, &params);
        let flat = model
            .flatten()
            .expect("the forest fits the kernel's indices");
        let sizes = flat.tree_start.windows(2).map(|w| w[1] - w[0]);
        largest_trees.push(sizes.max().unwrap_or(0));
        let totals: Vec<f64> = x
            .rows()
            .into_iter()
            .map(|r| flat.path_total(r.as_slice().expect("standard layout")))
            .collect();
        let cpu = with_device(Device::Cpu, || model.score_samples(x.view())).expect("cpu");
        assert_eq!(
            bits(&model.scores_from_totals(&totals)),
            bits(&cpu),
            "{name} {params}"
        );
    }
    // Both of the kernel's branches are exercised: trees staged in shared
    // memory (at most SMEM_NODES = 2048 nodes) and trees read in place.
    assert!(
        largest_trees.iter().any(|&s| s <= 2048),
        "{largest_trees:?}"
    );
    assert!(largest_trees.iter().any(|&s| s > 2048), "{largest_trees:?}");
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn gpu_scores_equal_cpu_scores_bit_for_bit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    for (name, params) in cases() {
        let (x, model) = fitted(name, &params);
        let (n, d) = x.dim();
        let data = x.as_slice().expect("standard layout");

        let start = Instant::now();
        let cpu = with_device(Device::Cpu, || model.score_samples(x.view())).expect("cpu");
        let cpu_s = start.elapsed().as_secs_f64();

        // The launcher itself (flattening and finishing included).
        let start = Instant::now();
        let flat = model
            .flatten()
            .expect("the forest fits the kernel's indices");
        let totals = anml::gpu::iforest::path_totals(&gpu, &flat.gpu_forest(), data, n)
            .unwrap_or_else(|e| panic!("{name} {params}: {e}"));
        let direct = model.scores_from_totals(&totals);
        let direct_s = start.elapsed().as_secs_f64();
        assert_eq!(bits(&direct), bits(&cpu), "{name} {params}: launcher");

        // The detector's own scoring with the GPU selected (the hook).
        let start = Instant::now();
        let hooked = with_device(Device::Cuda, || model.score_samples(x.view())).expect("cuda");
        let hooked_s = start.elapsed().as_secs_f64();
        assert_eq!(bits(&hooked), bits(&cpu), "{name} {params}: score_samples");

        println!(
            "iforest {name:<10} n={n:>6} d={d:>3} trees={:>3} nodes={:>7} {params}: \
             GPU {direct_s:.4} s (via score_samples {hooked_s:.4} s), CPU {cpu_s:.4} s",
            flat.n_trees(),
            flat.n_nodes(),
        );
    }
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn small_inputs_stay_on_the_cpu_with_the_same_scores() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    let (x, model) = fitted("cardio", &json!({"seed": 7}));
    let few = x.slice(ndarray::s![..100, ..]).to_owned();
    let flat = model.flatten().expect("fits");
    let data = few.as_slice().expect("standard layout");
    let err = anml::gpu::iforest::path_totals(&gpu, &flat.gpu_forest(), data, 100).unwrap_err();
    assert!(matches!(err, GpuError::NotApplicable(_)), "{err}");
    let cpu = with_device(Device::Cpu, || model.score_samples(few.view())).expect("cpu");
    let hooked = with_device(Device::Cuda, || model.score_samples(few.view())).expect("cuda");
    assert_eq!(bits(&hooked), bits(&cpu));
}
