//! Training the MLP engine's networks on the GPU (`kernels/mlp.cu`): the
//! parameters, Adam moments, batch-norm running statistics and the
//! training rows live on the device; each batch step (gather the batch's
//! rows, forward, the loss and its gradient, backward, Adam/AdamW) is a
//! fixed sequence of kernel launches and one small copy back (the loss's
//! partial sums). The losses are the AutoEncoder's `MSELoss` and DeepSVDD's
//! centre distance with its weight-norm penalty ([`Objective`]); the layers
//! are the engine's: Linear, train-mode BatchNorm1d, ReLU, LeakyReLU,
//! Sigmoid, Tanh, Dropout.
//!
//! This module knows nothing of `crate::nn` (the `gpu` module is the lowest
//! layer): the network arrives as a [`Stack`], a plain description of its
//! layers, with its parameters flattened in the CPU's `Mlp::params` order
//! and its running statistics packed per batch-norm layer (mean, then
//! variance). `src/nn/gpu.rs` converts an `Mlp` into that, decides the
//! batches (row indices, the CPU's own seeded shuffles) and draws the
//! dropout masks from the CPU's dropout stream, in the CPU's order, so the
//! same rows meet the same masks in the same order as on the CPU.
//!
//! # What equals the CPU
//!
//! * Bit for bit, given the same inputs: every element-wise step (bias
//!   add, batch-norm normalisation, affine and input-gradient formulas,
//!   running-statistics update, ReLU/LeakyReLU and their gradients,
//!   dropout, the loss gradients, the norm penalty's gradient, and the
//!   whole Adam/AdamW update with its bias corrections, computed on the
//!   host with the CPU's code). The kernels write these with
//!   round-to-nearest intrinsics in the CPU's operation order, so no
//!   multiply-add is fused.
//! * Not bit for bit: sums. A GEMM dot product runs in k order in one
//!   thread with fused multiply-adds (OpenBLAS blocks and vectorises its
//!   own way); column sums (bias gradients, batch-norm mean, variance, dγ,
//!   dβ), the loss and the weight norms go through fixed trees; `exp`
//!   (sigmoid) and `tanh` are CUDA's, within 2 ulp of libm. Each such value
//!   differs from the CPU's by a few units in the last place relative to
//!   the magnitudes summed (at most about `K·2⁻⁵³·Σ|terms|` for K terms,
//!   in practice ~√K ulp).
//!
//! Training feeds these differences back through every step, so the GPU's
//! per-epoch losses are within a tolerance of the CPU's, not equal: the
//! relative difference of epoch `e`'s mean loss (0-based) is within
//! [`epoch_loss_tolerance`]`(e) = 1e-9 · 2^(e/8)`: 1e-9 for the first
//! epochs, doubling every 8 epochs (1.6e-8 by epoch 32). Why this bound:
//!
//! * one step's gradient differs from the CPU's by a few ulp relative
//!   (the sums above, over batches of 32-1000 rows and widths of a few
//!   hundred); Adam moves a weight by `lr·m/(√v + eps)`, so a weight's
//!   difference grows by about `lr` times that per step and stays ~1e-10
//!   relative, and the epoch's mean loss, an average over thousands of
//!   values at a point where its gradient is small, moves far less;
//! * measured: the host emulation of these kernels (`src/gpu/mlp/host.rs`:
//!   the kernels' sums in their order with their fused multiply-adds,
//!   libm's exp/tanh) against the CPU with the AutoEncoder's defaults on
//!   cardio and satimage-2 gives per-epoch losses within 7.4e-16 relative
//!   and weights within 1.5e-10 over 80 epochs, neither growing after the
//!   first few epochs (DeepSVDD's defaults, 60 epochs: 3.6e-16 and
//!   6e-14); swapping OpenBLAS's kernels on the CPU
//!   (Prescott/Haswell/Zen/SkylakeX) moves them by at most 3.5e-16 over 40
//!   epochs;
//! * the bound keeps six orders of magnitude above that for what the
//!   emulation does not model (CUDA's exp and tanh, ±2 ulp) and for data
//!   or settings on which training is less stable, and doubles every 8
//!   epochs because a perturbation can grow exponentially where ReLU units
//!   switch on and off or a batch variance is tiny. A wrong gradient, a
//!   wrong mask or a wrong Adam step shows up at 1e-6 or more.
//!
//! DeepSVDD keeps the epoch whose summed batch losses are lowest; where
//! two epochs' sums are within the tolerance of each other the GPU may
//! keep the other one (its weights then differ by one epoch's training).
//!
//! Run to run on the same GPU the answer is identical: every sum is in a
//! fixed order (no atomics; the grids are fixed by the data's sizes, never
//! by the device), the batches and masks are the CPU's seeded ones, and
//! the kernels are the same compiled code. A different GPU model (another
//! CUBIN, or the PTX JIT-compiled) may round differently.

use super::driver::driver_err;
use super::{Gpu, GpuError, Kernels};
use cudarc::driver::{CudaFunction, CudaSlice, DevicePtr, LaunchConfig, PushKernelArg};
use std::sync::Arc;

#[cfg(test)]
pub(crate) mod host;

/// The element-wise activations (the CPU's `Layer` variants).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Relu,
    LeakyRelu { slope: f64 },
    Sigmoid,
    Tanh,
}

impl Activation {
    /// The kernels' kind code (`ACT_*` in kernels/mlp.cu) and slope.
    fn code(self) -> (i32, f64) {
        match self {
            Activation::Relu => (0, 0.0),
            Activation::LeakyRelu { slope } => (1, slope),
            Activation::Sigmoid => (2, 0.0),
            Activation::Tanh => (3, 0.0),
        }
    }

    /// Whether the backward pass reads the layer's input (else its output).
    fn grad_from_input(self) -> bool {
        matches!(self, Activation::Relu | Activation::LeakyRelu { .. })
    }
}

/// One layer, as the kernels see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// `y = x Wᵀ + b`, the weight `outputs × inputs` row-major, then the
    /// bias, in the parameter buffer.
    Linear {
        inputs: usize,
        outputs: usize,
        bias: bool,
    },
    /// Train-mode batch norm: γ then β in the parameter buffer, running
    /// mean then running variance in the running buffer.
    BatchNorm {
        dim: usize,
        eps: f64,
        momentum: f64,
    },
    Activation(Activation),
    /// Dropout with rate `p`; the masks come with each batch.
    Dropout {
        p: f64,
    },
}

