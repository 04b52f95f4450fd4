//! The floor for the neighbour search: the blocked squared-distance kernel
//! (`neighbors::sq_distance_block`: one dgemm plus the fused norm pass)
//! against a bare dgemm of the same shape, in the same run, with the same
//! BLAS, both single-threaded (the search runs one block per core).
//! Throughput is in flops of the product (2·m·n·d), so the two rates are
//! directly comparable. `cargo bench --bench distance_kernel`; results and
//! the ratio are in benches/NOTES.md.

use anml::detectors::neighbors::sq_distance_block;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use std::hint::black_box;

fn matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Array2::from_shape_simple_fn((rows, cols), || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    })
}

fn bench(c: &mut Criterion) {
    anml::blas::single_threaded();
    let mut group = c.benchmark_group("distance_kernel");
    group.sample_size(20);
    let (m, n) = (256usize, 4096usize);
    for &d in &[16usize, 64, 256] {
        let q = matrix(m, d, 1);
        let x = matrix(n, d, 2);
        let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let xt = x.t();
        let mut out = Array2::zeros((m, n));
        group.throughput(Throughput::Elements((2 * m * n * d) as u64));
        group.bench_with_input(BenchmarkId::new("dgemm", d), &d, |b, _| {
            b.iter(|| {
                ndarray::linalg::general_mat_mul(1.0, &q, &xt, 0.0, &mut out);
                black_box(&out);
            })
        });
        group.bench_with_input(BenchmarkId::new("sq_distance_block", d), &d, |b, _| {
            b.iter(|| black_box(sq_distance_block(q.view(), xt, &norms, out.view_mut())))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
