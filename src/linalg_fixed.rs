//! Small dense linear algebra in plain Rust with a fixed order of operations,
//! so that its results are the same bits on every x86-64 CPU.
//!
//! Why it exists: OpenBLAS (and the LAPACK built on it) picks its kernels by
//! CPU at run time (`OPENBLAS_CORETYPE`: SkylakeX with AVX-512 and FMA,
//! Haswell/Zen with AVX2, ...), and each kernel sums in its own order with or
//! without fused multiply-adds. For most detectors that changes the last bits
//! of a score and nothing else; for FastMCD it changed *which* candidate
//! subset won (log-determinants within rounding of each other, issue 22:
//! lympho seed 9 scored ROC-AUC 0.853 on an AVX-512 Xeon and 0.974 on an AVX2
//! EPYC). The code here never calls BLAS or LAPACK: every sum runs in one
//! documented order, and loops that the compiler vectorises only vectorise
//! across *independent* outputs (never reassociate a sum). Rust neither
//! contracts `a * b + c` into an FMA nor reassociates floating-point
//! arithmetic, and the only library function used is `log` in [`slogdet`], from the
//! pure-Rust `libm` crate (glibc's `log` has CPU-specific variants), so a
//! baseline x86-64 build gives identical bits whatever CPU runs it. The
//! kernels also get AVX-512F and AVX2 builds, chosen at run time
//! (`crate::exp_fixed::widest_simd`): wider vectors only run more
//! independent outputs side by side, so they give the same bits
//! (`tests::every_simd_build_gives_the_same_bits`).
//!
//! What it offers (d × d matrices up to a few hundred; all O(d³) at most):
//! * [`mean_cov`]: mean and biased covariance of chosen rows (row-order sums);
//! * [`sym_eigen`]: symmetric eigendecomposition by Householder
//!   tridiagonalisation and the implicit QL algorithm (EISPACK's tred2/tql2
//!   as in JAMA), eigenvalues ascending;
//! * [`pinvh`]: scipy's `pinvh` (eigenvalues with |s| <= max|s| · d · ε count
//!   as 0) from that decomposition;
//! * [`slogdet`]: numpy's `slogdet` semantics from an LU factorisation with
//!   partial pivoting (sign 0 and −∞ for an exactly singular matrix);
//! * [`mahalanobis`]: squared Mahalanobis distances of rows.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ShapeBuilder};

/// QL iterations allowed per eigenvalue before giving up (LAPACK's dsteqr
/// allows 30).
const MAX_QL_ITERATIONS: usize = 30;

