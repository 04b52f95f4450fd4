// IsolationForest path-length totals (src/detectors/isolation_forest/):
// for every row, the sum over the trees, in tree order, of the path length
// of the leaf the row reaches, starting from +0.0. The host turns a total
// into a score with the CPU's own score_from_total (2^(-total / (T c(psi)))),
// so the GPU never evaluates c(n), a logarithm or exp2.
//
// Bit-identical to the CPU by construction (src/gpu/iforest.rs says why in
// full): the comparisons are the CPU's (`x[feature] > threshold` goes right,
// anything else, NaN included, goes left), the leaf values are the CPU's own
// f64 path lengths copied from its compiled trees, and each thread adds them
// for one row in the CPU's order with IEEE round-to-nearest double adds. No
// product is formed, so fused multiply-adds cannot change a bit.
//
// The forest (all trees' nodes concatenated; node indices relative to their
// tree, exactly the CPU's):
//   value[k]    internal node: split threshold; leaf: its path length
//               depth + c(n_samples), as the CPU computed it
//   link[k]     (feature, right child) of an internal node, whose left child
//               is the next node (pre-order); (-1, -1) for a leaf
//   tree_start  T + 1 offsets into value/link
//   tree_depth  depth of each tree's deepest leaf: a walk takes at most that
//               many steps (the CPU's fixed walk length), so it ends even on
//               a malformed tree
//
// Layout: one thread per row (rows row-major, d values each), THREADS rows
// per block. The block walks the trees in order; a tree of at most
// SMEM_NODES nodes is first staged in shared memory by the whole block
// (every walk of a row visits a handful of nodes, all from one small tree),
// a larger one is read from global memory where it lies.

#define THREADS 256
#define SMEM_NODES 2048

extern "C" __global__ void __launch_bounds__(THREADS)
iforest_path_totals(const double* __restrict__ x,  // n_rows × d, row-major
                    int n_rows,
                    int d,
                    const double* __restrict__ value,
                    const int2* __restrict__ link,
                    const int* __restrict__ tree_start,  // n_trees + 1
                    const int* __restrict__ tree_depth,  // n_trees
                    int n_trees,
                    double* __restrict__ out_total) {    // n_rows
    __shared__ double s_value[SMEM_NODES];
    __shared__ int2 s_link[SMEM_NODES];
    const int row = blockIdx.x * THREADS + threadIdx.x;
    const bool active = row < n_rows;
    const double* xr = x + (size_t)(active ? row : 0) * (size_t)d;
    double total = 0.0;
    for (int t = 0; t < n_trees; ++t) {
        const int start = tree_start[t];
        const int size = tree_start[t + 1] - start;
        const double* v = value + start;
        const int2* l = link + start;
        // `size` is the same for the whole block: every thread (inactive
        // ones included) reaches both barriers or neither.
        if (size <= SMEM_NODES) {
            __syncthreads();  // the previous tree's walks are done with it
            for (int k = threadIdx.x; k < size; k += THREADS) {
                s_value[k] = v[k];
                s_link[k] = l[k];
            }
            __syncthreads();
            v = s_value;
            l = s_link;
        }
        if (active) {
            const int depth = tree_depth[t];
            int i = 0;
            for (int s = 0; s < depth; ++s) {
                const int2 node = l[i];
                if (node.x < 0) break;  // a leaf
                i = xr[node.x] > v[i] ? node.y : i + 1;
            }
            total += v[i];
        }
    }
    if (active) out_total[row] = total;
}
