//! The exact squared Euclidean distance shared by the detectors that must
//! reproduce a reference's feature-order sums bit for bit (CBLOF's k-means,
//! INNE, the KD-tree leaves).
//!
//! It exists because that sum is one chain of dependent additions: summed
//! one row at a time in many dimensions, the adder waits on its own latency.
//! Summing eight rows side by side keeps every row's order (so the same
//! bits) and lets the eight chains overlap.

/// `Σ_f (q_f − x_f)²`, summed in feature order, from `q` to each row of the row-major `rows` (`d` columns),
/// into `out`. Eight rows are summed side by side, each in feature order
/// with its own accumulator: the same bits as one at a time, but eight
/// independent chains keep the adder busy in many dimensions.
pub fn sq_dists_to_rows(q: &[f64], rows: &[f64], d: usize, out: &mut [f64]) {
    const LANES: usize = 8;
    let mut groups = out.chunks_exact_mut(LANES);
    let mut r0 = 0;
    for group in &mut groups {
        let xs: [&[f64]; LANES] = std::array::from_fn(|l| &rows[(r0 + l) * d..][..d]);
        let mut acc = [0.0f64; LANES];
        for (f, &v) in q.iter().enumerate() {
            for (a, x) in acc.iter_mut().zip(&xs) {
                let t = v - x[f];
                *a += t * t;
            }
        }
        group.copy_from_slice(&acc);
        r0 += LANES;
    }
    for (o, r) in groups.into_remainder().iter_mut().zip(r0..) {
        let mut acc = 0.0;
        for (&v, &w) in q.iter().zip(&rows[r * d..][..d]) {
            let t = v - w;
            acc += t * t;
        }
        *o = acc;
    }
}

/// [`sq_dists_to_rows`] for the listed rows only: `out` gets, in the order of
/// `idx`, `Σ_f (q_f − x_f)²` summed in feature order from `q` to row `idx[i]`
/// of the row-major `rows` (`d` columns). The same bits as
/// [`sq_dists_to_rows`] for those rows; eight listed rows side by side.
pub fn sq_dists_to_listed_rows(
    q: &[f64],
    rows: &[f64],
    d: usize,
    idx: &[usize],
    out: &mut Vec<f64>,
) {
    const LANES: usize = 8;
    out.clear();
    let mut groups = idx.chunks_exact(LANES);
    for group in &mut groups {
        let xs: [&[f64]; LANES] = std::array::from_fn(|l| &rows[group[l] * d..][..d]);
        let mut acc = [0.0f64; LANES];
        for (f, &v) in q.iter().enumerate() {
            for (a, x) in acc.iter_mut().zip(&xs) {
                let t = v - x[f];
                *a += t * t;
            }
        }
        out.extend_from_slice(&acc);
    }
    for &j in groups.remainder() {
        let mut acc = 0.0;
        for (&v, &w) in q.iter().zip(&rows[j * d..][..d]) {
            let t = v - w;
            acc += t * t;
        }
        out.push(acc);
    }
}

/// Rows side by side in one group of [`RowLanes`]: one AVX-512 register,
/// two AVX2 ones.
const LANES: usize = 8;

/// Points measured together against one group of rows: four independent
/// chains of additions per group (eight AVX2 registers) hide the adder's
/// latency.
const POINTS_AT_ONCE: usize = 4;

/// Rows (k-means's data) laid out for [`nearest_points`] and
/// [`sq_dists_min`]: in groups of eight rows, each group `d × 8` with
/// feature `f` of its eight rows side by side (rows past `n` are 0.0 and
/// never read back). Built once per k-means run, reused by every step.
#[derive(Debug, Clone)]
pub struct RowLanes {
    groups: Vec<f64>,
    n: usize,
    d: usize,
}

