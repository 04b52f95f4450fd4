#!/usr/bin/env python3
"""Step-by-step PyTorch reference for anml's USAD training step.

What it does
------------
anml's ``usad`` detector trains the paper's way (Audibert et al., KDD 2020,
Algorithm 1; the authors' code github.com/manigalati/usad ``usad.py``
``training``): one encoder E and two decoders D1, D2, two optimisers (one
over E + D1, one over E + D2) and, for every batch W with n = epoch + 1:

* phase 1: forward, ``L1 = (1/n) mse(W, D1(E(W))) + (1 - 1/n) mse(W,
  D2(E(D1(E(W)))))``, backward, step the (E, D1) optimiser;
* phase 2: a fresh forward with the updated weights, ``L2 = (1/n) mse(W,
  D2(E(W))) - (1 - 1/n) mse(W, D2(E(D1(E(W)))))``, backward, step the
  (E, D2) optimiser.

Every gradient is zeroed before each backward (``model.zero_grad()``), so a
phase's step sees exactly the gradient of its own loss. (The authors' code
zeroes only the stepped optimiser's parameters after its step, so D2 also
receives L1's gradient and D1 the previous batch's L2 gradient; anml follows
the algorithm as the paper writes it, and this reference does the same.)

This script runs that step in PyTorch (CPU, float64, one thread) on small
networks with TSB-AD's USAD architecture (``TSB_AD/models/USAD.py``:
E = Linear(d, h), ReLU, Linear(h, h), ReLU, Linear(h, z), ReLU; D1, D2 =
Linear(z, h), ReLU, Linear(h, h), ReLU, Linear(h, d), Sigmoid) and records,
in ``tests/fixtures/usad/steps.json``:

* per case: ``d``, ``hidden``, ``latent``, the optimiser (``adamw``: lr,
  weight_decay, betas, eps; torch's single-tensor AdamW);
* ``initial``: ``encoder``, ``decoder1``, ``decoder2``, each the list of
  that network's ``parameters()`` in order, flattened row-major (Linear
  weight out x in, then bias), from PyTorch's default initialisation under
  ``torch.manual_seed(seed)``;
* ``steps``: per batch the rows ``x``, ``n``, the learning rate ``lr`` of
  both optimisers for that step (the cases lower it mid-way, as StepLR
  does between epochs), ``loss1`` (phase 1's loss value), ``loss2``
  (phase 2's) and ``after`` (the three networks' parameters after the
  step);
* ``score_x`` and ``scores``: after the last step, eval-mode scores
  ``alpha * mean_j (x - D1(E(x)))^2 + beta * mean_j (x - D2(E(D1(E(x)))))^2``
  per row for each listed (alpha, beta).

Floats are written with Python's shortest round-trip repr, so the values are
exact float64. The Rust test (``src/detectors/usad/tests.rs``) reads the JSON
and never needs Python; re-run this script only to refresh the fixture.

How to run (from the repository root)
-------------------------------------
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch numpy
    /tmp/ref/bin/python scripts/gen_usad_step_reference.py
"""

import json
import pathlib

import torch
import torch.nn as nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "usad" / "steps.json"

BETAS = (0.9, 0.999)
EPS = 1e-8

CASES = [
    {
        # n = 1 first (the adversarial weight 1 - 1/n is 0), then 2 and 3;
        # the learning rate drops once, batches of different sizes.
        "name": "small",
        "seed": 0,
        "d": 6,
        "hidden": 4,
        "latent": 3,
        "lr": 1e-2,
        "weight_decay": 1e-2,
        "batches": [(5, 1, 1e-2), (5, 1, 1e-2), (3, 2, 9e-3), (5, 3, 9e-3)],
        "alphas": [(0.5, 0.5), (0.1, 0.9)],
    },
    {
        # TSB-AD's sizes (hidden 16, latent 5) on a 5-point window, its
        # weight decay, a larger learning rate so the steps move visibly.
        "name": "tsb_sizes",
        "seed": 1,
        "d": 5,
        "hidden": 16,
        "latent": 5,
        "lr": 5e-3,
        "weight_decay": 1e-5,
        "batches": [(8, 2, 5e-3), (8, 2, 5e-3), (8, 4, 4.5e-3)],
        "alphas": [(0.5, 0.5), (1.0, 0.0)],
    },
]


