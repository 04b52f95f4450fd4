#!/usr/bin/env python3
"""Generate pythresh's thresholds for anml's threshold methods (src/thresholds/).

What it does
------------
anml's ``iqr``, ``mad``, ``zscore``, ``otsu``, ``karch``, ``gesd`` and ``clust``
threshold methods re-implement pythresh's ``IQR``, ``MAD``, ``ZSCORE``,
``HIST(method="otsu")``, ``KARCH``, ``GESD`` and ``CLUST(method="kmeans")``
(pythresh 1.1.1, default parameters otherwise). ``tests/thresholds_parity.rs``
compares every threshold to 1e-9 and the predicted labels exactly. This script
records pythresh's side in ``tests/fixtures/thresholds/pythresh_reference.json``.

Score vectors: PyOD ``IForest(random_state=0)``, ``KNN()`` and ``HBOS()``
fitted on the whole ODDS dataset (``X`` as read by ``scipy.io.loadmat``, no
scaling); the vector is ``decision_scores_``. The datasets are small (wbc,
vertebral, arrhythmia, cardio) plus one above pythresh's 5000-point KDE limit
(satimage-2 with HBOS: KARCH then upsamples its KDE with a cubic spline).

Per case the fixture holds the scores, then per method: ``thresh`` (pythresh's
``thresh_``, in its min-max normalised scale), ``threshold`` (the same value
in the raw score scale, ``min + thresh * (max - min)``; for ``zscore`` and
``gesd``, whose threshold is a data point, that score itself),
and ``outliers`` (the indices of the points ``eval`` labels 1).

Randomness: pythresh seeds numpy's global generator in each thresholder's
constructor (``random_state=1234``); only CLUST's k-means draws from it. The
thresholder is constructed immediately before ``eval``, so the seed is fixed.
``CLUST(method="kmeans")`` runs scikit-learn's ``KMeans(n_clusters=2)``
(k-means++ start from that generator, one init), which anml replays. CLUST
has no ``thresh_``; its threshold here is the midpoint of the two cluster
centres, where ``KMeans.predict`` changes cluster (the script checks that
the flagged points are exactly those at or above it, and that they are the
upper cluster).

How to run (from the repository root)
-------------------------------------
    /tmp/ref/bin/pip install pyclustering   # pythresh's clust.py imports it
    /tmp/ref/bin/python scripts/gen_thresholds_reference.py

The ODDS ``.mat`` files are read from ``$ANML_DATA_MIRROR/odds/`` if set,
else ``../shared/datasets/odds/`` beside the repository.
"""

import json
import os
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.io
import sklearn

import pyod
import pythresh
from pyod.models.hbos import HBOS
from pyod.models.iforest import IForest
from pyod.models.knn import KNN
from pythresh.thresholds.clust import CLUST
from pythresh.thresholds.gesd import GESD
from pythresh.thresholds.hist import HIST
from pythresh.thresholds.iqr import IQR
from pythresh.thresholds.karch import KARCH
from pythresh.thresholds.mad import MAD
from pythresh.thresholds.zscore import ZSCORE

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("ANML_DATA_MIRROR", ROOT.parent / "shared" / "datasets"))
OUT = ROOT / "tests" / "fixtures" / "thresholds" / "pythresh_reference.json"

CASES = [
    ("wbc", ["iforest", "knn", "hbos"]),
    ("vertebral", ["iforest", "knn", "hbos"]),
    ("arrhythmia", ["iforest", "knn", "hbos"]),
    ("cardio", ["iforest", "knn", "hbos"]),
    ("satimage-2", ["hbos"]),
]

MODELS = {
    "iforest": lambda: IForest(random_state=0),
    "knn": lambda: KNN(),
    "hbos": lambda: HBOS(),
}

# anml's method name -> the pythresh thresholder (constructed fresh per eval)
METHODS = {
    "iqr": lambda: IQR(),
    "mad": lambda: MAD(),
    "zscore": lambda: ZSCORE(),
    "otsu": lambda: HIST(method="otsu"),
    "karch": lambda: KARCH(),
    "gesd": lambda: GESD(),
    "clust": lambda: CLUST(method="kmeans"),
}

# methods whose threshold is the smallest flagged score
DATA_POINT = {"zscore", "gesd"}


def load(name):
    m = scipy.io.loadmat(MIRROR / "odds" / f"{name}.mat")
    return np.asarray(m["X"], dtype=np.float64)


def main():
    out = {
        "generator": "scripts/gen_thresholds_reference.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "pyod": pyod.__version__,
            "pythresh": pythresh.__version__,
        },
        "cases": [],
    }
    for dataset, models in CASES:
        x = load(dataset)
        for model in models:
            clf = MODELS[model]()
            clf.fit(x)
            scores = np.asarray(clf.decision_scores_, dtype=np.float64)
            lo, hi = scores.min(), scores.max()
            case = {"dataset": dataset, "model": model, "scores": [float(v) for v in scores], "methods": {}}
            for name, make in METHODS.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    th = make()
                    labels = np.asarray(th.eval(scores)).astype(int)
                flagged = np.flatnonzero(labels == 1)
                normed = (scores - lo) / (hi - lo)
                if name == "clust":
                    # CLUST has no thresh_: its threshold is where
                    # KMeans.predict changes cluster, the centres' midpoint;
                    # anml needs the outliers to be the upper cluster
                    centres = th._clf.cluster_centers_.ravel()
                    thresh = float((centres[0] + centres[1]) / 2.0)
                    assert normed[flagged].min() > normed[labels == 0].max(), (dataset, model)
                    assert np.array_equal(flagged, np.flatnonzero(normed >= thresh)), (dataset, model)
                else:
                    thresh = float(th.thresh_)
                if name in DATA_POINT and len(flagged) > 0:
                    raw = float(scores[flagged][np.argmin(normed[flagged])])
                else:
                    raw = float(lo + thresh * (hi - lo))
                case["methods"][name] = {
                    "thresh": thresh,
                    "threshold": raw,
                    "outliers": [int(i) for i in flagged],
                }
            out["cases"].append(case)
            print(dataset, model, {k: (round(v["thresh"], 4), len(v["outliers"])) for k, v in case["methods"].items()})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out) + "\n")
    print("wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
