//! DIFFI, Depth-based Isolation Forest Feature Importance (Carletti, Terzi
//! & Susto 2023, "Interpretable anomaly detection with DIFFI", Engineering
//! Applications of Artificial Intelligence 119), as the authors' reference
//! implementation (github.com/mattiacarletti/DIFFI,
//! `interpretability_module.py`) computes it on a forest's trees.
//!
//! **Local** (`local_diffi`), for one row: in every tree, each internal node
//! on the row's path adds `1/h − 1/h_max` to its split feature's cumulative
//! importance and 1 to its count, where `h` is the depth (edges) of the
//! row's leaf and `h_max = ⌈log2 ψ⌉` the trees' depth limit; a feature's
//! importance is its cumulative importance over its count (0 when no path
//! node split on it). Shallow isolation on a feature makes it important.
//! Not additive: the values do not sum to the score.
//!
//! **Global** (`diffi_ib`, in-bag): every tree's own training rows are
//! split into the tree's predicted outliers (single-tree score
//! `2^(−h(x)/c(ψ))` above the forest's threshold) and inliers (below it);
//! trees where either group is empty are skipped. Per group, every internal
//! node gets an induced imbalance coefficient (IIC) from how the group's rows
//! divide at it (−1: fewer than two rows reached it; 0: all went one way;
//! otherwise the larger side's fraction, rescaled to [0.5, 1] between its
//! smallest and largest possible values for that node size), and each row of
//! the group adds `IIC / h` to the split feature of every node on its path
//! that has an IIC. The importance is the outliers' mean over the inliers'
//! (`0/0` is NaN and `x/0` infinite, as numpy gives them).

use super::tree::TreeArrays;
use super::{IsolationForestModel, IsolationForestParams, average_path_length};
use crate::detectors::input::{check_columns, check_finite};
use crate::detectors::{DetectorError, ExplainMethod, Explanation, FittedDetector, Model};
use ndarray::{ArrayView1, ArrayView2, Axis};

/// DIFFI global importances of a fitted `isolation_forest`, one per column,
/// on `x_train`, the rows it was fitted on: each tree's in-bag rows are
/// drawn again from the saved seed ([`IsolationForestParams::in_bag_rows`])
/// and checked against the node counts the tree stored, so other data is
/// refused rather than giving wrong importances. The threshold is the
/// fitted decision threshold.
pub fn global_importances(
    fitted: &FittedDetector,
    x_train: ArrayView2<'_, f64>,
) -> Result<Vec<f64>, DetectorError> {
    let refuse = |message: String| DetectorError::BadParams {
        detector: fitted.name().to_string(),
        message,
    };
    if fitted.name() != "isolation_forest" {
        return Err(refuse(
            "global DIFFI importances are defined for isolation_forest only".into(),
        ));
    }
    check_columns(x_train, fitted.n_features())?;
    check_finite(x_train)?;
    let saved = fitted.to_value()?;
    let model: IsolationForestModel = serde_json::from_value(saved["model"].clone())
        .map_err(|e| DetectorError::Corrupt(e.to_string()))?;
    let params: IsolationForestParams = serde_json::from_value(fitted.detector().params().clone())
        .map_err(|e| DetectorError::Corrupt(e.to_string()))?;
    let in_bag = params.in_bag_rows(x_train.nrows(), x_train.ncols());
    for (t, (tree, rows)) in model.trees().iter().zip(&in_bag).enumerate() {
        let mut reached = vec![0u32; tree.n_samples.len()];
        for &r in rows {
            for node in path(tree, x_train.row(r)) {
                reached[node] += 1;
            }
        }
        if reached != tree.n_samples {
            return Err(refuse(format!(
                "x_train is not the data the forest was fitted on (tree {t}'s in-bag rows do \
                 not reach its nodes as they did when it was grown)"
            )));
        }
    }
    model.diffi_global(x_train, &in_bag, fitted.decision_threshold())
}

/// The nodes of `row`'s path through `tree`, root first, leaf last.
fn path(tree: &TreeArrays, row: ArrayView1<'_, f64>) -> Vec<usize> {
    let mut nodes = vec![0];
    let mut i = 0;
    while tree.right[i] != 0 {
        i = if row[tree.feature[i] as usize] <= tree.threshold[i] {
            i + 1
        } else {
            tree.right[i] as usize
        };
        nodes.push(i);
    }
    nodes
}

/// `⌈log2 ψ⌉`, the reference's `int(np.ceil(np.log2(max_samples)))`.
fn depth_limit(psi: usize) -> f64 {
    (psi as f64).log2().ceil()
}

