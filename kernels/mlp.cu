// Training the float64 MLP engine (src/nn/) on the GPU: the kernels
// src/gpu/mlp.rs launches for one batch step (gather the batch's rows,
// forward, the loss and its gradient (MSELoss, or DeepSVDD's centre
// distance and weight-norm penalty), backward, Adam/AdamW). The CPU engine
// is the reference; what equals it and what only comes close is stated in
// src/gpu/mlp.rs's module doc:
//
// * element-wise arithmetic (bias add, batch-norm normalisation and its
//   backward formula, activation gradients, dropout, the loss gradients,
//   the norm penalty's gradient, the running statistics, the whole
//   Adam/AdamW update) is written with the round-to-nearest intrinsics
//   (__dadd_rn, __dmul_rn, ...), which the compiler never fuses into
//   multiply-adds, in the CPU's operation order: given the same inputs
//   these give the CPU's bits;
// * sums (GEMM dot products, column sums, the losses, the norms) run in a
//   fixed order (a GEMM dot product in k order inside one thread; column
//   sums over RED_LANES strided row lanes and then a fixed shared-memory
//   tree; the losses and norms over a fixed grid and tree) that differs
//   from the CPU's, with multiply-adds fused, so they differ from the CPU
//   in the last bits but are the same from run to run (no atomics
//   anywhere);
// * exp and tanh are CUDA's (within 1-2 ulp of the CPU's libm).

#define GEMM_TILE 16
#define RED_COLS 32
#define RED_LANES 16
#define EW_THREADS 256
#define LOSS_THREADS 256

// Activation kinds (src/gpu/mlp.rs: Activation::code).
#define ACT_RELU 0
#define ACT_LEAKY_RELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3

// Weight decay kinds (src/gpu/mlp.rs: Decay::code).
#define DECAY_NONE 0
#define DECAY_L2 1
#define DECAY_DECOUPLED 2

// Rows `idx` of the row-major n × d matrix x, in that order: out (rows × d).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
mlp_gather_rows(const double* __restrict__ x, int d, const int* __restrict__ idx, int rows,
                double* __restrict__ out) {
    const size_t total = (size_t)rows * d;
    for (size_t e = (size_t)blockIdx.x * EW_THREADS + threadIdx.x; e < total;
         e += (size_t)gridDim.x * EW_THREADS) {
        const size_t r = e / d, c = e % d;
        out[e] = x[(size_t)idx[r] * d + c];
    }
}

// C (m × n, row-major) = A · B (+ bias per column), A(i, k) = a[i·a_rs + k·a_cs],
// B(k, j) = b[k·b_rs + j·b_cs]: the strides give the transposes the
// forward (X·Wᵀ), weight-gradient (dYᵀ·X) and input-gradient (dY·W)
// products need. One thread per C element, summing k in order through
// GEMM_TILE × GEMM_TILE tiles of A and B staged in shared memory; the
// loads walk whichever index of the operand has unit stride, so they are
// coalesced for every transpose. bias may be null.
extern "C" __global__ void __launch_bounds__(GEMM_TILE * GEMM_TILE)
mlp_gemm(int m, int n, int k, const double* __restrict__ a, int a_rs, int a_cs,
         const double* __restrict__ b, int b_rs, int b_cs, const double* __restrict__ bias,
         double* __restrict__ c) {
    __shared__ double as[GEMM_TILE][GEMM_TILE + 1];  // as[i][kk] = A(row0 + i, k0 + kk)
    __shared__ double bs[GEMM_TILE][GEMM_TILE + 1];  // bs[kk][j] = B(k0 + kk, col0 + j)
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int row0 = blockIdx.y * GEMM_TILE, col0 = blockIdx.x * GEMM_TILE;
    double acc = 0.0;
    for (int k0 = 0; k0 < k; k0 += GEMM_TILE) {
        {
            // (i, kk) = tile coordinates this thread loads: tx on the unit stride.
            const int i = a_cs == 1 ? ty : tx, kk = a_cs == 1 ? tx : ty;
            const int gi = row0 + i, gk = k0 + kk;
            as[i][kk] = (gi < m && gk < k) ? a[(size_t)gi * a_rs + (size_t)gk * a_cs] : 0.0;
        }
        {
            const int kk = b_cs == 1 ? ty : tx, j = b_cs == 1 ? tx : ty;
            const int gk = k0 + kk, gj = col0 + j;
            bs[kk][j] = (gk < k && gj < n) ? b[(size_t)gk * b_rs + (size_t)gj * b_cs] : 0.0;
        }
        __syncthreads();
        // Past k both operands are 0, so the padded terms add exact zeros.
#pragma unroll
        for (int kk = 0; kk < GEMM_TILE; ++kk) acc += as[ty][kk] * bs[kk][tx];
        __syncthreads();
    }
    const int row = row0 + ty, col = col0 + tx;
    if (row < m && col < n) {
        // The CPU adds the bias to the finished product (y = x·Wᵀ; y += b).
        c[(size_t)row * n + col] = bias != nullptr ? __dadd_rn(acc, bias[col]) : acc;
    }
}

