//! A host emulation of `kernels/mlp.cu` for the tests: every kernel as a
//! plain loop over the same buffer positions, with its sums in the
//! kernel's order (a dot product in k order; column sums over RED_LANES
//! strided row lanes and the same tree; the loss over the same blocks and
//! tree) and its element-wise formulas in the same operation order. The
//! multiply-adds the GPU's compiler fuses in those sums (`s += a·b`) are
//! fused here too (`mul_add`); what it does not reproduce is CUDA's
//! exp/tanh (libm's here). It lets the tests run the
//! trainer's step logic (placements, strides and transposes, backward
//! order, masks, Adam) against the CPU engine without a GPU.

use super::{
    Activation, AdamStep, At, BUFS, Backend, BnAt, BnConsts, Buf, Gemm, LOSS_THREADS, RED_LANES,
    SqLoss,
};
use crate::gpu::{Gpu, GpuError};
use std::sync::Arc;

fn at(buf: Buf) -> At {
    At { buf, off: 0 }
}

/// The kernels' block tree: halves added pairwise until one value is left.
fn tree(mut part: Vec<f64>) -> f64 {
    let mut h = part.len() / 2;
    while h > 0 {
        for t in 0..h {
            part[t] += part[t + h];
        }
        h /= 2;
    }
    part[0]
}

#[derive(Debug, Default)]
pub(crate) struct HostBackend {
    bufs: Vec<Vec<f64>>,
    idx: Vec<i32>,
    mask: Vec<u8>,
}

impl HostBackend {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn get(&self, a: At, i: usize) -> f64 {
        self.bufs[a.buf as usize][a.off + i]
    }

    fn set(&mut self, a: At, i: usize, v: f64) {
        self.bufs[a.buf as usize][a.off + i] = v;
    }

    /// A column's sum as the reduction kernels form it: lane t sums rows
    /// t, t + RED_LANES, ... in order, then the lanes meet in a fixed tree.
    /// `value(r)` gives row r's (a, b): the term is a·b, fused into the
    /// running sum as the kernels' `s += a * b` is (b = 1 for a plain sum).
    fn lane_sum(rows: usize, value: impl Fn(usize) -> (f64, f64)) -> f64 {
        let lanes = RED_LANES as usize;
        let mut part = vec![0.0; lanes];
        for (t, p) in part.iter_mut().enumerate() {
            let mut s = 0.0;
            let mut r = t;
            while r < rows {
                let (a, b) = value(r);
                s = a.mul_add(b, s);
                r += lanes;
            }
            *p = s;
        }
        tree(part)
    }
}

impl Backend for HostBackend {
    fn gpu(&self) -> Option<Arc<Gpu>> {
        None
    }

    fn alloc(
        &mut self,
        sizes: &[usize; BUFS],
        idx_len: usize,
        mask_len: usize,
    ) -> Result<(), GpuError> {
        self.bufs = sizes.iter().map(|&s| vec![0.0; s.max(1)]).collect();
        self.idx = vec![0; idx_len.max(1)];
        self.mask = vec![0; mask_len.max(1)];
        Ok(())
    }

    fn write(&mut self, to: At, data: &[f64]) -> Result<(), GpuError> {
        self.bufs[to.buf as usize][to.off..to.off + data.len()].copy_from_slice(data);
        Ok(())
    }

    fn read(&mut self, from: At, len: usize) -> Result<Vec<f64>, GpuError> {
        Ok(self.bufs[from.buf as usize][from.off..from.off + len].to_vec())
    }

    fn upload_batch(&mut self, idx: &[i32], mask: &[u8]) -> Result<(), GpuError> {
        self.idx[..idx.len()].copy_from_slice(idx);
        self.mask[..mask.len()].copy_from_slice(mask);
        Ok(())
    }

    fn gather(&mut self, rows: usize, d: usize, out: At) -> Result<(), GpuError> {
        for r in 0..rows {
            let src = self.idx[r] as usize;
            for c in 0..d {
                let v = self.get(
                    At {
                        buf: Buf::Data,
                        off: 0,
                    },
                    src * d + c,
                );
                self.set(out, r * d + c, v);
            }
        }
        Ok(())
    }

