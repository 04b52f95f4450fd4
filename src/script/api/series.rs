//! Script functions for time series: loading, windows, the matrix profile
//! and discords, time-series detectors and their metrics (VUS, NAB, UCR).

use crate::script::api::convert::msg_err;
use rhai::plugin::*;
use rhai::{Array, Dynamic, EvalAltResult};

pub(crate) fn positive(what: &str, v: i64) -> Result<usize, Box<EvalAltResult>> {
    usize::try_from(v)
        .ok()
        .filter(|&u| u >= 1)
        .ok_or_else(|| msg_err(format!("{what} must be at least 1, got {v}")))
}

/// The series detector a script asks for, seeded from `params.seed` (0 by
/// default), and that seed.
pub(crate) fn detector_and_seed(
    model: &str,
    params: &rhai::Map,
) -> Result<(crate::detectors::series::SeriesDetector, u64), Box<EvalAltResult>> {
    use crate::script::api::convert::{ctx_err, map_to_json};
    let mut p = map_to_json(params)?;
    let seed = match p.remove("seed") {
        None => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| msg_err(format!("seed must be a non-negative integer, got {v}")))?,
    };
    let det = crate::bench::series::series_detector(model, &p, seed).map_err(ctx_err)?;
    Ok((det, seed))
}

/// Refuse a series detection whose sliding windows (one row per window,
/// `window x channels` values each) would not fit in the memory budget,
/// before the detector builds them. The matrix profile builds none.
pub(crate) fn check_series_windows(
    ctx: &rhai::NativeCallContext,
    det: &crate::detectors::series::SeriesDetector,
    ts: &crate::data::TimeSeries,
) -> Result<(), Box<EvalAltResult>> {
    if det.name() == "matrix_profile" {
        return Ok(());
    }
    let (n, channels) = ts.values.dim();
    let window = det.window();
    let stride = det
        .params()
        .get("stride")
        .and_then(|v| v.as_u64())
        .and_then(|s| usize::try_from(s).ok())
        .filter(|&s| s >= 1)
        .unwrap_or(1);
    if window == 0 || window > n {
        return Ok(()); // the detector's own error says why
    }
    let elements = ((n - window) / stride + 1)
        .saturating_mul(window)
        .saturating_mul(channels);
    let limits = crate::script::HostContext::of(ctx)?.limits;
    crate::memory::check(limits.max_memory, elements.saturating_mul(8))
        .map_err(|e| msg_err(format!("{}: windows of {window} points: {e}", det.name())))
}

pub(crate) fn range_array(ranges: &[(usize, usize)]) -> Array {
    ranges
        .iter()
        .map(|&(a, b)| Dynamic::from_array(vec![(a as i64).into(), (b as i64).into()]))
        .collect()
}

#[export_module]
pub mod series_api {
    use super::{check_series_windows, detector_and_seed, positive, range_array};
    use crate::bench::series::{SeriesProtocol, run_series};
    use crate::data::series_catalog::{SERIES, SeriesCollection};
    use crate::data::{TimeSeries, sliding_windows};
    use crate::detectors::matrix_profile;
    use crate::metrics;
    use crate::script::HostContext;
    use crate::script::api::convert::{
        check_array_len, check_matrix_alloc, ctx_err, json_to_dynamic, msg_err, non_negative,
    };
    use crate::script::types::{Labels, Matrix, ProfileRef, SeriesRef, Vector};
    use rhai::{Array, Dynamic, EvalAltResult, Map, NativeCallContext};
    use std::sync::Arc;

