//! Shared look of all figures: the embedded font, colours, text sizes, tick
//! formatting and the legend box.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters::coord::Shift;
use plotters::element::{DashedPathElement, PathElement, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingAreaErrorKind, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontDesc, FontFamily, FontStyle, FontTransform, RGBAColor, RGBColor, ShapeStyle,
    TextStyle,
};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use super::PlotError;

/// DejaVu Sans 2.37 (Debian `fonts-dejavu-core`), Bitstream Vera licence in
/// `DejaVuSans-LICENSE.txt` beside it.
static FONT_BYTES: &[u8] = include_bytes!("../resources/fonts/DejaVuSans.ttf");

/// The name the embedded font is registered under with plotters. The SVG
/// backend writes it verbatim as the `font-family` attribute, so it is a
/// valid CSS font list: viewers without DejaVu fall back to Verdana (nearly
/// the same metrics) or their sans-serif.
pub(super) const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

static FONT_READY: OnceLock<Option<FontRef<'static>>> = OnceLock::new();

/// Parse the embedded font and register it with plotters, once per process
/// (plotters keeps a global font table; nothing is looked up on the
/// system). Returns the parsed font used for measuring and rasterising.
pub(super) fn ensure_font() -> Result<&'static FontRef<'static>, PlotError> {
    FONT_READY
        .get_or_init(|| {
            let font = FontRef::try_from_slice(FONT_BYTES).ok()?;
            plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).ok()?;
            Some(font)
        })
        .as_ref()
        .ok_or(PlotError::Font)
}

// ---------------------------------------------------------------- text engine
//
// Text metrics and rasterisation follow the SVG backend's conventions, so a
// PNG and the same SVG viewed with DejaVu Sans place text alike:
// font-size (em) = plotters size / 1.24; the baseline sits 0.76 em below a
// top anchor, 0.5 ex below a centre anchor and 0.5 ex above a bottom anchor.
// (plotters' own ab_glyph drawing ignores each glyph's side bearing, which
// gives uneven letter spacing, and puts the baseline elsewhere; so the
// bitmap backend is wrapped in [`Crisp`], which draws text here.)

/// DejaVu Sans x-height (OS/2 sxHeight 1120 / 2048 units per em).
const X_HEIGHT_EM: f64 = 1120.0 / 2048.0;

/// Em size in pixels for a plotters text size (as the SVG backend writes it).
fn em_px(size: f64) -> f64 {
    size / 1.24
}

fn px_scale(font: &FontRef<'static>, em: f64) -> PxScale {
    let upem = f64::from(font.units_per_em().unwrap_or(2048.0));
    PxScale::from((em * f64::from(font.height_unscaled()) / upem) as f32)
}

/// Pen positions of each glyph (advance plus kerning) and the total width.
fn layout_glyphs(font: &FontRef<'static>, em: f64, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let scaled = font.as_scaled(px_scale(font, em));
    let mut out = Vec::with_capacity(text.len());
    let mut pen = 0f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        out.push((id, pen));
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    (out, pen)
}

/// Width and height (one em) of `text` at plotters size `size`.
fn measure(font: &FontRef<'static>, size: f64, text: &str) -> (u32, u32) {
    let em = em_px(size);
    let (_, w) = layout_glyphs(font, em, text);
    (f64::from(w).ceil().max(0.0) as u32, em.ceil() as u32)
}

/// Rasterise `text` as the SVG backend would place it, calling `put` with
/// each covered pixel and its coverage in (0, 1].
fn rasterize(
    font: &FontRef<'static>,
    text: &str,
    size: f64,
    anchor: Pos,
    transform: &FontTransform,
    pos: (i32, i32),
    mut put: impl FnMut(i32, i32, f32),
) {
    let em = em_px(size);
    let scale = px_scale(font, em);
    let (glyphs, width) = layout_glyphs(font, em, text);
    let x0 = match anchor.h_pos {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    };
    let baseline = match anchor.v_pos {
        VPos::Top => 0.76 * em,
        VPos::Center => 0.5 * X_HEIGHT_EM * em,
        VPos::Bottom => -0.5 * X_HEIGHT_EM * em,
    } as f32;
    for (id, pen) in glyphs {
        let glyph = id.with_scale_and_position(scale, point(x0 + pen, baseline));
        if let Some(outlined) = font.outline_glyph(glyph) {
            let b = outlined.px_bounds();
            let (bx, by) = (b.min.x as i32, b.min.y as i32);
            outlined.draw(|x, y, c| {
                if c > 0.0 {
                    let (rx, ry) = transform.transform(bx + x as i32, by + y as i32);
                    put(pos.0 + rx, pos.1 + ry, c.min(1.0));
                }
            });
        }
    }
}

