#!/usr/bin/env python3
"""Generate the PyOD reference for anml's one-class SVM (``ocsvm``).

What it does
------------
anml's ``ocsvm`` (src/detectors/ocsvm/) re-implements PyOD's ``OCSVM()``,
which wraps scikit-learn's ``OneClassSVM`` (libsvm's one-class solver: SMO
with second-order working-set selection and shrinking). Nothing is random,
so the parity test ``tests/ocsvm_parity.rs`` compares the scores value by
value. This script records PyOD's side in
``tests/fixtures/ocsvm/pyod_reference.json``.

For each ODDS dataset in ``DATASETS`` (keys ``X`` and ``y`` of the ``.mat``
file):

* a deterministic split without any RNG: train = the rows whose index
  ``i % 5`` is 0, 1 or 2, test = the rows with ``i % 5`` in {3, 4};
* ``StandardScaler`` fit on train, applied to train and test;
* ``OCSVM()`` fit on train with PyOD's defaults (``kernel='rbf'``,
  ``gamma='auto'`` = 1 / n_features, ``nu=0.5``, ``tol=1e-3``,
  ``shrinking=True``, ``cache_size=200``, ``max_iter=-1``);
* stored: ``n_train``, ``n_test``, the first ``N_STORED`` test scores
  (``decision_function(X_test)``) and training scores (``decision_scores_``),
  aggregates over *all* test and all training scores (sum, sum of squares,
  min, max), the test ROC-AUC, and facts of the fitted libsvm model that help
  diagnose a mismatch: ``rho`` (= ``offset_``), the number of support
  vectors, the sum of the dual coefficients, the solver's iteration count
  (``n_iter_``) and the fit's wall-clock and CPU time (informative only;
  PyOD's fit includes scoring the training rows).

Values are written with 12 significant digits (the test's tolerance is a
relative 1e-4), which keeps the file small.

The Rust test reads the JSON file; it never needs Python. Re-run this script
only to refresh the fixture after a deliberate change. shuttle (~29k training
rows) takes a few minutes in libsvm.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_ocsvm_reference.py

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
import time
from pathlib import Path

import numpy as np
import pyod
import scipy
import scipy.io
import sklearn
from pyod.models.ocsvm import OCSVM
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "ocsvm" / "pyod_reference.json"
DATASETS = ["cardio", "wbc", "glass", "satimage-2", "mnist", "shuttle"]
N_STORED = 300
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "pyod": pyod.__version__,
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
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    args = parser.parse_args()

    inputs = {}
    datasets = {}
    for name in args.datasets:
        path = args.odds_dir / f"{name}.mat"
        x, y = load_odds(path)
        inputs[f"odds/{name}.mat"] = sha256(path)
        train = np.arange(x.shape[0]) % 5 < 3
        scaler = StandardScaler().fit(x[train])
        x_train, x_test = scaler.transform(x[train]), scaler.transform(x[~train])
        y_test = y[~train]
        start, cpu_start = time.perf_counter(), time.process_time()
        det = OCSVM().fit(x_train)
        fit_seconds = time.perf_counter() - start
        fit_cpu_seconds = time.process_time() - cpu_start
        test_scores = np.asarray(det.decision_function(x_test), dtype=np.float64)
        train_scores = np.asarray(det.decision_scores_, dtype=np.float64)
        auc = float(roc_auc_score(y_test, test_scores))
        svm = det.detector_
        datasets[name] = {
            "n_train": int(x_train.shape[0]),
            "n_test": int(x_test.shape[0]),
            "n_features": int(x.shape[1]),
            "rho": num(svm.offset_[0]),
            "n_support": int(svm.support_.shape[0]),
            "dual_coef_sum": num(np.sum(svm.dual_coef_)),
            "n_iter": int(np.asarray(svm.n_iter_).ravel()[0]),
            "fit_seconds": round(fit_seconds, 3),
            "fit_cpu_seconds": round(fit_cpu_seconds, 3),
            "test": summary(test_scores),
            "train": summary(train_scores),
            "test_roc_auc": auc,
        }
        print(
            f"{name:11s} n_train {x_train.shape[0]:6d} fit {fit_seconds:8.2f}s "
            f"(CPU {fit_cpu_seconds:8.2f}s) "
            f"iter {datasets[name]['n_iter']:7d} nSV {datasets[name]['n_support']:6d} "
            f"ROC-AUC {auc:.6f}",
            flush=True,
        )

    doc = {
        "generator": "scripts/gen_ocsvm_reference.py",
        "versions": VERSIONS,
        "inputs_sha256": inputs,
        "estimator": "pyod.models.ocsvm.OCSVM() (sklearn.svm.OneClassSVM, libsvm)",
        "protocol": (
            "train = rows with index % 5 in {0, 1, 2}, test = the rest; StandardScaler "
            "fit on train, applied to both; test = decision_function(X_test), "
            "train = decision_scores_; first = the first "
            f"{N_STORED} scores; sum/sum_sq/min/max over all scores; values rounded "
            "to 12 significant digits; fit_seconds (wall-clock) and fit_cpu_seconds "
            "(process CPU time) are informative only"
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
