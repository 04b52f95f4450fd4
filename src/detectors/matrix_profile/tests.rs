use super::stomp::{Kernel, Tuning, ab_join_tuned, self_join_tuned};
use super::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random walk with optional flat stretches `(start, len)` and an exact
/// copy of `t[src..src+len]` pasted at `dst`.
fn walk(
    n: usize,
    seed: u64,
    flats: &[(usize, usize)],
    copy: Option<(usize, usize, usize)>,
) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = 0.0;
    let mut t: Vec<f64> = (0..n)
        .map(|_| {
            x += rng.random::<f64>() - 0.5;
            x
        })
        .collect();
    for &(s, len) in flats {
        let v = t[s];
        t[s..s + len].fill(v);
    }
    if let Some((src, dst, len)) = copy {
        let seg = t[src..src + len].to_vec();
        t[dst..dst + len].copy_from_slice(&seg);
    }
    t
}

/// Brute force, O(n²m): z-normalise every window and take the correlation
/// of every pair, stumpy's constant-window rules, best = largest ρ then the
/// lowest index.
struct Brute {
    rho: Vec<Vec<f64>>,
    m: usize,
}

impl Brute {
    fn new(a: &[f64], b: &[f64], m: usize) -> Self {
        let z = |t: &[f64]| -> Vec<Option<Vec<f64>>> {
            (0..=t.len() - m)
                .map(|i| {
                    let w = &t[i..i + m];
                    let (lo, hi) = w
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                            (l.min(v), h.max(v))
                        });
                    if lo == hi {
                        return None;
                    }
                    let mu = w.iter().sum::<f64>() / m as f64;
                    let sd = (w.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / m as f64).sqrt();
                    Some(w.iter().map(|v| (v - mu) / sd).collect())
                })
                .collect()
        };
        let (za, zb) = (z(a), z(b));
        let rho = za
            .iter()
            .map(|x| {
                zb.iter()
                    .map(|y| match (x, y) {
                        (None, None) => 1.0,
                        (None, Some(_)) | (Some(_), None) => 0.5,
                        (Some(x), Some(y)) => {
                            let r = x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>() / m as f64;
                            r.min(1.0)
                        }
                    })
                    .collect()
            })
            .collect();
        Brute { rho, m }
    }

    fn dist(&self, i: usize, j: i64) -> f64 {
        if j < 0 {
            return f64::INFINITY;
        }
        let p = (2.0 * self.m as f64 * (1.0 - self.rho[i][j as usize])).abs();
        if p < 1e-14 { 0.0 } else { p.sqrt() }
    }

    /// Best neighbour of row `i` among columns `js`.
    fn best(&self, i: usize, js: impl Iterator<Item = usize>) -> (f64, i64) {
        let mut best = (f64::NEG_INFINITY, -1i64);
        for j in js {
            let r = self.rho[i][j];
            if r > best.0 {
                best = (r, j as i64);
            }
        }
        (self.dist(i, best.1), best.1)
    }
}

/// `got` (distance, index) against the brute-force best `want`: the
/// distances agree to `tol`, and the indices too unless the two
/// candidates' exact distances differ by less than 1e-8 (a near tie).
fn check(b: &Brute, i: usize, got: (f64, i64), want: (f64, i64), tol: f64, what: &str) {
    if want.1 < 0 {
        assert_eq!(got.1, -1, "{what} row {i}: expected no neighbour");
        assert!(got.0.is_infinite(), "{what} row {i}: {got:?}");
        return;
    }
    // Near 0 compare squares: d = sqrt(2m(1 - ρ)) turns a rounding error ε
    // of ρ into sqrt(2mε).
    let close =
        |x: f64, y: f64| (x - y).abs() <= tol || (x * x - y * y).abs() <= 2.0 * b.m as f64 * 1e-13;
    assert!(
        close(got.0, want.0),
        "{what} row {i}: distance {} vs brute {} (index {} vs {})",
        got.0,
        want.0,
        got.1,
        want.1
    );
    if got.1 != want.1 {
        let d_got = b.dist(i, got.1);
        assert!(
            (d_got - want.0).abs() < 1e-8 || close(d_got, want.0),
            "{what} row {i}: index {} (d = {d_got}) vs brute {} (d = {})",
            got.1,
            want.1,
            want.0
        );
    }
}

