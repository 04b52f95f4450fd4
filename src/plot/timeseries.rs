//! Stacked time-series panels sharing an x axis, with shaded labelled
//! anomaly ranges and vertical markers.

use plotters::coord::Shift;
use plotters::element::{DashedPathElement, PathElement, Rectangle};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};

use super::PlotError;
use super::style::{self, LegendEntry, Swatch, de};

/// Figure width in pixels.
const WIDTH: u32 = 1200;
/// Height of one panel (plot area plus its tick labels).
const PANEL_H: u32 = 300;
/// Extra height below the last panel for the x-axis description.
const X_DESC_H: u32 = 34;
/// Width of the y label area (tick labels and the rotated y description)
/// is the widest tick label plus this, within [`MIN_LEFT`, `MAX_LEFT`].
const LEFT_EXTRA: u32 = 50;
const MIN_LEFT: u32 = 72;
const MAX_LEFT: u32 = 180;
const RIGHT: u32 = 30;
const X_TICKS_H: u32 = 30;
const BOTTOM_MARGIN: u32 = 8;
/// Labelled ranges narrower than this many pixels are drawn this wide.
const MIN_SHADE_PX: f64 = 6.0;
/// Most panels in one figure.
pub(super) const MAX_PANELS: usize = 12;
/// Most lines in one panel.
pub(super) const MAX_LINES: usize = 32;
/// Most labelled ranges or markers.
pub(super) const MAX_ANNOTATIONS: usize = 10_000;

/// Stacked panels over a shared x axis (the time index).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimeSeriesPlot {
    /// Figure title.
    pub title: String,
    /// Description of the shared x axis, e.g. "time index".
    pub x_label: String,
    /// Panels from top to bottom, e.g. the series on top and a matrix
    /// profile or anomaly score below.
    pub panels: Vec<Panel>,
    /// Labelled anomaly ranges `[start, end]` (inclusive indices), shaded in
    /// every panel and listed once in the legend as "labelled anomaly".
    /// Parts outside the data's x range are clipped.
    pub ranges: Vec<(usize, usize)>,
    /// Vertical dashed lines across every panel (e.g. the top discord),
    /// each listed in the legend with its label. Markers outside the data's
    /// x range are left out.
    pub markers: Vec<Marker>,
}

/// One panel: a y axis and the lines drawn against it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    /// Description of the y axis.
    pub y_label: String,
    /// Lines in this panel (legend entries in figure order; an empty name
    /// leaves the line out of the legend).
    pub lines: Vec<Line>,
}

/// A line: consecutive values starting at index `x0`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    /// Legend label.
    pub name: String,
    /// x index of `values[0]` (e.g. a matrix profile of window m starts at 0
    /// and is n − m + 1 long).
    pub x0: usize,
    /// The values; all must be finite.
    pub values: Vec<f64>,
}

/// A vertical marker line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Marker {
    /// x index.
    pub x: usize,
    /// Legend label, e.g. "top discord".
    pub label: String,
}

