//! One isolation tree: its saved form (flat arrays), how it is grown, and the
//! compact node layout used for scoring.

use super::average_path_length;
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// An isolation tree as flat arrays over its nodes in pre-order: node 0 is
/// the root and the left child of an internal node `i` is node `i + 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeArrays {
    /// Split column of an internal node (an index into the training
    /// columns); 0 for a leaf.
    pub feature: Vec<u32>,
    /// Split value of an internal node: `x[feature] <= threshold` goes left.
    /// 0 for a leaf.
    pub threshold: Vec<f64>,
    /// Right child of an internal node; 0 marks a leaf.
    pub right: Vec<u32>,
    /// Training rows that reached the node (distinct rows of the tree's
    /// subsample, scikit-learn's `n_node_samples`).
    pub n_samples: Vec<u32>,
}

/// What every tree of a forest shares.
#[derive(Debug, Clone, Copy)]
pub(super) struct TreeConfig {
    /// Rows drawn per tree (ψ).
    pub psi: usize,
    /// `ceil(log2(max(ψ, 2)))`.
    pub max_depth: usize,
    /// Columns each tree may split on (`max(1, floor(max_features * d))`,
    /// at most d).
    pub n_tree_features: usize,
    pub bootstrap: bool,
}

/// `ceil(log2(max(psi, 2)))` in integer arithmetic.
pub(super) fn max_depth_for(psi: usize) -> usize {
    (usize::BITS - (psi.max(2) - 1).leading_zeros()) as usize
}

/// A uniform split value in `[lo, hi)` from `u` in `[0, 1)`, for `lo < hi`.
/// As scikit-learn, a draw that rounds up to `hi` becomes `lo`, so both sides
/// of the split are non-empty.
fn split_value(lo: f64, hi: f64, u: f64) -> f64 {
    let span = hi - lo;
    let t = if span.is_finite() {
        lo + u * span
    } else {
        // The span overflows only for values near ±f64::MAX.
        lo * (1.0 - u) + hi * u
    };
    if t >= lo && t < hi { t } else { lo }
}

/// A pending node of the depth-first growth.
struct Task {
    start: usize,
    end: usize,
    depth: usize,
    /// The node whose right child this is (left children are implicit).
    parent: Option<usize>,
}

/// A tree's first draws from its own RNG: its columns (only when it uses
/// fewer than `d`), then its rows (the in-bag rows; with `bootstrap` a
/// repeated row counts once). Returns the RNG to continue with.
pub(super) fn draw_sample(
    n: usize,
    d: usize,
    cfg: &TreeConfig,
    seed: u64,
) -> (ChaCha8Rng, Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let k = cfg.n_tree_features.min(d);
    let columns: Vec<usize> = if k < d {
        index::sample(&mut rng, d, k).into_vec()
    } else {
        (0..d).collect()
    };
    let rows: Vec<usize> = if cfg.bootstrap {
        // Drawn with replacement; a repeated row counts once, as in
        // scikit-learn (which passes the draw counts as sample weights).
        let mut r: Vec<usize> = (0..cfg.psi).map(|_| rng.random_range(0..n)).collect();
        r.sort_unstable();
        r.dedup();
        r
    } else if cfg.psi >= n {
        (0..n).collect()
    } else {
        index::sample(&mut rng, n, cfg.psi).into_vec()
    };
    (rng, columns, rows)
}

/// Grow one tree on the row-major `n × d` matrix `x` with its own RNG.
///
/// The random draws, in order: the tree's columns (only when it uses fewer
/// than `d`), its rows, then per node the split column (uniform over the
/// columns not constant in the node) and the split value (uniform between
/// the column's minimum and maximum in the node). A node becomes a leaf when
/// it holds one row, reaches `max_depth`, or every column is constant in it.
pub(super) fn grow_tree(x: &[f64], n: usize, d: usize, cfg: &TreeConfig, seed: u64) -> TreeArrays {
    let (rng, columns, rows) = draw_sample(n, d, cfg, seed);
    let k = columns.len();

    // The subsample restricted to the tree's columns, column-major, so that
    // a node's scan of one column stays in one short contiguous block.
    let m = rows.len();
    let mut values = vec![0.0; m * k];
    for (i, &r) in rows.iter().enumerate() {
        let row = &x[r * d..(r + 1) * d];
        for (j, &c) in columns.iter().enumerate() {
            values[j * m + i] = row[c];
        }
    }

    let mut grower = Grower {
        values,
        m,
        order: (0..m).collect(),
        candidates: Vec::with_capacity(k),
        rng,
    };
    let capacity = (2 * m).saturating_sub(1);
    let mut tree = TreeArrays {
        feature: Vec::with_capacity(capacity),
        threshold: Vec::with_capacity(capacity),
        right: Vec::with_capacity(capacity),
        n_samples: Vec::with_capacity(capacity),
    };
    let mut stack = vec![Task {
        start: 0,
        end: m,
        depth: 0,
        parent: None,
    }];
    while let Some(task) = stack.pop() {
        let node = tree.feature.len();
        if let Some(p) = task.parent {
            tree.right[p] = node as u32;
        }
        let size = task.end - task.start;
        tree.n_samples.push(size as u32);
        let split = if size > 1 && task.depth < cfg.max_depth {
            grower.choose_split(task.start, task.end, k)
        } else {
            None
        };
        match split {
            None => {
                tree.feature.push(0);
                tree.threshold.push(0.0);
                tree.right.push(0);
            }
            Some((j, t)) => {
                let mid = grower.partition(task.start, task.end, j, t);
                tree.feature.push(columns[j] as u32);
                tree.threshold.push(t);
                tree.right.push(0); // set when the right child is made
                stack.push(Task {
                    start: mid,
                    end: task.end,
                    depth: task.depth + 1,
                    parent: Some(node),
                });
                stack.push(Task {
                    start: task.start,
                    end: mid,
                    depth: task.depth + 1,
                    parent: None,
                });
            }
        }
    }
    tree
}