// The fixed tree over a block's RED_LANES row lanes: part[0][tx] ends up
// holding lane 0 + lane 1 + ... in the same pairing on every run. Starts
// with a barrier (the lanes were just written), ends with part[0][tx]
// visible to thread (tx, 0) only.
__device__ __forceinline__ void lane_tree(double (*part)[RED_COLS], int tx, int ty) {
#pragma unroll
    for (int h = RED_LANES / 2; h > 0; h >>= 1) {
        __syncthreads();
        if (ty < h) part[ty][tx] += part[ty + h][tx];
    }
}

// out[c] = Σ_r a[r][c] (bias gradients). Block: RED_COLS columns ×
// RED_LANES row lanes; lane ty sums rows ty, ty + RED_LANES, ... in order.
extern "C" __global__ void __launch_bounds__(RED_COLS * RED_LANES)
mlp_col_sum(const double* __restrict__ a, int rows, int cols, double* __restrict__ out) {
    __shared__ double part[RED_LANES][RED_COLS];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int col = blockIdx.x * RED_COLS + tx;
    double s = 0.0;
    if (col < cols)
        for (int r = ty; r < rows; r += RED_LANES) s += a[(size_t)r * cols + col];
    part[ty][tx] = s;
    lane_tree(part, tx, ty);
    if (ty == 0 && col < cols) out[col] = part[0][tx];
}

// Batch norm in train mode, statistics: per column the batch mean, the
// biased variance Σ(x − mean)²/b, 1/√(var + eps), written to
// stats[0..cols) (mean), stats[cols..2cols) (var), stats[2cols..3cols)
// (inv_std); and the running statistics folded in as torch does
// (running = (1 − momentum)·running + momentum·batch, the variance
// unbiased by `unbias` = b/(b − 1)). running[0..cols) is the running
// mean, running[cols..2cols) the running variance.
extern "C" __global__ void __launch_bounds__(RED_COLS * RED_LANES)
mlp_bn_stats(const double* __restrict__ x, int rows, int cols, double eps, double momentum,
             double one_minus_momentum, double unbias, double* __restrict__ stats,
             double* __restrict__ running) {
    __shared__ double part[RED_LANES][RED_COLS];
    __shared__ double mean_of[RED_COLS];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int col = blockIdx.x * RED_COLS + tx;
    const double b = (double)(rows > 1 ? rows : 1);  // the CPU's nrows().max(1)
    double s = 0.0;
    if (col < cols)
        for (int r = ty; r < rows; r += RED_LANES) s += x[(size_t)r * cols + col];
    part[ty][tx] = s;
    lane_tree(part, tx, ty);
    if (ty == 0) mean_of[tx] = __ddiv_rn(part[0][tx], b);
    __syncthreads();
    const double mean = mean_of[tx];
    s = 0.0;
    if (col < cols)
        for (int r = ty; r < rows; r += RED_LANES) {
            const double centred = __dsub_rn(x[(size_t)r * cols + col], mean);
            s += centred * centred;
        }
    part[ty][tx] = s;
    lane_tree(part, tx, ty);
    if (ty == 0 && col < cols) {
        const double var = __ddiv_rn(part[0][tx], b);
        stats[col] = mean;
        stats[cols + col] = var;
        stats[2 * cols + col] = __ddiv_rn(1.0, __dsqrt_rn(__dadd_rn(var, eps)));
        running[col] = __dadd_rn(__dmul_rn(one_minus_momentum, running[col]),
                                 __dmul_rn(momentum, mean));
        running[cols + col] = __dadd_rn(__dmul_rn(one_minus_momentum, running[cols + col]),
                                        __dmul_rn(__dmul_rn(momentum, var), unbias));
    }
}

