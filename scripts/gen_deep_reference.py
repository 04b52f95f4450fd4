#!/usr/bin/env python3
"""Generate the PyOD reference for anml's deep detectors ``autoencoder`` and
``deep_svdd``.

What it does
------------
anml's ``autoencoder`` and ``deep_svdd`` (src/detectors/{autoencoder,
deep_svdd}/) re-implement PyOD 3.6.7's ``AutoEncoder`` and ``DeepSVDD`` on
anml's float64 MLP engine (src/nn/). anml draws its random numbers from
ChaCha8 and PyOD from torch's generator, and PyOD computes in float32, so
whole fits cannot agree bit for bit. tests/deep_parity.rs therefore checks
three things, all from the fixtures this script writes:

1. **Scoring with PyOD's trained weights** (``scoring`` cases): PyOD's
   ``state_dict`` after training (parameters in ``model.parameters()``
   order, batch-norm running statistics, the scaler's mean/std or
   mean/scale, DeepSVDD's centre ``c_``), stored as the exact float64 values
   of the float32 tensors. anml loads them into its own model types and must
   reproduce (a) PyOD's float32 ``decision_function`` on the held-out rows
   and ``decision_scores_`` to a relative 1e-5, and (b) the same network run
   by torch in float64 (``model.double()``) to 1e-10.
2. **Training replayed** (``replay`` cases): the initial weights (captured
   right after PyOD built the network), the row order of every epoch
   (captured from torch's ``RandomSampler``) and PyOD's per-epoch losses.
   anml trains from those weights on those orders (``fit_replay``) and must
   land near PyOD's trained weights and scores (float32 vs float64 over a
   few dozen Adam steps: relative 1e-5 for losses and weights, 1e-3 for
   scores) and on the same best epoch. The
   autoencoder case uses ``dropout_rate=0`` (dropout masks are not replayed);
   DeepSVDD's default [64, 32] has no dropout.
3. **The random whole, statistically** (``roc_auc``): the held-out ROC-AUC of
   PyOD's default detectors for ``random_state`` in ``SEEDS``; anml's mean
   over as many of its own seeds must be within 0.05.

Protocol: raw ODDS data (the detectors scale it themselves), train = rows
with ``i % 5`` in {0, 1, 2}, test = the rest. torch runs single-threaded.

How to run (from the repository root)
-------------------------------------
    /tmp/ref/bin/python scripts/gen_deep_reference.py

Reads ``../shared/datasets/odds/*.mat`` (or ``$ANML_DATA_MIRROR/odds``, or
``--odds-dir``); writes ``tests/fixtures/deep/pyod_reference.json`` (the
weights, under 1 MB) and ``tests/fixtures/deep/pyod_roc_auc.json``. The JSON
records the versions that produced it and the input SHA-256s. Committed
fixtures: Python 3.11, numpy 2.4.6, scikit-learn 1.9.1, torch 2.15.0, PyOD
3.6.7; about 10 minutes on one core.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import json
import os
import platform
import re
from pathlib import Path

import numpy as np
import pyod
import scipy
import scipy.io
import sklearn
import torch
import torch.utils.data.sampler as sampler
from pyod.models.auto_encoder import AutoEncoder
from pyod.models.deep_svdd import DeepSVDD, InnerDeepSVDD
from sklearn.metrics import roc_auc_score

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "tests" / "fixtures" / "deep"
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "torch": torch.__version__,
    "pyod": pyod.__version__,
}
PROTOCOL = (
    "raw ODDS data; train = rows with index % 5 in {0, 1, 2}, test = the rest; "
    "test = decision_function(X_test), train = decision_scores_; torch single-threaded"
)
# (detector, dataset, kind, PyOD constructor arguments besides random_state)
CASES = [
    ("autoencoder", "wbc", "scoring", {"epoch_num": 3}),
    ("autoencoder", "vertebral", "replay", {"epoch_num": 3, "dropout_rate": 0.0}),
    ("deep_svdd", "wbc", "replay", {"epochs": 5}),
    ("deep_svdd", "vertebral", "replay", {"epochs": 5}),
]
CASE_SEED = 0
AUC_DATASETS = ["wbc", "vertebral", "cardio", "pima"]
# Per-seed ROC-AUC sd is 0.02-0.07: 20 seeds keep each mean within ~0.015.
SEEDS = list(range(20))


def default_odds_dir() -> Path:
    mirror = os.environ.get("ANML_DATA_MIRROR")
    base = Path(mirror) if mirror else REPO_ROOT.parent / "shared" / "datasets"
    return base / "odds"


def load_odds(path: Path):
    mat = scipy.io.loadmat(path)
    x = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    return x, y


def split(x, y):
    idx = np.arange(len(x))
    train, test = idx % 5 < 3, idx % 5 >= 3
    return x[train], x[test], y[test]


def floats(t) -> list[float]:
    """A tensor or array, flattened, as the exact float64 values."""
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().double().numpy()
    return [float(v) for v in np.asarray(t, dtype=np.float64).ravel()]


def tensors(named) -> list[dict]:
    return [
        {"name": name, "shape": list(t.shape), "data": floats(t)} for name, t in named
    ]


class Recorder:
    """Captures torch RandomSampler's row orders (one list per epoch)."""

    def __init__(self):
        self.orders: list[list[int]] = []
        self._orig = sampler.RandomSampler.__iter__

    def __enter__(self):
        rec = self

        def it(s):
            order = [int(i) for i in rec._orig(s)]
            rec.orders.append(order)
            return iter(order)

        sampler.RandomSampler.__iter__ = it
        return self

    def __exit__(self, *exc):
        sampler.RandomSampler.__iter__ = self._orig


