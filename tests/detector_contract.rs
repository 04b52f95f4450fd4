//! The contract every registered detector keeps, checked over the whole
//! `DETECTORS` table (so a new detector is covered the moment it is
//! registered): NaN/inf and wrong widths are refused with typed errors at
//! fit and at score time; unknown parameters are refused before any data is
//! touched; save → load gives bit-identical scores and bytes; scores and
//! threshold do not depend on the rayon thread count; and a fit is
//! reproducible from its parameters (stochastic ones through `seed`).

use anml::detectors::{DETECTORS, Detector, DetectorError, FittedDetector};
use ndarray::Array2;
use serde_json::{Map, Value, json};

/// Deterministic pseudo-random data with a few far-out rows.
fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(11);
    let mut x = Array2::from_shape_simple_fn((n, d), || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    });
    for i in (0..n).step_by(17) {
        x.row_mut(i).mapv_inplace(|v| v * 6.0);
    }
    x
}

fn bits(a: &ndarray::Array1<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn detector(name: &str) -> Detector {
    Detector::new(name, &Map::new()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn non_finite_and_wrong_width_input_is_refused_with_typed_errors() {
    let x = data(120, 4, 1);
    for spec in DETECTORS {
        let det = detector(spec.name);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut xb = x.clone();
            xb[[7, 2]] = bad;
            match det.fit(xb.view()) {
                Err(DetectorError::NonFinite { row: 7, col: 2, .. }) => {}
                other => panic!("{}: fit on {bad} gave {other:?}", spec.name),
            }
        }
        let f = det
            .fit(x.view())
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        let mut q = data(10, 4, 2);
        q[[3, 0]] = f64::NAN;
        match f.score_samples(q.view()) {
            Err(DetectorError::NonFinite { row: 3, col: 0, .. }) => {}
            other => panic!("{}: score with NaN gave {other:?}", spec.name),
        }
        for d in [3, 5] {
            match f.score_samples(data(10, d, 3).view()) {
                Err(DetectorError::WrongColumns { expected: 4, got }) if got == d => {}
                other => panic!("{}: {d} columns gave {other:?}", spec.name),
            }
        }
        assert!(
            matches!(
                f.score_samples(Array2::<f64>::zeros((0, 4)).view()),
                Err(DetectorError::Empty)
            ) || f
                .score_samples(Array2::<f64>::zeros((0, 4)).view())
                .is_ok_and(|s| s.is_empty()),
            "{}: empty input",
            spec.name
        );
    }
}

#[test]
fn unknown_parameters_are_refused_before_any_data() {
    for spec in DETECTORS {
        let Value::Object(m) = json!({"no_such_parameter": 1}) else {
            unreachable!()
        };
        let e = Detector::new(spec.name, &m).expect_err(spec.name);
        assert!(
            e.to_string().contains("no_such_parameter"),
            "{}: {e}",
            spec.name
        );
        // Every documented parameter exists in the defaults, and back.
        let defaults = spec.default_params();
        for p in spec.params {
            assert!(
                defaults.get(p.name).is_some(),
                "{}: documented `{}` has no default",
                spec.name,
                p.name
            );
        }
        if let Value::Object(d) = &defaults {
            for k in d.keys() {
                assert!(
                    spec.params.iter().any(|p| p.name == k),
                    "{}: parameter `{k}` is undocumented",
                    spec.name
                );
            }
        }
    }
}

#[test]
fn save_load_round_trip_is_bit_identical() {
    let x = data(200, 5, 4);
    let q = data(50, 5, 5);
    for spec in DETECTORS {
        let f = detector(spec.name).fit(x.view()).unwrap();
        let bytes = f.to_bytes().unwrap();
        let g = FittedDetector::from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        assert_eq!(g.to_bytes().unwrap(), bytes, "{}", spec.name);
        assert_eq!(
            bits(&f.score_samples(q.view()).unwrap()),
            bits(&g.score_samples(q.view()).unwrap()),
            "{}",
            spec.name
        );
        assert_eq!(
            f.decision_threshold().to_bits(),
            g.decision_threshold().to_bits()
        );
        // Truncated bytes are an error, never a panic.
        assert!(FittedDetector::from_bytes(&bytes[..bytes.len() / 2]).is_err());
    }
}

#[test]
fn fits_are_reproducible_and_thread_count_independent() {
    let x = data(600, 6, 6);
    let q = data(150, 6, 7);
    for spec in DETECTORS {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let f = detector(spec.name).fit(x.view()).unwrap();
                (
                    bits(&f.score_samples(q.view()).unwrap()),
                    f.decision_threshold().to_bits(),
                    f.digest().unwrap(),
                )
            })
        };
        let one = run(1);
        assert_eq!(one, run(1), "{}: two fits differ", spec.name);
        for threads in [2, 3, 4] {
            assert_eq!(
                one,
                run(threads),
                "{}: 1 vs {threads} threads differ",
                spec.name
            );
        }
        if spec.stochastic {
            let Value::Object(m) = json!({"seed": 12345}) else {
                unreachable!()
            };
            let other = Detector::new(spec.name, &m).unwrap().fit(x.view()).unwrap();
            assert_ne!(
                other.digest().unwrap(),
                one.2,
                "{}: the seed changes nothing",
                spec.name
            );
        }
    }
}
