#!/usr/bin/env python3
"""Record TSB-AD 1.5's USAD on anml's NAB and UCR suite series (VUS-PR etc.).

What it does
------------
anml's native USAD (Audibert et al., KDD 2020) is meant to behave like
``TSB_AD.model_wrapper.run_USAD`` of the PyPI package ``tsb-ad`` 1.5 (the module doc of
src/detectors/usad/ says where anml differs). USAD is stochastic (torch weight init + shuffled
mini-batches), so anml cannot match it value by value; this script records
the distribution anml's results should fall into, in
``tests/fixtures/usad/tsb_ad_vus_pr.json``.

Series: every member of anml's ``--suite nab`` and ``--suite ucr``, read
from ``src/data/series_catalog_generated.rs`` (the rows anml loads) and from
the data mirror:

* ``ucr``: the one UCR series anml ships, ``ucr/135_InternalBleeding16``
  (``ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv``, column ``value``,
  labels ``is_anomaly``; 7501 points); the suite has no other member, so no
  subset is needed;
* ``nab``: all 58 NAB series (``nab/data/<dir>/<file>.csv``, column
  ``value``), labelled 1 where the row's timestamp lies inside one of the
  series' windows in ``nab/labels/combined_windows.json`` (bounds included,
  as anml's ``window_labels``). Six have no labelled point (the 5
  ``artificialNoAnomaly`` series and ``realAWSCloudwatch/
  ec2_cpu_utilization_c6585a``), so no VUS exists; they are listed under
  ``skipped``. 52 NAB + 1 UCR = 53 series are run.

Labelled-point counts are checked against the catalog's
``n_anomalous_points``.

Training data, as anml's series detectors use it
(src/detectors/series/mod.rs, ``training_values()``): the anomaly-free
training prefix where the series has one (UCR #135: the first 1200 points,
checked equal to ``..._TRAIN.csv``), else the whole series (NAB). The score
is always for the whole series: ``run_USAD(data_train, data_test=x)``.
(TSB-AD's own benchmark instead trains on ``data[:tr]`` with ``tr`` taken
from its file names, e.g. ``001_NAB_id_1_Facility_tr_1007_1st_2014.csv``;
anml's NAB catalog has no such split.)

Two parameter sets (``--configs``), each under its own top-level key:

* ``series``: ``run_USAD``'s own defaults (read from its signature:
  ``win_size=5, lr=1e-4``), as asked for anml's default;
* ``series_benchmark_hp``: ``TSB_AD.HP_list.Optimal_Uni_algo_HP_dict['USAD']``
  (``win_size=100, lr=0.001``), what TSB-AD's Run_Detector_U.py uses for its
  published leaderboard.

Per series, config and seed (``--seeds``, default 0,1,2): ``random.seed``,
``np.random.seed`` and ``torch.manual_seed`` are set to the seed, then
``run_USAD(train, x, **params)`` runs on the CPU (``CUDA_VISIBLE_DEVICES``
is emptied before torch is imported; ``torch.set_num_threads(1)``). Its raw
output is scored as Run_Detector_U.py does (no min-max scaling):
``slidingWindow = find_length_rank(x[:, 0].reshape(-1, 1), rank=1)`` and
TSB-AD's ``get_metrics(score, labels, slidingWindow)`` entries ``VUS-PR``,
``VUS-ROC``, ``AUC-PR``, ``AUC-ROC``. To save time the four values are taken
from the very calls ``get_metrics`` makes (``generate_curve(labels, score,
w, 'opt', 250)[7]/[6]``, ``basic_metricor().metric_PR/metric_ROC``) instead
of ``get_metrics`` itself, which also computes five threshold metrics; on
the first ``--check-get-metrics`` (default 2) runs of every config the
script calls ``get_metrics`` too and asserts the values are identical.

JSON layout::

    {"generator", "tsb_ad_version", "torch_version", "numpy_version",
     "python", "device": "cpu", "torch_threads": 1, "seeds": [0, 1, 2],
     "configs": {key: {"source", "params"}},
     "series": {name: {"vus_pr": [per seed], "vus_roc": [...],
                       "auc_pr": [...], "auc_roc": [...],
                       "seconds": [wall seconds of run_USAD per seed],
                       "cpu_seconds": [...], "n": len, "sliding_window": w,
                       "train_points": t, "n_anomalous_points": k,
                       "params": {...}}},
     "series_benchmark_hp": {same layout},
     "skipped": {name: {"n", "reason"}},
     "checks": {...}}

``seconds`` is the wall time of ``run_USAD`` (fit + decision_function,
what Run_Detector_U.py times), not of the metrics; ``cpu_seconds`` is the
process CPU time of the same call (steadier on a shared machine).

``checks.ucr135_published`` reruns ``ucr/135`` the way TSB-AD's leaderboard
ran its copy of this series (``326_UCR_id_24_Medical_tr_1875_1st_4187.csv``:
train = first 1875 points, benchmark HP, seeds as above plus 2024) next to
the published VUS-PR of USAD on that file
(benchmark_exp/benchmark_eval_results/uni_mergedTable_VUS-PR.csv in
github.com/TheDatumOrg/TSB-AD: 0.0932800905322814).

The JSON is rewritten after every series (temp file + rename), so an
interrupted run keeps what finished; ``--resume`` skips series already in
the output with the same seeds and parameters.

How to run (from the repository root)
-------------------------------------
    python3 -m venv /tmp/tsb && /tmp/tsb/bin/pip install tsb-ad torch
    nohup /tmp/tsb/bin/python scripts/gen_usad_reference.py > /tmp/usad_ref.log 2>&1 &

Options: ``--seeds 0,1,2``, ``--configs defaults,benchmark_hp``,
``--series NAME,...`` (default: all), ``--out PATH``, ``--resume``,
``--scores-out FILE.npz`` (also save every seed-0 score array, float32,
key ``<config>__<series>``). Data come from ``../shared/datasets`` relative
to the repository root, or ``$ANML_DATA_MIRROR``.

Cost: the committed fixture (53 series, 2 configs, 3 seeds) took 933 s of
wall time on a shared 2-core machine; ``run_USAD`` itself used 158 s
(defaults) + 180 s (benchmark HP) of CPU, the VUS computation about as much
again. ``seconds`` in the fixture are therefore inflated by contention;
``cpu_seconds`` are the steadier figure.
"""

