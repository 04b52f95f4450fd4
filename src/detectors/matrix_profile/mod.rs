//! The matrix profile (z-normalised Euclidean distance, STOMP) and its top-k
//! discords.
//!
//! Why it exists: the matrix profile is the one natively sequential anomaly
//! method anml offers for time series (a subsequence whose nearest neighbour
//! is far away, a *discord*, is anomalous), and users compare it with
//! [stumpy](https://github.com/TDAmeritrade/stumpy). [`self_join`] and
//! [`ab_join`] reproduce `stumpy.stump(T, m)` and
//! `stumpy.stump(T_A, m, T_B, ignore_trivial=False)`: the parity test
//! (`tests/matrix_profile_parity.rs`) checks the profile to 1e-8 and the
//! indices on real series against fixtures recorded with stumpy.
//!
//! # Algorithm
//!
//! STOMP (Zhu et al., ICDM 2016) walks the distance matrix along its
//! diagonals. Like stumpy's `_stump`, the covariance of two windows is
//! updated along a diagonal with the centred (Welford) recurrence of
//! Zimmerman et al. (SoCC 2019) instead of the raw sliding dot product
//! `QT[i+1,j+1] = QT[i,j] - T[i]T[j] + T[i+m]T[j+m]`: the raw dot product
//! loses digits to cancellation when the series mean is large (a random walk
//! drifts far from 0), the centred one does not. The first cell of every
//! diagonal is computed exactly. Distances are handled as Pearson
//! correlations `ρ` and converted once at the end,
//! `d = sqrt(|2m(1 - min(ρ, 1))|)`, with `2m(1 - ρ) < 1e-14` set to 0 as
//! stumpy does.
//!
//! Speed: a block of adjacent diagonals is processed together, so the
//! per-cell work is contiguous vector code over the block's lanes: the
//! update `cov += a[j]·b[i] - c[j]·d[i]`, the correlation
//! `ρ = cov·(1/σ_j)·(1/σ_i)` (no division or square root), and one compare
//! against the smaller of the row's and the column's running best. Only a
//! cell that may beat (or tie) one of them takes a scalar slow path, which
//! keeps `(ρ, index)`; distances are computed once at the end. The portable
//! kernel uses 8 lanes (SSE2 on x86-64); on a CPU with AVX2 or AVX-512F
//! (detected at run time) the same code is compiled for 16 lanes with those
//! instructions (about 1.5× and a further 1.25× faster per core here). All
//! do the same IEEE operations per cell (no FMA), so they give the same
//! bits, which the unit tests check. Rows are tiled
//! so a band of diagonals reuses cached data. Units of diagonals are paired
//! long with short so every parallel work item has about the same number of
//! cells; every rayon thread keeps its own best `(ρ, index)` per row and
//! column and they are merged with an order-independent rule (largest `ρ`,
//! then lowest index), so the result is bit-identical for any thread count:
//! a cell's value depends only on its diagonal, never on the split.
//!
//! On a GPU (`--device cuda|auto`) the diagonal sweep, the one O(n²) part,
//! runs in `kernels/stomp.cu` (`self_join_gpu`, `ab_join_gpu`, which
//! [`self_join`] and [`ab_join`] call when a GPU is selected); everything
//! before and after it is this code, and the result is the CPU's bit for
//! bit (`crate::gpu::stomp` says why).
//!
//! Accuracy: the distances reported for the chosen neighbours (profile,
//! left, right) are recomputed exactly from the two windows, so they do not
//! carry the recurrence's rounding (which matters near 0, where
//! `d = sqrt(2m(1 - ρ))` turns an error ε in `ρ` into `sqrt(2mε)`).
//!
//! # Conventions (as stumpy)
//!
//! - Exclusion zone of a self-join: `⌈m/4⌉` (`STUMPY_EXCL_ZONE_DENOM = 4`);
//!   windows `i`, `j` with `|i - j| <= ⌈m/4⌉` are never neighbours. An
//!   AB-join has none ([`MatrixProfile::exclusion_zone`] is 0).
//! - Constant windows (max = min, exactly; stumpy's `T_subseq_isconstant`):
//!   two constant windows have `ρ = 1` (distance 0), a constant and a
//!   non-constant window `ρ = 0.5` (distance `sqrt(m)`), whatever the data.
//! - Left neighbour: the best `j < i` outside the zone; right: the best
//!   `j > i`. A row without any candidate has distance `inf` and index -1.
//!   An AB-join has no left/right profile: `inf`/-1 everywhere, as stumpy
//!   returns.
//!
//! # Deliberate differences from stumpy
//!
//! - NaN/±inf in the input is refused with [`MatrixProfileError::NonFinite`]
//!   (stumpy marks the windows containing it as having no neighbour, `inf`).
//! - `m < 3` is [`MatrixProfileError::WindowTooShort`] and `m > n`
//!   [`MatrixProfileError::WindowTooLong`] (stumpy raises `ValueError`);
//!   stumpy's warning when some window has no eligible neighbour is not
//!   raised: such rows simply are `inf`/-1.
//! - Ties: ours is always the largest `ρ` (clipped at 1; the smallest
//!   distance), then the lowest index; the choice is made on the
//!   recurrence's `ρ`, so candidates closer than its rounding (~1e-13 in
//!   `ρ`) count as ties too. stumpy's choice among exactly equal `ρ` depends on its
//!   traversal order and its numba thread count (it tends to keep the
//!   nearest diagonal), so indices may differ where two candidates are
//!   equally close (e.g. constant stretches); the distance is the same.
//! - stumpy (≥ 1.12) returns only the left/right *indices*; we also return
//!   the left/right distances, computed from the same correlations.
//! - Rounding: the recurrence constant `(m-1)/m²` is folded into the row
//!   factors, window means and (two-pass, population) stds are summed with
//!   eight partial sums, no FMA is used, and the reported distances are
//!   recomputed exactly (above), so values differ from stumpy's (numba
//!   `fastmath`, whose recurrence drifts along long diagonals) by up to
//!   ~1e-10 on the real series of the parity test; the tolerance is 1e-8
//!   (near 0: 1e-12 in `ρ`, i.e. `|d² - d_ref²| <= 2m·1e-12`).
//! - A non-constant window whose standard deviation underflows to 0 (a
//!   spread below ~1e-154) is treated as constant (stumpy would divide by
//!   zero).
//! - A series whose magnitude would overflow the window sums of squares
//!   (|x| above sqrt(f64::MAX / 8n), ~1e150) is first scaled by an exact
//!   power of two; the z-normalised profile does not depend on the scale,
//!   and the profile of the scaled series is returned.

