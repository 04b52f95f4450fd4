//! STOMP with centred covariance updates, blocked over adjacent diagonals.
//!
//! Cell `(i, j)` of the distance matrix pairs window `i` of `A` (a row) with
//! window `j` of `B` (a column); diagonal `g` holds the cells `j = i + g`.
//! Along a diagonal the covariance follows stumpy's recurrence
//! `cov(i, j) = cov(i-1, j-1) + k·(a_B[j]·a_A[i] - c_B[j]·c_A[i])` with
//! `a[j] = T[j+m-1] - M'[j]`, `c[j] = T[j-1] - M'[j]`, `M'` the mean of the
//! `m - 1` points both windows share and `k = (m-1)/m²` (folded into the
//! row factors here). The first cell of a diagonal is an exact dot product.
//!
//! A self-join visits only the upper triangle (`g > ⌈m/4⌉`): a cell's
//! correlation is a *right* candidate of its row and a *left* candidate of
//! its column. An AB-join visits every diagonal and reduces rows only.

use super::{MatrixProfile, MatrixProfileError, Operand};
#[cfg(feature = "cuda")]
use crate::gpu::GpuError;
use rayon::prelude::*;
use std::convert::Infallible;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

/// stumpy's `config.STUMPY_EXCL_ZONE_DENOM`.
const EXCL_ZONE_DENOM: usize = 4;
/// stumpy's `config.STUMPY_P_NORM_THRESHOLD`: smaller squared distances are 0.
const P_NORM_THRESHOLD: f64 = 1e-14;
/// Adjacent diagonals processed together by the portable kernel.
const LANES: usize = 8;

/// Work-splitting knobs. Results never depend on them (a cell's value
/// depends only on its diagonal); tests vary them to prove it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tuning {
    /// Diagonals per unit of parallel work (rounded up to a multiple of the
    /// lane count).
    pub unit_diagonals: usize,
    /// Rows per cache tile inside a unit.
    pub tile_rows: usize,
    /// Which kernel; an unavailable one falls back to the next narrower.
    pub kernel: Kernel,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            unit_diagonals: 256,
            tile_rows: 2048,
            kernel: Kernel::Auto,
        }
    }
}

/// The vector kernels. All do the same IEEE operations per cell, so they
/// give the same bits; they differ only in lanes per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    /// 8 lanes, baseline instructions (SSE2 on x86-64).
    Portable,
    /// 16 lanes compiled for AVX2.
    Avx2,
    /// 16 lanes compiled for AVX-512F (two 8-lane registers per stream).
    Avx512,
    /// The widest the running CPU has.
    Auto,
}

impl Kernel {
    /// The kernel to run on this CPU.
    fn resolve(self) -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            use crate::simd::{SimdLevel, detected, level};
            // `Auto` honours `ANML_SIMD`; a named kernel (the tests') only
            // needs the CPU to have it.
            let cpu = if self == Kernel::Auto {
                level()
            } else {
                detected()
            };
            match self {
                Kernel::Auto | Kernel::Avx512 if cpu >= SimdLevel::Avx512 => Kernel::Avx512,
                Kernel::Auto | Kernel::Avx512 | Kernel::Avx2 if cpu >= SimdLevel::Avx2 => {
                    Kernel::Avx2
                }
                _ => Kernel::Portable,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = self;
            Kernel::Portable
        }
    }
}

/// The z-normalised matrix profile of `t` against itself (stumpy's
/// `stump(t, m)`): exclusion zone `⌈m/4⌉`, left and right neighbours.
///
/// With a GPU selected (`crate::gpu::active`) the diagonal sweep runs there
/// (`self_join_gpu`), with the same result; if it fails, the CPU runs it.
///
/// Errors: `m < 3`, `m > t.len()`, or a NaN/±inf value in `t`.
pub fn self_join(t: &[f64], m: usize) -> Result<MatrixProfile, MatrixProfileError> {
    #[cfg(feature = "cuda")]
    if let Some(gpu) = crate::gpu::active() {
        match self_join_gpu(&gpu, t, m) {
            Ok(mp) => return Ok(mp),
            Err(e) => crate::gpu::gpu_failed_notice("stomp", &e),
        }
    }
    self_join_tuned(t, m, Tuning::default())
}

/// For every window of `a`, its nearest window of `b` (stumpy's
/// `stump(a, m, b, ignore_trivial=False)`). No exclusion zone; the left and
/// right profiles are `inf` with index -1, as stumpy returns.
///
/// With a GPU selected the diagonal sweep runs there (`ab_join_gpu`), with
/// the same result; if it fails, the CPU runs it.
///
/// Errors: `m < 3`, `m` longer than either series, or a NaN/±inf value.
pub fn ab_join(a: &[f64], b: &[f64], m: usize) -> Result<MatrixProfile, MatrixProfileError> {
    #[cfg(feature = "cuda")]
    if let Some(gpu) = crate::gpu::active() {
        match ab_join_gpu(&gpu, a, b, m) {
            Ok(mp) => return Ok(mp),
            Err(e) => crate::gpu::gpu_failed_notice("stomp", &e),
        }
    }
    ab_join_tuned(a, b, m, Tuning::default())
}