    fn gemm(&mut self, g: &Gemm) -> Result<(), GpuError> {
        let mut c = vec![0.0; g.m * g.n];
        for i in 0..g.m {
            for j in 0..g.n {
                let mut acc = 0.0;
                for k in 0..g.k {
                    acc = self
                        .get(g.a, i * g.a_rs + k * g.a_cs)
                        .mul_add(self.get(g.b, k * g.b_rs + j * g.b_cs), acc);
                }
                c[i * g.n + j] = match g.bias {
                    Some(b) => acc + self.get(b, j),
                    None => acc,
                };
            }
        }
        self.write(g.c, &c)
    }

    fn col_sum(&mut self, a: At, rows: usize, cols: usize, out: At) -> Result<(), GpuError> {
        for c in 0..cols {
            let s = Self::lane_sum(rows, |r| (self.get(a, r * cols + c), 1.0));
            self.set(out, c, s);
        }
        Ok(())
    }

    fn bn_stats(
        &mut self,
        x: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
        k: &BnConsts,
    ) -> Result<(), GpuError> {
        let b = rows.max(1) as f64;
        for c in 0..cols {
            let mean = Self::lane_sum(rows, |r| (self.get(x, r * cols + c), 1.0)) / b;
            let var = Self::lane_sum(rows, |r| {
                let centred = self.get(x, r * cols + c) - mean;
                (centred, centred)
            }) / b;
            self.set(bn.stats, c, mean);
            self.set(bn.stats, cols + c, var);
            self.set(bn.stats, 2 * cols + c, 1.0 / (var + k.eps).sqrt());
            let rm = self.get(bn.running, c);
            let rv = self.get(bn.running, cols + c);
            self.set(bn.running, c, k.one_minus_momentum * rm + k.momentum * mean);
            self.set(
                bn.running,
                cols + c,
                k.one_minus_momentum * rv + k.momentum * var * k.unbias,
            );
        }
        Ok(())
    }