impl RowLanes {
    /// `x`: n × d.
    pub fn new(x: ndarray::ArrayView2<'_, f64>) -> Self {
        let (n, d) = x.dim();
        let mut groups = vec![0.0; n.div_ceil(LANES) * d * LANES];
        for (i, row) in x.rows().into_iter().enumerate() {
            let block = &mut groups[(i / LANES) * d * LANES..][..d * LANES];
            for (f, &v) in row.iter().enumerate() {
                block[f * LANES + i % LANES] = v;
            }
        }
        Self { groups, n, d }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Rows per group: blocks of rows handed to the kernels start at a
    /// multiple of this.
    pub const GROUP: usize = LANES;
}

/// `points` (k × d, row-major) padded with zero points to a multiple of
/// [`POINTS_AT_ONCE`]; the padding is never compared.
fn padded_points(points: &[f64], d: usize) -> Vec<f64> {
    let k = points.len().checked_div(d).unwrap_or(0);
    let mut p = points.to_vec();
    p.resize(k.div_ceil(POINTS_AT_ONCE) * POINTS_AT_ONCE * d, 0.0);
    p
}

/// The squared distances from the eight rows of group `xg` (`d × 8`) to
/// points `j0 .. j0 + 4` of `points`: `Σ_f (x_f − p_f)²` in feature order
/// for each pair, subtract, multiply and add never fused, so each lane has
/// the bits of the one-pair sum ([`sq_dists_to_rows`]).
#[inline(always)]
fn group_dists(xg: &[f64], points: &[f64], j0: usize, d: usize) -> [[f64; LANES]; POINTS_AT_ONCE] {
    let mut acc = [[0.0f64; LANES]; POINTS_AT_ONCE];
    let ps: [&[f64]; POINTS_AT_ONCE] = std::array::from_fn(|c| &points[(j0 + c) * d..][..d]);
    for (f, xv) in xg.chunks_exact(LANES).enumerate() {
        for (a, p) in acc.iter_mut().zip(&ps) {
            let c = p[f];
            for (s, &x) in a.iter_mut().zip(xv) {
                let t = x - c;
                *s += t * t;
            }
        }
    }
    acc
}

crate::exp_fixed::widest_simd!(pub nearest_points, nearest_points_avx512, nearest_points_avx2,
    nearest_points_body, (rows: &RowLanes, first: usize, points: &[f64], labels: &mut [usize]) -> ());

/// For rows `first .. first + labels.len()` of `rows` (`first` a multiple
/// of [`RowLanes::GROUP`]), the index of the first nearest of the points
/// (k × d, row-major, k ≥ 1): the first smallest of the direct feature-order
/// distances, compared in point order exactly as a one-point-at-a-time scan
/// (`best = dist₀`, then `dist_j < best` replaces it), so a NaN distance
/// never wins after point 0.
#[inline(always)]
fn nearest_points_body(rows: &RowLanes, first: usize, points: &[f64], labels: &mut [usize]) {
    let d = rows.d;
    if d == 0 || points.is_empty() {
        labels.fill(0);
        return;
    }
    let k = points.len() / d;
    let padded = padded_points(points, d);
    debug_assert_eq!(first % LANES, 0, "blocks start on a group of rows");
    let g0 = first / LANES;
    for (g, out) in labels.chunks_mut(LANES).enumerate() {
        let xg = &rows.groups[(g0 + g) * d * LANES..][..d * LANES];
        let mut best_v = [0.0f64; LANES];
        let mut best_i = [0u64; LANES];
        for j0 in (0..k).step_by(POINTS_AT_ONCE) {
            let acc = group_dists(xg, &padded, j0, d);
            for (c, a) in acc.iter().enumerate().take(k - j0) {
                let j = (j0 + c) as u64;
                if j == 0 {
                    best_v = *a;
                    continue;
                }
                for ((bv, bi), &v) in best_v.iter_mut().zip(best_i.iter_mut()).zip(a) {
                    let better = v < *bv;
                    *bv = if better { v } else { *bv };
                    *bi = if better { j } else { *bi };
                }
            }
        }
        for (l, &b) in out.iter_mut().zip(&best_i) {
            *l = b as usize;
        }
    }
}

crate::exp_fixed::widest_simd!(pub sq_dists_min, sq_dists_min_avx512, sq_dists_min_avx2,
    sq_dists_min_body,
    (rows: &RowLanes, first: usize, points: &[f64], cap: &[f64], out: &mut [f64]) -> ());

/// For rows `first .. first + cap.len()` of `rows` (`first` a multiple of
/// [`RowLanes::GROUP`]) and every point `t` (m × d, row-major),
/// `out[r · m + t] = min(dist(x_r, p_t), cap[r])` (`f64::min`), the
/// distance summed directly in feature order as in [`nearest_points`].
#[inline(always)]
fn sq_dists_min_body(rows: &RowLanes, first: usize, points: &[f64], cap: &[f64], out: &mut [f64]) {
    let d = rows.d;
    if d == 0 || points.is_empty() {
        return;
    }
    let m = points.len() / d;
    let padded = padded_points(points, d);
    debug_assert_eq!(first % LANES, 0, "blocks start on a group of rows");
    let g0 = first / LANES;
    for (g, (caps, o)) in cap.chunks(LANES).zip(out.chunks_mut(LANES * m)).enumerate() {
        let xg = &rows.groups[(g0 + g) * d * LANES..][..d * LANES];
        for j0 in (0..m).step_by(POINTS_AT_ONCE) {
            let acc = group_dists(xg, &padded, j0, d);
            for (c, a) in acc.iter().enumerate().take(m - j0) {
                for (r, (&v, &old)) in a.iter().zip(caps).enumerate() {
                    o[r * m + j0 + c] = v.min(old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::test_support::data;

    /// Every build of the lane kernels gives the labels of the one-pair
    /// feature-order sums (first smallest, NaN never winning after point 0)
    /// and their minima, including partial groups of rows and points.
    #[test]
    fn row_lanes_equal_the_direct_sums_on_every_build() {
        type Nearest = unsafe fn(&RowLanes, usize, &[f64], &mut [usize]);
        type Min = unsafe fn(&RowLanes, usize, &[f64], &[f64], &mut [f64]);
        let mut builds: Vec<(&str, Nearest, Min)> =
            vec![("baseline", nearest_points_body, sq_dists_min_body)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                builds.push(("avx2", nearest_points_avx2, sq_dists_min_avx2));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                builds.push(("avx512", nearest_points_avx512, sq_dists_min_avx512));
            }
        }
        for (n, d, k) in [
            (1, 1, 1),
            (7, 3, 5),
            (33, 9, 8),
            (50, 16, 9),
            (13, 37, 17),
            (40, 2, 3),
        ] {
            let mut x = data(n, d, 3) * 1e3;
            let mut p = data(k, d, 4) * 7.0 + 0.125;
            // Exact ties: a repeated point and a row on a point.
            if k > 2 {
                let dup = p.row(1).to_owned();
                p.row_mut(2).assign(&dup);
                x.row_mut(0).assign(&dup);
            }
            // A NaN row: its label is 0, its minima the caps.
            if n > 5 {
                x[[5, 0]] = f64::NAN;
            }
            let lanes = RowLanes::new(x.view());
            let rows: Vec<f64> = x.iter().copied().collect();
            let flat: Vec<f64> = p.iter().copied().collect();
            let cap: Vec<f64> = (0..n).map(|i| 50.0 * i as f64).collect();
            let mut dist = vec![0.0; k];
            let mut want_labels = vec![0usize; n];
            let mut want_min = vec![0.0; n * k];
            for i in 0..n {
                sq_dists_to_rows(&rows[i * d..][..d], &flat, d, &mut dist);
                let mut best = (0usize, dist[0]);
                for (j, &e) in dist.iter().enumerate().skip(1) {
                    if e < best.1 {
                        best = (j, e);
                    }
                }
                want_labels[i] = best.0;
                for j in 0..k {
                    want_min[i * k + j] = dist[j].min(cap[i]);
                }
            }
            for (name, nearest, min) in &builds {
                // Whole and split in two blocks at a group boundary.
                for split in [0, 8.min(n / 8 * 8)] {
                    let mut labels = vec![usize::MAX; n];
                    let mut out = vec![f64::NAN; n * k];
                    let (la, lb) = labels.split_at_mut(split);
                    let (oa, ob) = out.split_at_mut(split * k);
                    // SAFETY: each build was checked against the CPU above.
                    unsafe {
                        nearest(&lanes, 0, &flat, la);
                        nearest(&lanes, split, &flat, lb);
                        min(&lanes, 0, &flat, &cap[..split], oa);
                        min(&lanes, split, &flat, &cap[split..], ob);
                    }
                    assert_eq!(labels, want_labels, "{name}: n={n} d={d} k={k}");
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&out), bits(&want_min), "{name}: n={n} d={d} k={k}");
                }
            }
        }
    }
}
