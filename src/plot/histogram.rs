//! Overlaid score histograms of normal and anomalous points.

use plotters::coord::Shift;
use plotters::element::{DashedPathElement, PathElement, Rectangle};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};

use super::PlotError;
use super::style::{self, Corner, LegendEntry, Swatch, de};

/// Figure size of histograms.
pub(super) const SIZE: (u32, u32) = (800, 600);
/// Most bins.
pub(super) const MAX_BINS: usize = 2_000;
const NORMAL_COLOR: usize = 0; // blue
const ANOMALOUS_COLOR: usize = 1; // vermillion
const BAR_ALPHA: f64 = 0.45;
/// Share of the binned range added on each side of the x axis.
const PAD: f64 = 0.03;

/// Two overlaid, semi-transparent histograms of scores, each normalised to
/// the fraction of its own group, with an optional threshold line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramPlot {
    /// Figure title.
    pub title: String,
    /// Scores of normal points.
    pub normal: Vec<f64>,
    /// Scores of anomalous points.
    pub anomalous: Vec<f64>,
    /// Number of equal-width bins spanning both groups (and the threshold).
    pub bins: usize,
    /// Decision threshold, drawn as a dashed vertical line.
    pub threshold: Option<f64>,
}

pub(super) fn validate(p: &HistogramPlot) -> Result<(), PlotError> {
    if p.normal.is_empty() && p.anomalous.is_empty() {
        return Err(PlotError::Empty("the histogram has no values".into()));
    }
    if p.bins == 0 {
        return Err(PlotError::InvalidParameter {
            name: "bins".into(),
            reason: "must be at least 1".into(),
        });
    }
    if p.bins > MAX_BINS {
        return Err(PlotError::TooLarge {
            what: "number of bins".into(),
            size: p.bins as u64,
            max: MAX_BINS as u64,
        });
    }
    for (what, vals) in [
        ("normal scores", &p.normal),
        ("anomalous scores", &p.anomalous),
    ] {
        if let Some((index, &value)) = vals.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(PlotError::NonFinite {
                what: what.into(),
                index,
                value,
            });
        }
    }
    if let Some(t) = p.threshold
        && !t.is_finite()
    {
        return Err(PlotError::InvalidParameter {
            name: "threshold".into(),
            reason: format!("{t} is not finite"),
        });
    }
    let (lo, hi) = bin_range(p);
    let pad = PAD * (hi - lo);
    if !((hi - lo).is_finite() && (lo - pad).is_finite() && (hi + pad).is_finite() && lo < hi) {
        return Err(PlotError::InvalidParameter {
            name: "scores".into(),
            reason: format!("the range [{lo}, {hi}] is too wide to bin and draw"),
        });
    }
    Ok(())
}

/// The binned interval: all values and the threshold; widened when empty.
fn bin_range(p: &HistogramPlot) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &v in p.normal.iter().chain(&p.anomalous).chain(&p.threshold) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo == hi {
        let d = (0.1 * lo.abs()).max(0.5);
        (lo - d, hi + d)
    } else {
        (lo, hi)
    }
}