crate::exp_fixed::widest_simd!(cov_sums, cov_sums_avx512, cov_sums_avx2, cov_sums_body,
    (x: ArrayView2<'_, f64>, rows: &[usize], mean: &[f64], cov: &mut [f64]) -> ());
crate::exp_fixed::widest_simd!(tred2, tred2_avx512, tred2_avx2, tred2_body,
    (n: usize, v: &mut [f64], d: &mut [f64], e: &mut [f64]) -> ());
crate::exp_fixed::widest_simd!(tql2, tql2_avx512, tql2_avx2, tql2_body,
    (n: usize, v: &mut [f64], d: &mut [f64], e: &mut [f64]) -> Result<(), String>);
crate::exp_fixed::widest_simd!(pinv_sums, pinv_sums_avx512, pinv_sums_avx2, pinv_sums_body,
    (s: &[f64], u: &[f64], cutoff: f64, p: &mut [f64]) -> ());
crate::exp_fixed::widest_simd!(mahalanobis_rows, mahalanobis_rows_avx512, mahalanobis_rows_avx2,
    mahalanobis_rows_body,
    (x: ArrayView2<'_, f64>, loc: &[f64], p: &[f64], out: &mut [f64]) -> ());

/// Mean and biased covariance (`np.cov(X.T, bias=1)`) of the rows `rows` of
/// `x`, in that order. Each mean is the sum over the rows in the given order
/// divided by the row count; each covariance entry (i, j), i >= j, is the
/// sum over the same rows of the centred products, divided by the row count,
/// and mirrored to (j, i), so the result is exactly symmetric. No rows give
/// zeros.
pub fn mean_cov(x: ArrayView2<'_, f64>, rows: &[usize]) -> (Array1<f64>, Array2<f64>) {
    let d = x.ncols();
    let h = rows.len().max(1) as f64;
    let mut mean = vec![0.0; d];
    for &r in rows {
        for (m, v) in mean.iter_mut().zip(x.row(r)) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= h;
    }
    let mut cov = vec![0.0; d * d];
    cov_sums(x, rows, &mean, &mut cov);
    for i in 0..d {
        for j in 0..=i {
            let v = cov[i * d + j] / h;
            cov[i * d + j] = v;
            cov[j * d + i] = v;
        }
    }
    let cov = Array2::from_shape_vec((d, d), cov).unwrap_or_else(|_| Array2::zeros((d, d)));
    (Array1::from(mean), cov)
}

/// The lower triangle of `Σ_r c_r c_rᵀ` over `rows` (c_r = x_r − mean),
/// added to `cov` (d × d, row-major).
#[inline(always)]
fn cov_sums_body(x: ArrayView2<'_, f64>, rows: &[usize], mean: &[f64], cov: &mut [f64]) {
    let d = mean.len();
    // Rows are added four at a time (one load and store of each entry per
    // four rows); each entry still adds the rows' products one after another
    // in the given order, so the bits do not depend on the grouping.
    let mut c = vec![0.0; 4 * d];
    let centre = |dst: &mut [f64], r: usize| {
        for ((ci, v), m) in dst.iter_mut().zip(x.row(r)).zip(mean) {
            *ci = v - m;
        }
    };
    let mut groups = rows.chunks_exact(4);
    for g in &mut groups {
        for (k, &r) in g.iter().enumerate() {
            centre(&mut c[k * d..(k + 1) * d], r);
        }
        let (c0, rest) = c.split_at(d);
        let (c1, rest) = rest.split_at(d);
        let (c2, c3) = rest.split_at(d);
        for i in 0..d {
            let (a0, a1, a2, a3) = (c0[i], c1[i], c2[i], c3[i]);
            let row = &mut cov[i * d..i * d + i + 1];
            for ((((cij, &b0), &b1), &b2), &b3) in row
                .iter_mut()
                .zip(&c0[..=i])
                .zip(&c1[..=i])
                .zip(&c2[..=i])
                .zip(&c3[..=i])
            {
                let mut v = *cij;
                v += a0 * b0;
                v += a1 * b1;
                v += a2 * b2;
                v += a3 * b3;
                *cij = v;
            }
        }
    }
    for &r in groups.remainder() {
        centre(&mut c[..d], r);
        let c0 = &c[..d];
        for i in 0..d {
            let a = c0[i];
            let row = &mut cov[i * d..i * d + i + 1];
            for (cij, &b) in row.iter_mut().zip(&c0[..=i]) {
                *cij += a * b;
            }
        }
    }
}

/// `sqrt(a² + b²)` without overflow, from IEEE operations only (JAMA's
/// `Maths.hypot`; libm's `hypot` may differ between CPU-specific variants).
fn hypot(a: f64, b: f64) -> f64 {
    let (a, b) = (a.abs(), b.abs());
    if a > b {
        let r = b / a;
        a * (1.0 + r * r).sqrt()
    } else if b != 0.0 {
        let r = a / b;
        b * (1.0 + r * r).sqrt()
    } else {
        0.0
    }
}

/// `Σ a_k b_k` in a fixed order that does not wait on one long chain of
/// additions: four partial sums over k mod 4 (the first 4⌊n/4⌋ terms), added
/// as (s0 + s1) + (s2 + s3), then the remaining terms in order.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let mut total = (s[0] + s[1]) + (s[2] + s[3]);
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        total += x * y;
    }
    total
}

/// Householder reduction of the symmetric matrix in `v` (column-major n × n,
/// `v[c * n + r]` = entry (r, c); only the lower triangle is read) to
/// tridiagonal form: `d` gets the diagonal, `e` the subdiagonal (in
/// `e[1..]`), `v` the orthogonal transformation. EISPACK's tred2, as JAMA
/// writes it, with the inner loops running down columns (contiguous here)
/// and its dot products summed by [`dot`].
#[inline(always)]
fn tred2_body(n: usize, v: &mut [f64], d: &mut [f64], e: &mut [f64]) {
    for j in 0..n {
        d[j] = v[j * n + n - 1];
    }
    for i in (1..n).rev() {
        let scale: f64 = d[..i].iter().map(|x| x.abs()).fold(0.0, |s, x| s + x);
        let mut h = 0.0;
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[j * n + i - 1];
                v[j * n + i] = 0.0;
                v[i * n + j] = 0.0;
            }
        } else {
            for dk in &mut d[..i] {
                *dk /= scale;
                h += *dk * *dk;
            }
            let mut f = d[i - 1];
            let mut g = h.sqrt();
            if f > 0.0 {
                g = -g;
            }
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            e[..i].fill(0.0);
            for j in 0..i {
                f = d[j];
                v[i * n + j] = f;
                let col = &v[j * n + j + 1..j * n + i];
                g = e[j] + v[j * n + j] * f + dot(col, &d[j + 1..i]);
                for (&vkj, ek) in col.iter().zip(&mut e[j + 1..i]) {
                    *ek += vkj * f;
                }
                e[j] = g;
            }
            f = 0.0;
            for (ej, &dj) in e[..i].iter_mut().zip(&d[..i]) {
                *ej /= h;
                f += *ej * dj;
            }
            let hh = f / (h + h);
            for (ej, &dj) in e[..i].iter_mut().zip(&d[..i]) {
                *ej -= hh * dj;
            }
            for j in 0..i {
                let f = d[j];
                let g = e[j];
                let col = &mut v[j * n + j..j * n + i];
                for ((vkj, &ek), &dk) in col.iter_mut().zip(&e[j..i]).zip(&d[j..i]) {
                    *vkj -= f * ek + g * dk;
                }
                d[j] = v[j * n + i - 1];
                v[j * n + i] = 0.0;
            }
        }
        d[i] = h;
    }
    // Accumulate the transformations.
    for i in 0..n.saturating_sub(1) {
        v[i * n + n - 1] = v[i * n + i];
        v[i * n + i] = 1.0;
        let h = d[i + 1];
        let (left, right) = v.split_at_mut((i + 1) * n);
        let next = &mut right[..n];
        if h != 0.0 {
            for (dk, &vk) in d[..=i].iter_mut().zip(&next[..=i]) {
                *dk = vk / h;
            }
            for j in 0..=i {
                let col = &mut left[j * n..j * n + i + 1];
                let g = dot(&next[..=i], col);
                for (vkj, &dk) in col.iter_mut().zip(&d[..=i]) {
                    *vkj -= g * dk;
                }
            }
        }
        next[..=i].fill(0.0);
    }
    for j in 0..n {
        d[j] = v[j * n + n - 1];
        v[j * n + n - 1] = 0.0;
    }
    if n > 0 {
        v[(n - 1) * n + n - 1] = 1.0;
        e[0] = 0.0;
    }
}

