//! anml's NAB score against NAB's own scorer (numenta/NAB `ea702d7`).
//!
//! The fixtures come from `scripts/gen_nab_reference.py`, which runs NAB's
//! runner (detect → optimize → score → normalize) on eight NAB series with
//! five detectors, plus NAB's `Sweeper` on the single series and on
//! synthetic edge cases. Scores are compared to 1e-9, thresholds and row
//! counts exactly. The window-mapping test reads the NAB data mirror.

use anml::metrics::MetricError;
use anml::metrics::nab::*;
use ndarray::Array1;
use ndarray_npy::NpzReader;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;

const TOL: f64 = 1e-9;

type Windows = Vec<(usize, usize)>;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nab")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("nab_reference.json"))
        .expect("tests/fixtures/nab/nab_reference.json");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn u(v: &Value) -> usize {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}")) as usize
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= TOL,
        "{what}: anml {a:?} vs NAB {b:?} (diff {:e})",
        a - b
    );
}

fn profile(name: &str) -> NabProfile {
    name.parse().expect("profile name")
}

/// The fixture's series: names, windows and every detector's scores.
struct Fixture {
    reference: Value,
    names: Vec<String>,
    windows: Vec<Vec<(usize, usize)>>,
    scores: BTreeMap<String, Vec<Vec<f64>>>,
}

impl Fixture {
    fn load() -> Fixture {
        let reference = reference();
        let series = reference["series"].as_array().expect("series");
        let names: Vec<String> = series
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_string())
            .collect();
        let lengths: Vec<usize> = series.iter().map(|s| u(&s["n"])).collect();
        let windows = series
            .iter()
            .map(|s| {
                s["windows"]
                    .as_array()
                    .expect("windows")
                    .iter()
                    .map(|w| (u(&w[0]), u(&w[1])))
                    .collect()
            })
            .collect();
        let mut npz =
            NpzReader::new(File::open(fixture_dir().join("nab_scores.npz")).expect("npz"))
                .expect("npz archive");
        let mut scores = BTreeMap::new();
        for det in reference["stored"].as_array().expect("stored") {
            let det = det.as_str().expect("detector");
            let all: Array1<f64> = npz.by_name(det).expect("stored scores");
            let mut at = 0;
            let split = lengths
                .iter()
                .map(|&n| {
                    at += n;
                    all.as_slice().expect("contiguous")[at - n..at].to_vec()
                })
                .collect();
            assert_eq!(at, all.len());
            scores.insert(det.to_string(), split);
        }
        let null = lengths.iter().map(|&n| vec![0.5; n]).collect();
        scores.insert("null".to_string(), null);
        Fixture {
            reference,
            names,
            windows,
            scores,
        }
    }

    fn index(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("unknown series {name}"))
    }

    fn series(&self, det: &str, i: usize) -> NabSeries<'_> {
        NabSeries {
            scores: &self.scores[det][i],
            windows: &self.windows[i],
        }
    }

    /// The detector's corpus in the order NAB's runner walked it.
    fn corpus(&self, det: &str) -> Vec<NabSeries<'_>> {
        self.reference["orders"][det]
            .as_array()
            .expect("order")
            .iter()
            .map(|n| self.series(det, self.index(n.as_str().expect("name"))))
            .collect()
    }

    fn detectors(&self) -> Vec<String> {
        self.reference["detectors"]
            .as_array()
            .expect("detectors")
            .iter()
            .map(|d| d.as_str().expect("detector").to_string())
            .collect()
    }
}

fn check_counts(ours: &ThresholdScore, nab: &Value, what: &str) {
    close(ours.score, f(&nab["score"]), what);
    assert_eq!(
        (ours.tp, ours.tn, ours.fp, ours.fn_, ours.total),
        (
            u(&nab["tp"]),
            u(&nab["tn"]),
            u(&nab["fp"]),
            u(&nab["fn"]),
            u(&nab["total"])
        ),
        "{what}: counts (tp, tn, fp, fn, total)"
    );
}

