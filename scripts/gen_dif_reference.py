#!/usr/bin/env python3
"""Generate the PyOD reference for anml's ``dif`` (Deep Isolation Forest).

What it does
------------
anml's ``dif`` (src/detectors/dif/) re-implements PyOD 3.6.7's
``pyod.models.dif.DIF``: per ensemble member a random, untrained,
bias-free MLP with N(0, 1) weights (d -> 500 -> 100 -> 20, tanh), the
representation standardised and squashed by tanh, an sklearn
``IsolationForest(n_estimators=6, max_samples=256)`` on it, and the
deviation-enhanced score ``_cal_score``. anml draws its weights and trees
from ChaCha8 (not torch's / numpy's generators) and computes in float64
(PyOD's nets run in float32), so whole fits cannot agree bit for bit. The
parity test (tests/dif_parity.rs) therefore checks:

1. **exact.json, the deterministic parts given PyOD's random draws.** Two
   small configurations are fitted with ``random_state=0``:

   * ``pima``: ``n_ensemble=3, n_estimators=6, hidden_neurons=[64, 32],
     representation_dim=20`` (461 training rows, so ψ = 256 < n);
   * ``glass_skip``: ``n_ensemble=2, n_estimators=6, hidden_neurons=[16, 8],
     representation_dim=6, skip_connection=True`` (129 training rows, so
     ψ = n).

   Stored per member: the nets' weights (``[out][in]``, float32 values in
   their shortest repr), every sklearn tree (``feature``, ``threshold``
   (17 digits), ``children_left``, ``children_right``, ``n_node_samples``),
   ``max_samples_``, PyOD's representation of the first ``N_ROWS`` training
   rows (``x_reduced_lst``) and test rows (as ``decision_function`` builds
   it: standardised on the test batch), and that member's ``_cal_score``
   on those rows; plus ``decision_scores_`` and ``decision_function(X_test)``
   for all rows (17 digits). anml's scoring fed PyOD's representations and
   trees must reproduce ``_cal_score`` to ~1e-9; its forward pass with
   PyOD's weights must reproduce the representations to float32 rounding.

2. **roc_auc.json, the random whole statistically.** PyOD's default DIF
   with ``random_state`` 0, 1, 2 on each of ``AUC_DATASETS``: the test
   ROC-AUC of ``decision_function(X_test)`` (PyOD's way: the representation
   standardisation is re-fitted on the scored test batch) and, on the same
   fitted nets and forests, of the score anml computes (the standardisation
   fitted once, on the training representations, and reused for any batch).
   The second isolates the effect of that design difference.

Protocol (as scripts/gen_ensemble_reference.py): train = rows with
``i % 5`` in {0, 1, 2}, test = the rest; ``StandardScaler`` fit on train and
applied to both before DIF (DIF then min-max scales on its own).

How to run (from the repository root)
-------------------------------------
    /tmp/ref/bin/python scripts/gen_dif_reference.py [--only exact|roc_auc]

Reads ``../shared/datasets/odds/*.mat`` (or ``$ANML_DATA_MIRROR/odds``, or
``--odds-dir``); writes ``tests/fixtures/dif/{exact,roc_auc}.json``. Takes
about 3 minutes (torch limited to one thread; most of it PyOD's
``_cal_score``). Committed
fixtures: Python 3.11, torch 2.15.0 (CPU), numpy 2.4.6, scikit-learn
1.9.1, PyOD 3.6.7.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pyod
import scipy
import scipy.io
import sklearn
import torch
from pyod.models.dif import DIF, _cal_score
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT = REPO_ROOT / "tests" / "fixtures" / "dif"
N_ROWS = 150
EXACT = {
    "pima": dict(dataset="pima", n_ensemble=3, n_estimators=6, hidden_neurons=[64, 32],
                 representation_dim=20, skip_connection=False),
    "glass_skip": dict(dataset="glass", n_ensemble=2, n_estimators=6, hidden_neurons=[16, 8],
                       representation_dim=6, skip_connection=True),
}
AUC_DATASETS = ["cardio", "satellite", "wbc", "pima", "glass", "vowels", "ionosphere", "arrhythmia"]
SEEDS = [0, 1, 2]
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "torch": torch.__version__,
    "pyod": pyod.__version__,
}
PROTOCOL = (
    "train = rows with index % 5 in {0, 1, 2}, test = the rest; StandardScaler fit on "
    "train, applied to both, then DIF; train = decision_scores_, test = "
    "decision_function(X_test)"
)


def default_odds_dir() -> Path:
    mirror = os.environ.get("ANML_DATA_MIRROR")
    base = Path(mirror) if mirror else REPO_ROOT.parent / "shared" / "datasets"
    return base / "odds"


def load_split(odds_dir: Path, name: str):
    path = odds_dir / f"{name}.mat"
    mat = scipy.io.loadmat(path)
    x = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    train = np.arange(x.shape[0]) % 5 < 3
    scaler = StandardScaler().fit(x[train])
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return scaler.transform(x[train]), scaler.transform(x[~train]), y[~train], sha


def exact(v) -> float:
    return float(repr(float(v)))


def f32(v) -> float:
    """A float32 value in its shortest repr (read it back as f32)."""
    return float(str(np.float32(v)))


def f32_rows(a) -> list:
    return [[f32(v) for v in row] for row in np.asarray(a, dtype=np.float32)]


def net_weights(net) -> list:
    return [f32_rows(p.detach().cpu().numpy()) for name, p in net.named_parameters()
            if name.endswith("weight")]


def tree_arrays(est) -> dict:
    t = est.tree_
    return {
        "feature": [int(v) for v in t.feature],
        "threshold": [exact(v) for v in t.threshold],
        "children_left": [int(v) for v in t.children_left],
        "children_right": [int(v) for v in t.children_right],
        "n_node_samples": [int(v) for v in t.n_node_samples],
    }


def raw_representation(det: DIF, net, x) -> np.ndarray:
    """The net's output on min-max-scaled ``x`` (float32), before the
    standardisation, exactly as ``DIF._deep_representation`` computes it."""
    xs = det.minmax_scaler.transform(x)
    with torch.no_grad():
        out = [net(torch.from_numpy(xs[i:i + det.batch_size]).float())
               for i in range(0, xs.shape[0], det.batch_size)]
    return torch.cat(out).numpy()


def fixed_stats_scores(det: DIF, x_train, x) -> np.ndarray:
    """anml's scoring on PyOD's fitted nets and forests: the standardisation
    of each member's representation is fitted on the training
    representation (what ``fit`` used) and reused for ``x``."""
    scores = []
    for net, forest in zip(det.net_lst, det.iForest_lst):
        scaler = StandardScaler().fit(raw_representation(det, net, x_train))
        z = np.tanh(scaler.transform(raw_representation(det, net, x)))
        scores.append(_cal_score(z, forest))
    return np.average(np.array(scores), axis=0)


def exact_entry(odds_dir: Path, cfg: dict, inputs: dict) -> dict:
    x_train, x_test, y_test, sha = load_split(odds_dir, cfg["dataset"])
    inputs[f"odds/{cfg['dataset']}.mat"] = sha
    params = {k: v for k, v in cfg.items() if k != "dataset"}
    det = DIF(random_state=0, **params).fit(x_train)
    test = det.decision_function(x_test)
    xs_test = det.minmax_scaler.transform(x_test)
    members = []
    for net, forest, rep in zip(det.net_lst, det.iForest_lst, det.x_reduced_lst):
        rep_test = det._deep_representation(net, xs_test)
        members.append({
            "weights": net_weights(net),
            "max_samples": int(forest.max_samples_),
            "trees": [tree_arrays(e) for e in forest.estimators_],
            "train_representation": f32_rows(rep[:N_ROWS]),
            "test_representation": f32_rows(rep_test[:N_ROWS]),
            "train_member_score": [exact(v) for v in _cal_score(rep, forest)[:N_ROWS]],
            "test_member_score": [exact(v) for v in _cal_score(rep_test, forest)[:N_ROWS]],
        })
    return {
        "dataset": cfg["dataset"],
        "params": params,
        "n_train": int(x_train.shape[0]),
        "n_test": int(x_test.shape[0]),
        "data_min": [exact(v) for v in det.minmax_scaler.data_min_],
        "data_max": [exact(v) for v in det.minmax_scaler.data_max_],
        "members": members,
        "train": [exact(v) for v in det.decision_scores_],
        "test": [exact(v) for v in test],
        "test_roc_auc": round(float(roc_auc_score(y_test, test)), 6),
    }


def auc_entry(odds_dir: Path, name: str, inputs: dict) -> dict:
    x_train, x_test, y_test, sha = load_split(odds_dir, name)
    inputs[f"odds/{name}.mat"] = sha
    pyod_way, fixed, seconds = [], [], []
    for s in SEEDS:
        t0 = time.perf_counter()
        det = DIF(random_state=s).fit(x_train)
        test = det.decision_function(x_test)
        seconds.append(round(time.perf_counter() - t0, 1))
        pyod_way.append(round(float(roc_auc_score(y_test, test)), 6))
        fixed.append(round(float(roc_auc_score(y_test, fixed_stats_scores(det, x_train, x_test))), 6))
    return {
        "n_train": int(x_train.shape[0]),
        "n_test": int(x_test.shape[0]),
        "seeds": SEEDS,
        "roc_auc": pyod_way,
        "mean": round(float(np.mean(pyod_way)), 6),
        "fixed_stats_roc_auc": fixed,
        "fixed_stats_mean": round(float(np.mean(fixed)), 6),
        "fit_and_score_seconds": seconds,
    }


def dump(doc: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=1)
    text = re.sub(
        r"\[\s*([-0-9.eE+,\s]*?)\s*\]",
        lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",") if v.strip()) + "]",
        text,
    )
    out.write_text(text + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odds-dir", type=Path, default=default_odds_dir())
    parser.add_argument("--only", choices=["exact", "roc_auc"], default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    header = {"generator": "scripts/gen_dif_reference.py", "versions": VERSIONS, "protocol": PROTOCOL}

    if args.only in (None, "exact"):
        inputs = {}
        cases = {k: exact_entry(args.odds_dir, cfg, inputs) for k, cfg in EXACT.items()}
        for k, c in cases.items():
            print(f"exact {k}: test ROC-AUC {c['test_roc_auc']}")
        dump({**header, "inputs_sha256": inputs, "n_rows_stored": N_ROWS,
              "note": "weights and representations are float32 values: read them as f32",
              "cases": cases}, OUT / "exact.json")

    if args.only in (None, "roc_auc"):
        inputs = {}
        datasets = {}
        for name in AUC_DATASETS:
            datasets[name] = auc_entry(args.odds_dir, name, inputs)
            e = datasets[name]
            print(f"{name:11s} PyOD {e['mean']:.4f} {e['roc_auc']}  fixed stats "
                  f"{e['fixed_stats_mean']:.4f} {e['fixed_stats_roc_auc']}  {e['fit_and_score_seconds']} s")
        dump({**header, "inputs_sha256": inputs, "estimator": "pyod.models.dif.DIF() defaults",
              "datasets": datasets}, OUT / "roc_auc.json")


if __name__ == "__main__":
    main()
