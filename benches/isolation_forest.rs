//! Isolation Forest fit and score throughput on generated blobs (no dataset
//! files needed). `cargo bench --bench isolation_forest`.

use anml::data::toy::{ToyBlobsParams, toy_blobs};
use anml::detectors::Detector;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("isolation_forest");
    group.sample_size(10);
    for &n in &[2_000usize, 20_000] {
        let ds = toy_blobs(&ToyBlobsParams {
            n_inliers: n - n / 20,
            n_outliers: n / 20,
            n_features: 16,
            n_centers: 3,
            seed: 0,
        });
        let det = Detector::new("isolation_forest", &serde_json::Map::new()).expect("defaults");
        group.bench_with_input(BenchmarkId::new("fit", n), &ds, |b, ds| {
            b.iter(|| black_box(det.fit(ds.x.view()).expect("fit")))
        });
        let fitted = det.fit(ds.x.view()).expect("fit");
        group.bench_with_input(BenchmarkId::new("score", n), &ds, |b, ds| {
            b.iter(|| black_box(fitted.score_samples(ds.x.view()).expect("score")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
