//! ROC-AUC and average precision on 1e5 and 1e6 scores with ties.
//! `cargo bench --bench metrics`.

use anml::metrics::{pr_auc, roc_auc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::Array1;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics");
    group.sample_size(10);
    for &n in &[100_000usize, 1_000_000] {
        // A deterministic pseudo-random sequence (LCG) with many ties.
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let y: Array1<u8> = (0..n).map(|_| u8::from(next() % 10 == 0)).collect();
        let s: Array1<f64> = (0..n).map(|_| (next() % 1000) as f64).collect();
        group.bench_with_input(BenchmarkId::new("roc_auc", n), &n, |b, _| {
            b.iter(|| black_box(roc_auc(y.view(), s.view()).expect("auc")))
        });
        group.bench_with_input(BenchmarkId::new("pr_auc", n), &n, |b, _| {
            b.iter(|| black_box(pr_auc(y.view(), s.view()).expect("ap")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
