//! Epoch progress reports and cancellation. A caller that wants to show
//! training (the CLI's progress bar) installs an observer for the duration
//! of a fit on its own thread; library code never prints. A caller that can
//! be interrupted (the script host's Ctrl-C) installs a stop flag the same
//! way; training checks it before every batch and ends with
//! `NnError::Interrupted`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// One finished epoch.
#[derive(Debug, Clone, Copy)]
pub struct EpochReport<'a> {
    /// The detector or network being trained.
    pub model: &'a str,
    /// 1-based.
    pub epoch: usize,
    pub epochs: usize,
    /// The epoch's mean training loss.
    pub loss: f64,
}

type Observer = Rc<dyn Fn(&EpochReport<'_>)>;

thread_local! {
    static OBSERVER: RefCell<Option<Observer>> = const { RefCell::new(None) };
    static STOP: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Run `f` with training on this thread stopping (before its next batch)
/// once `flag` is set; the previous flag (if any) is restored afterwards.
pub fn with_stop_flag<R>(flag: Arc<AtomicBool>, f: impl FnOnce() -> R) -> R {
    let previous = STOP.with(|s| s.replace(Some(flag)));
    let out = f();
    STOP.with(|s| *s.borrow_mut() = previous);
    out
}

/// Whether this thread's stop flag, if one is installed, is set.
pub(crate) fn stop_requested() -> bool {
    STOP.with(|s| {
        s.borrow()
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    })
}

/// Run `f` with `observer` receiving every epoch finished on this thread;
/// the previous observer (if any) is restored afterwards.
pub fn with_epoch_observer<R>(
    observer: impl Fn(&EpochReport<'_>) + 'static,
    f: impl FnOnce() -> R,
) -> R {
    let previous = OBSERVER.with(|o| o.replace(Some(Rc::new(observer))));
    let out = f();
    OBSERVER.with(|o| *o.borrow_mut() = previous);
    out
}

/// Tell this thread's observer, if one is installed.
pub(crate) fn report(r: &EpochReport<'_>) {
    let observer = OBSERVER.with(|o| o.borrow().clone());
    if let Some(f) = observer {
        f(r);
    }
}
