//! Figures for scripts, notebooks and reports: time series with labelled
//! anomaly ranges, ROC and precision–recall curves, score histograms and
//! result heatmaps and critical-difference diagrams, rendered to SVG or PNG.
//!
//! Why this module exists: an anomaly-detection result is read by looking at
//! it (where is the labelled range, where did the detector fire, how do the
//! score distributions overlap), and a report needs the same figure every time
//! it is regenerated. So the figures here are
//!
//! * **self-contained** — an SVG is one string with `<text>` elements and no
//!   external reference (no linked fonts, images or stylesheets); a PNG is
//!   rasterised with the DejaVu Sans font embedded in the binary
//!   (`src/resources/fonts/DejaVuSans.ttf`, licence beside it). The font is
//!   registered with plotters (its `ab_glyph` feature, not `ttf`/font-kit),
//!   so no system font lookup (fontconfig) happens and nothing is fetched;
//! * **deterministic** — the same [`Plot`] gives byte-identical SVG and PNG
//!   output (no clocks, no randomness, no hash-map iteration in drawing);
//! * **validated before drawing** — bad input gives a typed [`PlotError`]
//!   instead of a panic or a silently wrong picture.
//!
//! Deliberate choices a caller should know about:
//!
//! * Non-finite values (NaN, ±inf) are rejected with the index of the first
//!   one ([`PlotError::NonFinite`]); a caller that wants gaps or clipping
//!   (e.g. the infinite entries of a matrix profile) filters them first.
//! * Long time series are **downsampled per pixel column** before drawing:
//!   when a line has more than twice as many points as the plot is wide, each
//!   pixel column keeps only its minimum and maximum (in index order). The
//!   vertical extent drawn in every column is exactly that of the full data,
//!   so spikes and dips — which is what anomalies usually are — stay visible,
//!   while 100k points render as ~2k. See [`envelope`].
//! * Labelled anomaly ranges and markers outside the data's x range are
//!   clipped (or left out), not rejected.
//! * Histograms show the **fraction of each group** per bin (each group sums
//!   to 1), because anomalous points are usually far fewer than normal ones
//!   and raw counts would make them invisible. Both groups share one set of
//!   `bins` equal-width bins spanning both groups and the threshold.
//! * Heatmap colours use the viridis scale (perceptually uniform and
//!   colour-blind safe) over the range of the present values; missing cells
//!   are grey with "n/a".
//! * Lines use the Okabe–Ito colour-blind-safe palette; labelled anomaly
//!   ranges are shaded light red.
//! * The SVG's `font-family` is `DejaVu Sans, Verdana, sans-serif` (Verdana
//!   has nearly the same metrics), so a viewer without DejaVu still lays the
//!   text out close to how it was measured. The PNG always uses the
//!   embedded font.
//! * PNG text is measured and rasterised by this module (with `ab_glyph`,
//!   at the SVG backend's metrics: font size = plotters size / 1.24,
//!   SVG baseline offsets) instead of plotters' own `ab_glyph` drawing,
//!   which ignores glyph side bearings (uneven letter spacing) and puts the
//!   baseline elsewhere. So a PNG and its SVG place text alike.
//! * Very narrow labelled ranges are widened to 6 pixels so they stay
//!   visible; text too long for its slot (title, legend label, axis
//!   description, heatmap row/column label) is shortened with "…".
//! * Limits ([`PlotError::TooLarge`]): 12 panels, 32 lines per panel,
//!   10,000 ranges or markers, 16 curves, 2,000 bins, heatmaps of 300 rows
//!   × 100 columns, and figures of at most [`MAX_SIDE_PX`] a side and
//!   [`MAX_PIXELS`] pixels. The number of points per line is not limited
//!   (downsampling keeps drawing cost proportional to the plot width).
//! * PNG bytes are written by the `png` crate from plotters' RGB buffer
//!   (plotters' `bitmap_encoder`/`image` path is not used).

mod bars;
mod cd_diagram;
mod curves;
mod heatmap;
mod histogram;
mod style;
mod timeseries;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

