//! anml's matrix profile against `stumpy.stump` on real series.
//!
//! Fixtures: `tests/fixtures/matrix_profile/` from
//! `scripts/gen_matrix_profile_reference.py` (stumpy's P, I, left I, right I
//! per case; the versions are in `manifest.json`). The series are read from
//! the data mirror (`$ANML_DATA_MIRROR`, else `../shared/datasets`).
//!
//! Checked per window: the profile to 1e-8 (near 0, where
//! `d = sqrt(2m(1 - ρ))` amplifies rounding, to 1e-12 in ρ:
//! `|d² - d_ref²| <= 2m·1e-12`); the index equal to stumpy's, or else an
//! exact tie: stumpy's neighbour is at the same distance (recomputed here
//! from the definition). stumpy returns no left/right distances, so ours
//! are checked against the distance to stumpy's left/right neighbour.

use anml::detectors::matrix_profile::{MatrixProfile, ab_join, discords, self_join};
use ndarray::Array1;
use ndarray_npy::NpzReader;
use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};

fn mirror() -> PathBuf {
    std::env::var_os("ANML_DATA_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets"))
        })
}

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/matrix_profile"
    ))
}

/// The value column (the second) of a TimeEval CSV.
fn read_values(path: &Path) -> Vec<f64> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| {
            let rec = rec.expect("csv record");
            rec[1].trim().parse::<f64>().expect("numeric value")
        })
        .collect()
}

struct Reference {
    p: Vec<f64>,
    i: Vec<i64>,
    il: Vec<i64>,
    ir: Vec<i64>,
    t: Option<Vec<f64>>,
}

