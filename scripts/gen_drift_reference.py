#!/usr/bin/env python3
"""Generate the reference values for anml's drift measures (src/drift/).

What it does
------------
``tests/drift_parity.rs`` compares anml's per-feature PSI and KS drift with
this script's values, stored in ``tests/fixtures/drift/reference.json``:

* ``datasets``: for the ODDS files cardio, wbc, glass (both sets at most
  10 000 rows: scipy's exact KS p-value) and shuttle (more: the asymptotic
  one), raw values (``scipy.io.loadmat``, no scaling) split by row index
  with no RNG: reference = rows with ``i % 5`` in {0, 1, 2}, current = the
  others. Two cases each: ``same`` (that split) and ``shifted`` (every
  current column plus a quarter of the reference column's range,
  ``cur + 0.25 * (max - min)``). Per feature: PSI by the direct numpy
  implementation below of the rule documented in src/drift/mod.rs, and
  ``scipy.stats.ks_2samp(ref, cur)`` (defaults: two-sided, method 'auto').
* ``pairs``: ``ks_2samp`` on synthetic samples built without RNG (so Rust
  rebuilds them bit for bit): ``a_i = (i * 0.6180339887498949) % 1``,
  ``b_i = ((i * 1.4142135623730951) % 1) * scale + shift``, optionally rounded
  to multiples of 1/20 (ties), for sizes covering the exact square and
  unequal-size branches and the asymptotic branch with a small effective n.
* ``psi_cases``: PSI of small hand-made columns: constant references,
  ties at the top, current values outside the reference's range.
* ``kstwo``: ``scipy.stats.kstwo.sf(x, n)`` on a grid of (n, x) that
  reaches every branch of scipy's ``_kolmogn`` (Ruben-Gambino ends, Durbin
  matrix, Pomeranz, Smirnov sum, Pelz-Good, the n·x² cut-offs).

PSI rule (numpy): edges = ``np.unique(np.quantile(ref, np.linspace(0, 1,
11))[1:-1])``, plus ``np.nextafter(e, inf)`` for every tied decile ``e``
(repeated, or equal to the reference maximum) so that it is a bin of its
own; bin = ``np.searchsorted(edges, v, side="right")``;
proportions = ``np.bincount(bin, minlength=len(edges) + 1) / n``, clipped
below at 1e-4; PSI = sum((p_cur - p_ref) * log(p_cur / p_ref)).

How to run (from the repository root)
-------------------------------------
    /tmp/ref/bin/python scripts/gen_drift_reference.py

The ``.mat`` files are read from ``$ANML_DATA_MIRROR/odds/`` if set, else
``../shared/datasets/odds/``. Versions are recorded in the output.
"""

import json
import os
import platform
from pathlib import Path

import numpy as np
import scipy
import scipy.io
from scipy.stats import ks_2samp, kstwo

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("ANML_DATA_MIRROR", ROOT.parent / "shared" / "datasets"))
OUT = ROOT / "tests" / "fixtures" / "drift" / "reference.json"

DATASETS = ["cardio", "wbc", "glass", "shuttle"]
EPSILON = 1e-4


def psi(ref, cur):
    edges, counts = np.unique(np.quantile(ref, np.linspace(0, 1, 11))[1:-1], return_counts=True)
    tied = edges[(counts > 1) | (edges == ref.max())]
    edges = np.unique(np.concatenate([edges, np.nextafter(tied, np.inf)]))
    k = len(edges) + 1
    p_ref = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=k) / ref.size
    p_cur = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=k) / cur.size
    p_ref = np.clip(p_ref, EPSILON, None)
    p_cur = np.clip(p_cur, EPSILON, None)
    return float(np.sum((p_cur - p_ref) * np.log(p_cur / p_ref)))


def features(ref, cur):
    out = []
    for j in range(ref.shape[1]):
        r = ks_2samp(ref[:, j], cur[:, j])
        out.append({"psi": psi(ref[:, j], cur[:, j]), "ks": float(r.statistic),
                    "ks_p": float(r.pvalue)})
    return out


