//! The fitted LODA model: sparse projections with their histograms; the
//! saved form, load-time checks, the histogram fit and the scoring.

use crate::detectors::hbos::NBins;
use crate::detectors::hbos::histogram;
use crate::detectors::{Explanation, Model};
use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// PyOD adds this to every bin count before normalising, so an empty bin
/// has a tiny positive probability and a finite `-ln`.
pub const BIN_EPSILON: f64 = 1e-12;

/// Rows scored per parallel task (the partition never depends on the thread
/// count, and each row's sum runs over the projections in order).
const BLOCK_ROWS: usize = 256;

/// One sparse random projection and the histogram of the training data
/// projected on it.
///
/// `features` (strictly increasing) are the columns with a non-zero weight;
/// `limits` are the `n_bins + 1` bin edges; `histogram` holds each bin's
/// probability `(count + 1e-12) / Σ (count + 1e-12)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LodaCut {
    pub features: Vec<usize>,
    pub weights: Vec<f64>,
    pub limits: Vec<f64>,
    pub histogram: Vec<f64>,
}

impl LodaCut {
    /// `Σ_j w_j x[f_j]`, in feature order.
    #[inline]
    pub(super) fn project(&self, row: ArrayView1<'_, f64>) -> f64 {
        let mut p = 0.0;
        for (&f, &w) in self.features.iter().zip(&self.weights) {
            p += w * row[f];
        }
        p
    }

    /// `-ln` of the probability PyOD looks up for `value`: index
    /// `np.searchsorted(limits[:n_bins - 1], value, side='left')`, the number
    /// of edges `e_0 … e_{n_bins-2}` strictly below it (one bin right of the
    /// one the value was counted in; see the module doc).
    #[inline]
    pub(super) fn neg_log_prob(&self, value: f64) -> f64 {
        let inner = &self.limits[..self.histogram.len() - 1];
        let idx = inner.partition_point(|&e| e < value);
        -self.histogram[idx].ln()
    }

    fn check(&self, i: usize, n_features: usize) -> Result<(), String> {
        let fail = |m: &str| Err(format!("projection {i}: {m}"));
        if self.features.is_empty() || self.features.len() != self.weights.len() {
            return fail("needs one weight per feature and at least one feature");
        }
        if self.features.windows(2).any(|w| w[0] >= w[1])
            || self.features.iter().any(|&f| f >= n_features)
        {
            return fail("features must be strictly increasing column indices");
        }
        if self.weights.iter().any(|w| !w.is_finite()) {
            return fail("weights must be finite");
        }
        let bins = self.histogram.len();
        if bins == 0 || self.limits.len() != bins + 1 {
            return fail("needs n_bins >= 1 probabilities and n_bins + 1 limits");
        }
        if self.limits.iter().any(|v| !v.is_finite()) || self.limits.windows(2).any(|w| w[0] > w[1])
        {
            return fail("limits must be finite and non-decreasing");
        }
        if self.histogram.iter().any(|&p| !(p.is_finite() && p > 0.0)) {
            return fail("bin probabilities must be finite and positive");
        }
        Ok(())
    }
}

/// numpy's pairwise summation of a contiguous float64 array (`np.sum`):
/// eight running sums for blocks of up to 128 values, halves above.
pub(crate) fn numpy_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        numpy_sum(&a[..n2]) + numpy_sum(&a[n2..])
    }
}

/// Fit the histogram of one projection on the training rows `x`.
pub(super) fn fit_cut(
    features: Vec<usize>,
    weights: Vec<f64>,
    n_bins: NBins,
    x: ArrayView2<'_, f64>,
) -> LodaCut {
    let mut cut = LodaCut {
        features,
        weights,
        limits: Vec::new(),
        histogram: Vec::new(),
    };
    let projected: Array1<f64> = x.rows().into_iter().map(|r| cut.project(r)).collect();
    let bins = n_bins.resolve(projected.view());
    let (counts, edges) = histogram(projected.view(), bins);
    let mut hist: Vec<f64> = counts.iter().map(|&c| c as f64 + BIN_EPSILON).collect();
    let total = numpy_sum(&hist);
    for h in &mut hist {
        *h /= total;
    }
    cut.limits = edges;
    cut.histogram = hist;
    cut
}

/// A fitted `loda` detector.
///
/// Saved as `{"n_features", "cuts": [{"features", "weights", "limits",
/// "histogram"}, ...]}`; loading checks every projection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "LodaRepr")]
pub struct LodaModel {
    n_features: usize,
    cuts: Vec<LodaCut>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LodaRepr {
    n_features: usize,
    cuts: Vec<LodaCut>,
}

impl TryFrom<LodaRepr> for LodaModel {
    type Error = String;
    fn try_from(r: LodaRepr) -> Result<Self, String> {
        Self::new(r.n_features, r.cuts)
    }
}

impl LodaModel {
    pub(super) fn new(n_features: usize, cuts: Vec<LodaCut>) -> Result<Self, String> {
        if n_features == 0 {
            return Err("n_features must be at least 1".into());
        }
        if cuts.is_empty() {
            return Err("the model has no projections".into());
        }
        for (i, c) in cuts.iter().enumerate() {
            c.check(i, n_features)?;
        }
        Ok(Self { n_features, cuts })
    }

    /// Fit the histograms of explicit dense projections (one row per
    /// projection; zero weights are dropped) on `x`, and score `x`. For
    /// parity tests against PyOD's own projections; not a stable API.
    #[doc(hidden)]
    pub fn from_projections(
        projections: ArrayView2<'_, f64>,
        n_bins: NBins,
        x: ArrayView2<'_, f64>,
    ) -> Result<(Self, Array1<f64>), String> {
        let cuts = projections
            .axis_iter(Axis(0))
            .map(|p| {
                let (features, weights) = p
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| **w != 0.0)
                    .map(|(f, &w)| (f, w))
                    .unzip();
                fit_cut(features, weights, n_bins, x)
            })
            .collect();
        let model = Self::new(x.ncols(), cuts)?;
        let scores = model.score_samples(x);
        Ok((model, scores))
    }

    /// The projections with their histograms.
    pub fn cuts(&self) -> &[LodaCut] {
        &self.cuts
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub(super) fn score_row(&self, row: ArrayView1<'_, f64>) -> f64 {
        let c = self.cuts.len() as f64;
        // PyOD: pred += -(1 / c) * ln(p) per projection, then pred / c.
        let w = 1.0 / c;
        let mut acc = 0.0;
        for cut in &self.cuts {
            acc += w * cut.neg_log_prob(cut.project(row));
        }
        acc / c
    }
}

impl Model for LodaModel {
    /// PyOD's `decision_function`: `Σ_i −(1/c) ln p_i(x) / c` over the c
    /// projections (the mean of `−ln p` divided once more by c, as PyOD
    /// does). Input of the wrong width (which
    /// [`crate::detectors::FittedDetector`] rejects first) scores NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let n = x.nrows();
        if x.ncols() != self.n_features {
            return Array1::from_elem(n, f64::NAN);
        }
        let mut out = vec![0.0f64; n];
        out.par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .for_each(|(b, block)| {
                for (i, o) in block.iter_mut().enumerate() {
                    *o = self.score_row(x.row(b * BLOCK_ROWS + i));
                }
            });
        Array1::from_vec(out)
    }

    fn explain_row(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        Some(self.explain_terms(row))
    }
}
