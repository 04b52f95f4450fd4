//! A labelled grid of values (e.g. datasets × detectors ROC-AUC) with a
//! viridis colour scale; missing cells grey.

use plotters::coord::Shift;
use plotters::element::{Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotError;
use super::style::{self, de};

/// Most rows.
pub(super) const MAX_ROWS: usize = 300;
/// Most columns.
pub(super) const MAX_COLS: usize = 100;
/// Longest row or column label in pixels; longer ones end in "…".
const MAX_LABEL_W: u32 = 320;
const MARGIN: i32 = 20;
const CELL_H: i32 = 38;
const MIN_CELL_W: i32 = 72;
/// Column labels wider than this (plus padding) are drawn vertically.
const MAX_FLAT_CELL_W: i32 = 170;
const BAR_GAP: i32 = 28;
const BAR_W: i32 = 22;
const MIN_BAR_H: i32 = 120;
const MISSING_KEY_H: i32 = 34;
/// Smallest spacing of colour-bar ticks in pixels.
const BAR_TICK_SPACING: i32 = 28;

/// A rows × columns grid of values with row and column labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeatmapPlot {
    /// Figure title.
    pub title: String,
    /// Row labels, top to bottom (e.g. datasets).
    pub rows: Vec<String>,
    /// Column labels, left to right (e.g. detectors).
    pub cols: Vec<String>,
    /// `values[r][c]`, `None` for a missing cell; `rows.len()` rows of
    /// `cols.len()` entries each, all present values finite.
    pub values: Vec<Vec<Option<f64>>>,
    /// Description of the values, shown beside the colour bar (e.g. "ROC-AUC").
    pub value_label: String,
}

pub(super) fn validate(p: &HeatmapPlot) -> Result<(), PlotError> {
    if p.rows.is_empty() || p.cols.is_empty() {
        return Err(PlotError::Empty(format!(
            "the heatmap has {} rows and {} columns",
            p.rows.len(),
            p.cols.len()
        )));
    }
    for (what, n, max) in [
        ("number of heatmap rows", p.rows.len(), MAX_ROWS),
        ("number of heatmap columns", p.cols.len(), MAX_COLS),
    ] {
        if n > max {
            return Err(PlotError::TooLarge {
                what: what.into(),
                size: n as u64,
                max: max as u64,
            });
        }
    }
    if p.values.len() != p.rows.len() {
        return Err(PlotError::Shape(format!(
            "{} row labels but {} rows of values",
            p.rows.len(),
            p.values.len()
        )));
    }
    for (r, row) in p.values.iter().enumerate() {
        if row.len() != p.cols.len() {
            return Err(PlotError::Shape(format!(
                "row {r} ('{}') has {} values but there are {} column labels",
                p.rows[r],
                row.len(),
                p.cols.len()
            )));
        }
        if let Some((index, value)) = row
            .iter()
            .enumerate()
            .find_map(|(c, v)| v.filter(|x| !x.is_finite()).map(|x| (c, x)))
        {
            return Err(PlotError::NonFinite {
                what: format!("heatmap row {r} ('{}'), column index", p.rows[r]),
                index,
                value,
            });
        }
    }
    let (lo, hi) = value_range(p);
    if !(hi - lo).is_finite() {
        return Err(PlotError::InvalidParameter {
            name: "heatmap values".into(),
            reason: format!("the range [{lo}, {hi}] is too wide for a colour scale"),
        });
    }
    Ok(())
}

/// Colour-scale range: min and max of the present values (0..1 if none;
/// widened by ±max(0.5, 10 %) if all equal).
fn value_range(p: &HeatmapPlot) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in p.values.iter().flatten().flatten() {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        let d = (0.1 * lo.abs()).max(0.5);
        (lo - d, hi + d)
    } else {
        (lo, hi)
    }
}

fn cell_text(v: Option<f64>) -> String {
    match v {
        Some(x) => format!("{x:.3}"),
        None => "n/a".into(),
    }
}