#[test]
fn corpus_scores_match_nabs_runner() {
    let fx = Fixture::load();
    let r = &fx.reference;
    for det in fx.detectors() {
        let corpus = fx.corpus(&det);
        for (name, nab) in r["corpus"][&det].as_object().expect("profiles") {
            let p = profile(name);
            let what = format!("{det}/{name}");
            let (threshold, best) = optimize_threshold(&corpus, p).unwrap();
            assert_eq!(
                threshold,
                f(&nab["optimized_threshold"]),
                "{what}: threshold"
            );
            close(best, f(&nab["optimized_score"]), &what);

            let s = nab_score(&corpus, p, None).unwrap();
            assert_eq!(s.profile, p);
            assert_eq!(s.threshold, threshold);
            close(s.raw, f(&nab["raw"]), &format!("{what}: raw"));
            assert_eq!(
                (s.tp, s.tn, s.fp, s.fn_),
                (u(&nab["tp"]), u(&nab["tn"]), u(&nab["fp"]), u(&nab["fn"])),
                "{what}: totals"
            );
            close(s.null, f(&r["baselines"][name]), &format!("{what}: null"));
            assert_eq!(s.null_threshold, f(&r["null_thresholds"][name]));
            assert_eq!(s.perfect, f(&r["perfect"][name]));
            close(
                s.normalized.expect("normalised"),
                f(&nab["normalized"]),
                &format!("{what}: normalized"),
            );
            // The same with the threshold given.
            assert_eq!(nab_score(&corpus, p, Some(threshold)).unwrap(), s);

            for (file, row) in nab["files"].as_object().expect("files") {
                let one = fx.series(&det, fx.index(file));
                let ours = score_series(&one, p, threshold).unwrap();
                check_counts(&ours, row, &format!("{what}: {file}"));
            }
        }
    }
}

