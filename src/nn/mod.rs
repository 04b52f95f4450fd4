//! A small float64 MLP engine for the deep detectors (autoencoder,
//! deep_svdd, usad, dif): layers with batched forward and backward passes,
//! MSE and centre-distance losses, Adam/AdamW with PyTorch's arithmetic,
//! and a seeded training loop.
//!
//! Why hand-written: candle's CPU generator cannot be seeded per run (its
//! dropout is not reproducible) and burn brings hundreds of crates and one
//! global seed; neither promises the same bits across thread counts. Here
//! every random draw comes from a ChaCha8 stream the caller seeds, training
//! is sequential with single-threaded BLAS, and inference runs in fixed
//! row blocks, so weights and scores are byte-identical for any
//! `RAYON_NUM_THREADS`. Gradients are checked against finite differences
//! and whole optimiser steps against PyTorch (tests/nn_torch_parity.rs).

#[cfg(feature = "cuda")]
pub mod gpu;
mod layer;
mod loss;
mod network;
mod optim;
pub mod progress;
mod train;

pub use layer::{BatchNorm, Layer, Linear, Mode, child_rng, standard_normal};
pub use loss::{add_norm_penalty, centre_distance, mse, row_squared_error, row_sum_of_squares};
pub use network::{Activation, Block, Grads, INFERENCE_BLOCK, Mlp, Tape};
pub use optim::{Adam, AdamConfig, OptimizerKind};
pub use train::{
    BatchOrder, Control, EarlyStopping, History, Schedule, batches_in_order, epoch_batches, gather,
    run_epochs, run_epochs_ordered, validation_split,
};

/// Errors of the engine. Detectors turn them into `DetectorError`s.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NnError {
    /// A saved network that cannot be used as it is.
    #[error("invalid network: {0}")]
    Corrupt(String),
    /// Tensors that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The training loss became NaN or infinite.
    #[error("training diverged in epoch {epoch} (loss not finite); lower the learning rate")]
    Diverged { epoch: usize },
    /// The caller's stop flag was set (Ctrl-C); see `progress::with_stop_flag`.
    #[error("training interrupted in epoch {epoch}")]
    Interrupted { epoch: usize },
}

#[cfg(test)]
mod tests;
