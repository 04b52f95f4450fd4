#!/usr/bin/env python3
"""Generate the scikit-learn reference for anml's ``pyod`` split protocol.

What it does
------------
PyOD's benchmark splits every dataset with

    train_test_split(X, y, test_size=0.4,
                     random_state=np.random.RandomState(seed))

(unstratified, shuffled) and standardises with a ``StandardScaler`` fit on
the train part. anml's ``Protocol::Pyod`` (src/data/protocol.rs) reproduces
those splits bit for bit through its own MT19937 / ``RandomState.permutation``
(src/data/mt19937.rs). The integration test ``tests/pyod_protocol.rs``
checks that against this script's output,
``tests/fixtures/splits/sklearn_splits.json``:

1. ``"splits"``: for n in {10, 148, 214, 1831, 7603, 49097} (small ODDS
   sizes, mnist = 7603, shuttle = 49097) and seeds 0..9, the train and test
   index lists of ``train_test_split(np.arange(n), test_size=0.4,
   random_state=np.random.RandomState(seed))``. For n <= 1831 the full lists
   are stored; for larger n only the first 50 indices of each part, plus the
   SHA-256 (lower-case hex) of each full list written as comma-joined
   decimal text (``"3,17,5"``, no spaces, no trailing comma), so the test
   can hash its own lists.

2. ``"cardio"``: ODDS ``cardio`` split with seed 0 as above and scaled by a
   ``StandardScaler`` fit on ``X_train``: the first 5 rows of the scaled
   ``X_train`` and ``X_test``, the column sums of both, and the first 20
   train/test indices.

The Rust test reads the JSON file; it never needs Python. Re-run this script
only to refresh the fixture after a deliberate change.

How to run (from the repository root)
-------------------------------------
    /work/venv/bin/python scripts/gen_split_reference.py

The ODDS ``cardio.mat`` (keys ``X`` and ``y``) is read from
``../shared/datasets/odds/`` relative to the repository root; set
``ANML_DATA_MIRROR`` to the ``datasets`` folder, or pass ``--odds-dir``, to
read it elsewhere. ``--out`` overrides the output file.

Versions
--------
The committed fixture was produced by Python 3.11, numpy 2.4.6, scipy 1.17.1
and scikit-learn 1.9.1. The JSON file records the versions that actually
produced it under ``"versions"``, and the SHA-256 of the input file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
from pathlib import Path

import numpy as np
import scipy
import scipy.io
import sklearn
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "splits" / "sklearn_splits.json"
SIZES = [10, 148, 214, 1831, 7603, 49097]
SEEDS = list(range(10))
FULL_LIST_MAX_N = 1831
PREFIX_LEN = 50
TEST_SIZE = 0.4
CARDIO_SEED = 0
CARDIO_ROWS = 5
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
}


def default_odds_dir() -> Path:
    mirror = os.environ.get("ANML_DATA_MIRROR")
    base = Path(mirror) if mirror else REPO_ROOT.parent / "shared" / "datasets"
    return base / "odds"


def index_sha256(indices: np.ndarray) -> str:
    """SHA-256 of the indices as comma-joined decimal text."""
    text = ",".join(str(int(i)) for i in indices)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def split_case(n: int, seed: int) -> dict:
    train, test = train_test_split(
        np.arange(n), test_size=TEST_SIZE, random_state=np.random.RandomState(seed)
    )
    case = {"n": n, "seed": seed, "n_train": int(len(train)), "n_test": int(len(test))}
    if n <= FULL_LIST_MAX_N:
        case["train"] = [int(i) for i in train]
        case["test"] = [int(i) for i in test]
    else:
        case["train_prefix"] = [int(i) for i in train[:PREFIX_LEN]]
        case["test_prefix"] = [int(i) for i in test[:PREFIX_LEN]]
        case["train_sha256"] = index_sha256(train)
        case["test_sha256"] = index_sha256(test)
    return case


def cardio_case(path: Path) -> dict:
    mat = scipy.io.loadmat(path)
    x = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    idx = np.arange(x.shape[0])
    x_train, x_test, _, _, idx_train, idx_test = train_test_split(
        x, y, idx, test_size=TEST_SIZE, random_state=np.random.RandomState(CARDIO_SEED)
    )
    scaler = StandardScaler().fit(x_train)
    xs_train = scaler.transform(x_train)
    xs_test = scaler.transform(x_test)
    return {
        "dataset": "cardio",
        "seed": CARDIO_SEED,
        "n_samples": int(x.shape[0]),
        "n_features": int(x.shape[1]),
        "anomaly_ratio": float(y.mean()),
        "train_index_prefix": [int(i) for i in idx_train[:20]],
        "test_index_prefix": [int(i) for i in idx_test[:20]],
        "x_train_head": xs_train[:CARDIO_ROWS].tolist(),
        "x_test_head": xs_test[:CARDIO_ROWS].tolist(),
        "x_train_col_sums": xs_train.sum(axis=0).tolist(),
        "x_test_col_sums": xs_test.sum(axis=0).tolist(),
    }


def compact_number_lists(text: str) -> str:
    """Put every list of plain numbers on one line (indented JSON otherwise
    spends a line per index)."""
    number_list = re.compile(r"\[\s*((?:-?[0-9][0-9.eE+-]*,\s*)*-?[0-9][0-9.eE+-]*)\s*\]")
    return number_list.sub(lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odds-dir", type=Path, default=default_odds_dir())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    splits = [split_case(n, seed) for n in SIZES for seed in SEEDS]
    cardio_path = args.odds_dir / "cardio.mat"
    out = {
        "description": "train_test_split(np.arange(n), test_size=0.4, "
        "random_state=np.random.RandomState(seed)); see scripts/gen_split_reference.py",
        "versions": VERSIONS,
        "inputs": {"odds/cardio.mat": hashlib.sha256(cardio_path.read_bytes()).hexdigest()},
        "test_size": TEST_SIZE,
        "full_list_max_n": FULL_LIST_MAX_N,
        "prefix_len": PREFIX_LEN,
        "splits": splits,
        "cardio": cardio_case(cardio_path),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(compact_number_lists(json.dumps(out, indent=1)) + "\n")
    print(f"wrote {args.out} ({len(splits)} split cases, {args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
