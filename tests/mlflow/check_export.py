#!/usr/bin/env python3
"""`anml results export DIR --mlflow PATH` read back by the real MLflow client.

Run by tests/mlflow/run.sh (which pins mlflow-skinny in a venv); no pytest.
Builds three small run stores with the anml binary ($ANML_BIN): a 2 x 2 x 2
suite (wbc, glass; isolation_forest, knn; seeds 0-1), a sweep whose one
run fails (knn with more neighbours than training rows) and one NAB
time-series run (its nested metrics flattened, its scores an artefact). Exports both into
one MLflow file store, twice, and checks with ``MlflowClient.search_experiments``
and ``search_runs`` that every run record appears exactly once, in the
experiment named like its anml experiment, with the params, metrics, tags,
status and artefact the export promises; then that a third export after a
store gained a run adds exactly that run.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
import mlflow  # noqa: E402

ANML = os.environ["ANML_BIN"]
MIRROR = os.environ.get("ANML_DATA_MIRROR", "")
METRICS = ["roc_auc", "pr_auc", "f1", "precision_at_n"]


def anml(ws, *args, ok=(0,)):
    cmd = [ANML, "--workspace", str(ws), "--data-dir", str(ws / "cache"), "--offline"]
    if MIRROR:
        cmd += ["--data-mirror", MIRROR]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True)
    if p.returncode not in ok:
        sys.exit(f"anml {' '.join(args)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def records(store):
    out = {}
    for f in sorted((store / "runs").glob("*.json")):
        r = json.loads(f.read_text())
        out[r["run_id"]] = r
    return out


def flat(prefix, v, out):
    """A time-series record's nested metrics as the export names them."""
    if isinstance(v, dict):
        for k, x in v.items():
            flat(f"{prefix}.{k}" if prefix else k, x, out)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        out[prefix] = float(v)
    return out


def check(client, stores):
    want = {}
    for s in stores:
        want.update(records(s))
    exps = {e.name: e.experiment_id for e in client.search_experiments()}
    seen = {}
    for name, exp_id in exps.items():
        for run in client.search_runs([exp_id], max_results=1000):
            rid = run.data.tags.get("anml.run_id")
            if name == "Default":
                raise AssertionError(f"run {run.info.run_id} in the Default experiment")
            assert rid not in seen, f"anml run {rid} exported twice"
            seen[rid] = (name, run)
    assert set(seen) == set(want), f"runs: {sorted(set(seen) ^ set(want))} differ"
    for rid, rec in want.items():
        name, run = seen[rid]
        assert name == rec["experiment"], (name, rec["experiment"])
        assert run.info.run_id == rid[:32]
        p, m, t = run.data.params, run.data.metrics, run.data.tags
        assert p["model"] == rec["model"]
        assert p.get("dataset", p.get("series")) == rec.get("dataset", rec.get("series"))
        assert p["seed"] == str(rec["seed"])
        for k, v in rec["params"].items():
            assert p[f"params.{k}"] == (v if isinstance(v, str) else json.dumps(v)), (k, v, p)
        assert t["anml.dataset_sha256"] == rec.get("dataset_sha256", rec.get("series_sha256"))
        assert t["anml.version"] == rec["anml_version"]
        assert t["mlflow.runName"] == run.info.run_name
        if rec.get("kind") == "timeseries":
            assert run.info.status == "FINISHED", run.info.status
            want_m = flat("", rec["metrics"], {})
            want_m["run_time"] = rec["run_time"]
            assert m == want_m, (m, want_m)
            assert f"{rid}.scores.npy" in [a.path for a in client.list_artifacts(rid[:32])]
        elif rec["status"] == "ok":
            assert run.info.status == "FINISHED", run.info.status
            assert p["protocol"] == rec["split"]["protocol"]
            for k in METRICS + ["fit_time", "score_time"]:
                assert m[k] == rec[k], (k, m[k], rec[k])
            if rec.get("threshold") is not None:
                assert m["threshold"] == rec["threshold"]
            assert t["anml.artefact_digest"] == rec["artefact_digest"]
        else:
            assert run.info.status == "FAILED", run.info.status
            assert t["anml.error"] == rec["error"]
            assert m == {}, m
        arts = [a.path for a in client.list_artifacts(run.info.run_id)]
        assert f"{rid}.json" in arts, arts
        local = client.download_artifacts(run.info.run_id, f"{rid}.json")
        assert json.loads(Path(local).read_text()) == rec
    return len(seen)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        anml(ws, "benchmark", "--suite", "odds", "--datasets", "wbc,glass",
             "--models", "isolation_forest,knn", "--seeds", "0-1", "--experiment", "suite")
        anml(ws, "benchmark", "--suite", "odds", "--datasets", "glass", "--models", "knn",
             "--param", "n_neighbors=500", "--seeds", "0", "--experiment", "failing", ok=(0, 1))
        anml(ws, "benchmark", "--suite", "nab", "--datasets",
             "nab/artificialWithAnomaly/art_daily_jumpsup", "--models", "hbos", "--seeds", "0",
             "--experiment", "series")
        stores = [ws / "results" / "suite", ws / "results" / "failing", ws / "results" / "series"]
        path = ws / "mlruns"
        for _ in range(2):
            for s in stores:
                anml(ws, "results", "export", str(s), "--mlflow", str(path))
        client = mlflow.MlflowClient(tracking_uri=path.as_uri())
        n = check(client, stores)
        assert n == 10, n
        # The store gains a seed: a third export adds just those runs.
        anml(ws, "benchmark", "--suite", "odds", "--datasets", "wbc,glass",
             "--models", "isolation_forest,knn", "--seeds", "0-2", "--experiment", "suite")
        anml(ws, "results", "export", str(stores[0]), "--mlflow", str(path))
        n = check(client, stores)
        assert n == 14, n
        print(f"mlflow export: {n} runs read back by mlflow {mlflow.__version__}, none twice")


if __name__ == "__main__":
    main()
