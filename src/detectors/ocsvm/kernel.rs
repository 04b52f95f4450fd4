//! The RBF kernel matrix `Q` of the one-class problem as the solver sees it:
//! rows computed on demand through BLAS and kept in a bounded LRU cache, with
//! libsvm's index swapping (shrinking moves variables to the end of the
//! active set, and the kernel's rows, norms and cached entries move with
//! them).
//!
//! This mirrors libsvm's `ONE_CLASS_Q` + `Cache`, including its choice of
//! storing kernel values as single precision (`Qfloat = float`): the solver's
//! path (which pair it picks, when it stops) then sees the same numbers as
//! scikit-learn's. A row entry is
//! `(f32) exp(−γ (‖x_i‖² + ‖x_j‖² − 2 x_iᵀx_j))`, the dot products of a row
//! coming from one GEMV over the requested positions; the diagonal `QD` is
//! kept in double precision as libsvm does. The exponentials come from
//! [`crate::exp_fixed`] (vectorised, within 2 ulp of libm's before the
//! rounding to f32, the same bits on every CPU) rather than the C library's
//! scalar `exp` that libsvm calls: on shuttle that took the fit from 9.6 s to
//! 6.2 s (benches/NOTES.md).

use crate::exp_fixed;
use ndarray::{Array2, ArrayView1, ArrayView2, Axis, s};

/// Cells of one block of full kernel rows computed by GEMM (2^21 doubles =
/// 16 MiB).
const FULL_ROW_BLOCK_CELLS: usize = 1 << 21;

/// Marker of "no entry" in the LRU links.
const NIL: usize = usize::MAX;

/// libsvm's kernel-row cache: row `i` caches `data[0..len)` of column `i`
/// (positions in the solver's current order), least recently used rows are
/// evicted first, and the total number of cached floats is bounded.
struct Cache {
    data: Vec<Vec<f32>>,
    /// Cached length of each row (0 = not cached, not in the LRU list).
    len: Vec<usize>,
    /// Doubly linked LRU list over rows; `head` is the oldest.
    prev: Vec<usize>,
    next: Vec<usize>,
    head: usize,
    tail: usize,
    /// Floats that may still be allocated.
    free: usize,
}

impl Cache {
    /// A cache for `l` rows holding about `bytes` bytes (at least two full
    /// rows, as libsvm guarantees, so fetching row j never evicts row i
    /// fetched just before).
    fn new(l: usize, bytes: f64) -> Self {
        // libsvm: size in floats, minus its per-row headers, at least 2 l.
        let floats = (bytes / 4.0).floor();
        let floats = if floats.is_finite() && floats > 0.0 {
            floats.min(usize::MAX as f64 / 2.0) as usize
        } else {
            0
        };
        let free = floats.saturating_sub(l.saturating_mul(8)).max(2 * l);
        Self {
            data: vec![Vec::new(); l],
            len: vec![0; l],
            prev: vec![NIL; l],
            next: vec![NIL; l],
            head: NIL,
            tail: NIL,
            free,
        }
    }

    fn unlink(&mut self, h: usize) {
        let (p, n) = (self.prev[h], self.next[h]);
        if p == NIL {
            self.head = n;
        } else {
            self.next[p] = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.prev[n] = p;
        }
        self.prev[h] = NIL;
        self.next[h] = NIL;
    }

    fn push_back(&mut self, h: usize) {
        self.prev[h] = self.tail;
        self.next[h] = NIL;
        if self.tail == NIL {
            self.head = h;
        } else {
            self.next[self.tail] = h;
        }
        self.tail = h;
    }

    fn drop_row(&mut self, h: usize) {
        self.unlink(h);
        self.free += self.len[h];
        self.data[h] = Vec::new();
        self.len[h] = 0;
    }

    /// libsvm's `get_data`: make row `index` hold `len` entries and mark it
    /// most recently used. Returns the position from which entries must be
    /// (re)computed (`>= len` when all were cached).
    fn get_data(&mut self, index: usize, len: usize) -> usize {
        let have = self.len[index];
        if have > 0 {
            self.unlink(index);
        }
        let start = if len > have {
            let more = len - have;
            while self.free < more && self.head != NIL {
                let old = self.head;
                self.drop_row(old);
            }
            self.data[index].resize(len, 0.0);
            self.free = self.free.saturating_sub(more);
            self.len[index] = len;
            have
        } else {
            len
        };
        self.push_back(index);
        start
    }

