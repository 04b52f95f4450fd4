//! VUS-ROC and VUS-PR: the range-aware "volume under the surface" metrics of
//! TSB-AD, and the autocorrelation period TSB-AD uses to pick their window.
//!
//! Point-wise ROC-AUC and PR-AUC punish a detector that fires a few samples
//! before or after a labelled anomaly range as hard as one that fires
//! nowhere near it. VUS (Paparrizos et al., "Volume Under the Surface",
//! VLDB 2022) softens every label range by a buffer of `w / 2` samples on
//! each side, computes a range-based ROC and PR curve for every buffer
//! `w = 0, 1, …, sliding_window`, and averages their areas. TSB-AD (the
//! TSB-AD benchmark, NeurIPS 2024) reports these as `VUS-ROC` and `VUS-PR`
//! and is what published numbers are computed with, so this module
//! reproduces `TSB_AD.evaluation.metrics.get_metrics(score, labels,
//! slidingWindow=w)` (TSB-AD 1.5, its defaults `version='opt'`,
//! `thre=250`) — `basic_metricor.RangeAUC_volume_opt` — exactly in
//! definition, and to within a few ulps in value. `tests/vus_parity.rs` checks that
//! against fixtures written by `scripts/gen_vus_reference.py`.
//!
//! # Definition (per buffer `w`, with `h = w / 2` rounded down)
//!
//! * Label ranges `[s, e]` are the maximal runs of anomalies. The
//!   *extended label* of a normal point `x` is
//!   `min(1, Σ sqrt(1 − (x − e)/w) + Σ sqrt(1 − (s − x)/w))` over the ranges
//!   it follows by at most `h` (`0 < x − e ≤ h`) or precedes by at most `h`
//!   (`0 < s − x ≤ h`), added range by range in order exactly as TSB-AD's
//!   `sequencing` does; anomalies have label 1, other points 0.
//! * The *buffered ranges* `L(w)` are the label ranges grown by `h` on each
//!   side (clipped to the series), merged when they overlap (TSB-AD's
//!   `new_sequence`: two grown ranges stay apart only if
//!   `e_i + h < s_{i+1} − h`).
//! * Thresholds: the scores sorted descending, taken at the 250 positions
//!   `trunc(linspace(0, n − 1, 250))` (repeats included when `n < 250`);
//!   a point is predicted at a threshold `t` when `score ≥ t`.
//! * At each threshold, with `P` anomalies, `E` the sum of the extended
//!   labels of the predicted normal points, `TPa` the predicted anomalies
//!   and `Npred` all predicted points: `TP = TPa + E`,
//!   `P' = (P + (P + E)) / 2`, `TPR = min(TP / P', 1) · (ranges of L(w)
//!   containing a prediction) / |L(w)|`, `FPR = (Npred − TP) / (n − P')`,
//!   `precision = TP / Npred`.
//! * ROC area: trapezoids through `(0, 0)`, the 250 points and `(1, 1)`.
//!   PR area: `Σ (TPR_j − TPR_{j−1}) · precision_j` over the 250 points
//!   with `TPR_0 = 0` (no closing point).
//! * VUS-ROC / VUS-PR: the plain mean of the areas over
//!   `w = 0, …, sliding_window` (`sliding_window + 1` buffers; 0 and 1 both
//!   mean "no buffer").
//!
//! # Speed
//!
//! TSB-AD rebuilds the prediction vector and scans every buffered range for
//! each of the 250 thresholds and each buffer: O(250 · W · n) in NumPy. Here
//! each point is assigned once to the first threshold that predicts it
//! (binary search over the sorted thresholds), and per buffer only the
//! buffer zones are visited, summed into per-threshold buckets and prefix
//! sums: O(n log n + W · (Σ zone sizes + 250)), buffers in parallel with
//! rayon (each buffer's areas are independent; they are summed in buffer
//! order afterwards, so the result does not depend on the thread count).
//!
//! # Deliberate differences from TSB-AD
//!
//! * Summation order. TSB-AD forms `TP` and `P + E` as per-range
//!   `np.dot`/`np.sum` over the label vector at every threshold and the areas
//!   as `np.dot` of widths and heights; here `E` is a prefix sum of bucketed
//!   extended labels and the areas are summed left to right. Every term is
//!   the same IEEE value (the extended labels are bit-identical); only the
//!   rounding of the sums differs, by a few ulps: on the fixtures and 300
//!   random cases about half the values are bit-identical and the rest
//!   differ by at most 4.4e-16 (the test tolerance is 1e-12).
//! * Labels: any nonzero label is an anomaly (TSB-AD needs 0/1 labels; a 2
//!   there breaks its range detection).
//! * Input errors: TSB-AD raises `IndexError` when the labels hold only
//!   one class and returns meaningless numbers (NaN VUS-PR, a finite
//!   VUS-ROC) for NaN scores; here these are [`MetricError`]s (`OneClass`,
//!   `NonFinite`).
//! * [`find_length`]: see its documentation (direct autocovariance instead
//!   of FFT; fallback instead of an exception for fewer than 2 points).

