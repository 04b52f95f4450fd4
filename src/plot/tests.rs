//! Tests of the plot module: content of the SVG, PNG validity and size,
//! text actually rasterised, determinism, validation errors, downsampling.

use super::*;

fn series(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (i as f64 / 20.0).sin() + if i == n / 2 { 5.0 } else { 0.0 })
        .collect()
}

fn ts_plot() -> Plot {
    let v = series(2000);
    let sq: Vec<f64> = v.iter().map(|x| x * x).collect();
    Plot::TimeSeries(TimeSeriesPlot {
        title: "Sensor 7 & friends".into(),
        x_label: "time index".into(),
        panels: vec![
            Panel {
                y_label: "amplitude".into(),
                lines: vec![Line {
                    name: "raw series".into(),
                    x0: 0,
                    values: v,
                }],
            },
            Panel {
                y_label: "anomaly score".into(),
                lines: vec![Line {
                    name: "squared".into(),
                    x0: 10,
                    values: sq[10..].to_vec(),
                }],
            },
        ],
        ranges: vec![(990, 1010)],
        markers: vec![Marker {
            x: 1000,
            label: "top discord".into(),
        }],
    })
}

fn curve(name: &str, k: f64, auc: f64) -> Curve {
    let x: Vec<f64> = (0..=50).map(|i| f64::from(i) / 50.0).collect();
    let y = x.iter().map(|t| t.powf(1.0 / k)).collect();
    Curve {
        name: name.into(),
        x,
        y,
        auc,
    }
}

fn roc_plot() -> Plot {
    Plot::Roc(CurvesPlot {
        title: "ROC curves".into(),
        curves: vec![curve("iforest", 3.0, 0.912), curve("lof", 1.5, 0.7)],
        baseline: None,
    })
}

fn pr_plot() -> Plot {
    Plot::PrecisionRecall(CurvesPlot {
        title: "PR curves".into(),
        curves: vec![curve("iforest", 3.0, 0.5)],
        baseline: Some(0.05),
    })
}

fn hist_plot() -> Plot {
    Plot::Histogram(HistogramPlot {
        title: "Score histogram".into(),
        normal: (0..200).map(|i| f64::from(i % 37) / 100.0).collect(),
        anomalous: vec![0.6, 0.7, 0.72],
        bins: 20,
        threshold: Some(0.5),
    })
}

fn heatmap_plot() -> Plot {
    Plot::Heatmap(HeatmapPlot {
        title: "ROC-AUC grid".into(),
        rows: vec!["d1".into(), "d2".into(), "d3".into()],
        cols: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        values: vec![
            vec![Some(0.912), Some(0.5), Some(0.75), Some(0.6)],
            vec![Some(0.8), None, Some(0.9), Some(0.55)],
            vec![Some(0.65), Some(0.7), Some(0.99), None],
        ],
        value_label: "ROC-AUC".into(),
    })
}

fn all_plots() -> Vec<Plot> {
    vec![
        ts_plot(),
        roc_plot(),
        pr_plot(),
        hist_plot(),
        heatmap_plot(),
    ]
}

fn decode_png(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info, buf)
}

/// Pixels in rows `y0..y1` darker than 100 in every channel.
fn dark_pixels(rgb: &[u8], width: u32, y0: u32, y1: u32) -> usize {
    let w = width as usize;
    rgb[(y0 as usize * w * 3)..(y1 as usize * w * 3)]
        .chunks_exact(3)
        .filter(|p| p.iter().all(|&c| c < 100))
        .count()
}

// ------------------------------------------------------------------ SVG

#[test]
fn svg_has_texts_and_no_external_references() {
    for plot in all_plots() {
        let svg = plot.to_svg().unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.trim_end().ends_with("</svg>"));
        // the only URL is the namespace declaration
        assert_eq!(svg.matches("http").count(), 1, "{}", plot.title());
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        for bad in ["href", "url(", "@import", "<image", "<script", "@font-face"] {
            assert!(!svg.contains(bad), "{bad} in {}", plot.title());
        }
        assert!(svg.contains("font-family=\"DejaVu Sans, Verdana, sans-serif\""));
        assert!(svg.contains("<text"));
    }
}

