//! Script functions for figures: build a `Plot` value, then `save` it as
//! PNG or SVG under the workspace's `results/`. The curves come from the
//! metrics layer (the same points scikit-learn's `roc_curve` and
//! `precision_recall_curve` give), the heatmap from the bench layer's
//! leaderboard; this file only converts script values.

use crate::plot::{Curve, Marker};
use crate::script::api::convert::{ctx_err, msg_err};
use crate::script::types::{Labels, Vector};
use rhai::plugin::*;
use rhai::{Dynamic, EvalAltResult, Map};

/// Named score vectors from a script value: one `Vector` (named "scores")
/// or a map `#{ name: Vector }` (keys in sorted order).
fn named_scores(what: &str, v: &Dynamic) -> Result<Vec<(String, Vector)>, Box<EvalAltResult>> {
    if let Some(s) = v.clone().try_cast::<Vector>() {
        return Ok(vec![("scores".into(), s)]);
    }
    let map = v.read_lock::<Map>().ok_or_else(|| {
        msg_err(format!(
            "{what}: scores must be a Vector or a map of name: Vector, got {}",
            v.type_name()
        ))
    })?;
    if map.is_empty() {
        return Err(msg_err(format!("{what}: the map of scores is empty")));
    }
    map.iter()
        .map(|(k, s)| {
            s.clone()
                .try_cast::<Vector>()
                .map(|s| (k.to_string(), s))
                .ok_or_else(|| {
                    msg_err(format!(
                        "{what}: scores `{k}` must be a Vector, got {}",
                        s.type_name()
                    ))
                })
        })
        .collect()
}

/// The `title` option (the only one `roc_plot`/`pr_plot` take).
fn title_option(what: &str, opts: &Map, default: &str) -> Result<String, Box<EvalAltResult>> {
    let mut title = default.to_string();
    for (k, v) in opts {
        match k.as_str() {
            "title" => title = v.to_string(),
            other => {
                return Err(msg_err(format!(
                    "unknown {what} option `{other}`; known: title"
                )));
            }
        }
    }
    Ok(title)
}

/// A curve's (x, y) points from labels and scores.
type CurvePoints =
    fn(&Labels, &Vector) -> Result<(Vec<f64>, Vec<f64>), crate::metrics::MetricError>;

/// One curve per named score vector: `points` gives its (x, y), `area`
/// the value shown in the legend.
fn curves(
    what: &str,
    y: &Labels,
    scores: &Dynamic,
    points: CurvePoints,
    area: fn(&Labels, &Vector) -> Result<f64, crate::metrics::MetricError>,
) -> Result<Vec<Curve>, Box<EvalAltResult>> {
    named_scores(what, scores)?
        .into_iter()
        .map(|(name, s)| {
            let (x, y_) = points(y, &s).map_err(ctx_err)?;
            let auc = area(y, &s).map_err(ctx_err)?;
            Ok(Curve {
                name,
                x,
                y: y_,
                auc,
            })
        })
        .collect()
}

/// One ROC curve per named score vector (false/true positive rate), the
/// ROC-AUC in the legend.
pub(crate) fn roc_curves(y: &Labels, scores: &Dynamic) -> Result<Vec<Curve>, Box<EvalAltResult>> {
    curves(
        "roc_plot",
        y,
        scores,
        |y, s| crate::metrics::roc_curve(y.view(), s.0.view()).map(|c| (c.fpr, c.tpr)),
        |y, s| crate::metrics::roc_auc(y.view(), s.0.view()),
    )
}

/// One precision–recall curve per named score vector (recall, precision),
/// the average precision in the legend.
pub(crate) fn pr_curves(y: &Labels, scores: &Dynamic) -> Result<Vec<Curve>, Box<EvalAltResult>> {
    curves(
        "pr_plot",
        y,
        scores,
        |y, s| {
            crate::metrics::precision_recall_curve(y.view(), s.0.view())
                .map(|c| (c.recall, c.precision))
        },
        |y, s| crate::metrics::pr_auc(y.view(), s.0.view()),
    )
}

