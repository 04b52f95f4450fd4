//! Host-side logic of the GPU trainer: the stack description, where every
//! value is placed, the GEMM stride conventions the step relies on (run
//! through the host emulation of the kernels) and the Adam scalars.

use super::host::HostBackend;
use super::*;

fn autoencoder_stack(d: usize, bn: bool, dropout: bool) -> Stack {
    let mut ops = Vec::new();
    let widths = [d, 8, 4, 8, d];
    for (i, w) in widths.windows(2).enumerate() {
        ops.push(Op::Linear {
            inputs: w[0],
            outputs: w[1],
            bias: true,
        });
        if i < 3 {
            if bn {
                ops.push(Op::BatchNorm {
                    dim: w[1],
                    eps: 1e-5,
                    momentum: 0.1,
                });
            }
            ops.push(Op::Activation(Activation::Relu));
            if dropout {
                ops.push(Op::Dropout { p: 0.2 });
            }
        }
    }
    Stack { inputs: d, ops }
}

#[test]
fn the_stack_knows_its_widths_parameters_running_values_and_masks() {
    let s = autoencoder_stack(5, true, true);
    assert_eq!(
        s.widths().unwrap(),
        vec![8, 8, 8, 8, 4, 4, 4, 4, 8, 8, 8, 8, 5]
    );
    assert_eq!(s.outputs(), 5);
    assert_eq!(
        s.param_sizes(),
        vec![40, 8, 8, 8, 32, 4, 4, 4, 32, 8, 8, 8, 40, 5]
    );
    assert_eq!(s.running_len(), 2 * (8 + 4 + 8));
    assert_eq!(s.mask_width(), 8 + 4 + 8);
    let plain = autoencoder_stack(5, false, false);
    assert_eq!(plain.running_len(), 0);
    assert_eq!(plain.mask_width(), 0);

    let mut bad = s.clone();
    bad.ops[4] = Op::Linear {
        inputs: 7,
        outputs: 4,
        bias: false,
    };
    assert!(matches!(bad.widths(), Err(GpuError::NotApplicable(m)) if m.contains("layer 4")));
    let no_params = Stack {
        inputs: 3,
        ops: vec![Op::Activation(Activation::Tanh)],
    };
    assert!(Plan::new(&no_params, 10, 4).is_err());
    assert!(Plan::new(&s, 10, 0).is_err());
}

#[test]
fn the_plan_places_every_value_once() {
    let s = autoencoder_stack(5, true, true);
    let b = 7;
    let plan = Plan::new(&s, 100, b).unwrap();
    assert_eq!(plan.first_param, 0);
    assert_eq!(plan.mask_width, 20);
    assert_eq!(plan.sizes[Buf::Data as usize], 500);
    assert_eq!(
        plan.sizes[Buf::Params as usize],
        s.param_sizes().iter().sum::<usize>()
    );
    assert_eq!(plan.sizes[Buf::Running as usize], s.running_len());
    // Activations: each layer reads the previous layer's output region,
    // and the regions tile the buffer without overlap.
    let mut expect_input = 0;
    let mut expect_output = b * 5;
    for p in &plan.placed {
        assert_eq!(p.input, expect_input);
        assert_eq!(p.output, expect_output);
        expect_input = p.output;
        expect_output += b * p.out_width;
    }
    assert_eq!(plan.sizes[Buf::Acts as usize], expect_output);
    // Parameters: Linear weight then bias, batch norm γ then β, in order.
    let mut off = 0;
    for (p, op) in plan.placed.iter().zip(&s.ops) {
        match *op {
            Op::Linear {
                inputs, outputs, ..
            } => {
                assert_eq!(p.param, off);
                assert_eq!(p.bias, Some(off + inputs * outputs));
                off += inputs * outputs + outputs;
            }
            Op::BatchNorm { dim, .. } => {
                let bn = p.bn.unwrap();
                assert_eq!((bn.gamma.off, bn.beta.off), (off, off + dim));
                assert_eq!((bn.dgamma.off, bn.dbeta.off), (off, off + dim));
                assert_eq!(bn.gamma.buf, Buf::Params);
                assert_eq!(bn.dgamma.buf, Buf::Grads);
                off += 2 * dim;
            }
            _ => assert_eq!(p.param, off),
        }
    }
    // Batch-norm statistics, running values and x̂ per layer, in order.
    let bns: Vec<BnAt> = plan.placed.iter().filter_map(|p| p.bn).collect();
    let dims = [8, 4, 8];
    let mut cols = 0;
    for (bn, dim) in bns.iter().zip(dims) {
        assert_eq!(bn.stats.off, 3 * cols);
        assert_eq!(bn.running.off, 2 * cols);
        assert_eq!(bn.xhat.off, b * cols);
        cols += dim;
    }
    // Dropout masks: layer k's bytes start after the earlier layers'.
    let prefixes: Vec<usize> = plan
        .placed
        .iter()
        .filter(|p| matches!(p.op, Op::Dropout { .. }))
        .map(|p| p.mask_prefix)
        .collect();
    assert_eq!(prefixes, vec![0, 8, 12]);
    // The backward pass starts where parameters start.
    let lead = Stack {
        inputs: 3,
        ops: [Op::Dropout { p: 0.5 }, Op::Activation(Activation::Tanh)]
            .into_iter()
            .chain(autoencoder_stack(3, false, false).ops)
            .collect(),
    };
    assert_eq!(Plan::new(&lead, 10, 2).unwrap().first_param, 2);
}

