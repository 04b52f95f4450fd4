#!/usr/bin/env python3
"""Generate the PyOD reference for anml's nearest-neighbour detectors.

What it does
------------
anml's ``knn``, ``avg_knn``, ``med_knn`` (src/detectors/knn/) and ``lof``
(src/detectors/lof/) re-implement PyOD's ``KNN(method='largest' | 'mean' |
'median')`` and ``LOF()`` (which wraps scikit-learn's
``LocalOutlierFactor(novelty=True)``). Nothing is random, so the parity test
``tests/neighbors_parity.rs`` compares the scores value by value. This script
records PyOD's side in ``tests/fixtures/neighbors/pyod_reference.json``.

For each ODDS dataset in ``DATASETS`` (keys ``X`` and ``y`` of the ``.mat``
file):

* a deterministic split without any RNG: train = the rows whose index
  ``i % 5`` is 0, 1 or 2, test = the rows with ``i % 5`` in {3, 4};
* ``StandardScaler`` fit on train, applied to train and test;
* each detector fit on train (PyOD defaults: ``n_neighbors=5`` for KNN, 20
  for LOF, Minkowski p=2, ``algorithm='auto'``);
* ``lof_brute`` is ``LOF(algorithm='brute')``: the same detector with the
  brute-force neighbour search, whose tie order (lower index first) is
  anml's; ``LOF()`` picks a KD-tree for d <= 15, whose tie order differs;
* stored: ``n_train``, ``n_test``, the first ``N_STORED`` test scores
  (``decision_function(X_test)``) and training scores (``decision_scores_``),
  aggregates over *all* test and all training scores (sum, sum of squares,
  min, max) and the test ROC-AUC (``roc_auc_score(y_test, test_scores)``).

Values are written with 12 significant digits (the test's tolerance is a
relative 1e-6), which keeps the file small.

The Rust test reads the JSON file; it never needs Python. Re-run this script
only to refresh the fixture after a deliberate change.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_neighbors_reference.py

The ``.mat`` files are read from ``../shared/datasets/odds/`` relative to the
repository root; set ``ANML_DATA_MIRROR`` to the ``datasets`` folder, or pass
``--odds-dir``, to read them elsewhere. ``--out`` overrides the output file.

Versions
--------
The committed fixture was produced by Python 3.11, numpy, scipy,
scikit-learn 1.9.1 and PyOD 3.6.7; the JSON file records the versions that
actually produced it under ``"versions"`` and the SHA-256 of every input file.
"""

from __future__ import annotations

import argparse
import hashlib
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
from pyod.models.knn import KNN
from pyod.models.lof import LOF
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "neighbors" / "pyod_reference.json"
DATASETS = ["cardio", "wbc", "glass", "satimage-2", "shuttle", "mnist"]
N_STORED = 300
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "pyod": pyod.__version__,
}
# anml detector name -> (PyOD constructor, description)
DETECTORS = {
    "knn": (lambda: KNN(method="largest"), "pyod.models.knn.KNN(method='largest')"),
    "avg_knn": (lambda: KNN(method="mean"), "pyod.models.knn.KNN(method='mean')"),
    "med_knn": (lambda: KNN(method="median"), "pyod.models.knn.KNN(method='median')"),
    "lof": (lambda: LOF(), "pyod.models.lof.LOF()"),
    # Same LOF with scikit-learn's brute-force search, whose tie order among
    # equidistant neighbours (lower index first) is anml's. With
    # algorithm='auto' scikit-learn uses a KD-tree when d <= 15, and the tree's
    # tie order depends on its traversal; on data with many exactly tied
    # distances (shuttle: integer-valued features) that changes which tied
    # row is a neighbour and so the training lrd.
    "lof_brute": (lambda: LOF(algorithm="brute"), "pyod.models.lof.LOF(algorithm='brute')"),
}


def default_odds_dir() -> Path:
    mirror = os.environ.get("ANML_DATA_MIRROR")
    base = Path(mirror) if mirror else REPO_ROOT.parent / "shared" / "datasets"
    return base / "odds"


def load_odds(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features (float64) and 0/1 labels of an ODDS ``.mat`` file."""
    mat = scipy.io.loadmat(path)
    x = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    if not set(np.unique(y)) <= {0, 1}:
        raise ValueError(f"{path}: labels are not 0/1")
    return x, y


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def num(v: float) -> float:
    """A float rounded to 12 significant digits (JSON stays short)."""
    return float(f"{float(v):.12g}")


def summary(scores: np.ndarray) -> dict:
    return {
        "first": [num(v) for v in scores[:N_STORED]],
        "sum": num(np.sum(scores)),
        "sum_sq": num(np.sum(scores * scores)),
        "min": num(np.min(scores)),
        "max": num(np.max(scores)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odds-dir", type=Path, default=default_odds_dir())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    inputs = {}
    datasets = {}
    for name in DATASETS:
        path = args.odds_dir / f"{name}.mat"
        x, y = load_odds(path)
        inputs[f"odds/{name}.mat"] = sha256(path)
        train = np.arange(x.shape[0]) % 5 < 3
        scaler = StandardScaler().fit(x[train])
        x_train, x_test = scaler.transform(x[train]), scaler.transform(x[~train])
        y_test = y[~train]
        entry = {
            "n_train": int(x_train.shape[0]),
            "n_test": int(x_test.shape[0]),
            "n_features": int(x.shape[1]),
            "detectors": {},
        }
        for det_name, (make, _) in DETECTORS.items():
            det = make().fit(x_train)
            test_scores = np.asarray(det.decision_function(x_test), dtype=np.float64)
            train_scores = np.asarray(det.decision_scores_, dtype=np.float64)
            auc = float(roc_auc_score(y_test, test_scores))
            entry["detectors"][det_name] = {
                "test": summary(test_scores),
                "train": summary(train_scores),
                "test_roc_auc": auc,
            }
            print(f"{name:11s} {det_name:8s} test ROC-AUC {auc:.6f}")
        datasets[name] = entry

    doc = {
        "generator": "scripts/gen_neighbors_reference.py",
        "versions": VERSIONS,
        "inputs_sha256": inputs,
        "estimators": {k: v[1] for k, v in DETECTORS.items()},
        "protocol": (
            "train = rows with index % 5 in {0, 1, 2}, test = the rest; StandardScaler "
            "fit on train, applied to both; test = decision_function(X_test), "
            "train = decision_scores_; first = the first "
            f"{N_STORED} scores; sum/sum_sq/min/max over all scores; values rounded "
            "to 12 significant digits"
        ),
        "datasets": datasets,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=1)
    # One line per score list rather than one line per number.
    text = re.sub(
        r"\[\s*([-0-9.eE+,\s]*?)\s*\]",
        lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",") if v.strip()) + "]",
        text,
    )
    args.out.write_text(text + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
