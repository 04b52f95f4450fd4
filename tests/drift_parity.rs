//! Drift parity: anml's per-feature PSI and KS (src/drift/) against a direct
//! numpy implementation of the documented PSI rule and
//! `scipy.stats.ks_2samp` / `scipy.stats.kstwo.sf`, on four ODDS datasets
//! split by row index (raw values; as stored and shifted) and on synthetic
//! samples. Fixture: `tests/fixtures/drift/reference.json`, from
//! `/tmp/ref/bin/python scripts/gen_drift_reference.py`.

mod common;

use anml::drift::{drift, kolmogorov::kolmogn_sf, ks::ks_2samp};
use common::{TestResult, fixture, num};
use ndarray::{Array1, Axis};

const PSI_TOL: f64 = 1e-12;
const D_TOL: f64 = 1e-12;
const P_TOL: f64 = 1e-10;

#[test]
fn odds_features_match_numpy_and_scipy() -> TestResult {
    let want = fixture("drift/reference.json");
    let mut worst = (0.0f64, 0.0f64, 0.0f64);
    for (name, w) in want["datasets"].as_object().expect("datasets") {
        let ds = common::load_dataset(name)?;
        let n = ds.x.nrows();
        let train: Vec<usize> = (0..n).filter(|i| i % 5 < 3).collect();
        let test: Vec<usize> = (0..n).filter(|i| i % 5 >= 3).collect();
        let reference = ds.x.select(Axis(0), &train);
        let current = ds.x.select(Axis(0), &test);
        assert_eq!(
            reference.nrows() as u64,
            w["n_reference"].as_u64().unwrap_or(0)
        );
        assert_eq!(current.nrows() as u64, w["n_current"].as_u64().unwrap_or(0));
        let mut shifted = current.clone();
        for (j, mut col) in shifted.axis_iter_mut(Axis(1)).enumerate() {
            let r = reference.column(j);
            let max = r.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let min = r.fold(f64::INFINITY, |a, &b| a.min(b));
            let shift = 0.25 * (max - min);
            col.mapv_inplace(|v| v + shift);
        }
        for (case, cur) in [("same", &current), ("shifted", &shifted)] {
            let got = drift(reference.view(), cur.view())?;
            let expect = w[case].as_array().expect("features");
            assert_eq!(got.len(), expect.len(), "{name} {case}: feature count");
            for (g, e) in got.iter().zip(expect) {
                let (dp, dd, dq) = (
                    (g.psi - num(&e["psi"])).abs(),
                    (g.ks - num(&e["ks"])).abs(),
                    (g.ks_p - num(&e["ks_p"])).abs(),
                );
                assert!(
                    dp <= PSI_TOL && dd <= D_TOL && dq <= P_TOL,
                    "{name} {case} feature {}: psi {} vs {}, D {} vs {}, p {} vs {}",
                    g.feature,
                    g.psi,
                    e["psi"],
                    g.ks,
                    e["ks"],
                    g.ks_p,
                    e["ks_p"]
                );
                worst = (worst.0.max(dp), worst.1.max(dd), worst.2.max(dq));
            }
        }
    }
    println!(
        "max |Δ| psi {:.3e}, D {:.3e}, p {:.3e}",
        worst.0, worst.1, worst.2
    );
    Ok(())
}

fn sample(n: usize, mult: f64, scale: f64, shift: f64, ties: bool) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| {
        let v = (i as f64 * mult) % 1.0 * scale + shift;
        if ties {
            (v * 20.0).round_ties_even() / 20.0
        } else {
            v
        }
    })
}

#[test]
fn ks_2samp_matches_scipy_on_every_branch() {
    let want = fixture("drift/reference.json");
    let mut worst = (0.0f64, 0.0f64);
    for p in want["pairs"].as_array().expect("pairs") {
        let na = p["n_a"].as_u64().unwrap_or(0) as usize;
        let nb = p["n_b"].as_u64().unwrap_or(0) as usize;
        let ties = p["ties"].as_bool().unwrap_or(false);
        let a = sample(na, 0.6180339887498949, 1.0, 0.0, ties);
        let b = sample(
            nb,
            std::f64::consts::SQRT_2, // the generator's 1.4142135623730951
            num(&p["scale"]),
            num(&p["shift"]),
            ties,
        );
        let r = ks_2samp(a.as_slice().unwrap_or(&[]), b.as_slice().unwrap_or(&[]));
        let (dd, dq) = (
            (r.statistic - num(&p["ks"])).abs(),
            (r.pvalue - num(&p["ks_p"])).abs(),
        );
        assert!(
            dd <= D_TOL && dq <= P_TOL,
            "{na} vs {nb} (ties {ties}): D {} vs {}, p {} vs {}",
            r.statistic,
            p["ks"],
            r.pvalue,
            p["ks_p"]
        );
        worst = (worst.0.max(dd), worst.1.max(dq));
    }
    println!("pairs: max |Δ| D {:.3e}, p {:.3e}", worst.0, worst.1);
}

#[test]
fn kolmogorov_sf_matches_scipy_kstwo() {
    let want = fixture("drift/reference.json");
    let mut worst = 0.0f64;
    let mut failures = Vec::new();
    for c in want["kstwo"].as_array().expect("kstwo") {
        let n = c["n"].as_u64().unwrap_or(0);
        let x = num(&c["x"]);
        let got = kolmogn_sf(n, x);
        let d = (got - num(&c["sf"])).abs();
        worst = worst.max(d);
        if d > P_TOL {
            failures.push(format!("n {n} x {x}: {got} vs {}", c["sf"]));
        }
    }
    println!("kstwo: max |Δ| {worst:.3e}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn psi_edge_rules_match_numpy() {
    let want = fixture("drift/reference.json");
    for c in want["psi_cases"].as_array().expect("psi_cases") {
        let col = |k: &str| {
            Array1::from(
                c[k].as_array()
                    .expect(k)
                    .iter()
                    .map(num)
                    .collect::<Vec<_>>(),
            )
        };
        let (r, cur) = (col("reference"), col("current"));
        let got = anml::drift::psi::psi(r.view(), cur.view());
        assert!(
            (got - num(&c["psi"])).abs() <= PSI_TOL,
            "{r} vs {cur}: {got} vs {}",
            c["psi"]
        );
    }
}
