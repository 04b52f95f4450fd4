//! STOMP with its diagonal sweep on the GPU (`kernels/stomp.cu`, through
//! `matrix_profile::self_join_gpu` / `ab_join_gpu`) against the CPU path,
//! on real series (UCR #135, NAB) and random walks (with flat stretches and
//! an exact repeat: constant windows and exact ties), self-joins and
//! AB-joins, several window lengths.
//!
//! Equality: bit for bit, every field of the `MatrixProfile` (profile,
//! index, left and right profiles and indices), ties included: the kernel
//! computes every cell's correlation with the CPU's operations in the CPU's
//! order (no FMA) and selects with the CPU's order-independent rule; see
//! `src/gpu/stomp.rs`. A failure prints the largest profile difference and
//! the number of differing indices.
//!
//! Each case prints one timing line (GPU and CPU seconds, same machine):
//! `cargo test --release --test gpu_stomp -- --include-ignored --nocapture`.
#![cfg(feature = "cuda")]

mod common;

use anml::detectors::matrix_profile::{self, MatrixProfile};
use anml::gpu::{Device, GpuError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// The tests switch the process-wide device to time the CPU path: one at a
/// time, so no test's CPU run lands on the GPU (and timings do not overlap).
static SERIAL: Mutex<()> = Mutex::new(());

/// The value column (the second) of a UCR/NAB CSV with a header, or `None`
/// (with a note) when the mirror lacks the file.
fn series(rel: &str) -> Option<Vec<f64>> {
    let path = common::mirror().join(rel);
    if !path.exists() {
        println!("SKIP: {} is absent", path.display());
        return None;
    }
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    Some(
        r.records()
            .map(|rec| {
                let rec = rec.expect("csv record");
                rec[1].trim().parse::<f64>().expect("numeric value")
            })
            .collect(),
    )
}

/// A random walk with flat stretches `(start, len)` and an exact copy of
/// `t[src..src+len]` pasted at `dst`.
fn walk(
    n: usize,
    seed: u64,
    flats: &[(usize, usize)],
    copy: Option<(usize, usize, usize)>,
) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = 0.0;
    let mut t: Vec<f64> = (0..n)
        .map(|_| {
            x += rng.random::<f64>() - 0.5;
            x
        })
        .collect();
    for &(s, len) in flats {
        let v = t[s];
        t[s..s + len].fill(v);
    }
    if let Some((src, dst, len)) = copy {
        let seg = t[src..src + len].to_vec();
        t[dst..dst + len].copy_from_slice(&seg);
    }
    t
}

fn differences(gpu: &MatrixProfile, cpu: &MatrixProfile) -> String {
    let diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .filter(|(x, y)| x.to_bits() != y.to_bits())
            .map(|(x, y)| if x == y { 0.0 } else { (x - y).abs() })
            .fold(0.0f64, f64::max)
    };
    let count = |a: &[i64], b: &[i64]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    format!(
        "max |Δprofile| {:e} (left {:e}, right {:e}); differing indices {} (left {}, right {})",
        diff(&gpu.profile, &cpu.profile),
        diff(&gpu.left_profile, &cpu.left_profile),
        diff(&gpu.right_profile, &cpu.right_profile),
        count(&gpu.index, &cpu.index),
        count(&gpu.left_index, &cpu.left_index),
        count(&gpu.right_index, &cpu.right_index),
    )
}

fn assert_same(gpu: &MatrixProfile, cpu: &MatrixProfile, case: &str) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let same = gpu.m == cpu.m
        && gpu.exclusion_zone == cpu.exclusion_zone
        && bits(&gpu.profile) == bits(&cpu.profile)
        && gpu.index == cpu.index
        && bits(&gpu.left_profile) == bits(&cpu.left_profile)
        && gpu.left_index == cpu.left_index
        && bits(&gpu.right_profile) == bits(&cpu.right_profile)
        && gpu.right_index == cpu.right_index;
    assert!(
        same,
        "{case}: the GPU profile is not the CPU's bit for bit: {}",
        differences(gpu, cpu)
    );
}

/// Run `join` on the GPU (no fallback: an error fails) and on the CPU,
/// compare, print the timings.
fn compare(
    case: &str,
    gpu_join: impl Fn() -> Result<MatrixProfile, GpuError>,
    cpu_join: impl Fn() -> MatrixProfile,
) {
    let start = Instant::now();
    let g = gpu_join().unwrap_or_else(|e| panic!("{case}: GPU: {e}"));
    let gpu_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let c = anml::gpu::with_device(Device::Cpu, &cpu_join).expect("the CPU is always selectable");
    let cpu_s = start.elapsed().as_secs_f64();
    assert_same(&g, &c, case);
    println!(
        "timing stomp {case}: gpu {gpu_s:.4} s, cpu {cpu_s:.4} s ({:.1}x)",
        cpu_s / gpu_s.max(1e-9)
    );
}