def mlp(widths, last):
    mods = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        mods.append(nn.Linear(a, b))
        mods.append(nn.ReLU() if i < len(widths) - 2 else last)
    return nn.Sequential(*mods)


def flat(module):
    return [p.detach().reshape(-1).tolist() for p in module.parameters()]


def nets(e, d1, d2):
    return {"encoder": flat(e), "decoder1": flat(d1), "decoder2": flat(d2)}


def run_case(spec):
    torch.manual_seed(spec["seed"])
    d, h, z = spec["d"], spec["hidden"], spec["latent"]
    enc = mlp([d, h, h, z], nn.ReLU())
    dec1 = mlp([z, h, h, d], nn.Sigmoid())
    dec2 = mlp([z, h, h, d], nn.Sigmoid())
    modules = nn.ModuleList([enc, dec1, dec2])
    initial = nets(enc, dec1, dec2)

    def adamw(params):
        return torch.optim.AdamW(params, lr=spec["lr"], betas=BETAS, eps=EPS,
                                 weight_decay=spec["weight_decay"])

    opt1 = adamw(list(enc.parameters()) + list(dec1.parameters()))
    opt2 = adamw(list(enc.parameters()) + list(dec2.parameters()))
    mse = nn.MSELoss(reduction="mean")
    steps = []
    for rows, n, lr in spec["batches"]:
        x = torch.rand(rows, d)
        for opt in (opt1, opt2):
            for g in opt.param_groups:
                g["lr"] = lr
        # Phase 1: (E, D1) on L1.
        modules.zero_grad()
        w1 = dec1(enc(x))
        w3 = dec2(enc(w1))
        loss1 = (1 / n) * mse(w1, x) + (1 - 1 / n) * mse(w3, x)
        loss1.backward()
        opt1.step()
        # Phase 2: a fresh forward, (E, D2) on L2.
        modules.zero_grad()
        zz = enc(x)
        w1 = dec1(zz)
        w2 = dec2(zz)
        w3 = dec2(enc(w1))
        loss2 = (1 / n) * mse(w2, x) - (1 - 1 / n) * mse(w3, x)
        loss2.backward()
        opt2.step()
        steps.append({
            "x": x.tolist(),
            "n": n,
            "lr": lr,
            "loss1": loss1.item(),
            "loss2": loss2.item(),
            "after": nets(enc, dec1, dec2),
        })
    score_x = 1.4 * torch.rand(9, d) - 0.2
    with torch.no_grad():
        w1 = dec1(enc(score_x))
        w3 = dec2(enc(w1))
        e1 = ((score_x - w1) ** 2).mean(dim=1)
        e3 = ((score_x - w3) ** 2).mean(dim=1)
    scores = [{"alpha": a, "beta": b, "values": (a * e1 + b * e3).tolist()}
              for a, b in spec["alphas"]]
    return {
        "name": spec["name"],
        "d": d,
        "hidden": h,
        "latent": z,
        "optimizer": {"kind": "adamw", "lr": spec["lr"],
                      "weight_decay": spec["weight_decay"],
                      "betas": list(BETAS), "eps": EPS},
        "initial": initial,
        "steps": steps,
        "score_x": score_x.tolist(),
        "scores": scores,
    }


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    out = {
        "generator": "scripts/gen_usad_step_reference.py",
        "torch_version": torch.__version__,
        "cases": [run_case(spec) for spec in CASES],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=1) + "\n"
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text)} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
