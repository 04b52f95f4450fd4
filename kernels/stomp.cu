// STOMP's diagonal sweep (src/detectors/matrix_profile/stomp.rs) on the GPU,
// in f64: for every row window i of A, the best (largest ρ, then lowest
// column index) cell of its row, and, for a self-join, the best (largest ρ,
// then lowest row index) cell of every column. The host (src/gpu/stomp.rs)
// passes the CPU's own window statistics and row factors; everything before
// and after the sweep (rescaling, statistics, constant windows, the exact
// re-measure of the chosen pairs, distances) stays the CPU's code.
//
// Same bits as the CPU, cell by cell: along diagonal g (cells (i, i + g))
// the first cell's covariance is the CPU's exact centred dot product (eight
// interleaved partial sums over k ≡ q mod 8, combined as
// ((s0+s4)+(s1+s5))+((s2+s6)+(s3+s7)), times 1/m), every later one
//     cov += a_B[j]·b_A[i] − c_B[j]·d_A[i]
// in the CPU's order, and ρ = (cov·(1/σ_B[j]))·(1/σ_A[i]) clipped at 1. The
// kernels are compiled with --fmad=true (the build's one option set), so
// every operation whose rounding matters is an explicit __dmul_rn /
// __dadd_rn / __dsub_rn intrinsic, which the compiler never fuses into an
// FMA or reorders. Each cell's ρ is then the CPU's ρ bit for bit, and the
// selection rule (better(): larger ρ, ties to the lower index) is a total
// order on distinct cells, so the maxima do not depend on the order the
// cells are reduced in: no float atomics, and the same answer as the CPU's
// thread-count-independent merge. One CPU detail is mirrored exactly: the
// CPU offers a diagonal's first cell unconditionally (ρ clipped with min,
// so a NaN becomes 1) but a later cell only when ρ >= the running best,
// which a NaN never is; here a later NaN cell is skipped.
//
// Layout. A block of THREADS threads owns THREADS adjacent diagonals
// g0..g0+THREADS (one per thread) and walks their common rows in chunks of
// ROWS rows; each thread carries its diagonal's covariance in a register
// from the diagonal's first cell to its last, so the recurrence is the
// CPU's whatever the chunking. Per chunk each thread writes its ROWS clipped
// ρ into a shared tile (−inf where its diagonal has no cell), then the
// block reduces the tile's rows (ROWS rows × THREADS cells) and its columns
// (anti-diagonals of the tile: ROWS + THREADS − 1 columns). Row bests are
// final for the block at once and go to the block's slot of the row
// partial buffer; column bests accumulate in a shared ring across chunks
// (a column spans THREADS consecutive rows) and go to the column partial
// buffer when the block has passed the column's last row. stomp_merge then
// folds the partial slots of one launch into the running bests, per row or
// column, over the blocks that cover it. The host chunks the blocks into
// launches so the partial buffers fit in memory.

#define THREADS 128  // diagonals per block (4 warps)
#define ROWS 32      // rows per chunk (one warp lane per row in the reductions)
#define PITCH (THREADS + 1)  // tile row pitch: conflict-free row and anti-diagonal reads
#define RING 256     // column ring: a power of two >= ROWS + THREADS - 1 live columns
#define WARPS (THREADS / 32)

static_assert(THREADS % 32 == 0 && ROWS == 32, "the reductions map one lane per tile row");
static_assert(RING >= ROWS + THREADS - 1 && (RING & (RING - 1)) == 0, "ring too small");

__device__ __forceinline__ double neg_inf() { return -__longlong_as_double(0x7ff0000000000000LL); }

// The CPU's better(): a larger ρ, or an equal ρ at a lower index.
__device__ __forceinline__ bool better(double v, int i, double bv, int bi) {
    return v > bv || (v == bv && i < bi);
}

__device__ __forceinline__ void offer(double v, int i, double& bv, int& bi) {
    if (better(v, i, bv, bi)) {
        bv = v;
        bi = i;
    }
}