fn self_case(gpu: &anml::gpu::Gpu, name: &str, t: &[f64], m: usize) {
    compare(
        &format!("self_join {name} n={} m={m}", t.len()),
        || matrix_profile::self_join_gpu(gpu, t, m),
        || matrix_profile::self_join(t, m).expect("CPU self_join"),
    );
}

fn ab_case(gpu: &anml::gpu::Gpu, name: &str, a: &[f64], b: &[f64], m: usize) {
    compare(
        &format!("ab_join {name} na={} nb={} m={m}", a.len(), b.len()),
        || matrix_profile::ab_join_gpu(gpu, a, b, m),
        || matrix_profile::ab_join(a, b, m).expect("CPU ab_join"),
    );
}

/// Load the module and warm the context up, so the first case's timing is
/// the sweep's.
fn warm_up(gpu: &anml::gpu::Gpu) {
    let t = walk(600, 99, &[], None);
    matrix_profile::self_join_gpu(gpu, &t, 20).expect("warm-up sweep");
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn self_join_on_real_series_equals_the_cpu() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    warm_up(&gpu);
    if let Some(t) = series("ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv") {
        for m in [50, 100, 250] {
            self_case(&gpu, "ucr135", &t, m);
        }
    }
    if let Some(t) = series("nab/data/realKnownCause/machine_temperature_system_failure.csv") {
        self_case(&gpu, "nab machine_temperature", &t, 100);
    }
    if let Some(t) = series("nab/data/realKnownCause/nyc_taxi.csv") {
        self_case(&gpu, "nab nyc_taxi", &t, 48);
    }
    if let Some(t) = series("ts/ecg-diff-count-3_TEST.csv") {
        self_case(&gpu, "ecg", &t, 7);
    }
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn self_join_on_random_walks_equals_the_cpu() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    warm_up(&gpu);
    // Constant windows (flat stretches) and an exact repeat (ties).
    let t = walk(
        5_000,
        1,
        &[(700, 150), (3_000, 60)],
        Some((1_000, 4_000, 400)),
    );
    for m in [3, 8, 64] {
        self_case(&gpu, "walk flats+repeat", &t, m);
    }
    // A series whose windows are far from 0 (the centred recurrence).
    let t: Vec<f64> = walk(20_000, 2, &[], None).iter().map(|v| v + 1e6).collect();
    self_case(&gpu, "walk offset 1e6", &t, 100);
    // Larger: the timings that matter; a long window (first cells).
    self_case(&gpu, "walk", &walk(100_000, 3, &[], None), 100);
    self_case(&gpu, "walk", &walk(50_000, 4, &[], None), 1_000);
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn ab_join_equals_the_cpu() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    warm_up(&gpu);
    if let (Some(test), Some(train)) = (
        series("ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv"),
        series("ts/135_UCR_Anomaly_InternalBleeding16_TRAIN.csv"),
    ) {
        ab_case(&gpu, "ucr135 test×train", &test, &train, 100);
        ab_case(&gpu, "ucr135 train×test", &train, &test, 100);
    }
    let a = walk(30_000, 5, &[(10_000, 200)], None);
    let b = walk(12_000, 6, &[(500, 100)], Some((0, 6_000, 300)));
    for m in [3, 50] {
        ab_case(&gpu, "walks", &a, &b, m);
        ab_case(&gpu, "walks swapped", &b, &a, m);
    }
    // A short A against a long B and the reverse (one block of diagonals
    // spanning both signs; many blocks with few rows).
    ab_case(&gpu, "short×long", &a[..200], &b, 20);
    ab_case(&gpu, "long×short", &b, &a[..200], 20);
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn refused_input_is_the_cpus_to_report() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    let t = walk(100, 7, &[], None);
    // The GPU entry point says NotApplicable; the hooked CPU entry point
    // (GPU selected) reports the CPU's own error.
    assert!(matches!(
        matrix_profile::self_join_gpu(&gpu, &t, 2),
        Err(GpuError::NotApplicable(_))
    ));
    assert_eq!(
        matrix_profile::self_join(&t, 2),
        Err(matrix_profile::MatrixProfileError::WindowTooShort { m: 2 })
    );
    let mut bad = t.clone();
    bad[10] = f64::NAN;
    assert!(matrix_profile::ab_join_gpu(&gpu, &t, &bad, 5).is_err());
    assert!(matrix_profile::ab_join(&t, &bad, 5).is_err());
    // The smallest self-join: no diagonal outside the exclusion zone.
    let tiny = &t[..6];
    compare(
        "self_join no diagonals n=6 m=5",
        || matrix_profile::self_join_gpu(&gpu, tiny, 5),
        || matrix_profile::self_join(tiny, 5).expect("CPU"),
    );
}
