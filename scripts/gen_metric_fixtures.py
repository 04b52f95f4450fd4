#!/usr/bin/env python3
"""Generate the reference fixtures for anml's metrics layer (src/metrics/).

What it does
------------
For a fixed set of cases (labels ``y`` with 1 = anomaly, scores with higher =
more anomalous) this script asks scikit-learn and PyOD for the value of every
metric anml implements and writes one small JSON file per case under
``tests/fixtures/metrics/``:

* ``roc_auc``         -- ``sklearn.metrics.roc_auc_score(y, s)``
* ``pr_auc``          -- ``sklearn.metrics.average_precision_score(y, s)``
* ``youden_threshold``-- ``roc_curve(y, s)`` (default ``drop_intermediate=True``)
                         thresholds at ``np.argmax(tpr - fpr)`` (first maximum);
                         ``null`` encodes ``+inf`` (sklearn's first threshold),
                         which JSON cannot hold
* ``f1_at_youden``    -- ``sklearn.metrics.f1_score(y, s >= youden_threshold)``
* ``precision_at_n``  -- ``pyod.utils.utility.precision_n_scores(y, s)``
* ``roc_curve``       -- ``roc_curve(y, s)`` points: ``fpr``, ``tpr`` and
                         ``thresholds`` (the first, ``+inf``, as ``null``)
* ``pr_curve``        -- ``precision_recall_curve(y, s)``: ``precision``,
                         ``recall``, ``thresholds``

Cases with only one class present store ``"error": "one_class"`` (anml
refuses them with ``MetricError::OneClass``) together with what the
libraries actually do (``sklearn_behaviour``): recent scikit-learn warns and
returns NaN for ROC-AUC rather than raising.

The Rust test ``tests/metrics_reference.rs`` reads these files; it never
needs Python. Re-run this script only to refresh the fixtures after a
deliberate change.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_metric_fixtures.py

The ODDS ``.mat`` files are read from ``../shared/datasets/odds/`` relative to
the repository root (override with ``--odds-dir``).

Versions
--------
Fixtures committed with this script were produced by Python 3.11,
numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1 and pyod 3.6.7. Every JSON file
records the versions that actually produced it under ``"versions"``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pyod
import scipy
import scipy.io
import sklearn
from pyod.utils.utility import precision_n_scores
from sklearn.ensemble import IsolationForest
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    roc_auc_score,
    precision_recall_curve,
    roc_curve,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "tests" / "fixtures" / "metrics"
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "pyod": pyod.__version__,
}


def load_odds(odds_dir: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and 0/1 labels of an ODDS dataset (``X`` and ``y`` keys)."""
    mat = scipy.io.loadmat(odds_dir / f"{name}.mat")
    x = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    return x, y


def distance_to_mean(x: np.ndarray) -> np.ndarray:
    """Euclidean distance of each standardised row to the column means."""
    std = x.std(axis=0)
    std[std == 0] = 1.0
    z = (x - x.mean(axis=0)) / std
    return np.sqrt((z * z).sum(axis=1))


def reference(y: np.ndarray, s: np.ndarray) -> dict:
    """sklearn / PyOD values for one two-class case."""
    fpr, tpr, thresholds = roc_curve(y, s)
    best = int(np.argmax(tpr - fpr))
    threshold = float(thresholds[best])
    with warnings.catch_warnings():
        # zero predicted positives: sklearn warns and scores 0.0
        warnings.simplefilter("ignore")
        f1 = float(f1_score(y, (s >= threshold).astype(np.int64)))
        p_at_n = float(precision_n_scores(y, s))
    return {
        "roc_auc": float(roc_auc_score(y, s)),
        "pr_auc": float(average_precision_score(y, s)),
        "youden_threshold": None if np.isinf(threshold) else threshold,
        "f1_at_youden": f1,
        "precision_at_n": p_at_n,
        "roc_curve": {
            "fpr": [float(v) for v in fpr],
            "tpr": [float(v) for v in tpr],
            "thresholds": [None if np.isinf(v) else float(v) for v in thresholds],
        },
        "pr_curve": dict(
            zip(
                ("precision", "recall", "thresholds"),
                ([float(v) for v in a] for a in precision_recall_curve(y, s)),
            )
        ),
    }