fn load(file: &str) -> Reference {
    let path = fixtures().join(file);
    let mut npz =
        NpzReader::new(File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .expect("npz");
    let ints = |npz: &mut NpzReader<File>, name: &str| -> Vec<i64> {
        let a: Array1<i32> = npz.by_name(name).expect(name);
        a.iter().map(|&v| i64::from(v)).collect()
    };
    let p: Array1<f64> = npz.by_name("P").expect("P");
    let names = npz.names().expect("names");
    let t = names.iter().any(|n| n == "T").then(|| {
        let t: Array1<f64> = npz.by_name("T").expect("T");
        t.to_vec()
    });
    Reference {
        p: p.to_vec(),
        i: ints(&mut npz, "I"),
        il: ints(&mut npz, "IL"),
        ir: ints(&mut npz, "IR"),
        t,
    }
}

/// z-normalised distance of window `i` of `a` and window `j` of `b` from
/// the definition, with stumpy's constant-window rules and rounding to 0.
fn zdist(a: &[f64], i: usize, b: &[f64], j: usize, m: usize) -> f64 {
    let stats = |w: &[f64]| {
        let mu = w.iter().sum::<f64>() / m as f64;
        let sd = (w.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / m as f64).sqrt();
        let constant = w.iter().all(|&v| v == w[0]);
        (mu, sd, constant)
    };
    let (x, y) = (&a[i..i + m], &b[j..j + m]);
    let ((mx, sx, cx), (my, sy, cy)) = (stats(x), stats(y));
    let rho = match (cx, cy) {
        (true, true) => 1.0,
        (true, false) | (false, true) => 0.5,
        _ => {
            x.iter()
                .zip(y)
                .map(|(p, q)| (p - mx) * (q - my))
                .sum::<f64>()
                / (m as f64 * sx * sy)
        }
    };
    let p = (2.0 * m as f64 * (1.0 - rho.min(1.0))).abs();
    if p < 1e-14 { 0.0 } else { p.sqrt() }
}

fn close(x: f64, y: f64, m: usize) -> bool {
    if x.is_infinite() || y.is_infinite() {
        return x == y;
    }
    (x - y).abs() <= 1e-8 || (x * x - y * y).abs() <= 2.0 * m as f64 * 1e-12
}

/// One side (profile, left or right): our distance against the reference
/// distance `want` (stumpy's P, or recomputed for stumpy's neighbour), and
/// our index against stumpy's. Returns the number of tie-broken indices.
#[allow(clippy::too_many_arguments)]
fn check_side(
    case: &str,
    side: &str,
    a: &[f64],
    b: &[f64],
    m: usize,
    d: &[f64],
    idx: &[i64],
    ref_idx: &[i64],
    ref_d: Option<&[f64]>,
) -> usize {
    assert_eq!(d.len(), ref_idx.len(), "{case} {side}: length");
    let mut ties = 0;
    let mut worst = 0.0f64;
    for row in 0..d.len() {
        let r = ref_idx[row];
        if r < 0 {
            assert_eq!(
                idx[row], -1,
                "{case} {side} row {row}: stumpy has no neighbour"
            );
            assert!(d[row].is_infinite(), "{case} {side} row {row}: {}", d[row]);
            continue;
        }
        let want = match ref_d {
            Some(p) => p[row],
            None => zdist(a, row, b, r as usize, m),
        };
        assert!(
            close(d[row], want, m),
            "{case} {side} row {row}: {} vs stumpy {want} (index {} vs {r})",
            d[row],
            idx[row]
        );
        if want.is_finite() && want > 1e-3 {
            worst = worst.max((d[row] - want).abs());
        }
        if idx[row] != r {
            // a tie: stumpy's neighbour is as close as ours
            let theirs = zdist(a, row, b, r as usize, m);
            let ours = zdist(a, row, b, idx[row] as usize, m);
            assert!(
                close(theirs, ours, m) && close(ours, d[row], m),
                "{case} {side} row {row}: index {} (d = {ours}) vs stumpy {r} (d = {theirs})",
                idx[row]
            );
            ties += 1;
        }
    }
    println!("{case} {side}: max |Δd| (d > 1e-3) = {worst:.2e}, {ties} tied indices differ");
    ties
}

fn check_case(case: &Value, base: &Path) -> Option<()> {
    let name = case["name"].as_str().expect("name");
    let m = case["m"].as_u64().expect("m") as usize;
    let kind = case["kind"].as_str().expect("kind");
    let reference = load(case["file"].as_str().expect("file"));
    let a = match (&reference.t, case["series"].as_str()) {
        (Some(t), _) => t.clone(),
        (None, Some(rel)) => {
            let path = base.join(rel);
            if !path.exists() {
                println!("SKIP {name}: {} is absent", path.display());
                return None;
            }
            read_values(&path)
        }
        (None, None) => panic!("{name}: neither a series nor T"),
    };
    assert_eq!(a.len() as u64, case["n"].as_u64().expect("n"), "{name}: n");
    let (mp, b): (MatrixProfile, Vec<f64>) = if kind == "self" {
        (self_join(&a, m).expect("self_join"), a.clone())
    } else {
        let rel = case["series_b"].as_str().expect("series_b");
        let b = read_values(&base.join(rel));
        assert_eq!(
            b.len() as u64,
            case["n_b"].as_u64().expect("n_b"),
            "{name}: n_b"
        );
        (ab_join(&a, &b, m).expect("ab_join"), b)
    };
    assert_eq!(mp.m, m);
    assert_eq!(mp.profile.len(), reference.p.len(), "{name}: length");
    let ties = check_side(
        name,
        "P",
        &a,
        &b,
        m,
        &mp.profile,
        &mp.index,
        &reference.i,
        Some(&reference.p),
    );
    if kind == "self" {
        assert_eq!(mp.exclusion_zone, m.div_ceil(4));
        check_side(
            name,
            "left",
            &a,
            &b,
            m,
            &mp.left_profile,
            &mp.left_index,
            &reference.il,
            None,
        );
        check_side(
            name,
            "right",
            &a,
            &b,
            m,
            &mp.right_profile,
            &mp.right_index,
            &reference.ir,
            None,
        );
        for (row, (&l, &r)) in mp.left_index.iter().zip(&mp.right_index).enumerate() {
            assert!(
                l < 0 || (l as usize) + mp.exclusion_zone < row,
                "{name} row {row}: left {l}"
            );
            assert!(
                r < 0 || (r as usize) > row + mp.exclusion_zone,
                "{name} row {row}: right {r}"
            );
        }
    } else {
        assert!(reference.il.iter().chain(&reference.ir).all(|&v| v == -1));
        assert!(
            mp.left_index
                .iter()
                .chain(&mp.right_index)
                .all(|&v| v == -1)
        );
        assert!(
            mp.left_profile
                .iter()
                .chain(&mp.right_profile)
                .all(|v| v.is_infinite())
        );
    }
    // Real series have no exact ties: the indices must all agree.
    if reference.t.is_none() {
        assert_eq!(ties, 0, "{name}: indices differ from stumpy's");
    }
    // The top discord is stumpy's largest profile value (lowest index on ties).
    let top = discords(&mp, 1, None).expect("discords")[0];
    let want = (0..reference.p.len())
        .filter(|&k| reference.p[k].is_finite())
        .fold(None::<usize>, |best, k| match best {
            Some(b) if reference.p[b] >= reference.p[k] => Some(b),
            _ => Some(k),
        })
        .expect("a finite value");
    assert_eq!(top.index, want, "{name}: top discord");
    Some(())
}

#[test]
fn matrix_profile_matches_stumpy() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("manifest.json")).expect("manifest.json"),
    )
    .expect("manifest JSON");
    assert_eq!(manifest["excl_zone_denom"], 4);
    let base = mirror();
    let cases = manifest["cases"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    let done = cases.iter().filter_map(|c| check_case(c, &base)).count();
    println!("{done} of {} cases compared", cases.len());
}

#[test]
fn ucr135_top_discord_is_the_labelled_anomaly() {
    let path = mirror().join("ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv");
    if !path.exists() {
        println!("SKIP: {} is absent", path.display());
        return;
    }
    let t = read_values(&path);
    let mp = self_join(&t, 100).expect("self_join");
    let top = discords(&mp, 3, None).expect("discords");
    // The labelled anomaly is points 4187..=4198; a window of 100 covering
    // any of it starts in 4088..=4198.
    assert!((4088..=4198).contains(&top[0].index), "{top:?}");
    // discords do not overlap and come largest first
    for w in top.windows(2) {
        assert!(w[0].distance >= w[1].distance);
        assert!(w[0].index.abs_diff(w[1].index) >= 100);
    }
}
