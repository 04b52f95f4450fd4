// Candidate selection for the exact k-nearest-neighbour search
// (src/detectors/neighbors/): for every query row, the `keep` training rows
// with the smallest approximate squared distance (their indices)
//     a_j = max(‖q‖² + ‖x_j‖² − 2 q·x_j, 0)
// (the GEMM form the CPU search selects with), plus a threshold t such that
// every training row NOT returned has a_j >= t. The CPU then re-measures the
// candidates exactly and proves from t that nothing outside them can be
// among the k nearest (or searches that row on the CPU); see
// src/detectors/neighbors/candidates.rs. This kernel only selects, so its
// rounding (any summation order, fused multiply-adds) is covered by the
// same error bound the CPU's selection product has.
//
// Layout: one thread per query row. Queries arrive transposed (d × n_query,
// so a warp's loads of one feature are coalesced); training rows arrive
// row-major (n_train × d) and are staged through shared memory a tile of
// TILE_ROWS rows × CHUNK features at a time; each thread keeps TILE_ROWS
// dot products in registers, then offers the tile's values to its own
// sorted candidate list (ties: the lower training index stays, as on the
// CPU, because rows are offered in index order and only a strictly smaller
// value displaces).

#define THREADS 128
#define TILE_ROWS 32
#define CHUNK 16
#define MAX_KEEP 64

template <typename T>
__device__ __forceinline__ T zero_floor(T v) { return v > T(0) ? v : T(0); }

template <typename T>
__device__ void sqdist_topk(const T* __restrict__ query_t,  // d × n_query
                            int n_query,
                            const T* __restrict__ train,    // n_train × d
                            int n_train,
                            int d,
                            const T* __restrict__ query_norms,
                            const T* __restrict__ train_norms,
                            int self_offset,  // query row i is training row i + self_offset; < 0: none
                            int keep,         // 1..=MAX_KEEP
                            int* __restrict__ out_indices,  // n_query × keep, -1 pads
                            T* __restrict__ out_threshold,  // n_query
                            T infinity) {
    __shared__ T tile[TILE_ROWS][CHUNK + 1];
    const int row = blockIdx.x * THREADS + threadIdx.x;
    const bool active = row < n_query;
    const T qn = active ? query_norms[row] : T(0);
    const int self_index = (active && self_offset >= 0) ? row + self_offset : -1;

    T best_v[MAX_KEEP];
    int best_i[MAX_KEEP];
    int held = 0;
    T worst = infinity;  // the keep-th value once the list is full

    for (int j0 = 0; j0 < n_train; j0 += TILE_ROWS) {
        T acc[TILE_ROWS];
#pragma unroll
        for (int t = 0; t < TILE_ROWS; ++t) acc[t] = T(0);
        for (int f0 = 0; f0 < d; f0 += CHUNK) {
            __syncthreads();
            for (int e = threadIdx.x; e < TILE_ROWS * CHUNK; e += THREADS) {
                const int t = e / CHUNK, f = e % CHUNK;
                const int j = j0 + t, ff = f0 + f;
                tile[t][f] = (j < n_train && ff < d) ? train[(size_t)j * d + ff] : T(0);
            }
            __syncthreads();
            if (active) {
                const int width = min(CHUNK, d - f0);
                for (int f = 0; f < width; ++f) {
                    const T qf = query_t[(size_t)(f0 + f) * n_query + row];
#pragma unroll
                    for (int t = 0; t < TILE_ROWS; ++t) acc[t] += qf * tile[t][f];
                }
            }
        }
        if (!active) continue;
        const int rows = min(TILE_ROWS, n_train - j0);
#pragma unroll
        for (int t = 0; t < TILE_ROWS; ++t) {
            if (t >= rows) break;
            const int j = j0 + t;
            if (j == self_index) continue;
            const T a = zero_floor(qn + train_norms[j] - T(2) * acc[t]);
            if (held == keep && !(a < worst)) continue;
            // Sorted insertion; a full list drops its last entry.
            int pos = held < keep ? held : keep - 1;
            while (pos > 0 && a < best_v[pos - 1]) {
                best_v[pos] = best_v[pos - 1];
                best_i[pos] = best_i[pos - 1];
                --pos;
            }
            best_v[pos] = a;
            best_i[pos] = j;
            if (held < keep) ++held;
            if (held == keep) worst = best_v[keep - 1];
        }
    }
    if (!active) return;
    for (int s = 0; s < keep; ++s) {
        out_indices[(size_t)row * keep + s] = s < held ? best_i[s] : -1;
    }
    // Everything not returned was either never offered (a full list's
    // values only shrink, so it was >= the final worst) or displaced (it
    // was >= the worst at that moment, >= the final worst): t = worst.
    out_threshold[row] = held == keep ? worst : infinity;
}

