#!/usr/bin/env python3
"""Step-by-step PyTorch reference for anml's float64 MLP engine.

What it does
------------
anml's hand-written MLP engine (Linear with or without bias, ReLU, LeakyReLU,
Sigmoid, Tanh, BatchNorm1d, MSE loss, Adam with L2 ``weight_decay`` and
AdamW) must agree with PyTorch to 1e-10 at every step. This script builds a
few small networks in PyTorch (CPU, float64 throughout), and for each one
records in ``tests/fixtures/nn/torch_steps.json``:

* ``layers``: the architecture, in order (``linear`` with ``in``/``out``/
  ``bias``, ``relu``, ``leaky_relu`` with ``slope``, ``sigmoid``, ``tanh``,
  ``batchnorm`` with ``dim``; BatchNorm1d uses PyTorch's defaults eps = 1e-5,
  momentum = 0.1, affine, track_running_stats);
* ``loss``: always ``mse`` (``nn.MSELoss(reduction='mean')``: the mean over
  batch x out of the squared error);
* ``optimizer``: ``adam`` (``torch.optim.Adam``: weight_decay is added to the
  gradient, L2) or ``adamw`` (``torch.optim.AdamW``: decoupled, the
  parameter is first multiplied by ``1 - lr * weight_decay``), with lr,
  weight_decay, betas and eps; amsgrad off, PyTorch's default
  implementation (on CPU the single-tensor loop);
* ``initial``: every tensor of ``model.parameters()`` in order, flattened
  row-major (Linear: weight out x in as torch stores it, then bias if any;
  BatchNorm1d: weight (gamma), then bias (beta));
* ``x`` (batch x in) and ``target`` (batch x out): the one batch used
  throughout;
* ``forward_train``, ``loss_value``, ``grads`` (same order and flattening as
  ``initial``), ``input_grad`` (d loss / d x): one train-mode forward and
  backward pass from the initial weights (done on a copy of the model, so
  BatchNorm's running statistics are touched only by the steps below);
* ``after_steps`` and ``losses``: the parameters after 3 optimizer steps,
  each = zero_grad, train-mode forward on ``x``, MSE against ``target``,
  backward, step; ``losses[0]`` equals ``loss_value``;
* ``running_mean`` / ``running_var``: per BatchNorm1d layer in order, after
  those 3 steps (empty lists if there is none). They start at 0 and 1 and
  each train-mode forward updates them as
  ``r <- (1 - momentum) * r + momentum * s`` where s is the batch mean, or
  the *unbiased* batch variance (divided by n - 1), while the normalisation
  itself uses the biased variance (divided by n);
* ``forward_eval``: the eval-mode output on ``x`` after the 3 steps
  (BatchNorm normalises with the running statistics).

Cases (batch of 7 rows): ``plain_adam`` (Linear 5-8 bias, ReLU, Linear 6
bias, Tanh, Linear 4 without bias, Sigmoid, Linear 3; Adam lr 1e-2,
weight_decay 1e-3), ``leaky_adamw`` (Linear 5-6, LeakyReLU 0.01, Linear 5;
AdamW lr 1e-2, weight_decay 1e-2) and ``batchnorm_adam`` (Linear 5-8,
BatchNorm1d, ReLU, Linear 4, BatchNorm1d, Tanh, Linear 5; Adam lr 5e-3,
weight_decay 1e-5; gamma and beta perturbed away from 1 and 0 before
``initial`` is recorded). Weights are PyTorch's default initialisation under
``torch.manual_seed(0)``; the run is deterministic (one thread, float64).

Floats are written with Python's shortest round-trip repr, so the values
are exact float64. The Rust test reads the JSON file and never needs Python;
re-run this script only to refresh the fixture.

How to run (from the repository root)
-------------------------------------
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch numpy
    /tmp/ref/bin/python scripts/gen_nn_reference.py
"""

import copy
import json
import pathlib

import torch
import torch.nn as nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "nn" / "torch_steps.json"

BATCH = 7
STEPS = 3
BETAS = (0.9, 0.999)
EPS = 1e-8

