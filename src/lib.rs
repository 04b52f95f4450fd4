//! anml: reproducible anomaly-detection research.
//!
//! The library holds everything; the `anml` binary (src/main.rs) only parses
//! arguments and prints errors. Dependency direction, lowest first:
//!
//! `gpu` → `data` → `nn` → `detectors` → `metrics` → `thresholds` → `drift` → `plot` → `results` → `compare` → `registry` → `bench` → `slurm` → `script` → `notebook` → `cli`
//!
//! A module may use the ones before it, never the ones after it.

pub mod atomic_file;
pub mod bench;
pub mod blas;
pub mod capped_read;
pub mod cli;
pub mod compare;
pub mod data;
pub mod detectors;
pub mod drift;
pub mod error;
pub mod exp_fixed;
pub mod gpu;
pub mod hashing;
pub mod linalg_fixed;
pub mod memory;
pub mod metrics;
pub mod nn;
pub mod notebook;
pub mod plot;
pub mod registry;
pub mod results;
pub mod script;
pub mod simd;
pub mod slurm;
pub mod thresholds;
pub mod workspace;

pub use error::Error;

// Link the CBLAS that ndarray's `blas` feature calls (Debian's OpenBLAS).
extern crate blas_src;

/// The crate version, recorded in every result and artefact.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
