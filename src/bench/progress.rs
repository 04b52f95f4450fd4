//! The progress bar of a sweep (done/total, cached, failed, ETA), shared by
//! `anml benchmark --suite` and the script function `sweep`. It draws on
//! stderr only when that is a terminal.

use super::{
    BenchError, PointStatus, RunContext, RunStore, SweepEvent, SweepOptions, SweepOutcome,
    SweepSpec, run_sweep,
};
use crate::data::DatasetRegistry;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Something that follows a sweep's events besides the progress bar.
pub type SweepObserver = std::sync::Arc<dyn Fn(SweepEvent<'_>) + Send + Sync>;

pub struct SweepProgress {
    bar: ProgressBar,
    cached: AtomicUsize,
    failed: AtomicUsize,
}

impl Default for SweepProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl SweepProgress {
    /// A bar whose length is set when the sweep reports its plan.
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
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

    /// Follow one sweep event.
    pub fn event(&self, e: SweepEvent<'_>) {
        let (p, status) = match e {
            SweepEvent::Planned { points, .. } => {
                self.bar.set_length(points as u64);
                return;
            }
            SweepEvent::Done(p, status) => (p, status),
        };
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

/// [`run_sweep`] with a progress bar on stderr (the CLI's suites and the
/// script function `sweep`).
pub fn run_sweep_with_progress(
    registry: &DatasetRegistry,
    spec: &SweepSpec,
    opts: &SweepOptions,
    ctx: &RunContext,
    store: &RunStore,
) -> Result<SweepOutcome, BenchError> {
    run_sweep_observed(registry, spec, opts, ctx, store, None)
}

/// [`run_sweep_with_progress`] that also reports every event to `observer`
/// (the Jupyter kernel shows a sweep's progress in the notebook).
pub fn run_sweep_observed(
    registry: &DatasetRegistry,
    spec: &SweepSpec,
    opts: &SweepOptions,
    ctx: &RunContext,
    store: &RunStore,
    observer: Option<&SweepObserver>,
) -> Result<SweepOutcome, BenchError> {
    let progress = SweepProgress::new();
    let outcome = run_sweep(registry, spec, opts, ctx, store, &|e| {
        progress.event(e);
        if let Some(o) = observer {
            o(e);
        }
    });
    progress.finish();
    outcome
}

/// Run `f` (one fit, on this thread) with an epoch bar on stderr for deep
/// detectors: it appears once training has taken about a second, shows
/// epoch/epochs and the last epoch's loss, and is cleared at the end. Quick
/// fits and detectors without epochs draw nothing.
pub fn with_epoch_bar<R>(f: impl FnOnce() -> R) -> R {
    use std::cell::RefCell;
    use std::time::{Duration, Instant};
    let start = Instant::now();
    let bar: std::rc::Rc<RefCell<Option<ProgressBar>>> = Default::default();
    let shown = bar.clone();
    let out = crate::nn::progress::with_epoch_observer(
        move |r| {
            let mut slot = shown.borrow_mut();
            if slot.is_none() && start.elapsed() >= Duration::from_secs(1) {
                let b = ProgressBar::new(r.epochs as u64);
                b.set_style(
                    ProgressStyle::with_template(
                        "{prefix} {bar:40} epoch {pos}/{len}, {msg} [{elapsed_precise}, ETA {eta}]",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_prefix(r.model.to_string());
                *slot = Some(b);
            }
            if let Some(b) = slot.as_ref() {
                if b.length() != Some(r.epochs as u64) {
                    b.set_length(r.epochs as u64);
                }
                b.set_position(r.epoch as u64);
                b.set_message(format!("loss {:.6}", r.loss));
            }
        },
        f,
    );
    if let Some(b) = bar.borrow_mut().take() {
        b.finish_and_clear();
    }
    out
}