pub(super) fn validate(p: &TimeSeriesPlot) -> Result<(), PlotError> {
    if p.panels.is_empty() {
        return Err(PlotError::Empty(
            "the time-series plot has no panels".into(),
        ));
    }
    if p.panels.len() > MAX_PANELS {
        return Err(PlotError::TooLarge {
            what: "number of panels".into(),
            size: p.panels.len() as u64,
            max: MAX_PANELS as u64,
        });
    }
    for (what, n) in [
        ("labelled ranges", p.ranges.len()),
        ("markers", p.markers.len()),
    ] {
        if n > MAX_ANNOTATIONS {
            return Err(PlotError::TooLarge {
                what: format!("number of {what}"),
                size: n as u64,
                max: MAX_ANNOTATIONS as u64,
            });
        }
    }
    for (pi, panel) in p.panels.iter().enumerate() {
        if panel.lines.is_empty() {
            return Err(PlotError::Empty(format!(
                "panel {pi} ('{}') has no lines",
                panel.y_label
            )));
        }
        if panel.lines.len() > MAX_LINES {
            return Err(PlotError::TooLarge {
                what: format!("number of lines in panel {pi}"),
                size: panel.lines.len() as u64,
                max: MAX_LINES as u64,
            });
        }
        for line in &panel.lines {
            let what = format!("panel {pi}, line '{}'", line.name);
            if line.values.is_empty() {
                return Err(PlotError::Empty(format!("{what} has no values")));
            }
            if line.x0.checked_add(line.values.len()).is_none() {
                return Err(PlotError::InvalidParameter {
                    name: format!("{what} x0"),
                    reason: "x0 + number of values overflows".into(),
                });
            }
            if let Some((index, &value)) =
                line.values.iter().enumerate().find(|(_, v)| !v.is_finite())
            {
                return Err(PlotError::NonFinite { what, index, value });
            }
        }
        let (lo, hi) = y_extent(panel);
        let (a, b) = style::padded(lo, hi);
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(PlotError::InvalidParameter {
                name: format!("panel {pi} values"),
                reason: format!("the range [{lo}, {hi}] is too wide to draw"),
            });
        }
    }
    for (i, &(s, e)) in p.ranges.iter().enumerate() {
        if s > e {
            return Err(PlotError::InvalidParameter {
                name: format!("labelled range {i}"),
                reason: format!("start {s} is after end {e}"),
            });
        }
    }
    Ok(())
}

/// Smallest and largest x index covered by any line.
fn x_extent(p: &TimeSeriesPlot) -> (usize, usize) {
    let lines = p.panels.iter().flat_map(|pn| &pn.lines);
    let lo = lines.clone().map(|l| l.x0).min().unwrap_or(0);
    let hi = lines
        .map(|l| l.x0 + l.values.len().saturating_sub(1))
        .max()
        .unwrap_or(0);
    (lo, hi)
}

fn y_extent(panel: &Panel) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in panel.lines.iter().flat_map(|l| &l.values) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    (lo, hi)
}

/// x range drawn: the data extent, widened by half a step for one point.
fn x_range(p: &TimeSeriesPlot) -> (f64, f64) {
    let (lo, hi) = x_extent(p);
    if lo == hi {
        (lo as f64 - 0.5, hi as f64 + 0.5)
    } else {
        (lo as f64, hi as f64)
    }
}

/// Ranges clipped to the drawn x range (each spans its indices ± 0.5).
fn visible_ranges(p: &TimeSeriesPlot, xr: (f64, f64)) -> Vec<(f64, f64)> {
    p.ranges
        .iter()
        .filter_map(|&(s, e)| {
            let a = (s as f64 - 0.5).max(xr.0);
            let b = (e as f64 + 0.5).min(xr.1);
            (a < b).then_some((a, b))
        })
        .collect()
}

fn visible_markers(p: &TimeSeriesPlot, xr: (f64, f64)) -> Vec<(usize, &Marker)> {
    p.markers
        .iter()
        .enumerate()
        .filter(|(_, m)| (m.x as f64) >= xr.0 && (m.x as f64) <= xr.1)
        .collect()
}

fn line_count(p: &TimeSeriesPlot) -> usize {
    p.panels.iter().map(|pn| pn.lines.len()).sum()
}

fn legend_entries(p: &TimeSeriesPlot) -> Vec<LegendEntry> {
    let xr = x_range(p);
    let n_lines = line_count(p);
    let mut out = Vec::new();
    let mut k = 0;
    for panel in &p.panels {
        for line in &panel.lines {
            if !line.name.is_empty() {
                out.push(LegendEntry {
                    label: line.name.clone(),
                    swatch: Swatch::Line(style::line_color(k)),
                });
            }
            k += 1;
        }
    }
    if !visible_ranges(p, xr).is_empty() {
        out.push(LegendEntry {
            label: "labelled anomaly".into(),
            swatch: Swatch::Patch(style::ANOMALY_SHADE, style::ANOMALY_ALPHA + 0.1),
        });
    }
    for (i, m) in visible_markers(p, xr) {
        if !m.label.is_empty() {
            out.push(LegendEntry {
                label: m.label.clone(),
                swatch: Swatch::Dashed(style::marker_color(i, n_lines)),
            });
        }
    }
    out
}

