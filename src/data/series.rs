//! The in-memory time series: values over time (one or more channels),
//! per-point labels, an optional anomaly-free training part, and the
//! fingerprint of the bytes they came from.
//!
//! Why it exists: time-series detectors work on ordered points, not on
//! exchangeable rows, and their benchmarks label *ranges* (UCR anomalies,
//! NAB windows). [`TimeSeries`] keeps the order, exposes labels both as
//! points and as ranges, and provides the three transformations every
//! subsequence method needs: a training part, sliding windows, and
//! z-normalisation.

use super::DataError;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};

/// Where a series' anomaly-free training data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Training {
    /// None: unsupervised methods fit on the series itself.
    None,
    /// The first `n` points of the series (the UCR archive convention).
    Prefix(usize),
    /// A separate recording of the same process (n × channels).
    Separate(Array2<f64>),
}

/// A (possibly multichannel) time series with optional point labels.
#[derive(Debug, Clone)]
pub struct TimeSeries {
    pub name: String,
    /// n × channels, in time order.
    pub values: Array2<f64>,
    /// 1 = anomalous point, 0 = normal; `None` when unlabelled.
    pub labels: Option<Array1<u8>>,
    /// The timestamps as written in the source file, if it had any.
    pub timestamps: Option<Vec<String>>,
    pub training: Training,
    /// SHA-256 (hex) of the source file, or of the list of source files'
    /// hashes when the series is read from several.
    pub sha256: String,
    /// Where it came from (`UCR`, `NAB`, a path).
    pub source: String,
}

impl TimeSeries {
    /// Build and check: at least one point and channel, finite values,
    /// labels (if any) one per point and 0/1, a training part that fits.
    pub fn new(
        name: impl Into<String>,
        values: Array2<f64>,
        labels: Option<Array1<u8>>,
        training: Training,
        sha256: impl Into<String>,
        source: impl Into<String>,
    ) -> Result<Self, DataError> {
        let name = name.into();
        let shape = |message: String| DataError::Shape {
            dataset: name.clone(),
            message,
        };
        let (n, channels) = values.dim();
        if n == 0 || channels == 0 {
            return Err(shape(format!(
                "series is empty ({n} points × {channels} channels)"
            )));
        }
        check_finite(&name, values.view())?;
        if let Some(y) = &labels {
            if y.len() != n {
                return Err(shape(format!("{n} points but {} labels", y.len())));
            }
            if let Some((row, &v)) = y.iter().enumerate().find(|(_, v)| **v > 1) {
                return Err(DataError::BadLabel {
                    dataset: name,
                    row,
                    value: f64::from(v),
                });
            }
        }
        match &training {
            Training::Prefix(len) if *len == 0 || *len >= n => {
                return Err(shape(format!(
                    "training prefix of {len} points must leave test points in a series of {n}"
                )));
            }
            Training::Separate(train) => {
                if train.nrows() == 0 || train.ncols() != channels {
                    return Err(shape(format!(
                        "training series is {} × {} but the series has {channels} channel(s)",
                        train.nrows(),
                        train.ncols()
                    )));
                }
                check_finite(&name, train.view())?;
            }
            _ => {}
        }
        Ok(Self {
            name,
            values,
            labels,
            timestamps: None,
            training,
            sha256: sha256.into(),
            source: source.into(),
        })
    }

    /// Attach the timestamps read from the file (one per point).
    pub fn with_timestamps(mut self, timestamps: Vec<String>) -> Result<Self, DataError> {
        if let Some(message) = timestamps_len_mismatch(&timestamps, self.len()) {
            return Err(DataError::Shape {
                dataset: self.name,
                message,
            });
        }
        self.timestamps = Some(timestamps);
        Ok(self)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.nrows()
    }

    /// Always false: a series has at least one point.
    pub fn is_empty(&self) -> bool {
        self.values.nrows() == 0
    }

    pub fn n_channels(&self) -> usize {
        self.values.ncols()
    }

    /// Number of points labelled anomalous (0 when unlabelled).
    pub fn n_anomalous_points(&self) -> usize {
        self.labels
            .as_ref()
            .map_or(0, |y| y.iter().filter(|&&v| v != 0).count())
    }