fn check_self(t: &[f64], m: usize, mp: &MatrixProfile, tol: f64) {
    let b = Brute::new(t, t, m);
    let l = t.len() - m + 1;
    let ez = m.div_ceil(4);
    assert_eq!(mp.exclusion_zone, ez);
    assert_eq!(mp.profile.len(), l);
    for i in 0..l {
        let left = b.best(i, (0..l).filter(|&j| j + ez < i));
        let right = b.best(i, (0..l).filter(|&j| j > i + ez));
        let all = b.best(i, (0..l).filter(|&j| j.abs_diff(i) > ez));
        check(
            &b,
            i,
            (mp.left_profile[i], mp.left_index[i]),
            left,
            tol,
            "left",
        );
        check(
            &b,
            i,
            (mp.right_profile[i], mp.right_index[i]),
            right,
            tol,
            "right",
        );
        check(&b, i, (mp.profile[i], mp.index[i]), all, tol, "profile");
    }
}

fn bits(mp: &MatrixProfile) -> Vec<u64> {
    [&mp.profile, &mp.left_profile, &mp.right_profile]
        .iter()
        .flat_map(|v| v.iter().map(|x| x.to_bits()))
        .chain(
            [&mp.index, &mp.left_index, &mp.right_index]
                .iter()
                .flat_map(|v| v.iter().map(|&x| x as u64)),
        )
        .collect()
}

/// Small units and tiles (many work items, ragged blocks) with every
/// kernel the CPU has (an unavailable one falls back to a narrower one).
fn tunings() -> Vec<Tuning> {
    let mut v = Vec::new();
    for kernel in [Kernel::Portable, Kernel::Avx2, Kernel::Avx512] {
        for (unit_diagonals, tile_rows) in [(256, 2048), (16, 7), (32, 1), (48, 100)] {
            v.push(Tuning {
                unit_diagonals,
                tile_rows,
                kernel,
            });
        }
    }
    v
}

#[test]
fn stumpy_docstring_example() {
    // stumpy.stump(np.array([584., -11., 23., 79., 1001., 0., -19.]), m=3)
    let t = [584., -11., 23., 79., 1001., 0., -19.];
    let mp = self_join(&t, 3).unwrap();
    let want = [
        0.11633857113691416,
        2.694073918063438,
        3.0000926340485923,
        2.694073918063438,
        0.11633857113691416,
    ];
    for (g, w) in mp.profile.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{g} vs {w}");
    }
    assert_eq!(mp.index, vec![4, 3, 0, 1, 0]);
    assert_eq!(mp.left_index, vec![-1, -1, 0, 1, 0]);
    assert_eq!(mp.right_index, vec![4, 3, 4, -1, -1]);
    assert_eq!(mp.exclusion_zone, 1);
    assert!(mp.left_profile[0].is_infinite() && mp.right_profile[4].is_infinite());
    assert_eq!(mp.left_profile[4], mp.profile[4]);
    assert_eq!(mp.right_profile[0], mp.profile[0]);
}

#[test]
fn constant_windows_follow_stumpy() {
    // Windows 0..=3 (m = 4) of the flat head are constant; so are 12..=14.
    let t = [
        1., 1., 1., 1., 1., 1., 1., 2., 5., 3., 8., 0., 4., 4., 4., 4., 4., 4.,
    ];
    let m = 4;
    let mp = self_join(&t, m).unwrap();
    // constant vs constant: distance 0, the lowest index outside the zone
    assert_eq!(mp.index[0], 2);
    assert_eq!(mp.profile[0], 0.0);
    assert_eq!(mp.right_index[3], 12);
    assert_eq!(mp.left_index[14], 0);
    assert_eq!(mp.left_profile[14], 0.0);
    // a constant window sees a non-constant one at sqrt(m) (ρ = 0.5)
    check_self(&t, m, &mp, 1e-12);
    // a non-constant window with nothing better than ρ = 0.5 takes the
    // lowest constant window at distance sqrt(m)
    let sqrt_m = (m as f64).sqrt();
    for i in 0..mp.len() {
        if mp.profile[i] == sqrt_m {
            assert!([0, 1, 2, 3, 12, 13, 14].contains(&mp.index[i]), "{i}");
        }
    }
}