/// Fraction of `vals` in each of `bins` equal-width bins over `[lo, hi]`
/// (the last bin is closed on the right).
pub(super) fn fractions(vals: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut counts = vec![0usize; bins];
    let width = (hi - lo) / bins as f64;
    for &v in vals {
        let b = ((v - lo) / width).floor();
        let b = if b.is_finite() && b > 0.0 {
            (b as usize).min(bins - 1)
        } else {
            0
        };
        counts[b] += 1;
    }
    let n = vals.len().max(1) as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

pub(super) fn draw<DB: DrawingBackend>(
    p: &HistogramPlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    style::draw_title(root, &p.title)?;
    let (lo, hi) = bin_range(p);
    let width = (hi - lo) / p.bins as f64;
    let groups = [
        ("normal", &p.normal, style::line_color(NORMAL_COLOR)),
        (
            "anomalous",
            &p.anomalous,
            style::line_color(ANOMALOUS_COLOR),
        ),
    ];
    let fracs: Vec<Vec<f64>> = groups
        .iter()
        .map(|(_, v, _)| fractions(v, lo, hi, p.bins))
        .collect();
    let top = fracs
        .iter()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b))
        .max(1e-9);
    let pad = PAD * (hi - lo);
    let xr = (lo - pad, hi + pad);
    let yr = (0.0, top * 1.08);
    let x_ticks = style::TickFormat::for_range(xr.0, xr.1);
    let y_ticks = style::TickFormat::for_range(yr.0, yr.1);

    let mut chart = ChartBuilder::on(root)
        .margin_top(style::TITLE_H as u32)
        .margin_right(30)
        .margin_bottom(10)
        .margin_left(10)
        .y_label_area_size(80)
        .x_label_area_size(60)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(de)?;
    let x_fmt = |v: &f64| x_ticks.format(*v);
    let y_fmt = |v: &f64| y_ticks.format(*v);
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(6)
        .max_light_lines(0)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(style::font(style::TICK_SIZE).color(&style::TEXT))
        .axis_desc_style(style::font(style::DESC_SIZE).color(&style::TEXT))
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .x_desc("score")
        .y_desc("fraction of group")
        .draw()
        .map_err(de)?;

    let base = chart.plotting_area().get_base_pixel();
    let mut occupied = Vec::new();
    let mut entries = Vec::new();
    for ((name, vals, color), fr) in groups.iter().zip(&fracs) {
        if vals.is_empty() {
            continue;
        }
        let edge = |b: usize| lo + width * b as f64;
        chart
            .draw_series(
                fr.iter()
                    .enumerate()
                    .filter(|(_, f)| **f > 0.0)
                    .map(|(b, &f)| {
                        Rectangle::new(
                            [(edge(b), 0.0), (edge(b + 1), f)],
                            style::fill(*color, BAR_ALPHA),
                        )
                    }),
            )
            .map_err(de)?;
        // step outline (over the non-empty bins' span) so overlapping bars
        // stay readable
        let first = fr.iter().position(|&f| f > 0.0).unwrap_or(0);
        let last = fr.iter().rposition(|&f| f > 0.0).unwrap_or(0);
        let mut outline = vec![(edge(first), 0.0)];
        for (b, &f) in fr.iter().enumerate().take(last + 1).skip(first) {
            outline.push((edge(b), f));
            outline.push((edge(b + 1), f));
        }
        outline.push((edge(last + 1), 0.0));
        let px: Vec<(i32, i32)> = outline
            .iter()
            .map(|pt| {
                let (x, y) = chart.backend_coord(pt);
                (x - base.0, y - base.1)
            })
            .collect();
        occupied.extend(style::densify(&px, 4));
        // fill the bars' area for legend placement too
        for (b, &f) in fr.iter().enumerate() {
            let (x, y) = chart.backend_coord(&((edge(b) + edge(b + 1)) / 2.0, f / 2.0));
            occupied.push((x - base.0, y - base.1));
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                outline,
                style::stroke(*color, 2),
            )))
            .map_err(de)?;
        entries.push(LegendEntry {
            label: format!("{name} (n = {})", vals.len()),
            swatch: Swatch::Patch(*color, BAR_ALPHA),
        });
    }

    if let Some(t) = p.threshold {
        let line = vec![(t, yr.0), (t, yr.1)];
        let px: Vec<(i32, i32)> = line
            .iter()
            .map(|pt| {
                let (x, y) = chart.backend_coord(pt);
                (x - base.0, y - base.1)
            })
            .collect();
        occupied.extend(style::densify(&px, 4));
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                line,
                8,
                5,
                style::stroke(style::BLACK, 2),
            )))
            .map_err(de)?;
        entries.push(LegendEntry {
            label: format!("threshold {}", style::format_value(t)),
            swatch: Swatch::Dashed(style::BLACK),
        });
    }

    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(xr.0, yr.0), (xr.1, yr.1)],
            style::stroke(style::AXIS, 1),
        )))
        .map_err(de)?;

    let layout = style::layout_legend(&entries, None)?;
    let area = chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let at = style::place_legend(
        (w as i32, h as i32),
        (layout.width, layout.height),
        &occupied,
        &[
            Corner::UpperRight,
            Corner::UpperLeft,
            Corner::LowerRight,
            Corner::LowerLeft,
        ],
    );
    style::draw_legend(&area, at, &entries, &layout)
}
