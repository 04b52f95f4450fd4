#!/usr/bin/env python3
"""Generate NAB's own scores for anml's NAB metric (src/metrics/nab/).

What it does
------------
anml's ``metrics::nab`` ports the Numenta Anomaly Benchmark scorer
(``nab/sweeper.py``, ``nab/optimizer.py``, ``nab/scorer.py``,
``nab/runner.py::normalize``). This script runs NAB's *own code* from a
checkout of numenta/NAB and records its results in
``tests/fixtures/nab/``; ``tests/nab_parity.rs`` compares anml to them.

1. A small NAB corpus in a temporary directory: the series in ``SERIES``
   (symlinks to the data mirror's ``nab/data``) and their windows from
   ``nab/labels/combined_windows.json``.
2. NAB's detection step for five detectors, each written through NAB's
   ``detectDataSet`` (so the scores pass through NAB's result CSVs exactly
   as in a NAB run): NAB's ``null`` (0.5 everywhere) and ``random``
   (``random.uniform`` seeded 42 per file) detectors, ``zscore`` (|z| of a
   row against the previous 48 rows, squashed by ``1 - exp(-|z|/3)``),
   ``zq`` (``zscore`` floored to multiples of 1/20: many ties) and
   ``oracle`` (1.0 on each window's first row, 0.8 mid-window, 0.6 a few
   rows after each window and in the probationary period, 0.3 on every
   97th row).
3. NAB's ``Runner.optimize``, ``Runner.score`` and ``Runner.normalize`` on
   that corpus: the optimised threshold and raw score per detector and
   profile, each file's score and counts at it, the totals and the
   normalised score (baseline = the null detector, perfect = windows x
   tpWeight).
4. ``Sweeper.scoreDataSet`` per series at fixed thresholds (``null`` where
   NAB finds no matching row and its scorer would crash), and each
   series optimised on its own (``optimizeThreshold`` + ``scoreDataSet``
   + the normalisation formula on a one-file corpus).
5. ``Sweeper.calcScoreByThreshold`` over the corpus: its length and a
   sample of entries.
6. Synthetic series scored by the ``Sweeper`` directly: a window straddling
   the probationary period, one inside it, adjacent windows, a window
   ending on the last row, tiny series, tied scores.
7. For all 58 NAB series, the rows NAB's sweeper treats as each window
   (``calcSweepScore`` with no probation, runs of equal window names), to
   check ``windows_to_rows`` on the real timestamps.

Outputs: ``nab_reference.json`` (everything but the long score arrays) and
``nab_scores.npz`` (per detector except ``null``, the scores NAB read back
from its result CSVs, series concatenated in ``series`` order). Floats are
written by ``repr`` (shortest round-trip), so Rust reads NAB's exact values.

Getting NAB
-----------
NAB is not on PyPI. Check it out at the commit in ``NAB_COMMIT``::

    git clone https://github.com/numenta/NAB && git -C NAB checkout ea702d7

and pass ``--nab-dir NAB`` (default: ``$NAB_DIR`` or
``../scratch/nab-ref`` relative to the repository root). NAB's labeler
writes into ``Series.values``, which pandas 3's copy-on-write forbids;
under pandas >= 3 the script replaces that one method by an equivalent
(``patch_labeler_for_pandas3``; the label column it builds is never read by
the scorer). The fixture was produced with pandas 2.2.3, numpy 1.26.4 and
Python 3.11, and is byte-identical when generated from ``/work/venv``
(pandas 3). Python 3.11's ``sum`` adds floats left to right, as anml does;
Python >= 3.12's compensated ``sum`` would move NAB's totals by a few ulps.

How to run (from the repository root)
-------------------------------------
    python scripts/gen_nab_reference.py --nab-dir /path/to/NAB

NAB data is read from ``../shared/datasets/nab`` relative to the repository
root, or ``$ANML_DATA_MIRROR/nab``, or ``--nab-data``. Re-run only to
refresh the fixture after a deliberate change.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "tests" / "fixtures" / "nab"
NAB_COMMIT = "ea702d75cc2258d9d7dd35ca8e5e2539d71f3140"

SERIES = [
    "artificialNoAnomaly/art_daily_no_noise.csv",  # no window
    "artificialWithAnomaly/art_daily_jumpsup.csv",
    "realAdExchange/exchange-2_cpc_results.csv",  # a duplicated timestamp
    "realTraffic/speed_7578.csv",  # four short windows
    "realKnownCause/nyc_taxi.csv",  # probation capped at 750 rows
    "realKnownCause/ec2_request_latency_system_failure.csv",  # window to the last row
    "realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv",
    "realTraffic/speed_6005.csv",  # window to the last row
]
DETECTORS = ["null", "random", "zscore", "zq", "oracle"]
STORED = ["random", "zscore", "zq", "oracle"]  # null is 0.5 everywhere
FIXED_THRESHOLDS = [1.5, 1.1, 1.0, 0.95, 0.9, 0.75, 0.5, 0.3, 0.25, 0.05, 0.0]
PROBATION = 0.15
ZSCORE_LAG = 48
CURVE_SAMPLES = 40


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    mirror = os.environ.get("ANML_DATA_MIRROR")
    default_data = Path(mirror) / "nab" if mirror else REPO_ROOT.parent / "shared" / "datasets" / "nab"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nab-dir", type=Path,
                    default=Path(os.environ.get("NAB_DIR", REPO_ROOT.parent / "scratch" / "nab-ref")))
    ap.add_argument("--nab-data", type=Path, default=default_data)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args()
    sys.path.insert(0, str(args.nab_dir.resolve()))
    warnings.filterwarnings("ignore", message="Could not infer format")
    if int(pandas.__version__.split(".")[0]) >= 3:
        patch_labeler_for_pandas3()

    with tempfile.TemporaryDirectory(prefix="nabref") as tmp:
        fixture, stored = run(Path(tmp), args)
    fixture["versions"] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "nab_commit": NAB_COMMIT,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nab_reference.json").write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    np.savez_compressed(args.out / "nab_scores.npz", **stored)
    for name in ("nab_reference.json", "nab_scores.npz"):
        print(f"wrote {args.out / name} ({(args.out / name).stat().st_size} bytes)")


def patch_labeler_for_pandas3() -> None:
    """NAB's ``CorpusLabel.getLabels`` sets its 0/1 label column through
    ``labels["label"].values[...] = 1``, which pandas 3 refuses (read-only
    under copy-on-write). This replacement computes the same column (rows
    with ``t1 <= timestamp <= t2``) without writing into a view. The label
    column only goes into NAB's result CSVs; the scorer never reads it."""
    from nab.labeler import CorpusLabel

    def getLabels(self):
        self.labels = {}
        for relativePath, dataSet in self.corpus.dataFiles.items():
            if relativePath in self.windows:
                labels = pandas.DataFrame({"timestamp": dataSet.data["timestamp"]})
                label = np.zeros(len(labels), dtype=np.int64)
                for t1, t2 in self.windows[relativePath]:
                    label[((labels["timestamp"] >= t1) & (labels["timestamp"] <= t2)).to_numpy()] = 1
                labels["label"] = label
                self.labels[relativePath] = labels

    CorpusLabel.getLabels = getLabels