/// n, m, flat stretches, pasted copy (see [`walk`]).
type Case = (
    usize,
    usize,
    Vec<(usize, usize)>,
    Option<(usize, usize, usize)>,
);

#[test]
fn matches_brute_force_on_random_walks() {
    let cases: Vec<Case> = vec![
        (40, 3, vec![], None),
        (200, 3, vec![(10, 9), (150, 3)], None),
        (300, 10, vec![], None),
        (300, 10, vec![(0, 30), (100, 12), (290, 10)], None),
        (
            400,
            17,
            vec![(50, 40), (200, 17), (380, 20)],
            Some((60, 300, 40)),
        ),
        (500, 50, vec![], Some((10, 400, 80))),
        (257, 64, vec![(0, 64)], None),
        (120, 29, vec![], None),
    ];
    for (seed, (n, m, flats, copy)) in cases.into_iter().enumerate() {
        let t = walk(n, seed as u64, &flats, copy);
        let mp = self_join(&t, m).unwrap();
        check_self(&t, m, &mp, 1e-9);
        for tuning in tunings() {
            let other = self_join_tuned(&t, m, tuning).unwrap();
            assert_eq!(bits(&mp), bits(&other), "n={n} m={m} {tuning:?}");
        }
    }
}

#[test]
fn ab_join_matches_brute_force() {
    let cases = [
        (300, 120, 10, vec![(20, 15)], vec![(50, 12)]),
        (90, 400, 25, vec![], vec![(0, 40)]),
        (200, 200, 3, vec![(100, 5)], vec![]),
        (64, 64, 64, vec![], vec![]),
    ];
    for (seed, (na, nb, m, fa, fb)) in cases.into_iter().enumerate() {
        let a = walk(na, 100 + seed as u64, &fa, None);
        let b = walk(nb, 200 + seed as u64, &fb, None);
        let mp = ab_join(&a, &b, m).unwrap();
        let br = Brute::new(&a, &b, m);
        let la = na - m + 1;
        assert_eq!(mp.profile.len(), la);
        assert_eq!(mp.exclusion_zone, 0);
        for i in 0..la {
            let want = br.best(i, 0..nb - m + 1);
            check(&br, i, (mp.profile[i], mp.index[i]), want, 1e-9, "ab");
            assert!(mp.left_profile[i].is_infinite() && mp.right_profile[i].is_infinite());
            assert_eq!((mp.left_index[i], mp.right_index[i]), (-1, -1));
        }
        for tuning in tunings() {
            let other = ab_join_tuned(&a, &b, m, tuning).unwrap();
            assert_eq!(bits(&mp), bits(&other), "na={na} nb={nb} m={m} {tuning:?}");
        }
    }
}

#[test]
fn exact_ties_take_the_lowest_index() {
    // A random pattern repeated exactly: window 0 and windows 20, 40, ...
    // hold the same values, so the first cells of those diagonals (exact dot
    // products) give bit-identical correlations: a true tie.
    let pattern = walk(20, 11, &[], None);
    let t: Vec<f64> = (0..200).map(|k| pattern[k % 20]).collect();
    for tuning in tunings() {
        let mp = self_join_tuned(&t, 10, tuning).unwrap();
        assert_eq!(mp.right_index[0], 20, "{tuning:?}");
        assert_eq!(mp.index[0], 20, "{tuning:?}");
        assert_eq!(mp.profile[0], 0.0);
        let ab = ab_join_tuned(&t[..30], &t, 10, tuning).unwrap();
        assert_eq!(ab.index[0], 0, "{tuning:?}");
        assert_eq!(ab.index[5], 5, "{tuning:?}");
    }
}