    /// Load a registered time series (UCR, NAB, GutenTAG, PyOD, Daphnet) by
    /// name; every file is SHA-256 verified before it is parsed.
    ///
    /// ```rhai
    /// let ts = load_series("ucr/135_InternalBleeding16");
    /// print(`${ts.len} points, training prefix ${ts.train_points}`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_series(
        ctx: NativeCallContext,
        name: &str,
    ) -> Result<SeriesRef, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        crate::memory::check(host.limits.max_memory, 0).map_err(ctx_err)?;
        let ts = host.datasets.load_series(name).map_err(ctx_err)?;
        host.record_series(&ts.name, &ts.sha256);
        Ok(SeriesRef(Arc::new(ts)))
    }

    /// Names of the registered series of a collection: `ucr`, `nab`,
    /// `gutentag`, `pyod`, `daphnet`, or `all`.
    ///
    /// ```rhai
    /// print(series_names("nab").len);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn series_names(collection: &str) -> Result<Array, Box<EvalAltResult>> {
        let known = [
            SeriesCollection::Ucr,
            SeriesCollection::Nab,
            SeriesCollection::Synthetic,
            SeriesCollection::Pyod,
            SeriesCollection::Daphnet,
        ];
        if collection != "all" && !known.iter().any(|c| c.key() == collection) {
            return Err(msg_err(format!(
                "unknown collection `{collection}`; known: all, ucr, nab, gutentag, pyod, daphnet"
            )));
        }
        Ok(SERIES
            .iter()
            .filter(|s| collection == "all" || s.collection.key() == collection)
            .map(|s| Dynamic::from(s.name.to_string()))
            .collect())
    }

    /// A univariate series from script values (no labels).
    ///
    /// ```rhai
    /// let ts = series_from(vector([1.0, 2.0, 1.0, 2.0, 9.0, 2.0]));
    /// print(ts.len);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn series_from(values: Vector) -> Result<SeriesRef, Box<EvalAltResult>> {
        let v = values.0.to_vec();
        let n = v.len();
        let x = ndarray::Array2::from_shape_vec((n, 1), v).map_err(|e| msg_err(e.to_string()))?;
        let sha = crate::hashing::sha256_hex(
            &x.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>(),
        );
        TimeSeries::new(
            "script",
            x,
            None,
            crate::data::Training::None,
            sha,
            "script",
        )
        .map(|s| SeriesRef(Arc::new(s)))
        .map_err(ctx_err)
    }

    /// The series' name.
    ///
    /// ```rhai
    /// print(load_series("pyod/ts_demo_uni").name);
    /// ```
    #[rhai_fn(get = "name", pure)]
    pub fn name(ts: &mut SeriesRef) -> String {
        ts.0.name.clone()
    }

    /// Number of points.
    ///
    /// ```rhai
    /// print(load_series("pyod/ts_demo_uni").len);
    /// ```
    #[rhai_fn(get = "len", pure)]
    pub fn len(ts: &mut SeriesRef) -> i64 {
        ts.0.len() as i64
    }

    /// Number of channels.
    ///
    /// ```rhai
    /// print(load_series("pyod/ts_demo_multi").n_channels);
    /// ```
    #[rhai_fn(get = "n_channels", pure)]
    pub fn n_channels(ts: &mut SeriesRef) -> i64 {
        ts.0.n_channels() as i64
    }

    /// Points of the anomaly-free training part (prefix or separate
    /// recording); 0 when there is none.
    ///
    /// ```rhai
    /// print(load_series("ucr/135_InternalBleeding16").train_points);
    /// ```
    #[rhai_fn(get = "train_points", pure)]
    pub fn train_points(ts: &mut SeriesRef) -> i64 {
        ts.0.training_values().map_or(0, |t| t.nrows() as i64)
    }

    /// Point labels (1 = anomalous point); all zeros when unlabelled.
    ///
    /// ```rhai
    /// print(load_series("pyod/ts_demo_uni").labels);
    /// ```
    #[rhai_fn(get = "labels", pure)]
    pub fn labels(ts: &mut SeriesRef) -> Labels {
        let y =
            ts.0.labels
                .clone()
                .unwrap_or_else(|| ndarray::Array1::zeros(ts.0.len()));
        Labels::Owned(Arc::new(y))
    }

    /// Labelled anomalies as `[start, end]` ranges (inclusive).
    ///
    /// ```rhai
    /// print(load_series("ucr/135_InternalBleeding16").ranges);
    /// ```
    #[rhai_fn(get = "ranges", pure)]
    pub fn ranges(ts: &mut SeriesRef) -> Array {
        range_array(&ts.0.ranges())
    }

    /// One channel's values as a vector.
    ///
    /// ```rhai
    /// let v = load_series("pyod/ts_demo_multi").channel(2);
    /// print(v.len);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn channel(ts: &mut SeriesRef, i: i64) -> Result<Vector, Box<EvalAltResult>> {
        let c = usize::try_from(i)
            .ok()
            .filter(|&c| c < ts.0.n_channels())
            .ok_or_else(|| {
                msg_err(format!(
                    "channel {i} does not exist; the series has {} channel(s)",
                    ts.0.n_channels()
                ))
            })?;
        Ok(Vector(Arc::new(ts.0.values.column(c).to_owned())))
    }

    /// Points `start..end` as a new series (labels kept).
    ///
    /// ```rhai
    /// print(load_series("ucr/135_InternalBleeding16").slice(4000, 4500).ranges);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn slice(
        ts: &mut SeriesRef,
        start: i64,
        end: i64,
    ) -> Result<SeriesRef, Box<EvalAltResult>> {
        let start = non_negative("start", start)? as usize;
        let end = non_negative("end", end)? as usize;
        ts.0.slice(start, end)
            .map(|s| SeriesRef(Arc::new(s)))
            .map_err(ctx_err)
    }

    /// Each channel z-normalised (mean 0, population std 1; a constant
    /// channel becomes zeros).
    ///
    /// ```rhai
    /// let z = load_series("pyod/ts_demo_uni").z_normalized();
    /// print(z.channel(0).len);
    /// ```
    #[rhai_fn(pure)]
    pub fn z_normalized(ts: &mut SeriesRef) -> SeriesRef {
        SeriesRef(Arc::new(ts.0.z_normalized()))
    }

    /// Sliding windows (`length` points every `stride`) as a matrix, one
    /// flattened window per row.
    ///
    /// ```rhai
    /// let w = load_series("pyod/ts_demo_uni").windows(20, 5);
    /// print(w.shape);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn windows(
        ctx: NativeCallContext,
        ts: &mut SeriesRef,
        length: i64,
        stride: i64,
    ) -> Result<Matrix, Box<EvalAltResult>> {
        let length = positive("window length", length)?;
        let stride = positive("stride", stride)?;
        let (n, channels) = ts.0.values.dim();
        if length <= n {
            // The matrix sliding_windows would allocate, refused before it does.
            let rows = (n - length) / stride + 1;
            let elements = rows.saturating_mul(length).saturating_mul(channels);
            check_matrix_alloc(&HostContext::of(&ctx)?.limits, "windows", elements, 8)?;
        }
        sliding_windows(ts.0.values.view(), length, stride)
            .map(|w| Matrix::Owned(Arc::new(w)))
            .map_err(ctx_err)
    }

    /// The matrix profile of a univariate series: STOMP z-normalised
    /// Euclidean self-join with subsequence length `m` (exclusion zone
    /// ⌈m/4⌉, as stumpy).
    ///
    /// ```rhai
    /// let mp = matrix_profile(load_series("ucr/135_InternalBleeding16"), 100);
    /// print(mp.profile.len);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn matrix_profile(ts: SeriesRef, m: i64) -> Result<ProfileRef, Box<EvalAltResult>> {
        let m = positive("m", m)?;
        let t = ts.0.univariate().map_err(ctx_err)?.to_vec();
        matrix_profile::self_join(&t, m)
            .map(|p| ProfileRef(Arc::new(p)))
            .map_err(ctx_err)
    }

    /// The AB-join: for every subsequence of `a`, its nearest neighbour in
    /// `b` (as `stumpy.stump(a, m, b, ignore_trivial=False)`).
    ///
    /// ```rhai
    /// let ts = load_series("ucr/135_InternalBleeding16");
    /// let mp = ab_join(ts.slice(1200, 7501), ts.slice(0, 1200), 100);
    /// print(mp.profile.len);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn ab_join(a: SeriesRef, b: SeriesRef, m: i64) -> Result<ProfileRef, Box<EvalAltResult>> {
        let m = positive("m", m)?;
        let ta = a.0.univariate().map_err(ctx_err)?.to_vec();
        let tb = b.0.univariate().map_err(ctx_err)?.to_vec();
        matrix_profile::ab_join(&ta, &tb, m)
            .map(|p| ProfileRef(Arc::new(p)))
            .map_err(ctx_err)
    }

    /// The profile: the distance of each subsequence to its nearest
    /// neighbour (`inf` where there is none).
    ///
    /// ```rhai
    /// print(matrix_profile(series_from(vector([1.0, 3.0, 2.0, 5.0, 1.0, 3.0, 2.0, 5.0])), 3).profile);
    /// ```
    #[rhai_fn(get = "profile", pure)]
    pub fn profile(mp: &mut ProfileRef) -> Vector {
        Vector(Arc::new(ndarray::Array1::from(mp.0.profile.clone())))
    }

    /// The index of each subsequence's nearest neighbour (-1 where none).
    ///
    /// ```rhai
    /// print(matrix_profile(series_from(vector([1.0, 3.0, 2.0, 5.0, 1.0, 3.0, 2.0, 5.0])), 3).index);
    /// ```
    #[rhai_fn(get = "index", pure, return_raw)]
    pub fn index(ctx: NativeCallContext, mp: &mut ProfileRef) -> Result<Array, Box<EvalAltResult>> {
        check_array_len(&HostContext::of(&ctx)?.limits, "index", mp.0.index.len())?;
        Ok(mp.0.index.iter().map(|&i| Dynamic::from(i)).collect())
    }

    /// The subsequence length the profile was computed with.
    ///
    /// ```rhai
    /// print(matrix_profile(series_from(vector([1.0, 3.0, 2.0, 5.0, 1.0, 3.0, 2.0, 5.0])), 3).m);
    /// ```
    #[rhai_fn(get = "m", pure)]
    pub fn m(mp: &mut ProfileRef) -> i64 {
        mp.0.m as i64
    }

    /// The top-`k` discords: the subsequences farthest from their nearest
    /// neighbours, no two overlapping (each excludes `m` points either
    /// side), as `#{ index, distance }` maps, largest first.
    ///
    /// ```rhai
    /// let mp = matrix_profile(load_series("ucr/135_InternalBleeding16"), 100);
    /// print(discords(mp, 3));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn discords(mp: ProfileRef, k: i64) -> Result<Array, Box<EvalAltResult>> {
        let k = positive("k", k)?;
        let top = matrix_profile::discords(&mp.0, k, None).map_err(ctx_err)?;
        Ok(top
            .iter()
            .map(|d| {
                let mut m = Map::new();
                m.insert("index".into(), (d.index as i64).into());
                m.insert("distance".into(), d.distance.into());
                Dynamic::from_map(m)
            })
            .collect())
    }

    /// Score every point of a series with `matrix_profile` or any tabular
    /// detector on sliding windows. `params`: `window` (100), `stride` (1),
    /// `aggregation` (`mean`|`max`|`center`), `normalize` (`none`|`window`),
    /// `seed`, and the detector's own parameters.
    ///
    /// ```rhai
    /// let ts = load_series("pyod/ts_demo_uni");
    /// let s = score_series(ts, "knn", #{ window: 20 });
    /// print(roc_auc(ts.labels, s));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn score_series(
        ctx: NativeCallContext,
        ts: SeriesRef,
        model: &str,
        params: Map,
    ) -> Result<Vector, Box<EvalAltResult>> {
        let (det, seed) = detector_and_seed(model, &params)?;
        check_series_windows(&ctx, &det, &ts.0)?;
        HostContext::of(&ctx)?.record_seed(seed);
        det.score(&ts.0)
            .map(|s| Vector(Arc::new(s)))
            .map_err(ctx_err)
    }

    /// Run a detector on a series and compute every metric that applies:
    /// point-wise ROC/PR-AUC, VUS-ROC/PR, the NAB scores on NAB series, the
    /// UCR hit on UCR series. Returns `#{ metrics, scores, run_id, params }`.
    ///
    /// ```rhai
    /// let r = evaluate_series(load_series("ucr/135_InternalBleeding16"), "matrix_profile", #{ window: 100 });
    /// print(r.metrics.ucr);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn evaluate_series(
        ctx: NativeCallContext,
        ts: SeriesRef,
        model: &str,
        params: Map,
    ) -> Result<Map, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        let (det, seed) = detector_and_seed(model, &params)?;
        check_series_windows(&ctx, &det, &ts.0)?;
        host.record_seed(seed);
        let protocol = SERIES
            .iter()
            .find(|s| s.name == ts.0.name)
            .map(|s| SeriesProtocol::for_collection(s.collection))
            .unwrap_or_default();
        let out = run_series(&ts.0, &det, seed, protocol, &host.run).map_err(ctx_err)?;
        let v = out.result.to_value().map_err(ctx_err)?;
        let mut m = Map::new();
        m.insert("metrics".into(), json_to_dynamic(&v["metrics"]));
        m.insert("params".into(), json_to_dynamic(&v["params"]));
        m.insert("run_id".into(), out.result.run_id.clone().into());
        m.insert("scores".into(), Dynamic::from(Vector(Arc::new(out.scores))));
        Ok(m)
    }

    /// VUS-ROC and VUS-PR (Paparrizos et al. 2022, as TSB-AD computes them)
    /// with sliding-window buffer `window`, as `#{ roc, pr }`.
    ///
    /// ```rhai
    /// let ts = load_series("pyod/ts_demo_uni");
    /// print(vus(ts.labels, score_series(ts, "knn", #{ window: 20 }), 20));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn vus(y: Labels, scores: Vector, window: i64) -> Result<Map, Box<EvalAltResult>> {
        let window = non_negative("window", window)? as usize;
        let v = metrics::vus(y.view(), scores.0.view(), window).map_err(ctx_err)?;
        let mut m = Map::new();
        m.insert("roc".into(), v.roc.into());
        m.insert("pr".into(), v.pr.into());
        Ok(m)
    }

    /// The UCR archive protocol: the top-scoring point after the training
    /// prefix is a hit if it lies within ±100 points of the labelled range.
    /// Returns `#{ predicted, hit, range_start, range_end, tolerance }`.
    ///
    /// ```rhai
    /// let ts = load_series("ucr/135_InternalBleeding16");
    /// print(ucr_hit(ts, score_series(ts, "pca", #{ window: 100 })).hit);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn ucr_hit(ts: SeriesRef, scores: Vector) -> Result<Map, Box<EvalAltResult>> {
        let o = metrics::ucr_hit(
            scores.0.view(),
            &ts.0.ranges(),
            ts.0.train_prefix(),
            metrics::UCR_TOLERANCE,
        )
        .map_err(ctx_err)?;
        let v = serde_json::to_value(o).map_err(|e| msg_err(e.to_string()))?;
        match json_to_dynamic(&v).try_cast::<Map>() {
            Some(m) => Ok(m),
            None => Err(msg_err("internal: UCR outcome is not a map")),
        }
    }

    /// Text form of a series: a one-row summary table.
    ///
    /// ```rhai
    /// print(load_series("ucr/135_InternalBleeding16").to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn series_to_string(ts: &mut SeriesRef) -> String {
        ts.to_string()
    }

    /// Text form of a matrix profile: m, length and distance range.
    ///
    /// ```rhai
    /// print(matrix_profile(load_series("pyod/ts_demo_uni"), 20).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn profile_to_string(mp: &mut ProfileRef) -> String {
        mp.to_string()
    }
}