# ---------------------------------------------------------------- detectors


def make_detectors(windows_rows: dict[str, list[tuple[int, int]]], data_dir: Path):
    from nab.detectors.base import AnomalyDetector
    from nab.detectors.null.null_detector import NullDetector
    from nab.detectors.random.random_detector import RandomDetector

    class Precomputed(AnomalyDetector):
        """Scores computed up front from the whole file; one per record."""

        def initialize(self):
            self.scores = list(self.compute(self.dataSet.data["value"].to_numpy(dtype=float)))
            self.row = 0

        def handleRecord(self, inputData):
            score = self.scores[self.row]
            self.row += 1
            return (score,)

    def zscores(values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(values))
        for i in range(len(values)):
            past = values[max(0, i - ZSCORE_LAG):i]
            if len(past) >= 2 and past.std() > 0:
                z = abs(values[i] - past.mean()) / past.std()
                out[i] = 1.0 - math.exp(-z / 3.0)
        return out

    class ZScore(Precomputed):
        def compute(self, values):
            return zscores(values)

    class ZQuantised(Precomputed):
        def compute(self, values):
            return np.floor(zscores(values) * 20.0) / 20.0

    class Oracle(Precomputed):
        def compute(self, values):
            n = len(values)
            rel = os.path.relpath(self.dataSet.srcPath, data_dir).replace(os.sep, "/")
            out = np.zeros(n)
            out[::97] = 0.3
            out[5] = 0.6
            for s, e in windows_rows[rel]:
                width = e - s + 1
                for after in (e + 3, e + width // 2, e + 4 * width):
                    if after < n:
                        out[after] = 0.6
                out[(s + e) // 2] = 0.8
                out[s] = 1.0
            return out

    return {
        "null": NullDetector,
        "random": RandomDetector,
        "zscore": ZScore,
        "zq": ZQuantised,
        "oracle": Oracle,
    }


# ---------------------------------------------------------------- helpers


def thresh_row(row) -> dict | None:
    if row is None:
        return None
    return {"threshold": float(row.threshold), "score": float(row.score), "tp": int(row.tp),
            "tn": int(row.tn), "fp": int(row.fp), "fn": int(row.fn), "total": int(row.total)}


def windows_as_rows(sweeper_cls, timestamps, windows, name) -> list[list[int]]:
    """The rows NAB's sweeper puts in each window (no probation)."""
    points = sweeper_cls(probationPercent=0.0).calcSweepScore(
        timestamps, [0.0] * len(timestamps), windows, name)
    runs: dict[str, list[int]] = {}
    order = []
    for i, p in enumerate(points):
        if p.windowName is not None:
            if p.windowName not in runs:
                runs[p.windowName] = [i, i]
                order.append(p.windowName)
            if runs[p.windowName][1] not in (i, i - 1):
                raise RuntimeError(f"{name}: window {p.windowName} is not contiguous")
            runs[p.windowName][1] = i
    return [runs[w] for w in order]


def quiet(f, *a):
    with contextlib.redirect_stdout(io.StringIO()):
        return f(*a)


class OneFile:
    """A results corpus holding one file, for NAB's optimizer."""

    def __init__(self, key, data_file):
        self.dataFiles = {key: data_file}


# ---------------------------------------------------------------- the run


def run(tmp: Path, args) -> tuple[dict, dict]:
    from nab.corpus import Corpus
    from nab.detectors.base import detectDataSet
    from nab.labeler import CorpusLabel
    from nab.optimizer import optimizeThreshold
    from nab.runner import Runner
    from nab.scorer import scoreDataSet
    from nab.sweeper import Sweeper

    nab_data = args.nab_data
    labels_path = nab_data / "labels" / "combined_windows.json"
    all_windows = json.loads(labels_path.read_text())
    profiles = json.loads((args.nab_dir / "config" / "profiles.json").read_text())

    # 7. all 58 series: the sweeper's rows for each window
    full = Corpus(str(nab_data / "data"))
    full_labels = CorpusLabel(str(labels_path), full)
    all_rows = {}
    membership_differs = []
    for rel in sorted(all_windows):
        ts = full_labels.labels[rel]["timestamp"]
        rows = windows_as_rows(Sweeper, ts, full_labels.windows[rel], rel)
        all_rows[rel] = rows
        label = np.zeros(len(ts), dtype=int)
        for s, e in rows:
            label[s:e + 1] = 1
        if not np.array_equal(label, full_labels.labels[rel]["label"].to_numpy()):
            membership_differs.append(rel)
    print("series whose membership labels differ from the sweeper's windows:", membership_differs)

    # 1. the corpus
    data_dir = tmp / "data"
    for rel in SERIES:
        (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink((nab_data / "data" / rel).resolve(), data_dir / rel)
    (tmp / "labels").mkdir()
    sub_labels = tmp / "labels" / "combined_windows.json"
    sub_labels.write_text(json.dumps({rel: all_windows[rel] for rel in SERIES}, indent=4))
    shutil.copy(args.nab_dir / "config" / "profiles.json", tmp / "profiles.json")
    results_dir = tmp / "results"
    runner = Runner(dataDir=str(data_dir), resultsDir=str(results_dir), labelPath=str(sub_labels),
                    profilesPath=str(tmp / "profiles.json"), thresholdPath=str(tmp / "thresholds.json"),
                    numCPUs=1)
    runner.initialize()
    label = runner.corpusLabel

    # 2. detection through NAB's detectDataSet
    detectors = make_detectors({rel: all_rows[rel] for rel in SERIES}, data_dir)
    for name in DETECTORS:
        for i, rel in enumerate(SERIES):
            det = detectors[name](dataSet=runner.corpus.dataFiles[rel], probationaryPercent=PROBATION)
            quiet(detectDataSet, (i, det, name, label.labels[rel]["label"], str(results_dir), rel))

    # the scores NAB reads back, and the order NAB's corpus walks the files
    scores: dict[str, dict[str, np.ndarray]] = {}
    orders: dict[str, list[str]] = {}
    for name in DETECTORS:
        corpus = Corpus(str(results_dir / name))
        orders[name] = []
        scores[name] = {}
        for key, df in corpus.dataFiles.items():
            d, f = os.path.split(key)
            rel = f"{d}/{f[len(name) + 1:]}"
            orders[name].append(rel)
            scores[name][rel] = df.data["anomaly_score"].to_numpy(dtype=np.float64)
    for name in DETECTORS:
        assert sorted(orders[name]) == sorted(SERIES)
        assert np.all(scores[name][SERIES[0]] >= 0)
    assert all(np.all(scores["null"][rel] == 0.5) for rel in SERIES)

    # 3. NAB's runner
    thresholds = quiet(runner.optimize, DETECTORS)
    quiet(runner.score, DETECTORS, thresholds)
    quiet(runner.normalize)
    final = json.loads((results_dir / "final_results.json").read_text())
    corpus_ref = {}
    for name in DETECTORS:
        corpus_ref[name] = {}
        for profile in profiles:
            df = pandas.read_csv(results_dir / name / f"{name}_{profile}_scores.csv")
            files = {}
            for _, r in df.iloc[:-1].iterrows():
                files[r["File"]] = {"score": float(r["Score"]), "tp": int(r["TP"]), "tn": int(r["TN"]),
                                    "fp": int(r["FP"]), "fn": int(r["FN"]), "total": int(r["Total_Count"])}
            tot = df.iloc[-1]
            corpus_ref[name][profile] = {
                "optimized_threshold": float(thresholds[name][profile]["threshold"]),
                "optimized_score": float(thresholds[name][profile]["score"]),
                "files": files,
                "raw": float(tot["Score"]),
                "tp": int(tot["TP"]), "tn": int(tot["TN"]), "fp": int(tot["FP"]), "fn": int(tot["FN"]),
                "normalized": float(final[name][profile]),
            }
    tp_count = sum(len(all_windows[rel]) for rel in SERIES)
    baselines = {p: corpus_ref["null"][p]["raw"] for p in profiles}
    perfect = {p: tp_count * profiles[p]["CostMatrix"]["tpWeight"] for p in profiles}
    null_thresholds = {p: corpus_ref["null"][p]["optimized_threshold"] for p in profiles}

    # 4. per series: fixed thresholds, and each series optimised alone
    per_series = {}
    for name in DETECTORS:
        per_series[name] = {}
        for rel in SERIES:
            s = scores[name][rel]
            ts = label.labels[rel]["timestamp"]
            win = label.windows[rel]
            n = len(s)
            prob = int(min(math.floor(PROBATION * n), PROBATION * 5000))
            scorable = np.unique(s[prob:])
            extra = [float(scorable.min()), float(scorable[len(scorable) // 2]), float(scorable.max())]
            below = float(scorable.min()) / 2 if scorable.min() > 0 else -0.5
            ths = sorted(set(FIXED_THRESHOLDS + extra + [below]), reverse=True)
            entry = {"fixed": {}, "alone": {}}
            for profile, cfg in profiles.items():
                sw = Sweeper(probationPercent=PROBATION, costMatrix=cfg["CostMatrix"])
                entry["fixed"][profile] = [
                    {"threshold": t, "nab": thresh_row(sw.scoreDataSet(ts, s, win, rel, t)[1])} for t in ths]
                entry["alone"][profile] = alone(
                    optimizeThreshold, scoreDataSet, name, rel, cfg["CostMatrix"], label,
                    results_dir, cfg["CostMatrix"]["tpWeight"] * len(all_windows[rel]))
            per_series[name][rel] = entry

    # 5. the corpus sweep curve, in NAB's corpus order
    curves = {}
    for name in DETECTORS:
        curves[name] = {}
        for profile, cfg in profiles.items():
            sw = Sweeper(probationPercent=PROBATION, costMatrix=cfg["CostMatrix"])
            rows = []
            for rel in orders[name]:
                rows.extend(sw.calcSweepScore(label.labels[rel]["timestamp"], scores[name][rel],
                                              label.windows[rel], rel))
            curve = sw.calcScoreByThreshold(rows)
            step = max(1, len(curve) // CURVE_SAMPLES)
            picks = sorted(set(range(0, len(curve), step)) | {len(curve) - 1} |
                           {max(range(len(curve)), key=lambda k: (curve[k].score, -k))})
            curves[name][profile] = {"len": len(curve),
                                     "entries": [dict(index=k, **thresh_row(curve[k])) for k in picks]}

    fixture = {
        "about": "NAB's own scores (numenta/NAB " + NAB_COMMIT[:7] + "); see scripts/gen_nab_reference.py",
        "probationary_percent": PROBATION,
        "series": [{"name": rel, "n": int(len(scores["null"][rel])),
                    "windows": [list(w) for w in all_rows[rel]],
                    "data_sha256": sha256(nab_data / "data" / rel)} for rel in SERIES],
        "detectors": DETECTORS,
        "stored": STORED,
        "orders": orders,
        "corpus": corpus_ref,
        "baselines": baselines,
        "null_thresholds": null_thresholds,
        "perfect": perfect,
        "per_series": per_series,
        "curves": curves,
        "synthetic": synthetic(Sweeper, profiles),
        "all_windows_rows": all_rows,
        "membership_differs": membership_differs,
        "labels_sha256": sha256(labels_path),
    }
    stored = {name: np.concatenate([scores[name][rel] for rel in SERIES]) for name in STORED}
    return fixture, stored


def alone(optimizeThreshold, scoreDataSet, name, rel, cost, label, results_dir, perfect):
    """One series as a corpus of its own: optimise, score, normalise."""
    from nab.corpus import Corpus

    def score_alone(det):
        corpus = Corpus(str(results_dir / det))
        key = f"{os.path.dirname(rel)}/{det}_{os.path.basename(rel)}"
        one = OneFile(key, corpus.dataFiles[key])
        best = quiet(optimizeThreshold, (det, cost, one, label, PROBATION))
        args = (det, "p", rel, None, best["threshold"], label.labels[rel]["timestamp"],
                corpus.dataFiles[key].data["anomaly_score"], label.windows[rel], cost, PROBATION, False)
        res = scoreDataSet(args)
        return best, res

    best, res = score_alone(name)
    null_best, null_res = score_alone("null")
    raw, base = np.float64(res[4]), np.float64(null_res[4])
    normalized = None if perfect == base else float(100 * (raw - base) / (perfect - base))
    return {"optimized_threshold": float(best["threshold"]), "optimized_score": float(best["score"]),
            "raw": float(raw), "tp": int(res[5]), "tn": int(res[6]), "fp": int(res[7]),
            "fn": int(res[8]), "null_threshold": float(null_best["threshold"]), "null": float(base),
            "perfect": float(perfect), "normalized": normalized}


def synthetic(Sweeper, profiles) -> list[dict]:
    """Edge cases scored by NAB's Sweeper directly."""
    import datetime

    rng = np.random.default_rng(7)
    cases = [
        ("straddles_probation", 40, [(3, 9), (20, 24)]),
        ("inside_probation", 40, [(1, 4), (20, 25)]),
        ("adjacent", 40, [(10, 14), (15, 19)]),
        ("at_the_end", 40, [(30, 39)]),
        ("far_after", 60, [(8, 11)]),
        ("no_window", 30, []),
        ("tiny", 5, [(2, 3)]),
        ("one_row", 1, [(0, 0)]),
    ]
    out = []
    start = datetime.datetime(2020, 1, 1)
    all_rows = {p: [] for p in profiles}
    for name, n, wins in cases:
        ts = [start + datetime.timedelta(minutes=5 * i) for i in range(n)]
        s = np.round(rng.random(n) * 10) / 10  # ties
        windows = [[ts[a], ts[b]] for a, b in wins]
        case = {"name": name, "scores": [float(v) for v in s], "windows": [list(w) for w in wins],
                "curve": {}, "at": {}}
        for profile, cfg in profiles.items():
            sw = Sweeper(probationPercent=PROBATION, costMatrix=cfg["CostMatrix"])
            points = sw.calcSweepScore(ts, s, windows, name)
            all_rows[profile].extend(points)
            curve = sw.calcScoreByThreshold(points)
            case["curve"][profile] = [thresh_row(r) for r in curve]
            case["at"][profile] = [
                {"threshold": t, "nab": thresh_row(sw.scoreDataSet(ts, s, windows, name, t)[1])}
                for t in (1.1, 0.85, 0.5, 0.3, 0.0)]
        out.append(case)
    best = {}
    for profile in profiles:
        sw = Sweeper(probationPercent=PROBATION, costMatrix=profiles[profile]["CostMatrix"])
        ranked = sorted(sw.calcScoreByThreshold(all_rows[profile]), key=lambda x: x.score, reverse=True)
        best[profile] = {"threshold": float(ranked[0].threshold), "score": float(ranked[0].score)}
    return {"cases": out, "corpus_optimum": best}


if __name__ == "__main__":
    main()