def datasets():
    out = {}
    for name in DATASETS:
        m = scipy.io.loadmat(MIRROR / "odds" / f"{name}.mat")
        x = np.asarray(m["X"], dtype=np.float64)
        idx = np.arange(x.shape[0])
        train = np.isin(idx % 5, [0, 1, 2])
        ref, cur = x[train], x[~train]
        shift = 0.25 * (ref.max(axis=0) - ref.min(axis=0))
        out[name] = {
            "n_reference": int(ref.shape[0]),
            "n_current": int(cur.shape[0]),
            "same": features(ref, cur),
            "shifted": features(ref, cur + shift),
        }
    return out


def sample(n, mult, scale, shift, ties):
    v = (np.arange(n, dtype=np.float64) * mult) % 1.0
    v = v * scale + shift
    if ties:
        v = np.round(v * 20.0) / 20.0
    return v


PAIRS = [
    # n_a, n_b, scale, shift, ties
    (5, 6, 1.0, 0.3, False),
    (30, 30, 1.0, 0.1, False),
    (40, 40, 1.0, 0.0, True),
    (100, 37, 1.2, -0.1, False),
    (500, 480, 1.0, 0.05, True),
    (3000, 2000, 1.0, 0.02, False),
    (10000, 9999, 1.0, 0.01, False),
    (12000, 50, 1.0, 0.1, False),
    (20000, 15000, 1.0, 0.005, False),
    (20000, 15000, 1.0, 0.03, True),
]


def pairs():
    out = []
    for na, nb, scale, shift, ties in PAIRS:
        a = sample(na, 0.6180339887498949, 1.0, 0.0, ties)
        b = sample(nb, 1.4142135623730951, scale, shift, ties)
        r = ks_2samp(a, b)
        out.append({"n_a": na, "n_b": nb, "scale": scale, "shift": shift, "ties": ties,
                    "ks": float(r.statistic), "ks_p": float(r.pvalue)})
    return out


PSI_CASES = [
    # reference, current: ties, constant columns, values outside the range
    ([5.0] * 20, [5.0] * 7),
    ([5.0] * 20, [4.0, 5.0, 6.0]),
    ([5.0] * 20, [6.0, 7.0]),
    ([0.0, 1.0, 2.0, 3.0, 4.0] + [10.0] * 95, [10.0] * 50 + [11.0] * 50),
    ([0.0] * 95 + [5.0, 6.0, 7.0, 8.0, 9.0], [0.0] * 10 + [3.0] * 30),
    ([float(i % 7) for i in range(70)], [float(i % 5) for i in range(40)]),
    ([float(i) for i in range(100)], [-1e9, 1e9, 50.0]),
    ([0.1 * i for i in range(33)], [0.05 * i for i in range(41)]),
]


def psi_cases():
    return [{"reference": r, "current": c, "psi": psi(np.array(r), np.array(c))}
            for r, c in PSI_CASES]


def kstwo_grid():
    out = []
    for n in [1, 2, 3, 5, 10, 50, 100, 140, 141, 500, 1000, 5000, 20000, 100000, 150000]:
        xs = [0.4 / n, 0.7 / n, 1.0 / n, 1.5 / n, 3.0 / n]
        xs += [np.sqrt(c / n) for c in (0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.5, 8.0, 20.0, 100.0, 300.0, 400.0)]
        xs += [0.05, 0.2, 0.45, 0.5, 0.6, 0.9, 1.0 - 1.5 / n, 1.0 - 0.5 / n]
        for x in xs:
            if 0.0 < x < 1.0:
                out.append({"n": n, "x": float(x), "sf": float(kstwo.sf(x, n))})
    return out


def main():
    ref = {
        "generator": "scripts/gen_drift_reference.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "epsilon": EPSILON,
        "datasets": datasets(),
        "pairs": pairs(),
        "psi_cases": psi_cases(),
        "kstwo": kstwo_grid(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(ref, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