pub use bars::BarsPlot;
pub use cd_diagram::CdDiagramPlot;
pub use curves::{Curve, CurvesPlot};
pub use heatmap::HeatmapPlot;
pub use histogram::HistogramPlot;
pub use timeseries::{Line, Marker, Panel, TimeSeriesPlot, envelope};

/// Largest width or height of a figure, in pixels.
pub const MAX_SIDE_PX: u32 = 16_384;
/// Largest number of pixels of a figure (width × height).
pub const MAX_PIXELS: u64 = 40_000_000;

/// A figure, ready to render as SVG or PNG.
#[derive(Debug, Clone, PartialEq)]
pub enum Plot {
    /// One or more stacked panels sharing an x axis (time index).
    TimeSeries(TimeSeriesPlot),
    /// ROC curves: false positive rate against true positive rate, with the
    /// chance diagonal.
    Roc(CurvesPlot),
    /// Precision–recall curves: recall against precision, with the
    /// positive-rate baseline when [`CurvesPlot::baseline`] is given.
    PrecisionRecall(CurvesPlot),
    /// Overlaid score histograms of normal and anomalous points.
    Histogram(HistogramPlot),
    /// A rows × columns grid of values (e.g. datasets × detectors ROC-AUC).
    Heatmap(HeatmapPlot),
    /// Horizontal bars of labelled values (an explanation's top features).
    Bars(BarsPlot),
    /// Demšar's critical-difference diagram of average ranks.
    CdDiagram(CdDiagramPlot),
}

