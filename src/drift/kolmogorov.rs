//! The survival function of the one-sample two-sided Kolmogorov statistic
//! D_n, P(D_n > x), as scipy computes it (`scipy.stats.kstwo.sf`, in
//! `scipy/stats/_ksstats.py`), which `ks_2samp`'s asymptotic branch calls.
//! Simard and L'Ecuyer's (2011) choice of method by n and n·x²: the
//! Ruben–Gambino closed forms at the ends, the Durbin matrix (Marsaglia,
//! Tsang and Wang 2003), Pomeranz's recursion (n ≤ 140), twice the one-sided
//! Smirnov tail (Birnbaum–Tingey sum, scipy.special.smirnov) and the
//! Pelz–Good asymptotic series. The same branch points as scipy, so the
//! p-values agree to rounding (`tests/drift_parity.rs`).

use std::f64::consts::PI;

const E128: i32 = 128;
const EP128: f64 = 3.402_823_669_209_385e38; // 2^128
const EM128: f64 = 2.938_735_877_055_719e-39; // 2^-128
const MIN_LOG: f64 = -708.0;
/// cephes' MINLOG, ln(2^-1022).
const CEPHES_MINLOG: f64 = -708.396_418_532_264_1;
const SMIRNOV_MAX_COMPUTE_N: u64 = 1_000_000;

fn ldexp(x: f64, e: i32) -> f64 {
    // Exact scaling by 2^e in steps that stay within f64's exponent range.
    let mut x = x;
    let mut e = e;
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e)
}

/// ln(n! / n^n) by Stirling's series (scipy's `_log_nfactorial_div_n_pow_n`).
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    const STIRLING: [f64; 8] = [
        -2.955_065_359_477_124e-2,
        6.410_256_410_256_41e-3,
        -1.917_526_917_526_917_6e-3,
        8.417_508_417_508_418e-4,
        -5.952_380_952_380_952e-4,
        7.936_507_936_507_937e-4,
        -2.777_777_777_777_778e-3,
        8.333_333_333_333_333e-2,
    ];
    let rn = 1.0 / n;
    let z = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * z + c);
    n.ln() / 2.0 - n + (2.0 * PI).ln() / 2.0 + rn * poly
}

/// P(D_n > x) for an integer n ≥ 1 and 0 < x < 1.
pub fn kolmogn_sf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n).fold(1.0, |p, i| p * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0)))
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        return (2.0 * (1.0 - x).powi(n as i32)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754693 {
            return (1.0 - durbin_cdf(n, x)).clamp(0.0, 1.0);
        }
        if nxsquared <= 4.0 {
            return (1.0 - pomeranz_cdf(n, x)).clamp(0.0, 1.0);
        }
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_cdf(n, x)
    } else {
        pelz_good_cdf(nf, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            for j in 0..m {
                c[i * m + j] += aik * b[k * m + j];
            }
        }
    }
    c
}

/// P(D_n ≤ d) by the Durbin matrix, H^n's (k, k) entry times n!/n^n
/// (scipy's `_kolmogn_DMTW`).
fn durbin_cdf(n: u64, d: f64) -> f64 {
    let nf = n as f64;
    if d >= 1.0 {
        return 1.0;
    }
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut hm = vec![0.0; m * m];
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powi(j as i32)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let mut hpwr: Vec<f64> = (0..m * m)
        .map(|i| if i / m == i % m { 1.0 } else { 0.0 })
        .collect();
    let mut nn = n;
    let mut expnt: i32 = 0;
    let mut hexpnt: i32 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            hpwr = matmul(&hpwr, &hm, m);
            expnt += hexpnt;
        }
        hm = matmul(&hm, &hm, m);
        hexpnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > EP128 {
            for x in &mut hm {
                *x /= EP128;
            }
            hexpnt += E128;
        }
        nn /= 2;
    }
    let mut p = hpwr[(k - 1) * m + (k - 1)];
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            expnt -= E128;
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    p.clamp(0.0, 1.0)
}

fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1) / 2, (i + 1) % 2);
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// P(D_n ≤ x) by Pomeranz's recursion (scipy's `_kolmogn_Pomeranz`).
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    let ni = n as i64;
    let nf = n as f64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![0.0; npwrs];
    let mut twogpower = vec![0.0; npwrs];
    let mut onem2gpower = vec![0.0; npwrs];
    gpower[0] = 1.0;
    twogpower[0] = 1.0;
    onem2gpower[0] = 1.0;
    let mut expnt: i32 = 0;
    let (g_n, two_g_n, one_m2g_n) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        gpower[m] = gpower[m - 1] * g_n / m as f64;
        twogpower[m] = twogpower[m - 1] * two_g_n / m as f64;
        onem2gpower[m] = onem2gpower[m - 1] * one_m2g_n / m as f64;
    }
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s): (i64, i64) = (0, 0);
    let (mut j1, _) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|v| *v = 0.0);
        let j2;
        (j1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        let pwrs = if i == 1 || i == 2 * ni + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let ln2 = ln2 as usize;
            let start = (k1 - v0s) as usize;
            // np.convolve(V0[start:start+ln2], pwrs[:ln2]) ("full" mode),
            // clipped as numpy slices clip.
            let a: &[f64] = &v0[start.min(npwrs)..(start + ln2).min(npwrs)];
            let b: &[f64] = &pwrs[..ln2.min(npwrs)];
            let mut conv = vec![0.0; (a.len() + b.len()).saturating_sub(1)];
            for (p, &x) in a.iter().enumerate() {
                for (q, &y) in b.iter().enumerate() {
                    conv[p + q] += x * y;
                }
            }
            let conv_start = (j1 - k1) as usize;
            let conv_len = (j2 - j1 + 1).max(0) as usize;
            for (dst, src) in v1
                .iter_mut()
                .take(conv_len)
                .zip(conv.iter().skip(conv_start))
            {
                *dst = *src;
            }
            let max = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < max && max < EM128 {
                v1.iter_mut().for_each(|v| *v *= EP128);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = v1[(ni - v1s) as usize];
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            expnt += E128;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    ans.clamp(0.0, 1.0)
}

/// P(D_n ≤ x) by the Pelz–Good series (scipy's `_kolmogn_PelzGood`).
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let pi2 = PI * PI;
    let pi4 = pi2 * pi2;
    let pi6 = pi4 * pi2;
    let sqrt2pi = (2.0 * PI).sqrt();
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z.powi(2), z.powi(3), z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < MIN_LOG {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m.powi(2), m.powi(4), m.powi(6));
        let qpower = q.powf((8 * kk) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (v, c) in k.iter_mut().zip(coeffs) {
            *v = *v * qpower + c;
        }
    }
    let div = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (v, dv) in k.iter_mut().zip(div) {
        *v = *v * q * sqrt2pi / dv;
    }
    let q = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for kk in (1..=maxk).rev() {
        let ks2 = (kk * kk) as f64;
        let qp = q.powf(ks2);
        let kspi = PI * kk as f64;
        k2extra += ks2 * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    k[2] += k2extra * (pi2 * sqrt2pi / (-36.0 * z3));
    k[3] += k3extra * (pi2 * sqrt2pi / (216.0 * z6));
    for (i, v) in k.iter_mut().enumerate() {
        *v /= n.powf(i as f64 / 2.0);
    }
    k.iter().sum()
}

/// P(D_n⁺ ≥ x), the one-sided Smirnov tail (scipy.special.smirnov) by the
/// Birnbaum–Tingey sum x·Σ_j C(n, j)(1 − x − j/n)^(n−j)(x + j/n)^(j−1),
/// each term in logarithms. Called for n·x² ≥ 2.2 or x ≥ 0.5 (and n ≤ 140
/// with n·x² > 4), where the terms are positive and the sum is short
/// relative to its first terms.
fn smirnov_sf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    if n == 1 {
        return x;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    // n·x split exactly into floor and remainder (scipy uses double-double).
    let nx = nf * x;
    let nx_lo = nf.mul_add(x, -nx);
    let mut nxfl = nx.floor();
    let mut alpha = (nx - nxfl) + nx_lo;
    if alpha < 0.0 {
        nxfl -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        nxfl += 1.0;
        alpha = 0.0;
    }
    let nxfl = nxfl as i64;
    let ni = n as i64;
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let t = (1.0 + x).powf(nf - 1.0);
        return (1.0 - x * t).clamp(0.0, 1.0);
    }
    if -2.0 * nf * x * x < CEPHES_MINLOG {
        return 0.0;
    }
    if nxfl >= ni - 1 {
        return (1.0 - x).powf(nf).clamp(0.0, 1.0);
    }
    if n > SMIRNOV_MAX_COMPUTE_N {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 + logp.exp_m1()
        };
    }
    // Terms j = 0 ..= last, where 1 − x − j/n stays positive.
    let last = ni - nxfl - i64::from(alpha != 0.0) - i64::from(alpha == 0.0);
    let mut sum = 0.0;
    let mut ln_binom = 0.0;
    let mut terms = Vec::with_capacity((last + 1).max(0) as usize);
    for j in 0..=last {
        if j > 0 {
            ln_binom += ((ni - j + 1) as f64 / j as f64).ln();
        }
        // 1 − x − j/n = ((n − j − ⌊nx⌋) − α)/n, x + j/n = ((⌊nx⌋ + j) + α)/n.
        let below = ((ni - j - nxfl) as f64 - alpha) / nf;
        let above = ((nxfl + j) as f64 + alpha) / nf;
        let ln_term = ln_binom + (ni - j) as f64 * below.ln() + (j - 1) as f64 * above.ln();
        terms.push(ln_term);
    }
    // Add the small terms first.
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut scaled: Vec<f64> = terms.iter().map(|&t| (t - max).exp()).collect();
    scaled.sort_by(f64::total_cmp);
    for s in scaled {
        sum += s;
    }
    (x * sum * max.exp()).clamp(0.0, 1.0)
}
