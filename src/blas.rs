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