/// A drawing backend wrapper: every call goes to `inner`, except that text
/// is measured with the embedded font at SVG metrics and, when `raster` is
/// set (bitmap output), drawn by [`rasterize`] pixel by pixel.
pub(super) struct Crisp<B> {
    inner: B,
    raster: bool,
    font: &'static FontRef<'static>,
}

impl<B: DrawingBackend> Crisp<B> {
    pub(super) fn new(inner: B, raster: bool) -> Result<Self, PlotError> {
        Ok(Self {
            inner,
            raster,
            font: ensure_font()?,
        })
    }
}

impl<B: DrawingBackend> DrawingBackend for Crisp<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, (iw, ih), src)
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        let (w, h) = measure(self.font, style.size(), text);
        let (tw, th) = style.transform().transform(w as i32, h as i32);
        Ok((tw.unsigned_abs(), th.unsigned_abs()))
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        if !self.raster {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha <= 0.0 {
            return Ok(());
        }
        let (w, h) = self.inner.get_size();
        let mut pixels = Vec::new();
        rasterize(
            self.font,
            text,
            style.size(),
            style.anchor(),
            &style.transform(),
            pos,
            |x, y, c| {
                if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                    pixels.push((x, y, c));
                }
            },
        );
        for (x, y, c) in pixels {
            self.inner.draw_pixel(
                (x, y),
                BackendColor {
                    alpha: color.alpha * f64::from(c),
                    rgb: color.rgb,
                },
            )?;
        }
        Ok(())
    }
}

/// Map a plotters drawing error to [`PlotError::Render`].
pub(super) fn de<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Render(e.to_string())
}

// ---------------------------------------------------------------- colours

pub(super) const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
pub(super) const TEXT: RGBColor = RGBColor(34, 34, 34);
pub(super) const AXIS: RGBColor = RGBColor(90, 90, 90);
pub(super) const GRID: RGBColor = RGBColor(232, 232, 232);
pub(super) const LEGEND_BORDER: RGBColor = RGBColor(190, 190, 190);
pub(super) const REFERENCE: RGBColor = RGBColor(120, 120, 120);
pub(super) const MISSING: RGBColor = RGBColor(200, 200, 200);
pub(super) const BLACK: RGBColor = RGBColor(0, 0, 0);
pub(super) const WHITE: RGBColor = RGBColor(255, 255, 255);
/// Shading of labelled anomaly ranges (light red; drawn at this opacity).
pub(super) const ANOMALY_SHADE: RGBColor = RGBColor(230, 60, 60);
pub(super) const ANOMALY_ALPHA: f64 = 0.18;

/// Okabe–Ito palette (colour-blind safe), yellow left out (too light on white).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 0, 0),       // black
];

pub(super) fn line_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Colour of marker `i` (dashed) in a figure with `n_lines` lines: black
/// first, then palette colours no line uses, cycling when they run out.
pub(super) fn marker_color(i: usize, n_lines: usize) -> RGBColor {
    const BLACK_INDEX: usize = PALETTE.len() - 1;
    if i == 0 {
        return BLACK;
    }
    let free: Vec<RGBColor> = (n_lines.min(BLACK_INDEX)..BLACK_INDEX)
        .map(|k| PALETTE[k])
        .collect();
    let pool: &[RGBColor] = if free.is_empty() {
        &PALETTE[..BLACK_INDEX]
    } else {
        &free
    };
    pool[(i - 1) % pool.len()]
}

