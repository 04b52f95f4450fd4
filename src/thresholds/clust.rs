//! pythresh's CLUST with `method="kmeans"`: scikit-learn's
//! `KMeans(n_clusters=2)` on the normalised scores, the cluster pythresh
//! labels 1 (after its "flip if more than half") being the outliers.
//!
//! pythresh's default clustering, `spec` (spectral clustering), needs an
//! `n × n` affinity and an ARPACK eigensolver started from numpy's global
//! generator; `kmeans` is the clustering member of the family anml can
//! reproduce exactly, so it is the one registered. pythresh seeds numpy's
//! global `RandomState(1234)` in the constructor and KMeans (no
//! `random_state`) draws its k-means++ start from it; anml replays that
//! generator (`data::mt19937`) for scikit-learn's k-means++ start (2 local
//! trials, in one dimension), then runs cblof's Lloyd iterations
//! (`detectors::cblof::kmeans::lloyd`, scikit-learn's arithmetic: centring,
//! labels stable or a centre shift within `1e-4 · var`, a last assignment).
//! (scikit-learn sums the centres over threads in a varying order; anml sums
//! in data order, which can only change a label at an exact tie.)
//!
//! The threshold is the midpoint of the two centres, where `KMeans.predict`
//! (what pythresh's `predict` uses on new scores) changes cluster; flagged is
//! `>=` it. When the outlier cluster is the lower one (possible in principle,
//! when most scores are high) no upper threshold describes it and the method
//! refuses.

use super::{Cut, Options, Scores, Threshold, ThresholdError};
use crate::data::mt19937::NumpyRandomState;
use crate::metrics::numeric::np_sum;

/// pythresh's `random_state` default, which seeds numpy's global generator.
const SEED: u32 = 1234;

/// numpy's legacy `random_sample()`: 53 random bits from two 32-bit draws.
fn random_sample(rs: &mut NumpyRandomState) -> f64 {
    let a = rs.next_u32() >> 5;
    let b = rs.next_u32() >> 6;
    (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
}

/// `_euclidean_distances(c, X, squared=True)` in one dimension:
/// `max(-2 (c x) + c² + x², 0)`.
fn sq_dist(c: f64, x: f64, x_sq: f64) -> f64 {
    ((-2.0 * (c * x) + c * c) + x_sq).max(0.0)
}

/// scikit-learn's `_kmeans_plusplus` for two clusters (2 local trials).
fn kmeans_plusplus(x: &[f64], rs: &mut NumpyRandomState) -> [f64; 2] {
    let n = x.len();
    let x_sq: Vec<f64> = x.iter().map(|v| v * v).collect();
    // choice(n, p=ones/n): cdf = cumsum(p) / cdf[-1], searchsorted right
    let p = 1.0 / n as f64;
    let mut cdf = Vec::with_capacity(n);
    let mut acc = 0.0;
    for _ in 0..n {
        acc += p;
        cdf.push(acc);
    }
    let last = acc;
    for v in &mut cdf {
        *v /= last;
    }
    let u = random_sample(rs);
    let first = cdf.partition_point(|&c| c <= u).min(n - 1);
    let c0 = x[first];
    let closest: Vec<f64> = x
        .iter()
        .zip(&x_sq)
        .map(|(&v, &s)| sq_dist(c0, v, s))
        .collect();
    let current_pot: f64 = closest.iter().sum();
    let rand_vals = [
        random_sample(rs) * current_pot,
        random_sample(rs) * current_pot,
    ];
    let mut cum = Vec::with_capacity(n);
    let mut acc = 0.0;
    for &d in &closest {
        acc += d;
        cum.push(acc);
    }
    let mut best = (f64::INFINITY, 0);
    for r in rand_vals {
        // searchsorted left, clipped to n - 1
        let id = cum.partition_point(|&c| c < r).min(n - 1);
        let pot: f64 = closest
            .iter()
            .zip(x.iter().zip(&x_sq))
            .map(|(&d, (&v, &s))| d.min(sq_dist(x[id], v, s)))
            .sum();
        if pot < best.0 {
            best = (pot, id);
        }
    }
    [c0, x[best.1]]
}

/// `KMeans(n_clusters=2).fit(x)`: labels and centres (uncentred). The
/// k-means++ start is drawn here (numpy's generator, as pythresh seeds it);
/// the Lloyd iterations are cblof's, which follow scikit-learn's.
fn kmeans(z: &[f64]) -> (Vec<usize>, [f64; 2]) {
    let n = z.len();
    let x_mean = np_sum(z) / n as f64;
    let x: Vec<f64> = z.iter().map(|v| v - x_mean).collect();
    let mut rs = NumpyRandomState::new(SEED);
    let init = kmeans_plusplus(&x, &mut rs).map(|c| c + x_mean);
    let col = ndarray::ArrayView1::from(z).insert_axis(ndarray::Axis(1));
    let init = ndarray::arr2(&[[init[0]], [init[1]]]);
    let fit = crate::detectors::cblof::kmeans::lloyd(col, init.view());
    (fit.labels, [fit.centres[[0, 0]], fit.centres[[1, 0]]])
}

pub(super) fn fit(scores: &Scores<'_>, _: &Options) -> Result<Threshold, ThresholdError> {
    let z = &scores.normalised;
    let (labels, centres) = kmeans(z);
    // pythresh: cluster 1 is the outliers, unless it holds more than
    // ceil(n / 2) points, then cluster 0
    let ones = labels.iter().filter(|&&l| l == 1).count();
    let outlier = if ones > z.len().div_ceil(2) { 0 } else { 1 };
    if centres[outlier] < centres[1 - outlier] {
        return Err(ThresholdError::CannotFit {
            method: "clust",
            message: "the outlier cluster holds the lowest scores".into(),
        });
    }
    let limit = (centres[0] + centres[1]) / 2.0;
    Ok(Threshold::normalised(
        "clust",
        scores,
        limit,
        scores.scale.denormalise(limit),
        Cut::AtLeast,
    ))
}
