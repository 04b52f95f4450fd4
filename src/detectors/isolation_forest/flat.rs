//! The fitted forest as flat arrays: what the GPU kernel
//! (`kernels/iforest_score.cu`, launched by [`crate::gpu::iforest`]) reads,
//! plus a CPU walk over the same arrays, step for step the kernel's, so that
//! the CPU tests check the very layout the GPU is given.
//!
//! Every tree's nodes are concatenated in tree order, each tree keeping the
//! CPU's own node numbering (pre-order: the left child of an internal node
//! `i` is `i + 1`):
//! * `value[k]`: an internal node's split threshold; a leaf's path length
//!   `depth + c(n_samples)`, copied from the CPU's compiled tree (computed
//!   there by [`super::average_path_length`]), so no other code evaluates it;
//! * `link[2k], link[2k + 1]`: an internal node's split column and right
//!   child (relative to its tree); `-1, -1` for a leaf;
//! * `tree_start`: the first node of each tree, then the node count;
//! * `tree_depth`: each tree's deepest leaf (the CPU's fixed walk length), a
//!   bound on a walk's steps.

use super::tree::CompiledTree;

/// A forest laid out for the GPU (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct FlatForest {
    pub value: Vec<f64>,
    pub link: Vec<i32>,
    pub tree_start: Vec<i32>,
    pub tree_depth: Vec<i32>,
    pub n_features: usize,
}

impl FlatForest {
    /// Flatten compiled trees; `None` when a count does not fit the
    /// kernel's `int` indices (more than `i32::MAX` nodes in all, a column
    /// index or depth above it) or a tree is not in the pre-order layout
    /// [`super::tree::compile_tree`] produces.
    pub(super) fn from_compiled(trees: &[CompiledTree], n_features: usize) -> Option<FlatForest> {
        let n_nodes: usize = trees.iter().map(|t| t.nodes.len()).sum();
        if n_nodes > i32::MAX as usize || n_features > i32::MAX as usize {
            return None;
        }
        let mut flat = FlatForest {
            value: Vec::with_capacity(n_nodes),
            link: Vec::with_capacity(2 * n_nodes),
            tree_start: Vec::with_capacity(trees.len() + 1),
            tree_depth: Vec::with_capacity(trees.len()),
            n_features,
        };
        for tree in trees {
            flat.tree_start.push(flat.value.len() as i32);
            flat.tree_depth.push(i32::try_from(tree.depth).ok()?);
            for (i, node) in tree.nodes.iter().enumerate() {
                flat.value.push(node.value);
                let [left, right] = node.children.map(|c| c as usize);
                if left == i {
                    // A leaf (its own children on the CPU).
                    flat.link.extend([-1, -1]);
                } else if left == i + 1 && right > i + 1 && right < tree.nodes.len() {
                    flat.link
                        .extend([i32::try_from(node.feature).ok()?, right as i32]);
                } else {
                    return None;
                }
            }
        }
        flat.tree_start.push(flat.value.len() as i32);
        Some(flat)
    }

    pub fn n_trees(&self) -> usize {
        self.tree_depth.len()
    }

    pub fn n_nodes(&self) -> usize {
        self.value.len()
    }

    /// The sum of `row`'s path lengths over the trees, in tree order from
    /// +0.0: the kernel's loop for one thread, on the CPU. Equal, bit for
    /// bit, to the total the CPU scorer forms (tested on real data).
    pub fn path_total(&self, row: &[f64]) -> f64 {
        let mut total = 0.0;
        for t in 0..self.n_trees() {
            let start = self.tree_start[t] as usize;
            let value = &self.value[start..];
            let link = &self.link[2 * start..];
            let mut i = 0usize;
            for _ in 0..self.tree_depth[t] {
                let feature = link[2 * i];
                if feature < 0 {
                    break;
                }
                i = if row[feature as usize] > value[i] {
                    link[2 * i + 1] as usize
                } else {
                    i + 1
                };
            }
            total += value[i];
        }
        total
    }

