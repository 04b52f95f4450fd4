#!/usr/bin/env python3
"""Generate the reference for anml's comparison of detectors (src/compare/).

What it does
------------
``anml results compare`` and the script ``compare(...)`` follow Demšar (2006):
the Friedman test with the Iman–Davenport correction, average ranks, the
Nemenyi critical difference and pairwise p-values, Wilcoxon signed-rank tests
with Holm's step-down adjustment, and win/tie/loss counts per pair. This script
records what the libraries researchers use compute on the same matrices, in
``tests/fixtures/compare/reference.json``; ``tests/compare_parity.rs`` compares
anml to it (Python is never needed at test time).

The matrices (datasets × models, higher = better) come from the committed
``tests/fixtures/pyod_suite/mean_roc_auc.json`` (PyOD's mean ROC-AUC over ten
seeds on the 17 ODDS datasets):

* ``full``: all 17 datasets × the 21 models that ran on all of them (``kde``
  and ``kde_exact`` lack datasets and are left out);
* ``k3``: cblof, ocsvm, hbos on all 17 datasets — cblof and ocsvm tie on musk,
  so Friedman's tie correction is used and their Wilcoxon test has a zero
  difference with n = 17 > 13 (scipy's normal approximation);
* ``k5_n8``: five models on the first eight datasets — ecod_train_ecdf and hbos
  tie on lympho (scipy's exact permutation branch, n <= 13 with a zero), every
  other pair has no tie (scipy's exact distribution);
* ``synthetic_n60``: 60 rows × 4 models from a seeded generator, rounded to two
  decimals (many ties and zeros; n > 50, so scipy's normal approximation).

Per case: ``scipy.stats.friedmanchisquare`` (statistic, p); the Iman–Davenport
F = (N-1)χ² / (N(k-1) - χ²) with its p from ``scipy.stats.f.sf(F, k-1,
(k-1)(N-1))``; average ranks (``scipy.stats.rankdata`` of the negated row, so
rank 1 = best, mid-ranks for ties); ``scikit_posthocs.posthoc_nemenyi_friedman``
p-values; the critical difference from ``scipy.stats.studentized_range.ppf``
(numerical) and autorank's (``autorank`` computes q with statsmodels'
``qsturng``, an interpolation of tables, so it agrees only to about 1e-4) and
autorank's groups; per pair (i < j in model order) ``scipy.stats.wilcoxon``
with its defaults (statistic, p, and which branch scipy's method='auto' took),
Holm-adjusted with ``statsmodels.stats.multitest.multipletests(..., 'holm')``,
and wins/ties/losses of model i against model j.

How to run (from the repository root)
-------------------------------------
    /tmp/ref/bin/python scripts/gen_compare_reference.py

Needs numpy, scipy, pandas, scikit-posthocs, autorank and statsmodels (the
versions used are written into the fixture).
"""

import contextlib
import io
import json
import os
import sys

import numpy as np
import pandas as pd
import scipy
import scipy.stats as ss
import scikit_posthocs as sp
import autorank
import statsmodels
from autorank import autorank as run_autorank
from autorank._util import get_sorted_rank_groups
from statsmodels.stats.multitest import multipletests

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SUITE = os.path.join(ROOT, "tests", "fixtures", "pyod_suite", "mean_roc_auc.json")
OUT = os.path.join(ROOT, "tests", "fixtures", "compare", "reference.json")
ALPHAS = [0.05, 0.10]


def suite_matrix():
    table = json.load(open(SUITE))["mean_roc_auc"]
    datasets = list(table)
    models = sorted(m for m in table[datasets[0]] if all(m in table[d] for d in datasets))
    values = [[table[d][m]["mean_roc_auc"] for m in models] for d in datasets]
    return datasets, models, np.array(values)


def wilcoxon_branch(d):
    """Which branch scipy's method='auto' takes (see scipy/stats/_wilcoxon.py)."""
    n = len(d)
    nz = np.abs(d[d != 0])
    if n > 50:
        return "asymptotic"
    if not (np.any(d == 0) or len(np.unique(nz)) < len(nz)):
        return "exact"
    return "permutation" if n <= 13 else "asymptotic"


