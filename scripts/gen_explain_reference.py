#!/usr/bin/env python3
"""Generate the reference values for anml's per-row explanations.

What it does
------------
``tests/explain_parity.rs`` checks anml's explanations
(src/detectors/explain.rs and each detector's ``explain.rs`` / ``diffi.rs``)
against the libraries researchers use. This script writes
``tests/fixtures/explain/reference.json``:

1. **Additive detectors** (PyOD 3.6.7). For the ODDS datasets in
   ``TAIL_DATASETS``, split by row index with no RNG (train = rows with
   ``i % 5`` in {0, 1, 2}, ``StandardScaler`` fit on train), PyOD's
   ``ECOD()``, ``COPOD()`` and ``HBOS()`` are fit on the training rows. For
   the training rows in ``ROWS`` (and the three highest-scoring ones) the
   fixture holds ECOD's and COPOD's per-dimension values ``self.O[i, :]``
   (what ``explain_outlier`` plots) and HBOS's per-feature terms (minus
   ``_calculate_outlier_scores``, which ``decision_function`` sums and
   negates), with each row's ``decision_scores_``.

2. **k-NN family** (scikit-learn). On the same split, for the first test
   rows: the indices of the 5 nearest training rows
   (``NearestNeighbors(n_neighbors=5).kneighbors``) and per feature the
   squared differences averaged as each variant scores (k-th neighbour;
   mean over the 5; the middle one).

3. **DIFFI** (Carletti, Terzi & Susto 2023). For ``DIFFI_DATASETS`` (raw
   ODDS ``X`` rounded to float32, which is what scikit-learn's trees compare
   against), ``IsolationForest(n_estimators=N_TREES, max_samples=PSI,
   contamination=0.1, random_state=0)`` is fit on all rows; the fixture holds
   its trees (pre-order: the left child of node i is i + 1, asserted),
   each tree's in-bag rows (``estimators_samples_``), ``-offset_`` (the
   threshold on ``-score_samples``), ``-score_samples`` of the explained
   rows, and DIFFI's local importances of those rows and global in-bag
   importances computed by the authors' reference code
   (github.com/mattiacarletti/DIFFI, ``interpretability_module.py``:
   ``local_diffi``, ``diffi_ib``, ``_get_iic``; MIT licence, Copyright (c)
   2020 Mattia Carletti), copied below with the timing dropped, the
   node-depth walk shared by a helper, ``diffi_ib``'s identical outlier and
   inlier passes written as one loop over the two groups (same order of
   additions), and the single-tree score of ``sklearn_mod_functions.py``
   written directly (its ``n_features_`` check no longer runs on
   scikit-learn 1.9).

The Rust test never needs Python. Re-run only to refresh the fixture.

How to run (from the repository root)
-------------------------------------
    /tmp/ref/bin/python scripts/gen_explain_reference.py

The ODDS ``.mat`` files are read from ``$ANML_DATA_MIRROR/odds/`` if set,
else ``../shared/datasets/odds/``. Versions are recorded in the output.
"""

import json
import os
import platform
import sys
from math import ceil
from pathlib import Path

import numpy as np
import scipy
import scipy.io
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.ensemble._iforest import _average_path_length
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

import pyod
from pyod.models.copod import COPOD
from pyod.models.ecod import ECOD
from pyod.models.hbos import HBOS, _calculate_outlier_scores

TAIL_DATASETS = ["cardio", "wbc", "glass"]
DIFFI_DATASETS = ["cardio", "ionosphere"]
ROWS = [0, 1, 2, 3, 4]
N_TEST_ROWS = 5
K = 5
N_TREES = 25
PSI = 64
ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("ANML_DATA_MIRROR", ROOT.parent / "shared" / "datasets"))
OUT = ROOT / "tests" / "fixtures" / "explain" / "reference.json"


def load(name):
    m = scipy.io.loadmat(MIRROR / "odds" / f"{name}.mat")
    return np.asarray(m["X"], dtype=np.float64), np.asarray(m["y"]).ravel()


def split(x):
    idx = np.arange(x.shape[0])
    train = np.isin(idx % 5, [0, 1, 2])
    scaler = StandardScaler().fit(x[train])
    return scaler.transform(x[train]), scaler.transform(x[~train])


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


# --- DIFFI reference code (mattiacarletti/DIFFI, MIT licence) -------------

def decision_function_single_tree(iforest, tree_idx, X):
    # sklearn_mod_functions.py: -2^(-depth / c(psi)) - offset_, with depth =
    # nodes on the path + c(leaf size) - 1 (max_features = 1.0 here).
    tree = iforest.estimators_[tree_idx]
    leaves_index = tree.apply(X)
    node_indicator = tree.decision_path(X)
    n_samples_leaf = tree.tree_.n_node_samples[leaves_index]
    depths = np.ravel(node_indicator.sum(axis=1)) + _average_path_length(n_samples_leaf) - 1.0
    scores = 2 ** (-depths / (1 * _average_path_length([iforest.max_samples_])))
    return -scores - iforest.offset_