/// Pixel geometry of a heatmap figure.
pub(super) struct Layout {
    rows: Vec<String>,
    cols: Vec<String>,
    grid_x: i32,
    grid_y: i32,
    cell_w: i32,
    vertical_cols: bool,
    bar_h: i32,
    bar_x: i32,
    bar_labels: Vec<(f64, String)>,
    value_label_x: i32,
    any_missing: bool,
    width: i32,
    height: i32,
}

impl Layout {
    pub(super) fn size(&self) -> (u32, u32) {
        (self.width.max(1) as u32, self.height.max(1) as u32)
    }
}

pub(super) fn layout(p: &HeatmapPlot) -> Result<Layout, PlotError> {
    let rows = p
        .rows
        .iter()
        .map(|r| style::fit(r, style::TICK_SIZE, MAX_LABEL_W))
        .collect::<Result<Vec<_>, _>>()?;
    let cols = p
        .cols
        .iter()
        .map(|c| style::fit(c, style::TICK_SIZE, MAX_LABEL_W))
        .collect::<Result<Vec<_>, _>>()?;
    let mut row_w = 0;
    for r in &rows {
        row_w = row_w.max(style::text_size(r, style::TICK_SIZE)?.0 as i32);
    }
    let mut col_w = 0;
    let mut text_h = 0;
    for c in &cols {
        let (w, h) = style::text_size(c, style::TICK_SIZE)?;
        col_w = col_w.max(w as i32);
        text_h = text_h.max(h as i32);
    }
    let mut value_w = 0;
    for v in p.values.iter().flatten() {
        value_w = value_w.max(style::text_size(&cell_text(*v), style::CELL_SIZE)?.0 as i32);
    }
    let vertical_cols = col_w + 16 > MAX_FLAT_CELL_W;
    let mut cell_w = if vertical_cols {
        MIN_CELL_W
    } else {
        (col_w + 16).max(MIN_CELL_W)
    };
    cell_w = cell_w.max(value_w + 14);
    let col_label_h = if vertical_cols {
        col_w + 14
    } else {
        text_h + 16
    };

    let grid_x = MARGIN + row_w + 12;
    let grid_y = style::TITLE_H + col_label_h;
    let grid_w = cell_w * cols.len() as i32;
    let grid_h = CELL_H * rows.len() as i32;
    let bar_h = grid_h.max(MIN_BAR_H);

    let (lo, hi) = value_range(p);
    let fmt = style::TickFormat::for_range(lo, hi);
    let (ticks, _) = style::nice_ticks(lo, hi, (bar_h / BAR_TICK_SPACING) as usize);
    let mut bar_labels = Vec::with_capacity(ticks.len());
    let mut tick_w = 0;
    for v in ticks {
        let s = fmt.format(v);
        tick_w = tick_w.max(style::text_size(&s, style::TICK_SIZE)?.0 as i32);
        bar_labels.push((v, s));
    }
    let any_missing = p.values.iter().flatten().any(Option::is_none);
    let missing_w = if any_missing {
        BAR_W + 8 + style::text_size("missing", style::TICK_SIZE)?.0 as i32
    } else {
        0
    };
    let bar_x = grid_x + grid_w + BAR_GAP;
    let value_label_x = bar_x + (BAR_W + 8 + tick_w).max(missing_w) + 22;
    let value_label_w = if p.value_label.is_empty() {
        0
    } else {
        text_h + 4
    };
    let title_w = style::text_size(&p.title, style::TITLE_SIZE)?.0 as i32;
    let width = (value_label_x + value_label_w + MARGIN).max(title_w + 2 * MARGIN);
    let key_h = if any_missing { MISSING_KEY_H } else { 0 };
    let height = grid_y + grid_h.max(bar_h + key_h) + MARGIN;
    Ok(Layout {
        rows,
        cols,
        grid_x,
        grid_y,
        cell_w,
        vertical_cols,
        bar_h,
        bar_x,
        bar_labels,
        value_label_x,
        any_missing,
        width,
        height,
    })
}