use super::MetricError;
use super::numeric::np_sum;
use ndarray::ArrayView1;
use rayon::prelude::*;

/// Number of score thresholds on every range curve: TSB-AD's `thre=250`,
/// the default of `get_metrics` and `generate_curve`.
pub const VUS_THRESHOLDS: usize = 250;

/// The longest VUS buffer, in multiples of the series length. Beyond twice
/// the length every buffer covers the whole series; TSB-AD accepts any
/// window, but the cost grows with it, so a huge one is refused.
pub const VUS_MAX_WINDOW_FACTOR: usize = 16;

/// Both volumes under the surface, as TSB-AD's `get_metrics` reports them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vus {
    /// `VUS-ROC`: mean range-ROC area over the buffers `0..=sliding_window`.
    pub roc: f64,
    /// `VUS-PR`: mean range-PR area (average precision) over the buffers.
    pub pr: f64,
}

/// VUS-ROC and VUS-PR of `scores` (higher = more anomalous) against
/// `labels` (nonzero = anomaly) with buffers `0..=sliding_window`, equal to
/// TSB-AD's `get_metrics(scores, labels, slidingWindow=sliding_window)`
/// `['VUS-ROC']` and `['VUS-PR']`. TSB-AD's own choice of `sliding_window`
/// is [`find_length`] of the raw series.
///
/// Costs O(n log n + sliding_window · (buffer zone sizes + 250)); the
/// zones are at most `sliding_window` points per label range, and at most
/// `n` in all.
///
/// # Errors
///
/// [`MetricError::LengthMismatch`], [`MetricError::Empty`],
/// [`MetricError::NonFinite`] (a NaN or infinite score) and
/// [`MetricError::OneClass`] (no anomaly, or no normal point), checked in
/// that order; then [`MetricError::VusWindow`] when `sliding_window` is
/// more than [`VUS_MAX_WINDOW_FACTOR`] times the series length.
pub fn vus(
    labels: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
    sliding_window: usize,
) -> Result<Vus, MetricError> {
    let input = Input::new(labels, scores, VUS_THRESHOLDS)?;
    if sliding_window > input.n.saturating_mul(VUS_MAX_WINDOW_FACTOR) {
        return Err(MetricError::VusWindow {
            window: sliding_window,
            n: input.n,
        });
    }
    Ok(input.volume(sliding_window))
}

/// VUS-ROC alone; see [`vus`] (which computes both for the same cost).
///
/// # Errors
///
/// As [`vus`].
pub fn vus_roc(
    labels: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
    sliding_window: usize,
) -> Result<f64, MetricError> {
    vus(labels, scores, sliding_window).map(|v| v.roc)
}

/// VUS-PR alone; see [`vus`] (which computes both for the same cost).
///
/// # Errors
///
/// As [`vus`].
pub fn vus_pr(
    labels: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
    sliding_window: usize,
) -> Result<f64, MetricError> {
    vus(labels, scores, sliding_window).map(|v| v.pr)
}