/// Cumulative importances over their counts, 0 where the count is 0.
fn mean_importance(cfi: &[f64], counter: &[u64]) -> Vec<f64> {
    cfi.iter()
        .zip(counter)
        .map(|(&c, &k)| if k > 0 { c / k as f64 } else { 0.0 })
        .collect()
}

impl IsolationForestModel {
    /// DIFFI local importances of `row` (one value per fitted column).
    pub fn diffi_local(&self, row: ArrayView1<'_, f64>) -> Vec<f64> {
        let d = self.n_features();
        let mut cfi = vec![0.0; d];
        let mut counter = vec![0u64; d];
        let h_max = depth_limit(self.max_samples());
        for tree in self.trees() {
            let nodes = path(tree, row);
            let leaf_depth = (nodes.len() - 1) as f64;
            for &node in &nodes[..nodes.len() - 1] {
                let f = tree.feature[node] as usize;
                cfi[f] += (1.0 / leaf_depth) - (1.0 / h_max);
                counter[f] += 1;
            }
        }
        mean_importance(&cfi, &counter)
    }

    /// DIFFI global (in-bag) importances: `x` holds the training rows,
    /// `in_bag[t]` the rows (indices into `x`) tree t was grown on, and
    /// `threshold` the forest's decision threshold on the anomaly score
    /// (scikit-learn's `-offset_`, anml's `decision_threshold`).
    pub fn diffi_global(
        &self,
        x: ArrayView2<'_, f64>,
        in_bag: &[Vec<usize>],
        threshold: f64,
    ) -> Result<Vec<f64>, DetectorError> {
        let d = self.n_features();
        if x.ncols() != d {
            return Err(DetectorError::WrongColumns {
                expected: d,
                got: x.ncols(),
            });
        }
        if in_bag.len() != self.trees().len() {
            return Err(DetectorError::CannotFit(format!(
                "DIFFI needs the in-bag rows of each of the {} trees; got {} row sets",
                self.trees().len(),
                in_bag.len()
            )));
        }
        if let Some(&bad) = in_bag.iter().flatten().find(|&&r| r >= x.nrows()) {
            return Err(DetectorError::CannotFit(format!(
                "in-bag row {bad} is out of range for {} rows",
                x.nrows()
            )));
        }
        let c_psi = average_path_length(self.max_samples());
        let mut outliers = Group::new(d);
        let mut inliers = Group::new(d);
        for (tree, rows) in self.trees().iter().zip(in_bag) {
            let paths: Vec<Vec<usize>> = rows.iter().map(|&r| path(tree, x.row(r))).collect();
            let (mut out, mut inl) = (Vec::new(), Vec::new());
            for p in &paths {
                let leaf = p[p.len() - 1];
                // As the reference: node count on the path, + c(leaf size), − 1.
                let depth =
                    (p.len() as f64 + average_path_length(tree.n_samples[leaf] as usize)) - 1.0;
                let score = (-depth / c_psi).exp2();
                if score > threshold {
                    out.push(p.as_slice());
                } else if score < threshold {
                    inl.push(p.as_slice());
                }
            }
            if out.is_empty() || inl.is_empty() {
                continue;
            }
            outliers.add_tree(tree, &out);
            inliers.add_tree(tree, &inl);
        }
        let fi_out = mean_importance(&outliers.cfi, &outliers.counter);
        let fi_in = mean_importance(&inliers.cfi, &inliers.counter);
        Ok(fi_out.iter().zip(&fi_in).map(|(o, i)| o / i).collect())
    }

    /// The local DIFFI explanation of a checked row.
    pub(super) fn explain_diffi(&self, row: ArrayView1<'_, f64>) -> Explanation {
        let score = self.score_samples(row.insert_axis(Axis(0)))[0];
        Explanation::new(ExplainMethod::Diffi, score, self.diffi_local(row))
    }
}

/// One group's (outliers' or inliers') cumulative importances and counts.
struct Group {
    cfi: Vec<f64>,
    counter: Vec<u64>,
}

impl Group {
    fn new(d: usize) -> Self {
        Self {
            cfi: vec![0.0; d],
            counter: vec![0; d],
        }
    }