#[test]
fn svg_time_series_texts() {
    let svg = ts_plot().to_svg().unwrap();
    for text in [
        "Sensor 7 &amp; friends",
        "time index",
        "amplitude",
        "anomaly score",
        "raw series",
        "squared",
        "labelled anomaly",
        "top discord",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn svg_curve_histogram_heatmap_texts() {
    let roc = roc_plot().to_svg().unwrap();
    for text in [
        "ROC curves",
        "false positive rate",
        "true positive rate",
        "iforest (AUC 0.912)",
        "lof (AUC 0.700)",
        "chance",
    ] {
        assert!(roc.contains(text), "ROC missing {text:?}");
    }
    let pr = pr_plot().to_svg().unwrap();
    for text in [
        "recall",
        "precision",
        "iforest (AUC 0.500)",
        "baseline (positive rate 0.050)",
    ] {
        assert!(pr.contains(text), "PR missing {text:?}");
    }
    let hist = hist_plot().to_svg().unwrap();
    for text in [
        "Score histogram",
        "score",
        "fraction of group",
        "normal (n = 200)",
        "anomalous (n = 3)",
        "threshold 0.5",
    ] {
        assert!(hist.contains(text), "histogram missing {text:?}");
    }
    let hm = heatmap_plot().to_svg().unwrap();
    for text in [
        "ROC-AUC grid",
        "d2",
        ">\nc\n<",
        "0.912",
        "0.990",
        "n/a",
        "ROC-AUC",
        "missing",
    ] {
        assert!(hm.contains(text), "heatmap missing {text:?}");
    }
}

#[test]
fn pr_without_baseline_has_no_baseline_entry() {
    let Plot::PrecisionRecall(mut p) = pr_plot() else {
        unreachable!()
    };
    p.baseline = None;
    let svg = Plot::PrecisionRecall(p).to_svg().unwrap();
    assert!(!svg.contains("baseline"));
}

// ------------------------------------------------------------------ PNG

#[test]
fn png_signature_and_size() {
    for plot in all_plots() {
        let (w, h) = plot.size().unwrap();
        let bytes = plot.to_png().unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let (info, buf) = decode_png(&bytes);
        assert_eq!((info.width, info.height), (w, h), "{}", plot.title());
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        assert_eq!(buf.len(), (w * h * 3) as usize);
    }
}

#[test]
fn default_sizes() {
    assert_eq!(ts_plot().size().unwrap().0, 1200);
    let (_, h2) = ts_plot().size().unwrap();
    let Plot::TimeSeries(mut one) = ts_plot() else {
        unreachable!()
    };
    one.panels.truncate(1);
    let (_, h1) = Plot::TimeSeries(one).size().unwrap();
    assert_eq!(h2 - h1, 300, "each panel adds 300 pixels");
    assert_eq!(roc_plot().size().unwrap(), (800, 600));
    assert_eq!(hist_plot().size().unwrap(), (800, 600));
}

#[test]
fn png_text_is_rasterised_with_the_embedded_font() {
    // the title band has dark (text) pixels with a title and none without
    for plot in [roc_plot(), hist_plot(), ts_plot(), heatmap_plot()] {
        let (w, _) = plot.size().unwrap();
        let (_, with) = decode_png(&plot.to_png().unwrap());
        let mut blank = plot.clone();
        match &mut blank {
            Plot::TimeSeries(p) => p.title.clear(),
            Plot::Roc(p) | Plot::PrecisionRecall(p) => p.title.clear(),
            Plot::Histogram(p) => p.title.clear(),
            Plot::Heatmap(p) => p.title.clear(),
            Plot::Bars(p) => p.title.clear(),
            Plot::CdDiagram(p) => p.title.clear(),
        }
        let (w2, _) = blank.size().unwrap();
        let (_, without) = decode_png(&blank.to_png().unwrap());
        assert!(dark_pixels(&with, w, 0, 40) > 50, "{}", plot.title());
        assert_eq!(dark_pixels(&without, w2, 0, 40), 0, "{}", plot.title());
    }
}

#[test]
fn png_shades_labelled_ranges_light_red() {
    // a range in the middle of the data: some pixel in the panel is the
    // light red shade (red channel clearly above green and blue)
    let plot = ts_plot();
    let (w, h) = plot.size().unwrap();
    let (_, rgb) = decode_png(&plot.to_png().unwrap());
    let reddish = rgb
        .chunks_exact(3)
        .filter(|p| p[0] > 230 && p[1] < 225 && p[1] > 180 && p[2] < 225 && p[2] > 180)
        .count();
    assert!(reddish > 100, "{reddish} light-red pixels in {w}x{h}");
}

// ------------------------------------------------------------------ determinism

#[test]
fn output_is_deterministic() {
    for plot in all_plots() {
        let again = plot.clone();
        assert_eq!(plot.to_svg().unwrap(), again.to_svg().unwrap());
        assert_eq!(plot.to_png().unwrap(), again.to_png().unwrap());
    }
}

// ------------------------------------------------------------------ save

#[test]
fn save_by_extension_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let plot = roc_plot();
    let svg_path = dir.path().join("sub/fig.svg");
    let png_path = dir.path().join("fig.PNG");
    plot.save(&svg_path).unwrap();
    plot.save(&png_path).unwrap();
    plot.save(&png_path).unwrap(); // replace
    assert_eq!(
        std::fs::read_to_string(&svg_path).unwrap(),
        plot.to_svg().unwrap()
    );
    assert_eq!(std::fs::read(&png_path).unwrap(), plot.to_png().unwrap());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary files left: {names:?}");

    for bad in ["fig.jpg", "fig", "fig.svg.txt"] {
        let err = plot.save(&dir.path().join(bad)).unwrap_err();
        assert!(
            matches!(err, PlotError::UnsupportedExtension { .. }),
            "{bad}: {err}"
        );
    }
    assert!(!dir.path().join("fig.jpg").exists());
}

#[test]
fn save_reports_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = roc_plot().save(&file.join("fig.svg")).unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
}

