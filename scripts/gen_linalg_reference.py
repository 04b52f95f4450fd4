#!/usr/bin/env python3
"""Generate the references for anml's ``pca`` and ``mcd`` detectors.

What it does
------------
``pca`` (src/detectors/pca/) is the principal-component score of Shyu, Chen,
Sarinnapakorn & Chang (2003), *not* PyOD's ``PCA`` (whose score depends on the
arbitrary signs of the eigenvectors). So its reference is computed here
independently with ``sklearn.decomposition.PCA``:

* standardise the training rows (mean, population std; a column that
  scikit-learn's ``_is_constant_feature`` calls constant is set to 0);
* ``PCA(svd_solver="full")`` on them: ``components_`` and
  ``explained_variance_`` (which divides by n - 1);
* drop components with ``explained_variance_ <= max * d * eps``;
* score(x) = sum_j ((z(x) - mean_) . v_j)^2 / explained_variance_j.

PyOD 3.6.7's ``PCA()`` test ROC-AUC on the same split is stored beside it
(``pyod_pca_test_roc_auc``; null where PyOD's scores are not finite) so both
can be reported side by side.

``mcd`` (src/detectors/mcd/) re-implements scikit-learn's ``MinCovDet`` as
wrapped by PyOD's ``MCD``. Its random subsets are drawn with anml's own RNG,
so two parts are stored:

* ``deterministic``: on small datasets, sklearn's raw support
  (``raw_support_`` of ``MCD(random_state=0)``) and what scikit-learn's own
  ``correct_covariance`` + ``reweight_covariance`` + ``mahalanobis`` make of
  it (raw location/covariance recomputed from that support, raw distances
  under ``pinvh``). anml, started from the same support, must agree to 1e-6;
* ``pyod_mcd``: PyOD ``MCD(random_state=s)`` test ROC-AUC for seeds 0..4.

``chi2``: scipy's ``chi2.ppf`` / ``chi2.cdf`` / ``chi2.isf`` on a grid, for
anml's own inverse chi-square CDF.

Split: train = rows with index % 5 in {0, 1, 2}, test = the rest;
``StandardScaler`` fit on train, applied to both. Values are written with 12
significant digits.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_linalg_reference.py

The ``.mat`` files are read from ``../shared/datasets/odds/`` (or
``$ANML_DATA_MIRROR/odds``, or ``--odds-dir``). Produced with Python 3.11,
numpy, scipy, scikit-learn 1.9.1 and PyOD 3.6.7 (recorded in the files).
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
from pyod.models.mcd import MCD
from pyod.models.pca import PCA as PyodPCA
from scipy import linalg
from scipy.stats import chi2
from sklearn.covariance import MinCovDet, empirical_covariance
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.extmath import _incremental_mean_and_var  # noqa: F401 (version check)
from sklearn.preprocessing._data import _is_constant_feature

REPO_ROOT = Path(__file__).resolve().parent.parent
PCA_OUT = REPO_ROOT / "tests" / "fixtures" / "pca" / "reference.json"
MCD_OUT = REPO_ROOT / "tests" / "fixtures" / "mcd" / "reference.json"
PCA_DATASETS = ["cardio", "wbc", "glass", "vertebral", "pima", "satimage-2", "shuttle", "mnist"]
MCD_DATASETS = ["wbc", "glass", "vertebral", "pima", "cardio", "satimage-2", "shuttle"]
MCD_EXACT = ["wbc", "glass", "vertebral", "cardio"]
MCD_SEEDS = range(5)
N_STORED = 300
EPS = np.finfo(np.float64).eps
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


def load_split(path: Path):
    mat = scipy.io.loadmat(path)
    x = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    train = np.arange(x.shape[0]) % 5 < 3
    scaler = StandardScaler().fit(x[train])
    return scaler.transform(x[train]), scaler.transform(x[~train]), y[~train]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def num(v: float) -> float:
    return float(f"{float(v):.12g}")


def summary(scores: np.ndarray) -> dict:
    return {
        "first": [num(v) for v in scores[:N_STORED]],
        "sum": num(np.sum(scores)),
        "sum_sq": num(np.sum(scores * scores)),
        "min": num(np.min(scores)),
        "max": num(np.max(scores)),
    }


def shyu_pca(x_train: np.ndarray, n_components=None):
    """Shyu et al.'s score via sklearn's PCA; returns (score fn, kept count)."""
    n, d = x_train.shape
    mean = x_train.mean(0)
    var = x_train.var(0)
    const = _is_constant_feature(var, mean, n)
    std = np.sqrt(var)
    std[const] = 1.0

    def standardise(x):
        z = (x - mean) / std
        z[:, const] = 0.0
        return z

    pca = PCA(svd_solver="full").fit(standardise(x_train))
    ev = pca.explained_variance_
    keep = ev > ev.max() * d * EPS
    n_keep = int(keep.sum())
    if isinstance(n_components, float):
        ratio = np.cumsum(pca.explained_variance_ratio_)
        n_keep = min(n_keep, int(np.searchsorted(ratio, n_components, side="right")) + 1)
    elif isinstance(n_components, int):
        n_keep = min(n_keep, n_components)
    comps, lam = pca.components_[:n_keep], ev[:n_keep]

    def score(x):
        proj = (standardise(x) - pca.mean_) @ comps.T
        return np.sum(proj * proj / lam, axis=1)

    return score, n_keep


def pca_reference(odds_dir: Path, inputs: dict) -> dict:
    datasets = {}
    for name in PCA_DATASETS:
        path = odds_dir / f"{name}.mat"
        inputs[f"odds/{name}.mat"] = sha256(path)
        x_train, x_test, y_test = load_split(path)
        score, k = shyu_pca(x_train)
        test, train = score(x_test), score(x_train)
        auc = float(roc_auc_score(y_test, test))
        variants = {}
        for label, nc in [("0.9", 0.9), ("3", 3)]:
            s, kv = shyu_pca(x_train, nc)
            vt = s(x_test)
            variants[label] = {"n_kept": kv, "test": summary(vt)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyod_scores = PyodPCA().fit(x_train).decision_function(x_test)
        pyod_auc = (
            float(roc_auc_score(y_test, pyod_scores)) if np.all(np.isfinite(pyod_scores)) else None
        )
        datasets[name] = {
            "n_train": int(x_train.shape[0]),
            "n_test": int(x_test.shape[0]),
            "n_features": int(x_train.shape[1]),
            "n_kept": k,
            "test": summary(test),
            "train": summary(train),
            "test_roc_auc": auc,
            "n_components": variants,
            "pyod_pca_test_roc_auc": pyod_auc,
        }
        print(f"pca {name:11s} kept {k:3d}  Shyu ROC-AUC {auc:.6f}  PyOD PCA {pyod_auc}")
    return datasets


def from_support(x_train, x_test, support_idx):
    """scikit-learn's correction + reweighting + mahalanobis from a raw support."""
    n, d = x_train.shape
    xs = x_train[support_idx]
    loc = xs.mean(0)
    cov = empirical_covariance(xs)
    prec = linalg.pinvh(cov)
    xc = x_train - loc
    dist = (xc @ prec * xc).sum(1)
    m = MinCovDet()
    m.raw_location_, m.raw_covariance_ = loc, cov
    m.location_ = loc
    support = np.zeros(n, dtype=bool)
    support[support_idx] = True
    m.raw_support_ = m.support_ = support
    m.dist_ = dist
    m.n_features_in_ = d
    m.correct_covariance(x_train)
    m.reweight_covariance(x_train)
    return m


