//! ROC and precision–recall curves.

use plotters::coord::Shift;
use plotters::element::{DashedPathElement, PathElement, Rectangle};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};

use super::PlotError;
use super::style::{self, Corner, LegendEntry, Swatch, de};

/// Figure size of ROC and PR plots.
pub(super) const SIZE: (u32, u32) = (800, 600);
/// Most curves in one figure.
pub(super) const MAX_CURVES: usize = 16;
/// Rates may exceed [0, 1] by this much (rounding in the caller's maths).
const TOLERANCE: f64 = 1e-9;

/// One curve with its area under the curve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curve {
    /// Legend label; the legend shows "name (AUC 0.912)".
    pub name: String,
    /// x coordinates: false positive rate (ROC) or recall (PR), in [0, 1].
    pub x: Vec<f64>,
    /// y coordinates: true positive rate (ROC) or precision (PR), in [0, 1].
    pub y: Vec<f64>,
    /// Area under the curve shown in the legend (3 decimals).
    pub auc: f64,
}

/// A set of ROC or PR curves; which one is chosen by the [`super::Plot`] variant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CurvesPlot {
    /// Figure title.
    pub title: String,
    /// Curves, drawn in order with the Okabe–Ito palette.
    pub curves: Vec<Curve>,
    /// PR plots only: the no-skill precision (the positive rate), drawn as a
    /// dashed horizontal line. Ignored for ROC plots, which always show the
    /// chance diagonal.
    pub baseline: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Roc,
    PrecisionRecall,
}

pub(super) fn validate(p: &CurvesPlot, kind: Kind) -> Result<(), PlotError> {
    if p.curves.is_empty() {
        return Err(PlotError::Empty("the curve plot has no curves".into()));
    }
    if p.curves.len() > MAX_CURVES {
        return Err(PlotError::TooLarge {
            what: "number of curves".into(),
            size: p.curves.len() as u64,
            max: MAX_CURVES as u64,
        });
    }
    for c in &p.curves {
        let what = format!("curve '{}'", c.name);
        if c.x.len() != c.y.len() {
            return Err(PlotError::LengthMismatch {
                what,
                x: c.x.len(),
                y: c.y.len(),
            });
        }
        if c.x.is_empty() {
            return Err(PlotError::Empty(format!("{what} has no points")));
        }
        for (axis, vals) in [("x", &c.x), ("y", &c.y)] {
            let what = format!("{what} {axis}");
            if let Some((index, &value)) = vals.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(PlotError::NonFinite { what, index, value });
            }
            if let Some((index, &value)) = vals
                .iter()
                .enumerate()
                .find(|(_, v)| **v < -TOLERANCE || **v > 1.0 + TOLERANCE)
            {
                return Err(PlotError::OutOfRange {
                    what,
                    index,
                    value,
                    min: 0.0,
                    max: 1.0,
                });
            }
        }
        if !c.auc.is_finite() {
            return Err(PlotError::InvalidParameter {
                name: format!("{what} auc"),
                reason: format!("{} is not finite", c.auc),
            });
        }
    }
    if let (Kind::PrecisionRecall, Some(b)) = (kind, p.baseline)
        && !(b.is_finite() && (0.0..=1.0).contains(&b))
    {
        return Err(PlotError::InvalidParameter {
            name: "baseline".into(),
            reason: format!("{b} is not a rate in [0, 1]"),
        });
    }
    Ok(())
}

fn legend_entries(p: &CurvesPlot, kind: Kind) -> Vec<LegendEntry> {
    let mut out: Vec<LegendEntry> = p
        .curves
        .iter()
        .enumerate()
        .map(|(i, c)| LegendEntry {
            label: format!("{} (AUC {:.3})", c.name, c.auc),
            swatch: Swatch::Line(style::line_color(i)),
        })
        .collect();
    match (kind, p.baseline) {
        (Kind::Roc, _) => out.push(LegendEntry {
            label: "chance".into(),
            swatch: Swatch::Dashed(style::REFERENCE),
        }),
        (Kind::PrecisionRecall, Some(b)) => out.push(LegendEntry {
            label: format!("baseline (positive rate {})", style::format_value(b)),
            swatch: Swatch::Dashed(style::REFERENCE),
        }),
        (Kind::PrecisionRecall, None) => {}
    }
    out
}

pub(super) fn draw<DB: DrawingBackend>(
    p: &CurvesPlot,
    kind: Kind,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    style::draw_title(root, &p.title)?;
    let (x_desc, y_desc) = match kind {
        Kind::Roc => ("false positive rate", "true positive rate"),
        Kind::PrecisionRecall => ("recall", "precision"),
    };
    let r = -0.02..1.02;
    let mut chart = ChartBuilder::on(root)
        .margin_top(style::TITLE_H as u32)
        .margin_right(30)
        .margin_bottom(10)
        .margin_left(10)
        .y_label_area_size(70)
        .x_label_area_size(60)
        .build_cartesian_2d(r.clone(), r)
        .map_err(de)?;
    let ticks = style::TickFormat::fixed(2);
    let fmt = |v: &f64| ticks.format(*v);
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .max_light_lines(0)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .label_style(style::font(style::TICK_SIZE).color(&style::TEXT))
        .axis_desc_style(style::font(style::DESC_SIZE).color(&style::TEXT))
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(de)?;

    let base = chart.plotting_area().get_base_pixel();
    let rel = |(x, y): (i32, i32)| (x - base.0, y - base.1);
    let mut occupied: Vec<(i32, i32)> = Vec::new();

    // reference line first, so curves are drawn over it
    let reference = match (kind, p.baseline) {
        (Kind::Roc, _) => Some(vec![(0.0, 0.0), (1.0, 1.0)]),
        (Kind::PrecisionRecall, Some(b)) => Some(vec![(0.0, b), (1.0, b)]),
        (Kind::PrecisionRecall, None) => None,
    };
    if let Some(line) = reference {
        let px: Vec<_> = line.iter().map(|pt| rel(chart.backend_coord(pt))).collect();
        occupied.extend(style::densify(&px, 6));
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                line,
                8,
                6,
                style::stroke(style::REFERENCE, 2),
            )))
            .map_err(de)?;
    }

    for (i, c) in p.curves.iter().enumerate() {
        let px = style::dedup_pixels(
            c.x.iter()
                .zip(&c.y)
                .map(|(&x, &y)| chart.backend_coord(&(x, y)))
                .collect(),
        );
        occupied.extend(style::densify(
            &px.iter().map(|&q| rel(q)).collect::<Vec<_>>(),
            6,
        ));
        // draw in backend pixels (already deduplicated) on the root area
        root.draw(&PathElement::new(
            px,
            style::stroke(style::line_color(i), 2),
        ))
        .map_err(de)?;
    }

    // frame
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(-0.02, -0.02), (1.02, 1.02)],
            style::stroke(style::AXIS, 1),
        )))
        .map_err(de)?;

    let entries = legend_entries(p, kind);
    let layout = style::layout_legend(&entries, None)?;
    let area = chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let prefs = match kind {
        Kind::Roc => [
            Corner::LowerRight,
            Corner::UpperLeft,
            Corner::LowerLeft,
            Corner::UpperRight,
        ],
        Kind::PrecisionRecall => [
            Corner::LowerLeft,
            Corner::UpperRight,
            Corner::LowerRight,
            Corner::UpperLeft,
        ],
    };
    let at = style::place_legend(
        (w as i32, h as i32),
        (layout.width, layout.height),
        &occupied,
        &prefs,
    );
    style::draw_legend(&area, at, &entries, &layout)
}