/// [`self_join`] with its diagonal sweep on `gpu` (`kernels/stomp.cu`,
/// through `crate::gpu::stomp`) and no CPU fallback; everything else is the
/// CPU's code. The result equals [`self_join`]'s on the CPU bit for bit
/// (`crate::gpu::stomp` says why). Input [`self_join`] refuses is
/// [`GpuError::NotApplicable`] here.
#[cfg(feature = "cuda")]
pub fn self_join_gpu(
    gpu: &crate::gpu::Gpu,
    t: &[f64],
    m: usize,
) -> Result<MatrixProfile, GpuError> {
    self_join_by(t, m, Tuning::default(), |ctx, diags| {
        ctx.gpu_sweep::<true>(gpu, diags)
    })
    .map_err(Failed::gpu)
}

/// [`ab_join`] with its diagonal sweep on `gpu` and no CPU fallback, as
/// [`self_join_gpu`].
#[cfg(feature = "cuda")]
pub fn ab_join_gpu(
    gpu: &crate::gpu::Gpu,
    a: &[f64],
    b: &[f64],
    m: usize,
) -> Result<MatrixProfile, GpuError> {
    ab_join_by(a, b, m, Tuning::default(), |ctx, diags| {
        ctx.gpu_sweep::<false>(gpu, diags)
    })
    .map_err(Failed::gpu)
}

/// Why a join with a fallible sweep gave no profile.
enum Failed<E> {
    /// The input (window length, non-finite values).
    Input(MatrixProfileError),
    /// The sweep.
    Sweep(E),
}

impl Failed<Infallible> {
    fn input(self) -> MatrixProfileError {
        match self {
            Failed::Input(e) => e,
            Failed::Sweep(never) => match never {},
        }
    }
}

#[cfg(feature = "cuda")]
impl Failed<GpuError> {
    /// Input the CPU path refuses is not the GPU's to report.
    fn gpu(self) -> GpuError {
        match self {
            Failed::Input(e) => GpuError::NotApplicable(e.to_string()),
            Failed::Sweep(e) => e,
        }
    }
}

pub(super) fn self_join_tuned(
    t: &[f64],
    m: usize,
    tuning: Tuning,
) -> Result<MatrixProfile, MatrixProfileError> {
    self_join_by(t, m, tuning, |ctx, diags| {
        Ok::<_, Infallible>(ctx.run::<true>(diags))
    })
    .map_err(Failed::input)
}