fn legend_height(layout: &style::LegendLayout) -> u32 {
    if layout.height == 0 {
        0
    } else {
        layout.height as u32 + 10
    }
}

/// Width of the y label area shared by all panels (so their plot areas
/// line up): room for the widest likely tick label and the y description.
fn left_area(p: &TimeSeriesPlot) -> Result<u32, PlotError> {
    let mut widest = 0;
    for panel in &p.panels {
        let (lo, hi) = y_extent(panel);
        let yr = style::padded(lo, hi);
        let fmt = style::TickFormat::for_range(yr.0, yr.1);
        let (ticks, _) = style::nice_ticks(yr.0, yr.1, 6);
        for t in ticks.into_iter().chain([yr.0, yr.1]) {
            widest = widest.max(style::text_size(&fmt.format(t), style::TICK_SIZE)?.0);
        }
    }
    Ok((widest + LEFT_EXTRA).clamp(MIN_LEFT, MAX_LEFT))
}

pub(super) fn size(p: &TimeSeriesPlot) -> Result<(u32, u32), PlotError> {
    let entries = legend_entries(p);
    let left = left_area(p)?;
    let layout = style::layout_legend(&entries, Some((WIDTH - left - RIGHT) as i32))?;
    let h = style::TITLE_H as u32
        + legend_height(&layout)
        + PANEL_H * p.panels.len() as u32
        + X_DESC_H
        + BOTTOM_MARGIN;
    Ok((WIDTH, h))
}

/// Min/max envelope of a line for drawing in `columns` pixel columns over
/// the x range `[x_lo, x_hi]`.
///
/// Returns `(x, y)` points. A line with at most `2 * columns` values is
/// returned unchanged. Otherwise each pixel column keeps the minimum and the
/// maximum of the values falling in it, in index order (one point when both
/// are the same value), so the drawn vertical extent of every column equals
/// that of the full data: isolated spikes survive downsampling.
pub fn envelope(
    x0: usize,
    values: &[f64],
    x_lo: f64,
    x_hi: f64,
    columns: usize,
) -> Vec<(f64, f64)> {
    let columns = columns.max(1);
    if values.len() <= 2 * columns || x_hi <= x_lo {
        return values
            .iter()
            .enumerate()
            .map(|(i, &v)| ((x0 + i) as f64, v))
            .collect();
    }
    let scale = columns as f64 / (x_hi - x_lo);
    let column_of = |x: f64| {
        ((x - x_lo) * scale)
            .floor()
            .clamp(0.0, (columns - 1) as f64) as usize
    };
    let mut out = Vec::with_capacity(4 * columns);
    let mut i = 0;
    while i < values.len() {
        let col = column_of((x0 + i) as f64);
        let (mut imin, mut imax) = (i, i);
        let mut j = i + 1;
        while j < values.len() && column_of((x0 + j) as f64) == col {
            if values[j] < values[imin] {
                imin = j;
            }
            if values[j] > values[imax] {
                imax = j;
            }
            j += 1;
        }
        let (a, b) = if imin <= imax {
            (imin, imax)
        } else {
            (imax, imin)
        };
        out.push(((x0 + a) as f64, values[a]));
        if b != a {
            out.push(((x0 + b) as f64, values[b]));
        }
        i = j;
    }
    out
}

