#!/usr/bin/env python3
"""Time anml's matrix profile against stumpy on random walks.

What it does
------------
For n in {2^14, 2^16, 2^17} and m in {50, 100} it makes a random walk
``np.random.default_rng(seed).standard_normal(n).cumsum()``, saves it as a
1-D float64 ``.npy`` in a temporary folder, and times

* ``stumpy.stump(T, m)`` in this process, after a JIT warm-up on a small
  series (so compile time is excluded), with numba using ``--threads``
  threads (``NUMBA_NUM_THREADS``, set before numba is imported);
* ``anml timeseries profile --input FILE.npy --m M --repeat R --json`` with
  ``RAYON_NUM_THREADS`` set to the same thread count. anml prints one JSON
  object ``{"n", "m", "threads", "seconds": [...]}`` holding the in-process
  compute time of every repeat, so process start-up and file reading are not
  timed.

Both sides report the median of R repeats (R = ``--repeats``, default 3, and
1 for n = 2^17 unless ``--repeats-large`` says otherwise). The table shows n,
m, both times, the ratio anml/stumpy and anml's nanoseconds per distance-matrix
cell per core: ``seconds * threads / cells`` with
``cells = (l - z)(l - z - 1)/2``, ``l = n - m + 1``, ``z = ceil(m/4)`` (the
upper triangle outside the exclusion zone, which is what both compute).

``--verify`` also runs anml once on the smallest case with
``--output profile.npy`` and checks its profile against stumpy's
(1e-8 absolute; near 0 compared as squares, see
tests/matrix_profile_parity.rs); the script exits with status 1 on a
mismatch.

How to run (from the repository root, after ``cargo build --release``)
-----------------------------------------------------------------------
    /work/venv/bin/python scripts/peer_bench_ts.py
    /work/venv/bin/python scripts/peer_bench_ts.py --sizes 14,16 --verify
    /work/venv/bin/python scripts/peer_bench_ts.py --stumpy-only

``--anml PATH`` picks the binary (default ``target/release/anml``). Without a
binary (or with ``--stumpy-only``) only stumpy is timed. Needs numpy and
stumpy (``pip install stumpy``). On a shared machine run nothing else
meanwhile: both sides use every thread they are given.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cells(n: int, m: int) -> int:
    l = n - m + 1
    z = math.ceil(m / 4)
    return (l - z) * (l - z - 1) // 2


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="14,16,17",
                    help="comma-separated log2 of n (default 14,16,17)")
    ap.add_argument("--ms", default="50,100", help="comma-separated window lengths")
    ap.add_argument("--repeats", type=int, default=3, help="repeats for n < 2^17")
    ap.add_argument("--repeats-large", type=int, default=1, help="repeats for n >= 2^17")
    ap.add_argument("--threads", type=int, default=2,
                    help="numba and rayon threads (default 2, this machine's cores)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--anml", default=str(ROOT / "target" / "release" / "anml"))
    ap.add_argument("--stumpy-only", action="store_true", help="do not run anml")
    ap.add_argument("--verify", action="store_true",
                    help="check anml's profile against stumpy's on the smallest case")
    ap.add_argument("--json-out", help="also write the rows as JSON to this file")
    return ap.parse_args()


def run_anml(binary: str, path: Path, m: int, repeats: int, threads: int,
             output: Path | None = None) -> dict:
    cmd = [binary, "timeseries", "profile", "--input", str(path), "--m", str(m),
           "--repeat", str(repeats), "--json"]
    if output is not None:
        cmd += ["--output", str(output)]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"anml failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return json.loads(proc.stdout)


def close(a, b, m: int):
    """Elementwise: |a-b| <= 1e-8, or near 0 |a²-b²| <= 2m·1e-12."""
    import numpy as np

    both_inf = np.isinf(a) & np.isinf(b)
    d = np.abs(a - b)
    d2 = np.abs(a * a - b * b)
    return both_inf | (d <= 1e-8) | (d2 <= 2 * m * 1e-12)


def main() -> int:
    args = parse_args()
    # numba reads its thread count when it is first imported.
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    import numba
    import numpy as np
    import stumpy

    sizes = [1 << int(s) for s in args.sizes.split(",")]
    ms = [int(m) for m in args.ms.split(",")]
    use_anml = not args.stumpy_only
    if use_anml and not Path(args.anml).is_file():
        print(f"note: {args.anml} not found (cargo build --release); timing stumpy only")
        use_anml = False

    # JIT warm-up: compile every specialisation used below on a small series.
    warm = np.random.default_rng(args.seed).standard_normal(2000).cumsum()
    for m in ms:
        stumpy.stump(warm, m)
    print(f"stumpy {stumpy.__version__}, numba {numba.__version__} "
          f"({numba.config.NUMBA_NUM_THREADS} threads), numpy {np.__version__}; "
          f"anml: {args.anml if use_anml else 'not run'}")

    rows = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="peer_bench_ts_") as tmp:
        tmpdir = Path(tmp)
        for n in sizes:
            t = np.random.default_rng(args.seed).standard_normal(n).cumsum()
            path = tmpdir / f"walk_{n}.npy"
            np.save(path, t.astype(np.float64))
            repeats = args.repeats_large if n >= 1 << 17 else args.repeats
            for m in ms:
                times = []
                mp = None
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    mp = stumpy.stump(t, m)
                    times.append(time.perf_counter() - t0)
                s_stumpy = statistics.median(times)
                row = {"n": n, "m": m, "cells": cells(n, m), "threads": args.threads,
                       "stumpy_s": s_stumpy, "stumpy_seconds": times}
                if use_anml:
                    verify = args.verify and n == min(sizes) and m == ms[0]
                    out = tmpdir / "profile.npy" if verify else None
                    res = run_anml(args.anml, path, m, repeats, args.threads, out)
                    if res.get("n") != n or res.get("m") != m:
                        sys.exit(f"anml answered for n={res.get('n')} m={res.get('m')}")
                    s_anml = statistics.median(res["seconds"])
                    row.update(anml_s=s_anml, anml_seconds=res["seconds"],
                               anml_threads=res.get("threads"),
                               ratio=s_anml / s_stumpy,
                               anml_ns_cell_core=s_anml * res.get("threads", args.threads)
                               / row["cells"] * 1e9)
                    if verify:
                        ours = np.load(out)
                        ref = np.asarray(mp[:, 0], dtype=np.float64)
                        ok = ours.shape == ref.shape and bool(np.all(close(ours, ref, m)))
                        diff = float(np.max(np.abs(ours - ref))) if ours.shape == ref.shape else math.inf
                        print(f"verify n={n} m={m}: max |anml - stumpy| = {diff:.3e} "
                              f"-> {'ok' if ok else 'MISMATCH'}")
                        failed |= not ok
                row["stumpy_ns_cell_core"] = s_stumpy * args.threads / row["cells"] * 1e9
                rows.append(row)
                print_row(row, header=len(rows) == 1)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if failed else 0


def print_row(row: dict, header: bool) -> None:
    if header:
        print(f"{'n':>7} {'m':>4} {'stumpy s':>10} {'anml s':>10} {'anml/stumpy':>12} "
              f"{'anml ns/cell/core':>18} {'stumpy ns/cell/core':>20}")
    anml_s = f"{row['anml_s']:10.3f}" if "anml_s" in row else f"{'-':>10}"
    ratio = f"{row['ratio']:12.3f}" if "ratio" in row else f"{'-':>12}"
    ns = f"{row['anml_ns_cell_core']:18.3f}" if "anml_ns_cell_core" in row else f"{'-':>18}"
    print(f"{row['n']:>7} {row['m']:>4} {row['stumpy_s']:10.3f} {anml_s} {ratio} {ns} "
          f"{row['stumpy_ns_cell_core']:20.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