def node_depths(estimator):
    n_nodes = estimator.tree_.node_count
    children_left = estimator.tree_.children_left
    children_right = estimator.tree_.children_right
    node_depth = np.zeros(shape=n_nodes, dtype=np.int64)
    is_leaves = np.zeros(shape=n_nodes, dtype=bool)
    stack = [(0, -1)]
    while len(stack) > 0:
        node_id, parent_depth = stack.pop()
        node_depth[node_id] = parent_depth + 1
        if children_left[node_id] != children_right[node_id]:
            stack.append((children_left[node_id], parent_depth + 1))
            stack.append((children_right[node_id], parent_depth + 1))
        else:
            is_leaves[node_id] = True
    return node_depth, is_leaves


def diffi_ib(iforest, X, adjust_iic=True):
    num_feat = X.shape[1]
    estimators = iforest.estimators_
    cfi_outliers_ib = np.zeros(num_feat).astype('float')
    cfi_inliers_ib = np.zeros(num_feat).astype('float')
    counter_outliers_ib = np.zeros(num_feat).astype('int')
    counter_inliers_ib = np.zeros(num_feat).astype('int')
    in_bag_samples = iforest.estimators_samples_
    for k, estimator in enumerate(estimators):
        in_bag_sample = list(in_bag_samples[k])
        X_ib = X[in_bag_sample, :]
        as_ib = decision_function_single_tree(iforest, k, X_ib)
        X_outliers_ib = X_ib[np.where(as_ib < 0)]
        X_inliers_ib = X_ib[np.where(as_ib > 0)]
        if X_inliers_ib.shape[0] == 0 or X_outliers_ib.shape[0] == 0:
            continue
        feature = estimator.tree_.feature
        node_depth, is_leaves = node_depths(estimator)
        for X_group, cfi, counter in [(X_outliers_ib, cfi_outliers_ib, counter_outliers_ib),
                                      (X_inliers_ib, cfi_inliers_ib, counter_inliers_ib)]:
            lambda_ = _get_iic(estimator, X_group, is_leaves, adjust_iic)
            node_indicator = estimator.decision_path(X_group).toarray()
            for i in range(len(X_group)):
                path = list(np.where(node_indicator[i] == 1)[0])
                depth = node_depth[path[-1]]
                for node in path:
                    current_feature = feature[node]
                    if lambda_[node] == -1:
                        continue
                    cfi[current_feature] += (1 / depth) * lambda_[node]
                    counter[current_feature] += 1
    fi_outliers_ib = np.where(counter_outliers_ib > 0, cfi_outliers_ib / counter_outliers_ib, 0)
    fi_inliers_ib = np.where(counter_inliers_ib > 0, cfi_inliers_ib / counter_inliers_ib, 0)
    return fi_outliers_ib / fi_inliers_ib


def local_diffi(iforest, x):
    estimators = iforest.estimators_
    cfi = np.zeros(len(x)).astype('float')
    counter = np.zeros(len(x)).astype('int')
    max_depth = int(np.ceil(np.log2(iforest.max_samples)))
    for estimator in estimators:
        feature = estimator.tree_.feature
        node_depth, is_leaves = node_depths(estimator)
        x = x.reshape(1, -1)
        node_indicator_array = estimator.decision_path(x).toarray()
        path = list(np.where(node_indicator_array == 1)[1])
        leaf_depth = node_depth[path[-1]]
        for node in path:
            if not is_leaves[node]:
                current_feature = feature[node]
                cfi[current_feature] += (1 / leaf_depth) - (1 / max_depth)
                counter[current_feature] += 1
    fi = np.zeros(len(cfi))
    for i in range(len(cfi)):
        if counter[i] != 0:
            fi[i] = cfi[i] / counter[i]
    return fi


