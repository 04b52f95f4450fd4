//! Matrix-profile self-join (STOMP) on seeded random walks, n = 2^14 and
//! 2^16, m = 50 and 100. `cargo bench --bench matrix_profile`.
//!
//! Criterion reports the time per self-join; the throughput line is in
//! "elements" = distance-matrix cells visited, `(l - z)(l - z - 1)/2` with
//! `l = n - m + 1` and `z = ⌈m/4⌉` (the upper triangle outside the
//! exclusion zone), so ns per cell per core = time × threads / cells.
//! `scripts/peer_bench_ts.py` compares the same series with stumpy.

use anml::detectors::matrix_profile::self_join;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::Duration;

/// A random walk of uniform(-0.5, 0.5) steps from a seeded ChaCha8.
fn random_walk(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = 0.0;
    (0..n)
        .map(|_| {
            x += rng.random::<f64>() - 0.5;
            x
        })
        .collect()
}

fn cells(n: usize, m: usize) -> u64 {
    let l = (n - m + 1) as u64;
    let z = m.div_ceil(4) as u64;
    (l - z) * (l - z - 1) / 2
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("matrix_profile_self_join");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for &n in &[1usize << 14, 1 << 16] {
        if n > 1 << 14 {
            group.measurement_time(Duration::from_secs(30));
        }
        let t = random_walk(n, 7);
        for &m in &[50usize, 100] {
            let k = cells(n, m);
            group.throughput(Throughput::Elements(k));
            group.bench_with_input(BenchmarkId::new(format!("m{m}"), n), &t, |b, t| {
                b.iter(|| black_box(self_join(black_box(t), m).expect("self_join")))
            });
        }
    }
    group.finish();
    println!("threads: {}", rayon::current_num_threads());
}

criterion_group!(benches, bench);
criterion_main!(benches);