/// The self-join with the diagonal sweep `sweep` (the CPU's [`Ctx::run`] or
/// the GPU's): everything before and after it is this one code.
fn self_join_by<E>(
    t: &[f64],
    m: usize,
    tuning: Tuning,
    sweep: impl FnOnce(&Ctx<'_>, Range<isize>) -> Result<Acc, E>,
) -> Result<MatrixProfile, Failed<E>> {
    check_window(m, t.len()).map_err(Failed::Input)?;
    let t = &*rescaled(t, Operand::Series).map_err(Failed::Input)?;
    let w = Windows::new(t, m);
    let l = w.len();
    let ez = m.div_ceil(EXCL_ZONE_DENOM);
    let ctx = Ctx::new(&w, &w, tuning);
    let diags = (ez as isize + 1)..(l as isize);
    let acc = sweep(&ctx, diags).map_err(Failed::Sweep)?;
    let Acc {
        row_val: mut right_rho,
        row_idx: mut right_index,
        col_val: mut left_rho,
        col_idx: mut left_index,
    } = acc;
    fix_constant_self(
        &w.constant,
        ez,
        (&mut left_rho, &mut left_index),
        (&mut right_rho, &mut right_index),
    );
    ctx.refine(&mut left_rho, &left_index, true);
    ctx.refine(&mut right_rho, &right_index, true);
    let mut profile = Vec::with_capacity(l);
    let mut index = Vec::with_capacity(l);
    for x in 0..l {
        let (rho, idx) = if better(left_rho[x], left_index[x], right_rho[x], right_index[x]) {
            (left_rho[x], left_index[x])
        } else {
            (right_rho[x], right_index[x])
        };
        profile.push(distance(rho, m));
        index.push(idx);
    }
    Ok(MatrixProfile {
        m,
        exclusion_zone: ez,
        profile,
        index,
        left_profile: left_rho.iter().map(|&r| distance(r, m)).collect(),
        left_index,
        right_profile: right_rho.iter().map(|&r| distance(r, m)).collect(),
        right_index,
    })
}

pub(super) fn ab_join_tuned(
    a: &[f64],
    b: &[f64],
    m: usize,
    tuning: Tuning,
) -> Result<MatrixProfile, MatrixProfileError> {
    ab_join_by(a, b, m, tuning, |ctx, diags| {
        Ok::<_, Infallible>(ctx.run::<false>(diags))
    })
    .map_err(Failed::input)
}

/// The AB-join with the diagonal sweep `sweep`, as [`self_join_by`].
fn ab_join_by<E>(
    a: &[f64],
    b: &[f64],
    m: usize,
    tuning: Tuning,
    sweep: impl FnOnce(&Ctx<'_>, Range<isize>) -> Result<Acc, E>,
) -> Result<MatrixProfile, Failed<E>> {
    check_window(m, a.len().min(b.len())).map_err(Failed::Input)?;
    let a = &*rescaled(a, Operand::A).map_err(Failed::Input)?;
    let b = &*rescaled(b, Operand::B).map_err(Failed::Input)?;
    let wa = Windows::new(a, m);
    let wb = Windows::new(b, m);
    let (la, lb) = (wa.len(), wb.len());
    let ctx = Ctx::new(&wa, &wb, tuning);
    let diags = -(la as isize - 1)..(lb as isize);
    let Acc {
        row_val: mut rho,
        row_idx: mut index,
        ..
    } = sweep(&ctx, diags).map_err(Failed::Sweep)?;
    fix_constant_ab(&wa.constant, &wb.constant, &mut rho, &mut index);
    ctx.refine(&mut rho, &index, false);
    Ok(MatrixProfile {
        m,
        exclusion_zone: 0,
        profile: rho.iter().map(|&r| distance(r, m)).collect(),
        index,
        left_profile: vec![f64::INFINITY; la],
        left_index: vec![-1; la],
        right_profile: vec![f64::INFINITY; la],
        right_index: vec![-1; la],
    })
}

fn check_window(m: usize, n: usize) -> Result<(), MatrixProfileError> {
    if m < 3 {
        return Err(MatrixProfileError::WindowTooShort { m });
    }
    if m > n {
        return Err(MatrixProfileError::WindowTooLong { m, n });
    }
    Ok(())
}

/// The largest magnitude whose squares summed over `n` points cannot
/// overflow: centred values reach twice the largest magnitude, so the sums
/// stay finite while `8 · n · max|x|²` does.
fn magnitude_limit(n: usize) -> f64 {
    (f64::MAX / (8.0 * n.max(1) as f64)).sqrt()
}

/// `t`, or `t` times an exact power of two `2^-k` when its magnitude is
/// beyond [`magnitude_limit`]: the z-normalised profile does not change
/// when a whole series is scaled, and a power of two keeps every bit of
/// the values that stay normal, so a series near `f64::MAX` gets its
/// profile instead of an overflow (which used to give all zeros). NaN and
/// ±inf are refused first.
fn rescaled(
    t: &[f64],
    operand: Operand,
) -> Result<std::borrow::Cow<'_, [f64]>, MatrixProfileError> {
    if let Some(index) = t.iter().position(|v| !v.is_finite()) {
        return Err(MatrixProfileError::NonFinite {
            operand,
            index,
            value: t[index],
        });
    }
    let limit = magnitude_limit(t.len());
    let max = t.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max <= limit {
        return Ok(std::borrow::Cow::Borrowed(t));
    }
    // max / limit < 2^1024 / 2^(hundreds): k stays far from the subnormal range
    let k = (max / limit).log2().ceil() as i32 + 1;
    let factor = 2f64.powi(-k);
    Ok(std::borrow::Cow::Owned(
        t.iter().map(|v| v * factor).collect(),
    ))
}

/// `(ρ, index)` order: larger correlation first, then the lower index.
#[inline(always)]
fn better(rho: f64, idx: i64, best: f64, best_idx: i64) -> bool {
    rho > best || (rho == best && idx < best_idx)
}

/// stumpy's conversion: `sqrt(|2m(1 - ρ)|)`, tiny squares set to 0; no
/// neighbour (`ρ = -inf`) is `inf`.
fn distance(rho: f64, m: usize) -> f64 {
    if rho == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    let p = (2.0 * m as f64 * (1.0 - rho.min(1.0))).abs();
    if p < P_NORM_THRESHOLD { 0.0 } else { p.sqrt() }
}

/// Eight interleaved partial sums, combined pairwise: a fixed order (so
/// deterministic) that vectorises.
#[inline(always)]
fn reduce8(s: [f64; 8]) -> f64 {
    ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

/// `Σ f(x[k])` with [`reduce8`]'s order.
#[inline(always)]
fn sum8(x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let (chunks, rest) = x.as_chunks::<8>();
    let mut s = [0.0f64; 8];
    for c in chunks {
        for q in 0..8 {
            s[q] += f(c[q]);
        }
    }
    for (q, &v) in rest.iter().enumerate() {
        s[q] += f(v);
    }
    reduce8(s)
}

/// `Σ (y[k] - my)(x[k] - mx)` with [`reduce8`]'s order.
#[inline(always)]
fn dot_centred(x: &[f64], mx: f64, y: &[f64], my: f64) -> f64 {
    let (xc, xr) = x.as_chunks::<8>();
    let (yc, yr) = y.as_chunks::<8>();
    let mut s = [0.0f64; 8];
    for (a, b) in xc.iter().zip(yc) {
        for q in 0..8 {
            s[q] += (b[q] - my) * (a[q] - mx);
        }
    }
    for (q, (a, b)) in xr.iter().zip(yr).enumerate() {
        s[q] += (b - my) * (a - mx);
    }
    reduce8(s)
}

/// Per-window statistics of one series.
struct Windows<'a> {
    t: &'a [f64],
    m: usize,
    mean: Vec<f64>,
    /// `1/σ` (population std), 0 for constant windows.
    inv_sigma: Vec<f64>,
    /// max = min over the window (stumpy's `T_subseq_isconstant`).
    constant: Vec<bool>,
    /// `T[j+m-1] - M'[j]`, `M'[j]` the mean of `T[j..j+m-1]`.
    a: Vec<f64>,
    /// `T[j-1] - M'[j]` (`c[0]` is never used and is 0).
    c: Vec<f64>,
}

impl<'a> Windows<'a> {
    fn new(t: &'a [f64], m: usize) -> Self {
        let l = t.len() - m + 1;
        let mf = m as f64;
        // changes[k]: how many k' in 1..=k have t[k'] != t[k'-1]; window i
        // is constant when nothing changes in i+1..=i+m-1
        let mut changes = Vec::with_capacity(t.len());
        changes.push(0usize);
        for k in 1..t.len() {
            let prev = changes[k - 1];
            changes.push(prev + usize::from(t[k] != t[k - 1]));
        }
        let stats: Vec<(f64, f64, bool)> = (0..l)
            .into_par_iter()
            .map(|i| {
                let x = &t[i..i + m];
                let mean = sum8(x, |v| v) / mf;
                let var = sum8(x, |v| (v - mean) * (v - mean)) / mf;
                let inv = 1.0 / var.sqrt();
                // A window whose spread underflows (std 0 or 1/std inf) has
                // no usable correlation: it is treated as constant.
                let constant = changes[i + m - 1] == changes[i] || !inv.is_finite();
                (mean, if constant { 0.0 } else { inv }, constant)
            })
            .collect();
        let m1 = (m - 1) as f64;
        let mean1: Vec<f64> = (0..=l)
            .into_par_iter()
            .map(|j| {
                let x = &t[j..j + m - 1];
                sum8(x, |v| v) / m1
            })
            .collect();
        let a = (0..l).map(|j| t[j + m - 1] - mean1[j]).collect();
        let c = (0..l)
            .map(|j| if j == 0 { 0.0 } else { t[j - 1] - mean1[j] })
            .collect();
        Windows {
            t,
            m,
            mean: stats.iter().map(|s| s.0).collect(),
            inv_sigma: stats.iter().map(|s| s.1).collect(),
            constant: stats.iter().map(|s| s.2).collect(),
            a,
            c,
        }
    }

    fn len(&self) -> usize {
        self.mean.len()
    }
}

/// Best `(ρ, index)` per row and (self-join) per column. Constant rows and
/// columns start at `+inf` so the kernel never records anything for them;
/// [`fix_constant_self`]/[`fix_constant_ab`] fill them in.
struct Acc {
    row_val: Vec<f64>,
    row_idx: Vec<i64>,
    col_val: Vec<f64>,
    col_idx: Vec<i64>,
}

impl Acc {
    fn new(row_const: &[bool], col_const: Option<&[bool]>) -> Self {
        let init = |c: &bool| if *c { f64::INFINITY } else { f64::NEG_INFINITY };
        Acc {
            row_val: row_const.iter().map(init).collect(),
            row_idx: vec![-1; row_const.len()],
            col_val: col_const.map_or_else(Vec::new, |c| c.iter().map(init).collect()),
            col_idx: vec![-1; col_const.map_or(0, <[bool]>::len)],
        }
    }

    /// Keep the better of the two candidates everywhere (order-independent).
    fn merge(&mut self, other: &Acc) {
        merge_into(
            &mut self.row_val,
            &mut self.row_idx,
            &other.row_val,
            &other.row_idx,
        );
        merge_into(
            &mut self.col_val,
            &mut self.col_idx,
            &other.col_val,
            &other.col_idx,
        );
    }

    /// Cell `(i, j)` with correlation `rho` (not yet clipped).
    #[inline(always)]
    fn offer<const COLS: bool>(&mut self, i: usize, j: usize, rho: f64) {
        let rho = rho.min(1.0);
        if better(rho, j as i64, self.row_val[i], self.row_idx[i]) {
            self.row_val[i] = rho;
            self.row_idx[i] = j as i64;
        }
        if COLS && better(rho, i as i64, self.col_val[j], self.col_idx[j]) {
            self.col_val[j] = rho;
            self.col_idx[j] = i as i64;
        }
    }

    /// Slow path of the kernel: some lane of row `i` (columns `j0..j0+W`,
    /// covariances `cov`) may beat or tie its row's or its column's best.
    #[cold]
    #[inline(never)]
    fn lanes<const W: usize, const COLS: bool>(
        &mut self,
        i: usize,
        j0: usize,
        cov: [f64; W],
        inv_sigma: &[f64; W],
        si: f64,
    ) {
        // Which lanes hit (branch-free), then only those, in lane order.
        let rb = self.row_val[i];
        let mut rho = [0.0f64; W];
        let mut mask = 0u64;
        for w in 0..W {
            rho[w] = cov[w] * inv_sigma[w] * si;
            let thr = if COLS {
                rb.min(self.col_val[j0 + w])
            } else {
                rb
            };
            mask |= u64::from(rho[w] >= thr) << w;
        }
        while mask != 0 {
            let w = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            self.offer::<COLS>(i, j0 + w, rho[w]);
        }
    }
}

fn merge_into(val: &mut [f64], idx: &mut [i64], oval: &[f64], oidx: &[i64]) {
    for (((v, i), &ov), &oi) in val.iter_mut().zip(idx.iter_mut()).zip(oval).zip(oidx) {
        if better(ov, oi, *v, *i) {
            *v = ov;
            *i = oi;
        }
    }
}

/// Everything the kernel reads.
struct Ctx<'a> {
    wa: &'a Windows<'a>,
    wb: &'a Windows<'a>,
    /// Row factors `k·a_A[i]` and `k·c_A[i]`, `k = (m-1)/m²`.
    rb: Vec<f64>,
    rd: Vec<f64>,
    tuning: Tuning,
    /// The resolved [`Kernel`] (never `Auto`).
    kernel: Kernel,
}