def autoencoder_case(x_train, x_test, kwargs, replay):
    initial = {}
    batch_losses: list[float] = []
    orig_build = AutoEncoder.build_model
    orig_forward = AutoEncoder.training_forward

    def build(self):
        orig_build(self)
        initial["params"] = tensors(
            (n, p.detach().clone()) for n, p in self.model.named_parameters()
        )

    def forward(self, batch):
        loss = orig_forward(self, batch)
        batch_losses.append(loss)
        return loss

    AutoEncoder.build_model = build
    AutoEncoder.training_forward = forward
    try:
        with Recorder() as rec:
            clf = AutoEncoder(random_state=CASE_SEED, verbose=0, **kwargs)
            clf.fit(x_train)
    finally:
        AutoEncoder.build_model = orig_build
        AutoEncoder.training_forward = orig_forward
    test = clf.decision_function(x_test)
    train = clf.decision_scores_
    per_epoch = len(x_train) // clf.batch_size
    epochs = clf.epoch_num
    epoch_loss = [
        float(np.mean(batch_losses[e * per_epoch : (e + 1) * per_epoch]))
        for e in range(epochs)
    ]
    model = copy.deepcopy(clf.model).double().eval()

    def f64(x):
        xs = (x - clf.X_mean) / (clf.X_std + 1e-8)
        with torch.no_grad():
            recon = model(torch.from_numpy(xs)).numpy()
        return np.sqrt(((recon - xs) ** 2).sum(axis=1))

    out = {
        "scaler": {"mean": floats(clf.X_mean), "std": floats(clf.X_std)},
        "parameters": tensors(clf.model.named_parameters()),
        "buffers": tensors(
            (n, b) for n, b in clf.model.named_buffers() if "running" in n
        ),
        "test_scores": floats(test),
        "train_scores": floats(train),
        "test_scores_f64": floats(f64(x_test)),
        "train_scores_f64": floats(f64(x_train)),
    }
    if replay:
        assert len(rec.orders) == epochs
        out.update(
            initial_parameters=initial["params"],
            orders=rec.orders,
            epoch_loss=epoch_loss,
        )
    return out


