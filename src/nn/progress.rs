//! Epoch progress reports. A caller that wants to show training (the CLI's
//! progress bar) installs an observer for the duration of a fit on its own
//! thread; library code never prints.

use std::cell::RefCell;
use std::rc::Rc;

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