def observed(fn, *args) -> str:
    """What a library call does on a degenerate input, as text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(*args)
        except Exception as exc:  # noqa: BLE001 - recording, not handling
            return f"raises {type(exc).__name__}: {exc}"
    warned = "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    return f"returns {float(value)!r}" + (f" (warns {warned})" if warned else "")


def one_class_behaviour(y: np.ndarray, s: np.ndarray) -> dict:
    def youden(y, s):
        fpr, tpr, _ = roc_curve(y, s)
        return np.argmax(tpr - fpr)

    return {
        "roc_auc_score": observed(roc_auc_score, y, s),
        "average_precision_score": observed(average_precision_score, y, s),
        "roc_curve_argmax_youden": observed(youden, y, s),
        "precision_n_scores": observed(precision_n_scores, y, s),
    }


def cases(odds_dir: Path):
    """(name, description, y, scores) for every fixture."""
    x, y = load_odds(odds_dir, "cardio")
    forest = IsolationForest(random_state=0).fit(x)
    s = np.round(-forest.score_samples(x), 6)
    yield (
        "cardio_iforest",
        "ODDS cardio; scores = -IsolationForest(random_state=0).fit(X)"
        ".score_samples(X), rounded to 6 decimals",
        y,
        s,
    )
    for name in ("wbc", "glass"):
        x, y = load_odds(odds_dir, name)
        yield (
            f"{name}_distance",
            f"ODDS {name}; scores = Euclidean distance of the standardised row "
            "(population std) to the column means, rounded to 6 decimals",
            y,
            np.round(distance_to_mean(x), 6),
        )

    rs = np.random.RandomState(1)
    n = 300
    y = (rs.rand(n) < 0.15).astype(np.int64)
    s = np.minimum(rs.randint(0, 5, n) + y, 5).astype(np.float64)
    yield (
        "heavy_ties",
        "RandomState(1): y = rand(300) < 0.15; scores = min(randint(0, 5) + y, 5), "
        "integers 0..5",
        y,
        s,
    )

    rs = np.random.RandomState(2)
    n = 2000
    y = (rs.rand(n) < 0.1).astype(np.int64)
    s = rs.randn(n) + 1.5 * y
    yield (
        "gaussian_shift",
        "RandomState(2): y = rand(2000) < 0.1; scores = randn + 1.5 * y "
        "(full precision, no ties)",
        y,
        s,
    )

    y = np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0])
    yield ("all_tied", "every score equal (0.5)", y, np.full(10, 0.5))
    yield (
        "perfect",
        "every anomaly scores above every normal",
        y,
        np.where(y == 1, 2.0, 1.0) + np.arange(10) / 100.0,
    )
    yield (
        "inverted",
        "every anomaly scores below every normal",
        y,
        np.where(y == 1, 1.0, 2.0) + np.arange(10) / 100.0,
    )
    yield ("minimal_separated", "n = 2, correctly ordered", np.array([0, 1]), np.array([0.1, 0.9]))
    yield ("minimal_inverted", "n = 2, wrongly ordered", np.array([1, 0]), np.array([0.1, 0.9]))
    yield ("minimal_tied", "n = 2, tied scores", np.array([0, 1]), np.array([0.3, 0.3]))
    yield (
        "negative_zero_ties",
        "scores with -0.0 and 0.0 (equal under ==) and negative values",
        np.array([1, 0, 1, 0, 0, 1, 0, 0]),
        np.array([0.0, -0.0, -0.0, 0.0, -1.5, 2.0, -1.5, 0.25]),
    )

    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    yield ("one_class_normal", "every label 0 (normal)", np.zeros(6, dtype=np.int64), s)
    yield ("one_class_anomaly", "every label 1 (anomaly)", np.ones(6, dtype=np.int64), s)


def to_json(record: dict) -> str:
    """One top-level key per line, each value compact: small and diffable."""
    lines = [
        f" {json.dumps(key)}: {json.dumps(value, allow_nan=False)}"
        for key, value in record.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--odds-dir",
        type=Path,
        default=REPO_ROOT.parent / "shared" / "datasets" / "odds",
        help="folder holding the ODDS .mat files (default: %(default)s)",
    )
    args = parser.parse_args()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, description, y, s in cases(args.odds_dir):
        y = np.asarray(y, dtype=np.int64)
        s = np.asarray(s, dtype=np.float64)
        record = {
            "case": name,
            "description": description,
            "generator": "scripts/gen_metric_fixtures.py",
            "versions": VERSIONS,
            "n": int(len(y)),
            "n_anomalies": int(np.count_nonzero(y)),
        }
        if len(np.unique(y)) < 2:
            record["error"] = "one_class"
            record["sklearn_behaviour"] = one_class_behaviour(y, s)
        else:
            record["expected"] = reference(y, s)
        record["y"] = [int(v) for v in y]
        record["scores"] = [float(v) for v in s]
        path = OUT_DIR / f"{name}.json"
        path.write_text(to_json(record))
        print(f"wrote {path.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