/// Viridis at 17 evenly spaced points (matplotlib's table, rounded to 8 bit).
const VIRIDIS: [(u8, u8, u8); 17] = [
    (68, 1, 84),
    (72, 24, 106),
    (71, 45, 123),
    (66, 64, 134),
    (59, 82, 139),
    (51, 99, 141),
    (44, 114, 142),
    (38, 130, 142),
    (33, 145, 140),
    (31, 160, 136),
    (40, 174, 128),
    (63, 188, 115),
    (94, 201, 98),
    (132, 212, 75),
    (173, 220, 48),
    (216, 226, 25),
    (253, 231, 37),
];

/// Viridis colour at `t` in [0, 1] (clamped), linearly interpolated.
pub(super) fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `bg`.
pub(super) fn text_on(bg: RGBColor) -> RGBColor {
    let lum = 0.299 * f64::from(bg.0) + 0.587 * f64::from(bg.1) + 0.114 * f64::from(bg.2);
    if lum > 140.0 { BLACK } else { WHITE }
}

// ---------------------------------------------------------------- text

/// Text sizes in plotters units (the SVG font-size is this / 1.24).
pub(super) const TITLE_SIZE: f64 = 26.0;
pub(super) const DESC_SIZE: f64 = 19.0;
pub(super) const TICK_SIZE: f64 = 16.0;
pub(super) const LEGEND_SIZE: f64 = 17.0;
pub(super) const CELL_SIZE: f64 = 16.0;

pub(super) fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), size, FontStyle::Normal)
}

pub(super) fn text_style(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: font(size),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

pub(super) fn rotated(style: TextStyle<'static>) -> TextStyle<'static> {
    TextStyle {
        font: style.font.transform(FontTransform::Rotate270),
        ..style
    }
}

/// Width and height of `text` at `size`, measured with the embedded font.
pub(super) fn text_size(text: &str, size: f64) -> Result<(u32, u32), PlotError> {
    Ok(measure(ensure_font()?, size, text))
}

/// Shorten `text` with "…" until it is at most `max_w` pixels wide.
pub(super) fn fit(text: &str, size: f64, max_w: u32) -> Result<String, PlotError> {
    if text_size(text, size)?.0 <= max_w {
        return Ok(text.to_string());
    }
    // binary search for the longest prefix that fits with the ellipsis
    let chars: Vec<char> = text.chars().collect();
    let with_ellipsis = |n: usize| chars[..n].iter().collect::<String>() + "…";
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_size(&with_ellipsis(mid), size)?.0 <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(with_ellipsis(lo))
}

/// "Nice" tick values (1, 2 or 5 × 10^k apart) inside `[lo, hi]`, at most
/// `max_n` of them, and the decimals they need.
pub(super) fn nice_ticks(lo: f64, hi: f64, max_n: usize) -> (Vec<f64>, usize) {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return (vec![lo], 3);
    }
    let max_n = max_n.max(2) as f64;
    let mut base = 10f64.powf(span.log10().floor() - 2.0);
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = base * m;
            let first = (lo / step).ceil();
            let last = (hi / step).floor();
            let count = last - first + 1.0;
            if count <= max_n {
                let ticks = (0..count.max(0.0) as usize)
                    .map(|k| (first + k as f64) * step)
                    .collect();
                let decimals = (-step.log10().floor()).max(0.0) as usize;
                return (ticks, decimals);
            }
        }
        base *= 10.0;
    }
}

/// Draw the figure title centred at the top.
pub(super) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<(), PlotError> {
    let (w, _) = root.dim_in_pixel();
    let style = text_style(TITLE_SIZE, TEXT, HPos::Center, VPos::Center);
    let title = fit(title, TITLE_SIZE, w.saturating_sub(20))?;
    root.draw(&Text::new(title, ((w / 2) as i32, TITLE_H / 2), style))
        .map_err(de)
}

/// Height of the title strip.
pub(super) const TITLE_H: i32 = 46;

/// How the tick labels of one axis are written: all fixed-point or all
/// scientific (never mixed on one axis), with enough digits that
/// neighbouring ticks differ, trailing zeros trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TickFormat {
    decimals: usize,
    scientific: bool,
}

