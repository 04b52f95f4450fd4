#!/usr/bin/env python3
"""Generate the PyOD reference for anml's HBOS, COPOD and ECOD detectors.

What it does
------------
anml's ``hbos``, ``copod`` and ``ecod`` detectors (src/detectors/hbos/,
src/detectors/copod/, src/detectors/ecod/) re-implement PyOD's ``HBOS``,
``COPOD`` and ``ECOD``. These are deterministic, so ``tests/tail_parity.rs``
compares scores value by value (relative error <= 1e-6). This script records
PyOD's side in ``tests/fixtures/tail/pyod_reference.json``.

Split (deterministic, no RNG): for each ODDS dataset (``X``, ``y`` read with
``scipy.io.loadmat``), train = rows whose index i has ``i % 5`` in {0, 1, 2},
test = the other rows; ``StandardScaler`` is fit on train and applied to both.

Per dataset and detector (default parameters) the fixture holds:

* ``hbos`` (``HBOS()``: n_bins=10, alpha=0.1, tol=0.5) and ``hbos_auto``
  (``HBOS(n_bins="auto")``): training scores (``decision_scores_``) and test
  scores (``decision_function(X_test)``), each as the first 300 values plus
  aggregates over all of them (count, sum, sum of squares, min, max), and the
  test ROC-AUC.
* ``copod`` and ``ecod``: the training scores as above; ``pyod_test_roc_auc``,
  the ROC-AUC of PyOD's own ``decision_function(X_test)`` (which concatenates
  train and test and recomputes the ECDFs, so a test score depends on the
  other test rows: PyOD issue #401); and ``test``, scores from an independent
  numpy implementation of anml's *non-leaky* definition (ECDFs of the
  training data only, see ``tail_scores`` below) with their ROC-AUC. The
  script asserts that this definition applied to the training rows
  reproduces PyOD's ``decision_scores_``.

The Rust test reads the JSON file; it never needs Python. Re-run only to
refresh the fixture after a deliberate change.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_tail_reference.py

The ODDS ``.mat`` files are read from ``$ANML_DATA_MIRROR/odds/`` if set,
else ``../shared/datasets/odds/`` beside the repository. The versions of
Python, numpy, scipy, scikit-learn and PyOD are recorded in the output.
"""

import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
import scipy.io
import sklearn
from scipy.stats import skew
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

import pyod
from pyod.models.copod import COPOD
from pyod.models.ecod import ECOD
from pyod.models.hbos import HBOS

DATASETS = ["cardio", "wbc", "glass", "satimage-2", "shuttle", "mnist"]
HEAD = 300

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("ANML_DATA_MIRROR", ROOT.parent / "shared" / "datasets"))
OUT = ROOT / "tests" / "fixtures" / "tail" / "pyod_reference.json"


def load(name):
    m = scipy.io.loadmat(MIRROR / "odds" / f"{name}.mat")
    x = np.asarray(m["X"], dtype=np.float64)
    y = np.asarray(m["y"]).ravel().astype(np.int64)
    return x, y


def split(x, y):
    idx = np.arange(x.shape[0])
    train = np.isin(idx % 5, [0, 1, 2])
    scaler = StandardScaler().fit(x[train])
    return scaler.transform(x[train]), y[train], scaler.transform(x[~train]), y[~train]


def summary(scores):
    s = np.asarray(scores, dtype=np.float64)
    return {
        "n": int(s.size),
        "head": [float(v) for v in s[:HEAD]],
        "sum": float(np.sum(s)),
        "sum_sq": float(np.sum(s * s)),
        "min": float(np.min(s)),
        "max": float(np.max(s)),
    }


def tail_scores(x_train, x, kind):
    """anml's definition: ECDFs of the training data, evaluated at x.

    Left tail: F(v) = #{train <= v} / n; right tail: #{train >= v} / n; a
    count of 0 (v beyond the training range) is taken as 1, the count of the
    most extreme training value. Skewness signs are those of the training
    columns (scipy's biased skewness, NaN -> 0), combined as in PyOD.
    """
    n = x_train.shape[0]
    srt = np.sort(x_train, axis=0)
    le = np.empty_like(x)
    ge = np.empty_like(x)
    for j in range(x.shape[1]):
        le[:, j] = np.searchsorted(srt[:, j], x[:, j], side="right")
        ge[:, j] = n - np.searchsorted(srt[:, j], x[:, j], side="left")
    u_l = -np.log(np.maximum(le, 1) / n)
    u_r = -np.log(np.maximum(ge, 1) / n)
    s = np.sign(np.nan_to_num(skew(x_train, axis=0)))
    u_skew = u_l * -1 * np.sign(s - 1) + u_r * np.sign(s + 1)
    if kind == "ecod":
        o = np.maximum(u_skew, np.maximum(u_l, u_r))
    else:
        o = np.maximum(u_skew, (u_l + u_r) / 2)
    return o.sum(axis=1)


def main():
    out = {
        "generator": "scripts/gen_tail_reference.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "pyod": pyod.__version__,
        },
        "split": "train = rows with index % 5 in {0,1,2}, test = the rest; "
        "StandardScaler fit on train",
        "head": HEAD,
        "datasets": {},
    }
    for name in DATASETS:
        x, y = load(name)
        xtr, ytr, xte, yte = split(x, y)
        entry = {"n_train": int(xtr.shape[0]), "n_test": int(xte.shape[0]),
                 "n_features": int(xtr.shape[1])}
        for key, make in [("hbos", lambda: HBOS()), ("hbos_auto", lambda: HBOS(n_bins="auto"))]:
            det = make().fit(xtr)
            test = det.decision_function(xte)
            entry[key] = {
                "train": summary(det.decision_scores_),
                "test": summary(test),
                "test_roc_auc": float(roc_auc_score(yte, test)),
            }
        for key, cls in [("copod", COPOD), ("ecod", ECOD)]:
            det = cls().fit(xtr)
            train = det.decision_scores_
            own_train = tail_scores(xtr, xtr, key)
            np.testing.assert_allclose(own_train, train, rtol=1e-12, atol=1e-12)
            pyod_test = det.decision_function(xte)
            test = tail_scores(xtr, xte, key)
            entry[key] = {
                "train": summary(train),
                "test": summary(test),
                "test_roc_auc": float(roc_auc_score(yte, test)),
                "pyod_test_roc_auc": float(roc_auc_score(yte, pyod_test)),
            }
            print(f"{name:11s} {key}: test ROC-AUC non-leaky {entry[key]['test_roc_auc']:.4f}"
                  f" PyOD {entry[key]['pyod_test_roc_auc']:.4f}", file=sys.stderr)
        print(f"{name:11s} hbos: test ROC-AUC {entry['hbos']['test_roc_auc']:.4f}", file=sys.stderr)
        out["datasets"][name] = entry
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
