"""Shared fixtures for the Jupyter client tests (run them with tests/jupyter/run.sh).

The tests drive `anml jupyter` through the real Jupyter client stack
(jupyter_client, nbclient): the kernelspec run.sh installed under
target/jupyter-venv is the only `anml` kernel on JUPYTER_PATH, and every kernel
starts in its own temporary working directory, which is its workspace
(results/, registry/).
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import time
from pathlib import Path

import pytest
from jupyter_client import KernelManager

REPO = Path(__file__).resolve().parents[2]

# Lines the tests want shown after pytest's results (pytest_terminal_summary),
# e.g. the executed notebook's cells and output MIME types.
REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("anml Jupyter report")
        for line in REPORT:
            terminalreporter.write_line(line)


def anml_bin() -> Path:
    """The binary under test: $ANML_BIN (run.sh sets it) or target/debug/anml."""
    path = Path(os.environ.get("ANML_BIN", REPO / "target" / "debug" / "anml")).resolve()
    if not path.is_file():
        pytest.exit(f"anml binary not found at {path}; run tests/jupyter/run.sh", returncode=2)
    return path


def anml(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the anml binary; on failure the assertion shows its stderr."""
    proc = subprocess.run(
        [str(anml_bin()), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if check:
        assert proc.returncode == 0, (
            f"anml {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def cell_label(cell) -> str | None:
    """The `//| label:` of a cell, wherever the .ipynb keeps it: a `label`
    in the metadata, the option line (in the source or in the percent text
    anml keeps in `metadata.anml.head`), or else the cell id when it is not
    a generated `cell-N`."""
    meta = cell.get("metadata", {})
    anml_meta = meta.get("anml", {}) if isinstance(meta.get("anml"), dict) else {}
    for holder in (anml_meta, meta):
        if isinstance(holder.get("label"), str):
            return holder["label"]
    text = cell.get("source", "") + "\n" + str(anml_meta.get("head", ""))
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//| label:"):
            return stripped.split(":", 1)[1].strip()
    cell_id = cell.get("id")
    if cell_id and not re.fullmatch(r"cell-\d+", cell_id):
        return cell_id
    return None


class Kernel:
    """One running anml kernel and a blocking client on it."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self.km = KernelManager(kernel_name="anml")
        # Room for a clean exit before jupyter_client escalates to SIGTERM.
        self.km.shutdown_wait_time = 20.0
        self.km.start_kernel(cwd=str(workspace))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def drain_iopub(self, timeout: float = 0.2) -> None:
        """Drop iopub messages left over from earlier requests."""
        while True:
            try:
                self.kc.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                return

    def shell_reply(self, msg_id: str, timeout: float = 30) -> dict:
        """The shell reply to msg_id (other replies are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no shell reply to {msg_id} within {timeout} s")
            msg = self.kc.get_shell_msg(timeout=left)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def iopub_until_idle(self, msg_id: str, timeout: float = 60) -> list[dict]:
        """Every iopub message whose parent is msg_id, up to its idle status."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no idle status for {msg_id} within {timeout} s: {out}")
            msg = self.kc.get_iopub_msg(timeout=left)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            out.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out

    def execute(self, code: str, timeout: float = 60) -> tuple[dict, list[dict]]:
        """Run code; return (execute_reply, its iopub messages)."""
        msg_id = self.kc.execute(code)
        reply = self.shell_reply(msg_id, timeout)
        return reply, self.iopub_until_idle(msg_id, timeout)

    def shutdown(self) -> int | None:
        """Ask the kernel to shut down; its exit status (None: had to be killed)."""
        process = getattr(self.km.provisioner, "process", None)
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        return process.returncode if process is not None else None


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    return ws


@pytest.fixture
def kernel(workspace: Path):
    k = Kernel(workspace)
    try:
        yield k
    finally:
        if k.km.is_alive():
            k.kc.stop_channels()
            k.km.shutdown_kernel(now=True)