#[test]
fn series_at_fixed_thresholds_match_nabs_sweeper() {
    let fx = Fixture::load();
    let mut checked = 0;
    let mut crashes = 0;
    for det in fx.detectors() {
        for (i, name) in fx.names.iter().enumerate() {
            let one = fx.series(&det, i);
            let entry = &fx.reference["per_series"][&det][name]["fixed"];
            for (pname, rows) in entry.as_object().expect("profiles") {
                let p = profile(pname);
                let rows = rows.as_array().expect("rows");
                for row in rows {
                    let t = f(&row["threshold"]);
                    let ours = score_series(&one, p, t).unwrap();
                    assert_eq!(ours.threshold, t);
                    let what = format!("{det}/{name}/{pname} at {t}");
                    if row["nab"].is_null() {
                        // NAB's scorer crashes here (no matching row): the
                        // threshold is above 1.1 or below every scored row.
                        // anml detects the rows scoring >= t: nothing, or all
                        // (the score at the lowest scored value).
                        let same_as = if t > 1.1 {
                            1.1
                        } else {
                            let lowest = rows
                                .iter()
                                .filter(|r| !r["nab"].is_null())
                                .map(|r| f(&r["threshold"]))
                                .fold(f64::INFINITY, f64::min);
                            assert!(t < lowest, "{what}: NAB failed above its lowest score");
                            lowest
                        };
                        let mut expected = score_series(&one, p, same_as).unwrap();
                        expected.threshold = t;
                        assert_eq!(ours, expected, "{what}");
                        crashes += 1;
                    } else {
                        check_counts(&ours, &row["nab"], &what);
                        assert_eq!(raw_score(&one, p, t).unwrap(), ours.score);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 1200 && crashes > 300, "{checked} {crashes}");
}

#[test]
fn each_series_scored_alone_matches_nab() {
    let fx = Fixture::load();
    for det in fx.detectors() {
        for (i, name) in fx.names.iter().enumerate() {
            let one = [fx.series(&det, i)];
            let alone = &fx.reference["per_series"][&det][name]["alone"];
            for (pname, nab) in alone.as_object().expect("profiles") {
                let p = profile(pname);
                let what = format!("{det}/{name}/{pname}");
                let (t, best) = optimize_threshold(&one, p).unwrap();
                assert_eq!(t, f(&nab["optimized_threshold"]), "{what}: threshold");
                close(best, f(&nab["optimized_score"]), &what);
                let s = nab_score(&one, p, None).unwrap();
                close(s.raw, f(&nab["raw"]), &format!("{what}: raw"));
                assert_eq!(
                    (s.tp, s.tn, s.fp, s.fn_),
                    (u(&nab["tp"]), u(&nab["tn"]), u(&nab["fp"]), u(&nab["fn"])),
                    "{what}: counts"
                );
                assert_eq!(s.null_threshold, f(&nab["null_threshold"]), "{what}");
                close(s.null, f(&nab["null"]), &format!("{what}: null"));
                assert_eq!(s.perfect, f(&nab["perfect"]), "{what}: perfect");
                match (s.normalized, nab["normalized"].as_f64()) {
                    (Some(a), Some(b)) => close(a, b, &format!("{what}: normalized")),
                    (None, None) => assert!(one[0].windows.is_empty(), "{what}"),
                    (a, b) => panic!("{what}: normalized {a:?} vs NAB {b:?}"),
                }
            }
        }
    }
}

#[test]
fn corpus_threshold_curve_matches_nab() {
    let fx = Fixture::load();
    for det in fx.detectors() {
        let corpus = fx.corpus(&det);
        for (pname, nab) in fx.reference["curves"][&det].as_object().expect("profiles") {
            let curve = threshold_scores(&corpus, profile(pname)).unwrap();
            assert_eq!(curve.len(), u(&nab["len"]), "{det}/{pname}: length");
            for e in nab["entries"].as_array().expect("entries") {
                let k = u(&e["index"]);
                let what = format!("{det}/{pname} entry {k}");
                assert_eq!(curve[k].threshold, f(&e["threshold"]), "{what}");
                check_counts(&curve[k], e, &what);
            }
        }
    }
}

#[test]
fn synthetic_edge_cases_match_nabs_sweeper() {
    let r = reference();
    let cases = r["synthetic"]["cases"].as_array().expect("cases");
    let data: Vec<(Vec<f64>, Windows)> = cases
        .iter()
        .map(|c| {
            let scores = c["scores"]
                .as_array()
                .expect("scores")
                .iter()
                .map(f)
                .collect();
            let windows = c["windows"]
                .as_array()
                .expect("windows")
                .iter()
                .map(|w| (u(&w[0]), u(&w[1])))
                .collect();
            (scores, windows)
        })
        .collect();
    let corpus: Vec<NabSeries> = data
        .iter()
        .map(|(scores, windows)| NabSeries { scores, windows })
        .collect();
    for (case, one) in cases.iter().zip(&corpus) {
        let name = case["name"].as_str().expect("name");
        for (pname, nab) in case["curve"].as_object().expect("profiles") {
            let p = profile(pname);
            let curve = threshold_scores(std::slice::from_ref(one), p).unwrap();
            let nab = nab.as_array().expect("curve");
            assert_eq!(curve.len(), nab.len(), "{name}/{pname}");
            for (k, (ours, theirs)) in curve.iter().zip(nab).enumerate() {
                let what = format!("{name}/{pname} entry {k}");
                assert_eq!(ours.threshold, f(&theirs["threshold"]), "{what}");
                check_counts(ours, theirs, &what);
            }
            for row in case["at"][pname].as_array().expect("at") {
                let t = f(&row["threshold"]);
                let ours = score_series(one, p, t).unwrap();
                if !row["nab"].is_null() {
                    check_counts(&ours, &row["nab"], &format!("{name}/{pname} at {t}"));
                }
            }
        }
    }
    for (pname, nab) in r["synthetic"]["corpus_optimum"]
        .as_object()
        .expect("profiles")
    {
        let (t, best) = optimize_threshold(&corpus, profile(pname)).unwrap();
        assert_eq!(t, f(&nab["threshold"]), "{pname}");
        close(best, f(&nab["score"]), pname);
    }
}

#[test]
fn windows_map_to_rows_as_nabs_sweeper_does() {
    // anml's data layer labels NAB rows (`TimeSeries::ranges`); they must be
    // the rows NAB's sweeper scores, for all 58 series.
    let r = reference();
    let expected = r["all_windows_rows"].as_object().expect("rows");
    assert_eq!(expected.len(), 58);
    let mirror = std::env::var_os("ANML_DATA_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets"))
        });
    if !mirror.join("nab/labels/combined_windows.json").exists() {
        eprintln!("skipping: NAB labels not found under {}", mirror.display());
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let reg = anml::data::DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror))
        .with_download(false);
    let mut seen = 0;
    for spec in
        anml::data::series_catalog::series_of(anml::data::series_catalog::SeriesCollection::Nab)
    {
        let name = format!("{}.csv", spec.name.trim_start_matches("nab/"));
        let ts = reg.load_series_spec(spec).unwrap();
        let rows = ts.ranges();
        let nab: Vec<(usize, usize)> = expected[&name]
            .as_array()
            .expect("windows")
            .iter()
            .map(|w| (u(&w[0]), u(&w[1])))
            .collect();
        assert_eq!(rows, nab, "{name}");
        // They score: in order, disjoint, inside the series.
        let zeros = vec![0.0; ts.len()];
        let series = NabSeries {
            scores: &zeros,
            windows: &rows,
        };
        raw_score(&series, NabProfile::Standard, 0.5).unwrap();
        seen += 1;
    }
    assert_eq!(seen, 58);
    // The fixture's series carry the same windows.
    let fx = Fixture::load();
    for (name, w) in fx.names.iter().zip(&fx.windows) {
        let nab: Vec<(usize, usize)> = expected[name]
            .as_array()
            .expect("windows")
            .iter()
            .map(|w| (u(&w[0]), u(&w[1])))
            .collect();
        assert_eq!(*w, nab, "{name}");
    }
}

#[test]
fn out_of_range_scores_are_refused() {
    let scores = [0.2, 1.0000001];
    let series = NabSeries {
        scores: &scores,
        windows: &[],
    };
    assert!(matches!(
        nab_score(&[series], NabProfile::Standard, None),
        Err(MetricError::NabScoreRange { index: 1, .. })
    ));
}