    /// The single channel of a univariate series; an error naming the
    /// channel count otherwise.
    pub fn univariate(&self) -> Result<ArrayView1<'_, f64>, DataError> {
        if self.n_channels() != 1 {
            return Err(DataError::Shape {
                dataset: self.name.clone(),
                message: format!(
                    "needs a univariate series, but it has {} channels (pick one with channel(i))",
                    self.n_channels()
                ),
            });
        }
        Ok(self.values.column(0))
    }

    /// The labelled anomalies as inclusive `(start, end)` point ranges, in
    /// order (maximal runs of label 1). Empty when unlabelled.
    pub fn ranges(&self) -> Vec<(usize, usize)> {
        self.labels
            .as_ref()
            .map_or_else(Vec::new, |y| label_ranges(y.view()))
    }

    /// The anomaly-free training data, if the series has any: the prefix or
    /// the separate recording.
    pub fn training_values(&self) -> Option<ArrayView2<'_, f64>> {
        match &self.training {
            Training::None => None,
            Training::Prefix(len) => Some(self.values.slice(s![..*len, ..])),
            Training::Separate(train) => Some(train.view()),
        }
    }

    /// Length of the training prefix (0 unless [`Training::Prefix`]).
    pub fn train_prefix(&self) -> usize {
        match self.training {
            Training::Prefix(len) => len,
            _ => 0,
        }
    }

    /// The points `start..end` as a new series (labels and timestamps
    /// sliced too; a training prefix is kept only if it still fits).
    pub fn slice(&self, start: usize, end: usize) -> Result<Self, DataError> {
        if start >= end || end > self.len() {
            return Err(DataError::Shape {
                dataset: self.name.clone(),
                message: format!(
                    "slice {start}..{end} is empty or outside the series (0..{})",
                    self.len()
                ),
            });
        }
        let training = match &self.training {
            Training::Prefix(len) if start == 0 && *len < end => Training::Prefix(*len),
            Training::Separate(t) => Training::Separate(t.clone()),
            _ => Training::None,
        };
        let mut out = Self::new(
            format!("{}[{start}..{end}]", self.name),
            self.values.slice(s![start..end, ..]).to_owned(),
            self.labels
                .as_ref()
                .map(|y| y.slice(s![start..end]).to_owned()),
            training,
            self.sha256.clone(),
            self.source.clone(),
        )?;
        out.timestamps = self.timestamps.as_ref().map(|t| t[start..end].to_vec());
        Ok(out)
    }

    /// Each channel shifted to mean 0 and scaled to (population) standard
    /// deviation 1; a constant channel becomes all zeros. The training part
    /// is normalised with its own statistics.
    pub fn z_normalized(&self) -> Self {
        let mut out = self.clone();
        z_normalize_columns(&mut out.values);
        if let Training::Separate(t) = &mut out.training {
            z_normalize_columns(t);
        }
        out
    }
}

/// Sliding windows of `length` points every `stride` points over `values`
/// (n × channels), one flattened window per row (time-major: all channels
/// of the first point, then the next). Window `i` starts at point
/// `i * stride`; a tail shorter than `length` is not a window.
pub fn sliding_windows(
    values: ArrayView2<'_, f64>,
    length: usize,
    stride: usize,
) -> Result<Array2<f64>, DataError> {
    let (n, channels) = values.dim();
    if length == 0 || stride == 0 {
        return Err(DataError::Window(format!(
            "window length ({length}) and stride ({stride}) must be at least 1"
        )));
    }
    if length > n {
        return Err(DataError::Window(format!(
            "window length {length} is longer than the series ({n} points)"
        )));
    }
    let count = (n - length) / stride + 1;
    let mut out = Array2::zeros((count, length * channels));
    for (i, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
        let start = i * stride;
        let window = values.slice(s![start..start + length, ..]);
        for (dst, src) in row.iter_mut().zip(window.iter()) {
            *dst = *src;
        }
    }
    Ok(out)
}

/// Maximal runs of nonzero labels as inclusive `(start, end)` ranges.
pub fn label_ranges(labels: ArrayView1<'_, u8>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, &v) in labels.iter().enumerate() {
        match (v != 0, open) {
            (true, None) => open = Some(i),
            (false, Some(start)) => {
                out.push((start, i - 1));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        out.push((start, labels.len() - 1));
    }
    out
}

/// Point labels (n of them) with the inclusive `ranges` set to 1. Ranges
/// reaching past the end are clipped.
pub fn labels_from_ranges(n: usize, ranges: &[(usize, usize)]) -> Array1<u8> {
    let mut y = Array1::zeros(n);
    for &(start, end) in ranges {
        for v in y.iter_mut().take(end.saturating_add(1).min(n)).skip(start) {
            *v = 1;
        }
    }
    y
}

fn z_normalize_columns(values: &mut Array2<f64>) {
    for mut col in values.columns_mut() {
        let n = col.len() as f64;
        let mean = col.sum() / n;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let std = var.sqrt();
        if std > 0.0 && std.is_finite() {
            col.mapv_inplace(|v| (v - mean) / std);
        } else {
            col.fill(0.0);
        }
    }
}

fn check_finite(name: &str, values: ArrayView2<'_, f64>) -> Result<(), DataError> {
    match values.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, col), &value)) => Err(DataError::NonFinite {
            dataset: name.to_string(),
            row,
            col,
            value,
        }),
        None => Ok(()),
    }
}

