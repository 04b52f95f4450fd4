"""Side-by-side speed of anml and PyOD on the same data, in one run.

For every (dataset, detector) pair this runs the PyOD benchmark protocol on
both sides, one after the other (never at the same time), on the same
machine:

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=np.random.RandomState(seed))
    X_train_norm, X_test_norm = standardizer(X_train, X_test)
    clf = Model(contamination=<anomaly ratio>)      # timed from here ...
    clf.fit(X_train_norm); clf.decision_function(X_test_norm)   # ... to here

and `anml perf --dataset D --model M --seeds ... --json` for anml, which
times the same fit + score in process (`src/bench/timing.rs`) on the same
split (anml's `pyod` protocol reproduces it bit for bit).

Each side of each pair runs in its own process, so its peak RSS (VmHWM,
read by that process at the end) belongs to that pair alone. Interpreter start-up and
imports are outside the Python timing; anml's whole-process wall time is
reported separately. The peer gets at most --peer-limit seconds per pair
(default 600: the issue's 10 minutes) and stops starting new seeds after
--seed-budget seconds; anml then runs exactly the seeds the peer finished,
so both medians cover the same splits. A peer that finished no seed in time,
or ran out of memory, is recorded as such.

BLAS: numpy's bundled OpenBLAS detects the CPU itself; anml links Debian's
OpenBLAS, which gets OPENBLAS_CORETYPE=--coretype (default SkylakeX) for
this run only. Both settings are printed and stored.

--avx2-only runs both sides as on a CPU without AVX-512, on one that has
it: anml with ANML_SIMD=avx2 (its own kernels' AVX2 builds) and
OPENBLAS_CORETYPE=Haswell; the peer with OPENBLAS_CORETYPE=Haswell (numpy's
and scipy's OpenBLAS) and NPY_DISABLE_CPU_FEATURES naming every AVX-512
feature (numpy's own dispatch). It does not make the machine an AVX2 one
(caches, clocks and the cores' other units stay), so its tables say so.

Usage (repository root, venv with numpy scipy scikit-learn pyod from PyPI):

    cargo build --release
    python scripts/peer_bench.py --suite odds --out benches/results/odds.json
    python scripts/peer_bench.py --suite large --seeds 0 --out benches/results/large.json
    python scripts/peer_bench.py --suite deep --seeds 0-2 --out benches/results/deep.json  # + torch
    python scripts/peer_bench.py table benches/results/odds.json   # re-print
"""

import argparse
import json
import math
import os
import pathlib
import platform
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"

ODDS = [
    "arrhythmia", "cardio", "glass", "ionosphere", "letter", "lympho", "mnist",
    "musk", "optdigits", "pendigits", "pima", "satellite", "satimage-2",
    "shuttle", "vertebral", "vowels", "wbc",
]
# anml dataset name -> file under the mirror
LARGE = {
    "adbench/http": "adbench/16_http.npz",
    "adbench/cover": "adbench/10_cover.npz",
    "adbench/donors": "adbench/11_donors.npz",
    "adbench/aloi": "adbench/1_ALOI.npz",
    "adbench/mnist": "adbench/24_mnist.npz",
}
ZOO = [
    "isolation_forest", "knn", "avg_knn", "med_knn", "lof", "hbos", "copod",
    "ecod", "ocsvm", "pca", "mcd", "loda", "inne", "cblof", "kde", "gmm",
]
LARGE_DETECTORS = ["isolation_forest", "knn", "lof", "hbos", "ecod", "pca"]
# PyOD's torch models (and the two that need no training): `--suite deep`.
# torch runs on the same cores anml uses (torch.set_num_threads(os.cpu_count())).
DEEP = ["autoencoder", "deep_svdd", "dif", "sampling"]


