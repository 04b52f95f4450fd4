//! In-process timing of one detector on one dataset under a split
//! protocol, seed by seed: the anml side of the side-by-side comparison with
//! PyOD (`scripts/peer_bench.py`, `anml perf`).
//!
//! It exists so that both sides time exactly the same work: the split and
//! the scaling are done first and left out, and the clock covers `fit` on
//! the train part plus scoring of the test part, as the Python side times
//! `fit` + `decision_function`. The test ROC-AUC is kept beside each time so
//! a reader can see that both sides did the same job.

use super::{BenchError, resolve_detector};
use crate::data::{Dataset, Protocol};
use crate::detectors::Detector;
use crate::metrics;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// One seed's measurement (the medians over its repeats).
#[derive(Debug, Clone, Serialize)]
pub struct TimedRun {
    pub seed: u64,
    pub fit_seconds: f64,
    pub score_seconds: f64,
    /// `fit_seconds + score_seconds`.
    pub fit_score_seconds: f64,
    pub roc_auc: f64,
}

/// All seeds of one (dataset, detector) pair.
#[derive(Debug, Clone, Serialize)]
pub struct TimingReport {
    pub dataset: String,
    pub model: String,
    pub protocol: String,
    pub n_train: usize,
    pub n_test: usize,
    pub n_features: usize,
    pub runs: Vec<TimedRun>,
    /// Median of `fit_score_seconds` over the runs (the mean of the middle
    /// two for an even count).
    pub median_fit_score_seconds: f64,
    /// Worker threads rayon uses (anml's parallelism; BLAS is kept at one
    /// thread per worker, see `blas`).
    pub threads: usize,
    /// Fits + scores per seed; each seed's times are their medians.
    pub repeats: usize,
}

/// Time `detector` on `dataset` under `protocol` for each seed in turn (one
/// at a time, so a run has the whole machine, as the peer's loop does).
/// Each seed is fitted and scored `repeats` times (at least once) and its
/// times are the medians. `cancel`, when set, stops before the next seed
/// or repeat.
pub fn time_runs(
    dataset: &Dataset,
    detector: &Detector,
    protocol: Protocol,
    seeds: &[u64],
    repeats: usize,
    cancel: Option<&Arc<AtomicBool>>,
) -> Result<TimingReport, BenchError> {
    let repeats = repeats.max(1);
    if seeds.is_empty() {
        return Err(BenchError::Grid("no seeds to time".into()));
    }
    let mut runs = Vec::with_capacity(seeds.len());
    let mut shape = (0, 0, dataset.n_features());
    for (done, &seed) in seeds.iter().enumerate() {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(BenchError::Interrupted { finished: done });
        }
        let resolved = resolve_detector(dataset, detector, protocol, seed)?;
        let prepared = protocol.prepare(dataset, seed)?;
        shape = (prepared.info.n_train, prepared.info.n_test, shape.2);

        let (mut fits, mut scorings, mut totals) = (Vec::new(), Vec::new(), Vec::new());
        let mut scores = None;
        for _ in 0..repeats {
            // Checked between repeats too: a seed repeated many times may
            // take long, and Ctrl-C should not wait for all of it.
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(BenchError::Interrupted { finished: done });
            }
            let t0 = Instant::now();
            let fitted = resolved.fit(prepared.x_train.view())?;
            let fit_seconds = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let s = fitted.score_samples(prepared.x_test.view())?;
            let score_seconds = t1.elapsed().as_secs_f64();
            fits.push(fit_seconds);
            scorings.push(score_seconds);
            totals.push(fit_seconds + score_seconds);
            scores = Some(s);
        }
        let Some(scores) = scores else {
            return Err(BenchError::Grid("no repeat ran".into()));
        };

        let roc_auc =
            metrics::roc_auc(prepared.y_test.view(), scores.view()).map_err(|source| {
                BenchError::Metric {
                    dataset: dataset.name.clone(),
                    seed,
                    source,
                }
            })?;
        runs.push(TimedRun {
            seed,
            fit_seconds: median(&fits),
            score_seconds: median(&scorings),
            fit_score_seconds: median(&totals),
            roc_auc,
        });
    }
    let times: Vec<f64> = runs.iter().map(|r| r.fit_score_seconds).collect();
    Ok(TimingReport {
        dataset: dataset.name.clone(),
        model: detector.name().to_string(),
        protocol: protocol.name().to_string(),
        n_train: shape.0,
        n_test: shape.1,
        n_features: shape.2,
        median_fit_score_seconds: median(&times),
        runs,
        threads: rayon::current_num_threads(),
        repeats,
    })
}

