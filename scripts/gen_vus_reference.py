#!/usr/bin/env python3
"""Generate the TSB-AD reference for anml's VUS-ROC / VUS-PR and find_length.

What it does
------------
``anml::metrics::{vus, vus_roc, vus_pr}`` (src/metrics/vus/) re-implement
the ``'VUS-ROC'`` and ``'VUS-PR'`` entries of TSB-AD's
``TSB_AD.evaluation.metrics.get_metrics(score, labels, slidingWindow=w)``
(defaults ``version='opt'``, ``thre=250``), and ``anml::metrics::find_length``
re-implements ``TSB_AD.utils.slidingWindows.find_length_rank(data, rank=1)``.
Nothing is random at evaluation time, so ``tests/vus_parity.rs`` compares
value by value. This script records TSB-AD's side in
``tests/fixtures/vus/``:

``vus_reference.json``
    * ``versions``: TSB-AD, numpy, scipy, statsmodels, Python;
    * ``series``: three real labelled series, each with its source file,
      SHA-256, length ``n``, inclusive anomaly ranges ``[start, end]`` and
      ``find_length_rank`` of its values:

      - ``ucr135``: ``ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv``
        (column ``value``, labels ``is_anomaly``);
      - ``ecg3``: ``ts/ecg-diff-count-3_TEST.csv`` (column ``value-0``,
        labels ``is_anomaly``);
      - ``nyc_taxi``: ``nab/data/realKnownCause/nyc_taxi.csv``, label 1 for
        the rows whose timestamp lies in one of its windows in
        ``nab/labels/combined_windows.json`` (bounds included);

    * ``cases``: for every series, every score below and every window in
      ``WINDOWS`` plus the series' ``find_length_rank``: ``vus_roc`` and
      ``vus_pr`` as ``get_metrics`` computes them (``generate_curve(labels,
      score, w, 'opt', 250)``, the call inside ``get_metrics``; checked
      against ``get_metrics`` itself on a few cases);
    * ``find_length``: ``find_length_rank(x, rank=1)`` of every stored score
      array (``scores``) and of the value column of every NAB data file and
      of the univariate ``ts/`` CSVs (``files``; the Rust test reads them from
      the data mirror);
    * ``edge_cases``: small synthetic inputs with labels and scores inline
      (all-tied scores, anomalies at the very start / end, label ranges that
      merge as the buffer grows, a window longer than the series, fewer than
      250 points, signed zeros, dense anomalies, and seeded random cases),
      each with ``results`` for one or more windows.

``scores.npz``
    The score arrays of the real series, key ``<series>__<score>``
    (float64), deterministic functions of the series ``x``:

    * ``absdiff``: ``|x[t] - x[t-1]|``, 0 at ``t = 0``;
    * ``zscore``: ``|x[t] - mean(x[t-32:t])| / (std(x[t-32:t]) + 1e-6)``
      (population std), 0 for ``t < 32``;
    * ``rounded``: ``round(10 * absdiff / max(absdiff))``: 11 levels, heavy
      ties;
    * ``late``: ``absdiff`` delayed by 7 samples (0 for ``t < 7``): fires
      after the anomaly starts, so the buffers matter.

The scores are stored so the Rust test needs neither the recipe nor the
data mirror for the VUS values.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_vus_reference.py

Takes a few minutes (TSB-AD's VUS is O(250 * window * n) in NumPy). The
datasets are read from ``../shared/datasets`` relative to the repository
root, or from ``$ANML_DATA_MIRROR``. ``--out`` overrides the output folder.

Versions
--------
The committed fixture was produced by Python 3.11, TSB-AD 1.5, numpy 1.26.4,
scipy 1.17.1 and statsmodels 0.15.0; the JSON file records the versions that
actually produced it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import scipy
import statsmodels
from TSB_AD.evaluation.basic_metrics import generate_curve
from TSB_AD.evaluation.metrics import get_metrics
from TSB_AD.utils.slidingWindows import find_length_rank

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "vus"
WINDOWS = [0, 1, 10, 100]
VERSIONS = {
    "python": platform.python_version(),
    "TSB-AD": version("TSB-AD"),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "statsmodels": statsmodels.__version__,
}


def mirror() -> Path:
    env = os.environ.get("ANML_DATA_MIRROR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "datasets"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_columns(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def values_of(path: Path) -> np.ndarray:
    """Column 1 (the value) of a CSV, parsed with Python's exact float()."""
    _, rows = read_columns(path)
    return np.array([float(r[1]) for r in rows], dtype=np.float64)


def ranges(labels: np.ndarray) -> list[list[int]]:
    """Maximal runs of 1 as inclusive [start, end] pairs."""
    out, start = [], None
    for i, v in enumerate(labels):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append([start, i - 1])
            start = None
    if start is not None:
        out.append([start, len(labels) - 1])
    return out