/// A feed-forward network: `inputs` columns in, then `ops` in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub inputs: usize,
    pub ops: Vec<Op>,
}

impl Stack {
    /// The width after each op, or why the widths do not fit together.
    pub fn widths(&self) -> Result<Vec<usize>, GpuError> {
        let mut width = self.inputs;
        let mut out = Vec::with_capacity(self.ops.len());
        for (i, op) in self.ops.iter().enumerate() {
            width = match *op {
                Op::Linear {
                    inputs, outputs, ..
                } if inputs == width => outputs,
                Op::BatchNorm { dim, .. } if dim == width => dim,
                Op::Linear { .. } | Op::BatchNorm { .. } => {
                    return Err(GpuError::NotApplicable(format!(
                        "layer {i} does not take {width} inputs"
                    )));
                }
                Op::Activation(_) | Op::Dropout { .. } => width,
            };
            out.push(width);
        }
        Ok(out)
    }

    /// The output width.
    pub fn outputs(&self) -> usize {
        self.widths()
            .ok()
            .and_then(|w| w.last().copied())
            .unwrap_or(self.inputs)
    }

    /// The trainable tensors' sizes, in the CPU's `Mlp::params` order
    /// (weight then bias; γ then β).
    pub fn param_sizes(&self) -> Vec<usize> {
        let mut v = Vec::new();
        for op in &self.ops {
            match *op {
                Op::Linear {
                    inputs,
                    outputs,
                    bias,
                } => {
                    v.push(inputs * outputs);
                    if bias {
                        v.push(outputs);
                    }
                }
                Op::BatchNorm { dim, .. } => v.extend([dim, dim]),
                _ => {}
            }
        }
        v
    }

    /// Values in the packed running statistics (mean and variance of every
    /// batch-norm layer, in layer order).
    pub fn running_len(&self) -> usize {
        self.ops
            .iter()
            .map(|op| match op {
                Op::BatchNorm { dim, .. } => 2 * dim,
                _ => 0,
            })
            .sum()
    }

    /// Mask bytes per batch row: the widths of the dropout layers.
    pub fn mask_width(&self) -> usize {
        let Ok(widths) = self.widths() else { return 0 };
        self.ops
            .iter()
            .zip(widths)
            .map(|(op, w)| {
                if matches!(op, Op::Dropout { .. }) {
                    w
                } else {
                    0
                }
            })
            .sum()
    }
}

/// Adam or AdamW settings (the CPU's `AdamConfig`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamSettings {
    /// AdamW's decoupled decay (`p ← p(1 − lr λ)`) instead of Adam's L2
    /// term added to the gradient.
    pub decoupled: bool,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

/// The bound on the relative difference between the GPU's and the CPU's
/// mean training loss of epoch `epoch` (0-based): `1e-9 · 2^(epoch/8)`
/// (see the module doc for why).
pub fn epoch_loss_tolerance(epoch: usize) -> f64 {
    1e-9 * (epoch as f64 / 8.0).exp2()
}

/// What the network is trained to minimise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective<'a> {
    /// `MSELoss` between the output and the batch's own input rows (an
    /// autoencoder's reconstruction; the CPU's `nn::mse`).
    Reconstruction,
    /// DeepSVDD's: the mean over rows of `‖y − centre‖²`
    /// (`nn::centre_distance`) plus `penalty · Σ_t ‖p_t‖_F` over every
    /// parameter tensor (`nn::add_norm_penalty`).
    Centre { centre: &'a [f64], penalty: f64 },
}

/// The loss as the trainer keeps it (the centre is on the device).
#[derive(Debug, Clone, Copy, PartialEq)]
enum LossKind {
    Reconstruction,
    Centre { penalty: f64 },
}

/// What a trainer starts from.
#[derive(Debug, Clone, Copy)]
pub struct Init<'a> {
    /// Every parameter, flattened in [`Stack::param_sizes`] order.
    pub params: &'a [f64],
    /// The packed running statistics ([`Stack::running_len`] values).
    pub running: &'a [f64],
    /// The training rows, row-major `rows × stack.inputs`.
    pub data: &'a [f64],
    pub rows: usize,
    /// The largest batch a step will get.
    pub max_batch: usize,
    pub adam: AdamSettings,
    pub objective: Objective<'a>,
}

// ---------------------------------------------------------------------
// Placement: where every layer's values live in the device buffers.

/// The device buffers (f64), indexed by `as usize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Buf {
    /// The training rows.
    Data,
    /// Every layer's input and output, `max_batch` rows each.
    Acts,
    /// Batch norm's x̂ per layer.
    Xhat,
    /// Batch norm's batch mean, variance and 1/√(var + eps) per layer.
    Stats,
    Running,
    Params,
    Grads,
    AdamM,
    AdamV,
    /// The two gradient buffers the backward pass alternates between.
    GradA,
    GradB,
    /// The loss's per-block partial sums, then the norm penalty's
    /// per-tensor norms.
    Partials,
    /// DeepSVDD's centre.
    Centre,
}

pub(crate) const BUFS: usize = 13;

/// An f64 position: a buffer and an element offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    pub buf: Buf,
    pub off: usize,
}

fn at(buf: Buf, off: usize) -> At {
    At { buf, off }
}

/// `C (m × n, row-major) = A·B (+ bias)`, `A(i, k) = a[i·a_rs + k·a_cs]`,
/// `B(k, j) = b[k·b_rs + j·b_cs]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gemm {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: At,
    pub a_rs: usize,
    pub a_cs: usize,
    pub b: At,
    pub b_rs: usize,
    pub b_cs: usize,
    pub bias: Option<At>,
    pub c: At,
}

/// A squared-error loss: `diff = out − target` with target row r at
/// `target + r·target_rs`, `grad = diff·scale`, `blocks` partial sums of
/// `diff²` into `Partials`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqLoss {
    pub out: At,
    pub target: At,
    pub target_rs: usize,
    pub cols: usize,
    pub count: usize,
    pub scale: f64,
    pub grad: At,
    pub blocks: usize,
}

