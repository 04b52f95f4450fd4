//! NAB's sweeper (`nab/sweeper.py`), threshold optimiser
//! (`nab/optimizer.py`), corpus scorer (`nab/scorer.py`) and normalisation
//! (`nab/runner.py::normalize`).

use super::super::MetricError;
use super::profile::{CostMatrix, NabProfile};
use std::cmp::Ordering;

/// The share of each series NAB ignores at its start (`Runner`'s
/// `probationaryPercent`).
pub const PROBATIONARY_PERCENT: f64 = 0.15;

/// The threshold NAB's sweep starts from: above every score, so nothing is
/// detected.
const START_THRESHOLD: f64 = 1.1;

/// What NAB's null detector outputs for every row.
const NULL_SCORE: f64 = 0.5;

/// One series as NAB scores it: a detector's anomaly scores (one per row,
/// in [0, 1]) and the label windows as inclusive row ranges
/// `(first, last)`, in order and disjoint (see
/// `anml::data`'s NAB reader, which labels rows as NAB does).
#[derive(Debug, Clone, Copy)]
pub struct NabSeries<'a> {
    /// Anomaly score per row, in [0, 1].
    pub scores: &'a [f64],
    /// Label windows, inclusive row ranges, sorted and disjoint.
    pub windows: &'a [(usize, usize)],
}

/// NAB's `ThresholdScore`: the score and row counts at one threshold.
/// Counts are of non-probationary rows: `tp`/`fn_` are detected/undetected
/// rows inside windows, `fp`/`tn` detected/undetected rows outside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdScore {
    /// Rows scoring at least this are detections.
    pub threshold: f64,
    /// NAB's raw score.
    pub score: f64,
    pub tp: usize,
    pub tn: usize,
    pub fp: usize,
    pub fn_: usize,
    /// `tp + tn + fp + fn_`: the scored (non-probationary) rows.
    pub total: usize,
}

/// A corpus scored as NAB's runner does (optimise, score, normalise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NabScore {
    pub profile: NabProfile,
    /// The threshold used: given, or NAB's optimum for the corpus.
    pub threshold: f64,
    /// The sum over series of each series' raw score at `threshold`
    /// (the `Totals` row of NAB's `*_scores.csv`).
    pub raw: f64,
    /// The null detector's raw score (constant 0.5 scores, at its own
    /// optimised threshold): NAB's baseline, normalised to 0.
    pub null: f64,
    /// The null detector's optimised threshold.
    pub null_threshold: f64,
    /// Windows × `tpWeight`: a detection at the start of every window and
    /// nothing else, normalised to 100.
    pub perfect: f64,
    /// `100 (raw - null) / (perfect - null)`; `None` when `perfect ==
    /// null` (a corpus without windows), where NAB's formula is undefined.
    pub normalized: Option<f64>,
    /// Row counts summed over the series, as in NAB's `Totals` row.
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

/// NAB's probationary period of a series of `n` rows: the first
/// `min(floor(0.15 n), 750)` rows are not scored.
pub fn probationary_length(n: usize) -> usize {
    let share = (PROBATIONARY_PERCENT * n as f64).floor();
    // NAB's cap is `probationPercent * 5000` = 750.
    share.min(PROBATIONARY_PERCENT * 5000.0) as usize
}