pub(crate) fn marker(m: &Dynamic) -> Result<Marker, Box<EvalAltResult>> {
    if let Ok(i) = m.as_int() {
        let x = usize::try_from(i).map_err(|_| msg_err(format!("marker {i} is negative")))?;
        return Ok(Marker {
            x,
            label: format!("x = {x}"),
        });
    }
    let map = m
        .read_lock::<Map>()
        .ok_or_else(|| msg_err("a marker is an index or #{ x, label }"))?;
    let x = map
        .get("x")
        .and_then(|v| v.as_int().ok())
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| msg_err("a marker map needs a non-negative integer `x`"))?;
    let label = map
        .get("label")
        .map_or_else(|| format!("x = {x}"), |v| v.to_string());
    Ok(Marker { x, label })
}

#[export_module]
pub mod plots_api {
    use super::marker;
    use crate::plot::{CurvesPlot, HistogramPlot, Line, Panel, Plot, TimeSeriesPlot};
    use crate::script::HostContext;
    use crate::script::api::convert::{ctx_err, msg_err};
    use crate::script::types::{Labels, ProfileRef, ResultRef, Runs, SeriesRef, Vector};
    use rhai::{EvalAltResult, Map, NativeCallContext};

    /// A time-series figure: the series (each channel) on top, labelled
    /// anomaly ranges shaded. Options: `title`, `profile` (a MatrixProfile,
    /// drawn in a second panel, infinite values left out), `scores` (a Vector
    /// of point scores, a third panel), `markers` (an array of point indices
    /// or `#{ x, label }` maps, drawn as dashed lines).
    ///
    /// ```rhai
    /// let ts = load_series("pyod/ts_demo_uni");
    /// let p = series_plot(ts, #{ title: "PyOD demo", markers: [#{ x: 500, label: "here" }] });
    /// print(save(p, "results/demo.png"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn series_plot(ts: SeriesRef, opts: Map) -> Result<Plot, Box<EvalAltResult>> {
        let s = &ts.0;
        let mut title = s.name.clone();
        let mut panels = vec![Panel {
            y_label: "value".into(),
            lines: (0..s.n_channels())
                .map(|c| Line {
                    name: if s.n_channels() == 1 {
                        s.name.clone()
                    } else {
                        format!("channel {c}")
                    },
                    x0: 0,
                    values: s.values.column(c).to_vec(),
                })
                .collect(),
        }];
        let mut markers = Vec::new();
        for (k, v) in &opts {
            match k.as_str() {
                "title" => title = v.to_string(),
                "profile" => {
                    let mp = v.clone().try_cast::<ProfileRef>().ok_or_else(|| {
                        msg_err(format!(
                            "series_plot option `profile` must be a MatrixProfile, got {}",
                            v.type_name()
                        ))
                    })?;
                    // Gaps (no neighbour) are left out by splitting the line.
                    let mut lines = Vec::new();
                    let mut start = None;
                    for (i, d) in
                        mp.0.profile
                            .iter()
                            .chain(std::iter::once(&f64::INFINITY))
                            .enumerate()
                    {
                        match (d.is_finite(), start) {
                            (true, None) => start = Some(i),
                            (false, Some(a)) => {
                                lines.push(Line {
                                    name: if lines.is_empty() {
                                        format!("matrix profile (m = {})", mp.0.m)
                                    } else {
                                        String::new()
                                    },
                                    x0: a,
                                    values: mp.0.profile[a..i].to_vec(),
                                });
                                start = None;
                            }
                            _ => {}
                        }
                    }
                    panels.push(Panel {
                        y_label: "z-norm. distance".into(),
                        lines,
                    });
                }
                "scores" => {
                    let sc = v.clone().try_cast::<Vector>().ok_or_else(|| {
                        msg_err(format!(
                            "series_plot option `scores` must be a Vector, got {}",
                            v.type_name()
                        ))
                    })?;
                    panels.push(Panel {
                        y_label: "anomaly score".into(),
                        lines: vec![Line {
                            name: "score".into(),
                            x0: 0,
                            values: sc.0.to_vec(),
                        }],
                    });
                }
                "markers" => {
                    let arr = v
                        .clone()
                        .try_cast::<rhai::Array>()
                        .ok_or_else(|| msg_err("series_plot option `markers` must be an array"))?;
                    for m in arr {
                        markers.push(marker(&m)?);
                    }
                }
                other => {
                    return Err(msg_err(format!(
                        "unknown series_plot option `{other}`; known: title, profile, scores, markers"
                    )));
                }
            }
        }
        let plot = Plot::TimeSeries(TimeSeriesPlot {
            title,
            x_label: "time index".into(),
            panels,
            ranges: s.ranges(),
            markers,
        });
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }

    /// The training loss per epoch of a deep detector (autoencoder,
    /// deep_svdd, usad), with the validation loss when the fit held rows
    /// out and a marker at the epoch whose weights were kept. Options:
    /// `title`.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let f = detector("autoencoder", #{ epochs: 4 }).fit(sp.x_train);
    /// print(save(loss_plot(f, #{ title: "autoencoder on toy-blobs" }), "results/loss.svg"));
    /// ```
    #[rhai_fn(name = "loss_plot", return_raw)]
    pub fn loss_plot_opts(
        fitted: crate::detectors::FittedDetector,
        opts: Map,
    ) -> Result<Plot, Box<EvalAltResult>> {
        let default = format!("{} training loss", fitted.name());
        let title = title_option("loss_plot", &opts, &default)?;
        let h = fitted.history().ok_or_else(|| {
            msg_err(format!(
                "loss_plot: {} is not trained by epochs, so it has no loss history",
                fitted.name()
            ))
        })?;
        let mut lines = vec![Line {
            name: "training loss".into(),
            x0: 1,
            values: h.loss.clone(),
        }];
        if !h.validation.is_empty() {
            lines.push(Line {
                name: "validation loss".into(),
                x0: 1,
                values: h.validation.clone(),
            });
        }
        let markers = h
            .best_epoch
            .map(|e| {
                vec![crate::plot::Marker {
                    x: e + 1,
                    label: format!("kept epoch {}", e + 1),
                }]
            })
            .unwrap_or_default();
        let plot = Plot::TimeSeries(TimeSeriesPlot {
            title,
            x_label: "epoch".into(),
            panels: vec![Panel {
                y_label: "loss".into(),
                lines,
            }],
            ranges: Vec::new(),
            markers,
        });
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }

    /// The training loss per epoch with the default title.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// print(loss_plot(detector("autoencoder", #{ epochs: 2 }).fit(sp.x_train)).title);
    /// ```
    #[rhai_fn(name = "loss_plot", return_raw)]
    pub fn loss_plot(fitted: crate::detectors::FittedDetector) -> Result<Plot, Box<EvalAltResult>> {
        loss_plot_opts(fitted, Map::new())
    }

    /// ROC curves of one or more detectors on one axis, with the chance
    /// diagonal and each curve's ROC-AUC in the legend. `scores` is a Vector
    /// or a map `#{ name: Vector }` (one curve per entry); the points are
    /// scikit-learn's `roc_curve`. Options: `title`.
    ///
    /// ```rhai
    /// let y = labels([0, 0, 1, 1, 0, 1]);
    /// let p = roc_plot(y, #{ a: vector([0.1, 0.4, 0.35, 0.8, 0.2, 0.9]),
    ///                        b: vector([0.5, 0.1, 0.6, 0.3, 0.2, 0.7]) }, #{ title: "two detectors" });
    /// print(save(p, "results/roc.svg"));
    /// ```
    #[rhai_fn(name = "roc_plot", return_raw)]
    pub fn roc_plot_opts(
        y: Labels,
        scores: Dynamic,
        opts: Map,
    ) -> Result<Plot, Box<EvalAltResult>> {
        let plot = Plot::Roc(CurvesPlot {
            title: title_option("roc_plot", &opts, "ROC curve")?,
            curves: super::roc_curves(&y, &scores)?,
            baseline: None,
        });
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }

    /// ROC curves with the default title.
    ///
    /// ```rhai
    /// print(roc_plot(labels([0, 1, 0, 1]), vector([0.1, 0.9, 0.3, 0.4])).title);
    /// ```
    #[rhai_fn(name = "roc_plot", return_raw)]
    pub fn roc_plot(y: Labels, scores: Dynamic) -> Result<Plot, Box<EvalAltResult>> {
        roc_plot_opts(y, scores, Map::new())
    }

    /// Precision–recall curves of one or more detectors, with the no-skill
    /// line at the anomaly rate and each curve's average precision (PR-AUC)
    /// in the legend. `scores` is a Vector or a map `#{ name: Vector }`; the
    /// points are scikit-learn's `precision_recall_curve`. Options: `title`.
    ///
    /// ```rhai
    /// let y = labels([0, 0, 1, 1, 0, 1]);
    /// let p = pr_plot(y, #{ a: vector([0.1, 0.4, 0.35, 0.8, 0.2, 0.9]) }, #{ title: "PR" });
    /// print(save(p, "results/pr.svg"));
    /// ```
    #[rhai_fn(name = "pr_plot", return_raw)]
    pub fn pr_plot_opts(y: Labels, scores: Dynamic, opts: Map) -> Result<Plot, Box<EvalAltResult>> {
        let n = y.view().len();
        let rate = if n == 0 {
            None
        } else {
            Some(y.view().iter().filter(|&&v| v != 0).count() as f64 / n as f64)
        };
        let plot = Plot::PrecisionRecall(CurvesPlot {
            title: title_option("pr_plot", &opts, "Precision–recall curve")?,
            curves: super::pr_curves(&y, &scores)?,
            baseline: rate,
        });
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }

    /// Precision–recall curves with the default title.
    ///
    /// ```rhai
    /// print(pr_plot(labels([0, 1, 0, 1]), vector([0.1, 0.9, 0.3, 0.4])).title);
    /// ```
    #[rhai_fn(name = "pr_plot", return_raw)]
    pub fn pr_plot(y: Labels, scores: Dynamic) -> Result<Plot, Box<EvalAltResult>> {
        pr_plot_opts(y, scores, Map::new())
    }

    /// Histogram of scores split by label: the fraction of normal and of
    /// anomalous points per bin, overlaid. Options: `title`, `bins` (default
    /// 40), `threshold` (drawn as a dashed line, e.g. a fitted detector's
    /// `.threshold`).
    ///
    /// ```rhai
    /// let y = labels([0, 0, 0, 1, 0, 1]);
    /// let s = vector([0.1, 0.2, 0.15, 0.8, 0.3, 0.7]);
    /// let p = score_histogram(y, s, #{ bins: 10, threshold: 0.5, title: "scores" });
    /// print(save(p, "results/hist.png"));
    /// ```
    #[rhai_fn(name = "score_histogram", return_raw)]
    pub fn score_histogram_opts(
        y: Labels,
        scores: Vector,
        opts: Map,
    ) -> Result<Plot, Box<EvalAltResult>> {
        if y.view().len() != scores.0.len() {
            return Err(msg_err(format!(
                "score_histogram: {} labels but {} scores",
                y.view().len(),
                scores.0.len()
            )));
        }
        let mut h = HistogramPlot {
            title: "Score histogram".into(),
            bins: 40,
            ..HistogramPlot::default()
        };
        for (k, v) in &opts {
            match k.as_str() {
                "title" => h.title = v.to_string(),
                "bins" => {
                    let b = v.as_int().map_err(|t| {
                        msg_err(format!(
                            "score_histogram option `bins` must be an integer, got {t}"
                        ))
                    })?;
                    h.bins = usize::try_from(b).map_err(|_| {
                        msg_err(format!(
                            "score_histogram option `bins` must be positive, got {b}"
                        ))
                    })?;
                }
                "threshold" => {
                    let t = v
                        .as_float()
                        .or_else(|_| v.as_int().map(|i| i as f64))
                        .map_err(|t| {
                            msg_err(format!(
                                "score_histogram option `threshold` must be a number, got {t}"
                            ))
                        })?;
                    h.threshold = Some(t);
                }
                other => {
                    return Err(msg_err(format!(
                        "unknown score_histogram option `{other}`; known: title, bins, threshold"
                    )));
                }
            }
        }
        for (&label, &s) in y.view().iter().zip(scores.0.iter()) {
            if label != 0 {
                h.anomalous.push(s);
            } else {
                h.normal.push(s);
            }
        }
        let plot = Plot::Histogram(h);
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }

    /// Score histogram with the default options.
    ///
    /// ```rhai
    /// print(score_histogram(labels([0, 1, 0]), vector([0.1, 0.9, 0.2])).title);
    /// ```
    #[rhai_fn(name = "score_histogram", return_raw)]
    pub fn score_histogram(y: Labels, scores: Vector) -> Result<Plot, Box<EvalAltResult>> {
        score_histogram_opts(y, scores, Map::new())
    }

    /// Leaderboard heatmap: datasets (rows) × detectors (columns), each cell
    /// the mean over seeds of a metric, from the runs of a sweep or an array
    /// of results. Options: `title`, `metric` (`"roc_auc"`, the default, or
    /// `"pr_auc"`).
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos", "knn"] });
    /// let p = heatmap(runs, #{ metric: "pr_auc", title: "toy" });
    /// print(save(p, "results/heatmap.svg"));
    /// ```
    #[rhai_fn(name = "heatmap", return_raw)]
    pub fn heatmap_opts(runs: Dynamic, opts: Map) -> Result<Plot, Box<EvalAltResult>> {
        use crate::bench::{HeatmapMetric, Leaderboard};
        let results: Vec<crate::results::RunResult> = if let Some(r) = runs.read_lock::<Runs>() {
            r.results.to_vec()
        } else if let Some(arr) = runs.read_lock::<rhai::Array>() {
            arr.iter()
                .enumerate()
                .map(|(i, v)| {
                    v.read_lock::<ResultRef>()
                        .map(|r| (*r.0).clone())
                        .ok_or_else(|| {
                            msg_err(format!(
                                "heatmap: element {i} is a {}, not a RunResult",
                                v.type_name()
                            ))
                        })
                })
                .collect::<Result<_, _>>()?
        } else {
            return Err(msg_err(format!(
                "heatmap needs the Runs of a sweep or an array of RunResults, got {}",
                runs.type_name()
            )));
        };
        let mut title = "Leaderboard".to_string();
        let mut metric = HeatmapMetric::RocAuc;
        for (k, v) in &opts {
            match k.as_str() {
                "title" => title = v.to_string(),
                "metric" => {
                    metric = match v.to_string().as_str() {
                        "roc_auc" => HeatmapMetric::RocAuc,
                        "pr_auc" => HeatmapMetric::PrAuc,
                        other => {
                            return Err(msg_err(format!(
                                "heatmap option `metric` must be \"roc_auc\" or \"pr_auc\", got {other:?}"
                            )));
                        }
                    }
                }
                other => {
                    return Err(msg_err(format!(
                        "unknown heatmap option `{other}`; known: title, metric"
                    )));
                }
            }
        }
        let plot = Plot::Heatmap(Leaderboard::new(&results).heatmap(metric, &title));
        plot.validate().map_err(ctx_err)?;
        Ok(plot)
    }

    /// Leaderboard heatmap of mean ROC-AUC with the default title.
    ///
    /// ```rhai
    /// let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] });
    /// print(heatmap(runs).title);
    /// ```
    #[rhai_fn(name = "heatmap", return_raw)]
    pub fn heatmap(runs: Dynamic) -> Result<Plot, Box<EvalAltResult>> {
        heatmap_opts(runs, Map::new())
    }

    /// Render a figure to `path` under the workspace's `results/` (`.png`
    /// or `.svg`, written atomically); returns the file's path.
    ///
    /// ```rhai
    /// let p = series_plot(load_series("pyod/ts_demo_uni"), #{});
    /// print(save(p, "results/demo.svg"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn save(
        ctx: NativeCallContext,
        plot: Plot,
        path: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        let pinned = host.workspace.pin_write(path).map_err(ctx_err)?;
        plot.save(&pinned.target).map_err(ctx_err)?;
        Ok(pinned.path.display().to_string())
    }

    /// The figure's title.
    ///
    /// ```rhai
    /// print(series_plot(load_series("pyod/ts_demo_uni"), #{ title: "demo" }).title);
    /// ```
    #[rhai_fn(get = "title", pure)]
    pub fn title(plot: &mut Plot) -> String {
        plot.title().to_string()
    }

    /// Text form of a figure.
    ///
    /// ```rhai
    /// print(series_plot(load_series("pyod/ts_demo_uni"), #{}).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn plot_to_string(plot: &mut Plot) -> String {
        format!(
            "Plot({:?}: save(plot, \"results/NAME.png\") renders it)",
            plot.title()
        )
    }
}