def make_model(name, contamination, seed, n_features=None):
    """The PyOD estimator anml's `name` is compared with, configured as in
    the parity suite (scripts/gen_pyod_suite_reference.py)."""
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN
    from pyod.models.lof import LOF
    from pyod.models.hbos import HBOS
    from pyod.models.copod import COPOD
    from pyod.models.ecod import ECOD
    from pyod.models.ocsvm import OCSVM
    from pyod.models.pca import PCA
    from pyod.models.mcd import MCD
    from pyod.models.loda import LODA
    from pyod.models.cblof import CBLOF
    from pyod.models.inne import INNE
    from pyod.models.kde import KDE
    from pyod.models.gmm import GMM
    c, s = contamination, seed
    if name in DEEP:
        import torch
        torch.set_num_threads(os.cpu_count() or 1)
        torch.manual_seed(s)
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.deep_svdd import DeepSVDD
        from pyod.models.dif import DIF
        from pyod.models.sampling import Sampling
        return {
            "autoencoder": lambda: AutoEncoder(contamination=c, random_state=s, verbose=0),
            "deep_svdd": lambda: DeepSVDD(n_features=n_features, contamination=c, random_state=s, verbose=0),
            "dif": lambda: DIF(contamination=c, random_state=s),
            "sampling": lambda: Sampling(contamination=c, random_state=s),
        }[name]()
    return {
        "isolation_forest": lambda: IForest(contamination=c, random_state=s),
        "knn": lambda: KNN(contamination=c, method="largest"),
        "avg_knn": lambda: KNN(contamination=c, method="mean"),
        "med_knn": lambda: KNN(contamination=c, method="median"),
        "lof": lambda: LOF(contamination=c),
        "hbos": lambda: HBOS(contamination=c),
        "copod": lambda: COPOD(contamination=c),
        "ecod": lambda: ECOD(contamination=c),
        "ocsvm": lambda: OCSVM(contamination=c),
        "pca": lambda: PCA(contamination=c, random_state=s),
        "mcd": lambda: MCD(contamination=c, random_state=s),
        "loda": lambda: LODA(contamination=c),
        "cblof": lambda: CBLOF(contamination=c, n_clusters=10, random_state=s),
        "inne": lambda: INNE(contamination=c, random_state=s),
        "kde": lambda: KDE(contamination=c),
        "gmm": lambda: GMM(contamination=c, random_state=s),
    }[name]()


def load(path):
    import numpy as np
    if path.suffix == ".mat":
        import scipy.io
        m = scipy.io.loadmat(path)
        x, y = m["X"], m["y"]
    else:
        with np.load(path) as z:
            x, y = z["X"], z["y"]
    return np.asarray(x, dtype=np.float64), np.asarray(y).ravel().astype(int)


def worker(args):
    """One (dataset, detector) pair on the PyOD side: one JSON line per seed,
    flushed at once, so a pair stopped at the limit keeps its finished seeds."""
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from pyod.utils.utility import standardizer
    x, y = load(pathlib.Path(args.file))
    contamination = float(y.sum()) / len(y)
    start = time.perf_counter()
    for seed in parse_seeds(args.seeds):
        if time.perf_counter() - start > args.seed_budget:
            break
        x_tr, x_te, _, y_te = train_test_split(
            x, y, test_size=0.4, random_state=np.random.RandomState(seed))
        x_tr, x_te = standardizer(x_tr, x_te)
        fits, scores_t, totals = [], [], []
        for _ in range(args.repeats):
            np.random.seed(seed)  # LODA draws from numpy's global RNG
            clf = make_model(args.model, contamination, seed, x.shape[1])
            t0 = time.perf_counter()
            clf.fit(x_tr)
            t1 = time.perf_counter()
            scores = clf.decision_function(x_te)
            t2 = time.perf_counter()
            fits.append(t1 - t0)
            scores_t.append(t2 - t1)
            totals.append(t2 - t0)
        auc = roc_auc_score(y_te, np.nan_to_num(scores))
        print(json.dumps({"peak_rss_kib": peak_rss_kib(), "seed": seed, "fit_seconds": median(fits),
                          "score_seconds": median(scores_t), "fit_score_seconds": median(totals),
                          "repeats": args.repeats, "roc_auc": auc,
                          "n_train": len(x_tr), "n_test": len(x_te)}), flush=True)