    /// libsvm's `swap_index`: rows i and j trade places, and within every
    /// cached row entries i and j swap (a row covering i but not j is
    /// dropped).
    fn swap_index(&mut self, i: usize, j: usize) {
        if i == j {
            return;
        }
        let (li, lj) = (self.len[i], self.len[j]);
        if li > 0 {
            self.unlink(i);
        }
        if lj > 0 {
            self.unlink(j);
        }
        self.data.swap(i, j);
        self.len.swap(i, j);
        if self.len[i] > 0 {
            self.push_back(i);
        }
        if self.len[j] > 0 {
            self.push_back(j);
        }
        let (lo, hi) = if i < j { (i, j) } else { (j, i) };
        let mut h = self.head;
        while h != NIL {
            let nxt = self.next[h];
            let len = self.len[h];
            if len > lo {
                if len > hi {
                    self.data[h].swap(lo, hi);
                } else {
                    self.drop_row(h);
                }
            }
            h = nxt;
        }
    }
}

/// `out[j] = (f32) exp(−γ (sq_i + sq[j] − 2 dots[j]))`: kernel entries of one
/// row, several at a time ([`exp_fixed`]; the same bits on every CPU).
/// `dots` and `sq` are as long as `out`.
fn kernel_entries(
    gamma: f64,
    sq_i: f64,
    dots: ArrayView1<'_, f64>,
    sq: &[f64],
    scratch: &mut Vec<f64>,
    out: &mut [f32],
) {
    scratch.resize(out.len(), 0.0);
    match dots.as_slice() {
        Some(d) => kernel_entries_from(gamma, sq_i, d, sq, scratch, out),
        None => {
            let d = dots.to_vec();
            kernel_entries_from(gamma, sq_i, &d, sq, scratch, out);
        }
    }
}

exp_fixed::widest_simd!(kernel_entries_from, kernel_entries_avx512, kernel_entries_avx2,
    kernel_entries_body,
    (gamma: f64, sq_i: f64, dots: &[f64], sq: &[f64], args: &mut [f64], out: &mut [f32]) -> ());

/// [`kernel_entries`] from the dot products as a slice (`args`: scratch as
/// long as `out`).
#[inline(always)]
fn kernel_entries_body(
    gamma: f64,
    sq_i: f64,
    dots: &[f64],
    sq: &[f64],
    args: &mut [f64],
    out: &mut [f32],
) {
    for ((a, &dot), &sq_j) in args.iter_mut().zip(dots).zip(sq) {
        *a = -gamma * (sq_i + sq_j - 2.0 * dot);
    }
    exp_fixed::exp_in_place_body(args);
    for (o, &v) in out.iter_mut().zip(args.iter()) {
        *o = v as f32;
    }
}

/// The one-class kernel matrix with libsvm's row cache.
pub(super) struct OneClassQ {
    /// Training rows in the solver's current order.
    x: Array2<f64>,
    x_square: Vec<f64>,
    qd: Vec<f64>,
    gamma: f64,
    cache: Cache,
    /// Exponent arguments of the row being computed.
    scratch: Vec<f64>,
}

impl OneClassQ {
    pub(super) fn new(x: ArrayView2<'_, f64>, gamma: f64, cache_bytes: f64) -> Self {
        crate::blas::single_threaded();
        let x = x.as_standard_layout().into_owned();
        let l = x.nrows();
        let x_square: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let qd = (0..l)
            .map(|i| {
                let dot = x_square[i];
                exp_fixed::exp(-gamma * (x_square[i] + x_square[i] - 2.0 * dot))
            })
            .collect();
        Self {
            x,
            x_square,
            qd,
            gamma,
            cache: Cache::new(l, cache_bytes),
            scratch: Vec::new(),
        }
    }

    /// The diagonal `K(x_i, x_i)` in double precision.
    pub(super) fn qd(&self, i: usize) -> f64 {
        self.qd[i]
    }