extern "C" __global__ void __launch_bounds__(THREADS)
sqdist_topk_f32(const float* query_t, int n_query, const float* train, int n_train, int d,
                const float* query_norms, const float* train_norms, int self_offset, int keep,
                int* out_indices, float* out_threshold) {
    sqdist_topk<float>(query_t, n_query, train, n_train, d, query_norms, train_norms, self_offset,
                       keep, out_indices, out_threshold, __int_as_float(0x7f800000));
}

extern "C" __global__ void __launch_bounds__(THREADS)
sqdist_topk_f64(const double* query_t, int n_query, const double* train, int n_train, int d,
                const double* query_norms, const double* train_norms, int self_offset, int keep,
                int* out_indices, double* out_threshold) {
    sqdist_topk<double>(query_t, n_query, train, n_train, d, query_norms, train_norms, self_offset,
                        keep, out_indices, out_threshold,
                        __longlong_as_double(0x7ff0000000000000LL));
}

// Exact squared distances for iNNE (src/detectors/inne/): out[i][j] =
// Σ_f (q_if − x_jf)², summed in feature order with round-to-nearest
// intrinsics (never fused into an FMA), which is exactly the CPU's
// `sq_dists_to_rows` for every pair, so the caller's comparisons against
// the hyperspheres' radii are the CPU's. A 16 × 16 block computes a tile of
// pairs; both sides are staged through shared memory CHUNK features at a
// time, and each thread keeps its pair's running sum across the chunks.
#define EXACT_TILE 16

extern "C" __global__ void __launch_bounds__(EXACT_TILE * EXACT_TILE)
sqdist_exact_f64(const double* __restrict__ query,  // n_query × d
                 int n_query,
                 const double* __restrict__ rows,   // n_rows × d
                 int n_rows,
                 int d,
                 double* __restrict__ out) {        // n_query × n_rows
    __shared__ double sq[EXACT_TILE][CHUNK + 1];
    __shared__ double sx[EXACT_TILE][CHUNK + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int i = blockIdx.y * EXACT_TILE + ty;  // query row
    const int j = blockIdx.x * EXACT_TILE + tx;  // row
    const int lane = ty * EXACT_TILE + tx;
    double acc = 0.0;
    for (int f0 = 0; f0 < d; f0 += CHUNK) {
        __syncthreads();
        for (int e = lane; e < EXACT_TILE * CHUNK; e += EXACT_TILE * EXACT_TILE) {
            const int r = e / CHUNK, f = e % CHUNK;
            const int qi = blockIdx.y * EXACT_TILE + r, xj = blockIdx.x * EXACT_TILE + r;
            const bool in_f = f0 + f < d;
            sq[r][f] = (qi < n_query && in_f) ? query[(size_t)qi * d + f0 + f] : 0.0;
            sx[r][f] = (xj < n_rows && in_f) ? rows[(size_t)xj * d + f0 + f] : 0.0;
        }
        __syncthreads();
        const int width = min(CHUNK, d - f0);
        for (int f = 0; f < width; ++f) {
            const double t = __dsub_rn(sq[ty][f], sx[tx][f]);
            acc = __dadd_rn(acc, __dmul_rn(t, t));
        }
    }
    if (i < n_query && j < n_rows) out[(size_t)i * n_rows + j] = acc;
}