CASES = [
    {
        "name": "plain_adam",
        "layers": [
            {"kind": "linear", "in": 5, "out": 8, "bias": True},
            {"kind": "relu"},
            {"kind": "linear", "in": 8, "out": 6, "bias": True},
            {"kind": "tanh"},
            {"kind": "linear", "in": 6, "out": 4, "bias": False},
            {"kind": "sigmoid"},
            {"kind": "linear", "in": 4, "out": 3, "bias": True},
        ],
        "optimizer": {"kind": "adam", "lr": 1e-2, "weight_decay": 1e-3},
        "x_scale": 1.5,
        "perturb_batchnorm": False,
    },
    {
        "name": "leaky_adamw",
        "layers": [
            {"kind": "linear", "in": 5, "out": 6, "bias": True},
            {"kind": "leaky_relu", "slope": 0.01},
            {"kind": "linear", "in": 6, "out": 5, "bias": True},
        ],
        "optimizer": {"kind": "adamw", "lr": 1e-2, "weight_decay": 1e-2},
        "x_scale": 2.0,
        "perturb_batchnorm": False,
    },
    {
        "name": "batchnorm_adam",
        "layers": [
            {"kind": "linear", "in": 5, "out": 8, "bias": True},
            {"kind": "batchnorm", "dim": 8},
            {"kind": "relu"},
            {"kind": "linear", "in": 8, "out": 4, "bias": True},
            {"kind": "batchnorm", "dim": 4},
            {"kind": "tanh"},
            {"kind": "linear", "in": 4, "out": 5, "bias": True},
        ],
        "optimizer": {"kind": "adam", "lr": 5e-3, "weight_decay": 1e-5},
        "x_scale": 3.0,
        "perturb_batchnorm": True,
    },
]


def build(layers):
    mods = []
    for l in layers:
        k = l["kind"]
        if k == "linear":
            mods.append(nn.Linear(l["in"], l["out"], bias=l["bias"]))
        elif k == "relu":
            mods.append(nn.ReLU())
        elif k == "leaky_relu":
            mods.append(nn.LeakyReLU(negative_slope=l["slope"]))
        elif k == "sigmoid":
            mods.append(nn.Sigmoid())
        elif k == "tanh":
            mods.append(nn.Tanh())
        elif k == "batchnorm":
            mods.append(nn.BatchNorm1d(l["dim"], eps=1e-5, momentum=0.1))
        else:
            raise ValueError(k)
    return nn.Sequential(*mods)


def flat(tensors):
    return [t.detach().reshape(-1).tolist() for t in tensors]


def rows(t):
    return t.detach().tolist()


def run_case(spec):
    model = build(spec["layers"])
    if spec["perturb_batchnorm"]:
        with torch.no_grad():
            for m in model:
                if isinstance(m, nn.BatchNorm1d):
                    m.weight.copy_(1.0 + 0.3 * torch.randn(m.num_features))
                    m.bias.copy_(0.2 * torch.randn(m.num_features))
    d_in = spec["layers"][0]["in"]
    d_out = [l for l in spec["layers"] if l["kind"] == "linear"][-1]["out"]
    x = spec["x_scale"] * torch.randn(BATCH, d_in) + 0.25
    target = torch.randn(BATCH, d_out)
    loss_fn = nn.MSELoss(reduction="mean")
    initial = flat(model.parameters())

    # One forward/backward pass from the initial weights on a copy, so the
    # copy's BatchNorm running statistics absorb this pass.
    probe = copy.deepcopy(model)
    probe.train()
    xg = x.clone().requires_grad_(True)
    out = probe(xg)
    loss = loss_fn(out, target)
    loss.backward()
    forward_train = rows(out)
    loss_value = loss.item()
    grads = flat(p.grad for p in probe.parameters())
    input_grad = rows(xg.grad)

    o = spec["optimizer"]
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[o["kind"]]
    opt = cls(model.parameters(), lr=o["lr"], betas=BETAS, eps=EPS,
              weight_decay=o["weight_decay"])
    model.train()
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] == loss_value, (losses[0], loss_value)
    bns = [m for m in model if isinstance(m, nn.BatchNorm1d)]
    model.eval()
    with torch.no_grad():
        forward_eval = rows(model(x))
    return {
        "name": spec["name"],
        "layers": spec["layers"],
        "loss": "mse",
        "optimizer": {"kind": o["kind"], "lr": o["lr"],
                      "weight_decay": o["weight_decay"],
                      "betas": list(BETAS), "eps": EPS},
        "initial": initial,
        "x": rows(x),
        "target": rows(target),
        "forward_train": forward_train,
        "loss_value": loss_value,
        "grads": grads,
        "input_grad": input_grad,
        "after_steps": flat(model.parameters()),
        "losses": losses,
        "running_mean": [m.running_mean.tolist() for m in bns],
        "running_var": [m.running_var.tolist() for m in bns],
        "forward_eval": forward_eval,
    }


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = {
        "generator": "scripts/gen_nn_reference.py",
        "torch_version": torch.__version__,
        "cases": [run_case(spec) for spec in CASES],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=1) + "\n"
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text)} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