def deep_svdd_case(x_train, x_test, kwargs, replay):
    initial = {}
    orig_init_c = InnerDeepSVDD._init_c

    def init_c(self, x_norm, eps=0.1):
        initial["params"] = tensors(
            (n, p.detach().clone()) for n, p in self.model.named_parameters()
        )
        return orig_init_c(self, x_norm, eps)

    InnerDeepSVDD._init_c = init_c
    printed = io.StringIO()
    try:
        with Recorder() as rec, contextlib.redirect_stdout(printed):
            clf = DeepSVDD(
                n_features=x_train.shape[1], random_state=CASE_SEED, verbose=1, **kwargs
            )
            clf.fit(x_train)
    finally:
        InnerDeepSVDD._init_c = orig_init_c
    epoch_sums = [
        float(v) for v in re.findall(r"Epoch \d+/\d+, Loss: (\S+)", printed.getvalue())
    ]
    assert len(epoch_sums) == clf.epochs, printed.getvalue()
    best = int(np.argmin(epoch_sums))  # the first minimum: PyOD's strict <
    test = clf.decision_function(x_test)
    train = clf.decision_scores_
    model = copy.deepcopy(clf.model_.model).double().eval()
    centre = clf.c_.double()

    def f64(x):
        with torch.no_grad():
            out = model(torch.from_numpy(clf.scaler_.transform(x)))
            return ((out - centre) ** 2).sum(dim=-1).numpy()

    out = {
        "scaler": {"mean": floats(clf.scaler_.mean_), "scale": floats(clf.scaler_.scale_)},
        "parameters": tensors(clf.model_.model.named_parameters()),
        "centre": floats(clf.c_),
        "test_scores": floats(test),
        "train_scores": floats(train),
        "test_scores_f64": floats(f64(x_test)),
        "train_scores_f64": floats(f64(x_train)),
    }
    if replay:
        batches = -(-len(x_train) // clf.batch_size)
        out.update(
            initial_parameters=initial["params"],
            orders=rec.orders,
            epoch_loss=[s / batches for s in epoch_sums],
            epoch_loss_sum=epoch_sums,
            best_epoch=best,
        )
    return out


def roc_auc(name, x_train, x_test, y_test):
    res = {"autoencoder": [], "deep_svdd": []}
    for seed in SEEDS:
        ae = AutoEncoder(random_state=seed, verbose=0).fit(x_train)
        res["autoencoder"].append(roc_auc_score(y_test, ae.decision_function(x_test)))
        svdd = DeepSVDD(n_features=x_train.shape[1], random_state=seed, verbose=0)
        svdd.fit(x_train)
        res["deep_svdd"].append(roc_auc_score(y_test, svdd.decision_function(x_test)))
    out = {"n_train": len(x_train), "n_test": len(x_test)}
    for det, aucs in res.items():
        out[det] = {"per_seed": [round(a, 6) for a in aucs], "mean": round(float(np.mean(aucs)), 6)}
        print(f"  {name} {det}: mean {np.mean(aucs):.4f} sd {np.std(aucs):.4f} {aucs}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--odds-dir", type=Path, default=default_odds_dir())
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args()
    torch.set_num_threads(1)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    needed = sorted({c[1] for c in CASES} | set(AUC_DATASETS))
    data, sha = {}, {}
    for name in needed:
        path = args.odds_dir / f"{name}.mat"
        sha[f"odds/{name}.mat"] = hashlib.sha256(path.read_bytes()).hexdigest()
        data[name] = split(*load_odds(path))

    cases = []
    for det, name, kind, kwargs in CASES:
        x_train, x_test, _ = data[name]
        replay = kind == "replay"
        fn = autoencoder_case if det == "autoencoder" else deep_svdd_case
        case = {
            "detector": det,
            "dataset": name,
            "kind": kind,
            "random_state": CASE_SEED,
            "pyod_params": kwargs,
            "n_train": len(x_train),
            "n_test": len(x_test),
        }
        case.update(fn(x_train, x_test, kwargs, replay))
        cases.append(case)
        print(f"{det} {name} {kind}: done")
    ref = {"versions": VERSIONS, "protocol": PROTOCOL, "sha256": sha, "cases": cases}
    path = args.out_dir / "pyod_reference.json"
    path.write_text(json.dumps(ref, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")

    aucs = {}
    for name in AUC_DATASETS:
        x_train, x_test, y_test = data[name]
        aucs[name] = roc_auc(name, x_train, x_test, y_test)
    auc_ref = {
        "versions": VERSIONS,
        "protocol": PROTOCOL + "; PyOD defaults (DeepSVDD n_features = d)",
        "seeds": SEEDS,
        "sha256": {k: v for k, v in sha.items() if k[5:-4] in AUC_DATASETS},
        "datasets": aucs,
    }
    path = args.out_dir / "pyod_roc_auc.json"
    path.write_text(json.dumps(auc_ref, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