/// A band of `W` adjacent diagonals `g0..g0+W` whose rows `s..e` have all
/// lanes inside the matrix (and past each lane's first cell).
struct Block<const W: usize> {
    g0: isize,
    s: usize,
    e: usize,
    cov: [f64; W],
}

impl<'a> Ctx<'a> {
    fn new(wa: &'a Windows<'a>, wb: &'a Windows<'a>, tuning: Tuning) -> Self {
        let m = wa.m;
        let m_inverse = 1.0 / m as f64;
        let k = (m - 1) as f64 * m_inverse * m_inverse;
        Ctx {
            wa,
            wb,
            rb: wa.a.iter().map(|v| v * k).collect(),
            rd: wa.c.iter().map(|v| v * k).collect(),
            tuning,
            kernel: tuning.kernel.resolve(),
        }
    }

    /// Rows `s..e` of diagonal `g`.
    fn diag_rows(&self, g: isize) -> Range<usize> {
        let (la, lb) = (self.wa.len() as isize, self.wb.len() as isize);
        let s = (-g).max(0);
        let e = la.min(lb - g).max(s);
        s as usize..e as usize
    }

    fn cells(&self, diags: &Range<isize>) -> u64 {
        diags.clone().map(|g| self.diag_rows(g).len() as u64).sum()
    }