def case(name, datasets, models, x):
    n, k = x.shape
    out = {"name": name, "datasets": datasets, "models": models, "values": x.tolist()}
    fr = ss.friedmanchisquare(*[x[:, j] for j in range(k)])
    chi2 = float(fr.statistic)
    out["friedman_statistic"] = chi2
    out["friedman_p"] = float(fr.pvalue)
    df1, df2 = k - 1, (k - 1) * (n - 1)
    f = (n - 1) * chi2 / (n * (k - 1) - chi2)
    out["iman_davenport_statistic"] = f
    out["iman_davenport_df"] = [df1, df2]
    out["iman_davenport_p"] = float(ss.f.sf(f, df1, df2))
    ranks = np.array([ss.rankdata(-row, method="average") for row in x])
    out["average_ranks"] = ranks.mean(axis=0).tolist()
    nem = sp.posthoc_nemenyi_friedman(x)
    out["nemenyi_p"] = nem.to_numpy().tolist()

    out["cd"] = {}
    for alpha in ALPHAS:
        q = float(ss.studentized_range.ppf(1 - alpha, k, np.inf)) / np.sqrt(2)
        cd = q * np.sqrt(k * (k + 1) / (6 * n))
        df = pd.DataFrame(x, columns=models)
        with contextlib.redirect_stdout(io.StringIO()):
            res = run_autorank(df, alpha=alpha, verbose=False, order="descending",
                               force_mode="nonparametric")
            sorted_ranks, names, groups = get_sorted_rank_groups(res, reverse=False)
        out["cd"][str(alpha)] = {
            "q_alpha": q,
            "cd": float(cd),
            "autorank_cd": float(res.cd),
            "autorank_meanrank": {m: float(res.rankdf.meanrank[m]) for m in models},
            "autorank_groups": [sorted(names[i] for i in range(a, b + 1)) for a, b in groups],
        }

    pairs = []
    for i in range(k):
        for j in range(i + 1, k):
            d = x[:, i] - x[:, j]
            if np.all(d == 0):
                w = {"statistic": 0.0, "p": None, "branch": "all_zero"}
            else:
                r = ss.wilcoxon(x[:, i], x[:, j])
                w = {"statistic": float(r.statistic), "p": float(r.pvalue),
                     "branch": wilcoxon_branch(d)}
            w.update({"i": i, "j": j, "wins": int(np.sum(d > 0)), "ties": int(np.sum(d == 0)),
                      "losses": int(np.sum(d < 0))})
            pairs.append(w)
    ps = [p["p"] for p in pairs]
    holm = multipletests(ps, method="holm")[1]
    for p, h in zip(pairs, holm):
        p["holm_p"] = float(h)
    out["pairs"] = pairs
    return out


def main():
    datasets, models, x = suite_matrix()
    cases = [case("full", datasets, models, x)]
    pick = ["cblof", "ocsvm", "hbos"]
    cases.append(case("k3", datasets, pick, x[:, [models.index(m) for m in pick]]))
    pick = ["ecod_train_ecdf", "hbos", "copod", "knn", "lof"]
    cases.append(case("k5_n8", datasets[:8], pick, x[:8][:, [models.index(m) for m in pick]]))
    rng = np.random.default_rng(20)
    base = rng.uniform(0.5, 0.9, size=(60, 1))
    syn = np.round(base + rng.normal(0, 0.04, size=(60, 4)) + [0.0, 0.01, 0.02, 0.0], 2)
    cases.append(case("synthetic_n60", [f"d{i}" for i in range(60)],
                      ["a", "b", "c", "d"], syn))
    branches = {p["branch"] for c in cases for p in c["pairs"]}
    assert {"exact", "asymptotic", "permutation"} <= branches, branches
    doc = {
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scipy": scipy.__version__, "scikit_posthocs": sp.__version__,
                     "autorank": getattr(autorank, "__version__", "1.3.0"),
                     "statsmodels": statsmodels.__version__},
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases, branches {sorted(branches)}")


if __name__ == "__main__":
    main()
