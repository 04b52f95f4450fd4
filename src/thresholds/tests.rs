use super::*;
use ndarray::array;

fn fit_all(scores: &[f64]) -> Vec<(&'static str, Result<Threshold, ThresholdError>)> {
    let a = ndarray::Array1::from(scores.to_vec());
    METHODS
        .iter()
        .map(|m| (m.name, fit(m.name, a.view(), &Options::default())))
        .collect()
}

#[test]
fn names_are_unique_and_documented() {
    for (i, m) in METHODS.iter().enumerate() {
        assert!(METHODS[..i].iter().all(|o| o.name != m.name), "{}", m.name);
        assert!(!m.summary.is_empty() && !m.doc.is_empty(), "{}", m.name);
    }
    assert_eq!(METHODS[0].name, "contamination");
}

#[test]
fn unknown_method_names_the_known_ones() {
    let e = fit("otsuu", array![1.0, 2.0].view(), &Options::default()).unwrap_err();
    assert_eq!(e, ThresholdError::Unknown("otsuu".into()));
    let text = e.to_string();
    for m in METHODS {
        assert!(text.contains(m.name), "{text}");
    }
}

#[test]
fn empty_non_finite_and_constant_scores_are_refused() {
    for (name, r) in fit_all(&[]) {
        assert_eq!(r.unwrap_err(), ThresholdError::Empty, "{name}");
    }
    for (name, r) in fit_all(&[1.0, f64::NAN, 2.0]) {
        assert!(
            matches!(r, Err(ThresholdError::NonFinite { index: 1, .. })),
            "{name}"
        );
    }
    for (name, r) in fit_all(&[0.3, f64::INFINITY]) {
        assert!(
            matches!(r, Err(ThresholdError::NonFinite { index: 1, .. })),
            "{name}"
        );
    }
    for (name, r) in fit_all(&[2.5; 7]) {
        assert!(
            matches!(r, Err(ThresholdError::Constant { n: 7, .. })),
            "{name}"
        );
    }
}

#[test]
fn bad_contamination_is_refused() {
    let o = Options { contamination: 0.7 };
    let e = fit("contamination", array![1.0, 2.0].view(), &o).unwrap_err();
    assert!(matches!(e, ThresholdError::BadOption { .. }), "{e}");
}

/// pythresh 1.1.1's `thresh_` and `eval` labels on two tiny vectors
/// (CLUST has no `thresh_`: `None`).
/// A method, its expected `thresh_` and its labels.
type Expected = (&'static str, Option<f64>, &'static [u8]);

const TINY: &[(&[f64], &[Expected])] = &[
    (
        &[0.0, 0.0, 0.0, 1.0],
        &[
            ("iqr", Some(1.25), &[0, 0, 0, 0]),
            ("mad", Some(0.25), &[0, 0, 0, 1]),
            ("zscore", Some(1.0), &[0, 0, 0, 1]),
            ("otsu", Some(0.25), &[0, 0, 0, 1]),
            ("karch", Some(0.559_524_165_349_478_9), &[0, 0, 0, 1]),
            ("gesd", Some(1.0), &[0, 0, 0, 1]),
            ("clust", None, &[0, 0, 0, 1]),
        ],
    ),
    (
        &[10.0, 11.0, 12.0, 13.0, 20.0, 30.0],
        &[
            ("iqr", Some(0.7), &[0, 0, 0, 0, 0, 1]),
            ("mad", Some(0.583_790_261_904_241_3), &[0, 0, 0, 0, 0, 1]),
            ("zscore", Some(1.0), &[0, 0, 0, 0, 0, 1]),
            ("otsu", Some(0.166_666_666_666_666_66), &[0, 0, 0, 0, 1, 1]),
            ("karch", Some(0.543_746_839_102_281_9), &[0, 0, 0, 0, 0, 1]),
            ("gesd", Some(0.5), &[0, 0, 0, 0, 1, 1]),
            ("clust", None, &[0, 0, 0, 0, 0, 1]),
        ],
    ),
];

#[test]
fn tiny_vectors_match_pythresh() {
    for (scores, expected) in TINY {
        let a = ndarray::Array1::from(scores.to_vec());
        for (name, thresh, labels) in *expected {
            let t = fit(name, a.view(), &Options::default()).expect(name);
            if let Some(want) = thresh {
                assert!((t.normalised - want).abs() < 1e-12, "{name}: {t:?}");
            }
            assert_eq!(t.labels(a.view()), labels.to_vec(), "{name} on {scores:?}");
        }
    }
}

#[test]
fn flags_compare_in_the_normalised_scale() {
    let a = array![10.0, 11.0, 12.0, 13.0, 20.0, 30.0];
    let t = fit("zscore", a.view(), &Options::default()).unwrap();
    // zscore's threshold is a data point, and that point is flagged
    assert_eq!(t.value, 30.0);
    assert!(t.flags(30.0) && !t.flags(29.999));
    assert_eq!(t.labels(a.view()), vec![0, 0, 0, 0, 0, 1]);
    // new scores beyond the training range are flagged too
    assert!(t.flags(1e6) && !t.flags(-5.0));
}

#[test]
fn precision_recall_f1_as_scikit_learn() {
    // sklearn: precision 0.5, recall 1/3, f1 0.4
    let (p, r, f) = precision_recall_f1(&[1, 1, 1, 0, 0], &[1, 0, 0, 1, 0]);
    assert_eq!((p, r), (0.5, 1.0 / 3.0));
    assert!((f - 0.4).abs() < 1e-15);
    // nothing flagged: zero_division=0
    assert_eq!(precision_recall_f1(&[1, 0], &[0, 0]), (0.0, 0.0, 0.0));
}

#[test]
fn evaluate_records_every_method_in_order_and_nulls_failures() {
    let train = array![0.1, 0.2, 0.15, 0.3, 0.9, 0.12, 0.22, 0.18, 0.95, 0.11];
    let test = array![0.1, 0.92, 0.2, 0.99];
    let y = array![0u8, 1, 0, 1];
    let r = evaluate(train.view(), test.view(), y.view(), 0.2);
    let names: Vec<&str> = r.0.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, names_list());
    let c = r.get("contamination").unwrap();
    assert_eq!((c.precision, c.recall, c.f1), (1.0, 1.0, 1.0));
    let constant = evaluate(array![1.0, 1.0].view(), test.view(), y.view(), 0.1);
    assert!(constant.0.iter().all(|(_, s)| s.is_none()));
    // the record round-trips through JSON in order, nulls included
    let text = serde_json::to_string(&constant).unwrap();
    assert!(
        text.starts_with("{\"contamination\":null,\"iqr\":null"),
        "{text}"
    );
    let back: ThresholdScores = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

fn names_list() -> Vec<&'static str> {
    names()
}