    fn bn_apply(
        &mut self,
        x: At,
        y: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError> {
        for e in 0..rows * cols {
            let c = e % cols;
            let xh = (self.get(x, e) - self.get(bn.stats, c)) * self.get(bn.stats, 2 * cols + c);
            self.set(bn.xhat, e, xh);
            let v = xh * self.get(bn.gamma, c) + self.get(bn.beta, c);
            self.set(y, e, v);
        }
        Ok(())
    }

    fn bn_backward_reduce(
        &mut self,
        g: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError> {
        for c in 0..cols {
            let dgamma = Self::lane_sum(rows, |r| {
                (self.get(g, r * cols + c), self.get(bn.xhat, r * cols + c))
            });
            let dbeta = Self::lane_sum(rows, |r| (self.get(g, r * cols + c), 1.0));
            self.set(bn.dgamma, c, dgamma);
            self.set(bn.dbeta, c, dbeta);
        }
        Ok(())
    }

    fn bn_backward_apply(
        &mut self,
        g: At,
        rows: usize,
        cols: usize,
        bn: &BnAt,
    ) -> Result<(), GpuError> {
        let b = rows.max(1) as f64;
        for e in 0..rows * cols {
            let c = e % cols;
            let coef = self.get(bn.gamma, c) * self.get(bn.stats, 2 * cols + c) / b;
            let mut t = self.get(g, e) * b;
            t -= self.get(bn.dbeta, c);
            t -= self.get(bn.xhat, e) * self.get(bn.dgamma, c);
            self.set(g, e, t * coef);
        }
        Ok(())
    }

    fn act_forward(&mut self, x: At, y: At, count: usize, a: Activation) -> Result<(), GpuError> {
        for e in 0..count {
            let v = self.get(x, e);
            let out = match a {
                Activation::Relu => {
                    if v > 0.0 {
                        v
                    } else {
                        0.0
                    }
                }
                Activation::LeakyRelu { slope } => {
                    if v > 0.0 {
                        v
                    } else {
                        v * slope
                    }
                }
                Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
                Activation::Tanh => v.tanh(),
            };
            self.set(y, e, out);
        }
        Ok(())
    }

    fn act_backward(
        &mut self,
        g: At,
        cache: At,
        count: usize,
        a: Activation,
    ) -> Result<(), GpuError> {
        for e in 0..count {
            let v = self.get(cache, e);
            let ge = self.get(g, e);
            let out = match a {
                Activation::Relu => {
                    if v <= 0.0 {
                        0.0
                    } else {
                        ge
                    }
                }
                Activation::LeakyRelu { slope } => {
                    if v <= 0.0 {
                        ge * slope
                    } else {
                        ge
                    }
                }
                Activation::Sigmoid => ge * (v * (1.0 - v)),
                Activation::Tanh => ge * (1.0 - v * v),
            };
            self.set(g, e, out);
        }
        Ok(())
    }

    fn dropout(
        &mut self,
        x: At,
        mask_off: usize,
        keep: f64,
        y: At,
        count: usize,
    ) -> Result<(), GpuError> {
        for e in 0..count {
            let m = if self.mask[mask_off + e] != 0 {
                keep
            } else {
                0.0
            };
            let v = self.get(x, e) * m;
            self.set(y, e, v);
        }
        Ok(())
    }

    fn sq_loss(&mut self, l: &SqLoss) -> Result<(), GpuError> {
        for bi in 0..l.blocks {
            let mut part = vec![0.0; LOSS_THREADS];
            for (t, p) in part.iter_mut().enumerate() {
                let mut s = 0.0;
                let mut e = bi * LOSS_THREADS + t;
                while e < l.count {
                    let (r, c) = (e / l.cols, e % l.cols);
                    let diff = self.get(l.out, e) - self.get(l.target, r * l.target_rs + c);
                    self.set(l.grad, e, diff * l.scale);
                    s = diff.mul_add(diff, s);
                    e += l.blocks * LOSS_THREADS;
                }
                *p = s;
            }
            self.set(at(Buf::Partials), bi, tree(part));
        }
        Ok(())
    }

    fn norm_penalty(
        &mut self,
        p: At,
        g: At,
        count: usize,
        coef: f64,
        norm_out: At,
    ) -> Result<(), GpuError> {
        let mut part = vec![0.0; LOSS_THREADS];
        for (t, s) in part.iter_mut().enumerate() {
            let mut e = t;
            while e < count {
                let v = self.get(p, e);
                *s = v.mul_add(v, *s);
                e += LOSS_THREADS;
            }
        }
        let norm = tree(part).sqrt();
        self.set(norm_out, 0, norm);
        if norm > 0.0 {
            let scale = coef / norm;
            for e in 0..count {
                let v = self.get(g, e) + scale * self.get(p, e);
                self.set(g, e, v);
            }
        }
        Ok(())
    }

    fn adam(&mut self, count: usize, s: &AdamStep) -> Result<(), GpuError> {
        for e in 0..count {
            let mut p = self.get(at(Buf::Params), e);
            let mut g = self.get(at(Buf::Grads), e);
            if s.decay == 1 {
                g += s.weight_decay * p;
            } else if s.decay == 2 {
                p *= s.decay_factor;
            }
            let mut m = self.get(at(Buf::AdamM), e);
            m = if s.w1 < 0.5 {
                m + s.w1 * (g - m)
            } else {
                g - (g - m) * (1.0 - s.w1)
            };
            let v = self.get(at(Buf::AdamV), e) * s.beta2 + s.w2 * g * g;
            let denom = v.sqrt() / s.bias2_sqrt + s.eps;
            p += -s.step_size * (m / denom);
            self.set(at(Buf::Params), e, p);
            self.set(at(Buf::AdamM), e, m);
            self.set(at(Buf::AdamV), e, v);
        }
        Ok(())
    }
}
