//! Script functions for figures: build a `Plot` value, then `save` it as
//! PNG or SVG under the workspace's `results/`.

use crate::plot::Marker;
use crate::script::api::convert::msg_err;
use rhai::plugin::*;
use rhai::{Dynamic, EvalAltResult, Map};

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
    use crate::plot::{Line, Panel, Plot, TimeSeriesPlot};
    use crate::script::HostContext;
    use crate::script::api::convert::{ctx_err, msg_err};
    use crate::script::types::{ProfileRef, SeriesRef, Vector};
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
        let file = host.workspace.resolve_write(path).map_err(ctx_err)?;
        plot.save(&file).map_err(ctx_err)?;
        Ok(file.display().to_string())
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
