//! Time-series detectors: one score per point of a [`TimeSeries`].
//!
//! Why it exists: users compare subsequence methods (the matrix profile)
//! with tabular detectors run on sliding windows, as TSB-AD does for its
//! IForest/LOF/KNN/PCA baselines. Rather than a second zoo, one adapter
//! lifts *every* registered tabular detector to series, and the matrix
//! profile is the one natively sequential method. Both go through
//! [`SeriesDetector`]: validated parameters first, then a fit on the
//! training part, then per-point scores.
//!
//! Parameters (besides the tabular detector's own):
//! - `window` (default 100, or the detector's entry in [`SERIES_DEFAULTS`]):
//!   subsequence length `m` (matrix profile) or sliding-window length;
//! - `stride` (default 1): step between windows (tabular adapter only);
//!   window and stride are at most [`MAX_WINDOW`], and the window matrix a
//!   tabular detector sees at most [`MAX_WINDOW_VALUES`] values;
//! - `aggregation` (`mean` | `max` | `center`, default `mean`, or the
//!   detector's entry in [`SERIES_DEFAULTS`]): how window scores become
//!   point scores, see [`aggregate`];
//! - `normalize` (`none` | `window`, default `none`): `window` z-normalises
//!   each window (sample std, ddof 1, as TSB-AD's KNN), a constant window
//!   becoming zeros.
//!
//! Training: if the series has an anomaly-free part (a UCR prefix or a
//! separate recording) the tabular detector is fitted on its windows and
//! scores every window of the series (semi-supervised). Otherwise it is
//! fitted on the series' own windows and their *training* scores are used
//! (unsupervised, as TSB-AD). The matrix profile is always the self-join of
//! the whole series (the discord score of each subsequence); AB-joins
//! against a training part are available from the script API.

pub mod aggregate;

use super::limits::{MAX_WINDOW, MAX_WINDOW_VALUES, WINDOW_RULE, check_count};
use super::matrix_profile;
use super::{Detector, DetectorError, ParamError};
use crate::data::{TimeSeries, sliding_windows};
pub use aggregate::Aggregation;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde_json::{Map, Value};

/// The name of the native matrix-profile method.
pub const MATRIX_PROFILE: &str = "matrix_profile";

/// Keys the adapter takes for itself; every other key goes to the tabular
/// detector.
const ADAPTER_KEYS: [&str; 4] = ["window", "stride", "aggregation", "normalize"];

/// Documentation of the time-series methods, for listings and help.
pub const SERIES_METHODS: &[(&str, &str)] = &[
    (
        MATRIX_PROFILE,
        "STOMP matrix profile (z-normalised Euclidean self-join); the score of a point \
         aggregates the discord distances of the subsequences covering it",
    ),
    (
        "<any tabular detector>",
        "run on sliding windows of the series (window, stride, aggregation, normalize)",
    ),
];

/// The series setting of a tabular detector that has a published one for
/// windows (a reference implementation's benchmark configuration): what
/// the adapter uses for the keys the caller does not name.
#[derive(Debug, Clone, Copy)]
pub struct SeriesDefaults {
    pub model: &'static str,
    pub window: usize,
    pub aggregation: Aggregation,
    /// The detector's own parameters, as JSON text.
    pub params: &'static [(&'static str, &'static str)],
    /// Where the setting comes from.
    pub source: &'static str,
}

/// Per-detector series settings; a detector not listed gets the adapter's
/// defaults (window 100, aggregation `mean`).
pub static SERIES_DEFAULTS: &[SeriesDefaults] = &[SeriesDefaults {
    model: "usad",
    window: 100,
    aggregation: Aggregation::Center,
    params: &[("lr", "0.001"), ("scaling", "\"zscore\"")],
    source: "window 100 and lr 1e-3: TSB-AD 1.5's benchmark setting \
             (HP_list.Optimal_Uni_algo_HP_dict['USAD']; TSB-AD's mean VUS-PR on the NAB/UCR \
             suite series is 0.29 with it against 0.18 with its class defaults, window 5 and \
             lr 1e-4; tests/fixtures/usad); `center` is USAD.decision_function's padding; \
             z-scored input is what TSB-AD's ReconstructDataset computes (its 1.5 release \
             windows the raw series by mistake, fixed on its main branch) and gives anml a \
             mean VUS-PR of 0.405 on those series, against 0.154 with min-max scaling and \
             0.287 with raw windows (tests/usad_tsb_ad.rs)",
}];

