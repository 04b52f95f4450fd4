//! The small seeded k-means that initialises the mixture (scikit-learn's
//! `init_params='kmeans'` runs `KMeans(n_clusters, n_init=1)` and uses its
//! labels as hard responsibilities).
//!
//! It follows scikit-learn's `KMeans` (Lloyd): greedy k-means++ seeding
//! with `2 + ⌊ln k⌋` local trials per centre; at most 300 iterations;
//! stop when the labels do not change ("strict convergence") or when the
//! total squared centre shift is at most `1e-4 × mean per-feature
//! variance`; after a non-strict stop the labels are recomputed from the
//! final centres. An empty cluster is moved onto the row farthest from its
//! centre (scikit-learn relocates empty clusters to far rows too). The
//! random draws come from ChaCha8, not numpy's MT19937, so the clusters
//! are not bit-equal to scikit-learn's for the same seed; everything after
//! the draws is deterministic and thread-count independent.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// scikit-learn's `KMeans(max_iter=300)`.
const MAX_ITER: usize = 300;
/// scikit-learn's `KMeans(tol=1e-4)`, scaled by the mean feature variance.
const TOL: f64 = 1e-4;

fn sq_dist(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0, |acc, (&x, &y)| acc + (x - y) * (x - y))
}

/// Index of the first element of the cumulative sums `cum` that is >= `v`
/// (numpy's `searchsorted(side='left')`), clipped to the last index.
fn search_sorted(cum: &[f64], v: f64) -> usize {
    cum.partition_point(|&c| c < v).min(cum.len() - 1)
}

/// Greedy k-means++ seeding: the indices of the k seed rows
/// (scikit-learn's `_kmeans_plusplus`). `x` has at least k ≥ 1 rows.
pub(super) fn kmeans_plusplus(
    x: ArrayView2<'_, f64>,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let n = x.nrows();
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let mut seeds = Vec::with_capacity(k);
    let first = rng.random_range(0..n);
    seeds.push(first);
    let mut closest: Vec<f64> = x.outer_iter().map(|r| sq_dist(r, x.row(first))).collect();
    let mut pot: f64 = closest.iter().sum();
    while seeds.len() < k {
        let mut cum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for &c in &closest {
            acc += c;
            cum.push(acc);
        }
        let candidates: Vec<usize> = (0..n_trials)
            .map(|_| search_sorted(&cum, rng.random::<f64>() * pot))
            .collect();
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for &c in &candidates {
            let cand = x.row(c);
            let new: Vec<f64> = x
                .outer_iter()
                .zip(&closest)
                .map(|(r, &old)| old.min(sq_dist(r, cand)))
                .collect();
            let p: f64 = new.iter().sum();
            if best.as_ref().is_none_or(|(bp, _, _)| p < *bp) {
                best = Some((p, c, new));
            }
        }
        match best {
            Some((p, c, new)) => {
                pot = p;
                closest = new;
                seeds.push(c);
            }
            None => break,
        }
    }
    seeds
}

/// Nearest centre of each row (ties to the lower centre index) and the
/// squared distance to it.
fn assign(x: ArrayView2<'_, f64>, centers: &Array2<f64>) -> (Vec<usize>, Vec<f64>) {
    x.axis_iter(Axis(0))
        .into_par_iter()
        .map(|r| {
            let mut best = (usize::MAX, f64::INFINITY);
            for (c, ctr) in centers.outer_iter().enumerate() {
                let dd = sq_dist(r, ctr);
                if dd < best.1 || best.0 == usize::MAX {
                    best = (c, dd);
                }
            }
            best
        })
        .unzip()
}

/// Means of the rows of each label; an empty cluster takes the row farthest
/// from its own centre that no earlier empty cluster took.
fn update(x: ArrayView2<'_, f64>, labels: &[usize], dist: &[f64], k: usize) -> Array2<f64> {
    let d = x.ncols();
    let mut sums = Array2::<f64>::zeros((k, d));
    let mut counts = vec![0usize; k];
    for (r, &l) in x.outer_iter().zip(labels) {
        let mut row = sums.row_mut(l);
        row += &r;
        counts[l] += 1;
    }
    let mut far: Vec<usize> = (0..x.nrows()).collect();
    far.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
    let mut far = far.into_iter();
    for (c, &m) in counts.iter().enumerate() {
        if m == 0 {
            if let Some(i) = far.next() {
                sums.row_mut(c).assign(&x.row(i));
            }
        } else {
            sums.row_mut(c).mapv_inplace(|v| v / m as f64);
        }
    }
    sums
}

/// Labels of one seeded k-means run on `x` (n ≥ k ≥ 1 rows).
pub(super) fn kmeans_labels(x: ArrayView2<'_, f64>, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let seeds = kmeans_plusplus(x, k, rng);
    let mut centers = Array2::<f64>::zeros((k, x.ncols()));
    for (mut c, &i) in centers.outer_iter_mut().zip(&seeds) {
        c.assign(&x.row(i));
    }
    let var: Array1<f64> = x.var_axis(Axis(0), 0.0);
    let tol = TOL * var.mean().unwrap_or(0.0);
    let mut labels: Vec<usize> = Vec::new();
    for _ in 0..MAX_ITER {
        let (new_labels, dist) = assign(x, &centers);
        if new_labels == labels {
            return labels;
        }
        labels = new_labels;
        let new_centers = update(x, &labels, &dist, k);
        let shift: f64 = (&new_centers - &centers).iter().map(|v| v * v).sum();
        centers = new_centers;
        if shift <= tol {
            break;
        }
    }
    assign(x, &centers).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;

    #[test]
    fn separates_obvious_clusters() {
        let x = array![
            [0.0, 0.0],
            [0.1, 0.0],
            [0.0, 0.1],
            [10.0, 10.0],
            [10.1, 10.0],
            [10.0, 10.1]
        ];
        for seed in 0..10 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let l = kmeans_labels(x.view(), 2, &mut rng);
            assert_eq!(l[0], l[1]);
            assert_eq!(l[0], l[2]);
            assert_eq!(l[3], l[4]);
            assert_eq!(l[3], l[5]);
            assert_ne!(l[0], l[3]);
        }
    }

    #[test]
    fn plusplus_picks_distinct_rows_and_is_seeded() {
        let x = Array2::from_shape_fn((50, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        let a = kmeans_plusplus(x.view(), 5, &mut ChaCha8Rng::seed_from_u64(3));
        let b = kmeans_plusplus(x.view(), 5, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(a, b);
        let rows: std::collections::HashSet<Vec<u64>> = a
            .iter()
            .map(|&i| x.row(i).iter().map(|v| v.to_bits()).collect())
            .collect();
        assert_eq!(rows.len(), 5, "seeds must be distinct points: {a:?}");
    }

    #[test]
    fn one_cluster_is_all_zero_labels() {
        let x = array![[1.0], [2.0], [3.0]];
        let l = kmeans_labels(x.view(), 1, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(l, vec![0, 0, 0]);
    }
}
