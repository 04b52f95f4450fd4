#!/usr/bin/env python3
"""Generate the PyOD / scikit-learn reference for anml's density detectors.

What it does
------------
anml's ``kde`` (src/detectors/kde/) re-implements PyOD's ``KDE()`` (which
wraps scikit-learn's ``KernelDensity(kernel='gaussian')``) and ``gmm``
(src/detectors/gmm/) re-implements PyOD's ``GMM()`` (scikit-learn's
``GaussianMixture``). This script records the reference side for
``tests/kde_parity.rs`` and ``tests/gmm_parity.rs`` in
``tests/fixtures/kde/reference.json`` and ``tests/fixtures/gmm/reference.json``.

For each ODDS dataset in ``DATASETS`` (keys ``X`` and ``y`` of the ``.mat``
file):

* a deterministic split without any RNG: train = the rows whose index
  ``i % 5`` is 0, 1 or 2, test = the rows with ``i % 5`` in {3, 4};
* ``StandardScaler`` fit on train, applied to train and test;
* scores summarised as: ``n_train``, ``n_test``, the first ``N_STORED`` test
  scores (``decision_function(X_test)``) and training scores
  (``decision_scores_``), aggregates over *all* of them (sum, sum of squares,
  min, max) and the test ROC-AUC.

KDE. ``pyod`` = ``KDE()`` (bandwidth 1, kd-tree, atol = rtol = 0). ``exact``
= the same quantity summed directly: squared distances from direct
differences, ``scipy.special.logsumexp`` over ``-d^2 / 2``, plus
scikit-learn's kernel normalisation ``-(d/2) ln 2 pi - ln n``. scikit-learn's
tree accumulates bounds with logaddexp/logsubexp, and for rows far from every
training row its cancellation residual dominates the true density, so its
log density is too high there. ``pyod_off`` lists, per dataset, the
positions of the test/train rows where PyOD and ``exact`` differ by more
than a relative 1e-6; for every such row the script checks the ``exact``
value against an extended-precision (``np.longdouble``) sum (agreement to
1e-12 is asserted), which shows that ``exact`` is right and PyOD is off.

GMM. ``pyod`` = ``GMM()`` (one full-covariance component: deterministic).
``from_labels`` = ``GMM(n_components=k, random_state=0)`` on a few datasets,
with the k-means labels scikit-learn's initialisation used (recomputed as
``KMeans(k, n_init=1, random_state=RandomState(0)).fit(X_train).labels_``,
which consumes the same random draws; the script checks that the means a
``max_iter=0`` fit starts from equal the label means). anml's
``gmm::fit_from_labels`` starts from the same labels, so its EM must land on
the same mixture.

Values are written with 12 significant digits (the tests' tolerance is a
relative 1e-6), which keeps the files small. The Rust tests never need
Python. Re-run this script only to refresh the fixtures after a deliberate
change.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_density_reference.py

The ``.mat`` files are read from ``../shared/datasets/odds/`` relative to the
repository root; set ``ANML_DATA_MIRROR`` to the ``datasets`` folder, or pass
``--odds-dir``, to read them elsewhere. Shuttle's KDE takes a few minutes.

Versions
--------
The committed fixtures were produced by Python 3.11, numpy, scipy,
scikit-learn 1.9.1 and PyOD 3.6.7; each JSON file records the versions that
actually produced it under ``"versions"`` and the SHA-256 of every input.
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
from pyod.models.gmm import GMM
from pyod.models.kde import KDE
from scipy.special import logsumexp
from sklearn.cluster import KMeans
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
DATASETS = ["cardio", "wbc", "glass", "satimage-2", "shuttle", "mnist"]
# dataset -> n_components for the fit-from-labels GMM reference
GMM_FROM_LABELS = {"cardio": 3, "wbc": 2, "satimage-2": 4}
GMM_SEED = 0
N_STORED = 300
OFF_TOLERANCE = 1e-6
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "pyod": pyod.__version__,
}
PROTOCOL = (
    "train = rows with index % 5 in {0, 1, 2}, test = the rest; StandardScaler "
    "fit on train, applied to both; test = decision_function(X_test), "
    "train = decision_scores_; first = the first "
    f"{N_STORED} scores; sum/sum_sq/min/max over all scores; values rounded "
    "to 12 significant digits"
)


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


def scored(test: np.ndarray, train: np.ndarray, y_test: np.ndarray) -> dict:
    return {
        "test": summary(test),
        "train": summary(train),
        "test_roc_auc": float(roc_auc_score(y_test, test)),
    }


def kde_exact(train: np.ndarray, query: np.ndarray, dtype=np.float64) -> np.ndarray:
    """-log density with h = 1, summed directly (blocks of query rows)."""
    train = train.astype(dtype)
    n, d = train.shape
    block = max(1, 2_000_000 // (n * d))
    out = []
    for i in range(0, len(query), block):
        q = query[i : i + block].astype(dtype)
        sq = ((q[:, None, :] - train[None, :, :]) ** 2).sum(-1)
        if dtype == np.float64:
            out.append(logsumexp(-0.5 * sq, axis=1))
        else:
            a = -0.5 * sq
            m = a.max(axis=1, keepdims=True)
            out.append((m + np.log(np.exp(a - m).sum(axis=1, keepdims=True))).ravel())
    lse = np.concatenate(out)
    log_norm = -(0.5 * d * np.log(dtype(2) * dtype(np.pi))) - np.log(dtype(n))
    return -(lse + log_norm).astype(np.float64)


def off_rows(pyod_scores: np.ndarray, exact: np.ndarray) -> list[int]:
    rel = np.abs(pyod_scores - exact) / np.maximum(1.0, np.abs(exact))
    return [int(i) for i in np.nonzero(rel > OFF_TOLERANCE)[0]]


def kde_entry(x_train, x_test, y_test) -> dict:
    det = KDE().fit(x_train)
    p_test = np.asarray(det.decision_function(x_test), dtype=np.float64)
    p_train = np.asarray(det.decision_scores_, dtype=np.float64)
    e_test = kde_exact(x_train, x_test)
    e_train = kde_exact(x_train, x_train)
    off = {"test": off_rows(p_test, e_test), "train": off_rows(p_train, e_train)}
    for part, q, e in (("test", x_test, e_test), ("train", x_train, e_train)):
        rows = off[part]
        if rows:
            ld = kde_exact(x_train, q[rows], dtype=np.longdouble)
            err = np.max(np.abs(ld - e[rows]) / np.maximum(1.0, np.abs(ld)))
            assert err < 1e-12, f"exact sum disagrees with longdouble ({err})"
    return {
        "pyod": scored(p_test, p_train, y_test),
        "exact": scored(e_test, e_train, y_test),
        "pyod_off": off,
    }


def gmm_from_labels(x_train, x_test, y_test, k: int) -> dict:
    labels = (
        KMeans(n_clusters=k, n_init=1, random_state=np.random.RandomState(GMM_SEED))
        .fit(x_train)
        .labels_
    )
    start = GaussianMixture(n_components=k, random_state=GMM_SEED, max_iter=0).fit(x_train)
    nk = np.bincount(labels, minlength=k).astype(np.float64)
    means = np.stack([x_train[labels == c].mean(axis=0) for c in range(k)])
    assert np.allclose(start.means_, means, rtol=1e-9, atol=1e-12), "labels differ"
    assert np.allclose(start.weights_, nk / len(labels), rtol=1e-9)
    det = GMM(n_components=k, random_state=GMM_SEED).fit(x_train)
    gm = det.detector_
    test = np.asarray(det.decision_function(x_test), dtype=np.float64)
    train = np.asarray(det.decision_scores_, dtype=np.float64)
    entry = scored(test, train, y_test)
    entry.update(
        {
            "n_components": k,
            "labels": "".join(str(int(v)) for v in labels),
            "n_iter": int(gm.n_iter_),
            "converged": bool(gm.converged_),
            "lower_bound": num(gm.lower_bound_),
            "weights": [num(v) for v in gm.weights_],
        }
    )
    return entry


def write(doc: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=1)
    # One line per number list rather than one line per number.
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
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--only", choices=["kde", "gmm"], default=None)
    args = parser.parse_args()

    inputs = {}
    kde, gmm = {}, {}
    for name in DATASETS:
        path = args.odds_dir / f"{name}.mat"
        x, y = load_odds(path)
        inputs[f"odds/{name}.mat"] = sha256(path)
        train = np.arange(x.shape[0]) % 5 < 3
        scaler = StandardScaler().fit(x[train])
        x_train, x_test = scaler.transform(x[train]), scaler.transform(x[~train])
        y_test = y[~train]
        shape = {
            "n_train": int(x_train.shape[0]),
            "n_test": int(x_test.shape[0]),
            "n_features": int(x.shape[1]),
        }
        if args.only in (None, "gmm"):
            det = GMM().fit(x_train)
            entry = dict(shape)
            entry["pyod"] = scored(
                np.asarray(det.decision_function(x_test), dtype=np.float64),
                np.asarray(det.decision_scores_, dtype=np.float64),
                y_test,
            )
            if name in GMM_FROM_LABELS:
                entry["from_labels"] = gmm_from_labels(
                    x_train, x_test, y_test, GMM_FROM_LABELS[name]
                )
            gmm[name] = entry
            print(f"{name:11s} gmm ROC-AUC {entry['pyod']['test_roc_auc']:.6f}")
        if args.only in (None, "kde"):
            entry = dict(shape)
            entry.update(kde_entry(x_train, x_test, y_test))
            kde[name] = entry
            print(
                f"{name:11s} kde ROC-AUC pyod {entry['pyod']['test_roc_auc']:.6f} "
                f"exact {entry['exact']['test_roc_auc']:.6f}; PyOD off on "
                f"{len(entry['pyod_off']['test'])} test, "
                f"{len(entry['pyod_off']['train'])} train rows"
            )

    common = {
        "generator": "scripts/gen_density_reference.py",
        "versions": VERSIONS,
        "inputs_sha256": inputs,
        "protocol": PROTOCOL,
    }
    if kde:
        doc = dict(common)
        doc["estimators"] = {
            "pyod": "pyod.models.kde.KDE() (sklearn KernelDensity, gaussian, bandwidth 1)",
            "exact": "direct-difference squared distances + scipy logsumexp, bandwidth 1",
        }
        doc["off_tolerance"] = OFF_TOLERANCE
        doc["datasets"] = kde
        write(doc, args.fixtures / "kde" / "reference.json")
    if gmm:
        doc = dict(common)
        doc["estimators"] = {
            "pyod": "pyod.models.gmm.GMM() (one full-covariance component)",
            "from_labels": f"pyod.models.gmm.GMM(n_components=k, random_state={GMM_SEED}); "
            "labels = its k-means initialisation's labels",
        }
        doc["datasets"] = gmm
        write(doc, args.fixtures / "gmm" / "reference.json")


if __name__ == "__main__":
    main()
