#!/usr/bin/env python3
"""Generate stumpy's matrix profiles as the reference for anml's matrix profile.

What it does
------------
anml's ``detectors::matrix_profile`` (src/detectors/matrix_profile/) re-implements
``stumpy.stump``: the z-normalised self-join (exclusion zone ceil(m/4)) and the
AB-join ``stumpy.stump(T_A, m, T_B, ignore_trivial=False)``. The parity test
``tests/matrix_profile_parity.rs`` compares anml's profile, indices and
left/right indices with the ones recorded here. Nothing is random in stumpy,
so the comparison is value by value (1e-8 on the profile; indices equal
except at ties, which the test resolves by recomputing the two distances).

Cases (``CASES`` below):

* self-joins of the value column of ``ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv``
  (n = 7501) and ``ts/ecg-diff-count-3_TEST.csv`` (n = 10000) for m in
  {50, 100, 250};
* one AB-join: T_A = UCR #135 TEST, T_B = UCR #135 TRAIN (n = 1200; TRAIN is
  TEST's first 1200 points, so TEST's first 1101 windows find themselves at
  a distance that is 0 up to rounding), m = 100;
* one small synthetic self-join with constant stretches (stumpy's constant
  window rules), a numpy random walk whose values are stored in the file.

For each case ``tests/fixtures/matrix_profile/<name>.npz`` (compressed) holds
``P`` (float64), ``I``, ``IL``, ``IR`` (int32; -1 = none) and, for the
synthetic case, the series ``T``. ``manifest.json`` lists the cases (file,
input CSVs with their SHA-256, m, kind) and the versions of stumpy, numba,
numpy and Python that produced them.

The Rust test reads the CSVs from the data mirror and the .npz files; it
never needs Python. Re-run this script only to refresh the fixtures.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_matrix_profile_reference.py

The CSVs are read from ``../shared/datasets/`` relative to the repository
root; set ``ANML_DATA_MIRROR`` to the ``datasets`` folder, or pass
``--data-dir``, to read them elsewhere. ``--out`` overrides the output folder.
The result does not depend on NUMBA_NUM_THREADS except for which of several
exactly tied neighbours stumpy reports (the test accepts any of them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
from pathlib import Path

import numba
import numpy as np
import stumpy

ROOT = Path(__file__).resolve().parent.parent

UCR_TEST = "ts/135_UCR_Anomaly_InternalBleeding16_TEST.csv"
UCR_TRAIN = "ts/135_UCR_Anomaly_InternalBleeding16_TRAIN.csv"
ECG_TEST = "ts/ecg-diff-count-3_TEST.csv"

# (name, kind, series A, series B or None, m)
CASES = [
    *[(f"ucr135_m{m}", "self", UCR_TEST, None, m) for m in (50, 100, 250)],
    *[(f"ecg3_m{m}", "self", ECG_TEST, None, m) for m in (50, 100, 250)],
    ("ucr135_ab_m100", "ab", UCR_TEST, UCR_TRAIN, 100),
    ("synthetic_constant_m20", "self", None, None, 20),
]

SYNTHETIC_SEED = 20240607
SYNTHETIC_N = 600
# (start, length): two flat stretches longer than m at different levels,
# one shorter than m, and one at the very end.
SYNTHETIC_FLATS = [(50, 40), (200, 15), (330, 60), (560, 40)]


def data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("ANML_DATA_MIRROR")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "datasets"


def read_values(path: Path) -> np.ndarray:
    """The second column (``value`` / ``value-0``) of a TimeEval CSV."""
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=1, dtype=np.float64)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def synthetic() -> np.ndarray:
    t = np.random.default_rng(SYNTHETIC_SEED).standard_normal(SYNTHETIC_N).cumsum()
    for start, length in SYNTHETIC_FLATS:
        t[start : start + length] = t[start]
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", help="the datasets folder (default: ../shared/datasets)")
    ap.add_argument("--out", default=str(ROOT / "tests" / "fixtures" / "matrix_profile"))
    args = ap.parse_args()
    base = data_dir(args.data_dir)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    manifest = {
        "generator": "scripts/gen_matrix_profile_reference.py",
        "versions": {
            "stumpy": stumpy.__version__,
            "numba": numba.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "numba_num_threads": numba.config.NUMBA_NUM_THREADS,
        },
        "excl_zone_denom": stumpy.config.STUMPY_EXCL_ZONE_DENOM,
        "cases": [],
    }
    for name, kind, a_rel, b_rel, m in CASES:
        arrays: dict[str, np.ndarray] = {}
        entry: dict = {"name": name, "file": f"{name}.npz", "kind": kind, "m": m}
        if a_rel is None:
            t_a = synthetic()
            arrays["T"] = t_a
            entry["synthetic"] = {
                "seed": SYNTHETIC_SEED,
                "n": SYNTHETIC_N,
                "flats": SYNTHETIC_FLATS,
                "recipe": "np.random.default_rng(seed).standard_normal(n).cumsum(); "
                "t[s:s+len] = t[s] for each flat",
            }
        else:
            t_a = read_values(base / a_rel)
            entry["series"] = a_rel
            entry["sha256"] = sha256(base / a_rel)
        entry["n"] = int(len(t_a))
        if kind == "self":
            mp = stumpy.stump(t_a, m)
        else:
            t_b = read_values(base / b_rel)
            entry["series_b"] = b_rel
            entry["sha256_b"] = sha256(base / b_rel)
            entry["n_b"] = int(len(t_b))
            mp = stumpy.stump(t_a, m, t_b, ignore_trivial=False)
        arrays["P"] = np.asarray(mp[:, 0], dtype=np.float64)
        for key, col in (("I", 1), ("IL", 2), ("IR", 3)):
            arrays[key] = np.asarray(mp[:, col], dtype=np.int64).astype(np.int32)
        np.savez_compressed(out / entry["file"], **arrays)
        manifest["cases"].append(entry)
        print(f"{name}: n={entry['n']} m={m} l={len(arrays['P'])} "
              f"min P={arrays['P'].min():.3e} max P={arrays['P'].max():.3f}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