mod discords;
mod stomp;
#[cfg(test)]
mod tests;

pub use discords::{Discord, discords};
pub use stomp::{ab_join, self_join};
#[cfg(feature = "cuda")]
pub use stomp::{ab_join_gpu, self_join_gpu};

/// Which input series an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// The series of a self-join.
    Series,
    /// `T_A` of an AB-join (the series whose windows get a profile value).
    A,
    /// `T_B` of an AB-join (the series searched for neighbours).
    B,
}

impl std::fmt::Display for Operand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operand::Series => "the series",
            Operand::A => "series A",
            Operand::B => "series B",
        })
    }
}

/// Why a matrix profile or its discords could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MatrixProfileError {
    /// The window is shorter than 3 points (stumpy's minimum).
    #[error("window length m = {m} is too short: the matrix profile needs m >= 3")]
    WindowTooShort { m: usize },
    /// The window is longer than the (shorter) series.
    #[error("window length m = {m} exceeds the series length n = {n}")]
    WindowTooLong { m: usize, n: usize },
    /// The input holds NaN or ±inf.
    #[error("{operand} has a non-finite value {value} at index {index}")]
    NonFinite {
        operand: Operand,
        index: usize,
        value: f64,
    },
    /// `discords` was asked for zero discords.
    #[error("the number of discords k must be at least 1")]
    ZeroDiscords,
}

/// A matrix profile: for every window of `A` (the series itself for a
/// self-join) the z-normalised Euclidean distance to its nearest neighbour
/// and that neighbour's start index, plus the left (earlier) and right
/// (later) nearest neighbours of a self-join.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixProfile {
    /// Window length.
    pub m: usize,
    /// Half-width of the trivial-match zone: `⌈m/4⌉` for a self-join (as
    /// stumpy), 0 for an AB-join.
    pub exclusion_zone: usize,
    /// Nearest-neighbour distance per window (length `n - m + 1`, `n` the
    /// length of `A`); `inf` where a window has no eligible neighbour.
    pub profile: Vec<f64>,
    /// Start index of the nearest neighbour; -1 where there is none.
    pub index: Vec<i64>,
    /// Distance to the nearest neighbour starting before the window
    /// (outside the zone); `inf` if none, and everywhere for an AB-join.
    pub left_profile: Vec<f64>,
    /// Index of the left nearest neighbour, -1 if none.
    pub left_index: Vec<i64>,
    /// Distance to the nearest neighbour starting after the window.
    pub right_profile: Vec<f64>,
    /// Index of the right nearest neighbour, -1 if none.
    pub right_index: Vec<i64>,
}

impl MatrixProfile {
    /// Number of windows (`n - m + 1`).
    pub fn len(&self) -> usize {
        self.profile.len()
    }

    /// True when there are no windows (never for a computed profile).
    pub fn is_empty(&self) -> bool {
        self.profile.is_empty()
    }
}