pub(super) fn draw<DB: DrawingBackend>(
    p: &TimeSeriesPlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    style::draw_title(root, &p.title)?;
    let entries = legend_entries(p);
    let left = left_area(p)?;
    let layout = style::layout_legend(&entries, Some((WIDTH - left - RIGHT) as i32))?;
    style::draw_legend(root, (left as i32, style::TITLE_H), &entries, &layout)?;

    let top = style::TITLE_H as u32 + legend_height(&layout);
    let body = root.margin(top, 0, 0, 0);
    let n = p.panels.len();
    let breaks: Vec<u32> = (1..n).map(|k| PANEL_H * k as u32).collect();
    let areas = body.split_by_breakpoints(Vec::<u32>::new(), breaks);

    let xr = x_range(p);
    let x_ticks = style::TickFormat::for_range(xr.0, xr.1);
    let ranges = visible_ranges(p, xr);
    let markers = visible_markers(p, xr);
    let mut color_index = 0;
    let n_lines = line_count(p);
    let x_desc = style::fit(&p.x_label, style::DESC_SIZE, WIDTH - left - RIGHT)?;

    for (pi, (panel, area)) in p.panels.iter().zip(&areas).enumerate() {
        let last = pi + 1 == n;
        let (lo, hi) = y_extent(panel);
        let yr = style::padded(lo, hi);
        let y_ticks = style::TickFormat::for_range(yr.0, yr.1);
        let mut chart = ChartBuilder::on(area)
            .margin_top(8)
            .margin_right(RIGHT)
            .margin_bottom(if last { BOTTOM_MARGIN } else { 0 })
            .y_label_area_size(left)
            .x_label_area_size(if last {
                X_TICKS_H + X_DESC_H
            } else {
                X_TICKS_H
            })
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(de)?;
        let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
        let y_desc = style::fit(&panel.y_label, style::DESC_SIZE, plot_h)?;
        let x_fmt = |v: &f64| x_ticks.format(*v);
        let y_fmt = |v: &f64| y_ticks.format(*v);
        {
            let mut mesh = chart.configure_mesh();
            mesh.x_labels(12)
                .y_labels(6)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style(style::font(style::TICK_SIZE).color(&style::TEXT))
                .axis_desc_style(style::font(style::DESC_SIZE).color(&style::TEXT))
                .max_light_lines(0)
                .bold_line_style(style::GRID)
                .axis_style(style::AXIS)
                .y_desc(y_desc.as_str());
            if last {
                mesh.x_desc(x_desc.as_str());
            }
            mesh.draw().map_err(de)?;
        }

        // very short ranges are widened to stay visible
        let per_px = (xr.1 - xr.0) / f64::from(plot_w.max(1));
        let min_w = MIN_SHADE_PX * per_px;
        let shades: Vec<(f64, f64)> = ranges
            .iter()
            .map(|&(a, b)| {
                if b - a >= min_w {
                    (a, b)
                } else {
                    let c = (a + b) / 2.0;
                    ((c - min_w / 2.0).max(xr.0), (c + min_w / 2.0).min(xr.1))
                }
            })
            .collect();
        chart
            .draw_series(shades.iter().map(|&(a, b)| {
                Rectangle::new(
                    [(a, yr.0), (b, yr.1)],
                    style::fill(style::ANOMALY_SHADE, style::ANOMALY_ALPHA),
                )
            }))
            .map_err(de)?;

        for line in &panel.lines {
            let color = style::line_color(color_index);
            color_index += 1;
            let pts = envelope(line.x0, &line.values, xr.0, xr.1, plot_w as usize);
            let width = if pts.len() as u32 > plot_w { 1 } else { 2 };
            chart
                .draw_series(std::iter::once(PathElement::new(
                    pts,
                    style::stroke(color, width),
                )))
                .map_err(de)?;
        }

        for &(i, m) in &markers {
            let x = m.x as f64;
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(x, yr.0), (x, yr.1)],
                    8,
                    5,
                    style::stroke(style::marker_color(i, n_lines), 2),
                )))
                .map_err(de)?;
        }

        // frame around the plot area
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(xr.0, yr.0), (xr.1, yr.1)],
                style::stroke(style::AXIS, 1),
            )))
            .map_err(de)?;
    }
    Ok(())
}