// Rows of diagonal g: rs..re (re <= rs: none).
__device__ __forceinline__ int diag_row_start(int g) { return g < 0 ? -g : 0; }
__device__ __forceinline__ int diag_row_end(int g, int la, int lb) { return min(la, lb - g); }

// The diagonals of block b: g0..g1.
__device__ __forceinline__ int block_g0(int b, int d_start) { return d_start + b * THREADS; }
__device__ __forceinline__ int block_g1(int b, int d_start, int d_end) {
    return min(block_g0(b, d_start) + THREADS, d_end);
}

// Rows with at least one cell in block b's diagonals: rows of g1-1 start
// first, rows of g0 end last. src/gpu/stomp.rs mirrors these (tests).
__device__ __forceinline__ int block_row_lo(int g1) { return max(0, 1 - g1); }
__device__ __forceinline__ int block_row_hi(int g0, int la, int lb) { return min(la, lb - g0); }
// Columns with at least one cell: j - g in 0..la for some g in g0..g1.
__device__ __forceinline__ int block_col_lo(int g0) { return max(0, g0); }
__device__ __forceinline__ int block_col_hi(int g1, int la, int lb) { return min(lb, la + g1 - 1); }

// The CPU's dot_centred(x, mx, y, my) · (1/m): Σ (y[k] − my)(x[k] − mx) in
// eight interleaved partial sums (s[k mod 8], k increasing; the tail adds
// to s[0], s[1], ... as the CPU's remainder loop does), then reduce8.
__device__ double first_cov(const double* __restrict__ x, double mx, const double* __restrict__ y,
                            double my, int m, double inv_m) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
#define TERM(k) __dmul_rn(__dsub_rn(y[k], my), __dsub_rn(x[k], mx))
    int k = 0;
    for (; k + 8 <= m; k += 8) {
        s0 = __dadd_rn(s0, TERM(k));
        s1 = __dadd_rn(s1, TERM(k + 1));
        s2 = __dadd_rn(s2, TERM(k + 2));
        s3 = __dadd_rn(s3, TERM(k + 3));
        s4 = __dadd_rn(s4, TERM(k + 4));
        s5 = __dadd_rn(s5, TERM(k + 5));
        s6 = __dadd_rn(s6, TERM(k + 6));
        s7 = __dadd_rn(s7, TERM(k + 7));
    }
    const int rest = m - k;
    if (rest > 0) s0 = __dadd_rn(s0, TERM(k));
    if (rest > 1) s1 = __dadd_rn(s1, TERM(k + 1));
    if (rest > 2) s2 = __dadd_rn(s2, TERM(k + 2));
    if (rest > 3) s3 = __dadd_rn(s3, TERM(k + 3));
    if (rest > 4) s4 = __dadd_rn(s4, TERM(k + 4));
    if (rest > 5) s5 = __dadd_rn(s5, TERM(k + 5));
    if (rest > 6) s6 = __dadd_rn(s6, TERM(k + 6));
#undef TERM
    const double dot = __dadd_rn(__dadd_rn(__dadd_rn(s0, s4), __dadd_rn(s1, s5)),
                                 __dadd_rn(__dadd_rn(s2, s6), __dadd_rn(s3, s7)));
    return __dmul_rn(dot, inv_m);
}