/// Scratch state of one tree's growth.
struct Grower {
    /// Column-major subsample: column `j` is `values[j * m..(j + 1) * m]`.
    values: Vec<f64>,
    m: usize,
    /// Subsample rows, permuted so that every node owns a contiguous range.
    order: Vec<usize>,
    candidates: Vec<usize>,
    rng: ChaCha8Rng,
}

impl Grower {
    fn column(&self, j: usize) -> &[f64] {
        &self.values[j * self.m..(j + 1) * self.m]
    }

    /// Draw a column uniformly among those not constant on the node's rows
    /// (rejection: a constant column is dropped and another drawn) and a
    /// split value; `None` when every column is constant.
    fn choose_split(&mut self, start: usize, end: usize, k: usize) -> Option<(usize, f64)> {
        self.candidates.clear();
        self.candidates.extend(0..k);
        let mut live = k;
        while live > 0 {
            let pick = self.rng.random_range(0..live);
            let j = self.candidates[pick];
            let col = self.column(j);
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &r in &self.order[start..end] {
                let v = col[r];
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if hi > lo {
                let u: f64 = self.rng.random();
                return Some((j, split_value(lo, hi, u)));
            }
            live -= 1;
            self.candidates.swap(pick, live);
        }
        None
    }

    /// Reorder the node's rows so that those with `column[j] <= t` come
    /// first; returns the index of the first row of the right part.
    fn partition(&mut self, start: usize, end: usize, j: usize, t: f64) -> usize {
        let col = &self.values[j * self.m..(j + 1) * self.m];
        let rows = &mut self.order[start..end];
        let mut left = 0;
        for i in 0..rows.len() {
            if col[rows[i]] <= t {
                rows.swap(left, i);
                left += 1;
            }
        }
        start + left
    }
}

/// The scoring layout of a node (24 bytes): the split column, the split
/// value and both children. A leaf is its own left and right child, so a walk
/// of fixed length ([`CompiledTree::depth`] steps) ends on the row's leaf
/// without a data-dependent branch; its `value` is the path length
/// `depth + c(n_samples)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Node {
    /// Split value of an internal node; path length of a leaf.
    pub value: f64,
    /// Split column (0 for a leaf, whose children are itself).
    pub feature: u32,
    /// `[left, right]`; `x[feature] <= value` goes left.
    pub children: [u32; 2],
}

/// A tree laid out for scoring.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CompiledTree {
    pub nodes: Vec<Node>,
    /// Depth of the deepest leaf: the number of steps of a walk.
    pub depth: usize,
}