impl TickFormat {
    /// Format for an axis spanning `[lo, hi]` with about ten ticks:
    /// scientific when the largest magnitude is ≥ 1e7 or below 1e-3.
    pub(super) fn for_range(lo: f64, hi: f64) -> Self {
        let span = (hi - lo).abs();
        let max_abs = lo.abs().max(hi.abs());
        if !(span > 0.0 && span.is_finite() && max_abs.is_finite()) {
            return Self::fixed(3);
        }
        let step_exp = (span / 10.0).log10().floor();
        if !(1e-3..1e7).contains(&max_abs) {
            let p = (max_abs.log10().floor() - step_exp + 1.0).clamp(1.0, 6.0);
            Self {
                decimals: p as usize,
                scientific: true,
            }
        } else {
            Self::fixed((-step_exp + 1.0).clamp(0.0, 12.0) as usize)
        }
    }

    /// Fixed-point with at most `decimals` decimals.
    pub(super) fn fixed(decimals: usize) -> Self {
        Self {
            decimals,
            scientific: false,
        }
    }

    pub(super) fn format(&self, v: f64) -> String {
        let d = self.decimals;
        if v == 0.0 {
            return "0".into();
        }
        if self.scientific {
            let s = format!("{v:.d$e}");
            return match s.split_once('e') {
                Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
                None => s,
            };
        }
        let s = trim_zeros(&format!("{v:.d$}"));
        if s == "-0" { "0".into() } else { s }
    }
}

/// "1.500" → "1.5", "2.000" → "2", "300" → "300".
fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A value in a legend (threshold, rate): 3 decimals, or scientific with 3
/// decimals for magnitudes ≥ 1e6 or below 1e-3.
pub(super) fn format_value(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else {
        format!("{v:.3}")
    }
}

/// Pad a data range by 5 % on both sides; widen a degenerate one.
pub(super) fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    if span > 0.0 && span.is_finite() {
        (lo - 0.05 * span, hi + 0.05 * span)
    } else {
        let d = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - d, hi + d)
    }
}

// ---------------------------------------------------------------- legend

/// How a legend entry's sample is drawn.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled box at the given opacity, outlined in the colour.
    Patch(RGBColor, f64),
}

#[derive(Debug, Clone)]
pub(super) struct LegendEntry {
    pub label: String,
    pub swatch: Swatch,
}

const SWATCH_W: i32 = 30;
const SWATCH_GAP: i32 = 8;
const ENTRY_GAP: i32 = 26;
const ROW_H: i32 = 24;
const PAD: i32 = 10;
/// Longer legend labels are shortened with "…".
const MAX_LEGEND_LABEL_W: u32 = 520;

/// Where each entry goes inside the legend box, and the box size.
#[derive(Debug, Clone)]
pub(super) struct LegendLayout {
    pub origins: Vec<(i32, i32)>,
    pub width: i32,
    pub height: i32,
}

/// Lay entries out one per row (`max_width` = None) or flowing left to right
/// and wrapping at `max_width`.
pub(super) fn layout_legend(
    entries: &[LegendEntry],
    max_width: Option<i32>,
) -> Result<LegendLayout, PlotError> {
    let mut origins = Vec::with_capacity(entries.len());
    let (mut x, mut y) = (PAD, PAD);
    let mut width = 0;
    for (i, e) in entries.iter().enumerate() {
        let (tw, _) = text_size(
            &fit(&e.label, LEGEND_SIZE, MAX_LEGEND_LABEL_W)?,
            LEGEND_SIZE,
        )?;
        let entry_w = SWATCH_W + SWATCH_GAP + tw as i32;
        match max_width {
            None => {
                if i > 0 {
                    y += ROW_H;
                }
                origins.push((PAD, y));
                width = width.max(PAD + entry_w + PAD);
            }
            Some(maxw) => {
                if i > 0 && x + entry_w + PAD > maxw {
                    x = PAD;
                    y += ROW_H;
                }
                origins.push((x, y));
                width = width.max(x + entry_w + PAD);
                x += entry_w + ENTRY_GAP;
            }
        }
    }
    let height = if entries.is_empty() {
        0
    } else {
        y + ROW_H + PAD
    };
    Ok(LegendLayout {
        origins,
        width,
        height,
    })
}