/// Why a figure could not be rendered or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// Nothing to draw (no panels, lines, values, curves, rows …).
    #[error("nothing to plot: {0}")]
    Empty(String),
    /// A NaN or infinite value; `index` is its position in the named sequence.
    #[error("{what}: non-finite value {value} at index {index}")]
    NonFinite {
        /// Which sequence (e.g. "panel 0, line 'series'").
        what: String,
        /// Position of the first non-finite value in that sequence.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Paired sequences of different lengths (a curve's x and y).
    #[error("{what}: x has {x} values but y has {y}")]
    LengthMismatch {
        /// Which pair of sequences.
        what: String,
        /// Length of x.
        x: usize,
        /// Length of y.
        y: usize,
    },
    /// A heatmap whose value grid does not match its row/column labels.
    #[error("heatmap shape mismatch: {0}")]
    Shape(String),
    /// A value outside the range its axis allows (rates must lie in [0, 1]).
    #[error("{what}: value {value} at index {index} is outside [{min}, {max}]")]
    OutOfRange {
        /// Which sequence.
        what: String,
        /// Position of the first offending value.
        index: usize,
        /// The offending value.
        value: f64,
        /// Lowest allowed value.
        min: f64,
        /// Highest allowed value.
        max: f64,
    },
    /// A bad parameter (bins = 0, a range whose start is after its end, …).
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// More panels, lines, bins, cells or pixels than a figure allows.
    #[error("{what} too large: {size} > {max}")]
    TooLarge {
        /// What was counted.
        what: String,
        /// The requested size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// [`Plot::save`] was given a path not ending in `.svg` or `.png`.
    #[error("cannot save {}: the extension must be .svg or .png", path.display())]
    UnsupportedExtension {
        /// The path as given.
        path: PathBuf,
    },
    /// Writing the file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The target path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The embedded font could not be registered with plotters.
    #[error("the embedded font could not be loaded")]
    Font,
    /// plotters reported a drawing error.
    #[error("drawing failed: {0}")]
    Render(String),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

impl Plot {
    /// The figure's title.
    pub fn title(&self) -> &str {
        match self {
            Plot::TimeSeries(p) => &p.title,
            Plot::Roc(p) | Plot::PrecisionRecall(p) => &p.title,
            Plot::Histogram(p) => &p.title,
            Plot::Heatmap(p) => &p.title,
            Plot::Bars(p) => &p.title,
            Plot::CdDiagram(p) => &p.title,
        }
    }

    /// Check the data without drawing; every render entry point does this first.
    pub fn validate(&self) -> Result<(), PlotError> {
        match self {
            Plot::TimeSeries(p) => timeseries::validate(p),
            Plot::Roc(p) => curves::validate(p, curves::Kind::Roc),
            Plot::PrecisionRecall(p) => curves::validate(p, curves::Kind::PrecisionRecall),
            Plot::Histogram(p) => histogram::validate(p),
            Plot::Heatmap(p) => heatmap::validate(p),
            Plot::Bars(p) => bars::validate(p),
            Plot::CdDiagram(p) => cd_diagram::validate(p),
        }
    }

    /// Width and height of the rendered figure in pixels (validates first).
    ///
    /// Time series: 1200 wide, 300 per panel plus title, legend and axis
    /// margins; ROC/PR curves and histograms: 800 × 600; heatmaps: sized by
    /// their grid and label lengths.
    pub fn size(&self) -> Result<(u32, u32), PlotError> {
        self.validate()?;
        style::ensure_font()?;
        let (w, h) = match self {
            Plot::TimeSeries(p) => timeseries::size(p)?,
            Plot::Roc(_) | Plot::PrecisionRecall(_) => curves::SIZE,
            Plot::Histogram(_) => histogram::SIZE,
            Plot::Heatmap(p) => heatmap::layout(p)?.size(),
            Plot::Bars(p) => bars::size(p),
            Plot::CdDiagram(p) => cd_diagram::layout(p)?.size(),
        };
        check_size(w, h)?;
        Ok((w, h))
    }

    /// Render as a self-contained SVG document (text as `<text>` elements
    /// with `font-family` set; no external references).
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let (w, h) = self.size()?;
        let mut out = String::new();
        {
            let backend = style::Crisp::new(SVGBackend::with_string(&mut out, (w, h)), false)?;
            let root = backend.into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(style::de)?;
        }
        Ok(out)
    }

    /// Render as PNG bytes (8-bit RGB), text drawn with the embedded font.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        let (w, h) = self.size()?;
        let len = (w as usize) * (h as usize) * 3;
        let mut rgb = vec![255u8; len];
        {
            let backend = style::Crisp::new(BitMapBackend::with_buffer(&mut rgb, (w, h)), true)?;
            let root = backend.into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(style::de)?;
        }
        encode_png(&rgb, w, h)
    }

    /// Render and write to `path`, as SVG or PNG by its extension (`.svg`,
    /// `.png`, any case). The file is written atomically: a temporary file in
    /// the same directory is written, synced and renamed over the target, so a
    /// reader never sees a half-written figure. Missing parent directories
    /// are created.
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        let bytes = match ext.as_deref() {
            Some("svg") => self.to_svg()?.into_bytes(),
            Some("png") => self.to_png()?,
            _ => {
                return Err(PlotError::UnsupportedExtension {
                    path: path.to_path_buf(),
                });
            }
        };
        crate::atomic_file::write(path, &bytes).map_err(|source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        root.fill(&style::BACKGROUND).map_err(style::de)?;
        match self {
            Plot::TimeSeries(p) => timeseries::draw(p, root),
            Plot::Roc(p) => curves::draw(p, curves::Kind::Roc, root),
            Plot::PrecisionRecall(p) => curves::draw(p, curves::Kind::PrecisionRecall, root),
            Plot::Histogram(p) => histogram::draw(p, root),
            Plot::Heatmap(p) => heatmap::draw(p, root),
            Plot::Bars(p) => bars::draw(p, root),
            Plot::CdDiagram(p) => cd_diagram::draw(p, root),
        }
    }
}

fn check_size(w: u32, h: u32) -> Result<(), PlotError> {
    for (what, side) in [("figure width", w), ("figure height", h)] {
        if side > MAX_SIDE_PX {
            return Err(PlotError::TooLarge {
                what: format!("{what} in pixels"),
                size: side.into(),
                max: MAX_SIDE_PX.into(),
            });
        }
    }
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(PlotError::TooLarge {
            what: "figure area in pixels".into(),
            size: pixels,
            max: MAX_PIXELS,
        });
    }
    Ok(())
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
    }
    Ok(out)
}