    /// The arrays as the GPU launcher takes them.
    #[cfg(feature = "cuda")]
    pub fn gpu_forest(&self) -> crate::gpu::iforest::Forest<'_> {
        crate::gpu::iforest::Forest {
            value: &self.value,
            link: &self.link,
            tree_start: &self.tree_start,
            tree_depth: &self.tree_depth,
            n_features: self.n_features,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{IsolationForestModel, IsolationForestParams, TreeArrays};
    use crate::detectors::test_support::bits;
    use crate::detectors::{DetectorParams, Model};
    use ndarray::Array2;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use serde_json::json;

    /// `n × d` data with heavy ties (values on a coarse grid) and spread,
    /// so that rows land exactly on thresholds and in every kind of leaf.
    fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_simple_fn((n, d), || {
            let u: f64 = rng.random();
            if u < 0.3 {
                (rng.random_range(0..8) as f64) * 0.5
            } else {
                (u - 0.5) * 40.0
            }
        })
    }

    fn check_equal_to_cpu(model: &IsolationForestModel, x: &Array2<f64>) {
        let flat = model.flatten().expect("fits");
        assert_eq!(flat.n_trees(), model.trees().len());
        let totals: Vec<f64> = x
            .rows()
            .into_iter()
            .map(|r| flat.path_total(r.as_slice().unwrap()))
            .collect();
        // The totals the CPU forms: path lengths in tree order from +0.0.
        let cpu: Vec<f64> = x
            .rows()
            .into_iter()
            .map(|r| {
                let row = r.to_vec();
                model.paths(&row).fold(0.0, |acc, p| acc + p.length)
            })
            .collect();
        assert_eq!(
            totals.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            cpu.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        // And the scores the CPU scorer gives, finished from those totals.
        let scores = model.scores_from_totals(&totals);
        assert_eq!(bits(&scores), bits(&model.score_samples(x.view())));
    }

    #[test]
    fn the_flat_walk_gives_the_cpu_totals_and_scores() {
        let x = data(600, 5, 1);
        let test = data(257, 5, 2);
        for p in [
            json!({"seed": 3}),
            json!({"seed": 4, "n_estimators": 37, "bootstrap": true, "max_features": 0.4}),
            // ψ = n: deeper trees (depth limit 10, up to 1199 nodes).
            json!({"seed": 5, "n_estimators": 5, "max_samples": 600}),
            json!({"seed": 6, "max_samples": 1}),
        ] {
            let p: IsolationForestParams = serde_json::from_value(p).unwrap();
            let fit = p.fit(x.view()).unwrap();
            check_equal_to_cpu(&fit.model, &x);
            check_equal_to_cpu(&fit.model, &test);
        }
    }

    #[test]
    fn layout_of_a_small_tree() {
        // Root splits column 1 at 0.5; its right child splits column 0 at
        // 2.0 into leaves of 1 and 3 rows. A second tree is a single leaf.
        let t = TreeArrays {
            feature: vec![1, 0, 0, 0, 0],
            threshold: vec![0.5, 0.0, 2.0, 0.0, 0.0],
            right: vec![2, 0, 4, 0, 0],
            n_samples: vec![5, 1, 4, 1, 3],
        };
        let leaf = TreeArrays {
            feature: vec![0],
            threshold: vec![0.0],
            right: vec![0],
            n_samples: vec![4],
        };
        let model = IsolationForestModel::new(2, 5, vec![t, leaf]).unwrap();
        let flat = model.flatten().unwrap();
        let c = super::super::average_path_length;
        assert_eq!(flat.tree_start, vec![0, 5, 6]);
        assert_eq!(flat.tree_depth, vec![2, 0]);
        assert_eq!(flat.value, vec![0.5, 1.0, 2.0, 2.0, 2.0 + c(3), c(4)]);
        assert_eq!(flat.link, vec![1, 2, -1, -1, 0, 4, -1, -1, -1, -1, -1, -1]);
        // Left on equality, right above; NaN goes left as on the CPU.
        assert_eq!(flat.path_total(&[0.0, 0.5]), 1.0 + c(4));
        assert_eq!(flat.path_total(&[2.0, 0.75]), 2.0 + c(4));
        assert_eq!(flat.path_total(&[2.5, 0.75]), 2.0 + c(3) + c(4));
        assert_eq!(flat.path_total(&[f64::NAN, f64::NAN]), 1.0 + c(4));
        let row = [f64::NAN, 1.0];
        let cpu: f64 = model.paths(&row).fold(0.0, |a, p| a + p.length);
        assert_eq!(flat.path_total(&row), cpu);
    }
}