// One launch: blocks b_first .. b_first + gridDim.x of the diagonals
// d_start..d_end (block b: d_start + b·THREADS ..). Block slot s =
// blockIdx.x writes row partials part_row_*[s·la + i] for its rows
// block_row_lo..block_row_hi and, with columns != 0, column partials
// part_col_*[s·lb + j] for block_col_lo..block_col_hi; nothing else.
extern "C" __global__ void __launch_bounds__(THREADS)
stomp_sweep(const double* __restrict__ ta,         // series A (rows), la + m - 1 points
            const double* __restrict__ mean_a,     // la window means
            const double* __restrict__ isig_a,     // la 1/σ (0: constant)
            const double* __restrict__ fb_a,       // la row factors k·a_A
            const double* __restrict__ fd_a,       // la row factors k·c_A
            int la,
            const double* __restrict__ tb,         // series B (columns), lb + m - 1 points
            const double* __restrict__ mean_b,
            const double* __restrict__ isig_b,
            const double* __restrict__ a_b,        // lb: T[j+m-1] − M'[j]
            const double* __restrict__ c_b,        // lb: T[j-1] − M'[j]
            int lb,
            int m,
            double inv_m,  // the CPU's 1.0 / m
            int d_start,
            int d_end,
            int b_first,
            int columns,
            double* __restrict__ part_row_v,
            int* __restrict__ part_row_i,
            double* __restrict__ part_col_v,
            int* __restrict__ part_col_i) {
    __shared__ double tile[ROWS * PITCH];
    __shared__ double ring_v[RING];
    __shared__ int ring_i[RING];
    __shared__ double rpart_v[WARPS][32];
    __shared__ int rpart_i[WARPS][32];
    __shared__ double cpart0_v[WARPS][32];  // warp q, lane λ: relative column 32q + λ
    __shared__ int cpart0_i[WARPS][32];
    __shared__ double cpart1_v[WARPS][32];  // warp q, lane λ: relative column 32q + λ + 32
    __shared__ int cpart1_i[WARPS][32];

    const double NEG_INF = neg_inf();
    const int t = threadIdx.x;
    const int lane = t & 31;
    const int warp = t >> 5;
    const int b = b_first + (int)blockIdx.x;
    const size_t slot = blockIdx.x;
    const int g0 = block_g0(b, d_start);
    const int g1 = block_g1(b, d_start, d_end);
    const int row_lo = block_row_lo(g1);
    const int row_hi = block_row_hi(g0, la, lb);
    const int col_lo = block_col_lo(g0);
    const int col_hi = block_col_hi(g1, la, lb);

    // This thread's diagonal and its first cell's exact covariance.
    const int g = g0 + t;
    const bool mine = g < g1;
    const int rs = mine ? diag_row_start(g) : 0;
    const int re = mine ? diag_row_end(g, la, lb) : 0;
    double cov = 0.0;
    if (mine && rs < re) {
        cov = first_cov(ta + rs, mean_a[rs], tb + rs + g, mean_b[rs + g], m, inv_m);
    }

    for (int e = t; e < RING; e += THREADS) {
        ring_v[e] = NEG_INF;
        ring_i[e] = -1;
    }

    int i0 = row_lo;
    for (; i0 < row_hi; i0 += ROWS) {
        // 1. This diagonal's cells of rows i0..i0+ROWS, clipped ρ into the tile.
        for (int r = 0; r < ROWS; ++r) {
            const int i = i0 + r;
            double v = NEG_INF;
            if (i >= rs && i < re) {
                const int j = i + g;
                if (i > rs) {
                    cov = __dadd_rn(cov, __dsub_rn(__dmul_rn(a_b[j], fb_a[i]),
                                                   __dmul_rn(c_b[j], fd_a[i])));
                }
                const double rho = __dmul_rn(__dmul_rn(cov, isig_b[j]), isig_a[i]);
                // The first cell: the CPU's min(ρ, 1) (NaN → 1); later
                // cells: a NaN is never offered.
                if (i == rs || rho == rho) v = rho < 1.0 ? rho : 1.0;
            }
            tile[r * PITCH + t] = v;
        }
        __syncthreads();

        // 2. Warp q reduces tile columns 32q..32q+32: lane λ its row λ, and
        // the anti-diagonals (tile columns of the matrix) λ and λ + 32 of
        // that 32 × 32 square. Each lane reads one cell per step, at bank
        // λ + step (rows) or λ (anti-diagonals) modulo 16: no conflicts.
        {
            double bv = NEG_INF;
            int bi = -1;
            const double* row = tile + lane * PITCH + warp * 32;
            const int j0 = i0 + lane + g0 + warp * 32;  // column of row[0]
            for (int s = 0; s < 32; ++s) offer(row[s], j0 + s, bv, bi);
            rpart_v[warp][lane] = bv;
            rpart_i[warp][lane] = bi;
        }
        if (columns) {
            double v0 = NEG_INF, v1 = NEG_INF;
            int x0 = -1, x1 = -1;
            for (int r = 0; r < ROWS; ++r) {
                const double v = tile[r * PITCH + warp * 32 + ((lane - r) & 31)];
                if (r <= lane) {
                    offer(v, i0 + r, v0, x0);
                } else {
                    offer(v, i0 + r, v1, x1);
                }
            }
            cpart0_v[warp][lane] = v0;
            cpart0_i[warp][lane] = x0;
            cpart1_v[warp][lane] = v1;
            cpart1_i[warp][lane] = x1;
        }
        __syncthreads();

        // 3. Rows: the four warps' halves of each row; the row is final.
        if (t < ROWS) {
            double bv = NEG_INF;
            int bi = -1;
            for (int q = 0; q < WARPS; ++q) offer(rpart_v[q][t], rpart_i[q][t], bv, bi);
            const int i = i0 + t;
            if (i < row_hi) {
                part_row_v[slot * la + i] = bv;
                part_row_i[slot * la + i] = bi;
            }
        }
        if (columns) {
            // Columns: relative column c (matrix column i0 + g0 + c) has
            // its cells in warps c/32 (first half) and c/32 - 1 (second).
            for (int c = t; c < ROWS + THREADS - 1; c += THREADS) {
                const int q = c >> 5, l = c & 31;
                double bv = NEG_INF;
                int bi = -1;
                if (q < WARPS) offer(cpart0_v[q][l], cpart0_i[q][l], bv, bi);
                if (q >= 1) offer(cpart1_v[q - 1][l], cpart1_i[q - 1][l], bv, bi);
                const int e = (i0 + g0 + c) & (RING - 1);
                offer(bv, bi, ring_v[e], ring_i[e]);
            }
            // Columns i0 + g0 .. + ROWS have no cell below row i0 + ROWS:
            // final for this block. Thread t flushes relative column t,
            // which it merged itself just above (no barrier needed), and
            // frees the slot.
            if (t < ROWS) {
                const int j = i0 + g0 + t;
                const int e = j & (RING - 1);
                if (j >= col_lo && j < col_hi) {
                    part_col_v[slot * lb + j] = ring_v[e];
                    part_col_i[slot * lb + j] = ring_i[e];
                }
                ring_v[e] = NEG_INF;
                ring_i[e] = -1;
            }
        }
    }
    // The columns still in the ring (relative ROWS .. ROWS + THREADS - 1 of
    // the last chunk, merged by other threads) are final too.
    __syncthreads();
    if (columns && t < THREADS - 1) {
        const int j = i0 + g0 + t;
        if (j >= col_lo && j < col_hi) {
            const int e = j & (RING - 1);
            part_col_v[slot * lb + j] = ring_v[e];
            part_col_i[slot * lb + j] = ring_i[e];
        }
    }
}

// Fold one launch's partial slots into the running bests: element x (a row
// when columns == 0, else a column) takes the better of its best so far and
// every slot whose block covers it. The order is fixed, and immaterial:
// better() is a total order on distinct cells.
extern "C" __global__ void __launch_bounds__(256)
stomp_merge(const double* __restrict__ part_v, const int* __restrict__ part_i, int len,
            int slots, int b_first, int d_start, int d_end, int la, int lb, int columns,
            double* __restrict__ best_v, int* __restrict__ best_i) {
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    if (x >= len) return;
    double bv = best_v[x];
    int bi = best_i[x];
    for (int s = 0; s < slots; ++s) {
        const int b = b_first + s;
        const int g0 = block_g0(b, d_start);
        const int g1 = block_g1(b, d_start, d_end);
        const int lo = columns ? block_col_lo(g0) : block_row_lo(g1);
        const int hi = columns ? block_col_hi(g1, la, lb) : block_row_hi(g0, la, lb);
        if (x >= lo && x < hi) {
            const size_t k = (size_t)s * len + x;
            offer(part_v[k], part_i[k], bv, bi);
        }
    }
    best_v[x] = bv;
    best_i[x] = bi;
}