    /// Exact covariance of row window `i` and column window `j` (stumpy's
    /// `np.dot(T_B[j:j+m] - M_T[j], T_A[i:i+m] - μ_Q[i]) / m`).
    fn first_cov(&self, i: usize, j: usize) -> f64 {
        let m = self.wa.m;
        let (ma, mb) = (self.wa.mean[i], self.wb.mean[j]);
        let qa = &self.wa.t[i..i + m];
        let qb = &self.wb.t[j..j + m];
        dot_centred(qa, ma, qb, mb) * (1.0 / m as f64)
    }

    /// Recompute the correlation of every chosen pair `(x, idx[x])` exactly
    /// (a centred dot product of the two windows), so the reported distance
    /// does not carry the recurrence's rounding: that matters near 0, where
    /// `d = sqrt(2m(1 - ρ))` turns an error ε in ρ into `sqrt(2mε)`. For a
    /// self-join the pair is taken in index order so `(x, y)` and `(y, x)`
    /// give the same bits. Pairs with a constant window keep their exact
    /// conventional value.
    fn refine(&self, rho: &mut [f64], idx: &[i64], symmetric: bool) {
        rho.par_iter_mut()
            .zip(idx)
            .enumerate()
            .for_each(|(x, (r, &y))| {
                let Ok(y) = usize::try_from(y) else {
                    return;
                };
                let (i, j) = if symmetric && y < x { (y, x) } else { (x, y) };
                if !self.wa.constant[i] && !self.wb.constant[j] {
                    let cov = self.first_cov(i, j);
                    *r = (cov * self.wb.inv_sigma[j] * self.wa.inv_sigma[i]).min(1.0);
                }
            });
    }

