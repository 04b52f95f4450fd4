//! Decision thresholds that need no contamination guess: pythresh's IQR, MAD,
//! z-score, Otsu, Karcher-mean and GESD thresholders and its clustering one,
//! beside today's `(1 - contamination)` quantile.
//!
//! Why this exists: a detector's scores only become alarms through a
//! threshold, and the usual one needs the anomaly ratio, which a user does not
//! know. pythresh (Perini et al.'s reference library) collects rules that pick
//! the threshold from the scores alone; anml reproduces the common ones to
//! 1e-9 (`tests/thresholds_parity.rs`) so that a record's F1 at "otsu" means
//! what it means there.
//!
//! Conventions, as pythresh's `BaseThresholder`: a method is fitted on the
//! training scores, min–max normalised with their minimum and maximum
//! ([`Scale`]); its threshold lives in that scale ([`Threshold::normalised`])
//! and is also given in the raw score scale ([`Threshold::value`]). New scores
//! are normalised with the *training* minimum and maximum and compared in the
//! normalised scale, so a point of the training set gets exactly the label
//! pythresh's `eval` gives it. A score is flagged when it is `>=` the threshold
//! (pythresh's `cut`), except for `otsu` (pythresh's HIST flags `>`) and
//! `contamination` (PyOD's `predict`: `>` the quantile, in the raw scale).
//!
//! One registration table, [`METHODS`], drives the CLI's `--threshold` values,
//! the script function `threshold(scores, method)` and its docs, and the
//! `thresholds` object of every tabular run record.

mod clust;
mod contamination;
mod gesd;
mod iqr;
mod karch;
mod mad;
mod otsu;
mod record;
mod stats;
mod zscore;

pub use record::{MethodScores, ThresholdScores, evaluate, precision_recall_f1};

use ndarray::ArrayView1;
use thiserror::Error;

/// What can stop a threshold from being fitted.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ThresholdError {
    #[error("no scores to threshold")]
    Empty,
    #[error("score {index} is {value}: thresholds need finite scores")]
    NonFinite { index: usize, value: f64 },
    #[error("all {n} scores are equal ({value}): min-max normalisation is undefined")]
    Constant { n: usize, value: f64 },
    #[error("unknown threshold method `{0}`; known: {known}", known = names().join(", "))]
    Unknown(String),
    #[error("threshold option `{name}`: {message}")]
    BadOption { name: String, message: String },
    #[error("{method}: {message}")]
    CannotFit {
        method: &'static str,
        message: String,
    },
}

/// Which side of the threshold is an outlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// `score >= threshold` (pythresh's `cut`).
    AtLeast,
    /// `score > threshold` (pythresh's HIST, PyOD's `predict`).
    Above,
}

/// The training scores' minimum and maximum: pythresh's `_prenorm`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
}

impl Scale {
    /// `(x - min) / (max - min)`, as pythresh's `normalize`.
    pub fn normalise(&self, x: f64) -> f64 {
        (x - self.min) / (self.max - self.min)
    }

    /// The raw score whose normalised value is `t`.
    pub fn denormalise(&self, t: f64) -> f64 {
        self.min + t * (self.max - self.min)
    }
}

/// The training scores as a method sees them: checked, with their scale and
/// their normalised values.
#[derive(Debug, Clone)]
pub struct Scores<'a> {
    pub raw: ArrayView1<'a, f64>,
    pub scale: Scale,
    pub normalised: Vec<f64>,
}

impl<'a> Scores<'a> {
    /// Check (non-empty, finite, not constant) and normalise.
    pub fn new(raw: ArrayView1<'a, f64>) -> Result<Self, ThresholdError> {
        if raw.is_empty() {
            return Err(ThresholdError::Empty);
        }
        if let Some((index, &value)) = raw.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ThresholdError::NonFinite { index, value });
        }
        let min = raw.iter().copied().fold(f64::INFINITY, f64::min);
        let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if min == max {
            return Err(ThresholdError::Constant {
                n: raw.len(),
                value: min,
            });
        }
        let scale = Scale { min, max };
        let normalised = raw.iter().map(|&x| scale.normalise(x)).collect();
        Ok(Self {
            raw,
            scale,
            normalised,
        })
    }

    /// The raw score of the point whose normalised value is the smallest at
    /// or above `t`: the threshold of methods that flag from a data point.
    fn raw_at(&self, t: f64) -> f64 {
        self.normalised
            .iter()
            .zip(self.raw.iter())
            .filter(|(z, _)| **z >= t)
            .map(|(_, &x)| x)
            .fold(f64::INFINITY, f64::min)
    }
}

/// Options a method may read; pythresh's defaults otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The anomaly ratio of the `contamination` method, in (0, 0.5].
    pub contamination: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            contamination: crate::detectors::DEFAULT_CONTAMINATION,
        }
    }
}

impl Options {
    /// Refuse a contamination outside (0, 0.5] (the detectors' own rule).
    pub fn validate(&self) -> Result<(), ThresholdError> {
        let c = self.contamination;
        if !(c > 0.0 && c <= 0.5) {
            return Err(ThresholdError::BadOption {
                name: "contamination".into(),
                message: format!("{c} is not in (0, 0.5]"),
            });
        }
        Ok(())
    }
}

