#!/usr/bin/env python3
"""Generate the PyOD reference for anml's ``sampling`` detector.

What it does
------------
anml's ``sampling`` (src/detectors/sampling/) re-implements PyOD 3.6.7's
``pyod.models.sampling.Sampling`` (Sugiyama & Borgwardt 2013): draw
``subset_size`` training rows without replacement, score every row by its
distance to the nearest of them (``DistanceMetric.pairwise`` then ``np.min``;
training rows in the subsample score 0). The draw is random and anml's comes
from ChaCha8, not numpy's MT19937, so ``tests/sampling_parity.rs`` checks:

1. **Given PyOD's subsample, the scores, exactly**: for each case PyOD's
   sampled indices are recorded (recomputed as ``Sampling.fit`` draws them,
   ``check_random_state(random_state).choice(n, size, replace=False)``, and
   checked against the fitted ``subset`` attribute, which holds the rows);
   anml builds its model from the same indices and must match PyOD's
   ``decision_scores_`` (training) and ``decision_function(X_test)`` to a
   relative 1e-10 (exact zeros stay zero). Cases: the defaults
   (``subset_size=20``, ``metric='minkowski'``, p = 2) on every dataset, a
   fraction (``subset_size=0.05``), and on cardio the other supported
   distances: ``manhattan``, ``chebyshev`` and ``minkowski`` with
   ``metric_params={'p': 3}``.
2. **The random whole, statistically**: the test ROC-AUC of
   ``Sampling(random_state=s)`` for ``s`` in ``SEEDS`` and their mean; anml's
   mean over its own seeds 0..39 is compared in the test (the per-seed
   spread is large: sd 0.1 on cardio with 20 rows).

Protocol for every dataset (as scripts/gen_ensemble_reference.py): train =
rows with ``i % 5`` in {0, 1, 2}, test = the rest, ``StandardScaler`` fit on
train. Score summaries store the first ``N_STORED`` scores with 17
significant digits (``repr``) and sum / sum of squares / min / max over all
of them, plus how many training scores are exactly 0.

The Rust test reads the JSON file; it never needs Python. Re-run this script
only to refresh the fixture after a deliberate change.

How to run (from the repository root)
-------------------------------------
    /tmp/ref/bin/python scripts/gen_sampling_reference.py

(``/tmp/ref`` is the venv of AGENTS.md: ``python3 -m venv /tmp/ref &&
/tmp/ref/bin/pip install numpy scipy scikit-learn pyod``.) Reads
``../shared/datasets/odds/*.mat`` (or ``$ANML_DATA_MIRROR/odds``, or
``--odds-dir``); writes ``tests/fixtures/sampling/pyod_reference.json``
(``--out`` elsewhere). Takes a few seconds. The JSON records the versions
that produced it and the input SHA-256s. Committed fixture: Python 3.11,
numpy 2.4.6, scikit-learn 1.9.1, PyOD 3.6.7.
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
from pyod.models.sampling import Sampling
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "sampling" / "pyod_reference.json"
DATASETS = ["cardio", "wbc", "satimage-2"]
SEEDS = list(range(40))
N_STORED = 150
# (case name, Sampling keyword arguments, datasets it runs on).
CASES = [
    ("default", {"random_state": 0}, DATASETS),
    ("fraction", {"subset_size": 0.05, "random_state": 1}, DATASETS),
    ("manhattan", {"metric": "manhattan", "random_state": 2}, ["cardio"]),
    ("chebyshev", {"metric": "chebyshev", "random_state": 3}, ["cardio"]),
    ("minkowski_p3", {"metric": "minkowski", "metric_params": {"p": 3}, "random_state": 4}, ["cardio"]),
]
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "pyod": pyod.__version__,
}
PROTOCOL = (
    "train = rows with index % 5 in {0, 1, 2}, test = the rest; StandardScaler fit on "
    "train, applied to both; train = decision_scores_, test = decision_function(X_test); "
    "first = the first scores; sum/sum_sq/min/max over all scores; n_zero = scores "
    "exactly 0; all values with 17 significant digits"
)


def default_odds_dir() -> Path:
    mirror = os.environ.get("ANML_DATA_MIRROR")
    base = Path(mirror) if mirror else REPO_ROOT.parent / "shared" / "datasets"
    return base / "odds"


def load_odds(path: Path):
    mat = scipy.io.loadmat(path)
    x = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    return x, y


def exact(v) -> float:
    return float(repr(float(v)))


def summary(scores) -> dict:
    scores = np.asarray(scores, dtype=np.float64)
    return {
        "first": [exact(v) for v in scores[:N_STORED]],
        "sum": exact(np.sum(scores)),
        "sum_sq": exact(np.sum(scores * scores)),
        "min": exact(np.min(scores)),
        "max": exact(np.max(scores)),
        "n_zero": int(np.sum(scores == 0.0)),
    }


def exact_case(kwargs: dict, x_train, x_test) -> dict:
    det = Sampling(**kwargs).fit(x_train)
    n = x_train.shape[0]
    size = det.subset_size if isinstance(det.subset_size, int) else int(det.subset_size * n)
    # Sampling.fit draws exactly this (and keeps only the rows, in `subset`).
    idx = check_random_state(kwargs["random_state"]).choice(n, size=size, replace=False)
    assert np.array_equal(x_train[idx], det.subset), "index recomputation failed"
    return {
        "pyod": "Sampling(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")",
        "subset_size": det.subset_size,
        "metric": det.metric,
        "p": (kwargs.get("metric_params") or {}).get("p", 2),
        "indices": [int(i) for i in idx],
        "train": summary(det.decision_scores_),
        "test": summary(det.decision_function(x_test)),
    }


def auc_runs(x_train, x_test, y_test) -> dict:
    aucs = []
    for s in SEEDS:
        det = Sampling(random_state=s).fit(x_train)
        aucs.append(float(roc_auc_score(y_test, det.decision_function(x_test))))
    return {"seeds": SEEDS, "roc_auc": [round(a, 6) for a in aucs], "mean": round(float(np.mean(aucs)), 6)}


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
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    datasets = {}
    inputs = {}
    for name in DATASETS:
        path = args.odds_dir / f"{name}.mat"
        x, y = load_odds(path)
        inputs[f"odds/{name}.mat"] = hashlib.sha256(path.read_bytes()).hexdigest()
        train = np.arange(x.shape[0]) % 5 < 3
        scaler = StandardScaler().fit(x[train])
        x_train, x_test, y_test = scaler.transform(x[train]), scaler.transform(x[~train]), y[~train]
        entry = {"n_train": int(x_train.shape[0]), "n_test": int(x_test.shape[0]), "exact": {}}
        for case, kwargs, on in CASES:
            if name in on:
                entry["exact"][case] = exact_case(kwargs, x_train, x_test)
        entry["auc"] = auc_runs(x_train, x_test, y_test)
        datasets[name] = entry
        print(f"{name:11s} cases {list(entry['exact'])} mean ROC-AUC {entry['auc']['mean']:.4f} "
              f"{entry['auc']['roc_auc']}")
    dump({
        "generator": "scripts/gen_sampling_reference.py",
        "versions": VERSIONS,
        "inputs_sha256": inputs,
        "estimator": "pyod.models.sampling.Sampling(subset_size=20, metric='minkowski')",
        "protocol": PROTOCOL,
        "datasets": datasets,
    }, args.out)


if __name__ == "__main__":
    main()