    /// Visit every diagonal in `diags` and return the best candidates.
    fn run<const COLS: bool>(&self, diags: Range<isize>) -> Acc {
        let unit = self.tuning.unit_diagonals.max(1).div_ceil(LANES * 2) * LANES * 2;
        let mut units: Vec<Range<isize>> = Vec::new();
        let mut g = diags.start;
        while g < diags.end {
            let e = (g + unit as isize).min(diags.end);
            units.push(g..e);
            g = e;
        }
        // Pair the largest unit with the smallest, and so on: every work
        // item then has about the same number of cells.
        let mut by_work: Vec<(u64, Range<isize>)> =
            units.into_iter().map(|u| (self.cells(&u), u)).collect();
        by_work.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.start.cmp(&y.1.start)));
        let mut items: Vec<Vec<Range<isize>>> = Vec::new();
        let (mut lo, mut hi) = (0usize, by_work.len());
        while lo < hi {
            let mut item = vec![by_work[lo].1.clone()];
            if hi - 1 > lo {
                item.push(by_work[hi - 1].1.clone());
            }
            items.push(item);
            lo += 1;
            hi -= 1;
        }
        let row_const = &self.wa.constant;
        let col_const = COLS.then_some(self.wb.constant.as_slice());
        let threads = rayon::current_num_threads().max(1);
        let accs: Vec<Mutex<Option<Acc>>> = (0..threads).map(|_| Mutex::new(None)).collect();
        items.par_iter().with_max_len(1).for_each(|item| {
            let t = rayon::current_thread_index().unwrap_or(0) % threads;
            let mut guard = accs[t].lock().unwrap_or_else(PoisonError::into_inner);
            let acc = guard.get_or_insert_with(|| Acc::new(row_const, col_const));
            for u in item {
                self.unit::<COLS>(u.clone(), acc);
            }
        });
        let mut out: Option<Acc> = None;
        for slot in accs {
            if let Some(a) = slot.into_inner().unwrap_or_else(PoisonError::into_inner) {
                match out.as_mut() {
                    None => out = Some(a),
                    Some(o) => o.merge(&a),
                }
            }
        }
        out.unwrap_or_else(|| Acc::new(row_const, col_const))
    }

    fn unit<const COLS: bool>(&self, diags: Range<isize>, acc: &mut Acc) {
        #[cfg(target_arch = "x86_64")]
        match self.kernel {
            // SAFETY: `Kernel::resolve` picks these only when the running
            // CPU reports the target feature.
            Kernel::Avx512 => return unsafe { self.unit_avx512::<COLS>(diags, acc) },
            Kernel::Avx2 => return unsafe { self.unit_avx2::<COLS>(diags, acc) },
            Kernel::Portable | Kernel::Auto => {}
        }
        self.unit_lanes::<LANES, COLS>(diags, acc);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn unit_avx512<const COLS: bool>(&self, diags: Range<isize>, acc: &mut Acc) {
        self.unit_lanes::<{ 2 * LANES }, COLS>(diags, acc);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn unit_avx2<const COLS: bool>(&self, diags: Range<isize>, acc: &mut Acc) {
        self.unit_lanes::<{ 2 * LANES }, COLS>(diags, acc);
    }

    /// All cells of the diagonals `diags`: blocks of `W` lanes through the
    /// vector kernel (tiled by rows), ragged ends and leftovers one lane at
    /// a time.
    #[inline(always)]
    fn unit_lanes<const W: usize, const COLS: bool>(&self, diags: Range<isize>, acc: &mut Acc) {
        let mut blocks: Vec<Block<W>> = Vec::new();
        let mut g = diags.start;
        while g + W as isize <= diags.end {
            let mut cov = [0.0; W];
            let mut s = 0usize;
            let mut e = usize::MAX;
            for (w, c) in cov.iter_mut().enumerate() {
                let gw = g + w as isize;
                let rows = self.diag_rows(gw);
                *c = self.start_diag::<COLS>(gw, rows.start, acc);
                s = s.max(rows.start + 1);
                e = e.min(rows.end);
            }
            if s >= e {
                // Too short for a common full region: lane by lane.
                for (w, c) in cov.iter().enumerate() {
                    let gw = g + w as isize;
                    let rows = self.diag_rows(gw);
                    self.lane::<COLS>(gw, rows.start + 1..rows.end, *c, acc);
                }
            } else {
                for (w, c) in cov.iter_mut().enumerate() {
                    let gw = g + w as isize;
                    let rows = self.diag_rows(gw);
                    *c = self.lane::<COLS>(gw, rows.start + 1..s, *c, acc);
                }
                blocks.push(Block { g0: g, s, e, cov });
            }
            g += W as isize;
        }
        for g in g..diags.end {
            let rows = self.diag_rows(g);
            if !rows.is_empty() {
                let c = self.start_diag::<COLS>(g, rows.start, acc);
                self.lane::<COLS>(g, rows.start + 1..rows.end, c, acc);
            }
        }
        let lo = blocks.iter().map(|b| b.s).min().unwrap_or(0);
        let hi = blocks.iter().map(|b| b.e).max().unwrap_or(0);
        let tile = self.tuning.tile_rows.max(1);
        let mut t0 = lo;
        while t0 < hi {
            let t1 = (t0 + tile).min(hi);
            for b in &mut blocks {
                let (s, e) = (b.s.max(t0), b.e.min(t1));
                if s < e {
                    let col0 = (s as isize + b.g0) as usize;
                    self.sweep::<W, COLS>(s..e, col0, &mut b.cov, acc);
                }
            }
            t0 = t1;
        }
        for b in &blocks {
            for (w, c) in b.cov.iter().enumerate() {
                let gw = b.g0 + w as isize;
                let rows = self.diag_rows(gw);
                self.lane::<COLS>(gw, b.e..rows.end, *c, acc);
            }
        }
    }

    /// The first cell of diagonal `g` (row `i`): exact covariance, visited.
    fn start_diag<const COLS: bool>(&self, g: isize, i: usize, acc: &mut Acc) -> f64 {
        let j = (i as isize + g) as usize;
        let cov = self.first_cov(i, j);
        acc.offer::<COLS>(i, j, cov * self.wb.inv_sigma[j] * self.wa.inv_sigma[i]);
        cov
    }

    /// Rows `rows` of diagonal `g` alone, from the covariance of the cell
    /// before; returns the covariance of the last cell.
    fn lane<const COLS: bool>(&self, g: isize, rows: Range<usize>, cov: f64, acc: &mut Acc) -> f64 {
        let mut c = [cov];
        if !rows.is_empty() {
            let col0 = (rows.start as isize + g) as usize;
            self.sweep::<1, COLS>(rows, col0, &mut c, acc);
        }
        c[0]
    }

    /// The vector kernel: rows `rows` of the `W` diagonals whose lane `w`
    /// is in column `col0 + w` at the first row. `cov` holds each lane's
    /// covariance at the previous row and is advanced.
    #[inline(always)]
    fn sweep<const W: usize, const COLS: bool>(
        &self,
        rows: Range<usize>,
        col0: usize,
        cov: &mut [f64; W],
        acc: &mut Acc,
    ) {
        let n = rows.len();
        let i0 = rows.start;
        let cend = col0 + n + W - 1;
        let rb = &self.rb[rows.clone()];
        let rd = &self.rd[rows.clone()];
        let ris = &self.wa.inv_sigma[rows];
        let ca = &self.wb.a[col0..cend];
        let cc = &self.wb.c[col0..cend];
        let cis = &self.wb.inv_sigma[col0..cend];
        let mut c = *cov;
        for k in 0..n {
            let (Some(a), Some(cx), Some(is)) = (
                ca[k..].first_chunk::<W>(),
                cc[k..].first_chunk::<W>(),
                cis[k..].first_chunk::<W>(),
            ) else {
                break;
            };
            let (b, d, si) = (rb[k], rd[k], ris[k]);
            let i = i0 + k;
            let j0 = col0 + k;
            // Update every lane, then one compare per lane against the
            // smaller of the row's and the column's best: only a cell that
            // may beat (or tie) either takes the slow path.
            let rb = acc.row_val[i];
            let mut hit = false;
            if COLS {
                let Some(best) = acc.col_val[j0..].first_chunk::<W>() else {
                    break;
                };
                for w in 0..W {
                    c[w] += a[w] * b - cx[w] * d;
                    let thr = if best[w] < rb { best[w] } else { rb };
                    hit |= c[w] * is[w] * si >= thr;
                }
            } else {
                for w in 0..W {
                    c[w] += a[w] * b - cx[w] * d;
                    hit |= c[w] * is[w] * si >= rb;
                }
            }
            if hit {
                acc.lanes::<W, COLS>(i, j0, c, is, si);
            }
        }
        *cov = c;
    }
}

#[cfg(feature = "cuda")]
impl Ctx<'_> {
    /// [`Ctx::run`] with the diagonals swept on the GPU
    /// (`crate::gpu::stomp::sweep`, given this context's own window
    /// statistics and row factors): its best `(ρ, index)` per row (and, with
    /// `COLS`, per column) over every cell is merged into the accumulator
    /// the CPU starts from ([`Acc::new`]: constant rows and columns at
    /// `+inf`, so they keep nothing) with the CPU's rule, which gives what
    /// [`Ctx::run`] gives.
    fn gpu_sweep<const COLS: bool>(
        &self,
        gpu: &crate::gpu::Gpu,
        diags: Range<isize>,
    ) -> Result<Acc, GpuError> {
        use crate::gpu::stomp::{ColumnWindows, RowWindows, Sweep, sweep};
        let best = sweep(
            gpu,
            &Sweep {
                rows: RowWindows {
                    t: self.wa.t,
                    mean: &self.wa.mean,
                    inv_sigma: &self.wa.inv_sigma,
                    factor_b: &self.rb,
                    factor_d: &self.rd,
                },
                cols: ColumnWindows {
                    t: self.wb.t,
                    mean: &self.wb.mean,
                    inv_sigma: &self.wb.inv_sigma,
                    a: &self.wb.a,
                    c: &self.wb.c,
                },
                m: self.wa.m,
                diagonals: diags,
                columns: COLS,
            },
        )?;
        let mut acc = Acc::new(
            &self.wa.constant,
            COLS.then_some(self.wb.constant.as_slice()),
        );
        merge_into(
            &mut acc.row_val,
            &mut acc.row_idx,
            &best.row_val,
            &best.row_idx,
        );
        if COLS {
            merge_into(
                &mut acc.col_val,
                &mut acc.col_idx,
                &best.col_val,
                &best.col_idx,
            );
        }
        Ok(acc)
    }
}