/// Validated input with everything that does not depend on the buffer.
#[derive(Debug)]
struct Input {
    /// Number of samples (≥ 2).
    n: usize,
    /// Number of anomalies (≥ 1).
    n_pos: usize,
    /// Maximal anomaly runs `(start, end)`, inclusive, in order (≥ 1).
    ranges: Vec<(usize, usize)>,
    /// For each range, the first threshold that predicts one of its points.
    range_first: Vec<usize>,
    /// For each point, the first threshold index `j` with `score ≥ thr_j`.
    first: Vec<usize>,
    /// Points with `score ≥ thr_j`, per threshold (TSB-AD's `N_pred`).
    n_pred: Vec<f64>,
    /// Anomalies with `score ≥ thr_j`, per threshold.
    tp_anomaly: Vec<f64>,
}

impl Input {
    /// Validate (lengths, emptiness, finiteness, both classes) and rank.
    fn new(
        labels: ArrayView1<'_, u8>,
        scores: ArrayView1<'_, f64>,
        thresholds: usize,
    ) -> Result<Self, MetricError> {
        let n_pos = super::input::check(labels, scores)?;
        let n = labels.len();
        let anomaly: Vec<bool> = labels.iter().map(|&l| l != 0).collect();

        // The threshold grid: `-np.sort(-score)` at `linspace(0, n-1, T)
        // .astype(int)`. `+ 0.0` folds -0.0 into 0.0 (they compare equal
        // under `>=` anyway).
        let mut sorted: Vec<f64> = scores.iter().map(|&s| s + 0.0).collect();
        sorted.sort_unstable_by(|a, b| b.total_cmp(a));
        let grid: Vec<f64> = linspace_indices(n, thresholds)
            .into_iter()
            .map(|i| sorted[i])
            .collect();
        let n_pred = grid
            .iter()
            .map(|&t| sorted.partition_point(|&v| v >= t) as f64)
            .collect();

        // `grid` is non-increasing and ends at the minimum score, so every
        // point is predicted from some index on.
        let first: Vec<usize> = scores
            .iter()
            .map(|&s| grid.partition_point(|&t| t > s))
            .collect();
        let mut tp_anomaly = vec![0.0; grid.len()];
        for (&f, _) in first.iter().zip(&anomaly).filter(|(_, a)| **a) {
            tp_anomaly[f] += 1.0;
        }
        for j in 1..tp_anomaly.len() {
            tp_anomaly[j] += tp_anomaly[j - 1];
        }

        let ranges = crate::data::label_ranges(labels);
        let range_first = ranges
            .iter()
            .map(|&(s, e)| first[s..=e].iter().copied().min().unwrap_or(0))
            .collect();
        Ok(Self {
            n,
            n_pos,
            ranges,
            range_first,
            first,
            n_pred,
            tp_anomaly,
        })
    }

    /// Number of thresholds on each curve.
    fn thresholds(&self) -> usize {
        self.n_pred.len()
    }

    /// Mean ROC and PR areas over the buffers `0..=sliding_window`.
    fn volume(&self, sliding_window: usize) -> Vus {
        // (`saturating_add`: usize::MAX buffers could not be computed anyway.)
        let areas: Vec<(f64, f64)> = (0..sliding_window.saturating_add(1))
            .into_par_iter()
            .with_min_len(8)
            .map_init(
                || Scratch::new(self.n, self.thresholds()),
                |scratch, w| self.areas(w, scratch),
            )
            .collect();
        // Python's `sum(auc_3d) / len(window_3d)`: left to right from 0.
        let (mut roc, mut pr) = (0.0, 0.0);
        for &(r, p) in &areas {
            roc += r;
            pr += p;
        }
        let count = sliding_window as f64 + 1.0;
        Vus {
            roc: roc / count,
            pr: pr / count,
        }
    }