/// NAB's `scaledSigmoid`: `2 / (1 + e^{5x}) - 1` for `x <= 3`, else -1.
/// It is `σ(-1) ≈ 0.98661` at a window's first row, 0 just after its
/// end and tends to -1 far past it.
pub fn scaled_sigmoid(x: f64) -> f64 {
    if x > 3.0 {
        -1.0
    } else {
        2.0 * sigmoid(-5.0 * x) - 1.0
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The raw NAB score of one series at `threshold` (a row is a detection
/// when its score is `>= threshold`), as NAB's `scoreDataSet`.
pub fn raw_score(
    series: &NabSeries,
    profile: NabProfile,
    threshold: f64,
) -> Result<f64, MetricError> {
    score_series(series, profile, threshold).map(|s| s.score)
}

/// [`raw_score`] with NAB's row counts; `threshold` is echoed back.
pub fn score_series(
    series: &NabSeries,
    profile: NabProfile,
    threshold: f64,
) -> Result<ThresholdScore, MetricError> {
    validate_series(0, series)?;
    if threshold.is_nan() {
        return Err(MetricError::NabThreshold);
    }
    Ok(Sweep::new(std::slice::from_ref(series), profile.weights()).at(threshold))
}

/// NAB's `calcScoreByThreshold` over a whole corpus: the score at NAB's
/// start threshold 1.1 (nothing detected) and then at every distinct
/// score, highest first.
pub fn threshold_scores(
    corpus: &[NabSeries],
    profile: NabProfile,
) -> Result<Vec<ThresholdScore>, MetricError> {
    validate(corpus)?;
    let mut out = Vec::new();
    Sweep::new(corpus, profile.weights()).each_threshold(|s| out.push(s));
    Ok(out)
}

/// NAB's `optimizeThreshold`: the threshold with the highest corpus score
/// among [`threshold_scores`] (the highest such threshold on ties), and
/// that score.
pub fn optimize_threshold(
    corpus: &[NabSeries],
    profile: NabProfile,
) -> Result<(f64, f64), MetricError> {
    validate(corpus)?;
    Ok(optimum(corpus, profile.weights()))
}

/// The NAB score of a corpus, as NAB's runner computes it: the threshold
/// (given, or [`optimize_threshold`]'s), each series scored at it and the
/// scores summed in corpus order, then normalised between the null
/// detector and a perfect one. A one-series corpus gives that series'
/// score.
pub fn nab_score(
    corpus: &[NabSeries],
    profile: NabProfile,
    threshold: Option<f64>,
) -> Result<NabScore, MetricError> {
    validate(corpus)?;
    if corpus.iter().all(|s| s.scores.is_empty()) {
        return Err(MetricError::Empty);
    }
    let weights = profile.weights();
    let threshold = match threshold {
        Some(t) if t.is_nan() => return Err(MetricError::NabThreshold),
        Some(t) => t,
        None => optimum(corpus, weights).0,
    };
    let (raw, counts) = total_at(corpus, weights, threshold);

    let longest = corpus.iter().map(|s| s.scores.len()).max().unwrap_or(0);
    let constant = vec![NULL_SCORE; longest];
    let null_corpus: Vec<NabSeries> = corpus
        .iter()
        .map(|s| NabSeries {
            scores: &constant[..s.scores.len()],
            windows: s.windows,
        })
        .collect();
    let null_threshold = optimum(&null_corpus, weights).0;
    let (null, _) = total_at(&null_corpus, weights, null_threshold);

    let windows: usize = corpus.iter().map(|s| s.windows.len()).sum();
    let perfect = windows as f64 * weights.tp;
    let normalized = (perfect != null).then(|| 100.0 * (raw - null) / (perfect - null));
    Ok(NabScore {
        profile,
        threshold,
        raw,
        null,
        null_threshold,
        perfect,
        normalized,
        tp: counts.tp,
        fp: counts.fp,
        fn_: counts.fn_,
        tn: counts.tn,
    })
}

/// Each series scored at `threshold` on its own, the scores summed in
/// corpus order (NAB's `scoreCorpus` totals).
fn total_at(corpus: &[NabSeries], weights: CostMatrix, threshold: f64) -> (f64, ThresholdScore) {
    let mut totals = ThresholdScore {
        threshold,
        score: 0.0,
        tp: 0,
        tn: 0,
        fp: 0,
        fn_: 0,
        total: 0,
    };
    for series in corpus {
        let s = Sweep::new(std::slice::from_ref(series), weights).at(threshold);
        totals.score += s.score;
        totals.tp += s.tp;
        totals.tn += s.tn;
        totals.fp += s.fp;
        totals.fn_ += s.fn_;
        totals.total += s.total;
    }
    (totals.score, totals)
}

fn optimum(corpus: &[NabSeries], weights: CostMatrix) -> (f64, f64) {
    let mut best: Option<(f64, f64)> = None;
    Sweep::new(corpus, weights).each_threshold(|s| {
        // NAB sorts by score, descending and stable: the first maximum wins.
        if best.is_none_or(|(_, score)| s.score > score) {
            best = Some((s.threshold, s.score));
        }
    });
    best.unwrap_or((START_THRESHOLD, 0.0))
}

fn validate(corpus: &[NabSeries]) -> Result<(), MetricError> {
    corpus
        .iter()
        .enumerate()
        .try_for_each(|(i, s)| validate_series(i, s))
}

fn validate_series(index: usize, series: &NabSeries) -> Result<(), MetricError> {
    if let Some((row, &value)) = series
        .scores
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
    {
        return Err(MetricError::NabScoreRange {
            series: index,
            index: row,
            value,
        });
    }
    let len = series.scores.len();
    let mut previous_end: Option<usize> = None;
    for (window, &(start, end)) in series.windows.iter().enumerate() {
        if start > end || end >= len {
            return Err(MetricError::NabWindowRange {
                series: index,
                window,
                start,
                end,
                len,
            });
        }
        if let Some(previous_end) = previous_end.filter(|&p| start <= p) {
            return Err(MetricError::NabWindowOrder {
                series: index,
                window,
                start,
                previous_end,
            });
        }
        previous_end = Some(end);
    }
    Ok(())
}

/// A scored (non-probationary) row: its anomaly score, NAB's weighted
/// `sweepScore` and its window (numbered across the corpus).
#[derive(Debug, Clone, Copy)]
struct Point {
    score: f64,
    sweep: f64,
    window: Option<usize>,
}

/// NAB's `AnomalyPoint` list of a corpus, sorted as
/// `prepAnomalyListForScoring` sorts it.
struct Sweep {
    /// Scored rows by anomaly score, descending; ties in corpus order.
    points: Vec<Point>,
    /// Windows with a scored row, in order of their first row in `points`:
    /// the key order of NAB's `scoreParts` dict, hence its summation order.
    window_order: Vec<usize>,
    windows: usize,
    fn_weight: f64,
}

impl Sweep {
    fn new(corpus: &[NabSeries], weights: CostMatrix) -> Self {
        let mut points = Vec::with_capacity(corpus.iter().map(|s| s.scores.len()).sum());
        let mut windows = 0;
        for series in corpus {
            push_points(series, weights, windows, &mut points);
            windows += series.windows.len();
        }
        // Stable, so equal scores keep corpus order as Python's sorted does.
        points.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal));
        let mut seen = vec![false; windows];
        let mut window_order = Vec::new();
        for w in points.iter().filter_map(|p| p.window) {
            if !seen[w] {
                seen[w] = true;
                window_order.push(w);
            }
        }
        Sweep {
            points,
            window_order,
            windows,
            fn_weight: weights.fn_,
        }
    }

    /// NAB's `sum(scoreParts.values())`: false positives first, then the
    /// windows in dict order, added left to right.
    fn total(&self, fp_part: f64, parts: &[f64]) -> f64 {
        self.window_order
            .iter()
            .fold(0.0 + fp_part, |acc, &w| acc + parts[w])
    }

    fn start_counts(&self) -> ThresholdScore {
        let inside = self.points.iter().filter(|p| p.window.is_some()).count();
        ThresholdScore {
            threshold: START_THRESHOLD,
            score: 0.0,
            tp: 0,
            tn: self.points.len() - inside,
            fp: 0,
            fn_: inside,
            total: self.points.len(),
        }
    }

    /// Visits NAB's `ThresholdScore` list, highest threshold first.
    fn each_threshold(&self, mut visit: impl FnMut(ThresholdScore)) {
        let mut parts = vec![-self.fn_weight; self.windows];
        let mut fp_part = 0.0;
        let mut row = self.start_counts();
        for p in &self.points {
            if p.score != row.threshold {
                row.score = self.total(fp_part, &parts);
                visit(row);
                row.threshold = p.score;
            }
            detect(p, &mut row, &mut fp_part, &mut parts);
        }
        row.score = self.total(fp_part, &parts);
        visit(row);
    }

    /// The score with the rows scoring `>= threshold` detected: the entry
    /// NAB's `scoreDataSet` picks for `threshold`.
    fn at(&self, threshold: f64) -> ThresholdScore {
        let mut parts = vec![-self.fn_weight; self.windows];
        let mut fp_part = 0.0;
        let mut row = self.start_counts();
        for p in self.points.iter().take_while(|p| p.score >= threshold) {
            detect(p, &mut row, &mut fp_part, &mut parts);
        }
        row.threshold = threshold;
        row.score = self.total(fp_part, &parts);
        row
    }
}

/// One more detection, as NAB's loop body in `calcScoreByThreshold`.
fn detect(p: &Point, row: &mut ThresholdScore, fp_part: &mut f64, parts: &mut [f64]) {
    match p.window {
        Some(w) => {
            row.tp += 1;
            row.fn_ -= 1;
            // Python's max(a, b) keeps a unless b > a.
            if p.sweep > parts[w] {
                parts[w] = p.sweep;
            }
        }
        None => {
            row.fp += 1;
            row.tn -= 1;
            *fp_part += p.sweep;
        }
    }
}

/// NAB's `calcSweepScore` for one series, keeping the scored rows; its
/// windows are numbered from `first_window`.
fn push_points(series: &NabSeries, weights: CostMatrix, first_window: usize, out: &mut Vec<Point>) {
    let max_tp = scaled_sigmoid(-1.0);
    let probation = probationary_length(series.scores.len());
    let mut next = 0;
    // (number, last row, width) of the window the row is in.
    let mut current: Option<(usize, usize, f64)> = None;
    // (last row, width) of the last window left.
    let mut previous: Option<(usize, f64)> = None;
    for (i, &score) in series.scores.iter().enumerate() {
        if let Some(&(start, end)) = series.windows.get(next)
            && start == i
        {
            current = Some((first_window + next, end, (end - start + 1) as f64));
            next += 1;
        }
        let sweep = match current {
            Some((_, end, width)) => {
                let position = -((end - i + 1) as f64) / width;
                scaled_sigmoid(position) * weights.tp / max_tp
            }
            None => {
                let unweighted = match previous {
                    None => -1.0,
                    // NAB divides by zero here; -1 is the limit.
                    Some((_, 1.0)) => -1.0,
                    Some((end, width)) => scaled_sigmoid((i - end) as f64 / (width - 1.0)),
                };
                unweighted * weights.fp
            }
        };
        if i >= probation {
            out.push(Point {
                // -0.0 and 0.0 are one threshold, as in Python.
                score: score + 0.0,
                sweep,
                window: current.map(|(w, _, _)| w),
            });
        }
        if let Some((_, end, width)) = current
            && end == i
        {
            previous = Some((end, width));
            current = None;
        }
    }
}