#[test]
fn ab_join_of_a_series_with_itself_finds_itself() {
    let t = walk(150, 7, &[], None);
    let mp = ab_join(&t, &t, 12).unwrap();
    for (i, (&d, &j)) in mp.profile.iter().zip(&mp.index).enumerate() {
        assert_eq!(j, i as i64);
        assert!(d < 1e-6, "{d}");
    }
}

#[test]
fn same_bits_for_any_thread_count() -> Result<(), Box<dyn std::error::Error>> {
    let t = walk(3000, 42, &[(500, 120), (2000, 40)], Some((100, 2500, 200)));
    let tuning = Tuning {
        unit_diagonals: 32,
        tile_rows: 300,
        kernel: Kernel::Auto,
    };
    let b = walk(700, 43, &[], None);
    let mut runs = Vec::new();
    for k in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(k).build()?;
        let (s, a) = pool.install(|| {
            (
                self_join_tuned(&t, 37, tuning),
                ab_join_tuned(&b, &t, 37, tuning),
            )
        });
        runs.push((bits(&s?), bits(&a?)));
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
    let plain = self_join(&t, 37)?;
    assert_eq!(bits(&plain), runs[0].0);
    Ok(())
}

#[test]
fn tiny_series() {
    // one window: no neighbour at all
    let mp = self_join(&[1.0, 2.0, 4.0], 3).unwrap();
    assert_eq!(mp.index, vec![-1]);
    assert!(mp.profile[0].is_infinite());
    // every window inside every other's zone (l = 3, zone 1... m = 4 → zone 1)
    let mp = self_join(&[1.0, 2.0, 4.0, 3.0, 0.0], 4).unwrap();
    assert_eq!(mp.index, vec![-1, -1]);
    let mp = ab_join(&[1.0, 2.0, 4.0], &[3.0, 1.0, 2.0, 5.0], 3).unwrap();
    assert_eq!(mp.profile.len(), 1);
    assert!(mp.index[0] >= 0);
}

#[test]
fn typed_errors() {
    let t = [0.0, 1.0, 2.0, 3.0, 4.0];
    assert_eq!(
        self_join(&t, 2).unwrap_err(),
        MatrixProfileError::WindowTooShort { m: 2 }
    );
    assert_eq!(
        self_join(&t, 6).unwrap_err(),
        MatrixProfileError::WindowTooLong { m: 6, n: 5 }
    );
    assert_eq!(
        self_join(&[], 3).unwrap_err(),
        MatrixProfileError::WindowTooLong { m: 3, n: 0 }
    );
    let e = self_join(&[0.0, 1.0, f64::NAN, 2.0], 3).unwrap_err();
    assert!(matches!(
        e,
        MatrixProfileError::NonFinite {
            operand: Operand::Series,
            index: 2,
            ..
        }
    ));
    assert_eq!(
        ab_join(&t, &[0.0, 1.0, 2.0, f64::INFINITY], 3).unwrap_err(),
        MatrixProfileError::NonFinite {
            operand: Operand::B,
            index: 3,
            value: f64::INFINITY
        }
    );
    assert!(matches!(
        ab_join(&[f64::NEG_INFINITY, 0.0, 1.0], &t, 3).unwrap_err(),
        MatrixProfileError::NonFinite {
            operand: Operand::A,
            index: 0,
            ..
        }
    ));
    assert_eq!(
        ab_join(&t, &t[..3], 4).unwrap_err(),
        MatrixProfileError::WindowTooLong { m: 4, n: 3 }
    );
    assert!(e.to_string().contains("index 2"), "{e}");
}

fn profile_of(p: &[f64], m: usize) -> MatrixProfile {
    MatrixProfile {
        m,
        exclusion_zone: m.div_ceil(4),
        profile: p.to_vec(),
        index: vec![0; p.len()],
        left_profile: p.to_vec(),
        left_index: vec![0; p.len()],
        right_profile: p.to_vec(),
        right_index: vec![0; p.len()],
    }
}