// Batch norm in train mode, output: x̂ = (x − mean)·inv_std and
// y = x̂·γ + β (x̂ kept for the backward pass).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
mlp_bn_apply(const double* __restrict__ x, int rows, int cols, const double* __restrict__ stats,
             const double* __restrict__ gamma, const double* __restrict__ beta,
             double* __restrict__ xhat, double* __restrict__ y) {
    const size_t total = (size_t)rows * cols;
    for (size_t e = (size_t)blockIdx.x * EW_THREADS + threadIdx.x; e < total;
         e += (size_t)gridDim.x * EW_THREADS) {
        const int c = (int)(e % cols);
        const double xh = __dmul_rn(__dsub_rn(x[e], stats[c]), stats[2 * cols + c]);
        xhat[e] = xh;
        y[e] = __dadd_rn(__dmul_rn(xh, gamma[c]), beta[c]);
    }
}

// Batch norm backward, reductions: dγ = Σ_r dy·x̂ and dβ = Σ_r dy per
// column (the same lanes and tree as mlp_col_sum).
extern "C" __global__ void __launch_bounds__(RED_COLS * RED_LANES)
mlp_bn_backward_reduce(const double* __restrict__ dy, const double* __restrict__ xhat, int rows,
                       int cols, double* __restrict__ dgamma, double* __restrict__ dbeta) {
    __shared__ double part[RED_LANES][RED_COLS];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int col = blockIdx.x * RED_COLS + tx;
    double s = 0.0;
    if (col < cols)
        for (int r = ty; r < rows; r += RED_LANES) {
            const size_t e = (size_t)r * cols + col;
            s += dy[e] * xhat[e];
        }
    part[ty][tx] = s;
    lane_tree(part, tx, ty);
    if (ty == 0 && col < cols) dgamma[col] = part[0][tx];
    s = 0.0;
    if (col < cols)
        for (int r = ty; r < rows; r += RED_LANES) s += dy[(size_t)r * cols + col];
    // lane_tree's first barrier orders this write after thread (tx, 0)'s
    // read of part[0][tx] above.
    __syncthreads();
    part[ty][tx] = s;
    lane_tree(part, tx, ty);
    if (ty == 0 && col < cols) dbeta[col] = part[0][tx];
}

// Batch norm backward, input gradient, in place on g (= dy on entry):
// dx = (dy·b − dβ − x̂·dγ)·(γ·inv_std/b), the CPU's operation order.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
mlp_bn_backward_apply(double* __restrict__ g, const double* __restrict__ xhat, int rows, int cols,
                      const double* __restrict__ gamma, const double* __restrict__ stats,
                      const double* __restrict__ dgamma, const double* __restrict__ dbeta) {
    const double b = (double)(rows > 1 ? rows : 1);
    const size_t total = (size_t)rows * cols;
    for (size_t e = (size_t)blockIdx.x * EW_THREADS + threadIdx.x; e < total;
         e += (size_t)gridDim.x * EW_THREADS) {
        const int c = (int)(e % cols);
        const double coef = __ddiv_rn(__dmul_rn(gamma[c], stats[2 * cols + c]), b);
        double t = __dmul_rn(g[e], b);
        t = __dsub_rn(t, dbeta[c]);
        t = __dsub_rn(t, __dmul_rn(xhat[e], dgamma[c]));
        g[e] = __dmul_rn(t, coef);
    }
}

