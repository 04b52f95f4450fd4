//! The critical-difference diagram of Demšar (2006, figure 1): models placed
//! on an axis of average ranks (1 on the left = best), each joined by a
//! line to its name, thick bars joining the groups of models whose ranks
//! differ by less than the critical difference, and the CD drawn as an
//! interval above the axis. The better half of the models is labelled on
//! the left, the rest on the right, as Demšar and autorank draw it.
//!
//! The plot takes plain numbers (names, average ranks, CD, groups as model
//! indices); `compare::Comparison::cd_diagram` fills them in.

use plotters::coord::Shift;
use plotters::element::{PathElement, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotError;
use super::style::{self, de};

/// Most models a diagram shows.
pub(super) const MAX_MODELS: usize = 100;
/// Longest label (name and rank) in pixels before it is shortened with "…".
const MAX_LABEL_W: u32 = 320;
const ROW_H: i32 = 26;
const BAR_GAP: i32 = 9;
const SIDE: i32 = 24;

/// A critical-difference diagram.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CdDiagramPlot {
    /// Figure title.
    pub title: String,
    /// Model names.
    pub models: Vec<String>,
    /// Average rank of each model (1 = best), in `models` order.
    pub ranks: Vec<f64>,
    /// The critical difference, in ranks.
    pub cd: f64,
    /// Groups of models not significantly different (indices into
    /// `models`); each becomes a bar from its best to its worst rank.
    pub groups: Vec<Vec<usize>>,
}

pub(super) fn validate(p: &CdDiagramPlot) -> Result<(), PlotError> {
    let k = p.models.len();
    if k < 2 {
        return Err(PlotError::Empty(
            "a critical-difference diagram needs at least 2 models".into(),
        ));
    }
    if k > MAX_MODELS {
        return Err(PlotError::TooLarge {
            what: "number of models".into(),
            size: k as u64,
            max: MAX_MODELS as u64,
        });
    }
    if p.ranks.len() != k {
        return Err(PlotError::Shape(format!(
            "{} ranks for {k} models",
            p.ranks.len()
        )));
    }
    for (index, &value) in p.ranks.iter().enumerate() {
        if !value.is_finite() {
            return Err(PlotError::NonFinite {
                what: "average ranks".into(),
                index,
                value,
            });
        }
        if !(1.0..=k as f64).contains(&value) {
            return Err(PlotError::OutOfRange {
                what: "average ranks".into(),
                index,
                value,
                min: 1.0,
                max: k as f64,
            });
        }
    }
    if !(p.cd.is_finite() && p.cd >= 0.0) {
        return Err(PlotError::InvalidParameter {
            name: "cd".into(),
            reason: format!("{} is not a finite non-negative number", p.cd),
        });
    }
    for g in &p.groups {
        if let Some(&i) = g.iter().find(|&&i| i >= k) {
            return Err(PlotError::InvalidParameter {
                name: "groups".into(),
                reason: format!("model index {i} is out of range for {k} models"),
            });
        }
    }
    Ok(())
}

/// Positions of everything, from the data and the label widths.
pub(super) struct Layout {
    width: i32,
    height: i32,
    /// Pixel x of rank 1 and rank k.
    x0: i32,
    x1: i32,
    axis_y: i32,
    first_row_y: i32,
    /// Models best first; the labels shown.
    order: Vec<usize>,
    labels: Vec<String>,
    left: usize,
}

impl Layout {
    fn x(&self, rank: f64, k: usize) -> i32 {
        let t = if k > 1 {
            (rank - 1.0) / (k as f64 - 1.0)
        } else {
            0.0
        };
        self.x0 + (t * f64::from(self.x1 - self.x0)).round() as i32
    }

    pub(super) fn size(&self) -> (u32, u32) {
        (self.width as u32, self.height as u32)
    }
}

pub(super) fn layout(p: &CdDiagramPlot) -> Result<Layout, PlotError> {
    let k = p.models.len();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| p.ranks[a].total_cmp(&p.ranks[b]));
    let mut labels = vec![String::new(); k];
    let mut label_w = 0;
    for &i in &order {
        let text = style::fit(
            &format!("{} ({:.2})", p.models[i], p.ranks[i]),
            style::LEGEND_SIZE,
            MAX_LABEL_W,
        )?;
        label_w = label_w.max(style::text_size(&text, style::LEGEND_SIZE)?.0 as i32);
        labels[i] = text;
    }
    let left = k.div_ceil(2);
    let rows = left.max(k - left) as i32;
    let axis_w = (56 * (k as i32 - 1)).clamp(360, 1400);
    let x0 = SIDE + label_w + 30;
    let x1 = x0 + axis_w;
    let width = x1 + 30 + label_w + SIDE;
    let axis_y = style::TITLE_H + 78;
    let bars = p.groups.len() as i32;
    let first_row_y = axis_y + 18 + bars * BAR_GAP + 12;
    let height = first_row_y + rows * ROW_H + 16;
    Ok(Layout {
        width,
        height,
        x0,
        x1,
        axis_y,
        first_row_y,
        order,
        labels,
        left,
    })
}

