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