from __future__ import annotations

import os

# Before torch / tqdm are imported: CPU only, no progress bars.
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TQDM_DISABLE"] = "1"

import argparse
import contextlib
import csv
import datetime as dt
import inspect
import io
import json
import platform
import random
import re
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from TSB_AD.evaluation.basic_metrics import basic_metricor, generate_curve
from TSB_AD.evaluation.metrics import get_metrics
from TSB_AD.HP_list import Optimal_Uni_algo_HP_dict
from TSB_AD.model_wrapper import run_USAD
from TSB_AD.utils.slidingWindows import find_length_rank

REPO_ROOT = Path(__file__).resolve().parent.parent
CATALOG = REPO_ROOT / "src" / "data" / "series_catalog_generated.rs"
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "usad" / "tsb_ad_vus_pr.json"
PUBLISHED_UCR135 = {
    "file": "326_UCR_id_24_Medical_tr_1875_1st_4187.csv",
    "source": "github.com/TheDatumOrg/TSB-AD benchmark_exp/benchmark_eval_results/"
    "uni_mergedTable_VUS-PR.csv, column USAD",
    "vus_pr": 0.0932800905322814,
    "train_points": 1875,
}


def mirror() -> Path:
    env = os.environ.get("ANML_DATA_MIRROR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "datasets"


def configs() -> dict[str, dict]:
    sig = inspect.signature(run_USAD).parameters
    defaults = {k: sig[k].default for k in ("win_size", "lr")}
    return {
        "defaults": {
            "key": "series",
            "source": "TSB_AD.model_wrapper.run_USAD signature defaults",
            "params": defaults,
        },
        "benchmark_hp": {
            "key": "series_benchmark_hp",
            "source": "TSB_AD.HP_list.Optimal_Uni_algo_HP_dict['USAD'] (Run_Detector_U.py)",
            "params": dict(Optimal_Uni_algo_HP_dict["USAD"]),
        },
    }


def catalog_rows() -> list[dict]:
    """The NAB and UCR rows of anml's generated series catalog, in order."""
    text = CATALOG.read_text()
    rows = []
    for block in re.split(r"\n    SeriesSpec \{", text)[1:]:
        coll = re.search(r"collection: SeriesCollection::(\w+)", block).group(1)
        if coll not in ("Nab", "Ucr"):
            continue
        paths = re.findall(r'path: "([^"]+)"', block)
        row = {
            "name": re.search(r'name: "([^"]+)"', block).group(1),
            "collection": coll.lower(),
            "paths": paths,
            "n_points": int(re.search(r"n_points: (\d+)", block).group(1)),
            "n_anomalous_points": int(re.search(r"n_anomalous_points: (\d+)", block).group(1)),
            "train_is_prefix": "train_is_prefix: true" in block,
        }
        rows.append(row)
    return rows


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def load(row: dict, root: Path, windows: dict) -> dict:
    """x (n, 1) float64, labels (n,) int, training part, as anml reads them."""
    if row["collection"] == "ucr":
        test = root / row["paths"][0]
        header, rows = read_csv(test)
        assert header[1] == "value" and header[2] == "is_anomaly", header
        x = np.array([float(r[1]) for r in rows]).reshape(-1, 1)
        y = np.array([int(float(r[2])) for r in rows], dtype=np.int64)
        train_len = 0
        if len(row["paths"]) > 1 and row["train_is_prefix"]:
            _, trows = read_csv(root / row["paths"][1])
            t = np.array([float(r[1]) for r in trows])
            assert np.array_equal(t, x[: len(t), 0]), "TRAIN is not the TEST prefix"
            train_len = len(t)
    else:
        rel = row["paths"][0]
        _, rows = read_csv(root / rel)
        x = np.array([float(r[1]) for r in rows]).reshape(-1, 1)
        key = rel.removeprefix("nab/data/")
        bounds = [
            (dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in windows[key]
        ]
        stamps = [dt.datetime.fromisoformat(r[0]) for r in rows]
        y = np.array([int(any(a <= t <= b for a, b in bounds)) for t in stamps], dtype=np.int64)
        train_len = 0
    assert len(x) == row["n_points"], (row["name"], len(x))
    assert int(y.sum()) == row["n_anomalous_points"], (row["name"], int(y.sum()))
    train = x[:train_len] if train_len else x
    return {"x": x, "y": y, "train": train}


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_once(train, x, params, seed):
    seed_all(seed)
    c0, t0 = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        score = run_USAD(train, x, **params)
    return score, time.perf_counter() - t0, time.process_time() - c0


def metrics(score, y, w, check: bool) -> dict:
    curve = generate_curve(y.astype(int), score, w, "opt", 250)
    grader = basic_metricor()
    out = {
        "vus_pr": float(curve[7]),
        "vus_roc": float(curve[6]),
        "auc_pr": float(grader.metric_PR(y, score)),
        "auc_roc": float(grader.metric_ROC(y, score)),
    }
    if check:
        m = get_metrics(score, y, slidingWindow=w)
        got = {"vus_pr": m["VUS-PR"], "vus_roc": m["VUS-ROC"], "auc_pr": m["AUC-PR"], "auc_roc": m["AUC-ROC"]}
        assert {k: float(v) for k, v in got.items()} == out, (got, out)
    return out


def dump(obj: dict) -> str:
    """Indented JSON with one line per series record."""
    parts = []
    for key, value in obj.items():
        if key in ("series", "series_benchmark_hp", "skipped") and value:
            inner = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            text = "{\n" + inner + "\n }"
        else:
            text = json.dumps(value, indent=1).replace("\n", "\n ")
        parts.append(f" {json.dumps(key)}: {text}")
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    assert json.loads(text) == obj
    return text


def write(path: Path, obj: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(dump(obj))
    tmp.replace(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--configs", default="defaults,benchmark_hp")
    ap.add_argument("--series", default="all", help="comma list of anml series names, or all")
    ap.add_argument("--check-get-metrics", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--scores-out", type=Path)
    ap.add_argument("--no-checks", action="store_true", help="skip checks.ucr135_published")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)

    seeds = [int(s) for s in args.seeds.split(",")]
    all_cfg = configs()
    chosen = [c.strip() for c in args.configs.split(",")]
    root = mirror()
    windows = json.loads((root / "nab" / "labels" / "combined_windows.json").read_text())
    rows = catalog_rows()
    if args.series != "all":
        wanted = {s.strip() for s in args.series.split(",")}
        rows = [r for r in rows if r["name"] in wanted]
        assert len(rows) == len(wanted), "unknown series"

    out = {
        "generator": "scripts/gen_usad_reference.py",
        "reference": "TSB_AD.model_wrapper.run_USAD(train, x, **params); metrics as "
        "TSB_AD.evaluation.metrics.get_metrics(score, labels, slidingWindow="
        "find_length_rank(x[:,0].reshape(-1,1), rank=1)) on the raw score",
        "tsb_ad_version": version("TSB-AD"),
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "device": "cpu",
        "torch_threads": torch.get_num_threads(),
        "seeds": seeds,
        "configs": {all_cfg[c]["key"]: {"source": all_cfg[c]["source"], "params": all_cfg[c]["params"]} for c in chosen},
        "train": "anml's training part: the UCR prefix (1200 points) where the series has one, else the whole series",
    }
    for c in chosen:
        out[all_cfg[c]["key"]] = {}
    out["skipped"] = {}
    if args.resume and args.out.exists():
        old = json.loads(args.out.read_text())
        if old.get("seeds") == seeds:
            for c in chosen:
                key = all_cfg[c]["key"]
                for name, rec in old.get(key, {}).items():
                    if rec.get("params") == all_cfg[c]["params"]:
                        out[key][name] = rec
            out["skipped"].update(old.get("skipped", {}))
            if "checks" in old:
                out["checks"] = old["checks"]
    args.out.parent.mkdir(parents=True, exist_ok=True)

    # Warm-up (first-call overheads of torch) so the first timed run is not inflated.
    warm = np.sin(np.arange(400) / 7.0).reshape(-1, 1)
    run_once(warm, warm, all_cfg[chosen[0]]["params"], 0)

    scores_seed0 = {}
    checked = {c: 0 for c in chosen}
    t_all = time.perf_counter()
    for row in rows:
        name = row["name"]
        if row["n_anomalous_points"] == 0:
            out["skipped"][name] = {"n": row["n_points"], "reason": "no labelled anomaly: VUS undefined"}
            print(f"skip {name}: no labelled anomaly", flush=True)
            continue
        data = None
        for c in chosen:
            key, params = all_cfg[c]["key"], all_cfg[c]["params"]
            if name in out[key]:
                continue
            if data is None:
                data = load(row, root, windows)
                w = int(find_length_rank(data["x"][:, 0].reshape(-1, 1), rank=1))
            rec = {k: [] for k in ("vus_pr", "vus_roc", "auc_pr", "auc_roc", "seconds", "cpu_seconds")}
            for seed in seeds:
                score, wall, cpu = run_once(data["train"], data["x"], params, seed)
                assert score.shape == (len(data["x"]),), score.shape
                check = checked[c] < args.check_get_metrics
                checked[c] += check
                m = metrics(score, data["y"], w, check)
                for k, v in m.items():
                    rec[k].append(v)
                rec["seconds"].append(round(wall, 4))
                rec["cpu_seconds"].append(round(cpu, 4))
                if seed == seeds[0] and args.scores_out:
                    scores_seed0[f"{c}__{name}"] = score.astype(np.float32)
                print(f"{c:13s} {name:60s} seed {seed} n {len(data['x']):6d} w {w:3d} "
                      f"vus_pr {m['vus_pr']:.4f} vus_roc {m['vus_roc']:.4f} auc_pr {m['auc_pr']:.4f} "
                      f"{wall:6.2f}s wall {cpu:6.2f}s cpu", flush=True)
            rec.update(n=len(data["x"]), sliding_window=w, train_points=len(data["train"]),
                       n_anomalous_points=int(data["y"].sum()), params=params)
            out[key][name] = rec
            write(args.out, out)

    if not args.no_checks and "benchmark_hp" in chosen and "checks" not in out:
        row = next((r for r in catalog_rows() if r["name"] == "ucr/135_InternalBleeding16"), None)
        data = load(row, root, windows)
        x, y = data["x"], data["y"]
        w = int(find_length_rank(x[:, 0].reshape(-1, 1), rank=1))
        params = all_cfg["benchmark_hp"]["params"]
        vals = {}
        for seed in seeds + [2024]:
            score, _, _ = run_once(x[: PUBLISHED_UCR135["train_points"]], x, params, seed)
            vals[str(seed)] = metrics(score, y, w, False)["vus_pr"]
            print(f"check ucr135 tr=1875 seed {seed}: vus_pr {vals[str(seed)]:.10f}", flush=True)
        out["checks"] = {
            "ucr135_published": {
                "published": PUBLISHED_UCR135,
                "params": params,
                "train_points": PUBLISHED_UCR135["train_points"],
                "sliding_window": w,
                "vus_pr_by_seed": vals,
            }
        }
        write(args.out, out)

    if args.scores_out and scores_seed0:
        np.savez_compressed(args.scores_out, **scores_seed0)
    print(f"done in {time.perf_counter() - t_all:.1f}s -> {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