def mcd_reference(odds_dir: Path, inputs: dict) -> dict:
    datasets = {}
    for name in MCD_DATASETS:
        path = odds_dir / f"{name}.mat"
        inputs[f"odds/{name}.mat"] = sha256(path)
        x_train, x_test, y_test = load_split(path)
        entry = {
            "n_train": int(x_train.shape[0]),
            "n_test": int(x_test.shape[0]),
            "n_features": int(x_train.shape[1]),
        }
        aucs = []
        start = time.time()
        for seed in MCD_SEEDS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                det = MCD(random_state=seed).fit(x_train)
            aucs.append(float(roc_auc_score(y_test, det.decision_function(x_test))))
            if seed == 0 and name in MCD_EXACT:
                support_idx = np.flatnonzero(det.raw_support_)
                m = from_support(x_train, x_test, support_idx)
                same = np.allclose(m.dist_, det.decision_scores_, rtol=1e-9, atol=0)
                entry["deterministic"] = {
                    "raw_support": [int(i) for i in support_idx],
                    "location": [num(v) for v in m.location_],
                    "covariance": [num(v) for v in m.covariance_.ravel()],
                    "n_reweighted_support": int(m.support_.sum()),
                    "train": summary(m.dist_),
                    "test": summary(m.mahalanobis(x_test)),
                    "equals_sklearn_fit": bool(same),
                }
                print(f"mcd {name:11s} from-support path equals the sklearn fit: {same}")
        entry["pyod_mcd_test_roc_auc"] = {str(s): a for s, a in zip(MCD_SEEDS, aucs)}
        entry["pyod_mcd_mean_test_roc_auc"] = float(np.mean(aucs))
        print(f"mcd {name:11s} PyOD MCD ROC-AUC seeds 0-4 {np.round(aucs, 4)} ({time.time() - start:.0f}s)")
        datasets[name] = entry
    return datasets