/// Check the arrays of one tree and lay it out for scoring. Rejects
/// anything that could make scoring index out of bounds or walk a cycle:
/// every child index must exceed its parent's and stay inside the tree, and
/// every node but the root must have exactly one parent.
pub(super) fn compile_tree(t: &TreeArrays, n_features: usize) -> Result<CompiledTree, String> {
    let len = t.feature.len();
    if len == 0 {
        return Err("a tree has no nodes".into());
    }
    if t.threshold.len() != len || t.right.len() != len || t.n_samples.len() != len {
        return Err("a tree's arrays differ in length".into());
    }
    if len > u32::MAX as usize {
        return Err("a tree has too many nodes".into());
    }
    let mut parents = vec![0u8; len];
    let mut depth = vec![0usize; len];
    let mut nodes = Vec::with_capacity(len);
    let mut max_depth = 0;
    for i in 0..len {
        let r = t.right[i] as usize;
        if r == 0 {
            if t.n_samples[i] == 0 {
                return Err(format!("leaf {i} holds no training rows"));
            }
            max_depth = max_depth.max(depth[i]);
            nodes.push(Node {
                value: depth[i] as f64 + average_path_length(t.n_samples[i] as usize),
                feature: 0,
                children: [i as u32; 2],
            });
            continue;
        }
        if r <= i + 1 || r >= len {
            return Err(format!("node {i} has an invalid right child {r}"));
        }
        let f = t.feature[i];
        if f as usize >= n_features {
            return Err(format!(
                "node {i} splits on column {f} of a model with {n_features} columns"
            ));
        }
        if !t.threshold[i].is_finite() {
            return Err(format!("node {i} has a non-finite threshold"));
        }
        for child in [i + 1, r] {
            parents[child] = parents[child].saturating_add(1);
            depth[child] = depth[i] + 1;
        }
        nodes.push(Node {
            value: t.threshold[i],
            feature: f,
            children: [(i + 1) as u32, r as u32],
        });
    }
    if let Some(j) = (1..len).find(|&j| parents[j] != 1) {
        return Err(format!("node {j} has {} parents", parents[j]));
    }
    Ok(CompiledTree {
        nodes,
        depth: max_depth,
    })
}

/// One step of a walk: the child of node `i` that the row starting at
/// `data[base]` goes to.
#[inline(always)]
pub(super) fn step(nodes: &[Node], i: usize, data: &[f64], base: usize) -> usize {
    let node = &nodes[i];
    let right = data[base + node.feature as usize] > node.value;
    node.children[usize::from(right)] as usize
}

/// What a row's walk through one tree passes, for scores built on the path
/// rather than on its length alone (DIF's deviation-enhanced score).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreePath {
    /// Edges from the root to the row's leaf (0 when the root is a leaf).
    pub edges: usize,
    /// `edges + c(leaf size)`: the path length h(x) of the iForest score.
    pub length: f64,
    /// `Σ |x[feature] − threshold|` over the internal nodes on the path, in
    /// path order.
    pub deviation_sum: f64,
    /// How many of those terms are non-zero.
    pub deviation_terms: usize,
}

/// Walk `row` from the root to its leaf, node by node (the same steps as
/// [`step`]), adding up the split deviations on the way.
pub(super) fn walk_path(tree: &CompiledTree, row: &[f64]) -> TreePath {
    let (mut i, mut edges, mut deviation_sum, mut deviation_terms) = (0, 0, 0.0, 0);
    loop {
        let node = &tree.nodes[i];
        if node.children[0] as usize == i {
            return TreePath {
                edges,
                length: node.value,
                deviation_sum,
                deviation_terms,
            };
        }
        let deviation = (row[node.feature as usize] - node.value).abs();
        if deviation != 0.0 {
            deviation_sum += deviation;
            deviation_terms += 1;
        }
        i = step(&tree.nodes, i, row, 0);
        edges += 1;
    }
}

