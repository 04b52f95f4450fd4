"""FAISS's exact flat index against anml's k-NN search, on the same data.

The anchor of issue 22: FAISS `IndexFlatL2` (float32, exact, 2 threads)
does the work anml's `knn` does on PyOD's seed-0 split (training rows
standardised as PyOD does): the training self-join at k + 1 (each row
finds itself) plus the test query at k. anml's side is `anml perf
--dataset D --model knn --seeds 0` (fit + score, in process, which also
scores; the search is nearly all of it). Each side is the median of
--repeats runs; anml's runs are separate processes.

Usage (repository root; venv with numpy scipy scikit-learn pyod faiss-cpu):

    cargo build --release
    python scripts/faiss_anchor.py [--datasets mnist,optdigits,satimage-2,letter] [--repeats 7]
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import peer_bench  # noqa: E402  (load(), the dataset folder)


def faiss_seconds(x_tr, x_te, k, repeats):
    import faiss
    import numpy as np
    faiss.omp_set_num_threads(2)
    tr = np.ascontiguousarray(x_tr, dtype=np.float32)
    te = np.ascontiguousarray(x_te, dtype=np.float32)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        index = faiss.IndexFlatL2(tr.shape[1])
        index.add(tr)
        index.search(tr, k + 1)
        index.search(te, k)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def anml_seconds(binary, name, repeats):
    env = dict(os.environ)
    env.setdefault("ANML_DATA_MIRROR", str(peer_bench.DATA))
    times = []
    for _ in range(repeats):
        cmd = [str(binary), "perf", "--dataset", name, "--model", "knn", "--seeds", "0", "--json"]
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        except OSError as e:
            sys.exit(f"faiss_anchor: cannot run {binary}: {e} (cargo build --release first)")
        if done.returncode != 0:
            sys.exit(f"faiss_anchor: {' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
        times.append(json.loads(done.stdout)["median_fit_score_seconds"])
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="mnist,optdigits,satimage-2,letter")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--k", type=int, default=5, help="PyOD KNN's n_neighbors")
    ap.add_argument("--anml", type=pathlib.Path, default=peer_bench.ROOT / "target" / "release" / "anml")
    args = ap.parse_args()
    names = [n for n in args.datasets.split(",") if n]
    for name in names:
        path = peer_bench.DATA / "odds" / f"{name}.mat"
        if not path.is_file():
            sys.exit(f"faiss_anchor: no ODDS dataset {name!r} (no file {path})")
    if args.repeats < 1:
        sys.exit("faiss_anchor: --repeats must be at least 1")
    import numpy as np
    from sklearn.model_selection import train_test_split
    from pyod.utils.utility import standardizer
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    flags = open("/proc/cpuinfo").read()
    simd = "avx512f" if " avx512f" in flags else ("avx2" if " avx2" in flags else "sse2")
    print(f"# FAISS IndexFlatL2 (f32, 2 threads) vs anml knn, seed-0 PyOD split, median of {args.repeats}")
    print(f"# CPU: {cpu} ({simd}), {os.cpu_count()} cores\n")
    print("| dataset | rows × features (train) | FAISS | anml | anml / FAISS |")
    print("|---|---|---:|---:|---:|")
    for name in names:
        x, y = peer_bench.load(peer_bench.DATA / "odds" / f"{name}.mat")
        x_tr, x_te, _, _ = train_test_split(x, y, test_size=0.4, random_state=np.random.RandomState(0))
        x_tr, x_te = standardizer(x_tr, x_te)
        f = faiss_seconds(x_tr, x_te, args.k, args.repeats)
        a = anml_seconds(args.anml, name, args.repeats)
        print(f"| {name} | {x_tr.shape[0]} × {x_tr.shape[1]} | {f * 1e3:.1f} ms | {a * 1e3:.1f} ms | {a / f:.2f} |", flush=True)


if __name__ == "__main__":
    main()