fn timestamps_len_mismatch(timestamps: &[String], n: usize) -> Option<String> {
    (timestamps.len() != n).then(|| format!("{n} points but {} timestamps", timestamps.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn series(values: Array2<f64>, labels: Option<Array1<u8>>) -> TimeSeries {
        TimeSeries::new("t", values, labels, Training::None, "sha", "test").unwrap()
    }

    #[test]
    fn ranges_round_trip() {
        let y = array![1u8, 0, 0, 1, 1, 0, 1];
        assert_eq!(label_ranges(y.view()), vec![(0, 0), (3, 4), (6, 6)]);
        assert_eq!(labels_from_ranges(7, &[(0, 0), (3, 4), (6, 9)]), y);
        assert!(label_ranges(array![0u8, 0].view()).is_empty());
    }

    #[test]
    fn windows_are_time_major_and_drop_the_tail() {
        let v = array![
            [1.0, 10.0],
            [2.0, 20.0],
            [3.0, 30.0],
            [4.0, 40.0],
            [5.0, 50.0]
        ];
        let w = sliding_windows(v.view(), 2, 2).unwrap();
        assert_eq!(w, array![[1.0, 10.0, 2.0, 20.0], [3.0, 30.0, 4.0, 40.0]]);
        let w = sliding_windows(v.view(), 3, 1).unwrap();
        assert_eq!(w.dim(), (3, 6));
        assert!(sliding_windows(v.view(), 6, 1).is_err());
        assert!(sliding_windows(v.view(), 0, 1).is_err());
        assert!(sliding_windows(v.view(), 2, 0).is_err());
    }

    #[test]
    fn z_normalisation_per_channel_and_constant_channels() {
        let s = series(array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]], None).z_normalized();
        let c0: Vec<f64> = s.values.column(0).to_vec();
        let expect = 1.5f64.sqrt();
        assert!((c0[0] + expect).abs() < 1e-12 && c0[1].abs() < 1e-12);
        assert_eq!(s.values.column(1).to_vec(), vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn validation() {
        let e = TimeSeries::new("t", Array2::zeros((0, 1)), None, Training::None, "", "");
        assert!(matches!(e, Err(DataError::Shape { .. })));
        let e = TimeSeries::new("t", array![[1.0], [f64::NAN]], None, Training::None, "", "");
        assert!(matches!(e, Err(DataError::NonFinite { row: 1, .. })));
        let e = TimeSeries::new(
            "t",
            array![[1.0]],
            Some(array![0, 1]),
            Training::None,
            "",
            "",
        );
        assert!(matches!(e, Err(DataError::Shape { .. })));
        let e = TimeSeries::new("t", array![[1.0], [2.0]], None, Training::Prefix(2), "", "");
        assert!(matches!(e, Err(DataError::Shape { .. })));
        let e = TimeSeries::new(
            "t",
            array![[1.0], [2.0]],
            None,
            Training::Separate(array![[1.0, 2.0]]),
            "",
            "",
        );
        assert!(matches!(e, Err(DataError::Shape { .. })));
        let s = series(array![[1.0], [2.0]], None);
        assert!(s.clone().with_timestamps(vec!["a".into()]).is_err());
        assert!(s.univariate().is_ok());
        let m = series(array![[1.0, 2.0]], None);
        assert!(
            m.univariate()
                .unwrap_err()
                .to_string()
                .contains("2 channels")
        );
    }

    #[test]
    fn slicing_keeps_labels_and_prefix() {
        let s = TimeSeries::new(
            "t",
            array![[1.0], [2.0], [3.0], [4.0]],
            Some(array![0, 0, 1, 0]),
            Training::Prefix(1),
            "h",
            "src",
        )
        .unwrap();
        let t = s.slice(0, 3).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.train_prefix(), 1);
        assert_eq!(t.ranges(), vec![(2, 2)]);
        let u = s.slice(1, 4).unwrap();
        assert_eq!(u.train_prefix(), 0);
        assert!(s.slice(2, 2).is_err());
        assert_eq!(s.training_values().unwrap().dim(), (1, 1));
    }
}