/// Path length `depth + c(leaf size)` of `row`, walking node by node until a
/// leaf (the plain algorithm, which the fixed-length walks are checked
/// against).
#[cfg(test)]
pub(super) fn path_length(tree: &CompiledTree, row: &[f64]) -> f64 {
    let mut i = 0;
    loop {
        let next = step(&tree.nodes, i, row, 0);
        if next == i {
            return tree.nodes[i].value;
        }
        i = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(psi: usize, k: usize) -> TreeConfig {
        TreeConfig {
            psi,
            max_depth: max_depth_for(psi),
            n_tree_features: k,
            bootstrap: false,
        }
    }

    #[test]
    fn max_depth_is_ceil_log2() {
        let cases = [
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (255, 8),
            (256, 8),
            (257, 9),
        ];
        for (psi, depth) in cases {
            assert_eq!(max_depth_for(psi), depth, "psi={psi}");
        }
    }

    #[test]
    fn split_value_stays_in_half_open_range() {
        assert_eq!(split_value(1.0, 2.0, 0.0), 1.0);
        assert_eq!(split_value(1.0, 2.0, 0.5), 1.5);
        // A draw that rounds to the maximum falls back to the minimum.
        let next = f64::from_bits(1.0f64.to_bits() + 1);
        assert_eq!(split_value(1.0, next, 0.9999999999999999), 1.0);
        let t = split_value(-f64::MAX, f64::MAX, 0.25);
        assert!(t.is_finite() && t < f64::MAX);
    }

    #[test]
    fn grown_tree_is_valid_and_isolates_distinct_rows() {
        // 8 distinct rows, ψ = 8, depth limit 3: every row ends in its own
        // leaf or a leaf at depth 3.
        let x: Vec<f64> = (0..16).map(|v| ((v * 7) % 11) as f64).collect();
        let tree = grow_tree(&x, 8, 2, &config(8, 2), 3);
        let nodes = compile_tree(&tree, 2).unwrap();
        assert_eq!(tree.n_samples[0], 8);
        assert!(nodes.depth <= 3);
        let leaves: u32 = (0..nodes.nodes.len())
            .filter(|&i| tree.right[i] == 0)
            .map(|i| tree.n_samples[i])
            .sum();
        assert_eq!(leaves, 8);
        for r in 0..8 {
            let h = path_length(&nodes, &x[r * 2..r * 2 + 2]);
            assert!((1.0..=3.0 + average_path_length(8)).contains(&h));
        }
    }

    #[test]
    fn walk_path_reports_edges_length_and_deviations() {
        // Root splits column 1 at 0.5; its right child splits column 0 at
        // 2.0 into leaves of 1 and 3 rows.
        let t = TreeArrays {
            feature: vec![1, 0, 0, 0, 0],
            threshold: vec![0.5, 0.0, 2.0, 0.0, 0.0],
            right: vec![2, 0, 4, 0, 0],
            n_samples: vec![5, 1, 4, 1, 3],
        };
        let tree = compile_tree(&t, 2).unwrap();
        let p = walk_path(&tree, &[0.0, 0.25]);
        assert_eq!(p.edges, 1);
        assert_eq!(p.length, 1.0);
        assert_eq!((p.deviation_sum, p.deviation_terms), (0.25, 1));
        let p = walk_path(&tree, &[3.5, 1.0]);
        assert_eq!(p.edges, 2);
        assert_eq!(p.length, 2.0 + average_path_length(3));
        assert_eq!((p.deviation_sum, p.deviation_terms), (0.5 + 1.5, 2));
        // A value equal to the threshold goes left and drops out of the
        // deviation terms.
        let p = walk_path(&tree, &[2.0, 1.0]);
        assert_eq!((p.edges, p.length), (2, 2.0));
        assert_eq!((p.deviation_sum, p.deviation_terms), (0.5, 1));
        assert_eq!(p.length, path_length(&tree, &[2.0, 1.0]));
        // A single leaf: no edges, no deviations.
        let leaf = TreeArrays {
            feature: vec![0],
            threshold: vec![0.0],
            right: vec![0],
            n_samples: vec![4],
        };
        let p = walk_path(&compile_tree(&leaf, 2).unwrap(), &[1.0, 1.0]);
        assert_eq!(p.edges, 0);
        assert_eq!(p.length, average_path_length(4));
        assert_eq!((p.deviation_sum, p.deviation_terms), (0.0, 0));
    }

    #[test]
    fn constant_rows_make_a_single_leaf() {
        let x = vec![2.5; 30];
        let tree = grow_tree(&x, 10, 3, &config(10, 3), 0);
        assert_eq!(tree.right, vec![0]);
        assert_eq!(tree.n_samples, vec![10]);
    }

    #[test]
    fn compile_rejects_broken_trees() {
        let ok = TreeArrays {
            feature: vec![1, 0, 0],
            threshold: vec![0.5, 0.0, 0.0],
            right: vec![2, 0, 0],
            n_samples: vec![3, 1, 2],
        };
        let nodes = compile_tree(&ok, 2).unwrap();
        assert_eq!(nodes.depth, 1);
        assert_eq!(nodes.nodes[2].children, [2, 2]);
        assert_eq!(path_length(&nodes, &[0.0, 0.0]), 1.0);
        assert_eq!(path_length(&nodes, &[0.0, 1.0]), 2.0);
        let broken = |f: &dyn Fn(&mut TreeArrays)| {
            let mut t = ok.clone();
            f(&mut t);
            compile_tree(&t, 2).unwrap_err()
        };
        broken(&|t| t.right[0] = 1); // points at the left child
        broken(&|t| t.right[0] = 7); // out of range
        broken(&|t| t.feature[0] = 2); // column out of range
        broken(&|t| t.threshold[0] = f64::NAN);
        broken(&|t| t.n_samples[1] = 0);
        broken(&|t| {
            t.n_samples.pop();
        });
        broken(&|t| {
            // node 2 gets no parent
            t.feature = vec![0, 0, 0, 0];
            t.threshold = vec![0.0; 4];
            t.right = vec![3, 0, 0, 0];
            t.n_samples = vec![2, 1, 1, 1];
        });
        assert!(
            compile_tree(
                &TreeArrays {
                    feature: vec![],
                    threshold: vec![],
                    right: vec![],
                    n_samples: vec![]
                },
                2
            )
            .is_err()
        );
    }
}