    /// Add one tree's paths of this group's rows (in row order).
    fn add_tree(&mut self, tree: &TreeArrays, paths: &[&[usize]]) {
        let iic = induced_imbalance(tree, paths);
        for p in paths {
            let depth = (p.len() - 1) as f64;
            for &node in *p {
                if iic[node] == -1.0 {
                    continue;
                }
                let f = tree.feature[node] as usize;
                self.cfi[f] += (1.0 / depth) * iic[node];
                self.counter[f] += 1;
            }
        }
    }
}

/// The reference's `_get_iic` with `adjust_iic=True`: per node, −1 for a
/// leaf or a node fewer than two of the rows reached, 0 when they all went
/// to one side, else the larger side's fraction rescaled from
/// `[⌈m/2⌉/m, (m−1)/m]` to `[0.5, 1]` (unscaled when that range is a point).
fn induced_imbalance(tree: &TreeArrays, paths: &[&[usize]]) -> Vec<f64> {
    let n_nodes = tree.right.len();
    let mut reached = vec![0u64; n_nodes];
    for p in paths {
        for &node in *p {
            reached[node] += 1;
        }
    }
    (0..n_nodes)
        .map(|node| {
            let m = reached[node];
            if m <= 1 || tree.right[node] == 0 {
                return -1.0;
            }
            let left = reached[node + 1];
            let right = reached[tree.right[node] as usize];
            if left == 0 || right == 0 {
                return 0.0;
            }
            let mf = m as f64;
            let current_min = if m.is_multiple_of(2) {
                0.5
            } else {
                m.div_ceil(2) as f64 / mf
            };
            let current_max = (mf - 1.0) / mf;
            let tmp = left.max(right) as f64 / mf;
            if current_min != current_max {
                ((tmp - current_min) / (current_max - current_min)) * (1.0 - 0.5) + 0.5
            } else {
                tmp
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stump on column 1 at 0.5 over two rows, then leaves.
    fn stump() -> IsolationForestModel {
        let tree = TreeArrays {
            feature: vec![1, 0, 0],
            threshold: vec![0.5, 0.0, 0.0],
            right: vec![2, 0, 0],
            n_samples: vec![2, 1, 1],
        };
        IsolationForestModel::new(2, 4, vec![tree]).unwrap()
    }

    #[test]
    fn local_importance_by_hand() {
        // Leaf depth 1, depth limit ceil(log2 4) = 2: 1/1 - 1/2 on column 1.
        let m = stump();
        assert_eq!(m.diffi_local(ndarray::array![0.0, 0.0].view()), [0.0, 0.5]);
    }

    #[test]
    fn in_bag_rows_are_redrawn_exactly_and_other_data_is_refused() {
        use crate::detectors::Detector;
        let x = ndarray::Array2::from_shape_fn((300, 5), |(i, j)| {
            ((i * 7919 + j * 104_729) % 1000) as f64 / 100.0 + if i < 10 { 20.0 } else { 0.0 }
        });
        for params in [
            serde_json::json!({"seed": 4, "max_samples": 64, "n_estimators": 30}),
            serde_json::json!({"seed": 1, "max_samples": 0.5, "max_features": 0.6, "bootstrap": true}),
        ] {
            let serde_json::Value::Object(p) = params else {
                unreachable!()
            };
            let fitted = Detector::new("isolation_forest", &p)
                .unwrap()
                .fit(x.view())
                .unwrap();
            let g = global_importances(&fitted, x.view()).unwrap();
            assert_eq!(g.len(), 5);
            let mut other = x.clone();
            other.row_mut(0).mapv_inplace(|v| v + 50.0);
            other.row_mut(1).mapv_inplace(|v| v - 50.0);
            let e = global_importances(&fitted, other.view()).unwrap_err();
            assert!(e.to_string().contains("not the data"), "{e}");
        }
        let knn = Detector::new("knn", &serde_json::Map::new())
            .unwrap()
            .fit(x.view())
            .unwrap();
        assert!(global_importances(&knn, x.view()).is_err());
    }

    #[test]
    fn iic_of_balanced_and_one_sided_splits() {
        let m = stump();
        let t = &m.trees()[0];
        let (a, b): (&[usize], &[usize]) = (&[0, 1], &[0, 2]);
        // One row each side of 2: the larger fraction 1/2 is the minimum, 0.5.
        assert_eq!(induced_imbalance(t, &[a, b]), [0.5, -1.0, -1.0]);
        // Both to the left: a useless split.
        assert_eq!(induced_imbalance(t, &[a, a]), [0.0, -1.0, -1.0]);
        // One row: no coefficient.
        assert_eq!(induced_imbalance(t, &[a]), [-1.0, -1.0, -1.0]);
    }
}