#[test]
fn sizes_past_the_kernels_ints_are_not_applicable() {
    let s = Stack {
        inputs: 1 << 16,
        ops: vec![Op::Linear {
            inputs: 1 << 16,
            outputs: 1 << 16,
            bias: false,
        }],
    };
    assert!(matches!(
        Plan::new(&s, 10, 2),
        Err(GpuError::NotApplicable(m)) if m.contains("parameters")
    ));
    let wide = autoencoder_stack(1 << 12, false, false);
    assert!(Plan::new(&wide, 1 << 20, 2).is_err(), "data of 2^32 values");
}

#[test]
fn the_loss_grid_depends_on_the_size_only() {
    assert_eq!(loss_blocks(1), 1);
    assert_eq!(loss_blocks(2048), 1);
    assert_eq!(loss_blocks(2049), 2);
    assert_eq!(loss_blocks(usize::MAX / 2), MAX_LOSS_BLOCKS);
}

/// The three products of a Linear layer, with the strides the step uses,
/// through the emulated GEMM kernel: X·Wᵀ + b, dYᵀ·X and dY·W.
#[test]
fn the_gemm_strides_give_the_three_products() {
    let (b, i, o) = (5, 3, 4);
    let x: Vec<f64> = (0..b * i).map(|v| v as f64 * 0.5 - 3.0).collect();
    let w: Vec<f64> = (0..o * i).map(|v| (v as f64).sin()).collect();
    let bias: Vec<f64> = (0..o).map(|v| v as f64 + 0.25).collect();
    let dy: Vec<f64> = (0..b * o).map(|v| (v as f64 * 0.3).cos()).collect();
    let mut sizes = [1usize; BUFS];
    sizes[Buf::Acts as usize] = 200;
    sizes[Buf::Params as usize] = 100;
    sizes[Buf::Grads as usize] = 100;
    sizes[Buf::GradA as usize] = 100;
    let mut be = HostBackend::new();
    be.alloc(&sizes, 1, 1).unwrap();
    be.write(at(Buf::Acts, 0), &x).unwrap();
    be.write(at(Buf::Params, 10), &w).unwrap();
    be.write(at(Buf::Params, 50), &bias).unwrap();
    be.write(at(Buf::GradA, 0), &dy).unwrap();
    // Forward.
    be.gemm(&Gemm {
        m: b,
        n: o,
        k: i,
        a: at(Buf::Acts, 0),
        a_rs: i,
        a_cs: 1,
        b: at(Buf::Params, 10),
        b_rs: 1,
        b_cs: i,
        bias: Some(at(Buf::Params, 50)),
        c: at(Buf::Acts, 100),
    })
    .unwrap();
    let y = be.read(at(Buf::Acts, 100), b * o).unwrap();
    for r in 0..b {
        for c in 0..o {
            let want: f64 = (0..i).map(|k| x[r * i + k] * w[c * i + k]).sum::<f64>() + bias[c];
            assert!((y[r * o + c] - want).abs() < 1e-12);
        }
    }
    // Weight gradient.
    be.gemm(&Gemm {
        m: o,
        n: i,
        k: b,
        a: at(Buf::GradA, 0),
        a_rs: 1,
        a_cs: o,
        b: at(Buf::Acts, 0),
        b_rs: i,
        b_cs: 1,
        bias: None,
        c: at(Buf::Grads, 0),
    })
    .unwrap();
    let dw = be.read(at(Buf::Grads, 0), o * i).unwrap();
    for r in 0..o {
        for c in 0..i {
            let want: f64 = (0..b).map(|k| dy[k * o + r] * x[k * i + c]).sum();
            assert!((dw[r * i + c] - want).abs() < 1e-12);
        }
    }
    // Input gradient.
    be.gemm(&Gemm {
        m: b,
        n: i,
        k: o,
        a: at(Buf::GradA, 0),
        a_rs: o,
        a_cs: 1,
        b: at(Buf::Params, 10),
        b_rs: i,
        b_cs: 1,
        bias: None,
        c: at(Buf::Acts, 150),
    })
    .unwrap();
    let dx = be.read(at(Buf::Acts, 150), b * i).unwrap();
    for r in 0..b {
        for c in 0..i {
            let want: f64 = (0..o).map(|k| dy[r * o + k] * w[k * i + c]).sum();
            assert!((dx[r * i + c] - want).abs() < 1e-12);
        }
    }
}