    /// Make column `i` hold at least its first `len` entries; read it with
    /// [`Self::row`] until the next call that may evict (two consecutive
    /// `ensure` calls keep both rows: the cache holds two full rows).
    pub(super) fn ensure(&mut self, i: usize, len: usize) {
        let start = self.cache.get_data(i, len);
        if start < len {
            let xi = self.x.row(i);
            let dots = self.x.slice(s![start..len, ..]).dot(&xi);
            let row = &mut self.cache.data[i][start..len];
            kernel_entries(
                self.gamma,
                self.x_square[i],
                dots.view(),
                &self.x_square[start..len],
                &mut self.scratch,
                row,
            );
        }
    }

    /// Full columns (all `l` entries) for the positions `rows`, in order:
    /// computed a block of rows at a time with one GEMM (instead of a GEMV
    /// per row), cached as [`Self::ensure`] would, and handed to `f`. The
    /// solver's initial gradient needs about ν·l full columns at once.
    pub(super) fn for_each_full_row(&mut self, rows: &[usize], mut f: impl FnMut(usize, &[f32])) {
        let l = self.x.nrows();
        let block = (FULL_ROW_BLOCK_CELLS / l.max(1)).clamp(1, 256);
        for chunk in rows.chunks(block) {
            let sel = self.x.select(Axis(0), chunk);
            let cross = sel.dot(&self.x.t());
            for (&i, dots) in chunk.iter().zip(cross.rows()) {
                let start = self.cache.get_data(i, l);
                if start < l {
                    let row = &mut self.cache.data[i][start..l];
                    kernel_entries(
                        self.gamma,
                        self.x_square[i],
                        dots.slice(s![start..l]),
                        &self.x_square[start..l],
                        &mut self.scratch,
                        row,
                    );
                }
                f(i, &self.cache.data[i][..l]);
            }
        }
    }

    /// The cached entries of column `i` (call [`Self::ensure`] first).
    pub(super) fn row(&self, i: usize) -> &[f32] {
        &self.cache.data[i]
    }

    /// libsvm's `ONE_CLASS_Q::swap_index`.
    pub(super) fn swap_index(&mut self, i: usize, j: usize) {
        if i == j {
            return;
        }
        self.cache.swap_index(i, j);
        let d = self.x.ncols();
        if d > 0 {
            let (lo, hi) = if i < j { (i, j) } else { (j, i) };
            let (mut a, mut b) = self.x.view_mut().split_at(ndarray::Axis(0), hi);
            let mut ra = a.row_mut(lo);
            let mut rb = b.row_mut(0);
            for f in 0..d {
                std::mem::swap(&mut ra[f], &mut rb[f]);
            }
        }
        self.x_square.swap(i, j);
        self.qd.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn k(a: &[f64], b: &[f64], g: f64) -> f32 {
        let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
        exp_fixed::exp(-g * d) as f32
    }

    #[test]
    fn rows_follow_swaps_and_survive_eviction() {
        let x = array![[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [0.5, 0.5]];
        let rows: Vec<Vec<f64>> = x.rows().into_iter().map(|r| r.to_vec()).collect();
        // A tiny cache (two full rows) forces evictions.
        let mut q = OneClassQ::new(x.view(), 0.5, 1.0);
        let mut order = vec![0usize, 1, 2, 3];
        let check = |q: &mut OneClassQ, order: &[usize], i: usize, len: usize| {
            q.ensure(i, len);
            for j in 0..len {
                let want = k(&rows[order[i]], &rows[order[j]], 0.5);
                assert!((q.row(i)[j] - want).abs() <= 1e-7, "{i} {j}");
            }
            assert!((q.qd(i) - 1.0).abs() < 1e-15);
        };
        for i in 0..4 {
            check(&mut q, &order, i, 2);
        }
        q.swap_index(1, 3);
        order.swap(1, 3);
        for i in [3, 1, 0, 2, 1] {
            check(&mut q, &order, i, 4);
        }
        q.swap_index(2, 0);
        order.swap(2, 0);
        for i in 0..4 {
            check(&mut q, &order, i, 3);
            check(&mut q, &order, i, 4);
        }
        // Full rows by GEMM blocks give the same values and are cached.
        let mut seen = Vec::new();
        q.for_each_full_row(&[2, 0, 3], |i, row| {
            assert_eq!(row.len(), 4);
            for (j, &v) in row.iter().enumerate() {
                assert!((v - k(&rows[order[i]], &rows[order[j]], 0.5)).abs() <= 1e-7);
            }
            seen.push(i);
        });
        assert_eq!(seen, vec![2, 0, 3]);
        check(&mut q, &order, 3, 4);
    }
}