/// A fitted threshold: where it lies and how it flags new scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub method: &'static str,
    /// In the raw score scale.
    pub value: f64,
    /// In pythresh's min-max normalised scale of the training scores.
    pub normalised: f64,
    pub scale: Scale,
    pub cut: Cut,
    /// Compare in the raw scale (`contamination`) rather than the
    /// normalised one.
    raw_space: bool,
}

impl Threshold {
    /// A threshold compared in the normalised scale.
    fn normalised(
        method: &'static str,
        scores: &Scores<'_>,
        normalised: f64,
        value: f64,
        cut: Cut,
    ) -> Self {
        Self {
            method,
            value,
            normalised,
            scale: scores.scale,
            cut,
            raw_space: false,
        }
    }

    /// Whether `score` (raw scale) is an outlier.
    pub fn flags(&self, score: f64) -> bool {
        let (x, t) = if self.raw_space {
            (score, self.value)
        } else {
            (self.scale.normalise(score), self.normalised)
        };
        match self.cut {
            Cut::AtLeast => x >= t,
            Cut::Above => x > t,
        }
    }

    /// 1 for each flagged score, 0 otherwise.
    pub fn labels(&self, scores: ArrayView1<'_, f64>) -> Vec<u8> {
        scores.iter().map(|&s| u8::from(self.flags(s))).collect()
    }
}

/// One registered method.
pub struct MethodSpec {
    pub name: &'static str,
    /// One line, for lists.
    pub summary: &'static str,
    /// The rule and its reference, for `:doc` and the docs.
    pub doc: &'static str,
    pub fit: fn(&Scores<'_>, &Options) -> Result<Threshold, ThresholdError>,
}

/// Every method, in record order. The first is the default of
/// `--threshold` (today's rule).
pub static METHODS: &[MethodSpec] = &[
    MethodSpec {
        name: "contamination",
        summary: "the (1 - contamination) quantile of the training scores (PyOD's rule)",
        doc: "The (1 - contamination) linear quantile of the training scores; scores above it \
              are flagged. In a run the contamination is the detector's (default 0.1; the \
              dataset's anomaly ratio under `--protocol pyod`).",
        fit: contamination::fit,
    },
    MethodSpec {
        name: "iqr",
        summary: "Q3 + 1.5 IQR of the normalised scores (pythresh IQR)",
        doc: "Q3 + 1.5 (Q3 - Q1), quartiles by numpy's `midpoint` method (pythresh IQR).",
        fit: iqr::fit,
    },
    MethodSpec {
        name: "mad",
        summary: "mean + MAD / std of the normalised scores (pythresh MAD)",
        doc: "mean + median(|x - median(x)|) / std(x) of the normalised scores (pythresh MAD, \
              factor 1).",
        fit: mad::fit,
    },
    MethodSpec {
        name: "zscore",
        summary: "smallest score with z-score >= 1 (pythresh ZSCORE)",
        doc: "The smallest score whose z-score (x - mean) / std is at least 1 (pythresh ZSCORE, \
              factor 1).",
        fit: zscore::fit,
    },
    MethodSpec {
        name: "otsu",
        summary: "Otsu's between-class variance maximum on a histogram (pythresh HIST otsu)",
        doc: "Otsu's method on a histogram of int(n^0.7) bins over [0, 1] of the normalised \
              scores: the bin centre maximising the between-class variance (pythresh \
              HIST(method=\"otsu\")); scores above it are flagged.",
        fit: otsu::fit,
    },
    MethodSpec {
        name: "karch",
        summary: "Karcher mean of the KDE-weighted scores + std (pythresh KARCH)",
        doc: "The Euclidean Karcher (Frechet) mean of the outer product of the scores' Gaussian \
              KDE (Scott's bandwidth, on min(n, 5000) grid points, cubic-spline upsampled) \
              with the sorted scores, plus the scores' std (pythresh KARCH, method complex).",
        fit: karch::fit,
    },
    MethodSpec {
        name: "gesd",
        summary: "smallest outlier of the generalised ESD test, alpha 0.05 (pythresh GESD)",
        doc: "Rosner's generalised extreme studentized deviate test with up to n/2 outliers at \
              alpha = 0.05: the smallest removed score whose Grubbs statistic exceeds its \
              critical value (pythresh GESD); nothing is flagged when none does.",
        fit: gesd::fit,
    },
    MethodSpec {
        name: "clust",
        summary: "two-cluster k-means split of the scores (pythresh CLUST kmeans)",
        doc: "scikit-learn's KMeans(n_clusters=2) on the normalised scores (k-means++ start \
              from numpy's RandomState(1234), as pythresh seeds it); the minority cluster is \
              the outliers, and the threshold is the midpoint of the two centres, where \
              KMeans.predict changes cluster (pythresh CLUST(method=\"kmeans\")).",
        fit: clust::fit,
    },
];

/// The registered names, in table order.
pub fn names() -> Vec<&'static str> {
    METHODS.iter().map(|m| m.name).collect()
}

/// The method called `name`.
pub fn method(name: &str) -> Result<&'static MethodSpec, ThresholdError> {
    METHODS
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| ThresholdError::Unknown(name.to_string()))
}

/// Fit method `name` on `scores` (the training scores).
pub fn fit(
    name: &str,
    scores: ArrayView1<'_, f64>,
    options: &Options,
) -> Result<Threshold, ThresholdError> {
    let spec = method(name)?;
    options.validate()?;
    let scores = Scores::new(scores)?;
    (spec.fit)(&scores, options)
}

#[cfg(test)]
mod tests;
