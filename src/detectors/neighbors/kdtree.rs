//! A KD-tree for the exact k-nearest-neighbour search in few dimensions.
//!
//! It exists because the blocked GEMM search costs O(n_query × n_train)
//! whatever the data: on ADBench's `donors` (371k × 10 train rows) that is
//! 1.4 × 10¹¹ distance cells per query pass. In few dimensions a tree
//! visits a few leaves per query instead.
//!
//! It returns exactly what the brute-force search returns, bit for bit:
//! distances are the direct-difference sums `Σ_f (q_f − x_f)²` in feature
//! order (computed on the same values, so the same bits), and the k kept
//! are the smallest by (distance, training index). Pruning never drops a
//! candidate of that order: a node is skipped only when its bounding box's
//! squared distance (a sum of per-feature gaps, each ≤ the matching term of
//! any point inside under IEEE rounding, which is monotone) exceeds the
//! current k-th distance, or equals it and the node holds no index below
//! the current k-th index.
//!
//! **Build.** Rows are split at the median (by value, then index: a total
//! order, so the tree is the same on every run) of the feature with the
//! widest spread, down to leaves of at most [`LEAF_SIZE`] rows stored
//! contiguously in tree order.

use crate::detectors::distance::sq_dists_to_rows;
use ndarray::ArrayView2;

/// Rows per leaf (scikit-learn's default `leaf_size` is 40).
pub(super) const LEAF_SIZE: usize = 64;

/// The largest leaf (splits always halve, so no leaf exceeds LEAF_SIZE).
const MAX_LEAF: usize = LEAF_SIZE;

/// No child (a leaf).
const NONE: usize = usize::MAX;

struct Node {
    /// Rows `start..end` in tree order.
    start: usize,
    end: usize,
    left: usize,
    right: usize,
    /// Lowest original index among the node's rows (for exact tie pruning).
    min_index: usize,
}

pub(super) struct KdTree {
    d: usize,
    /// The training rows in tree order, row-major.
    points: Vec<f64>,
    /// Tree position → original training index.
    order: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node, `d` lower then `d` upper bounds.
    bounds: Vec<f64>,
}

impl KdTree {
    /// Build over `train` (n × d, any layout).
    pub(super) fn build(train: ArrayView2<'_, f64>) -> Self {
        let (n, d) = train.dim();
        let mut order: Vec<usize> = (0..n).collect();
        let mut tree = KdTree {
            d,
            points: Vec::new(),
            order: Vec::new(),
            nodes: Vec::with_capacity(2 * n / LEAF_SIZE + 2),
            bounds: Vec::new(),
        };
        tree.split(train, &mut order, 0);
        tree.points = Vec::with_capacity(n * d);
        for &i in &order {
            tree.points.extend(train.row(i).iter());
        }
        tree.order = order;
        tree
    }

    /// Add the node for `idx` (rows `offset..offset + idx.len()` in tree
    /// order) and its subtree; returns its id.
    fn split(&mut self, train: ArrayView2<'_, f64>, idx: &mut [usize], offset: usize) -> usize {
        let d = self.d;
        let id = self.nodes.len();
        let mut lo = vec![f64::INFINITY; d];
        let mut hi = vec![f64::NEG_INFINITY; d];
        for &i in idx.iter() {
            for (f, &v) in train.row(i).iter().enumerate() {
                lo[f] = lo[f].min(v);
                hi[f] = hi[f].max(v);
            }
        }
        self.bounds.extend_from_slice(&lo);
        self.bounds.extend_from_slice(&hi);
        self.nodes.push(Node {
            start: offset,
            end: offset + idx.len(),
            left: NONE,
            right: NONE,
            min_index: idx.iter().copied().min().unwrap_or(NONE),
        });
        if idx.len() <= LEAF_SIZE {
            return id;
        }
        // The widest feature. With no spread (identical rows) the split
        // still halves the rows, by index, so no leaf exceeds LEAF_SIZE.
        let dim = (0..d)
            .map(|f| (f, hi[f] - lo[f]))
            .fold(
                (0, f64::NEG_INFINITY),
                |best, c| if c.1 > best.1 { c } else { best },
            )
            .0;
        let mid = idx.len() / 2;
        idx.select_nth_unstable_by(mid, |&a, &b| {
            train[[a, dim]].total_cmp(&train[[b, dim]]).then(a.cmp(&b))
        });
        let (left_idx, right_idx) = idx.split_at_mut(mid);
        let left = self.split(train, left_idx, offset);
        let right = self.split(train, right_idx, offset + mid);
        self.nodes[id].left = left;
        self.nodes[id].right = right;
        id
    }

