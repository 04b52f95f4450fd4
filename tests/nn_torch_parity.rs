//! The MLP engine against PyTorch, step by step: the same initial weights
//! and batch give the same train-mode output, loss, parameter and input
//! gradients, weights after three Adam/AdamW steps, batch-norm running
//! statistics and eval-mode output, to 1e-10
//! (tests/fixtures/nn/torch_steps.json, written by
//! scripts/gen_nn_reference.py with torch CPU in float64).

use anml::nn::{Adam, AdamConfig, BatchNorm, Layer, Linear, Mlp, Mode, mse};
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

const TOL: f64 = 1e-10;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/nn/torch_steps.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn vec_of(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(vec_of).collect();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.concat()).expect("rectangular")
}

fn tensors(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().expect("tensors").iter().map(vec_of).collect()
}

fn network(layers: &Value) -> Mlp {
    let layers = layers
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| {
            let n = |k: &str| l[k].as_u64().expect(k) as usize;
            match l["kind"].as_str().expect("kind") {
                "linear" => Layer::Linear(Linear {
                    weight: Array2::zeros((n("out"), n("in"))),
                    bias: l["bias"]
                        .as_bool()
                        .expect("bias")
                        .then(|| Array1::zeros(n("out"))),
                }),
                "batchnorm" => Layer::BatchNorm(BatchNorm::new(n("dim"))),
                "relu" => Layer::Relu,
                "leaky_relu" => Layer::LeakyRelu {
                    slope: l["slope"].as_f64().expect("slope"),
                },
                "sigmoid" => Layer::Sigmoid,
                "tanh" => Layer::Tanh,
                other => panic!("unknown layer {other}"),
            }
        })
        .collect();
    Mlp::new(layers)
}

fn assert_close(what: &str, case: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{case}: {what} length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs() / w.abs().max(1.0);
        assert!(
            err <= TOL,
            "{case}: {what}[{i}] = {g}, torch {w} (error {err:e})"
        );
    }
}

fn flat(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

#[test]
fn the_engine_matches_pytorch_step_by_step() {
    let f = fixture();
    let cases = f["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    for c in cases {
        let name = c["name"].as_str().expect("name");
        let mut net = network(&c["layers"]);
        net.set_params(&tensors(&c["initial"]))
            .expect("torch's tensors fit");
        let x = matrix(&c["x"]);
        let target = matrix(&c["target"]);
        // No dropout in these networks: the generator is never drawn from.
        let mut rng = ChaCha8Rng::seed_from_u64(0);

        let (out, tape) = net.forward(x.view(), Mode::Train, &mut rng);
        assert_close(
            "forward_train",
            name,
            &flat(&out),
            &flat(&matrix(&c["forward_train"])),
        );
        let (loss, dy) = mse(&out, target.view());
        assert_close(
            "loss",
            name,
            &[loss],
            &[c["loss_value"].as_f64().expect("loss")],
        );
        let (grads, dx) = net.backward(&tape, dy);
        let want = tensors(&c["grads"]);
        assert_eq!(grads.len(), want.len(), "{name}: gradient tensors");
        for (i, (g, w)) in grads.iter().zip(&want).enumerate() {
            assert_close(&format!("grad {i}"), name, g.as_slice().expect("flat"), w);
        }
        assert_close(
            "input_grad",
            name,
            &flat(&dx),
            &flat(&matrix(&c["input_grad"])),
        );

        let o = &c["optimizer"];
        let (lr, wd) = (
            o["lr"].as_f64().expect("lr"),
            o["weight_decay"].as_f64().expect("wd"),
        );
        let config = match o["kind"].as_str().expect("kind") {
            "adam" => AdamConfig::adam(lr, wd),
            "adamw" => AdamConfig::adamw(lr, wd),
            other => panic!("unknown optimiser {other}"),
        };
        assert_eq!(vec_of(&o["betas"]), vec![config.beta1, config.beta2]);
        assert_eq!(o["eps"].as_f64(), Some(config.eps));
        let mut opt = Adam::for_params(config, &net.params());
        let mut losses = Vec::new();
        for _ in 0..3 {
            let (out, tape) = net.forward(x.view(), Mode::Train, &mut rng);
            let (loss, dy) = mse(&out, target.view());
            net.update_running(&tape);
            let (grads, _) = net.backward(&tape, dy);
            opt.step(net.params_mut(), &grads).expect("shapes");
            losses.push(loss);
        }
        assert_close("losses", name, &losses, &vec_of(&c["losses"]));
        let after = tensors(&c["after_steps"]);
        for (i, (p, w)) in net.params().iter().zip(&after).enumerate() {
            assert_close(&format!("param {i} after 3 steps"), name, p, w);
        }
        let norms: Vec<&BatchNorm> = net
            .layers
            .iter()
            .filter_map(|l| match l {
                Layer::BatchNorm(b) => Some(b),
                _ => None,
            })
            .collect();
        let (rm, rv) = (tensors(&c["running_mean"]), tensors(&c["running_var"]));
        assert_eq!(norms.len(), rm.len(), "{name}: batch-norm layers");
        for (k, bn) in norms.iter().enumerate() {
            assert_close(
                "running_mean",
                name,
                bn.running_mean.as_slice().expect("flat"),
                &rm[k],
            );
            assert_close(
                "running_var",
                name,
                bn.running_var.as_slice().expect("flat"),
                &rv[k],
            );
        }
        let eval = net.predict(x.view());
        assert_close(
            "forward_eval",
            name,
            &flat(&eval),
            &flat(&matrix(&c["forward_eval"])),
        );
        let (eval_taped, _) = net.forward(x.view(), Mode::Eval, &mut rng);
        assert_eq!(eval_taped, eval, "{name}: predict is the eval-mode forward");
    }
}
