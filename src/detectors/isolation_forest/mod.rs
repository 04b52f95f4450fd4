//! Isolation Forest (Liu, Ting & Zhou 2008), with scikit-learn's behaviour.
//!
//! Each tree is grown on ψ rows drawn without replacement (`max_samples`,
//! default `min(256, n)`): a node picks a column uniformly among those not
//! constant on its rows and a split value uniformly between that column's
//! minimum and maximum; it becomes a leaf when it holds one row, reaches
//! depth `ceil(log2 ψ)`, or all columns are constant on it. A row's path
//! length in a tree is the depth of its leaf plus `c(leaf size)`, the expected
//! depth of an unbuilt subtree, and its score is `2^(-E[h(x)] / c(ψ))`
//! (scikit-learn's `-score_samples`; higher = more anomalous).
//!
//! Differences from scikit-learn, none of which changes the algorithm:
//! * its own RNG (ChaCha8), so forests match in distribution, not bit for bit;
//! * data stay `f64` (scikit-learn fits and scores in `f32`);
//! * a column counts as constant in a node only when its minimum equals its
//!   maximum (scikit-learn: when they differ by at most 1e-7 in `f32`, a
//!   scale-dependent cut-off);
//! * a `max_samples` fraction is floored to at least one row (scikit-learn
//!   fails on a fraction that yields zero rows).
//!
//! With `bootstrap` a repeated row counts once in the tree (leaf sizes count
//! distinct rows), as in current scikit-learn (checked against 1.9.1), which
//! passes the draw counts to the tree as sample weights.
//!
//! Determinism: one `u64` seed per tree is drawn up front from a ChaCha8
//! stream seeded with `seed`; trees are grown in parallel and collected in
//! order, and each row's path lengths are summed in tree order. Fit and scores
//! are therefore bit-identical for any number of threads.
//!
//! With a GPU selected (`--device`), `score_samples` takes the per-row totals
//! from `kernels/iforest_score.cu` (the trees as [`FlatForest`]'s arrays;
//! `crate::gpu::iforest` says why they are the same bits) and finishes them
//! here as on the CPU; inputs below `crate::gpu::iforest::MIN_WALKS` row-tree
//! walks stay on the CPU.

pub mod diffi;
mod flat;
mod model;
mod params;
mod tree;

pub use flat::FlatForest;
pub use model::IsolationForestModel;
pub use params::{IsolationForestParams, MaxSamples, MaxSamplesKeyword};
pub use tree::{TreeArrays, TreePath};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::ArrayView2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use tree::{TreeConfig, grow_tree, max_depth_for};

/// The parameters of `isolation_forest`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_estimators",
        doc: "Number of isolation trees; default 100; an integer in [1, 100000].",
    },
    ParamDoc {
        name: "max_samples",
        doc: "Rows drawn per tree (psi): \"auto\" = min(256, n), an integer count \
              (capped at n), or a float fraction of n in (0, 1] (at least one row); \
              default \"auto\". Trees are limited to depth ceil(log2(psi)).",
    },
    ParamDoc {
        name: "max_features",
        doc: "Fraction of the columns each tree may split on, drawn per tree without \
              replacement (max(1, floor(max_features * d)) columns); default 1.0; \
              a fraction in (0, 1].",
    },
    ParamDoc {
        name: "bootstrap",
        doc: "Draw each tree's rows with replacement (a repeated row counts once); \
              default false; true or false.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the forest; every tree's seed is derived from it, so results \
              do not depend on the thread count; default 0; an integer >= 0.",
    },
];

/// Euler–Mascheroni constant (numpy's `np.euler_gamma`).
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// `c(n)`, the average path length of an unsuccessful search in a binary
/// search tree of `n` nodes: `2 H(n - 1) - 2 (n - 1) / n` with
/// `H(i) = ln(i) + γ`; `c(0) = c(1) = 0`, `c(2) = 1`. The same expression as
/// scikit-learn's `_average_path_length`.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