    /// ROC area and PR area (average precision) of the range curves with
    /// buffer `w`.
    fn areas(&self, w: usize, scratch: &mut Scratch) -> (f64, f64) {
        let n = self.n;
        let half = w / 2;
        let wf = w as f64;

        // Extended labels (`sequencing`): range by range, the points after
        // it, then the points before it, accumulated and clipped at the end.
        // `half` is 0 for w ≤ 1, so `wf` is never 0 here.
        let Scratch {
            extended,
            buffered,
            sum_bucket,
            hit_bucket,
        } = scratch;
        for &(s, e) in &self.ranges {
            let after_end = e.saturating_add(half).saturating_add(1).min(n);
            for (x, v) in extended.iter_mut().enumerate().take(after_end).skip(e + 1) {
                *v += (1.0 - (x - e) as f64 / wf).sqrt();
            }
            for (x, v) in extended
                .iter_mut()
                .enumerate()
                .take(s)
                .skip(s.saturating_sub(half))
            {
                *v += (1.0 - (s - x) as f64 / wf).sqrt();
            }
        }

        // The buffered ranges L(w) (`new_sequence`), as (start, end, first
        // label range, last label range).
        buffered.clear();
        let last = self.ranges.len() - 1;
        let mut start = self.ranges[0].0.saturating_sub(half);
        let mut k0 = 0;
        for k in 0..last {
            let (_, e) = self.ranges[k];
            let (s_next, _) = self.ranges[k + 1];
            // e + h < s_next − h, without leaving the integers ≥ 0.
            if e.saturating_add(half).saturating_add(half) < s_next {
                buffered.push((start, e + half, k0, k));
                start = s_next - half;
                k0 = k + 1;
            }
        }
        let end = self.ranges[last].1.saturating_add(half).min(n - 1);
        buffered.push((start, end, k0, last));

        // Bucket each normal point of L(w) by the first threshold that
        // predicts it, and each buffered range by the first threshold that
        // predicts any of its points (the "existence" reward).
        sum_bucket.fill(0.0);
        hit_bucket.fill(0);
        for &(a, b, k0, k1) in buffered.iter() {
            let mut hit = self.range_first[k0..=k1].iter().copied().min().unwrap_or(0);
            let mut visit = |from: usize, to: usize| {
                for (&f, &v) in self.first[from..to].iter().zip(&extended[from..to]) {
                    sum_bucket[f] += v.min(1.0);
                    hit = hit.min(f);
                }
            };
            visit(a, self.ranges[k0].0);
            for k in k0..k1 {
                visit(self.ranges[k].1 + 1, self.ranges[k + 1].0);
            }
            visit(self.ranges[k1].1 + 1, b + 1);
            hit_bucket[hit] += 1;
        }
        // Leave the buffer zeroed for the next window.
        for &(s, e) in &self.ranges {
            let after_end = e.saturating_add(half).saturating_add(1).min(n);
            extended[e + 1..after_end.max(e + 1)].fill(0.0);
            extended[s.saturating_sub(half)..s].fill(0.0);
        }

        // The curves, integrated on the fly.
        let p = self.n_pos as f64;
        let n_ranges = buffered.len() as f64;
        let (mut extended_sum, mut hits) = (0.0, 0usize);
        let (mut prev_tpr, mut prev_fpr) = (0.0, 0.0);
        let (mut roc, mut pr) = (0.0, 0.0);
        for j in 0..self.thresholds() {
            extended_sum += sum_bucket[j];
            hits += hit_bucket[j];
            let tp = self.tp_anomaly[j] + extended_sum;
            let n_labels = p + extended_sum;
            let p_new = (p + n_labels) / 2.0;
            let recall = (tp / p_new).min(1.0);
            let tpr = recall * (hits as f64 / n_ranges);
            let fpr = (self.n_pred[j] - tp) / (n as f64 - p_new);
            let precision = tp / self.n_pred[j];
            roc += (fpr - prev_fpr) * ((tpr + prev_tpr) / 2.0);
            pr += (tpr - prev_tpr) * precision;
            prev_tpr = tpr;
            prev_fpr = fpr;
        }
        roc += (1.0 - prev_fpr) * ((1.0 + prev_tpr) / 2.0);
        (roc, pr)
    }
}

/// Per-thread work space of [`Input::areas`].
struct Scratch {
    /// Extended labels of the buffer zones (zero elsewhere between uses).
    extended: Vec<f64>,
    /// Buffered ranges of the current window.
    buffered: Vec<(usize, usize, usize, usize)>,
    /// Sum of the extended labels of the normal points first predicted at
    /// each threshold.
    sum_bucket: Vec<f64>,
    /// Buffered ranges first hit at each threshold.
    hit_bucket: Vec<usize>,
}

impl Scratch {
    fn new(n: usize, thresholds: usize) -> Self {
        Self {
            extended: vec![0.0; n],
            buffered: Vec::new(),
            sum_bucket: vec![0.0; thresholds],
            hit_bucket: vec![0; thresholds],
        }
    }
}

