"""Cold start: one whole process each, anml against PyOD, both warm on disk.

anml: `anml benchmark --dataset cardio --model knn --output F` (load and verify
the dataset, split, scale, fit, score, write the validated result JSON).
PyOD: `python -c "import pyod, ...; load; split; standardize; fit; score"`
doing the same work (without writing a result file). Each command runs
once to warm the page cache, then --repeats times; the medians and their
ratio are printed with the CPU.

Usage (repository root; venv with numpy scipy scikit-learn pyod):

    cargo build --release
    python scripts/cold_start.py [--repeats 11]
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"

PYOD = """
import numpy as np, scipy.io
from sklearn.model_selection import train_test_split
from pyod.utils.utility import standardizer
from pyod.models.knn import KNN
m = scipy.io.loadmat({path!r})
x, y = m["X"].astype(float), m["y"].ravel().astype(int)
xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.4, random_state=np.random.RandomState(0))
xtr, xte = standardizer(xtr, xte)
clf = KNN(contamination=y.mean()).fit(xtr)
s = clf.decision_function(xte)
"""


def timed(cmd, env, repeats):
    try:
        done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError as e:
        sys.exit(f"cold_start: cannot run {cmd[0]}: {e} (cargo build --release first)")
    if done.returncode != 0:
        sys.exit(f"cold_start: {' '.join(cmd[:3])} ... failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--anml", type=pathlib.Path, default=ROOT / "target" / "release" / "anml")
    args = ap.parse_args()
    if args.repeats < 1:
        sys.exit("cold_start: --repeats must be at least 1")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    with tempfile.TemporaryDirectory() as ws:
        env = dict(os.environ, ANML_DATA_MIRROR=str(DATA), ANML_DATA_DIR=os.path.join(ws, "cache"))
        anml = [str(args.anml), "benchmark", "--workspace", ws, "--dataset", "cardio", "--model", "knn",
                "--seed", "0", "--protocol", "pyod", "--output", "results/cold.json"]
        a = timed(anml, env, args.repeats)
    p = timed([sys.executable, "-c", PYOD.format(path=str(DATA / "odds" / "cardio.mat"))], dict(os.environ), args.repeats)
    print(f"CPU: {cpu}, {os.cpu_count()} cores; median of {args.repeats} whole-process runs, warm on disk")
    print(f"anml benchmark --dataset cardio --model knn: {a * 1e3:.0f} ms")
    print(f"python -c 'import pyod ...; fit; score':    {p * 1e3:.0f} ms")
    print(f"anml / PyOD: {a / p:.3f}")


if __name__ == "__main__":
    main()
