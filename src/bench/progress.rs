//! The progress bar of a sweep (done/total, cached, failed, ETA), shared by
//! `anml benchmark --suite` and the script function `sweep`. It draws on
//! stderr only when that is a terminal.

use super::{GridPoint, PointStatus};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct SweepProgress {
    bar: ProgressBar,
    cached: AtomicUsize,
    failed: AtomicUsize,
}

impl SweepProgress {
    /// A bar for `total` grid points.
    pub fn new(total: usize) -> Self {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} runs, {msg} [{elapsed_precise}, ETA {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            cached: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        }
    }

    /// Record one finished grid point.
    pub fn done(&self, p: &GridPoint, status: PointStatus) {
        match status {
            PointStatus::Cached => {
                self.cached.fetch_add(1, Ordering::Relaxed);
            }
            PointStatus::Failed => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
            PointStatus::Ran => {}
        }
        self.bar.set_message(format!(
            "{} cached, {} failed; last {} {} seed {}",
            self.cached.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            p.dataset,
            p.model,
            p.seed
        ));
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
