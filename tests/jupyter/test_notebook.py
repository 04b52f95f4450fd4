"""scripts/odds_tour.rhai as a Jupyter notebook, executed by nbclient on the anml kernel.

The notebook comes from `anml notebook convert`; nbclient runs it the way
JupyterLab's "Run all" would, in a fresh workspace. The outputs are checked
cell by cell (by `//| label:`), the leaderboard's numbers against the run files
the sweep wrote, and the executed notebook is validated and kept at
target/jupyter/odds_tour.executed.ipynb (docs/jupyterlab-odds-tour.png is a
screenshot of it).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from statistics import mean

import nbformat
from nbclient import NotebookClient

from conftest import REPO, REPORT, anml, cell_label

DATASETS = ["cardio", "wbc", "glass"]
DETECTORS = ["isolation_forest", "knn", "lof", "hbos", "ecod"]
SEEDS = [0, 1, 2]
FIGURES = ["roc", "pr", "histogram", "heatmap"]
EXECUTED = REPO / "target" / "jupyter" / "odds_tour.executed.ipynb"


class Tables(HTMLParser):
    """Every <table> in an HTML fragment as a list of rows of cell texts."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def mime_types(cell) -> list[str]:
    """`stream:stdout`, `execute_result:text/html+text/plain`, ... per output."""
    kinds = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            kinds.append(f"stream:{out['name']}")
        elif out["output_type"] == "error":
            kinds.append(f"error:{out['ename']}")
        else:
            kinds.append(f"{out['output_type']}:{'+'.join(sorted(out['data']))}")
    return kinds


def bundles(cell) -> list[dict]:
    return [o["data"] for o in cell["outputs"] if o["output_type"] in ("execute_result", "display_data")]


def test_odds_tour_runs_in_jupyter(workspace: Path, tmp_path: Path, monkeypatch):
    source = tmp_path / "odds_tour.ipynb"
    anml("notebook", "convert", str(REPO / "scripts" / "odds_tour.rhai"), "--to", "ipynb",
         "--output", str(source))
    nb = nbformat.read(source, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "anml"

    # What jupyter_server tells a kernel it starts for a notebook (JupyterLab
    # does); anml files the notebook's runs under its name.
    monkeypatch.setenv("JPY_SESSION_NAME", source.name)
    client = NotebookClient(
        nb,
        kernel_name="anml",
        timeout=600,
        startup_timeout=60,
        resources={"metadata": {"path": str(workspace)}},
    )
    client.execute()
    nbformat.validate(nb)
    EXECUTED.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, EXECUTED)

    # The reviewer's view of the run: every cell and what it put out.
    REPORT.append(f"nbclient executed {source.name} on kernel anml ({len(nb.cells)} cells) "
                  f"→ {EXECUTED.relative_to(REPO)}")
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "code":
            label = cell_label(cell) or "?"
            REPORT.append(f"  [{i:2}] code [{cell.get('execution_count')}] {label:14} "
                          f"{', '.join(mime_types(cell)) or '(no output)'}")
        else:
            first = cell.source.splitlines()[0] if cell.source else ""
            REPORT.append(f"  [{i:2}] {cell.cell_type:8} {first[:60]}")

    code = {cell_label(c): c for c in nb.cells if c.cell_type == "code"}
    assert set(code) == {"datasets", "cardio-scores", *FIGURES, "leaderboard"}, list(code)
    assert not any(o["output_type"] == "error" for c in code.values() for o in c.outputs)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), counts
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert markdown and markdown[0].source.startswith("# A tour of three ODDS datasets")
    assert not any(line.startswith("// ") for c in markdown for line in c.source.splitlines())

    # datasets: the value of `t;` is the cell's result, an HTML table.
    results = [o for o in code["datasets"].outputs if o["output_type"] == "execute_result"]
    assert len(results) == 1 and "text/html" in results[0]["data"]
    rows = Tables(results[0]["data"]["text/html"]).tables[0]
    assert rows[0] == ["dataset", "samples", "features", "anomalies", "rate"]
    assert [r[0] for r in rows[1:]] == DATASETS

    # cardio-scores: ROC-AUC and PR-AUC per detector.
    [auc_html] = [b["text/html"] for b in bundles(code["cardio-scores"]) if "text/html" in b]
    auc_rows = Tables(auc_html).tables[0]
    assert auc_rows[0] == ["detector", "ROC-AUC", "PR-AUC"]
    cardio_auc = {r[0]: float(r[1]) for r in auc_rows[1:]}
    assert list(cardio_auc) == DETECTORS

    for label in FIGURES:
        figs = [b for b in bundles(code[label]) if "image/svg+xml" in b]
        assert len(figs) == 1, (label, mime_types(code[label]))
        assert "image/png" in figs[0], label
        assert figs[0]["image/svg+xml"].lstrip().startswith(("<svg", "<?xml")), label
        assert figs[0]["image/png"].startswith("iVBORw0KGgo"), label  # base64 of the PNG magic

    # The ROC legend names every detector with the AUC the table shows.
    [roc] = [b["image/svg+xml"] for b in bundles(code["roc"])]
    texts = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", roc)]
    for d in DETECTORS:
        legend = [t for t in texts if t.startswith(f"{d} ")]
        assert legend, (d, texts)
        shown = re.search(r"AUC ([0-9.]+)", legend[0])
        if shown:
            assert abs(float(shown.group(1)) - cardio_auc[d]) <= 0.0005 + 1e-9, (legend, cardio_auc[d])

    # leaderboard: "45 runs" on stdout, then the table.
    lb = code["leaderboard"]
    stdout = "".join(o["text"] for o in lb.outputs if o["output_type"] == "stream" and o["name"] == "stdout")
    n_runs = len(DATASETS) * len(DETECTORS) * len(SEEDS)
    assert f"{n_runs} runs" in stdout, stdout
    # A sweep shows its progress as a display that update_display_data moves
    # on; nbclient applies the updates, so the kept one says it finished.
    progress = [b for b in bundles(lb) if "<table" not in b.get("text/html", "")]
    for b in progress:
        assert f"{n_runs}/{n_runs}" in b["text/plain"], b
    [lb_html] = [b["text/html"] for b in bundles(lb) if "<table" in b.get("text/html", "")]
    board = Tables(lb_html).tables[0]
    grouped = runs_by_cell(workspace, "odds_tour")
    check_leaderboard(board, grouped)

    # The same notebook run by the CLI in a workspace of its own gives the
    # same metrics for every (dataset, detector, seed): the kernel computes
    # what `anml notebook run` does.
    cli_ws = tmp_path / "cli-workspace"
    cli_ws.mkdir()
    anml("notebook", "run", str(REPO / "scripts" / "odds_tour.rhai"), "--md", str(tmp_path / "cli.md"),
         cwd=cli_ws)
    cli = runs_by_cell(cli_ws, "odds_tour")
    for key, runs in grouped.items():
        ours = {r["seed"]: (r["roc_auc"], r["pr_auc"]) for r in runs}
        theirs = {r["seed"]: (r["roc_auc"], r["pr_auc"]) for r in cli[key]}
        assert ours == theirs, (key, ours, theirs)
    REPORT.append("kernel runs = `anml notebook run` runs: roc_auc and pr_auc equal for all 45")