// y = f(x) element-wise.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
mlp_act_forward(const double* __restrict__ x, double* __restrict__ y, int count, int kind,
                double slope) {
    for (size_t e = (size_t)blockIdx.x * EW_THREADS + threadIdx.x; e < (size_t)count;
         e += (size_t)gridDim.x * EW_THREADS) {
        const double v = x[e];
        double out;
        switch (kind) {
            case ACT_RELU: out = v > 0.0 ? v : 0.0; break;  // f64::max(v, 0): NaN → 0
            case ACT_LEAKY_RELU: out = v > 0.0 ? v : __dmul_rn(v, slope); break;
            case ACT_SIGMOID: out = __ddiv_rn(1.0, __dadd_rn(1.0, exp(-v))); break;
            default: out = tanh(v); break;
        }
        y[e] = out;
    }
}

// g ← g·f'(·) in place: `cache` is the layer's input for ReLU/LeakyReLU
// and its output for Sigmoid/Tanh (what the CPU's tape keeps).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
mlp_act_backward(double* __restrict__ g, const double* __restrict__ cache, int count, int kind,
                 double slope) {
    for (size_t e = (size_t)blockIdx.x * EW_THREADS + threadIdx.x; e < (size_t)count;
         e += (size_t)gridDim.x * EW_THREADS) {
        const double v = cache[e];
        switch (kind) {
            case ACT_RELU:
                if (v <= 0.0) g[e] = 0.0;
                break;
            case ACT_LEAKY_RELU:
                if (v <= 0.0) g[e] = __dmul_rn(g[e], slope);
                break;
            case ACT_SIGMOID: g[e] = __dmul_rn(g[e], __dmul_rn(v, __dsub_rn(1.0, v))); break;
            default: g[e] = __dmul_rn(g[e], __dsub_rn(1.0, __dmul_rn(v, v))); break;
        }
    }
}

// y = x·mask with mask = keep (= 1/(1 − p)) where the byte is 1, else 0:
// dropout's forward and (with x = y = the gradient) its backward. The
// bytes come from the host, drawn from the CPU's dropout stream.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
mlp_dropout(const double* x, const unsigned char* __restrict__ mask, double keep, double* y,
            int count) {
    for (size_t e = (size_t)blockIdx.x * EW_THREADS + threadIdx.x; e < (size_t)count;
         e += (size_t)gridDim.x * EW_THREADS) {
        y[e] = __dmul_rn(x[e], mask[e] != 0 ? keep : 0.0);
    }
}

// The squared-error losses: diff = out − target with target row r at
// target + r·target_rs (target_rs = cols: the batch's own rows, MSELoss;
// 0: one centre row for every row, DeepSVDD's distance); grad = diff·scale
// and partials[blockIdx.x] = Σ diff² over this block's elements
// (thread-strided in order, then a fixed tree). The host adds the
// gridDim.x partials in order and divides (by count for MSELoss, by the
// rows for the centre distance).
extern "C" __global__ void __launch_bounds__(LOSS_THREADS)
mlp_sq_loss(const double* __restrict__ out, const double* __restrict__ target, int cols,
            int target_rs, int count, double scale, double* __restrict__ grad,
            double* __restrict__ partials) {
    __shared__ double part[LOSS_THREADS];
    const int t = threadIdx.x;
    double s = 0.0;
    for (size_t e = (size_t)blockIdx.x * LOSS_THREADS + t; e < (size_t)count;
         e += (size_t)gridDim.x * LOSS_THREADS) {
        const size_t r = e / cols, c = e % cols;
        const double diff = __dsub_rn(out[e], target[r * target_rs + c]);
        grad[e] = __dmul_rn(diff, scale);
        s += diff * diff;
    }
    part[t] = s;
#pragma unroll
    for (int h = LOSS_THREADS / 2; h > 0; h >>= 1) {
        __syncthreads();
        if (t < h) part[t] += part[t + h];
    }
    if (t == 0) partials[blockIdx.x] = part[0];
}

