//! Horizontal bar charts of labelled values, largest first from the top:
//! what an explanation's per-feature contributions look like (`explain_plot`).

use plotters::coord::Shift;
use plotters::element::{PathElement, Rectangle, Text};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotError;
use super::style::{self, de};
use crate::detectors::{ExplainMethod, Explanation};

/// Figure width; the height grows with the number of bars.
const WIDTH: u32 = 900;
/// Pixels per bar row.
const ROW_H: u32 = 30;
/// Height besides the bars: title, axis and margins.
const CHROME_H: u32 = 150;
/// Widest bar label, in pixels (longer ones are shortened with "…").
const MAX_LABEL_W: u32 = 220;
/// Most bars.
pub(super) const MAX_BARS: usize = 200;
const POSITIVE_COLOR: usize = 1; // vermillion: pushes towards anomalous
const NEGATIVE_COLOR: usize = 0; // blue
const BAR_ALPHA: f64 = 0.8;

/// One bar per label, drawn top to bottom in the given order, from 0 to
/// the value (positive bars in vermillion, negative in blue).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarsPlot {
    /// Figure title.
    pub title: String,
    /// Bar labels (feature names), top first.
    pub labels: Vec<String>,
    /// One value per label.
    pub values: Vec<f64>,
    /// Description of the value axis.
    pub value_label: String,
}

impl BarsPlot {
    /// The `top` features of `e` by |contribution| (all when `None`), largest
    /// at the top, titled with the detector, the method and the score.
    pub fn from_explanation(e: &Explanation, detector: &str, top: Option<usize>) -> Self {
        let ranked = e.ranked(top);
        Self {
            title: format!(
                "{detector} ({}): score {}",
                e.method,
                style::format_value(e.score)
            ),
            labels: ranked.iter().map(|f| f.label()).collect(),
            values: ranked.iter().map(|f| f.contribution).collect(),
            value_label: match e.method {
                ExplainMethod::Additive => "contribution to the score".into(),
                ExplainMethod::KnnSqDiff => "squared difference to the neighbours".into(),
                ExplainMethod::Diffi => "DIFFI importance".into(),
            },
        }
    }
}

pub(super) fn validate(p: &BarsPlot) -> Result<(), PlotError> {
    if p.values.is_empty() {
        return Err(PlotError::Empty("the bar chart has no bars".into()));
    }
    if p.labels.len() != p.values.len() {
        return Err(PlotError::LengthMismatch {
            what: "bar labels and values".into(),
            x: p.labels.len(),
            y: p.values.len(),
        });
    }
    if p.values.len() > MAX_BARS {
        return Err(PlotError::TooLarge {
            what: "number of bars".into(),
            size: p.values.len() as u64,
            max: MAX_BARS as u64,
        });
    }
    if let Some((index, &value)) = p.values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(PlotError::NonFinite {
            what: "bar values".into(),
            index,
            value,
        });
    }
    let (lo, hi) = range(p);
    if !(hi - lo).is_finite() {
        return Err(PlotError::InvalidParameter {
            name: "values".into(),
            reason: format!("the range [{lo}, {hi}] is too wide to draw"),
        });
    }
    Ok(())
}

pub(super) fn size(p: &BarsPlot) -> (u32, u32) {
    (WIDTH, CHROME_H + ROW_H * p.values.len() as u32)
}

/// The value axis: 0 and every value, padded.
fn range(p: &BarsPlot) -> (f64, f64) {
    let lo = p.values.iter().fold(0.0f64, |a, &b| a.min(b));
    let hi = p.values.iter().fold(0.0f64, |a, &b| a.max(b));
    style::padded(lo, hi)
}

pub(super) fn draw<DB: DrawingBackend>(
    p: &BarsPlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    style::draw_title(root, &p.title)?;
    let n = p.values.len();
    let (lo, hi) = range(p);
    let ticks = style::TickFormat::for_range(lo, hi);
    let mut chart = ChartBuilder::on(root)
        .margin_top(style::TITLE_H as u32)
        .margin_right(30)
        .margin_bottom(10)
        .margin_left(10)
        .y_label_area_size(MAX_LABEL_W + 20)
        .x_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0.0..n as f64)
        .map_err(de)?;
    let fmt = |v: &f64| ticks.format(*v);
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(0)
        .disable_y_mesh()
        .max_light_lines(0)
        .x_label_formatter(&fmt)
        .label_style(style::font(style::TICK_SIZE).color(&style::TEXT))
        .axis_desc_style(style::font(style::DESC_SIZE).color(&style::TEXT))
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .x_desc(p.value_label.as_str())
        .draw()
        .map_err(de)?;
    // Row i (top first) spans y in [n - i - 1, n - i].
    chart
        .draw_series(p.values.iter().enumerate().map(|(i, &v)| {
            let top = (n - i) as f64 - 0.15;
            let bottom = (n - i - 1) as f64 + 0.15;
            let color = if v >= 0.0 {
                POSITIVE_COLOR
            } else {
                NEGATIVE_COLOR
            };
            Rectangle::new(
                [(0.0, bottom), (v, top)],
                style::fill(style::line_color(color), BAR_ALPHA),
            )
        }))
        .map_err(de)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, n as f64)],
            style::stroke(style::AXIS, 1),
        )))
        .map_err(de)?;
    let label_style = style::text_style(style::TICK_SIZE, style::TEXT, HPos::Right, VPos::Center);
    for (i, label) in p.labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(lo, (n - i) as f64 - 0.5));
        let text = style::fit(label, style::TICK_SIZE, MAX_LABEL_W)?;
        root.draw(&Text::new(text, (x - 8, y), label_style.clone()))
            .map_err(de)?;
    }
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(lo, 0.0), (hi, n as f64)],
            style::stroke(style::AXIS, 1),
        )))
        .map_err(de)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::Plot;

    fn bars(labels: &[&str], values: Vec<f64>) -> Plot {
        Plot::Bars(BarsPlot {
            title: "t".into(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            values,
            value_label: "v".into(),
        })
    }

    #[test]
    fn bad_bars_are_refused_and_good_ones_render_deterministically() {
        assert!(matches!(
            bars(&[], vec![]).validate(),
            Err(PlotError::Empty(_))
        ));
        assert!(matches!(
            bars(&["a"], vec![1.0, 2.0]).validate(),
            Err(PlotError::LengthMismatch { .. })
        ));
        assert!(matches!(
            bars(&["a", "b"], vec![1.0, f64::NAN]).validate(),
            Err(PlotError::NonFinite { index: 1, .. })
        ));
        let p = bars(&["a feature", "b"], vec![2.5, -1.0]);
        let svg = p.to_svg().unwrap();
        assert_eq!(svg, p.to_svg().unwrap());
        assert!(svg.contains("a feature"));
        assert_eq!(p.size().unwrap(), (WIDTH, CHROME_H + 2 * ROW_H));
        assert!(!p.to_png().unwrap().is_empty());
    }
}