#[test]
fn discords_pick_non_overlapping_maxima() {
    let p = [1.0, 5.0, 4.9, 2.0, 2.0, f64::INFINITY, 3.0, 0.5, 4.0, 1.0];
    let mp = profile_of(&p, 3);
    let d = discords(&mp, 10, None).unwrap();
    // 5.0 at 1 blocks 0..=3; inf at 5 is skipped; 4.0 at 8 blocks 6..=9;
    // then 2.0 at 4 (blocks 2..=6); nothing is left
    let got: Vec<(usize, f64)> = d.iter().map(|x| (x.index, x.distance)).collect();
    assert_eq!(got, vec![(1, 5.0), (8, 4.0), (4, 2.0)]);
    let d = discords(&mp, 2, None).unwrap();
    assert_eq!(d.len(), 2);
    // exclusion 1: only the window itself
    let d = discords(&mp, 3, Some(1)).unwrap();
    let got: Vec<usize> = d.iter().map(|x| x.index).collect();
    assert_eq!(got, vec![1, 2, 8]);
    // exclusion 0 behaves as 1
    assert_eq!(discords(&mp, 3, Some(0)).unwrap(), d);
    assert_eq!(
        discords(&mp, 0, None).unwrap_err(),
        MatrixProfileError::ZeroDiscords
    );
    // ties: the lowest index
    let mp = profile_of(&[2.0, 1.0, 2.0, 0.0, 2.0], 3);
    let d = discords(&mp, 5, Some(1)).unwrap();
    let got: Vec<usize> = d.iter().map(|x| x.index).collect();
    assert_eq!(got, vec![0, 2, 4, 1, 3]);
    // an empty profile has none
    assert!(discords(&profile_of(&[], 3), 1, None).unwrap().is_empty());
}

#[test]
fn discords_of_a_planted_anomaly() {
    let mut t: Vec<f64> = (0..2000).map(|i| (i as f64 * 0.1).sin()).collect();
    for (k, v) in t[1200..1230].iter_mut().enumerate() {
        *v += 0.8 * (k as f64 * 0.9).cos();
    }
    let mp = self_join(&t, 50).unwrap();
    let d = discords(&mp, 1, None).unwrap();
    assert!((1150..1230).contains(&d[0].index), "{:?}", d[0]);
}

#[test]
fn huge_values_are_rescaled_and_give_the_unscaled_profile() {
    let t = walk(500, 11, &[], None);
    let base = self_join(&t, 20).unwrap();
    // z-normalised distances do not change with the scale of the series
    let big: Vec<f64> = t.iter().map(|v| v * 1e100).collect();
    let scaled = self_join(&big, 20).unwrap();
    assert_eq!(scaled.index, base.index);
    for (a, b) in scaled.profile.iter().zip(&base.profile) {
        assert!((a - b).abs() <= 1e-6 * b.max(1.0), "{a} vs {b}");
    }
    // near f64::MAX the window sums would overflow (it used to give all
    // zeros): the series is scaled by a power of two first, so the profile
    // is the unscaled one
    let max = t.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for factor in [1e306, f64::MAX / max * (1.0 - 1e-12)] {
        let huge: Vec<f64> = t.iter().map(|v| v * factor).collect();
        let scaled = self_join(&huge, 20).unwrap();
        assert_eq!(scaled.index, base.index);
        for (a, b) in scaled.profile.iter().zip(&base.profile) {
            assert!((a - b).abs() <= 1e-6 * b.max(1.0), "{a} vs {b}");
        }
        let ab = ab_join(&t, &huge, 20).unwrap();
        let plain = ab_join(&t, &t, 20).unwrap();
        assert_eq!(ab.index, plain.index);
        for (a, b) in ab.profile.iter().zip(&plain.profile) {
            assert!((a - b).abs() <= 1e-6 * b.max(1.0), "{a} vs {b}");
        }
    }
    // a power of two keeps the bits: 2^900 times the series is 2^-k exact
    let pow: Vec<f64> = t.iter().map(|v| v * 2f64.powi(900)).collect();
    let p = self_join(&pow, 20).unwrap();
    assert_eq!(p.index, base.index);
    // non-finite values are still refused
    let mut bad = t.clone();
    bad[7] = f64::INFINITY;
    let e = self_join(&bad, 20).unwrap_err();
    assert!(
        matches!(e, MatrixProfileError::NonFinite { index: 7, .. }),
        "{e}"
    );
}