/// Draw a legend box with its top-left corner at `at` (pixels of `area`).
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    entries: &[LegendEntry],
    layout: &LegendLayout,
) -> Result<(), PlotError> {
    if entries.is_empty() {
        return Ok(());
    }
    let (x0, y0) = at;
    let (x1, y1) = (x0 + layout.width, y0 + layout.height);
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))
        .map_err(de)?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        stroke(LEGEND_BORDER, 1),
    ))
    .map_err(de)?;
    let label_style = text_style(LEGEND_SIZE, TEXT, HPos::Left, VPos::Center);
    for (e, &(ox, oy)) in entries.iter().zip(&layout.origins) {
        let (sx, cy) = (x0 + ox, y0 + oy + ROW_H / 2);
        match e.swatch {
            Swatch::Line(c) => {
                area.draw(&PathElement::new(
                    vec![(sx, cy), (sx + SWATCH_W, cy)],
                    stroke(c, 3),
                ))
                .map_err(de)?;
            }
            Swatch::Dashed(c) => {
                area.draw(&DashedPathElement::new(
                    vec![(sx, cy), (sx + SWATCH_W, cy)],
                    7,
                    4,
                    stroke(c, 2),
                ))
                .map_err(de)?;
            }
            Swatch::Patch(c, alpha) => {
                let r = [(sx, cy - 7), (sx + SWATCH_W, cy + 7)];
                area.draw(&Rectangle::new(r, c.mix(alpha).filled()))
                    .map_err(de)?;
                area.draw(&Rectangle::new(r, stroke(c, 1))).map_err(de)?;
            }
        }
        area.draw(&Text::new(
            fit(&e.label, LEGEND_SIZE, MAX_LEGEND_LABEL_W)?,
            (sx + SWATCH_W + SWATCH_GAP, cy),
            label_style.clone(),
        ))
        .map_err(de)?;
    }
    Ok(())
}

/// A corner of a plot area for a legend box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Corner {
    UpperRight,
    UpperLeft,
    LowerRight,
    LowerLeft,
}

/// Pick the corner (in preference order) whose legend box covers the
/// fewest of `points` (pixels relative to the plot area of size `area`).
/// Returns the box's top-left corner.
pub(super) fn place_legend(
    area: (i32, i32),
    legend: (i32, i32),
    points: &[(i32, i32)],
    prefs: &[Corner],
) -> (i32, i32) {
    const INSET: i32 = 12;
    let origin = |c: Corner| match c {
        Corner::UpperRight => (area.0 - legend.0 - INSET, INSET),
        Corner::UpperLeft => (INSET, INSET),
        Corner::LowerRight => (area.0 - legend.0 - INSET, area.1 - legend.1 - INSET),
        Corner::LowerLeft => (INSET, area.1 - legend.1 - INSET),
    };
    let mut best: Option<((i32, i32), usize)> = None;
    for &c in prefs {
        let (x, y) = origin(c);
        let covered = points
            .iter()
            .filter(|&&(px, py)| {
                px >= x - 4 && px <= x + legend.0 + 4 && py >= y - 4 && py <= y + legend.1 + 4
            })
            .count();
        if best.is_none_or(|(_, n)| covered < n) {
            best = Some(((x, y), covered));
        }
    }
    best.map_or((INSET, INSET), |(o, _)| o)
}

/// Points along a polyline, `step` pixels apart at most, for legend placement.
pub(super) fn densify(path: &[(i32, i32)], step: i32) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    for w in path.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let n = ((x1 - x0).abs().max((y1 - y0).abs()) / step.max(1)).max(1);
        for k in 0..n {
            out.push((x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n));
        }
    }
    if let Some(&last) = path.last() {
        out.push(last);
    }
    out
}

/// Drop consecutive points that land on the same pixel (lossless at the
/// rendered resolution).
pub(super) fn dedup_pixels(points: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Style of a thin solid line.
pub(super) fn stroke(c: RGBColor, width: u32) -> ShapeStyle {
    Color::stroke_width(&c, width)
}

/// A translucent fill.
pub(super) fn fill(c: RGBColor, alpha: f64) -> ShapeStyle {
    let RGBColor(r, g, b) = c;
    RGBAColor(r, g, b, alpha).filled()
}