    /// Tree position → original training index.
    pub(super) fn order(&self) -> &[usize] {
        &self.order
    }

    /// The leaf `q` falls in (descending to the nearer child), for ordering
    /// queries so that consecutive ones visit the same leaves.
    pub(super) fn leaf_of(&self, q: &[f64]) -> usize {
        let mut id = 0;
        while let Some(node) = self.nodes.get(id) {
            if node.left == NONE {
                break;
            }
            id = if self.box_distance(node.left, q) <= self.box_distance(node.right, q) {
                node.left
            } else {
                node.right
            };
        }
        id
    }

    /// Squared distance from `q` to node `id`'s bounding box, summed in
    /// feature order.
    #[inline]
    fn box_distance(&self, id: usize, q: &[f64]) -> f64 {
        let b = &self.bounds[2 * self.d * id..2 * self.d * (id + 1)];
        let (lo, hi) = b.split_at(self.d);
        let mut acc = 0.0;
        for ((&v, &l), &h) in q.iter().zip(lo).zip(hi) {
            let gap = if v < l {
                l - v
            } else if v > h {
                v - h
            } else {
                0.0
            };
            acc += gap * gap;
        }
        acc
    }

    /// The k nearest rows to `q` (never `skip`, an original index), into
    /// `best`, sorted by (squared distance, original index).
    pub(super) fn query(&self, q: &[f64], skip: usize, best: &mut OrderedTopK) {
        best.clear();
        let root_dist = self.box_distance(0, q);
        let mut scratch = [0.0f64; MAX_LEAF];
        self.visit(0, root_dist, q, skip, best, &mut scratch);
    }

    fn visit(
        &self,
        id: usize,
        dist: f64,
        q: &[f64],
        skip: usize,
        best: &mut OrderedTopK,
        scratch: &mut [f64; MAX_LEAF],
    ) {
        let node = &self.nodes[id];
        if !best.may_admit(dist, node.min_index) {
            return;
        }
        if node.left == NONE {
            let d = self.d;
            let leaf = &self.points[node.start * d..node.end * d];
            let order = &self.order[node.start..node.end];
            // Eight rows at a time, each summed in feature order (the same
            // bits as one at a time; see `distance`).
            let dist = &mut scratch[..order.len()];
            sq_dists_to_rows(q, leaf, d, dist);
            for (&a, &j) in dist.iter().zip(order) {
                if j != skip {
                    best.offer(a, j);
                }
            }
            return;
        }
        let (l, r) = (node.left, node.right);
        let dl = self.box_distance(l, q);
        let dr = self.box_distance(r, q);
        if dl <= dr {
            self.visit(l, dl, q, skip, best, scratch);
            self.visit(r, dr, q, skip, best, scratch);
        } else {
            self.visit(r, dr, q, skip, best, scratch);
            self.visit(l, dl, q, skip, best, scratch);
        }
    }
}

/// The k smallest `(value, index)` pairs in lexicographic order, whatever
/// order they arrive in (a tree visits indices out of order).
pub(super) struct OrderedTopK {
    k: usize,
    items: Vec<(f64, usize)>,
}

impl OrderedTopK {
    pub(super) fn new(k: usize) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    fn clear(&mut self) {
        self.items.clear();
    }

    /// Whether a node at box distance `dist` whose lowest index is
    /// `min_index` may hold an entry.
    #[inline]
    fn may_admit(&self, dist: f64, min_index: usize) -> bool {
        if self.items.len() < self.k {
            return true;
        }
        match self.items.last() {
            Some(&(w, wi)) => dist < w || (dist == w && min_index < wi),
            None => true,
        }
    }

    #[inline]
    fn offer(&mut self, value: f64, index: usize) {
        let less = |a: (f64, usize), b: (f64, usize)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
        if self.items.len() == self.k {
            match self.items.last() {
                Some(&w) if less((value, index), w) => {
                    self.items.pop();
                }
                _ => return,
            }
        }
        let mut pos = self.items.len();
        while pos > 0 && less((value, index), self.items[pos - 1]) {
            pos -= 1;
        }
        self.items.insert(pos, (value, index));
    }

    pub(super) fn entries(&self) -> impl Iterator<Item = (f64, usize)> + '_ {
        self.items.iter().copied()
    }
}
