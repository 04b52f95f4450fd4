#!/usr/bin/env python3
"""Generate the scikit-learn reference for anml's Isolation Forest.

What it does
------------
anml's ``isolation_forest`` detector (src/detectors/isolation_forest/)
re-implements scikit-learn's ``IsolationForest`` (Liu, Ting & Zhou 2008).
The two cannot agree bit for bit (different random number generators), so
the parity test ``tests/isolation_forest_parity.rs`` compares statistics.
This script records scikit-learn's side of them in
``tests/fixtures/isolation_forest/sklearn_reference.json``:

1. For the ODDS datasets ``cardio``, ``wbc`` and ``satimage-2`` and each seed
   0..9, the holdout protocol

   * ``train_test_split(X, y, test_size=0.4, random_state=seed)``
     (60/40, unstratified),
   * ``StandardScaler`` fit on the train part, applied to train and test,
   * ``IsolationForest(random_state=seed)`` (all other parameters default:
     ``n_estimators=100, max_samples="auto", max_features=1.0,
     bootstrap=False``) fit on the train part,
   * anomaly scores ``-score_samples(X_test)`` (higher = more anomalous),
   * ``roc_auc_score(y_test, scores)``,

   storing the per-seed ROC-AUC and their mean per dataset.

2. For ``cardio`` standardised as a whole (``StandardScaler`` fit on all of
   ``X``), ``-score_samples(X)`` of ten forests ``IsolationForest(
   random_state=r)``, r = 0..9, each fit on all of ``X``, averaged over the
   ten forests and rounded to 6 decimals. anml's averaged scores on the same
   data must rank the samples alike (Spearman correlation).

The Rust test reads the JSON file; it never needs Python. Re-run this script
only to refresh the fixture after a deliberate change.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_isolation_forest_reference.py

The ODDS ``.mat`` files (keys ``X`` and ``y``) are read from
``../shared/datasets/odds/`` relative to the repository root; set
``ANML_DATA_MIRROR`` to the ``datasets`` folder, or pass ``--odds-dir``, to
read them elsewhere. ``--out`` overrides the output file.

Versions
--------
The committed fixture was produced by Python 3.11, numpy 2.4.6,
scipy 1.17.1 and scikit-learn 1.9.1. The JSON file records the versions that
actually produced it under ``"versions"``, and the SHA-256 of every input file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np
import scipy
import scipy.io
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "isolation_forest" / "sklearn_reference.json"
DATASETS = ["cardio", "wbc", "satimage-2"]
SEEDS = list(range(10))
FULL_DATA_DATASET = "cardio"
FULL_DATA_RANDOM_STATES = list(range(10))
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
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


def holdout_auc(x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """ROC-AUC of IsolationForest(random_state=seed) under the 60/40 protocol."""
    x_train, x_test, _, y_test = train_test_split(x, y, test_size=0.4, random_state=seed)
    scaler = StandardScaler().fit(x_train)
    forest = IsolationForest(random_state=seed).fit(scaler.transform(x_train))
    scores = -forest.score_samples(scaler.transform(x_test))
    return float(roc_auc_score(y_test, scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odds-dir", type=Path, default=default_odds_dir())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    datasets = {}
    inputs = {}
    for name in DATASETS:
        path = args.odds_dir / f"{name}.mat"
        x, y = load_odds(path)
        inputs[f"odds/{name}.mat"] = sha256(path)
        aucs = [holdout_auc(x, y, seed) for seed in SEEDS]
        datasets[name] = {
            "n_samples": int(x.shape[0]),
            "n_features": int(x.shape[1]),
            "n_anomalies": int(y.sum()),
            "seeds": SEEDS,
            "roc_auc": aucs,
            "mean_roc_auc": float(np.mean(aucs)),
        }
        print(f"{name:12s} mean ROC-AUC {np.mean(aucs):.4f}  per seed {np.round(aucs, 4).tolist()}")

    x, y = load_odds(args.odds_dir / f"{FULL_DATA_DATASET}.mat")
    x_std = StandardScaler().fit_transform(x)
    total = np.zeros(x.shape[0])
    for r in FULL_DATA_RANDOM_STATES:
        total += -IsolationForest(random_state=r).fit(x_std).score_samples(x_std)
    mean_scores = np.round(total / len(FULL_DATA_RANDOM_STATES), 6)
    full_auc = float(roc_auc_score(y, mean_scores))
    print(f"{FULL_DATA_DATASET} full-data averaged scores: ROC-AUC {full_auc:.4f}")

    doc = {
        "generator": "scripts/gen_isolation_forest_reference.py",
        "versions": VERSIONS,
        "inputs_sha256": inputs,
        "estimator": (
            "sklearn.ensemble.IsolationForest(random_state=seed); defaults n_estimators=100, "
            "max_samples='auto', max_features=1.0, bootstrap=False; score = -score_samples"
        ),
        "protocol": (
            "train_test_split(X, y, test_size=0.4, random_state=seed); StandardScaler fit on "
            "train, applied to train and test; fit on train; roc_auc_score(y_test, "
            "-score_samples(X_test))"
        ),
        "holdout": datasets,
        "full_data": {
            "dataset": FULL_DATA_DATASET,
            "description": (
                "StandardScaler fit on all of X; -score_samples(X) of IsolationForest("
                "random_state=r) fit on all of X, averaged over random_states, rounded to 6 "
                "decimals"
            ),
            "random_states": FULL_DATA_RANDOM_STATES,
            "roc_auc": full_auc,
            "scores": mean_scores.tolist(),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
