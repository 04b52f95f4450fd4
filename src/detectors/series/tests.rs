use super::*;
use crate::data::{TimeSeries, Training};
use ndarray::Array2;
use serde_json::json;

fn params(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A noisy sine with period 50 and a distorted stretch at 600..620.
fn sine_with_anomaly(training: bool) -> TimeSeries {
    let n = 1000;
    // Small deterministic noise keeps every window direction populated (a
    // pure sine spans two dimensions, which PCA cannot normalise).
    let mut state = 12345u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1
    };
    let mut v: Vec<f64> = (0..n)
        .map(|i| (i as f64 * std::f64::consts::TAU / 50.0).sin() + noise())
        .collect();
    for (k, x) in v[600..620].iter_mut().enumerate() {
        *x = 0.3 * (k as f64 / 3.0).cos();
    }
    let mut labels = Array1::zeros(n);
    labels.slice_mut(ndarray::s![600..620]).fill(1u8);
    let training = if training {
        Training::Prefix(300)
    } else {
        Training::None
    };
    TimeSeries::new(
        "sine",
        Array2::from_shape_vec((n, 1), v).unwrap(),
        Some(labels),
        training,
        "sha",
        "test",
    )
    .unwrap()
}

fn argmax(a: &Array1<f64>) -> usize {
    a.iter()
        .enumerate()
        .fold(
            (0, f64::NEG_INFINITY),
            |b, (i, &v)| if v > b.1 { (i, v) } else { b },
        )
        .0
}

#[test]
fn every_method_finds_the_distorted_stretch() {
    for (name, extra) in [
        (MATRIX_PROFILE, json!({"window": 50})),
        ("knn", json!({"window": 50, "normalize": "window"})),
        ("isolation_forest", json!({"window": 50, "seed": 3})),
        ("pca", json!({"window": 50, "aggregation": "max"})),
    ] {
        for training in [false, true] {
            let det = SeriesDetector::new(name, &params(extra.clone())).unwrap();
            let s = det.score(&sine_with_anomaly(training)).unwrap();
            assert_eq!(s.len(), 1000);
            let at = argmax(&s);
            assert!(
                // a window of 50 overlapping the distorted 600..620
                (550..=670).contains(&at),
                "{name} training={training}: argmax {at}"
            );
        }
    }
}

#[test]
fn parameters_are_checked_before_data() {
    let bad = [
        (MATRIX_PROFILE, json!({"window": 2})),
        (MATRIX_PROFILE, json!({"n_neighbors": 3})),
        ("knn", json!({"window": 0})),
        ("knn", json!({"window": -3})),
        ("knn", json!({"stride": 2, "aggregation": "center"})),
        ("knn", json!({"aggregation": "median"})),
        ("knn", json!({"normalize": "global"})),
        ("knn", json!({"n_neighbors": 0})),
        ("no_such_detector", json!({})),
    ];
    for (name, p) in bad {
        assert!(
            SeriesDetector::new(name, &params(p.clone())).is_err(),
            "{name} {p}"
        );
    }
    let det = SeriesDetector::new("knn", &params(json!({"window": 5000}))).unwrap();
    let e = det
        .score(&sine_with_anomaly(false))
        .unwrap_err()
        .to_string();
    assert!(e.contains("window"), "{e}");
}

#[test]
fn resolved_params_name_adapter_and_detector() {
    let det = SeriesDetector::new("knn", &params(json!({"window": 20, "n_neighbors": 3}))).unwrap();
    let p = det.params();
    assert_eq!(p["window"], 20);
    assert_eq!(p["stride"], 1);
    assert_eq!(p["aggregation"], "mean");
    assert_eq!(p["n_neighbors"], 3);
    let mp = SeriesDetector::new(MATRIX_PROFILE, &Map::new()).unwrap();
    assert_eq!(mp.params()["window"], 100);
    assert!(mp.params().get("stride").is_none());
}

#[test]
fn seeded_runs_repeat() {
    let det = SeriesDetector::new("isolation_forest", &params(json!({"window": 30})))
        .unwrap()
        .with_run_seed(7)
        .unwrap();
    let s = sine_with_anomaly(false);
    assert_eq!(det.score(&s).unwrap(), det.score(&s).unwrap());
}

#[test]
fn a_detector_with_series_defaults_gets_them_unless_named() {
    for d in SERIES_DEFAULTS {
        // Every entry names a registered detector and valid parameters.
        let det = SeriesDetector::new(d.model, &Map::new())
            .unwrap_or_else(|e| panic!("{}: {e}", d.model));
        assert_eq!(det.window(), d.window, "{}", d.model);
        assert_eq!(
            det.params()["aggregation"],
            serde_json::to_value(d.aggregation).unwrap()
        );
        for (k, text) in d.params {
            let want: Value = serde_json::from_str(text).unwrap();
            assert_eq!(det.params()[*k], want, "{} {k}", d.model);
        }
    }
    let usad = SeriesDetector::new("usad", &Map::new()).unwrap();
    assert_eq!(usad.window(), 100);
    assert_eq!(usad.params()["aggregation"], "center");
    assert_eq!(usad.params()["lr"], 0.001);
    assert_eq!(usad.params()["scaling"], "zscore");
    // What the caller names wins.
    let named = SeriesDetector::new(
        "usad",
        &params(json!({"window": 5, "aggregation": "mean", "lr": 1e-4})),
    )
    .unwrap();
    assert_eq!(named.window(), 5);
    assert_eq!(named.params()["aggregation"], "mean");
    assert_eq!(named.params()["lr"], 1e-4);
    // `center` needs stride 1, whether named or defaulted.
    assert!(SeriesDetector::new("usad", &params(json!({"stride": 2}))).is_err());
    assert!(
        SeriesDetector::new("usad", &params(json!({"stride": 2, "aggregation": "max"}))).is_ok()
    );
    // Others keep the adapter's defaults.
    let knn = SeriesDetector::new("knn", &Map::new()).unwrap();
    assert_eq!(knn.window(), 100);
    assert_eq!(knn.params()["aggregation"], "mean");
}

/// A noisy sine with period 50 and a level jump (+3) at 600..620.
fn sine_with_jump() -> TimeSeries {
    let s = sine_with_anomaly(false);
    let mut v = s.values.clone();
    for i in 600..620 {
        v[[i, 0]] = (i as f64 * std::f64::consts::TAU / 50.0).sin() + 3.0;
    }
    TimeSeries::new("jump", v, s.labels.clone(), Training::None, "sha", "test").unwrap()
}

#[test]
fn usad_on_windows_finds_a_level_jump() {
    // Series defaults (window 100, z-scored, `center`) and min-max input.
    for p in [json!({}), json!({"scaling": "minmax"})] {
        let det = SeriesDetector::new("usad", &params(p.clone())).unwrap();
        let series = sine_with_jump();
        let s = det.score(&series).unwrap();
        assert_eq!(s.len(), 1000);
        assert!(s.iter().all(|v| v.is_finite()));
        // Windows covering 600..620 start at 501..=619; `center` puts their
        // scores at 551..=669.
        let at = argmax(&s);
        assert!((551..=669).contains(&at), "{p}: argmax {at}");
        assert_eq!(s, det.score(&series).unwrap(), "{p}: not repeatable");
        let other = det.with_run_seed(5).unwrap().score(&series).unwrap();
        assert_ne!(s, other, "{p}: the seed changes nothing");
    }
}