/// The series setting of `model`, if it has one.
pub fn series_defaults(model: &str) -> Option<&'static SeriesDefaults> {
    SERIES_DEFAULTS.iter().find(|d| d.model == model)
}

/// Whether the time-series method `model` takes a parameter `key`: the
/// adapter's own keys (the matrix profile takes `window` and `aggregation`
/// only), or, for a tabular detector on windows, that detector's parameters
/// and `contamination`. Unknown models take nothing.
pub fn accepts(model: &str, key: &str) -> bool {
    if model == MATRIX_PROFILE {
        return matches!(key, "window" | "aggregation");
    }
    let Ok(spec) = super::spec(model) else {
        return false;
    };
    ADAPTER_KEYS.contains(&key)
        || key == "contamination"
        || spec.default_params().get(key).is_some()
}

/// How windows are normalised before a tabular detector sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowNorm {
    None,
    Window,
}

#[derive(Debug, Clone)]
enum Method {
    MatrixProfile,
    Subsequence(Detector),
}

/// A validated time-series detector.
#[derive(Debug, Clone)]
pub struct SeriesDetector {
    name: String,
    method: Method,
    window: usize,
    stride: usize,
    aggregation: Aggregation,
    normalize: WindowNorm,
    params: Value,
}

impl SeriesDetector {
    /// `name` is `matrix_profile` or a registered tabular detector;
    /// `params` as in the module docs. Everything is checked here, before
    /// any data is seen.
    pub fn new(name: &str, params: &Map<String, Value>) -> Result<Self, DetectorError> {
        let defaults = series_defaults(name);
        let window = usize_param(params, "window", defaults.map_or(100, |d| d.window))?;
        let stride = usize_param(params, "stride", 1)?;
        let aggregation = match params.get("aggregation") {
            None => defaults.map_or(Aggregation::Mean, |d| d.aggregation),
            Some(Value::String(s)) => Aggregation::parse(s)?,
            Some(v) => return Err(ParamError::new("aggregation", v, "a string").into()),
        };
        let normalize = match params.get("normalize").and_then(Value::as_str) {
            None if params.get("normalize").is_none() => WindowNorm::None,
            Some("none") => WindowNorm::None,
            Some("window") => WindowNorm::Window,
            _ => {
                let v = params.get("normalize").cloned().unwrap_or(Value::Null);
                return Err(ParamError::new("normalize", v, "\"none\" or \"window\"").into());
            }
        };
        if window > MAX_WINDOW {
            return Err(ParamError::new("window", window, WINDOW_RULE).into());
        }
        check_count("stride", stride, MAX_WINDOW, WINDOW_RULE)?;
        if aggregation == Aggregation::Center && stride != 1 {
            return Err(ParamError::new("stride", stride, "1 with aggregation `center`").into());
        }
        let mut inner: Map<String, Value> = params
            .iter()
            .filter(|(k, _)| !ADAPTER_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, text) in defaults.map_or(&[][..], |d| d.params) {
            if !inner.contains_key(*k) {
                let v = serde_json::from_str(text).map_err(|e| DetectorError::BadParams {
                    detector: name.to_string(),
                    message: format!("series default `{k}` = {text}: {e}"),
                })?;
                inner.insert((*k).to_string(), v);
            }
        }
        let method = if name == MATRIX_PROFILE {
            if let Some(k) = inner.keys().next() {
                return Err(DetectorError::BadParams {
                    detector: name.to_string(),
                    message: format!(
                        "unknown parameter `{k}`; matrix_profile takes window, aggregation"
                    ),
                });
            }
            if window < 3 {
                return Err(
                    ParamError::new("window", window, "at least 3 for the matrix profile").into(),
                );
            }
            Method::MatrixProfile
        } else {
            if window == 0 {
                return Err(ParamError::new("window", window, "at least 1").into());
            }
            Method::Subsequence(Detector::new(name, &inner)?)
        };
        let mut all = match &method {
            Method::Subsequence(d) => match d.all_params() {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            Method::MatrixProfile => Map::new(),
        };
        all.insert("window".into(), window.into());
        if let Method::Subsequence(_) = method {
            all.insert("stride".into(), stride.into());
            let norm = match normalize {
                WindowNorm::None => "none",
                WindowNorm::Window => "window",
            };
            all.insert("normalize".into(), norm.into());
        }
        let agg = serde_json::to_value(aggregation).unwrap_or(Value::Null);
        all.insert("aggregation".into(), agg);
        Ok(Self {
            name: name.to_string(),
            method,
            window,
            stride,
            aggregation,
            normalize,
            params: Value::Object(all),
        })
    }

    /// A copy whose stochastic tabular detector is seeded from the run seed.
    pub fn with_run_seed(&self, seed: u64) -> Result<Self, DetectorError> {
        let mut out = self.clone();
        if let Method::Subsequence(d) = &self.method {
            let seeded = d.with_run_seed(seed)?;
            if let (Value::Object(all), Value::Object(p)) = (&mut out.params, seeded.all_params()) {
                for (k, v) in p {
                    all.insert(k, v);
                }
            }
            out.method = Method::Subsequence(seeded);
        }
        Ok(out)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every parameter, resolved (adapter and tabular detector).
    pub fn params(&self) -> &Value {
        &self.params
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// One anomaly score per point of `series` (higher = more anomalous).
    pub fn score(&self, series: &TimeSeries) -> Result<Array1<f64>, DetectorError> {
        let n = series.len();
        if self.window > n {
            return Err(ParamError::new("window", self.window, "no longer than the series").into());
        }
        match &self.method {
            Method::MatrixProfile => {
                let t = series
                    .univariate()
                    .map_err(|e| DetectorError::BadParams {
                        detector: self.name.clone(),
                        message: e.to_string(),
                    })?
                    .to_vec();
                let mp = matrix_profile::self_join(&t, self.window)?;
                // Subsequences without a neighbour outside the exclusion
                // zone have an infinite profile; they get the largest
                // finite value so a point score is always finite.
                let finite_max = mp
                    .profile
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .fold(0.0, f64::max);
                let scores: Vec<f64> = mp
                    .profile
                    .iter()
                    .map(|&v| if v.is_finite() { v } else { finite_max })
                    .collect();
                aggregate::to_points(&scores, n, self.window, 1, self.aggregation)
            }
            Method::Subsequence(detector) => {
                let windows = self.windows(series.values.view())?;
                let window_scores = match series.training_values() {
                    Some(train) => {
                        let train_windows = self.windows(train)?;
                        detector
                            .fit(train_windows.view())?
                            .score_samples(windows.view())?
                    }
                    None => detector.fit_scored(windows.view())?.1,
                };
                let scores = window_scores.to_vec();
                aggregate::to_points(&scores, n, self.window, self.stride, self.aggregation)
            }
        }
    }

    fn windows(&self, values: ArrayView2<'_, f64>) -> Result<Array2<f64>, DetectorError> {
        let (n, channels) = values.dim();
        let count = n.saturating_sub(self.window) / self.stride.max(1) + 1;
        let size = count as u128 * self.window as u128 * channels as u128;
        if size > MAX_WINDOW_VALUES {
            return Err(DetectorError::BadParams {
                detector: self.name.clone(),
                message: format!(
                    "{count} windows of {} points x {channels} channels are {size} values; \
                     at most {MAX_WINDOW_VALUES} are allowed (use a shorter window or a larger stride)",
                    self.window
                ),
            });
        }
        let mut w = sliding_windows(values, self.window, self.stride).map_err(|e| {
            DetectorError::BadParams {
                detector: self.name.clone(),
                message: e.to_string(),
            }
        })?;
        if self.normalize == WindowNorm::Window {
            for mut row in w.axis_iter_mut(Axis(0)) {
                let len = row.len() as f64;
                let mean = row.sum() / len;
                let ss: f64 = row.iter().map(|v| (v - mean) * (v - mean)).sum();
                let std = if row.len() > 1 {
                    (ss / (len - 1.0)).sqrt()
                } else {
                    0.0
                };
                if std > 0.0 {
                    row.mapv_inplace(|v| (v - mean) / std);
                } else {
                    row.fill(0.0);
                }
            }
        }
        Ok(w)
    }
}

fn usize_param(
    params: &Map<String, Value>,
    key: &'static str,
    default: usize,
) -> Result<usize, ParamError> {
    match params.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .and_then(|u| usize::try_from(u).ok())
            .filter(|&u| u >= 1)
            .ok_or_else(|| ParamError::new(key, v, "a positive integer")),
    }
}

#[cfg(test)]
mod tests;