#[test]
fn adam_scalars_and_decay_modes() {
    let adam = AdamSettings {
        decoupled: false,
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 1e-5,
    };
    let s = AdamStep::new(&adam, 3);
    assert_eq!(s.decay, 1);
    assert_eq!(s.step_size, 1e-3 / (1.0 - 0.9f64.powf(3.0)));
    assert_eq!(s.bias2_sqrt, (1.0 - 0.999f64.powf(3.0)).sqrt());
    assert_eq!(s.w1, 1.0 - 0.9);
    let w = AdamStep::new(
        &AdamSettings {
            decoupled: true,
            ..adam
        },
        1,
    );
    assert_eq!((w.decay, w.decay_factor), (2, 1.0 - 1e-3 * 1e-5));
    let none = AdamStep::new(
        &AdamSettings {
            weight_decay: 0.0,
            ..adam
        },
        1,
    );
    assert_eq!(none.decay, 0);
}

#[test]
fn the_tolerance_starts_at_1e_9_and_doubles_every_8_epochs() {
    assert_eq!(epoch_loss_tolerance(0), 1e-9);
    assert!((epoch_loss_tolerance(8) - 2e-9).abs() < 1e-24);
    assert!((epoch_loss_tolerance(32) - 16e-9).abs() < 1e-22);
}

#[test]
fn a_step_refuses_batches_it_was_not_sized_for() {
    let s = autoencoder_stack(3, true, true);
    let params = vec![0.1; s.param_sizes().iter().sum()];
    let running = vec![0.0; s.running_len()];
    let data = vec![0.5; 10 * 3];
    let init = Init {
        params: &params,
        running: &running,
        data: &data,
        rows: 10,
        max_batch: 4,
        adam: AdamSettings {
            decoupled: false,
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        objective: Objective::Reconstruction,
    };
    let mut t = Trainer::with_backend(Box::new(HostBackend::new()), &s, init).unwrap();
    assert_eq!(t.mask_len(3), 3 * 20);
    assert!(
        t.step(&[0, 1, 2, 3, 4], &[1; 100]).is_err(),
        "too many rows"
    );
    assert!(t.step(&[0, 1], &[1; 3]).is_err(), "wrong mask size");
    assert!(t.step(&[0, 10], &[1; 40]).is_err(), "row out of range");
    assert!(t.step(&[0, 9], &[1; 40]).unwrap().is_finite());
    let short = Init {
        params: &params[1..],
        ..init
    };
    assert!(Trainer::with_backend(Box::new(HostBackend::new()), &s, short).is_err());
    let not_square = Stack {
        inputs: 3,
        ops: vec![Op::Linear {
            inputs: 3,
            outputs: 2,
            bias: false,
        }],
    };
    let p6 = [0.0; 6];
    let init2 = Init {
        params: &p6,
        running: &[],
        ..init
    };
    assert!(Trainer::with_backend(Box::new(HostBackend::new()), &not_square, init2).is_err());
}