/// The implicit QL algorithm on the tridiagonal (`d`, `e`) from [`tred2`],
/// accumulating rotations into `v`'s columns, then the eigenvalues sorted
/// ascending with their vectors (selection sort, first minimum: ties keep
/// their order). EISPACK's tql2, as JAMA writes it.
#[inline(always)]
fn tql2_body(n: usize, v: &mut [f64], d: &mut [f64], e: &mut [f64]) -> Result<(), String> {
    if n == 0 {
        return Ok(());
    }
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0;
    let mut tst1: f64 = 0.0;
    let eps = f64::EPSILON;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n && e[m].abs() > eps * tst1 {
            m += 1;
        }
        if m == n {
            return Err("eigendecomposition: non-finite values".into());
        }
        if m > l {
            let mut iter = 0;
            loop {
                iter += 1;
                if iter > MAX_QL_ITERATIONS {
                    return Err("eigendecomposition did not converge".into());
                }
                let mut g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = hypot(p, 1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let mut h = g - d[l];
                for di in &mut d[l + 2..n] {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let (mut c, mut c2, mut c3) = (1.0, 1.0, 1.0);
                let el1 = e[l + 1];
                let (mut s, mut s2) = (0.0, 0.0);
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    g = c * e[i];
                    h = c * p;
                    r = hypot(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    let (left, right) = v.split_at_mut((i + 1) * n);
                    let vi = &mut left[i * n..];
                    for (a, b) in vi.iter_mut().zip(right[..n].iter_mut()) {
                        let hk = *b;
                        *b = s * *a + c * hk;
                        *a = c * *a - s * hk;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 || e[l].is_nan() {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    for i in 0..n - 1 {
        let mut k = i;
        let mut p = d[i];
        for (j, &dj) in d.iter().enumerate().skip(i + 1) {
            if dj < p {
                k = j;
                p = dj;
            }
        }
        if k != i {
            d[k] = d[i];
            d[i] = p;
            let (left, right) = v.split_at_mut(k * n);
            left[i * n..(i + 1) * n].swap_with_slice(&mut right[..n]);
        }
    }
    if d.iter().any(|x| !x.is_finite()) {
        return Err("eigendecomposition: non-finite values".into());
    }
    Ok(())
}

/// Eigenvalues (ascending) and eigenvectors (the columns, orthonormal) of
/// the symmetric matrix `a`; only its lower triangle is read (LAPACK's
/// `UPLO = 'L'`). An error for a non-square or non-finite matrix or (never
/// seen) a QL iteration that does not converge.
pub fn sym_eigen(a: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>), String> {
    let n = a.nrows();
    let (d, v) = eigen_raw(a)?;
    let vectors = Array2::from_shape_vec((n, n).f(), v).map_err(|e| e.to_string())?;
    Ok((Array1::from(d), vectors))
}

/// [`sym_eigen`]'s values and its vectors one after another (column-major).
fn eigen_raw(a: ArrayView2<'_, f64>) -> Result<(Vec<f64>, Vec<f64>), String> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(format!(
            "eigendecomposition of a non-square {n} × {} matrix",
            a.ncols()
        ));
    }
    if a.iter().any(|x| !x.is_finite()) {
        return Err("eigendecomposition: non-finite values".into());
    }
    // Column-major: v[c * n + r] = a[r][c] for r >= c (the lower triangle).
    let mut v = vec![0.0; n * n];
    for c in 0..n {
        for r in c..n {
            v[c * n + r] = a[[r, c]];
        }
    }
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    tred2(n, &mut v, &mut d, &mut e);
    tql2(n, &mut v, &mut d, &mut e)?;
    Ok((d, v))
}

/// The lower triangle of `Σ_k u_k u_kᵀ / s_k` over the k with `|s_k| >
/// cutoff`, in ascending k, added to `p` (d × d, row-major); `u` holds the
/// vectors one after another (u_k = `u[k * d..(k + 1) * d]`).
#[inline(always)]
fn pinv_sums_body(s: &[f64], u: &[f64], cutoff: f64, p: &mut [f64]) {
    let d = s.len();
    for k in 0..d {
        if s[k].abs() <= cutoff {
            continue;
        }
        let uk = &u[k * d..(k + 1) * d];
        for i in 0..d {
            let a = uk[i] / s[k];
            for (pij, &uj) in p[i * d..i * d + i + 1].iter_mut().zip(&uk[..=i]) {
                *pij += a * uj;
            }
        }
    }
}

/// scipy's `pinvh` with default tolerances: eigenvalues with
/// `|s| <= max|s| · d · ε` are treated as 0, the others inverted:
/// `P = Σ_k u_k u_kᵀ / s_k` over the kept eigenvalues in ascending order,
/// each entry (i, j), i >= j, summed in that order and mirrored.
pub fn pinvh(a: ArrayView2<'_, f64>) -> Result<Array2<f64>, String> {
    let d = a.nrows();
    let (s, u) = eigen_raw(a)?;
    let max = s.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let cutoff = max * d as f64 * f64::EPSILON;
    let mut p = vec![0.0; d * d];
    pinv_sums(&s, &u, cutoff, &mut p);
    for i in 0..d {
        for j in 0..i {
            p[j * d + i] = p[i * d + j];
        }
    }
    Array2::from_shape_vec((d, d), p).map_err(|e| e.to_string())
}

/// numpy's `slogdet`: (sign, ln |det|) from an LU factorisation with partial
/// pivoting (the first row with the largest |pivot|, as LAPACK's `idamax`),
/// the sign from the row swaps and the signs of U's diagonal, the logarithm
/// summed over U's diagonal in order. An exactly zero pivot column gives
/// (0, −∞), as numpy; a NaN gives (NaN, NaN).
pub fn slogdet(a: ArrayView2<'_, f64>) -> (f64, f64) {
    let n = a.nrows();
    if a.ncols() != n {
        return (f64::NAN, f64::NAN);
    }
    let mut m: Vec<f64> = a.iter().copied().collect();
    if a.iter().any(|x| x.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    let mut sign = 1.0;
    let mut ln = 0.0;
    for k in 0..n {
        let mut p = k;
        let mut best = m[k * n + k].abs();
        for r in k + 1..n {
            let v = m[r * n + k].abs();
            if v > best {
                best = v;
                p = r;
            }
        }
        if best == 0.0 {
            return (0.0, f64::NEG_INFINITY);
        }
        if p != k {
            let (top, bottom) = m.split_at_mut(p * n);
            top[k * n..(k + 1) * n].swap_with_slice(&mut bottom[..n]);
            sign = -sign;
        }
        let (top, bottom) = m.split_at_mut((k + 1) * n);
        let pivot_row = &top[k * n..];
        let pivot = pivot_row[k];
        for row in bottom.chunks_exact_mut(n) {
            let l = row[k] / pivot;
            for (x, &y) in row[k + 1..].iter_mut().zip(&pivot_row[k + 1..]) {
                *x -= l * y;
            }
        }
        if pivot < 0.0 {
            sign = -sign;
        }
        ln += libm::log(pivot.abs());
    }
    (sign, ln)
}

/// Query rows per register block of [`mahalanobis_rows_body`].
const MAHA_ROWS: usize = 8;
/// Columns per register block of [`mahalanobis_rows_body`] (one AVX-512
/// register, two AVX2 registers of f64).
const MAHA_COLS: usize = 8;

/// The squared distances of `x`'s rows under `loc` and `p` (row-major d × d)
/// into `out`.
///
/// Register-blocked: for [`MAHA_ROWS`] rows at a time and [`MAHA_COLS`]
/// columns j at a time, the partial sums `t_j` of all those rows stay in
/// registers while i runs over 0..d, so each loaded value of P serves four
/// rows and no `t_j` is stored and reloaded per i. Every `t_j` is still
/// `0 + c_0 P_0j + c_1 P_1j + ...` in order of i, so the blocking changes no
/// bits. P is copied once into rows padded to a multiple of [`MAHA_COLS`]
/// (zeros; the padded columns' sums are never read).
#[inline(always)]
fn mahalanobis_rows_body(x: ArrayView2<'_, f64>, loc: &[f64], p: &[f64], out: &mut [f64]) {
    let n = x.nrows();
    let d = loc.len();
    let dp = d.div_ceil(MAHA_COLS) * MAHA_COLS;
    let mut pp = vec![0.0; d * dp];
    for (dst, src) in pp.chunks_exact_mut(dp).zip(p.chunks_exact(d)) {
        dst[..d].copy_from_slice(src);
    }
    let mut c = vec![0.0; MAHA_ROWS * d];
    let mut t = vec![0.0; MAHA_ROWS * dp];
    let mut start = 0;
    while start < n {
        let m = (n - start).min(MAHA_ROWS);
        for k in 0..MAHA_ROWS {
            let ck = &mut c[k * d..(k + 1) * d];
            if k < m {
                for ((ci, v), l) in ck.iter_mut().zip(x.row(start + k)).zip(loc) {
                    *ci = v - l;
                }
            } else {
                ck.fill(0.0);
            }
        }
        for jb in (0..dp).step_by(MAHA_COLS) {
            let mut acc = [[0.0f64; MAHA_COLS]; MAHA_ROWS];
            for i in 0..d {
                let pv = &pp[i * dp + jb..i * dp + jb + MAHA_COLS];
                for (r, acc_r) in acc.iter_mut().enumerate() {
                    let a = c[r * d + i];
                    for (u, &pij) in acc_r.iter_mut().zip(pv) {
                        *u += a * pij;
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                t[r * dp + jb..r * dp + jb + MAHA_COLS].copy_from_slice(acc_r);
            }
        }
        for k in 0..m {
            let mut s = 0.0;
            for (tj, cj) in t[k * dp..k * dp + d].iter().zip(&c[k * d..(k + 1) * d]) {
                s += tj * cj;
            }
            out[start + k] = s;
        }
        start += m;
    }
}

/// Squared Mahalanobis distances `((x − loc) P) · (x − loc)` of the rows of
/// `x`: for each row, `t_j = Σ_i c_i P_ij` summed over i in order, then
/// `Σ_j t_j c_j` in order (c the centred row).
pub fn mahalanobis(
    x: ArrayView2<'_, f64>,
    location: ArrayView1<'_, f64>,
    precision: ArrayView2<'_, f64>,
) -> Array1<f64> {
    let p: Vec<f64> = precision.iter().copied().collect();
    let loc: Vec<f64> = location.to_vec();
    let mut out = vec![0.0; x.nrows()];
    mahalanobis_rows(x, &loc, &p, &mut out);
    Array1::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Axis, array};
    use ndarray_linalg::{Determinant, Eigh, UPLO};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_simple_fn((n, d), || rng.random::<f64>() * 2.0 - 1.0)
    }

    /// A random SPD matrix: the covariance of n > d random rows.
    fn spd(d: usize, seed: u64) -> Array2<f64> {
        let x = random(2 * d + 5, d, seed);
        let rows: Vec<usize> = (0..x.nrows()).collect();
        mean_cov(x.view(), &rows).1
    }

    fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
        a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
    }

    #[test]
    fn mean_cov_matches_the_definition() {
        let x = array![[1.0, 2.0], [3.0, 5.0], [10.0, -1.0], [5.0, 0.0]];
        let (m, c) = mean_cov(x.view(), &[0, 1, 3]);
        assert_eq!(m.to_vec(), vec![3.0, 7.0 / 3.0]);
        // centred rows: (-2, -1/3), (0, 8/3), (2, -7/3)
        let want = array![
            [8.0 / 3.0, (2.0 / 3.0 - 14.0 / 3.0) / 3.0],
            [(2.0 / 3.0 - 14.0 / 3.0) / 3.0, (1.0 + 64.0 + 49.0) / 27.0]
        ];
        assert!(max_abs_diff(&c, &want) < 1e-14, "{c}");
        assert_eq!(c[[0, 1]].to_bits(), c[[1, 0]].to_bits());
        let (m, c) = mean_cov(x.view(), &[]);
        assert_eq!(m.to_vec(), vec![0.0, 0.0]);
        assert!(c.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn eigen_matches_lapack_on_random_spd_matrices() {
        for (seed, d) in [(1, 1), (2, 2), (3, 5), (4, 18), (5, 40), (6, 100)] {
            let a = spd(d, seed);
            let (s, u) = sym_eigen(a.view()).unwrap();
            let (s_ref, _) = a.eigh(UPLO::Lower).unwrap();
            let scale = s_ref.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (x, y) in s.iter().zip(&s_ref) {
                assert!((x - y).abs() <= 1e-12 * scale, "d {d}: {x} vs {y}");
            }
            // Orthonormal vectors that reconstruct a.
            let eye = Array2::<f64>::eye(d);
            assert!(max_abs_diff(&u.t().dot(&u), &eye) < 1e-12, "d {d}");
            let back = (&u * &s.view().insert_axis(Axis(0))).dot(&u.t());
            assert!(max_abs_diff(&back, &a) < 1e-12 * scale, "d {d}");
        }
    }

    #[test]
    fn eigen_of_a_general_symmetric_matrix_reads_the_lower_triangle() {
        // Indefinite, with a repeated eigenvalue: diag(2, 2, -1, 0) rotated.
        let a = array![[3.0, 1.0, 0.0], [1.0, 3.0, 0.0], [0.0, 0.0, -1.0]];
        let mut upper_garbage = a.clone();
        upper_garbage[[0, 1]] = 99.0;
        let (s, _) = sym_eigen(upper_garbage.view()).unwrap();
        let want = [-1.0, 2.0, 4.0];
        for (x, y) in s.iter().zip(want) {
            assert!((x - y).abs() < 1e-14, "{s}");
        }
        assert!(sym_eigen(array![[f64::NAN]].view()).is_err());
        assert!(sym_eigen(Array2::<f64>::zeros((2, 3)).view()).is_err());
        let (s, u) = sym_eigen(Array2::<f64>::zeros((0, 0)).view()).unwrap();
        assert_eq!((s.len(), u.dim()), (0, (0, 0)));
    }

    /// scipy's pinvh, computed with LAPACK's eigendecomposition.
    fn pinvh_lapack(a: &Array2<f64>) -> Array2<f64> {
        let d = a.nrows();
        let (s, u) = a.eigh(UPLO::Lower).unwrap();
        let max = s.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut p = Array2::zeros((d, d));
        for k in 0..d {
            if s[k].abs() > max * d as f64 * f64::EPSILON {
                let col = u.column(k);
                for i in 0..d {
                    for j in 0..d {
                        p[[i, j]] += col[i] * col[j] / s[k];
                    }
                }
            }
        }
        p
    }

    #[test]
    fn pinvh_inverts_spd_matrices_as_lapack() {
        for (seed, d) in [(7, 3), (8, 18), (9, 60)] {
            let a = spd(d, seed);
            let p = pinvh(a.view()).unwrap();
            let want = pinvh_lapack(&a);
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(max_abs_diff(&p, &want) <= 1e-11 * scale, "d {d}");
            let eye = Array2::<f64>::eye(d);
            assert!(max_abs_diff(&a.dot(&p), &eye) < 1e-10, "d {d}");
        }
    }

    #[test]
    fn pinvh_of_singular_matrices_drops_the_null_space() {
        // Rank 2 in 3 dimensions: the third column is the sum of the others.
        let mut x = random(10, 3, 11);
        for mut r in x.rows_mut() {
            r[2] = r[0] + r[1];
        }
        let rows: Vec<usize> = (0..10).collect();
        let (_, c) = mean_cov(x.view(), &rows);
        let p = pinvh(c.view()).unwrap();
        let want = pinvh_lapack(&c);
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max_abs_diff(&p, &want) <= 1e-10 * scale, "{p}\n{want}");
        // Moore–Penrose: c p c = c.
        assert!(max_abs_diff(&c.dot(&p).dot(&c), &c) < 1e-12);
        // All zero: the pseudo-inverse is zero.
        let z = pinvh(Array2::<f64>::zeros((4, 4)).view()).unwrap();
        assert!(z.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn slogdet_matches_lapack_and_numpys_rules() {
        for (seed, d) in [(12, 1), (13, 4), (14, 30)] {
            let a = spd(d, seed);
            let (sign, ln) = slogdet(a.view());
            let (sign_ref, ln_ref) = a.sln_det().unwrap();
            assert_eq!(sign, sign_ref);
            assert!(
                (ln - ln_ref).abs() <= 1e-12 * ln_ref.abs().max(1.0),
                "{ln} {ln_ref}"
            );
        }
        // General matrices: negative determinant, needs pivoting.
        let a = array![[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]];
        let (sign, ln) = slogdet(a.view());
        // det = 0·(1) − 2·(1 − 0) + 1·(0 − 3) = −5
        assert_eq!(sign, -1.0);
        assert!((ln - 5f64.ln()).abs() < 1e-15);
        // Exactly singular: a zero column; numpy gives (0, -inf).
        let s = array![[1.0, 0.0], [2.0, 0.0]];
        assert_eq!(slogdet(s.view()), (0.0, f64::NEG_INFINITY));
        let (sign, ln) = slogdet(array![[f64::NAN, 0.0], [0.0, 1.0]].view());
        assert!(sign.is_nan() && ln.is_nan());
    }

    #[test]
    fn mahalanobis_matches_the_matrix_products() {
        let x = random(50, 7, 15);
        let a = spd(7, 16);
        let p = pinvh(a.view()).unwrap();
        let loc = random(1, 7, 17).row(0).to_owned();
        let got = mahalanobis(x.view(), loc.view(), p.view());
        let xc = &x - &loc;
        let want = (xc.dot(&p) * &xc).sum_axis(Axis(1));
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{g} vs {w}");
        }
        // Column-major input gives the same bits.
        let xf = x
            .t()
            .to_owned()
            .as_standard_layout()
            .to_owned()
            .reversed_axes();
        let again = mahalanobis(xf.view(), loc.view(), p.view());
        assert!(
            got.iter()
                .zip(&again)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }

    fn same_bits(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// The AVX2 and AVX-512F builds of the kernels against the baseline
    /// x86-64 builds, bit for bit: what a CPU without them computes is what
    /// one with them does.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_simd_build_gives_the_same_bits() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("this CPU has no AVX2: nothing to compare");
            return;
        }
        let avx512 = std::arch::is_x86_feature_detected!("avx512f");
        for (seed, d) in [(21, 1), (22, 7), (23, 34), (24, 101)] {
            let x = random(3 * d + 3, d, seed);
            let rows: Vec<usize> = (0..x.nrows()).rev().collect();
            let (mean, cov) = mean_cov(x.view(), &rows);
            let mean = mean.to_vec();
            let (mut c1, mut c2) = (vec![0.0; d * d], vec![0.0; d * d]);
            cov_sums_body(x.view(), &rows, &mean, &mut c1);
            // SAFETY: AVX2 is present (checked above).
            unsafe { cov_sums_avx2(x.view(), &rows, &mean, &mut c2) };
            assert!(same_bits(&c1, &c2), "cov d {d}");
            if avx512 {
                c2.fill(0.0);
                // SAFETY: AVX-512F is present (checked at the top).
                unsafe { cov_sums_avx512(x.view(), &rows, &mean, &mut c2) };
                assert!(same_bits(&c1, &c2), "cov avx512 d {d}");
            }

            let mut v1 = vec![0.0; d * d];
            for c in 0..d {
                for r in c..d {
                    v1[c * d + r] = cov[[r, c]];
                }
            }
            let mut v2 = v1.clone();
            let v0 = v1.clone();
            let (mut d1, mut e1) = (vec![0.0; d], vec![0.0; d]);
            let (mut d2, mut e2) = (vec![0.0; d], vec![0.0; d]);
            tred2_body(d, &mut v1, &mut d1, &mut e1);
            tql2_body(d, &mut v1, &mut d1, &mut e1).unwrap();
            // SAFETY: as above.
            unsafe {
                tred2_avx2(d, &mut v2, &mut d2, &mut e2);
                tql2_avx2(d, &mut v2, &mut d2, &mut e2).unwrap();
            }
            assert!(same_bits(&d1, &d2) && same_bits(&v1, &v2), "eigen d {d}");
            if avx512 {
                let mut v3 = v0.clone();
                let (mut d3, mut e3) = (vec![0.0; d], vec![0.0; d]);
                // SAFETY: AVX-512F is present (checked at the top).
                unsafe {
                    tred2_avx512(d, &mut v3, &mut d3, &mut e3);
                    tql2_avx512(d, &mut v3, &mut d3, &mut e3).unwrap();
                }
                assert!(
                    same_bits(&d1, &d3) && same_bits(&v1, &v3),
                    "eigen avx512 d {d}"
                );
            }

            let cutoff = d1[d - 1].abs() * 1e-3;
            let (mut p1, mut p2) = (vec![0.0; d * d], vec![0.0; d * d]);
            pinv_sums_body(&d1, &v1, cutoff, &mut p1);
            // SAFETY: as above.
            unsafe { pinv_sums_avx2(&d1, &v1, cutoff, &mut p2) };
            assert!(same_bits(&p1, &p2), "pinv d {d}");
            if avx512 {
                p2.fill(0.0);
                // SAFETY: AVX-512F is present (checked at the top).
                unsafe { pinv_sums_avx512(&d1, &v1, cutoff, &mut p2) };
                assert!(same_bits(&p1, &p2), "pinv avx512 d {d}");
            }

            let (mut m1, mut m2) = (vec![0.0; x.nrows()], vec![0.0; x.nrows()]);
            mahalanobis_rows_body(x.view(), &mean, &p1, &mut m1);
            // SAFETY: as above.
            unsafe { mahalanobis_rows_avx2(x.view(), &mean, &p1, &mut m2) };
            assert!(same_bits(&m1, &m2), "mahalanobis d {d}");
            if avx512 {
                m2.fill(0.0);
                // SAFETY: AVX-512F is present (checked at the top).
                unsafe { mahalanobis_rows_avx512(x.view(), &mean, &p1, &mut m2) };
                assert!(same_bits(&m1, &m2), "mahalanobis avx512 d {d}");
            }
            // The register blocking keeps the documented order: t_j summed
            // over i in order, then Σ_j t_j c_j in order.
            let naive: Vec<f64> = x
                .rows()
                .into_iter()
                .map(|row| {
                    let c: Vec<f64> = row.iter().zip(&mean).map(|(v, l)| v - l).collect();
                    let mut s = 0.0;
                    for j in 0..d {
                        let mut tj = 0.0;
                        for i in 0..d {
                            tj += c[i] * p1[i * d + j];
                        }
                        s += tj * c[j];
                    }
                    s
                })
                .collect();
            assert!(same_bits(&m1, &naive), "mahalanobis order d {d}");
        }
    }
}