def runs_by_cell(workspace: Path, experiment: str) -> dict[tuple[str, str], list[dict]]:
    """The sweep's run files (the only experiment under the workspace: the
    notebook's name), grouped by (dataset, model)."""
    files = sorted(workspace.glob("results/*/runs/*.json"))
    experiments = {f.parts[-3] for f in files}
    assert experiments == {experiment}, f"experiments under {workspace}/results: {experiments}"
    runs = [json.loads(f.read_text()) for f in files]
    REPORT.append(f"sweep: {len(runs)} run files in {workspace.name}/results/{experiment}/runs/")
    grouped = defaultdict(list)
    for r in runs:
        assert r["status"] == "ok", r
        grouped[(r["dataset"], r["model"])].append(r)
    assert set(grouped) == {(d, m) for d in DATASETS for m in DETECTORS}
    for key, rs in grouped.items():
        assert sorted(r["seed"] for r in rs) == SEEDS, key
    return grouped


def close4(shown: str, value: float) -> bool:
    """A number printed with 4 decimals is value rounded."""
    return abs(float(shown) - value) <= 0.5e-4 + 1e-12


def check_leaderboard(board: list[list[str]], grouped: dict) -> None:
    assert board[0] == ["dataset", *DETECTORS], board[0]
    rows = {r[0]: r[1:] for r in board[1:]}
    for d in DATASETS:
        for m, cell in zip(DETECTORS, rows[d]):
            roc, pr = (s.strip() for s in cell.split("/"))
            assert close4(roc, mean(r["roc_auc"] for r in grouped[(d, m)])), (d, m, cell)
            assert close4(pr, mean(r["pr_auc"] for r in grouped[(d, m)])), (d, m, cell)
    mean_roc = rows["mean ROC-AUC"]
    for m, shown in zip(DETECTORS, mean_roc):
        expected = mean(r["roc_auc"] for d in DATASETS for r in grouped[(d, m)])
        assert close4(shown, expected), (m, shown, expected)
    REPORT.append("leaderboard mean ROC-AUC (shown = mean of the run files): "
                  + ", ".join(f"{m} {s}" for m, s in zip(DETECTORS, mean_roc)))
