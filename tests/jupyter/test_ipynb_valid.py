"""Every .ipynb anml writes is a valid nbformat 4 notebook (nbformat.validate):
the conversion of each scripts/*.rhai, and an executed `--ipynb` output."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import REPO, anml

SCRIPTS = sorted((REPO / "scripts").glob("*.rhai"))

SMALL = """\
// %% [markdown]
// # A small notebook
//
// Text, a table, a figure and a value.

// %%
//| label: text
print("hello");
let t = table(["k", "v"]);
t.add_row(["a", 1]);
t.add_row(["b", 2]);
t;

// %%
//| label: figure
series_plot(series_from(vector([1.0, 3.0, 2.0, 5.0, 4.0])), #{ title: "five points" });

// %%
//| label: value
40 + 2
"""


def percent_cells(text: str) -> list[tuple[str, str]]:
    """An independent reading of the percent format: (cell type, source) per
    cell, split at lines starting with `// %%` (text before the first marker,
    or a file without markers, is one code cell); markdown lines lose `// `."""
    cells: list[tuple[str, list[str]]] = [("code", [])]
    for line in text.splitlines():
        if line.startswith("// %%"):
            kind = "markdown" if line[5:].strip().startswith("[markdown]") else "code"
            cells.append((kind, []))
        else:
            cells[-1][1].append(line)
    out = []
    for i, (kind, lines) in enumerate(cells):
        if kind == "markdown":
            lines = [l[3:] if l.startswith("// ") else l[2:] if l.startswith("//") else l for l in lines]
        source = "\n".join(lines).strip()
        if i == 0 and not source:
            continue  # nothing before the first marker
        out.append((kind, source))
    return out


def without_options(source: str) -> str:
    """The source without `//|` option lines (the .ipynb may keep them in
    the source or move them to metadata)."""
    return "\n".join(l for l in source.splitlines() if not l.startswith("//|")).strip()


def assert_valid(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)  # raises ValidationError with the offending path
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), (nb.nbformat, nb.nbformat_minor)
    assert nb.metadata.kernelspec.name == "anml"
    if "language_info" in nb.metadata:
        assert nb.metadata.language_info.name == "rhai"
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids), ids
    return nb


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_convert_is_valid(script: Path, tmp_path: Path):
    out = tmp_path / f"{script.stem}.ipynb"
    anml("notebook", "convert", str(script), "--to", "ipynb", "--output", str(out))
    nb = assert_valid(out)
    expected = percent_cells(script.read_text())
    assert [c.cell_type for c in nb.cells] == [k for k, _ in expected]
    for cell, (_, source) in zip(nb.cells, expected):
        assert without_options(cell.source) == without_options(source), (cell.source, source)
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_executed_ipynb_is_valid(workspace: Path):
    rhai = workspace / "small.rhai"
    rhai.write_text(SMALL)
    anml("notebook", "convert", str(rhai), "--to", "ipynb", "--output", str(workspace / "small.ipynb"),
         cwd=workspace)
    assert_valid(workspace / "small.ipynb")
    out = workspace / "small.executed.ipynb"
    anml("notebook", "run", "small.ipynb", "--ipynb", str(out), cwd=workspace)
    nb = assert_valid(out)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3]
    text, figure, value = (c.outputs for c in code)
    assert any(o.output_type == "stream" and o.name == "stdout" and "hello" in o.text for o in text)
    assert any(o.output_type == "execute_result" and "text/html" in o.data for o in text)
    assert any("image/svg+xml" in o.get("data", {}) and "image/png" in o.get("data", {}) for o in figure)
    results = [o for o in value if o.output_type == "execute_result"]
    assert results and results[0].data["text/plain"].strip() == "42"