def vus_tsb(score: np.ndarray, labels: np.ndarray, window: int) -> tuple[float, float]:
    """VUS-ROC, VUS-PR exactly as get_metrics computes them."""
    out = generate_curve(labels.astype(int), score, window, "opt", 250)
    return float(out[6]), float(out[7])


def vus_get_metrics(score: np.ndarray, labels: np.ndarray, window: int) -> tuple[float, float]:
    m = get_metrics(score, labels, slidingWindow=window)
    return float(m["VUS-ROC"]), float(m["VUS-PR"])


def load_series(root: Path) -> dict[str, dict]:
    series = {}
    for key, rel, col in [
        ("ucr135", "ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv", "value"),
        ("ecg3", "ts/ecg-diff-count-3_TEST.csv", "value-0"),
    ]:
        path = root / rel
        header, rows = read_columns(path)
        assert header[1] == col and header[2] == "is_anomaly", header
        x = np.array([float(r[1]) for r in rows])
        y = np.array([int(float(r[2])) for r in rows], dtype=np.int64)
        series[key] = {"source": rel, "sha256": sha256(path), "x": x, "y": y}

    rel = "nab/data/realKnownCause/nyc_taxi.csv"
    path = root / rel
    _, rows = read_columns(path)
    stamps = [dt.datetime.fromisoformat(r[0]) for r in rows]
    x = np.array([float(r[1]) for r in rows])
    windows_path = root / "nab/labels/combined_windows.json"
    windows = json.loads(windows_path.read_text())["realKnownCause/nyc_taxi.csv"]
    bounds = [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in windows]
    y = np.array([int(any(a <= t <= b for a, b in bounds)) for t in stamps], dtype=np.int64)
    series["nyc_taxi"] = {
        "source": rel,
        "sha256": sha256(path),
        "labels_source": "nab/labels/combined_windows.json",
        "labels_sha256": sha256(windows_path),
        "x": x,
        "y": y,
    }
    return series


def scores_of(x: np.ndarray) -> dict[str, np.ndarray]:
    absdiff = np.concatenate([[0.0], np.abs(np.diff(x))])
    k = 32
    z = np.zeros_like(x)
    for t in range(k, len(x)):
        past = x[t - k : t]
        z[t] = abs(x[t] - past.mean()) / (past.std() + 1e-6)
    rounded = np.round(10.0 * absdiff / absdiff.max())
    late = np.concatenate([np.zeros(7), absdiff[:-7]])
    return {"absdiff": absdiff, "zscore": z, "rounded": rounded, "late": late}