// DeepSVDD's weight-norm penalty for one parameter tensor p (count values),
// one block: norm = √(Σ p²) (thread-strided sums, then a fixed tree),
// written to *norm_out; when norm > 0, g += (coef/norm)·p (torch's norm
// gradient; none at 0), the CPU's add_norm_penalty arithmetic.
extern "C" __global__ void __launch_bounds__(LOSS_THREADS)
mlp_norm_penalty(const double* __restrict__ p, double* __restrict__ g, int count, double coef,
                 double* __restrict__ norm_out) {
    __shared__ double part[LOSS_THREADS];
    const int t = threadIdx.x;
    double s = 0.0;
    for (int e = t; e < count; e += LOSS_THREADS) s += p[e] * p[e];
    part[t] = s;
#pragma unroll
    for (int h = LOSS_THREADS / 2; h > 0; h >>= 1) {
        __syncthreads();
        if (t < h) part[t] += part[t + h];
    }
    __syncthreads();
    const double norm = __dsqrt_rn(part[0]);
    if (t == 0) *norm_out = norm;
    if (norm > 0.0) {
        const double scale = __ddiv_rn(coef, norm);
        for (int e = t; e < count; e += LOSS_THREADS) g[e] = __dadd_rn(g[e], __dmul_rn(scale, p[e]));
    }
}

// One Adam/AdamW step over every parameter (src/nn/optim.rs, torch's
// _single_tensor_adam): the host computes the step's scalars exactly as
// the CPU does (step_size = lr/(1 − β1^t), bias2_sqrt = √(1 − β2^t),
// w1 = 1 − β1, w2 = 1 − β2, decay_factor = 1 − lr·λ).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
mlp_adam(double* __restrict__ p, const double* __restrict__ g, double* __restrict__ m,
         double* __restrict__ v, int count, int decay, double weight_decay, double decay_factor,
         double w1, double beta2, double w2, double step_size, double bias2_sqrt, double eps) {
    for (size_t e = (size_t)blockIdx.x * EW_THREADS + threadIdx.x; e < (size_t)count;
         e += (size_t)gridDim.x * EW_THREADS) {
        double pe = p[e], ge = g[e];
        if (decay == DECAY_L2) {
            ge = __dadd_rn(ge, __dmul_rn(weight_decay, pe));
        } else if (decay == DECAY_DECOUPLED) {
            pe = __dmul_rn(pe, decay_factor);
        }
        double me = m[e];
        // torch's lerp(m, g, w1).
        if (w1 < 0.5) {
            me = __dadd_rn(me, __dmul_rn(w1, __dsub_rn(ge, me)));
        } else {
            me = __dsub_rn(ge, __dmul_rn(__dsub_rn(ge, me), __dsub_rn(1.0, w1)));
        }
        const double ve = __dadd_rn(__dmul_rn(v[e], beta2), __dmul_rn(__dmul_rn(w2, ge), ge));
        const double denom = __dadd_rn(__ddiv_rn(__dsqrt_rn(ve), bias2_sqrt), eps);
        pe = __dadd_rn(pe, __dmul_rn(-step_size, __ddiv_rn(me, denom)));
        p[e] = pe;
        m[e] = me;
        v[e] = ve;
    }
}