/// One batch-norm layer's positions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BnAt {
    /// mean, var, inv_std (`dim` each).
    pub stats: At,
    /// running mean, running var (`dim` each).
    pub running: At,
    pub gamma: At,
    pub beta: At,
    pub dgamma: At,
    pub dbeta: At,
    pub xhat: At,
}

/// One batch-norm step's scalars.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BnConsts {
    pub eps: f64,
    pub momentum: f64,
    pub one_minus_momentum: f64,
    /// `b/(b − 1)` (1 for one row): the running variance is unbiased.
    pub unbias: f64,
}

/// One Adam step's scalars, computed on the host with the CPU's code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamStep {
    /// 0: none, 1: L2 (added to the gradient), 2: decoupled.
    pub decay: i32,
    pub weight_decay: f64,
    pub decay_factor: f64,
    pub w1: f64,
    pub beta2: f64,
    pub w2: f64,
    pub step_size: f64,
    pub bias2_sqrt: f64,
    pub eps: f64,
}

impl AdamStep {
    /// Step `t` (1-based) of `s`: `Adam::step`'s scalars, the same
    /// expressions in the same order.
    pub(crate) fn new(s: &AdamSettings, t: u64) -> Self {
        let tf = t as f64;
        let bias1 = 1.0 - s.beta1.powf(tf);
        let bias2_sqrt = (1.0 - s.beta2.powf(tf)).sqrt();
        let decay = match (s.decoupled, s.weight_decay != 0.0) {
            (_, false) => 0,
            (false, true) => 1,
            (true, true) => 2,
        };
        Self {
            decay,
            weight_decay: s.weight_decay,
            decay_factor: 1.0 - s.lr * s.weight_decay,
            w1: 1.0 - s.beta1,
            beta2: s.beta2,
            w2: 1.0 - s.beta2,
            step_size: s.lr / bias1,
            bias2_sqrt,
            eps: s.eps,
        }
    }
}

/// A layer with its positions.
#[derive(Debug, Clone, Copy)]
struct Placed {
    op: Op,
    /// Offsets in `Acts` of the layer's input and output.
    input: usize,
    output: usize,
    out_width: usize,
    /// Linear: weight then bias; batch norm: γ then β.
    param: usize,
    bias: Option<usize>,
    bn: Option<BnAt>,
    /// Dropout: the mask-byte columns before this layer's (its mask starts
    /// at `rows · mask_prefix` in a batch's masks).
    mask_prefix: usize,
}

/// Where everything lives, for batches of up to `max_batch` rows.
#[derive(Debug, Clone)]
struct Plan {
    placed: Vec<Placed>,
    inputs: usize,
    outputs: usize,
    max_batch: usize,
    /// The first layer with parameters: the backward pass stops there.
    first_param: usize,
    mask_width: usize,
    /// Every parameter tensor's (offset, length), in order.
    tensors: Vec<(usize, usize)>,
    sizes: [usize; BUFS],
}

/// The loss kernel's grid for `count` values: fixed by the data's size
/// (never by the device), so its partial sums are the same on every run.
pub(crate) fn loss_blocks(count: usize) -> usize {
    count.div_ceil(LOSS_THREADS * 8).clamp(1, MAX_LOSS_BLOCKS)
}

const LOSS_THREADS: usize = 256;
const MAX_LOSS_BLOCKS: usize = 256;
const EW_THREADS: u32 = 256;
const GEMM_TILE: usize = 16;
const RED_COLS: usize = 32;
const RED_LANES: u32 = 16;
/// CUDA's grid limit in y (GEMM rows / GEMM_TILE).
const MAX_GRID_Y: usize = 65_535;

fn int(v: usize, what: &str) -> Result<i32, GpuError> {
    i32::try_from(v).map_err(|_| {
        GpuError::NotApplicable(format!("{what} = {v} is past the kernels' 32-bit sizes"))
    })
}

impl Plan {
    fn new(stack: &Stack, rows: usize, max_batch: usize) -> Result<Self, GpuError> {
        let na = |m: String| Err(GpuError::NotApplicable(m));
        if stack.inputs == 0 || max_batch == 0 {
            return na("an empty network or batch".into());
        }
        let widths = stack.widths()?;
        if widths.contains(&0) {
            return na("a layer of width 0".into());
        }
        let Some(first_param) = stack
            .ops
            .iter()
            .position(|op| matches!(op, Op::Linear { .. } | Op::BatchNorm { .. }))
        else {
            return na("a network without parameters".into());
        };
        let mut placed = Vec::with_capacity(stack.ops.len());
        let mut act = max_batch * stack.inputs;
        let mut input = 0;
        let (mut param, mut bn_cols, mut mask_prefix) = (0usize, 0usize, 0usize);
        let mut max_width = stack.inputs;
        for (op, &w) in stack.ops.iter().zip(&widths) {
            let mut p = Placed {
                op: *op,
                input,
                output: act,
                out_width: w,
                param,
                bias: None,
                bn: None,
                mask_prefix,
            };
            match *op {
                Op::Linear {
                    inputs,
                    outputs,
                    bias,
                } => {
                    param += inputs * outputs;
                    if bias {
                        p.bias = Some(param);
                        param += outputs;
                    }
                }
                Op::BatchNorm { dim, .. } => {
                    p.bn = Some(BnAt {
                        stats: at(Buf::Stats, 3 * bn_cols),
                        running: at(Buf::Running, 2 * bn_cols),
                        gamma: at(Buf::Params, param),
                        beta: at(Buf::Params, param + dim),
                        dgamma: at(Buf::Grads, param),
                        dbeta: at(Buf::Grads, param + dim),
                        xhat: at(Buf::Xhat, max_batch * bn_cols),
                    });
                    param += 2 * dim;
                    bn_cols += dim;
                }
                Op::Dropout { .. } => mask_prefix += w,
                Op::Activation(_) => {}
            }
            placed.push(p);
            input = act;
            act += max_batch * w;
            max_width = max_width.max(w);
        }
        let grad = max_batch * max_width;
        let mut sizes = [0usize; BUFS];
        sizes[Buf::Data as usize] = rows * stack.inputs;
        sizes[Buf::Acts as usize] = act;
        sizes[Buf::Xhat as usize] = max_batch * bn_cols;
        sizes[Buf::Stats as usize] = 3 * bn_cols;
        sizes[Buf::Running as usize] = 2 * bn_cols;
        for b in [Buf::Params, Buf::Grads, Buf::AdamM, Buf::AdamV] {
            sizes[b as usize] = param;
        }
        sizes[Buf::GradA as usize] = grad;
        sizes[Buf::GradB as usize] = grad;
        let mut tensors = Vec::new();
        let mut off = 0;
        for len in stack.param_sizes() {
            tensors.push((off, len));
            off += len;
        }
        sizes[Buf::Partials as usize] = MAX_LOSS_BLOCKS + tensors.len();
        sizes[Buf::Centre as usize] = *widths.last().unwrap_or(&stack.inputs);
        // Every count and offset the kernels take must fit their ints.
        for (s, what) in [
            (rows, "rows"),
            (sizes[Buf::Data as usize], "data values"),
            (act, "layer values per batch"),
            (param, "parameters"),
            (max_batch * mask_prefix.max(1), "dropout mask values"),
        ] {
            int(s, what)?;
        }
        if max_batch.div_ceil(GEMM_TILE) > MAX_GRID_Y || max_width.div_ceil(GEMM_TILE) > MAX_GRID_Y
        {
            return na(format!("a batch of {max_batch} rows"));
        }
        Ok(Plan {
            placed,
            inputs: stack.inputs,
            outputs: *widths.last().unwrap_or(&stack.inputs),
            max_batch,
            first_param,
            mask_width: mask_prefix,
            tensors,
            sizes,
        })
    }
}