def edge_cases() -> list[dict]:
    cases = []

    def add(name, labels, scores, windows):
        labels = np.asarray(labels, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        results = []
        for w in windows:
            roc, pr = vus_tsb(scores, labels, w)
            # The small cases also go through get_metrics itself.
            assert (roc, pr) == vus_get_metrics(scores, labels, w), name
            results.append({"window": w, "vus_roc": roc, "vus_pr": pr})
        cases.append(
            {
                "name": name,
                "labels": labels.tolist(),
                "scores": [float(s) for s in scores],
                "results": results,
            }
        )

    add("hand", [0, 1, 0, 0], [0.9, 0.5, 0.1, 0.0], [0, 1, 2, 3])

    rng = np.random.default_rng(20240611)
    y = np.zeros(300, dtype=np.int64)
    y[100:120] = 1
    add("all_tied", y, np.full(300, 0.25), [0, 10, 50])

    s = np.round(rng.random(500), 3)
    y = np.zeros(500, dtype=np.int64)
    y[0:10] = 1
    y[200:205] = 1
    add("anomaly_at_start", y, s, [0, 1, 2, 7, 40])
    y = np.zeros(500, dtype=np.int64)
    y[490:] = 1
    add("anomaly_at_end", y, s, [0, 1, 2, 7, 40])
    y = np.zeros(500, dtype=np.int64)
    y[0:3] = 1
    y[250] = 1
    y[497:] = 1
    add("both_ends", y, s, [3, 33])

    y = np.zeros(400, dtype=np.int64)
    for a, b in [(50, 54), (58, 60), (66, 70), (82, 82), (95, 110), (300, 300), (302, 302)]:
        y[a : b + 1] = 1
    s = np.round(rng.random(400), 2)
    s[y == 1] += 0.3
    add("merging_ranges", y, s, [4, 9, 30, 64])

    y = np.zeros(60, dtype=np.int64)
    y[20:26] = 1
    add("window_exceeds_length", y, np.round(rng.random(60), 1), [150])

    y = np.zeros(37, dtype=np.int64)
    y[[5, 6, 7, 30]] = 1
    add("short_with_ties", y, np.round(rng.random(37) * 4), [0, 5])

    y = np.zeros(20, dtype=np.int64)
    y[8:11] = 1
    s = np.array([0.0, -0.0, 0.5, -0.0, 0.0, 1.0, -0.0, 0.0, 0.0, -0.0, 2.0, 0.0, -0.0, 0.1, 0.0, -0.0, 0.0, 0.0, -1.0, 0.0])
    add("signed_zero", y, s, [0, 4])

    y = (rng.random(300) < 0.35).astype(np.int64)
    add("dense_anomalies", y, np.round(rng.random(300) + 0.4 * y, 3), [20])

    for i in range(12):
        n = int(rng.integers(30, 1500))
        y = np.zeros(n, dtype=np.int64)
        for _ in range(int(rng.integers(1, 8))):
            a = int(rng.integers(0, n))
            y[a : a + int(rng.integers(1, 60))] = 1
        if y.all():
            y[0] = 0
        decimals = [0, 1, 3, 6][i % 4]
        s = np.round((rng.random(n) + 0.5 * y * rng.random(n)) * 10, decimals)
        add(f"random_{i}", y, s, [int(rng.integers(0, 150))])
    return cases


def dump(reference: dict) -> str:
    """JSON with one line per case, so long arrays stay on their case's line."""

    def rows(items: list, indent: int) -> str:
        pad = " " * indent
        return "[\n" + ",\n".join(pad + json.dumps(r) for r in items) + "\n" + pad[:-1] + "]"

    parts = []
    for key, value in reference.items():
        if isinstance(value, list):
            text = rows(value, 2)
        elif key == "find_length":
            text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {rows(v, 3)}" for k, v in value.items()) + "\n }"
        else:
            text = json.dumps(value, indent=1).replace("\n", "\n ")
        parts.append(f" {json.dumps(key)}: {text}")
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    assert json.loads(text) == reference
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    root = mirror()
    args.out.mkdir(parents=True, exist_ok=True)

    series = load_series(root)
    arrays, cases, lengths = {}, [], []
    meta = {}
    for key, ser in series.items():
        x, y = ser["x"], ser["y"]
        period = int(find_length_rank(x, rank=1))
        meta[key] = {k: v for k, v in ser.items() if k not in ("x", "y")}
        meta[key].update({"n": len(x), "anomaly_ranges": ranges(y), "find_length": period})
        for name, score in scores_of(x).items():
            arrays[f"{key}__{name}"] = score
            lengths.append({"scores": f"{key}__{name}", "length": int(find_length_rank(score, rank=1))})
            for w in sorted(set(WINDOWS + [period])):
                roc, pr = vus_tsb(score, y, w)
                cases.append({"series": key, "score": name, "window": w, "vus_roc": roc, "vus_pr": pr})
                print(key, name, w, roc, pr, flush=True)
    # get_metrics itself (slow: all its other metrics too) on two real cases.
    for c in [cases[1], cases[-1]]:
        y = np.zeros(meta[c["series"]]["n"], dtype=np.int64)
        for a, b in meta[c["series"]]["anomaly_ranges"]:
            y[a : b + 1] = 1
        got = vus_get_metrics(arrays[f"{c['series']}__{c['score']}"], y, c["window"])
        assert got == (c["vus_roc"], c["vus_pr"]), (c, got)

    files = []
    for path in sorted((root / "nab" / "data").rglob("*.csv")) + [
        root / "ts" / "135_UCR_Anomaly_InternalBleeding16_TEST.csv",
        root / "ts" / "135_UCR_Anomaly_InternalBleeding16_TRAIN.csv",
        root / "ts" / "ecg-diff-count-3_TEST.csv",
        root / "ts" / "ecg-diff-count-3_TRAIN_A.csv",
        root / "ts" / "ecg-diff-count-3_TRAIN_NA.csv",
    ]:
        rel = path.relative_to(root).as_posix()
        files.append({"file": rel, "sha256": sha256(path), "length": int(find_length_rank(values_of(path), rank=1))})

    reference = {
        "generator": "scripts/gen_vus_reference.py",
        "reference": "TSB_AD.evaluation.metrics.get_metrics(score, labels, slidingWindow=window)"
        "['VUS-ROC'|'VUS-PR'] (version='opt', thre=250); "
        "TSB_AD.utils.slidingWindows.find_length_rank(x, rank=1)",
        "versions": VERSIONS,
        "thresholds": 250,
        "series": meta,
        "cases": cases,
        "find_length": {"scores": lengths, "files": files},
        "edge_cases": edge_cases(),
    }
    (args.out / "vus_reference.json").write_text(dump(reference))
    np.savez_compressed(args.out / "scores.npz", **arrays)
    for f in sorted(args.out.iterdir()):
        print(f"{f}: {f.stat().st_size} bytes")


if __name__ == "__main__":
    main()
