//! The NAB score: the Numenta Anomaly Benchmark's window-based scoring of
//! streaming anomaly detectors.
//!
//! Why it exists: point-wise metrics reward a detector for flagging every
//! row of an anomaly window, while NAB rewards the *earliest* detection in
//! each window, punishes false positives by their distance from the last
//! window and normalises the result between NAB's null detector (0) and a
//! perfect one (100). Published NAB numbers are only comparable if the
//! scoring is NAB's own, so this module ports the scorer of
//! [numenta/NAB](https://github.com/numenta/NAB) at commit `ea702d7`
//! (`nab/sweeper.py`, `nab/optimizer.py`, `nab/scorer.py`,
//! `nab/runner.py::normalize`, `config/profiles.json`) operation for
//! operation, so that results agree to the last bit (floating-point
//! additions happen in NAB's order). `tests/nab_parity.rs` checks that
//! against fixtures produced by NAB's own code
//! (`scripts/gen_nab_reference.py`).
//!
//! How NAB scores (see [`raw_score`], [`optimize_threshold`],
//! [`nab_score`]):
//! * the first [`probationary_length`] rows of a series (15 %, at most 750)
//!   are ignored;
//! * a row is a detection when its score is `>= threshold`;
//! * inside a label window each row carries
//!   `tpWeight * σ(pos) / σ(-1)`, with `pos = -(end - i + 1) / width` and
//!   σ = [`scaled_sigmoid`]; a window scores the best (= earliest) of its
//!   detections, or `-fnWeight` without any;
//! * outside a window a detection costs `fpWeight * σ(past)` where `past`
//!   is the distance from the last window's end over `width - 1`, or
//!   `-fpWeight` before any window;
//! * the corpus threshold maximises the summed score over every distinct
//!   score (plus NAB's start value 1.1), the highest threshold winning ties;
//! * `normalized = 100 * (raw - null) / (perfect - null)` with `perfect` =
//!   windows × `tpWeight` and `null` = the optimised score of NAB's null
//!   detector (the constant 0.5) on the same corpus.
//!
//! Rows stand in for timestamps: windows are inclusive row ranges. The
//! data layer reads `labels/combined_windows.json` and labels each NAB
//! series' rows as NAB does (`TimeSeries::ranges` gives these windows;
//! `tests/nab_parity.rs` checks them against NAB's sweeper on all 58
//! series).
//!
//! Deliberate differences from NAB (none changes a score NAB computes):
//! * NAB's `scoreDataSet` crashes (`matchingRow` is `None`) for a threshold
//!   above 1.1, below every scored row's score, or on a series whose rows
//!   are all probationary; here those thresholds mean what they mean
//!   elsewhere: a detection is a score `>= threshold`.
//! * A one-row window followed by more rows makes NAB divide by zero
//!   (`prevWindowWidth - 1`); here those rows weigh as the limit,
//!   `σ(+∞) = -1`.
//! * NAB's normalisation divides by `perfect - null`, which is 0 for a
//!   corpus without windows (NaN or ±inf in NAB); here
//!   [`NabScore::normalized`] is `None` then.
//! * Scores outside [0, 1] or NaN, reversed, overlapping or out-of-order
//!   windows are refused with a [`MetricError`](super::MetricError).
//!   NAB's detector base refuses such scores and its label combiner such
//!   windows, but its scorer itself would misbehave silently.
//! * NAB sums its score parts with Python's `sum`, a plain left-to-right
//!   sum up to Python 3.11 (the fixtures' Python), which this module
//!   reproduces; Python 3.12 made `sum` compensated, which moves NAB's own
//!   results by a few ulps.

mod profile;
mod sweep;

#[cfg(test)]
mod tests;

pub use profile::{CostMatrix, NabProfile};
pub use sweep::{
    NabScore, NabSeries, PROBATIONARY_PERCENT, ThresholdScore, nab_score, optimize_threshold,
    probationary_length, raw_score, scaled_sigmoid, score_series, threshold_scores,
};