/// Constant windows of a self-join (stumpy: `ρ = 1` between two constant
/// windows, `0.5` between a constant and a non-constant one). The kernel
/// left constant rows/columns untouched (`+inf`) and saw `ρ = 0` for
/// non-constant × constant cells, which every `0.5` candidate beats.
fn fix_constant_self(
    constant: &[bool],
    ez: usize,
    left: (&mut [f64], &mut [i64]),
    right: (&mut [f64], &mut [i64]),
) {
    let l = constant.len();
    let Some(first) = constant.iter().position(|&c| c) else {
        return;
    };
    let (lv, li) = left;
    let (rv, ri) = right;
    // next[x]: the first constant window at or after x (l if none)
    let mut next = vec![l; l + 1];
    for x in (0..l).rev() {
        next[x] = if constant[x] { x } else { next[x + 1] };
    }
    for x in 0..l {
        let rlo = x + ez + 1; // right candidates: rlo..l
        let lhi = x.saturating_sub(ez); // left candidates: 0..lhi (if x > ez)
        let has_left = x > ez;
        if constant[x] {
            (rv[x], ri[x]) = if rlo >= l {
                (f64::NEG_INFINITY, -1)
            } else if next[rlo] < l {
                (1.0, next[rlo] as i64)
            } else {
                (0.5, rlo as i64)
            };
            (lv[x], li[x]) = if !has_left {
                (f64::NEG_INFINITY, -1)
            } else if first < lhi {
                (1.0, first as i64)
            } else {
                (0.5, 0)
            };
        } else {
            if rlo < l && next[rlo] < l && better(0.5, next[rlo] as i64, rv[x], ri[x]) {
                (rv[x], ri[x]) = (0.5, next[rlo] as i64);
            }
            if has_left && first < lhi && better(0.5, first as i64, lv[x], li[x]) {
                (lv[x], li[x]) = (0.5, first as i64);
            }
        }
    }
}

/// Constant windows of an AB-join (same rules as [`fix_constant_self`]).
fn fix_constant_ab(a_const: &[bool], b_const: &[bool], rv: &mut [f64], ri: &mut [i64]) {
    let first_b = b_const.iter().position(|&c| c);
    for (x, &c) in a_const.iter().enumerate() {
        if c {
            (rv[x], ri[x]) = match first_b {
                Some(f) => (1.0, f as i64),
                None => (0.5, 0),
            };
        } else if let Some(f) = first_b
            && better(0.5, f as i64, rv[x], ri[x])
        {
            (rv[x], ri[x]) = (0.5, f as i64);
        }
    }
}