/// The median of `xs` (the mean of the middle two for an even count; NaN
/// for none). Times are never NaN, so the total order is the usual one.
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// The process's peak resident set size in KiB (`VmHWM` in
/// `/proc/self/status`), where the kernel reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::toy::{ToyBlobsParams, toy_blobs};

    fn toy(n_inliers: usize, n_outliers: usize) -> Dataset {
        toy_blobs(&ToyBlobsParams {
            n_inliers,
            n_outliers,
            ..ToyBlobsParams::default()
        })
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn peak_rss_is_reported_on_linux() {
        let kib = peak_rss_kib();
        if cfg!(target_os = "linux") {
            assert!(kib.is_some_and(|k| k > 0), "{kib:?}");
        }
    }

    #[test]
    fn times_every_seed_with_the_protocol_split() {
        let ds = toy(285, 15);
        let det = Detector::new("knn", &serde_json::Map::new()).unwrap();
        let r = time_runs(&ds, &det, Protocol::Pyod, &[0, 1, 2], 1, None).unwrap();
        assert_eq!(r.runs.iter().map(|x| x.seed).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!((r.n_train, r.n_test, r.n_features), (180, 120, 4));
        for run in &r.runs {
            assert!(run.fit_score_seconds >= run.fit_seconds);
            assert!(run.roc_auc > 0.5, "{run:?}");
        }
        let sorted = {
            let mut t: Vec<f64> = r.runs.iter().map(|x| x.fit_score_seconds).collect();
            t.sort_by(f64::total_cmp);
            t
        };
        assert_eq!(r.median_fit_score_seconds, sorted[1]);
    }

    #[test]
    fn repeats_give_the_same_scores_and_median_times() {
        let ds = toy(285, 15);
        let det = Detector::new("knn", &serde_json::Map::new()).unwrap();
        let once = time_runs(&ds, &det, Protocol::Pyod, &[0, 1], 1, None).unwrap();
        let five = time_runs(&ds, &det, Protocol::Pyod, &[0, 1], 5, None).unwrap();
        assert_eq!((once.repeats, five.repeats), (1, 5));
        let aucs = |r: &TimingReport| r.runs.iter().map(|x| x.roc_auc).collect::<Vec<_>>();
        assert_eq!(aucs(&once), aucs(&five));
        for run in &five.runs {
            assert!(run.fit_score_seconds >= run.fit_seconds);
        }
        // 0 repeats still measures once.
        let zero = time_runs(&ds, &det, Protocol::Pyod, &[0], 0, None).unwrap();
        assert_eq!(zero.repeats, 1);
    }

    #[test]
    fn a_set_cancel_flag_stops_before_the_first_seed() {
        let ds = toy(90, 10);
        let det = Detector::new("hbos", &serde_json::Map::new()).unwrap();
        let flag = Arc::new(AtomicBool::new(true));
        let e = time_runs(&ds, &det, Protocol::Pyod, &[0], 1, Some(&flag)).unwrap_err();
        assert!(matches!(e, BenchError::Interrupted { finished: 0 }), "{e}");
        assert!(time_runs(&ds, &det, Protocol::Pyod, &[], 1, None).is_err());
    }
}