pub(super) fn draw<DB: DrawingBackend>(
    p: &CdDiagramPlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    style::draw_title(root, &p.title)?;
    let l = layout(p)?;
    let k = p.models.len();
    let line = |pts: Vec<(i32, i32)>, width: u32, color| {
        root.draw(&PathElement::new(pts, style::stroke(color, width)))
            .map_err(de)
    };
    let text = |s: &str, at: (i32, i32), size: f64, h: HPos, v: VPos| {
        root.draw(&Text::new(
            s.to_string(),
            at,
            style::text_style(size, style::TEXT, h, v),
        ))
        .map_err(de)
    };

    // the axis, its ticks (integers and halves) and rank labels above it
    line(vec![(l.x0, l.axis_y), (l.x1, l.axis_y)], 2, style::BLACK)?;
    for r2 in 2..=(2 * k) {
        let r = r2 as f64 / 2.0;
        let x = l.x(r, k);
        let len = if r2 % 2 == 0 { 9 } else { 5 };
        line(vec![(x, l.axis_y - len), (x, l.axis_y)], 1, style::BLACK)?;
        if r2 % 2 == 0 {
            text(
                &format!("{}", r2 / 2),
                (x, l.axis_y - 12),
                style::TICK_SIZE,
                HPos::Center,
                VPos::Bottom,
            )?;
        }
    }

    // the CD interval, from rank 1, above the tick labels
    let cd_y = l.axis_y - 48;
    let cd_x1 = l.x((1.0 + p.cd).min(k as f64), k);
    line(vec![(l.x0, cd_y), (cd_x1, cd_y)], 2, style::BLACK)?;
    for x in [l.x0, cd_x1] {
        line(vec![(x, cd_y - 5), (x, cd_y + 5)], 2, style::BLACK)?;
    }
    text(
        &format!("CD = {:.3}", p.cd),
        (cd_x1 + 8, cd_y),
        style::TICK_SIZE,
        HPos::Left,
        VPos::Center,
    )?;

    // one line from each model's rank down to its label
    for (pos, &i) in l.order.iter().enumerate() {
        let x = l.x(p.ranks[i], k);
        let (row, on_left) = if pos < l.left {
            (pos, true)
        } else {
            (k - 1 - pos, false)
        };
        let y = l.first_row_y + row as i32 * ROW_H;
        let end = if on_left { l.x0 - 16 } else { l.x1 + 16 };
        line(vec![(x, l.axis_y), (x, y), (end, y)], 1, style::AXIS)?;
        let (at, h) = if on_left {
            ((end - 6, y), HPos::Right)
        } else {
            ((end + 6, y), HPos::Left)
        };
        text(&l.labels[i], at, style::LEGEND_SIZE, h, VPos::Center)?;
    }

    // the groups: thick bars just below the axis, one row each
    for (g, members) in p.groups.iter().enumerate() {
        let (lo, hi) = members
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &i| {
                (a.min(p.ranks[i]), b.max(p.ranks[i]))
            });
        if !lo.is_finite() {
            continue;
        }
        let y = l.axis_y + 18 + g as i32 * BAR_GAP;
        line(
            vec![(l.x(lo, k) - 6, y), (l.x(hi, k) + 6, y)],
            5,
            style::BLACK,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::Plot;

    fn diagram() -> CdDiagramPlot {
        CdDiagramPlot {
            title: "CD".into(),
            models: vec!["knn".into(), "lof".into(), "hbos".into(), "iforest".into()],
            ranks: vec![1.5, 3.5, 2.25, 2.75],
            cd: 1.2,
            groups: vec![vec![0, 2, 3], vec![2, 3, 1]],
        }
    }

    #[test]
    fn renders_names_ranks_and_the_cd_deterministically() {
        let p = Plot::CdDiagram(diagram());
        let svg = p.to_svg().unwrap();
        for want in ["knn (1.50)", "lof (3.50)", "hbos (2.25)", "CD = 1.200"] {
            assert!(svg.contains(want), "missing {want:?}");
        }
        assert_eq!(svg, p.to_svg().unwrap());
        let png = p.to_png().unwrap();
        assert_eq!(png, p.to_png().unwrap());
        let (w, h) = p.size().unwrap();
        assert!(w >= 400 && h >= 200, "{w}x{h}");
    }

    #[test]
    fn better_half_is_labelled_on_the_left() {
        let l = layout(&diagram()).unwrap();
        assert_eq!(l.order, vec![0, 2, 3, 1]);
        assert_eq!(l.left, 2);
        assert!(l.x(1.0, 4) < l.x(4.0, 4));
    }

    #[test]
    fn bad_diagrams_are_refused() {
        let bad = |f: fn(&mut CdDiagramPlot)| {
            let mut p = diagram();
            f(&mut p);
            Plot::CdDiagram(p).validate().unwrap_err().to_string()
        };
        assert!(bad(|p| p.models.truncate(1)).contains("at least 2 models"));
        assert!(bad(|p| p.ranks.pop().map_or((), |_| ())).contains("3 ranks for 4 models"));
        assert!(bad(|p| p.ranks[0] = f64::NAN).contains("non-finite"));
        assert!(bad(|p| p.ranks[0] = 0.5).contains("outside"));
        assert!(bad(|p| p.cd = -1.0).contains("cd"));
        assert!(bad(|p| p.groups = vec![vec![7]]).contains("out of range"));
    }
}