// ------------------------------------------------------------------ validation

fn ts_with(f: impl FnOnce(&mut TimeSeriesPlot)) -> Result<String, PlotError> {
    let Plot::TimeSeries(mut p) = ts_plot() else {
        unreachable!()
    };
    f(&mut p);
    Plot::TimeSeries(p).to_svg()
}

#[test]
fn time_series_errors() {
    assert!(matches!(
        ts_with(|p| p.panels.clear()),
        Err(PlotError::Empty(_))
    ));
    assert!(matches!(
        ts_with(|p| p.panels[1].lines.clear()),
        Err(PlotError::Empty(_))
    ));
    assert!(matches!(
        ts_with(|p| p.panels[0].lines[0].values.clear()),
        Err(PlotError::Empty(_))
    ));
    match ts_with(|p| p.panels[1].lines[0].values[17] = f64::NAN) {
        Err(PlotError::NonFinite { index, what, value }) => {
            assert_eq!(index, 17);
            assert!(what.contains("squared"), "{what}");
            assert!(value.is_nan());
        }
        other => panic!("{other:?}"),
    }
    match ts_with(|p| p.panels[0].lines[0].values[3] = f64::INFINITY) {
        Err(PlotError::NonFinite { index: 3, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ts_with(|p| p.ranges.push((20, 10))),
        Err(PlotError::InvalidParameter { .. })
    ));
    assert!(matches!(
        ts_with(|p| p.panels = vec![p.panels[0].clone(); 13]),
        Err(PlotError::TooLarge { .. })
    ));
    assert!(matches!(
        ts_with(|p| p.panels[0].lines[0].x0 = usize::MAX),
        Err(PlotError::InvalidParameter { .. })
    ));
    assert!(matches!(
        ts_with(|p| p.panels[0].lines[0].values = vec![-f64::MAX, f64::MAX]),
        Err(PlotError::InvalidParameter { .. })
    ));
}

#[test]
fn ranges_and_markers_outside_the_data_are_clipped() {
    let svg = ts_with(|p| {
        p.ranges = vec![(5000, 6000)];
        p.markers = vec![Marker {
            x: 99_999,
            label: "far away".into(),
        }];
    })
    .unwrap();
    assert!(!svg.contains("labelled anomaly"));
    assert!(!svg.contains("far away"));
    let svg = ts_with(|p| p.ranges = vec![(1500, 1_000_000)]).unwrap();
    assert!(svg.contains("labelled anomaly"));
}

#[test]
fn single_point_and_constant_lines_render() {
    let plot = Plot::TimeSeries(TimeSeriesPlot {
        title: "one".into(),
        x_label: "t".into(),
        panels: vec![Panel {
            y_label: "v".into(),
            lines: vec![
                Line {
                    name: "p".into(),
                    x0: 5,
                    values: vec![3.0],
                },
                Line {
                    name: String::new(),
                    x0: 5,
                    values: vec![3.0],
                },
            ],
        }],
        ranges: vec![(5, 5)],
        markers: vec![],
    });
    plot.to_svg().unwrap();
    plot.to_png().unwrap();
}

fn curves_with(
    kind: fn(CurvesPlot) -> Plot,
    f: impl FnOnce(&mut CurvesPlot),
) -> Result<String, PlotError> {
    let Plot::Roc(mut p) = roc_plot() else {
        unreachable!()
    };
    f(&mut p);
    kind(p).to_svg()
}

#[test]
fn curve_errors() {
    assert!(matches!(
        curves_with(Plot::Roc, |p| p.curves.clear()),
        Err(PlotError::Empty(_))
    ));
    assert!(matches!(
        curves_with(Plot::Roc, |p| {
            p.curves[1].y.pop();
        }),
        Err(PlotError::LengthMismatch { x: 51, y: 50, .. })
    ));
    assert!(matches!(
        curves_with(Plot::Roc, |p| {
            p.curves[0].x.clear();
            p.curves[0].y.clear();
        }),
        Err(PlotError::Empty(_))
    ));
    assert!(matches!(
        curves_with(Plot::Roc, |p| p.curves[0].y[4] = f64::NAN),
        Err(PlotError::NonFinite { index: 4, .. })
    ));
    assert!(matches!(
        curves_with(Plot::PrecisionRecall, |p| p.curves[0].x[7] = 1.5),
        Err(PlotError::OutOfRange { index: 7, .. })
    ));
    assert!(matches!(
        curves_with(Plot::Roc, |p| p.curves[0].auc = f64::NAN),
        Err(PlotError::InvalidParameter { .. })
    ));
    assert!(matches!(
        curves_with(Plot::PrecisionRecall, |p| p.baseline = Some(1.2)),
        Err(PlotError::InvalidParameter { .. })
    ));
    // a baseline is ignored (not validated, not drawn) on ROC plots
    let svg = curves_with(Plot::Roc, |p| p.baseline = Some(7.0)).unwrap();
    assert!(!svg.contains("baseline"));
    assert!(matches!(
        curves_with(Plot::Roc, |p| p.curves = vec![p.curves[0].clone(); 17]),
        Err(PlotError::TooLarge { .. })
    ));
}

fn hist_with(f: impl FnOnce(&mut HistogramPlot)) -> Result<String, PlotError> {
    let Plot::Histogram(mut p) = hist_plot() else {
        unreachable!()
    };
    f(&mut p);
    Plot::Histogram(p).to_svg()
}

#[test]
fn histogram_errors_and_edge_cases() {
    assert!(matches!(
        hist_with(|p| p.bins = 0),
        Err(PlotError::InvalidParameter { .. })
    ));
    assert!(matches!(
        hist_with(|p| p.bins = 1_000_000),
        Err(PlotError::TooLarge { .. })
    ));
    assert!(matches!(
        hist_with(|p| {
            p.normal.clear();
            p.anomalous.clear();
        }),
        Err(PlotError::Empty(_))
    ));
    assert!(matches!(
        hist_with(|p| p.anomalous[2] = f64::NEG_INFINITY),
        Err(PlotError::NonFinite { index: 2, .. })
    ));
    assert!(matches!(
        hist_with(|p| p.threshold = Some(f64::NAN)),
        Err(PlotError::InvalidParameter { .. })
    ));
    // one group only, all values equal, no threshold: still draws
    let svg = hist_with(|p| {
        p.normal = vec![2.0; 10];
        p.anomalous.clear();
        p.threshold = None;
    })
    .unwrap();
    assert!(svg.contains("normal (n = 10)"));
    assert!(!svg.contains("anomalous"));
}

#[test]
fn extreme_magnitudes_fail_cleanly() {
    assert!(matches!(
        ts_with(|p| p.panels[0].lines[0].values = vec![f64::MAX; 4]),
        Err(PlotError::InvalidParameter { .. })
    ));
    assert!(matches!(
        hist_with(|p| p.normal = vec![f64::MAX, -f64::MAX]),
        Err(PlotError::InvalidParameter { .. })
    ));
    // large but drawable
    let svg = hist_with(|p| {
        p.normal = vec![1e300; 4];
        p.anomalous = vec![];
        p.threshold = None;
    })
    .unwrap();
    assert!(svg.contains("e300"));
}

#[test]
fn histogram_fractions() {
    let f = histogram::fractions(&[0.0, 0.25, 0.5, 0.75, 1.0], 0.0, 1.0, 4);
    assert_eq!(f, vec![0.2, 0.2, 0.2, 0.4]);
    let f = histogram::fractions(&[], 0.0, 1.0, 3);
    assert_eq!(f, vec![0.0; 3]);
}

fn heatmap_with(f: impl FnOnce(&mut HeatmapPlot)) -> Result<String, PlotError> {
    let Plot::Heatmap(mut p) = heatmap_plot() else {
        unreachable!()
    };
    f(&mut p);
    Plot::Heatmap(p).to_svg()
}

#[test]
fn heatmap_errors_and_edge_cases() {
    assert!(matches!(
        heatmap_with(|p| p.rows.clear()),
        Err(PlotError::Empty(_))
    ));
    assert!(matches!(
        heatmap_with(|p| {
            p.values.pop();
        }),
        Err(PlotError::Shape(_))
    ));
    assert!(matches!(
        heatmap_with(|p| {
            p.values[1].pop();
        }),
        Err(PlotError::Shape(_))
    ));
    match heatmap_with(|p| p.values[2][1] = Some(f64::NAN)) {
        Err(PlotError::NonFinite { index: 1, what, .. }) => assert!(what.contains("d3"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        heatmap_with(|p| {
            p.rows = vec!["r".into(); 301];
            p.values = vec![vec![Some(0.5); 4]; 301];
        }),
        Err(PlotError::TooLarge { .. })
    ));
    // all missing, and all equal: still draws
    heatmap_with(|p| p.values = vec![vec![None; 4]; 3]).unwrap();
    heatmap_with(|p| p.values = vec![vec![Some(0.5); 4]; 3]).unwrap();
    // long labels are shortened, long column labels turn vertical
    let long = "a very long detector name that goes on and on and on and on and on";
    let svg = heatmap_with(|p| p.cols[0] = long.into()).unwrap();
    assert!(svg.contains("rotate(270"));
    assert!(svg.contains('…'));
    assert!(!svg.contains(long));
}

#[test]
fn figures_that_are_too_large_are_refused() {
    let p = Plot::Heatmap(HeatmapPlot {
        title: "big".into(),
        rows: (0..300).map(|i| format!("row {i}")).collect(),
        cols: (0..100).map(|i| format!("col {i}")).collect(),
        values: vec![vec![Some(0.5); 100]; 300],
        value_label: String::new(),
    });
    // 300 rows × 38 px is fine in height, 100 cols × 72+ px in width too,
    // but the area exceeds the pixel budget
    assert!(matches!(p.to_png(), Err(PlotError::TooLarge { .. })));
}

// ------------------------------------------------------------------ helpers

#[test]
fn envelope_keeps_extremes_per_column() {
    let mut v: Vec<f64> = (0..100_000).map(|i| (f64::from(i) / 50.0).sin()).collect();
    v[61_234] = 9.0;
    v[70_001] = -7.0;
    let cols = 1000;
    let env = envelope(100, &v, 100.0, 100_099.0, cols);
    assert!(env.len() <= 2 * cols, "{}", env.len());
    let max = env.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let min = env.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    assert_eq!(max, 9.0);
    assert_eq!(min, -7.0);
    assert!(env.contains(&(61_334.0, 9.0)));
    assert!(env.windows(2).all(|w| w[0].0 < w[1].0), "x increasing");
    // per column, the kept points span exactly the data's extent
    let per = 100;
    for c in [0, 3, 612, 999] {
        let data = &v[c * per..(c + 1) * per];
        let lo = data.iter().copied().fold(f64::MAX, f64::min);
        let hi = data.iter().copied().fold(f64::MIN, f64::max);
        let kept: Vec<f64> = env
            .iter()
            .filter(|p| p.0 >= (100 + c * per) as f64 && p.0 < (100 + (c + 1) * per) as f64)
            .map(|p| p.1)
            .collect();
        assert_eq!(kept.iter().copied().fold(f64::MAX, f64::min), lo);
        assert_eq!(kept.iter().copied().fold(f64::MIN, f64::max), hi);
    }
    // short lines are returned unchanged
    let short = envelope(3, &[1.0, 2.0, 0.5], 3.0, 5.0, 1000);
    assert_eq!(short, vec![(3.0, 1.0), (4.0, 2.0), (5.0, 0.5)]);
}

#[test]
fn tick_formatting() {
    let f = style::TickFormat::for_range(0.0, 1.0);
    assert_eq!(f.format(0.1 + 0.2), "0.3");
    assert_eq!(f.format(-0.0), "0");
    assert_eq!(f.format(1e-17), "0");
    assert_eq!(
        style::TickFormat::for_range(0.0, 7500.0).format(2000.0),
        "2000"
    );
    // one notation per axis: small ranges are all scientific
    let f = style::TickFormat::for_range(0.0, 2e-4);
    assert_eq!(f.format(5e-5), "5e-5");
    assert_eq!(f.format(1.5e-4), "1.5e-4");
    let f = style::TickFormat::for_range(1e8, 2e8);
    assert_eq!(f.format(1.2e8), "1.2e8");
    assert_eq!(f.format(1.25e8), "1.25e8");
    // close ticks on a narrow range stay distinct
    let f = style::TickFormat::for_range(0.499, 0.501);
    assert_ne!(f.format(0.4995), f.format(0.5));
    assert_eq!(style::format_value(0.5321), "0.532");
    assert_eq!(style::format_value(1.5e8), "1.500e8");
    let (ticks, dec) = style::nice_ticks(0.655, 0.998, 4);
    assert_eq!(dec, 1);
    assert_eq!(ticks.len(), 3);
    for (t, want) in ticks.iter().zip([0.7, 0.8, 0.9]) {
        assert!((t - want).abs() < 1e-12);
    }
}

#[test]
fn marker_colours_avoid_line_colours() {
    assert_eq!(style::marker_color(0, 2), style::BLACK);
    for n_lines in 0..4 {
        for i in 1..3 {
            let m = style::marker_color(i, n_lines);
            assert!(
                (0..n_lines).all(|k| style::line_color(k) != m),
                "{i} {n_lines}"
            );
            assert_ne!(m, style::BLACK);
        }
    }
}

#[test]
fn title_is_reported() {
    assert_eq!(ts_plot().title(), "Sensor 7 & friends");
    assert_eq!(heatmap_plot().title(), "ROC-AUC grid");
}