/// `np.linspace(0, n - 1, count).astype(int)` for `n ≥ 1`, `count ≥ 2`:
/// `k · step` truncated, the last one exactly `n − 1`.
fn linspace_indices(n: usize, count: usize) -> Vec<usize> {
    let last = n - 1;
    let step = last as f64 / (count - 1) as f64;
    (0..count)
        .map(|k| {
            if k + 1 == count {
                last
            } else {
                // Non-negative and below `last`: the cast truncates like
                // `astype(int)`.
                ((k as f64 * step) as usize).min(last)
            }
        })
        .collect()
}

/// TSB-AD's fallback period when the autocorrelation has no usable peak.
const FALLBACK_LENGTH: usize = 125;

/// The dominant period of `series`, as TSB-AD's
/// `TSB_AD.utils.slidingWindows.find_length_rank(series, rank=1)` finds it
/// to choose the VUS `sliding_window` (and detectors' window sizes).
///
/// Of the first 20 000 points, the autocorrelation (`statsmodels` `acf`:
/// mean removed, biased autocovariance divided by lag 0) at lags 3..=400 is
/// searched for strict local maxima (`scipy.signal.argrelextrema` with
/// `np.greater`: interior points greater than both neighbours); the highest
/// one's lag is returned, or 125 when there is none or it lies below lag 6
/// or above lag 303.
///
/// Differences from TSB-AD, deliberate: the autocovariance is summed
/// directly (O(400 · n)) instead of through an FFT, so values differ in the
/// last bits and a comparison between two autocorrelations equal to ~1e-15
/// could go the other way (never seen on real series; the fixtures agree);
/// among peaks of exactly equal height the largest lag wins (NumPy's
/// unstable `argsort` leaves this unspecified); a series of fewer than two
/// points gives 125 (TSB-AD raises). NaN or infinite values give 125, as in
/// TSB-AD (every autocorrelation is NaN, so nothing is a peak); so does a
/// constant series.
pub fn find_length(series: ArrayView1<'_, f64>) -> usize {
    const BASE: usize = 3;
    const MAX_LAG: usize = 400;
    const MAX_POINTS: usize = 20_000;
    let n = series.len().min(MAX_POINTS);
    if n < 2 {
        return FALLBACK_LENGTH;
    }
    let x: Vec<f64> = series.iter().take(n).copied().collect();
    let mean = np_sum(&x) / n as f64;
    let xo: Vec<f64> = x.iter().map(|&v| v - mean).collect();
    let nf = n as f64;
    let max_lag = MAX_LAG.min(n - 1);
    let acov: Vec<f64> = (0..=max_lag)
        .into_par_iter()
        .map(|k| dot(&xo[k..], &xo[..n - k]) / nf)
        .collect();
    let auto_corr: Vec<f64> = acov.iter().skip(BASE).map(|&c| c / acov[0]).collect();
    highest_peak(&auto_corr).map_or(FALLBACK_LENGTH, |i| i + BASE)
}

/// The index of the highest strict local maximum of `auto_corr` (an
/// interior point greater than both neighbours, as `argrelextrema(.,
/// np.greater)`; plateaus are no peaks), the last of equal heights; `None`
/// when there is none or it is below 3 or above 300 (TSB-AD's bounds).
fn highest_peak(auto_corr: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for i in 1..auto_corr.len().saturating_sub(1) {
        let v = auto_corr[i];
        if v > auto_corr[i - 1] && v > auto_corr[i + 1] && best.is_none_or(|(_, b)| v >= b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i).filter(|i| (3..=300).contains(i))
}

/// `Σ a_i · b_i` over equal-length slices, in eight interleaved partial
/// sums (so the loop vectorises), combined pairwise, then the tail.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (a_tail, b_tail) = (a8.remainder(), b8.remainder());
    for (ca, cb) in a8.zip(b8) {
        for ((s, &x), &y) in acc.iter_mut().zip(ca).zip(cb) {
            *s += x * y;
        }
    }
    let mut total =
        ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (&x, &y) in a_tail.iter().zip(b_tail) {
        total += x * y;
    }
    total
}

#[cfg(test)]
mod tests;
