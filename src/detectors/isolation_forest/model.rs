//! The fitted forest: saved form, load-time checks and scoring.

use super::average_path_length;
use super::flat::FlatForest;
use super::tree::{CompiledTree, TreeArrays, TreePath, compile_tree, step, walk_path};
use crate::detectors::{Explanation, Model};
use ndarray::{Array1, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows scored together. A block walks one tree at a time (its nodes stay in
/// cache), advancing all of its rows one level per pass: the rows' walks are
/// independent, so the processor overlaps them, and a walk has a fixed length
/// (the tree's depth), so no branch depends on the data.
const BLOCK_ROWS: usize = 64;

/// A fitted Isolation Forest.
///
/// Saved as `{"n_features", "max_samples", "trees": [{"feature",
/// "threshold", "right", "n_samples"}, ...]}` (see [`TreeArrays`]); loading
/// checks every tree, so a corrupt file is refused rather than scored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(try_from = "ForestRepr")]
pub struct IsolationForestModel {
    n_features: usize,
    /// Effective subsample size ψ; scores are normalised by `c(ψ)`.
    max_samples: usize,
    trees: Vec<TreeArrays>,
    #[serde(skip)]
    compiled: Vec<CompiledTree>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForestRepr {
    n_features: usize,
    max_samples: usize,
    trees: Vec<TreeArrays>,
}

impl TryFrom<ForestRepr> for IsolationForestModel {
    type Error = String;
    fn try_from(r: ForestRepr) -> Result<Self, String> {
        Self::new(r.n_features, r.max_samples, r.trees)
    }
}

impl IsolationForestModel {
    /// Check the trees and lay them out for scoring (also how a forest
    /// grown elsewhere, e.g. scikit-learn's, is brought in).
    pub fn new(
        n_features: usize,
        max_samples: usize,
        trees: Vec<TreeArrays>,
    ) -> Result<Self, String> {
        if trees.is_empty() {
            return Err("the forest has no trees".into());
        }
        if max_samples == 0 {
            return Err("max_samples must be at least 1".into());
        }
        let compiled = trees
            .iter()
            .enumerate()
            .map(|(i, t)| compile_tree(t, n_features).map_err(|e| format!("tree {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            n_features,
            max_samples,
            trees,
            compiled,
        })
    }

    /// Number of columns the forest was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The subsample size ψ each tree was grown on.
    pub fn max_samples(&self) -> usize {
        self.max_samples
    }

    /// The trees, as saved.
    pub fn trees(&self) -> &[TreeArrays] {
        &self.trees
    }

    /// The walk of `row` (one value per fitted column) through every tree,
    /// in tree order: what path-based scores need beyond the path length
    /// (DIF's deviation-enhanced score). Panics if `row` is shorter than
    /// [`Self::n_features`].
    pub fn paths<'a>(&'a self, row: &'a [f64]) -> impl Iterator<Item = TreePath> + 'a {
        assert!(
            row.len() >= self.n_features,
            "a row of {} values for a forest of {} columns",
            row.len(),
            self.n_features
        );
        self.compiled.iter().map(move |t| walk_path(t, row))
    }

    /// The forest as the flat arrays the GPU kernel reads (see
    /// [`FlatForest`]); `None` when it exceeds the kernel's `int` indices.
    pub fn flatten(&self) -> Option<FlatForest> {
        FlatForest::from_compiled(&self.compiled, self.n_features)
    }

    /// Scores from per-row path-length totals (the sum over the trees in
    /// tree order, as [`FlatForest::path_total`] or the GPU forms them),
    /// finished exactly as [`Model::score_samples`] finishes its own.
    pub fn scores_from_totals(&self, totals: &[f64]) -> Array1<f64> {
        let denominator = self.compiled.len() as f64 * average_path_length(self.max_samples);
        totals
            .iter()
            .map(|&t| score_from_total(t, denominator))
            .collect()
    }

    /// The GPU's path-length totals of the `n` rows of the row-major `data`
    /// (`crate::gpu::iforest`), or why it does not run them.
    #[cfg(feature = "cuda")]
    fn gpu_path_totals(
        &self,
        gpu: &crate::gpu::Gpu,
        data: &[f64],
        n: usize,
    ) -> Result<Vec<f64>, crate::gpu::GpuError> {
        crate::gpu::iforest::check_size(n, self.compiled.len())?;
        let flat = self.flatten().ok_or_else(|| {
            crate::gpu::GpuError::NotApplicable("the forest exceeds the kernel's indices".into())
        })?;
        crate::gpu::iforest::path_totals(gpu, &flat.gpu_forest(), data, n)
    }
}

impl Model for IsolationForestModel {
    /// `2^(-E[h(x)] / c(ψ))`, scikit-learn's `-score_samples`. Each row's
    /// path lengths are summed in tree order, so the result does not depend
    /// on how rows are spread over threads. With ψ = 1 (c(ψ) = 0) every
    /// score is 0.5, as in scikit-learn. Input with a column count other
    /// than the fitted one (which [`crate::detectors::FittedDetector`]
    /// rejects before calling) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let n = x.nrows();
        let d = self.n_features;
        if x.ncols() != d {
            return Array1::from_elem(n, f64::NAN);
        }
        let x = x.as_standard_layout();
        let copied;
        let data: &[f64] = match x.as_slice() {
            Some(s) => s,
            None => {
                copied = x.iter().copied().collect::<Vec<f64>>();
                &copied
            }
        };
        let denominator = self.compiled.len() as f64 * average_path_length(self.max_samples);
        #[cfg(feature = "cuda")]
        if let Some(gpu) = crate::gpu::active() {
            match self.gpu_path_totals(&gpu, data, n) {
                Ok(totals) => return self.scores_from_totals(&totals),
                Err(e) => crate::gpu::gpu_failed_notice("iforest", &e),
            }
        }
        let mut out = vec![0.0f64; n];
        out.par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .for_each(|(b, block)| {
                let first = b * BLOCK_ROWS;
                let rows = &data[first * d..(first + block.len()) * d];
                let mut at = [0usize; BLOCK_ROWS];
                let at = &mut at[..block.len()];
                for tree in &self.compiled {
                    at.fill(0);
                    for _ in 0..tree.depth {
                        for (r, i) in at.iter_mut().enumerate() {
                            *i = step(&tree.nodes, *i, rows, r * d);
                        }
                    }
                    // Per row, path lengths are added in tree order.
                    for (acc, &i) in block.iter_mut().zip(at.iter()) {
                        *acc += tree.nodes[i].value;
                    }
                }
                for acc in block.iter_mut() {
                    *acc = score_from_total(*acc, denominator);
                }
            });
        Array1::from_vec(out)
    }

    /// DIFFI local importances (see [`super::diffi`]).
    fn explain_row(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        Some(self.explain_diffi(row))
    }
}

/// `2^(-total / (T c(ψ)))`, or 0.5 when the denominator is 0 (scikit-learn).
#[inline]
fn score_from_total(total: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        (-(total / denominator)).exp2()
    } else {
        0.5
    }
}

#[cfg(test)]
impl IsolationForestModel {
    /// Sum of the path lengths of `row` over the trees, in tree order.
    fn total_path_length(&self, row: &[f64]) -> f64 {
        let mut total = 0.0;
        for tree in &self.compiled {
            total += super::tree::path_length(tree, row);
        }
        total
    }

    /// Scores row by row, each walk stopping at its leaf; the reference the
    /// blocked fixed-length walks are tested against.
    pub(super) fn score_rowwise(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let denominator = self.trees.len() as f64 * average_path_length(self.max_samples);
        x.rows()
            .into_iter()
            .map(|row| {
                let row = row.to_vec();
                score_from_total(self.total_path_length(&row), denominator)
            })
            .collect()
    }
}