def peak_rss_kib():
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that
    across fork + exec, so a child would report its parent's peak."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def parse_seeds(text):
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def run_child(cmd, env, limit):
    """Run `cmd`; return (stdout, stderr, wall seconds, status) where status
    is ok, timeout (killed at `limit` s), oom or error."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=limit)
        status = "ok"
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        status = "timeout"
    wall = time.perf_counter() - t0
    if status == "ok" and p.returncode != 0:
        status = "oom" if p.returncode in (-9, 137) or "MemoryError" in err else "error"
    return out, err, wall, status


def median(xs):
    v = sorted(xs)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def measure(name, file, model, seeds, args, blas_env):
    """One pair, both sides. Where either side's median is below
    --repeat-below seconds, both sides are measured again with each seed's
    fit + score repeated --repeats times (its median taken), so that a ratio
    of millisecond times means something."""
    row = measure_once(name, file, model, seeds, args, blas_env, 1)
    times = [row[s].get("median_fit_score_seconds") for s in ("peer", "anml")]
    if args.repeats > 1 and None not in times and min(times) < args.repeat_below \
            and row["peer"]["status"] == "ok" and row["anml"]["status"] == "ok":
        row = measure_once(name, file, model, seeds, args, blas_env, args.repeats)
    return row


def measure_once(name, file, model, seeds, args, blas_env, repeats):
    py_cmd = [sys.executable, __file__, "worker", "--file", str(file), "--model", model,
              "--seeds", seeds, "--seed-budget", str(args.seed_budget), "--repeats", str(repeats)]
    env = dict(os.environ, **peer_extra_env(args))
    out, err, wall, status = run_child(py_cmd, env, args.peer_limit)
    runs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    rss = max((r["peak_rss_kib"] for r in runs), default=None)
    peer = {"status": status if (runs or status != "ok") else "error", "runs": runs,
            "median_fit_score_seconds": median([r["fit_score_seconds"] for r in runs]),
            "peak_rss_kib": rss, "process_seconds": wall}
    if status != "ok" and not runs:
        peer["error"] = err.strip().splitlines()[-1:] if err.strip() else []
    if peer["status"] == "error":
        peer["error"] = err.strip().splitlines()[-3:]
    done = ",".join(str(r["seed"]) for r in runs) or seeds.split(",")[0].split("-")[0]
    a_cmd = [str(args.anml), "perf", "--dataset", name, "--model", model, "--seeds", done,
             "--repeats", str(repeats), "--json", "--offline", "--data-mirror", str(DATA)]
    a_env = dict(os.environ, **blas_env, **anml_extra_env(args))
    out, err, wall, status = run_child(a_cmd, a_env, args.peer_limit)
    anml = {"status": status, "process_seconds": wall}
    if status == "ok":
        rep = json.loads(out)
        anml.update(peak_rss_kib=rep["peak_rss_kib"], runs=rep["runs"], median_fit_score_seconds=rep["median_fit_score_seconds"],
                    blas=rep["blas"], threads=rep["threads"], n_train=rep["n_train"],
                    simd=rep.get("simd"))
    else:
        anml["error"] = err.strip().splitlines()[-3:]
    return {"dataset": name, "model": model, "repeats": repeats, "peer": peer, "anml": anml}


NUMPY_AVX512 = ("AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX "
                "AVX512_CNL AVX512_ICL AVX512_SPR")


def anml_extra_env(args):
    """anml's environment beyond --coretype: --avx2-only's caps."""
    if getattr(args, "avx2_only", False):
        return {"ANML_SIMD": "avx2", "OPENBLAS_CORETYPE": "Haswell"}
    return {}


def peer_extra_env(args):
    """The peer's environment: --avx2-only's caps on numpy and OpenBLAS."""
    if getattr(args, "avx2_only", False):
        return {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": NUMPY_AVX512}
    return {}


def ratio(row):
    a, p = row["anml"].get("median_fit_score_seconds"), row["peer"].get("median_fit_score_seconds")
    if a is None or p is None or row["peer"]["status"] not in ("ok", "timeout"):
        return None
    return a / p


def fmt_s(x):
    if x is None:
        return "-"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def fmt_mib(k):
    return "-" if k is None else f"{k / 1024:.0f}"


def n_runs(side):
    runs = side.get("runs") or []
    return len(runs["seed"]) if isinstance(runs, dict) else len(runs)


def cpu_description():
    """CPU model and widest SIMD level, from /proc/cpuinfo (every table names them)."""
    try:
        info = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine()
    model = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    simd = next((f for f in ("avx512f", "avx2", "avx", "sse4_2") if f in flags), "sse2")
    return f"{model}, SIMD {simd}"


def print_table(doc, file=sys.stdout):
    rows = doc["rows"]
    w = file.write
    w(f"# anml vs PyOD, fit + score (median over seeds), one run on {doc['machine']}\n")
    if doc.get("cpu"):
        w(f"# CPU: {doc['cpu']}\n")
    if doc.get("emulation"):
        w(f"# {doc['emulation']}\n")
    w(f"# peer: {doc['peer_versions']}; BLAS: numpy's own OpenBLAS (self-detected)\n")
    simd = f"; kernels {doc['anml_simd']}" if doc.get("anml_simd") else ""
    w(f"# anml: {doc.get('anml_blas', '?')}; threads {doc.get('anml_threads', '?')}{simd}\n\n")
    w("(seeds × N: a pair under 5 ms, each seed's fit + score repeated N times on both sides, its median taken)\n\n")
    w("| dataset | detector | n_train | seeds | anml | PyOD | anml/PyOD | RSS anml MiB | RSS PyOD MiB | anml process s |\n")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    for r in rows:
        q = ratio(r)
        peer = r["peer"]
        pt = fmt_s(peer.get("median_fit_score_seconds"))
        if peer["status"] == "timeout":
            pt = f"{pt} (>{doc['peer_limit']:.0f} s limit)" if peer["runs"] else f">{doc['peer_limit']:.0f} s"
        elif peer["status"] not in ("ok",):
            pt = peer["status"]
        seeds = f"{n_runs(r['anml'])}" + (f" × {r['repeats']}" if r.get("repeats", 1) > 1 else "")
        w(f"| {r['dataset']} | {r['model']} | {r['anml'].get('n_train', '-')} | "
          f"{seeds} | {fmt_s(r['anml'].get('median_fit_score_seconds'))} | "
          f"{pt} | {'-' if q is None else f'{q:.3f}'} | {fmt_mib(r['anml'].get('peak_rss_kib'))} | "
          f"{fmt_mib(peer.get('peak_rss_kib'))} | {r['anml']['process_seconds']:.2f} |\n")
    w("\n| detector | pairs | geomean anml/PyOD | worst | slower than PyOD on |\n|---|---:|---:|---:|---|\n")
    for m in dict.fromkeys(r["model"] for r in rows):
        qs = [(ratio(r), r["dataset"]) for r in rows if r["model"] == m and ratio(r) is not None]
        timeouts = [r["dataset"] for r in rows if r["model"] == m and r["peer"]["status"] == "timeout" and not r["peer"]["runs"]]
        if not qs:
            w(f"| {m} | 0 | - | - | peer timed out on {', '.join(timeouts)} |\n")
            continue
        g = math.exp(sum(math.log(q) for q, _ in qs) / len(qs))
        worst = max(qs)
        slower = [d for q, d in qs if q >= 1]
        w(f"| {m} | {len(qs)} | {g:.3f} | {worst[0]:.3f} ({worst[1]}) | {', '.join(slower) or 'none'} |\n")
    # the suite estimate: every pair's median times its seed count
    n_seeds = doc.get("suite_seeds", 10)
    a_tot = sum(r["anml"].get("median_fit_score_seconds") or 0 for r in rows) * n_seeds
    p_rows = [r for r in rows if r["peer"].get("median_fit_score_seconds") is not None]
    p_tot = sum(r["peer"]["median_fit_score_seconds"] for r in p_rows) * n_seeds
    w(f"\nsuite estimate ({n_seeds} seeds per pair, fit+score only): anml {a_tot:.1f} s, "
      f"PyOD {p_tot:.1f} s (≥, {len(rows) - len(p_rows)} pairs with no finished peer seed "
      f"counted as 0): PyOD/anml = {p_tot / a_tot if a_tot else float('nan'):.1f}×\n")


def write(doc, path):
    """Compact JSON, one row per line (diffable, small), written atomically."""
    def short(v):  # five significant digits: far below the run-to-run noise
        if isinstance(v, float):
            return float(f"{v:.5g}")
        if isinstance(v, dict):
            return {k: short(x) for k, x in v.items()}
        if isinstance(v, list):
            return [short(x) for x in v]
        return v

    def columns(row):  # per-seed runs as columns: a third of the size
        out = dict(row)
        for side in ("peer", "anml"):
            s = dict(row[side])
            if isinstance(s.get("runs"), list) and s["runs"]:
                s["runs"] = {k: [r.get(k) for r in s["runs"]] for k in s["runs"][0]}
            out[side] = s
        return out

    head = {k: v for k, v in doc.items() if k != "rows"}
    rows = ",\n".join(json.dumps(short(columns(r)), separators=(",", ":"))
                      for r in doc["rows"])
    text = json.dumps(head, indent=1)[:-2] + ',\n "rows": [\n' + rows + "\n ]\n}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        ap = argparse.ArgumentParser()
        ap.add_argument("worker")
        ap.add_argument("--file", required=True)
        ap.add_argument("--model", required=True)
        ap.add_argument("--seeds", required=True)
        ap.add_argument("--seed-budget", type=float, default=60.0)
        ap.add_argument("--repeats", type=int, default=1)
        worker(ap.parse_args())
        return
    if len(sys.argv) > 2 and sys.argv[1] == "table":
        print_table(json.loads(pathlib.Path(sys.argv[2]).read_text()))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", choices=["odds", "large", "deep"], default="odds",
                    help="deep: the ODDS datasets with autoencoder, deep_svdd, dif, sampling")
    ap.add_argument("--datasets", help="comma list (default: the whole suite)")
    ap.add_argument("--detectors", help="comma list (default: the zoo; large: the six the issue names)")
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--seed-budget", type=float, default=60.0,
                    help="the peer starts no new seed after this many seconds on a pair")
    ap.add_argument("--peer-limit", type=float, default=600.0,
                    help="a pair's process is killed after this many seconds")
    ap.add_argument("--repeats", type=int, default=21,
                    help="where a pair's median is below --repeat-below, both sides again with each seed's fit + score repeated this often")
    ap.add_argument("--repeat-below", type=float, default=0.005, metavar="SECONDS")
    ap.add_argument("--coretype", default="SkylakeX",
                    help="OPENBLAS_CORETYPE for anml's Debian OpenBLAS ('' leaves it unset)")
    ap.add_argument("--avx2-only", action="store_true",
                    help="both sides as without AVX-512 (see the module doc)")
    ap.add_argument("--anml", type=pathlib.Path, default=ROOT / "target" / "release" / "anml")
    ap.add_argument("--out", type=pathlib.Path)
    args = ap.parse_args()
    if args.suite in ("odds", "deep"):
        pairs = [(d, DATA / "odds" / f"{d}.mat") for d in ODDS]
        detectors = ZOO if args.suite == "odds" else DEEP
    else:
        pairs = [(d, DATA / f) for d, f in LARGE.items()]
        detectors = LARGE_DETECTORS
    if args.datasets:
        keep = args.datasets.split(",")
        pairs = [p for p in pairs if p[0] in keep]
    if args.detectors:
        detectors = args.detectors.split(",")
    blas_env = {"OPENBLAS_CORETYPE": args.coretype} if args.coretype else {}
    from importlib.metadata import version  # no import: keeps this process small
    doc = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "cpu": cpu_description(),
        "peer_versions": f"python {platform.python_version()}, numpy {version('numpy')}, "
                         f"scikit-learn {version('scikit-learn')}, pyod {version('pyod')}",
        "peer_limit": args.peer_limit, "seed_budget": args.seed_budget, "seeds": args.seeds,
        "suite_seeds": len(parse_seeds(args.seeds)), "rows": [],
    }
    if args.avx2_only:
        doc["emulation"] = (
            "AVX2-only run on this AVX-512 CPU: anml ANML_SIMD=avx2 OPENBLAS_CORETYPE=Haswell; "
            "peer OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES=<every AVX-512 feature>. "
            "The same instructions as an AVX2-only CPU, not its caches or clocks.")
    t_start = time.time()
    for name, file in pairs:
        for model in detectors:
            row = measure(name, file, model, args.seeds, args, blas_env)
            doc["rows"].append(row)
            doc.setdefault("anml_blas", row["anml"].get("blas"))
            doc.setdefault("anml_threads", row["anml"].get("threads"))
            if row["anml"].get("simd"):
                doc.setdefault("anml_simd", row["anml"]["simd"])
            q = ratio(row)
            print(f"{name:16s} {model:17s} anml {fmt_s(row['anml'].get('median_fit_score_seconds')):>10s}  "
                  f"PyOD {fmt_s(row['peer'].get('median_fit_score_seconds')):>10s} "
                  f"[{row['peer']['status']}]  ratio {'-' if q is None else f'{q:.3f}'}",
                  file=sys.stderr, flush=True)
            if args.out:
                write(doc, args.out)
    doc["harness_seconds"] = time.time() - t_start
    if args.out:
        write(doc, args.out)
    print_table(doc)


if __name__ == "__main__":
    main()