/// The largest ψ the tree layout holds (node indices are `u32`).
const MAX_PSI: usize = (u32::MAX / 2) as usize;

impl DetectorParams for IsolationForestParams {
    type Model = IsolationForestModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let psi = self.psi(x.nrows());
        if psi > MAX_PSI {
            return Err(DetectorError::CannotFit(format!(
                "max_samples = {} resolves to {psi} rows per tree; at most {MAX_PSI} are supported",
                self.max_samples
            )));
        }
        let x_std = x.as_standard_layout();
        let model = grow_forest(
            x_std.view(),
            psi,
            self.max_features,
            self.bootstrap,
            self.n_estimators,
            self.seed,
        )?;
        let train_scores = model.score_samples(x_std.view());
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

/// One `u64` seed per tree, drawn up front from a ChaCha8 stream seeded
/// with the forest's `seed`.
fn tree_seeds(seed: u64, n_estimators: usize) -> Vec<u64> {
    let mut seeder = ChaCha8Rng::seed_from_u64(seed);
    (0..n_estimators).map(|_| seeder.random()).collect()
}

impl TreeConfig {
    fn new(psi: usize, max_features: f64, bootstrap: bool, d: usize) -> Self {
        Self {
            psi,
            max_depth: max_depth_for(psi),
            n_tree_features: ((max_features * d as f64).floor() as usize).clamp(1, d.max(1)),
            bootstrap,
        }
    }
}

impl IsolationForestParams {
    /// The in-bag rows (indices into the `n` training rows) of every tree
    /// these parameters grow on `n × d` data, in tree order: each tree's
    /// sample drawn again from its seed exactly as the fit drew it
    /// ([`tree::draw_sample`]). What DIFFI's global importances need.
    pub fn in_bag_rows(&self, n: usize, d: usize) -> Vec<Vec<usize>> {
        let config = TreeConfig::new(self.psi(n), self.max_features, self.bootstrap, d);
        tree_seeds(self.seed, self.n_estimators)
            .into_iter()
            .map(|s| tree::draw_sample(n, d, &config, s).2)
            .collect()
    }
}

/// Grow `n_estimators` trees of ψ = `psi` rows (1 <= ψ <= n, at most
/// [`MAX_PSI`]) on `x`: one `u64` seed per tree is drawn up front from a
/// ChaCha8 stream seeded with `seed`, the trees are grown in parallel and
/// collected in order (bit-identical for any thread count). `max_features`
/// is a fraction in (0, 1]. The forest of `isolation_forest`, and of every
/// ensemble member of `dif` (which scores the trees' paths its own way,
/// see [`IsolationForestModel::paths`]).
pub(crate) fn grow_forest(
    x: ArrayView2<'_, f64>,
    psi: usize,
    max_features: f64,
    bootstrap: bool,
    n_estimators: usize,
    seed: u64,
) -> Result<IsolationForestModel, DetectorError> {
    let (n, d) = x.dim();
    if psi > MAX_PSI {
        return Err(DetectorError::CannotFit(format!(
            "{psi} rows per tree; at most {MAX_PSI} are supported"
        )));
    }
    if d >= u32::MAX as usize {
        return Err(DetectorError::CannotFit(format!(
            "{d} columns; at most {} are supported",
            u32::MAX - 1
        )));
    }
    let config = TreeConfig::new(psi, max_features, bootstrap, d);
    let x_std = x.as_standard_layout();
    let copied;
    let data: &[f64] = match x_std.as_slice() {
        Some(s) => s,
        None => {
            copied = x_std.iter().copied().collect::<Vec<f64>>();
            &copied
        }
    };

    let trees: Vec<TreeArrays> = tree_seeds(seed, n_estimators)
        .par_iter()
        .map(|&s| grow_tree(data, n, d, &config, s))
        .collect();

    IsolationForestModel::new(d, psi, trees).map_err(DetectorError::CannotFit)
}

#[cfg(test)]
mod tests;