def chi2_reference() -> list:
    rows = []
    for d in [1, 2, 3, 5, 6, 8, 9, 10, 21, 30, 36, 50, 100, 166, 274]:
        for p in [1e-6, 0.01, 0.25, 0.5, 0.5043, 0.75, 0.975, 0.999999]:
            q = chi2.ppf(p, d)
            rows.append({"df": d, "p": p, "ppf": float(q), "cdf_df_plus_2": float(chi2.cdf(q, d + 2)),
                         "isf_0_025": float(chi2.isf(0.025, d))})
    return rows


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
    parser.add_argument("--only", choices=["pca", "mcd"], default=None)
    args = parser.parse_args()
    protocol = (
        "train = rows with index % 5 in {0, 1, 2}, test = the rest; StandardScaler fit on "
        f"train, applied to both; first = the first {N_STORED} scores; sum/sum_sq/min/max "
        "over all scores; values rounded to 12 significant digits"
    )
    if args.only in (None, "pca"):
        inputs = {}
        datasets = pca_reference(args.odds_dir, inputs)
        dump({
            "generator": "scripts/gen_linalg_reference.py",
            "versions": VERSIONS,
            "inputs_sha256": inputs,
            "reference": "Shyu et al. 2003 score via sklearn.decomposition.PCA(svd_solver='full'): "
                         "sum_j (z.v_j)^2 / explained_variance_j over components with "
                         "explained_variance_ > max * d * eps; z = standardised rows "
                         "(population std, constant columns set to 0)",
            "protocol": protocol,
            "datasets": datasets,
        }, PCA_OUT)
    if args.only in (None, "mcd"):
        inputs = {}
        datasets = mcd_reference(args.odds_dir, inputs)
        dump({
            "generator": "scripts/gen_linalg_reference.py",
            "versions": VERSIONS,
            "inputs_sha256": inputs,
            "estimator": "pyod.models.mcd.MCD(random_state=seed) (sklearn MinCovDet); "
                         "deterministic = sklearn correct_covariance + reweight_covariance + "
                         "mahalanobis started from MCD(random_state=0).raw_support_",
            "protocol": protocol,
            "chi2": chi2_reference(),
            "datasets": datasets,
        }, MCD_OUT)


if __name__ == "__main__":
    main()