pub(super) fn draw<DB: DrawingBackend>(
    p: &HeatmapPlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    let l = layout(p)?;
    style::draw_title(root, &p.title)?;
    let (lo, hi) = value_range(p);
    let scale = |v: f64| (v - lo) / (hi - lo);

    // row labels, right-aligned against the grid
    let row_style = style::text_style(style::TICK_SIZE, style::TEXT, HPos::Right, VPos::Center);
    for (r, label) in l.rows.iter().enumerate() {
        let y = l.grid_y + CELL_H * r as i32 + CELL_H / 2;
        root.draw(&Text::new(
            label.clone(),
            (l.grid_x - 10, y),
            row_style.clone(),
        ))
        .map_err(de)?;
    }
    // column labels above the grid
    for (c, label) in l.cols.iter().enumerate() {
        let x = l.grid_x + l.cell_w * c as i32 + l.cell_w / 2;
        let el = if l.vertical_cols {
            let st = style::rotated(style::text_style(
                style::TICK_SIZE,
                style::TEXT,
                HPos::Left,
                VPos::Center,
            ));
            Text::new(label.clone(), (x, l.grid_y - 8), st)
        } else {
            let st = style::text_style(style::TICK_SIZE, style::TEXT, HPos::Center, VPos::Bottom);
            Text::new(label.clone(), (x, l.grid_y - 8), st)
        };
        root.draw(&el).map_err(de)?;
    }
    // cells, with a 1-pixel white gap between them
    for (r, row) in p.values.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let x0 = l.grid_x + l.cell_w * c as i32;
            let y0 = l.grid_y + CELL_H * r as i32;
            let bg = match v {
                Some(x) => style::viridis(scale(*x)),
                None => style::MISSING,
            };
            root.draw(&Rectangle::new(
                [(x0 + 1, y0 + 1), (x0 + l.cell_w - 1, y0 + CELL_H - 1)],
                bg.filled(),
            ))
            .map_err(de)?;
            let fg = if v.is_some() {
                style::text_on(bg)
            } else {
                style::AXIS
            };
            let st = style::text_style(style::CELL_SIZE, fg, HPos::Center, VPos::Center);
            root.draw(&Text::new(
                cell_text(*v),
                (x0 + l.cell_w / 2, y0 + CELL_H / 2),
                st,
            ))
            .map_err(de)?;
        }
    }

    // colour bar: one pixel row per step, high values on top
    let bar_h = l.bar_h;
    let (bx, by) = (l.bar_x, l.grid_y);
    for k in 0..bar_h {
        let t = 1.0 - f64::from(k) / f64::from((bar_h - 1).max(1));
        root.draw(&Rectangle::new(
            [(bx, by + k), (bx + BAR_W, by + k + 1)],
            style::viridis(t).filled(),
        ))
        .map_err(de)?;
    }
    root.draw(&Rectangle::new(
        [(bx, by), (bx + BAR_W, by + bar_h)],
        style::stroke(style::AXIS, 1),
    ))
    .map_err(de)?;
    let tick_style = style::text_style(style::TICK_SIZE, style::TEXT, HPos::Left, VPos::Center);
    for (v, s) in &l.bar_labels {
        let y = by + ((1.0 - scale(*v)) * f64::from(bar_h - 1)).round() as i32;
        root.draw(&plotters::element::PathElement::new(
            vec![(bx + BAR_W, y), (bx + BAR_W + 5, y)],
            style::stroke(style::AXIS, 1),
        ))
        .map_err(de)?;
        root.draw(&Text::new(
            s.clone(),
            (bx + BAR_W + 8, y),
            tick_style.clone(),
        ))
        .map_err(de)?;
    }
    if l.any_missing {
        let y0 = by + bar_h + 12;
        root.draw(&Rectangle::new(
            [(bx, y0), (bx + BAR_W, y0 + 18)],
            style::MISSING.filled(),
        ))
        .map_err(de)?;
        root.draw(&Text::new(
            "missing".to_string(),
            (bx + BAR_W + 8, y0 + 9),
            tick_style.clone(),
        ))
        .map_err(de)?;
    }
    if !p.value_label.is_empty() {
        let st = style::rotated(style::text_style(
            style::DESC_SIZE,
            style::TEXT,
            HPos::Center,
            VPos::Center,
        ));
        root.draw(&Text::new(
            p.value_label.clone(),
            (l.value_label_x, by + bar_h / 2),
            st,
        ))
        .map_err(de)?;
    }
    Ok(())
}
