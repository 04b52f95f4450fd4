//! BLAS threading policy. anml parallelises with rayon over blocks of work;
//! each block's matrix product must then run on one thread, or OpenBLAS's own
//! threads oversubscribe the cores. Called once before the first product.

use std::sync::Once;

#[link(name = "openblas")]
unsafe extern "C" {
    fn openblas_set_num_threads(n: std::ffi::c_int);
}

/// Make OpenBLAS single-threaded for the rest of the process (idempotent).
pub fn single_threaded() {
    static ONCE: Once = Once::new();
    // SAFETY: sets an OpenBLAS global before/between calls; takes a plain int.
    ONCE.call_once(|| unsafe { openblas_set_num_threads(1) });
}

/// For a process that uses BLAS only through anml (the `anml` binary):
/// [`single_threaded`], then stop OpenBLAS's idle worker threads.
///
/// Why: the pthreads build of OpenBLAS starts its worker threads when the
/// library loads, and each spins on `sched_yield` for about 2²⁸ cycles
/// (~0.1 s) before it sleeps. With one BLAS thread they are never used, but
/// on a 2-core machine that spin takes a core from rayon during a short run:
/// a whole-process profile of `anml perf --dataset optdigits --model knn
/// --seeds 0` had 37% of its CPU samples in that thread's `sched_yield`.
/// `blas_thread_shutdown_` (what OpenBLAS's own fork handler calls) stops
/// and joins them; it is looked up at run time, because OpenMP builds of
/// OpenBLAS do not have it (nothing is done there). Call it before any BLAS
/// work starts, from the one thread that exists then: a shutdown during a
/// multi-threaded BLAS call would break that call.
pub fn single_threaded_process() {
    single_threaded();
    let name = c"blas_thread_shutdown_";
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks
    // the symbol up; a null result means it is absent.
    let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    if !f.is_null() {
        // SAFETY: OpenBLAS defines `int blas_thread_shutdown_(void)`; no BLAS
        // call is in flight (see above), and with one BLAS thread OpenBLAS
        // never needs the workers again (it restarts them itself if a later
        // call asks for more threads).
        let shutdown: unsafe extern "C" fn() -> std::ffi::c_int = unsafe { std::mem::transmute(f) };
        unsafe { shutdown() };
    }
}

#[link(name = "openblas")]
unsafe extern "C" {
    fn openblas_get_config() -> *const std::ffi::c_char;
    fn openblas_get_corename() -> *const std::ffi::c_char;
}

/// How the linked OpenBLAS is set up: its build configuration, the kernel
/// set it chose for this CPU (`OPENBLAS_CORETYPE` overrides the choice), and
/// that variable's value. Reported by `anml perf` so a timing names its BLAS.
pub fn describe() -> String {
    // SAFETY: both return pointers to static NUL-terminated strings owned
    // by OpenBLAS, valid for the life of the process.
    let text = |p: *const std::ffi::c_char| {
        if p.is_null() {
            "unknown".to_string()
        } else {
            unsafe { std::ffi::CStr::from_ptr(p) }
                .to_string_lossy()
                .trim()
                .to_string()
        }
    };
    let (config, core) = unsafe { (openblas_get_config(), openblas_get_corename()) };
    format!(
        "{} (core {}, OPENBLAS_CORETYPE={})",
        text(config),
        text(core),
        std::env::var("OPENBLAS_CORETYPE").unwrap_or_else(|_| "unset".into())
    )
}