// ---------------------------------------------------------------------
// The backend: the GPU, or (tests) a host emulation of the same kernels.

/// The kernels, as operations on buffer positions. [`GpuBackend`] launches
/// them; the tests' host emulation (`host.rs`) runs the same arithmetic on
/// the CPU, so the step logic below is checked without a GPU.
pub(crate) trait Backend {
    /// The GPU to hold exclusively while a trainer call runs, if any.
    fn gpu(&self) -> Option<Arc<Gpu>>;
    /// Allocate the buffers (zeroed), `idx_len` row indices and
    /// `mask_len` mask bytes.
    fn alloc(
        &mut self,
        sizes: &[usize; BUFS],
        idx_len: usize,
        mask_len: usize,
    ) -> Result<(), GpuError>;
    fn write(&mut self, to: At, data: &[f64]) -> Result<(), GpuError>;
    /// Copy back (waits for every launch before it).
    fn read(&mut self, from: At, len: usize) -> Result<Vec<f64>, GpuError>;
    fn upload_batch(&mut self, idx: &[i32], mask: &[u8]) -> Result<(), GpuError>;
    /// `out` = the uploaded rows of `Data` (`d` columns).
    fn gather(&mut self, rows: usize, d: usize, out: At) -> Result<(), GpuError>;
    fn gemm(&mut self, g: &Gemm) -> Result<(), GpuError>;
    fn col_sum(&mut self, a: At, rows: usize, cols: usize, out: At) -> Result<(), GpuError>;
    fn bn_stats(
        &mut self,
        x: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
        c: &BnConsts,
    ) -> Result<(), GpuError>;
    fn bn_apply(
        &mut self,
        x: At,
        y: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError>;
    fn bn_backward_reduce(
        &mut self,
        g: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError>;
    fn bn_backward_apply(
        &mut self,
        g: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError>;
    fn act_forward(&mut self, x: At, y: At, count: usize, a: Activation) -> Result<(), GpuError>;
    fn act_backward(
        &mut self,
        g: At,
        cache: At,
        count: usize,
        a: Activation,
    ) -> Result<(), GpuError>;
    /// `y = x·mask` with the uploaded mask bytes from `mask_off` on.
    fn dropout(
        &mut self,
        x: At,
        mask_off: usize,
        keep: f64,
        y: At,
        count: usize,
    ) -> Result<(), GpuError>;
    fn sq_loss(&mut self, l: &SqLoss) -> Result<(), GpuError>;
    /// One tensor's norm into `norm_out`, and `coef·p/‖p‖` added to its
    /// gradient.
    fn norm_penalty(
        &mut self,
        p: At,
        g: At,
        count: usize,
        coef: f64,
        norm_out: At,
    ) -> Result<(), GpuError>;
    /// Adam over the first `count` values of Params/Grads/AdamM/AdamV.
    fn adam(&mut self, count: usize, s: &AdamStep) -> Result<(), GpuError>;
}

// ---------------------------------------------------------------------
// The trainer.

/// A network being trained on a device: one [`Trainer::step`] per batch.
pub struct Trainer {
    backend: Box<dyn Backend>,
    plan: Plan,
    adam: AdamSettings,
    loss: LossKind,
    step: u64,
    rows: usize,
    idx: Vec<i32>,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("step", &self.step)
            .field("rows", &self.rows)
            .finish()
    }
}

impl Trainer {
    /// Upload the network, its optimiser state (zero moments, step 0, as
    /// `Adam::for_params`) and the training rows to `gpu`.
    pub fn new(gpu: &Arc<Gpu>, stack: &Stack, init: Init<'_>) -> Result<Self, GpuError> {
        Self::with_backend(Box::new(GpuBackend::new(gpu.clone())?), stack, init)
    }

    pub(crate) fn with_backend(
        mut backend: Box<dyn Backend>,
        stack: &Stack,
        init: Init<'_>,
    ) -> Result<Self, GpuError> {
        let plan = Plan::new(stack, init.rows, init.max_batch)?;
        let na = |m: &str| Err(GpuError::NotApplicable(m.to_string()));
        if init.params.len() != plan.sizes[Buf::Params as usize] {
            return na("parameters do not match the network");
        }
        if init.running.len() != plan.sizes[Buf::Running as usize] {
            return na("running statistics do not match the network");
        }
        if init.data.len() != plan.sizes[Buf::Data as usize] {
            return na("training rows do not match the network's inputs");
        }
        let (loss, centre) = match init.objective {
            Objective::Reconstruction if plan.outputs != plan.inputs => {
                return na("a reconstruction needs as many outputs as inputs");
            }
            Objective::Reconstruction => (LossKind::Reconstruction, None),
            Objective::Centre { centre, .. } if centre.len() != plan.outputs => {
                return na("the centre does not match the network's outputs");
            }
            Objective::Centre { centre, penalty } => (LossKind::Centre { penalty }, Some(centre)),
        };
        let gpu = backend.gpu();
        let _guard = gpu.as_deref().map(Gpu::lock);
        backend.alloc(
            &plan.sizes,
            plan.max_batch,
            plan.max_batch * plan.mask_width,
        )?;
        backend.write(at(Buf::Data, 0), init.data)?;
        backend.write(at(Buf::Params, 0), init.params)?;
        backend.write(at(Buf::Running, 0), init.running)?;
        if let Some(c) = centre {
            backend.write(at(Buf::Centre, 0), c)?;
        }
        Ok(Trainer {
            backend,
            plan,
            adam: init.adam,
            loss,
            step: 0,
            rows: init.rows,
            idx: Vec::with_capacity(init.max_batch),
        })
    }

    /// Mask bytes a step of `rows` rows takes: for each dropout layer in
    /// order, `rows × width` bytes row-major, 1 where the value is kept.
    pub fn mask_len(&self, rows: usize) -> usize {
        rows * self.plan.mask_width
    }

    /// One training step on the training rows `rows` (in that order) with
    /// these dropout masks: forward in train mode (batch statistics folded
    /// into the running ones), loss, backward, one Adam step. Returns the
    /// batch's loss.
    pub fn step(&mut self, rows: &[usize], masks: &[u8]) -> Result<f64, GpuError> {
        let gpu = self.backend.gpu();
        let _guard = gpu.as_deref().map(Gpu::lock);
        let b = rows.len();
        if b == 0 || b > self.plan.max_batch {
            return Err(GpuError::NotApplicable(format!(
                "a batch of {b} rows (at most {})",
                self.plan.max_batch
            )));
        }
        if masks.len() != self.mask_len(b) {
            return Err(GpuError::NotApplicable(
                "dropout masks of the wrong size".into(),
            ));
        }
        self.idx.clear();
        for &r in rows {
            if r >= self.rows {
                return Err(GpuError::NotApplicable(format!("row {r} out of range")));
            }
            self.idx.push(r as i32); // rows < 2^31: checked by Plan::new
        }
        let be = &mut *self.backend;
        let plan = &self.plan;
        be.upload_batch(&self.idx, masks)?;
        let acts = |off| at(Buf::Acts, off);
        be.gather(b, plan.inputs, acts(0))?;

        for p in &plan.placed {
            let (x, y, count) = (acts(p.input), acts(p.output), b * p.out_width);
            match p.op {
                Op::Linear {
                    inputs, outputs, ..
                } => be.gemm(&Gemm {
                    m: b,
                    n: outputs,
                    k: inputs,
                    a: x,
                    a_rs: inputs,
                    a_cs: 1,
                    b: at(Buf::Params, p.param),
                    b_rs: 1,
                    b_cs: inputs,
                    bias: p.bias.map(|o| at(Buf::Params, o)),
                    c: y,
                })?,
                Op::BatchNorm { dim, eps, momentum } => {
                    let bn = bn_of(p)?;
                    let rows_f = b as f64;
                    let consts = BnConsts {
                        eps,
                        momentum,
                        one_minus_momentum: 1.0 - momentum,
                        unbias: if rows_f > 1.0 {
                            rows_f / (rows_f - 1.0)
                        } else {
                            1.0
                        },
                    };
                    be.bn_stats(x, b, dim, &bn, &consts)?;
                    be.bn_apply(x, y, b, dim, &bn)?;
                }
                Op::Activation(a) => be.act_forward(x, y, count, a)?,
                Op::Dropout { p: rate } => {
                    be.dropout(x, b * p.mask_prefix, 1.0 / (1.0 - rate), y, count)?
                }
            }
        }

        // The loss's gradient with respect to the output (its value is
        // read back at the end of the step).
        let out = plan.placed.last().map_or(0, |p| p.output);
        let count = b * plan.outputs;
        let blocks = loss_blocks(count);
        let (target, target_rs, divisor) = match self.loss {
            // nn::mse: Σ diff² / N, gradient 2·diff/N over N = every value.
            LossKind::Reconstruction => (acts(0), plan.outputs, count.max(1) as f64),
            // nn::centre_distance: Σ_rows ‖y − c‖² / b, gradient 2·diff/b.
            LossKind::Centre { .. } => (at(Buf::Centre, 0), 0, b.max(1) as f64),
        };
        be.sq_loss(&SqLoss {
            out: acts(out),
            target,
            target_rs,
            cols: plan.outputs,
            count,
            scale: 2.0 / divisor,
            grad: at(Buf::GradA, 0),
            blocks,
        })?;

        // Backward, down to the first layer with parameters.
        let mut cur = Buf::GradA;
        for (l, p) in plan.placed.iter().enumerate().rev() {
            if l < plan.first_param {
                break;
            }
            let g = at(cur, 0);
            match p.op {
                Op::Linear {
                    inputs, outputs, ..
                } => {
                    // dW = dYᵀ·X, db = Σ_rows dY, dX = dY·W.
                    be.gemm(&Gemm {
                        m: outputs,
                        n: inputs,
                        k: b,
                        a: g,
                        a_rs: 1,
                        a_cs: outputs,
                        b: acts(p.input),
                        b_rs: inputs,
                        b_cs: 1,
                        bias: None,
                        c: at(Buf::Grads, p.param),
                    })?;
                    if let Some(o) = p.bias {
                        be.col_sum(g, b, outputs, at(Buf::Grads, o))?;
                    }
                    if l > plan.first_param {
                        let next = if cur == Buf::GradA {
                            Buf::GradB
                        } else {
                            Buf::GradA
                        };
                        be.gemm(&Gemm {
                            m: b,
                            n: inputs,
                            k: outputs,
                            a: g,
                            a_rs: outputs,
                            a_cs: 1,
                            b: at(Buf::Params, p.param),
                            b_rs: inputs,
                            b_cs: 1,
                            bias: None,
                            c: at(next, 0),
                        })?;
                        cur = next;
                    }
                }
                Op::BatchNorm { dim, .. } => {
                    let bn = bn_of(p)?;
                    be.bn_backward_reduce(g, b, dim, &bn)?;
                    if l > plan.first_param {
                        be.bn_backward_apply(g, b, dim, &bn)?;
                    }
                }
                Op::Activation(a) => {
                    let cache = if a.grad_from_input() {
                        acts(p.input)
                    } else {
                        acts(p.output)
                    };
                    be.act_backward(g, cache, b * p.out_width, a)?;
                }
                Op::Dropout { p: rate } => {
                    be.dropout(g, b * p.mask_prefix, 1.0 / (1.0 - rate), g, b * p.out_width)?
                }
            }
        }

        // nn::add_norm_penalty, after the backward pass and before the
        // step, on the parameters the step starts from.
        let penalty = match self.loss {
            LossKind::Centre { penalty } => Some(penalty),
            LossKind::Reconstruction => None,
        };
        if let Some(coef) = penalty {
            for (t, &(off, len)) in plan.tensors.iter().enumerate() {
                be.norm_penalty(
                    at(Buf::Params, off),
                    at(Buf::Grads, off),
                    len,
                    coef,
                    at(Buf::Partials, MAX_LOSS_BLOCKS + t),
                )?;
            }
        }

        self.step += 1;
        be.adam(
            plan.sizes[Buf::Params as usize],
            &AdamStep::new(&self.adam, self.step),
        )?;
        // The blocks' partial sums added in block order, then divided as
        // the CPU divides; the penalty as add_norm_penalty forms it (norms
        // added in tensor order, times the coefficient) added after.
        let partials = be.read(at(Buf::Partials, 0), plan.sizes[Buf::Partials as usize])?;
        let loss = partials[..blocks].iter().sum::<f64>() / divisor;
        Ok(match penalty {
            Some(coef) => loss + coef * partials[MAX_LOSS_BLOCKS..].iter().sum::<f64>(),
            None => loss,
        })
    }

    /// The parameters now, in [`Stack::param_sizes`] order.
    pub fn params(&mut self) -> Result<Vec<f64>, GpuError> {
        let gpu = self.backend.gpu();
        let _guard = gpu.as_deref().map(Gpu::lock);
        let len = self.plan.sizes[Buf::Params as usize];
        self.backend.read(at(Buf::Params, 0), len)
    }

    /// The packed running statistics now.
    pub fn running(&mut self) -> Result<Vec<f64>, GpuError> {
        let gpu = self.backend.gpu();
        let _guard = gpu.as_deref().map(Gpu::lock);
        let len = self.plan.sizes[Buf::Running as usize];
        self.backend.read(at(Buf::Running, 0), len)
    }
}

fn bn_of(p: &Placed) -> Result<BnAt, GpuError> {
    p.bn.ok_or_else(|| GpuError::NotApplicable("batch norm without its buffers".into()))
}

// ---------------------------------------------------------------------
// The GPU backend.

/// A kernel argument.
enum Arg {
    Ptr(u64),
    Int(i32),
    F64(f64),
}

struct Functions {
    gather: CudaFunction,
    gemm: CudaFunction,
    col_sum: CudaFunction,
    bn_stats: CudaFunction,
    bn_apply: CudaFunction,
    bn_backward_reduce: CudaFunction,
    bn_backward_apply: CudaFunction,
    act_forward: CudaFunction,
    act_backward: CudaFunction,
    dropout: CudaFunction,
    sq_loss: CudaFunction,
    norm_penalty: CudaFunction,
    adam: CudaFunction,
}

/// The kernels of `kernels/mlp.cu` on the process's GPU.
pub(crate) struct GpuBackend {
    gpu: Arc<Gpu>,
    f: Functions,
    bufs: Vec<CudaSlice<f64>>,
    base: [u64; BUFS],
    idx: Option<CudaSlice<i32>>,
    mask: Option<CudaSlice<u8>>,
}

/// Leave this much device memory free (other kernels, the driver).
const MEMORY_MARGIN: usize = 256 << 20;

impl GpuBackend {
    fn new(gpu: Arc<Gpu>) -> Result<Self, GpuError> {
        let load = |name: &str| gpu.function(Kernels::Mlp, name);
        let f = Functions {
            gather: load("mlp_gather_rows")?,
            gemm: load("mlp_gemm")?,
            col_sum: load("mlp_col_sum")?,
            bn_stats: load("mlp_bn_stats")?,
            bn_apply: load("mlp_bn_apply")?,
            bn_backward_reduce: load("mlp_bn_backward_reduce")?,
            bn_backward_apply: load("mlp_bn_backward_apply")?,
            act_forward: load("mlp_act_forward")?,
            act_backward: load("mlp_act_backward")?,
            dropout: load("mlp_dropout")?,
            sq_loss: load("mlp_sq_loss")?,
            norm_penalty: load("mlp_norm_penalty")?,
            adam: load("mlp_adam")?,
        };
        Ok(Self {
            gpu,
            f,
            bufs: Vec::new(),
            base: [0; BUFS],
            idx: None,
            mask: None,
        })
    }

    fn ptr(&self, a: At) -> Arg {
        Arg::Ptr(self.base[a.buf as usize] + (a.off * std::mem::size_of::<f64>()) as u64)
    }

    fn slice_ptr<T>(&self, s: &Option<CudaSlice<T>>) -> u64 {
        s.as_ref().map_or(0, |s| s.device_ptr(self.gpu.stream()).0)
    }

    fn launch(
        &self,
        f: &CudaFunction,
        what: &str,
        cfg: LaunchConfig,
        args: &[Arg],
    ) -> Result<(), GpuError> {
        let mut b = self.gpu.stream().launch_builder(f);
        for a in args {
            match a {
                Arg::Ptr(p) => b.arg(p),
                Arg::Int(i) => b.arg(i),
                Arg::F64(x) => b.arg(x),
            };
        }
        // SAFETY: the arguments match the kernel's parameter list in
        // kernels/mlp.cu (types and order); every pointer is inside a
        // buffer `alloc` sized from the same plan the offsets come from,
        // and the counts are those the plan checked.
        unsafe { b.launch(cfg) }
            .map(|_| ())
            .map_err(driver_err(what))
    }

    /// A grid-stride element-wise launch over `count` values.
    fn elementwise(count: usize) -> LaunchConfig {
        let blocks = count.div_ceil(EW_THREADS as usize).clamp(1, 8192) as u32;
        LaunchConfig {
            grid_dim: (blocks, 1, 1),
            block_dim: (EW_THREADS, 1, 1),
            shared_mem_bytes: 0,
        }
    }

    /// One block per RED_COLS columns.
    fn columns(cols: usize) -> LaunchConfig {
        LaunchConfig {
            grid_dim: (cols.div_ceil(RED_COLS).max(1) as u32, 1, 1),
            block_dim: (RED_COLS as u32, RED_LANES, 1),
            shared_mem_bytes: 0,
        }
    }
}

impl Backend for GpuBackend {
    fn gpu(&self) -> Option<Arc<Gpu>> {
        Some(self.gpu.clone())
    }

    fn alloc(
        &mut self,
        sizes: &[usize; BUFS],
        idx_len: usize,
        mask_len: usize,
    ) -> Result<(), GpuError> {
        let bytes: usize = sizes.iter().map(|&s| s.max(1) * 8).sum::<usize>()
            + idx_len.max(1) * 4
            + mask_len.max(1);
        let free = self.gpu.free_memory()?;
        if bytes.saturating_add(MEMORY_MARGIN) > free {
            return Err(GpuError::NotApplicable(format!(
                "training needs {} MiB of GPU memory, {} MiB are free",
                bytes >> 20,
                free >> 20
            )));
        }
        let stream = self.gpu.stream().clone();
        let mut bufs = Vec::with_capacity(BUFS);
        for &s in sizes {
            bufs.push(
                stream
                    .alloc_zeros::<f64>(s.max(1))
                    .map_err(driver_err("allocation"))?,
            );
        }
        for (i, b) in bufs.iter().enumerate() {
            self.base[i] = b.device_ptr(&stream).0;
        }
        self.bufs = bufs;
        self.idx = Some(
            stream
                .alloc_zeros::<i32>(idx_len.max(1))
                .map_err(driver_err("allocation"))?,
        );
        self.mask = Some(
            stream
                .alloc_zeros::<u8>(mask_len.max(1))
                .map_err(driver_err("allocation"))?,
        );
        Ok(())
    }

    fn write(&mut self, to: At, data: &[f64]) -> Result<(), GpuError> {
        if data.is_empty() {
            return Ok(());
        }
        let stream = self.gpu.stream().clone();
        let buf = &mut self.bufs[to.buf as usize];
        if to.off + data.len() > buf.len() {
            return Err(GpuError::NotApplicable("a write past its buffer".into()));
        }
        let mut view = buf.slice_mut(to.off..to.off + data.len());
        stream
            .memcpy_htod(data, &mut view)
            .map_err(driver_err("copy to the GPU"))
    }

    fn read(&mut self, from: At, len: usize) -> Result<Vec<f64>, GpuError> {
        let stream = self.gpu.stream().clone();
        let buf = &self.bufs[from.buf as usize];
        if from.off + len > buf.len() {
            return Err(GpuError::NotApplicable("a read past its buffer".into()));
        }
        let mut out = vec![0.0; len];
        if len > 0 {
            let view = buf.slice(from.off..from.off + len);
            stream
                .memcpy_dtoh(&view, &mut out[..])
                .map_err(driver_err("copy from the GPU"))?;
        }
        stream.synchronize().map_err(driver_err("synchronize"))?;
        Ok(out)
    }

    fn upload_batch(&mut self, idx: &[i32], mask: &[u8]) -> Result<(), GpuError> {
        let stream = self.gpu.stream().clone();
        if let Some(d) = self.idx.as_mut().filter(|d| d.len() >= idx.len()) {
            stream
                .memcpy_htod(idx, d)
                .map_err(driver_err("copy to the GPU"))?;
        } else {
            return Err(GpuError::NotApplicable("a batch past its buffer".into()));
        }
        if !mask.is_empty() {
            if let Some(d) = self.mask.as_mut().filter(|d| d.len() >= mask.len()) {
                stream
                    .memcpy_htod(mask, d)
                    .map_err(driver_err("copy to the GPU"))?;
            } else {
                return Err(GpuError::NotApplicable("masks past their buffer".into()));
            }
        }
        Ok(())
    }

    fn gather(&mut self, rows: usize, d: usize, out: At) -> Result<(), GpuError> {
        let args = [
            self.ptr(at(Buf::Data, 0)),
            Arg::Int(int(d, "columns")?),
            Arg::Ptr(self.slice_ptr(&self.idx)),
            Arg::Int(int(rows, "rows")?),
            self.ptr(out),
        ];
        self.launch(
            &self.f.gather,
            "mlp_gather_rows",
            Self::elementwise(rows * d),
            &args,
        )
    }

    fn gemm(&mut self, g: &Gemm) -> Result<(), GpuError> {
        let args = [
            Arg::Int(int(g.m, "rows")?),
            Arg::Int(int(g.n, "columns")?),
            Arg::Int(int(g.k, "inner size")?),
            self.ptr(g.a),
            Arg::Int(int(g.a_rs, "stride")?),
            Arg::Int(int(g.a_cs, "stride")?),
            self.ptr(g.b),
            Arg::Int(int(g.b_rs, "stride")?),
            Arg::Int(int(g.b_cs, "stride")?),
            g.bias.map_or(Arg::Ptr(0), |b| self.ptr(b)),
            self.ptr(g.c),
        ];
        let cfg = LaunchConfig {
            grid_dim: (
                g.n.div_ceil(GEMM_TILE).max(1) as u32,
                g.m.div_ceil(GEMM_TILE).max(1) as u32,
                1,
            ),
            block_dim: (GEMM_TILE as u32, GEMM_TILE as u32, 1),
            shared_mem_bytes: 0,
        };
        self.launch(&self.f.gemm, "mlp_gemm", cfg, &args)
    }

    fn col_sum(&mut self, a: At, rows: usize, cols: usize, out: At) -> Result<(), GpuError> {
        let args = [
            self.ptr(a),
            Arg::Int(int(rows, "rows")?),
            Arg::Int(int(cols, "columns")?),
            self.ptr(out),
        ];
        self.launch(&self.f.col_sum, "mlp_col_sum", Self::columns(cols), &args)
    }

    fn bn_stats(
        &mut self,
        x: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
        c: &BnConsts,
    ) -> Result<(), GpuError> {
        let args = [
            self.ptr(x),
            Arg::Int(int(rows, "rows")?),
            Arg::Int(int(cols, "columns")?),
            Arg::F64(c.eps),
            Arg::F64(c.momentum),
            Arg::F64(c.one_minus_momentum),
            Arg::F64(c.unbias),
            self.ptr(bn.stats),
            self.ptr(bn.running),
        ];
        self.launch(&self.f.bn_stats, "mlp_bn_stats", Self::columns(cols), &args)
    }

    fn bn_apply(
        &mut self,
        x: At,
        y: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError> {
        let args = [
            self.ptr(x),
            Arg::Int(int(rows, "rows")?),
            Arg::Int(int(cols, "columns")?),
            self.ptr(bn.stats),
            self.ptr(bn.gamma),
            self.ptr(bn.beta),
            self.ptr(bn.xhat),
            self.ptr(y),
        ];
        self.launch(
            &self.f.bn_apply,
            "mlp_bn_apply",
            Self::elementwise(rows * cols),
            &args,
        )
    }

    fn bn_backward_reduce(
        &mut self,
        g: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError> {
        let args = [
            self.ptr(g),
            self.ptr(bn.xhat),
            Arg::Int(int(rows, "rows")?),
            Arg::Int(int(cols, "columns")?),
            self.ptr(bn.dgamma),
            self.ptr(bn.dbeta),
        ];
        self.launch(
            &self.f.bn_backward_reduce,
            "mlp_bn_backward_reduce",
            Self::columns(cols),
            &args,
        )
    }

    fn bn_backward_apply(
        &mut self,
        g: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError> {
        let args = [
            self.ptr(g),
            self.ptr(bn.xhat),
            Arg::Int(int(rows, "rows")?),
            Arg::Int(int(cols, "columns")?),
            self.ptr(bn.gamma),
            self.ptr(bn.stats),
            self.ptr(bn.dgamma),
            self.ptr(bn.dbeta),
        ];
        self.launch(
            &self.f.bn_backward_apply,
            "mlp_bn_backward_apply",
            Self::elementwise(rows * cols),
            &args,
        )
    }

    fn act_forward(&mut self, x: At, y: At, count: usize, a: Activation) -> Result<(), GpuError> {
        let (kind, slope) = a.code();
        let args = [
            self.ptr(x),
            self.ptr(y),
            Arg::Int(int(count, "values")?),
            Arg::Int(kind),
            Arg::F64(slope),
        ];
        self.launch(
            &self.f.act_forward,
            "mlp_act_forward",
            Self::elementwise(count),
            &args,
        )
    }

    fn act_backward(
        &mut self,
        g: At,
        cache: At,
        count: usize,
        a: Activation,
    ) -> Result<(), GpuError> {
        let (kind, slope) = a.code();
        let args = [
            self.ptr(g),
            self.ptr(cache),
            Arg::Int(int(count, "values")?),
            Arg::Int(kind),
            Arg::F64(slope),
        ];
        self.launch(
            &self.f.act_backward,
            "mlp_act_backward",
            Self::elementwise(count),
            &args,
        )
    }

    fn dropout(
        &mut self,
        x: At,
        mask_off: usize,
        keep: f64,
        y: At,
        count: usize,
    ) -> Result<(), GpuError> {
        let mask = self.slice_ptr(&self.mask) + mask_off as u64;
        let args = [
            self.ptr(x),
            Arg::Ptr(mask),
            Arg::F64(keep),
            self.ptr(y),
            Arg::Int(int(count, "values")?),
        ];
        self.launch(
            &self.f.dropout,
            "mlp_dropout",
            Self::elementwise(count),
            &args,
        )
    }

    fn sq_loss(&mut self, l: &SqLoss) -> Result<(), GpuError> {
        let args = [
            self.ptr(l.out),
            self.ptr(l.target),
            Arg::Int(int(l.cols, "columns")?),
            Arg::Int(int(l.target_rs, "stride")?),
            Arg::Int(int(l.count, "values")?),
            Arg::F64(l.scale),
            self.ptr(l.grad),
            self.ptr(at(Buf::Partials, 0)),
        ];
        let cfg = LaunchConfig {
            grid_dim: (l.blocks.clamp(1, MAX_LOSS_BLOCKS) as u32, 1, 1),
            block_dim: (LOSS_THREADS as u32, 1, 1),
            shared_mem_bytes: 0,
        };
        self.launch(&self.f.sq_loss, "mlp_sq_loss", cfg, &args)
    }

    fn norm_penalty(
        &mut self,
        p: At,
        g: At,
        count: usize,
        coef: f64,
        norm_out: At,
    ) -> Result<(), GpuError> {
        let args = [
            self.ptr(p),
            self.ptr(g),
            Arg::Int(int(count, "values")?),
            Arg::F64(coef),
            self.ptr(norm_out),
        ];
        let cfg = LaunchConfig {
            grid_dim: (1, 1, 1),
            block_dim: (LOSS_THREADS as u32, 1, 1),
            shared_mem_bytes: 0,
        };
        self.launch(&self.f.norm_penalty, "mlp_norm_penalty", cfg, &args)
    }

    fn adam(&mut self, count: usize, s: &AdamStep) -> Result<(), GpuError> {
        let args = [
            self.ptr(at(Buf::Params, 0)),
            self.ptr(at(Buf::Grads, 0)),
            self.ptr(at(Buf::AdamM, 0)),
            self.ptr(at(Buf::AdamV, 0)),
            Arg::Int(int(count, "parameters")?),
            Arg::Int(s.decay),
            Arg::F64(s.weight_decay),
            Arg::F64(s.decay_factor),
            Arg::F64(s.w1),
            Arg::F64(s.beta2),
            Arg::F64(s.w2),
            Arg::F64(s.step_size),
            Arg::F64(s.bias2_sqrt),
            Arg::F64(s.eps),
        ];
        self.launch(&self.f.adam, "mlp_adam", Self::elementwise(count), &args)
    }
}

#[cfg(test)]
mod tests;