def _get_iic(estimator, predictions, is_leaves, adjust_iic):
    desired_min = 0.5
    desired_max = 1.0
    epsilon = 0.0
    n_nodes = estimator.tree_.node_count
    lambda_ = np.zeros(n_nodes)
    children_left = estimator.tree_.children_left
    children_right = estimator.tree_.children_right
    node_indicator_all_samples = estimator.decision_path(predictions).toarray()
    num_samples_in_node = np.sum(node_indicator_all_samples, axis=0)
    for node in range(n_nodes):
        num_samples_in_current_node = num_samples_in_node[node]
        num_samples_in_left_children = num_samples_in_node[children_left[node]]
        num_samples_in_right_children = num_samples_in_node[children_right[node]]
        if num_samples_in_current_node == 0 or num_samples_in_current_node == 1 or is_leaves[node]:
            lambda_[node] = -1
        elif num_samples_in_left_children == 0 or num_samples_in_right_children == 0:
            lambda_[node] = epsilon
        else:
            if num_samples_in_current_node % 2 == 0:
                current_min = 0.5
            else:
                current_min = ceil(num_samples_in_current_node / 2) / num_samples_in_current_node
            current_max = (num_samples_in_current_node - 1) / num_samples_in_current_node
            tmp = np.max([num_samples_in_left_children, num_samples_in_right_children]) \
                / num_samples_in_current_node
            if adjust_iic and current_min != current_max:
                lambda_[node] = ((tmp - current_min) / (current_max - current_min)) \
                    * (desired_max - desired_min) + desired_min
            else:
                lambda_[node] = tmp
    return lambda_

# --- end of the DIFFI reference code --------------------------------------


def tree_arrays(estimator):
    t = estimator.tree_
    left, right = t.children_left, t.children_right
    for i in range(t.node_count):
        if left[i] != -1:
            assert left[i] == i + 1, "scikit-learn's tree is not in pre-order"
    return {
        "feature": [int(f) if left[i] != -1 else 0 for i, f in enumerate(t.feature)],
        "threshold": [float(v) if left[i] != -1 else 0.0 for i, v in enumerate(t.threshold)],
        "right": [int(r) if r != -1 else 0 for r in right],
        "n_samples": [int(v) for v in t.n_node_samples],
    }


def additive_entry(name):
    x, _ = load(name)
    xtr, xte = split(x)
    entry = {"n_train": int(xtr.shape[0]), "n_features": int(xtr.shape[1])}
    ecod = ECOD().fit(xtr)
    rows = sorted(set(ROWS) | set(int(i) for i in np.argsort(-ecod.decision_scores_)[:3]))
    entry["rows"] = rows
    for key, det in [("ecod", ecod), ("copod", COPOD().fit(xtr))]:
        entry[key] = {
            "O": [floats(det.O[i]) for i in rows],
            "scores": floats(det.decision_scores_[rows]),
        }
    hbos = HBOS().fit(xtr)
    terms = -_calculate_outlier_scores(xtr[rows], hbos.bin_edges_, hbos.hist_, hbos.n_bins,
                                       hbos.alpha, hbos.tol)
    entry["hbos"] = {"terms": [floats(t) for t in terms],
                     "scores": floats(hbos.decision_scores_[rows])}
    nn = NearestNeighbors(n_neighbors=K).fit(xtr)
    q = xte[:N_TEST_ROWS]
    _, ind = nn.kneighbors(q)
    sq = (q[:, None, :] - xtr[ind]) ** 2  # rows x k x d
    entry["knn"] = {
        "k": K,
        "test_rows": list(range(N_TEST_ROWS)),
        "indices": [[int(v) for v in r] for r in ind],
        "knn": [floats(s[K - 1]) for s in sq],
        "avg_knn": [floats(s.mean(axis=0)) for s in sq],
        "med_knn": [floats(s[K // 2]) for s in sq],
    }
    return entry


def diffi_entry(name):
    x, _ = load(name)
    x = x.astype(np.float32).astype(np.float64)
    forest = IsolationForest(n_estimators=N_TREES, max_samples=PSI, contamination=0.1,
                             random_state=0).fit(x)
    scores = -forest.score_samples(x)
    rows = sorted(set(ROWS) | set(int(i) for i in np.argsort(-scores)[:3]))
    return {
        "n": int(x.shape[0]),
        "n_features": int(x.shape[1]),
        "max_samples": int(forest.max_samples_),
        "threshold": float(-forest.offset_),
        "trees": [tree_arrays(e) for e in forest.estimators_],
        "in_bag": [[int(v) for v in s] for s in forest.estimators_samples_],
        "rows": rows,
        "scores": floats(scores[rows]),
        "local": [floats(local_diffi(forest, x[i])) for i in rows],
        # A feature no inlier path credits gives x / 0 = inf (0 / 0 = nan):
        # JSON has no such numbers, so those are the strings "inf" / "nan".
        "global": [v if np.isfinite(v) else str(v) for v in floats(diffi_ib(forest, x))],
    }


def main():
    out = {
        "generator": "scripts/gen_explain_reference.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "pyod": pyod.__version__,
        },
        "additive": {name: additive_entry(name) for name in TAIL_DATASETS},
        "diffi": {name: diffi_entry(name) for name in DIFFI_DATASETS},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
