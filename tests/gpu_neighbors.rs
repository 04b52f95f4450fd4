//! GPU equivalence of the neighbour search (needs an NVIDIA GPU; ignored
//! elsewhere): `kernels/sqdist_topk.cu` plus the CPU re-measure must give
//! the CPU search's neighbours bit for bit on ODDS data, for training
//! queries (self excluded) and new rows, in the f32 and f64 selection
//! paths, and the detectors built on it (knn, lof; inne through the exact
//! distance kernel) the same scores. Prints
//! one timing line per case (GPU vs CPU seconds).
//!
//! `ANML_REQUIRE_GPU=1 cargo test --test gpu_neighbors -- --include-ignored --nocapture`
#![cfg(feature = "cuda")]

mod common;

use anml::detectors::neighbors::candidates::gpu_search;
use anml::detectors::neighbors::{Query, kneighbors};
use ndarray::s;
use std::time::Instant;

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn gpu_neighbours_are_the_cpu_neighbours_bit_for_bit() {
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    // mnist (100 features, 7603 rows) and musk (166) take the f32
    // selection; shuttle (9 features, 49097 rows) is the big one; glass's
    // small distances next to large norms exercise certification.
    for name in ["cardio", "satimage-2", "mnist", "musk", "shuttle", "glass"] {
        let x = common::load_dataset(name).expect("dataset").x;
        let n_fit = x.nrows() * 2 / 3;
        let (train, test) = (x.slice(s![..n_fit, ..]), x.slice(s![n_fit.., ..]));
        for k in [1, 10, 20] {
            for query in [None, Some(test)] {
                let t = Instant::now();
                let cpu = match query {
                    Some(q) => kneighbors(train, Query::Rows(q), k),
                    None => kneighbors(train, Query::Train, k),
                }
                .expect("cpu");
                let cpu_s = t.elapsed().as_secs_f64();
                let t = Instant::now();
                match gpu_search(&gpu, train, query, k) {
                    Ok(got) => {
                        let gpu_s = t.elapsed().as_secs_f64();
                        assert_eq!(got, cpu, "{name} k={k} train-query={}", query.is_none());
                        println!(
                            "neighbours {name:>11} k={k:>2} {:>5}: GPU {gpu_s:.4} s, CPU {cpu_s:.4} s ({:.1}x)",
                            if query.is_none() { "train" } else { "test" },
                            cpu_s / gpu_s
                        );
                    }
                    Err(anml::gpu::GpuError::NotApplicable(why)) => {
                        println!("neighbours {name} k={k}: CPU only ({why})");
                    }
                    Err(e) => panic!("{name} k={k}: {e}"),
                }
            }
        }
    }
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn knn_lof_and_inne_score_the_same_on_the_gpu() {
    use anml::detectors::Detector;
    let Some(_gpu) = common::gpu_or_skip() else {
        return;
    };
    let x = common::load_dataset("satimage-2").expect("dataset").x;
    let n_fit = x.nrows() * 2 / 3;
    let (train, test) = (
        x.slice(s![..n_fit, ..]).to_owned(),
        x.slice(s![n_fit.., ..]).to_owned(),
    );
    for model in ["knn", "lof", "inne"] {
        let run = |device| {
            anml::gpu::select(device).expect("device");
            let det = Detector::new(model, &serde_json::Map::new()).expect("detector");
            let (fitted, train_scores) = det.fit_scored(train.view()).expect("fit");
            let mut all = train_scores.to_vec();
            all.extend(fitted.score_samples(test.view()).expect("score"));
            ndarray::Array1::from(all)
        };
        let cpu = run(anml::gpu::Device::Cpu);
        let gpu = run(anml::gpu::Device::Cuda);
        anml::gpu::select(anml::gpu::Device::Cpu).expect("cpu");
        let bits = |a: &ndarray::Array1<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&cpu), bits(&gpu), "{model}");
    }
}

#[test]
#[ignore = "needs an NVIDIA GPU: cargo test -- --include-ignored"]
fn exact_gpu_distances_are_the_cpu_sums_bit_for_bit() {
    use anml::detectors::distance::sq_dists_to_rows;
    let Some(gpu) = common::gpu_or_skip() else {
        return;
    };
    for name in ["mnist", "cardio", "shuttle"] {
        let x = common::load_dataset(name).expect("dataset").x;
        let d = x.ncols();
        let n = x.nrows().min(4000);
        let q = x.slice(s![..n, ..]).to_owned();
        let rows = x.slice(s![n..(n + 1600).min(x.nrows()), ..]).to_owned();
        let (q_s, r_s) = (
            q.as_slice().expect("contiguous"),
            rows.as_slice().expect("contiguous"),
        );
        let t = Instant::now();
        let got = anml::gpu::neighbors::exact_sq_dists(&gpu, q_s, r_s, d).expect("gpu distances");
        let gpu_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut want = vec![0.0; n * rows.nrows()];
        for (qr, out) in q.rows().into_iter().zip(want.chunks_mut(rows.nrows())) {
            sq_dists_to_rows(qr.as_slice().expect("row"), r_s, d, out);
        }
        let cpu_s = t.elapsed().as_secs_f64();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "{name}");
        println!(
            "exact distances {name:>8} {n} x {}: GPU {gpu_s:.4} s, CPU {cpu_s:.4} s",
            rows.nrows()
        );
    }
}
