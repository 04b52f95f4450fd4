"""The kernel's messaging protocol, seen through jupyter_client.

Each test starts `anml jupyter` from the installed kernelspec (KernelManager)
in its own workspace and talks to it with a BlockingKernelClient.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import zmq
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.session import Session

from conftest import Kernel, anml_bin


def test_kernelspec_is_the_installed_one():
    """JUPYTER_PATH isolation: `anml` resolves to the spec run.sh installed,
    and it runs the binary under test."""
    spec = KernelSpecManager().get_kernel_spec("anml")
    prefix = Path(__file__).resolve().parents[2] / "target" / "jupyter-venv"
    assert Path(spec.resource_dir).resolve().is_relative_to(prefix.resolve()), spec.resource_dir
    # Global flags in force at install time (e.g. --data-mirror from the
    # environment) sit between the binary and the subcommand.
    assert spec.argv[0] == str(anml_bin()), spec.argv
    assert spec.argv[-3:] == ["jupyter", "--connection-file", "{connection_file}"], spec.argv
    assert all(a.startswith("--") for a in spec.argv[1:-3]), spec.argv
    assert spec.display_name == "anml (Rhai)"
    assert spec.language == "rhai"
    assert spec.interrupt_mode == "message"
    for logo in ("logo-32x32.png", "logo-64x64.png"):
        assert (Path(spec.resource_dir) / logo).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("target", ["--user", "--sys-prefix", "--prefix"])
def test_install_targets_are_read_by_jupyter_client(tmp_path: Path, target: str):
    """Each install target writes where jupyter_client looks, in a form its
    KernelSpec parser accepts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["HOME"] = str(tmp_path / "home")
    env["VIRTUAL_ENV"] = str(tmp_path / "venv")
    args = [target] + ([str(tmp_path / "prefix")] if target == "--prefix" else [])
    subprocess.run([str(anml_bin()), "jupyter", "install", *args], env=env, check=True,
                   capture_output=True, timeout=60)
    data_dir = {
        "--user": tmp_path / "home" / ".local" / "share" / "jupyter",
        "--sys-prefix": tmp_path / "venv" / "share" / "jupyter",
        "--prefix": tmp_path / "prefix" / "share" / "jupyter",
    }[target]
    ksm = KernelSpecManager(kernel_dirs=[str(data_dir / "kernels")])
    assert list(ksm.find_kernel_specs()) == ["anml"]
    spec = ksm.get_kernel_spec("anml")
    assert spec.argv[0] == str(anml_bin()) and spec.language == "rhai"


def test_kernel_info(kernel: Kernel):
    msg_id = kernel.kc.kernel_info()
    reply = kernel.shell_reply(msg_id)
    content = reply["content"]
    assert reply["msg_type"] == "kernel_info_reply"
    assert content["status"] == "ok"
    assert content["protocol_version"].startswith("5.")
    assert content["language_info"]["name"] == "rhai"
    assert content["implementation"]


def test_execute_counts_persists_and_prints(kernel: Kernel):
    reply1, _ = kernel.execute("let a = 40;")
    assert reply1["content"]["status"] == "ok"
    reply2, iopub = kernel.execute('print("hello from rhai");\na + 2')
    assert reply2["content"]["status"] == "ok"
    assert reply2["content"]["execution_count"] > reply1["content"]["execution_count"]

    streams = [m["content"] for m in iopub if m["msg_type"] == "stream"]
    assert any(s["name"] == "stdout" and "hello from rhai" in s["text"] for s in streams), iopub
    results = [m["content"] for m in iopub if m["msg_type"] == "execute_result"]
    assert len(results) == 1, iopub
    assert results[0]["data"]["text/plain"].strip() == "42"
    assert results[0]["execution_count"] == reply2["content"]["execution_count"]
    inputs = [m["content"] for m in iopub if m["msg_type"] == "execute_input"]
    assert inputs and inputs[0]["code"].startswith('print("hello')


def test_complete(kernel: Kernel):
    code = "load_d"
    reply = kernel.shell_reply(kernel.kc.complete(code, len(code)))
    content = reply["content"]
    assert content["status"] == "ok"
    assert "load_dataset" in content["matches"], content["matches"]
    assert content["cursor_end"] == len(code)
    assert code[content["cursor_start"] : content["cursor_end"]] in "load_dataset"

    kernel.execute("let my_threshold_value = 0.5;")
    code = "let b = my_thr"
    reply = kernel.shell_reply(kernel.kc.complete(code, len(code)))
    assert "my_threshold_value" in reply["content"]["matches"], reply["content"]


def test_inspect_load_dataset(kernel: Kernel):
    code = "load_dataset"
    reply = kernel.shell_reply(kernel.kc.inspect(code, len(code), detail_level=0))
    content = reply["content"]
    assert content["status"] == "ok"
    assert content["found"] is True
    text = content["data"]["text/plain"]
    assert "load_dataset(" in text, text


@pytest.mark.parametrize(
    "code, status",
    [
        ("fn f(x) {", "incomplete"),
        ("let a = 1;", "complete"),
        ("let a = ;", "invalid"),
    ],
)
def test_is_complete(kernel: Kernel, code: str, status: str):
    reply = kernel.shell_reply(kernel.kc.is_complete(code))
    assert reply["content"]["status"] == status, reply["content"]


def test_interrupt_stops_an_endless_loop(kernel: Kernel):
    msg_id = kernel.kc.execute("let n = 0; loop { n += 1; }")
    # Wait until the loop is really running (busy), then interrupt it.
    deadline = time.monotonic() + 30
    while True:
        msg = kernel.kc.get_iopub_msg(timeout=deadline - time.monotonic())
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] in (
            "execute_input",
            "status",
        ):
            break
    time.sleep(0.5)
    started = time.monotonic()
    kernel.km.interrupt_kernel()
    reply = kernel.shell_reply(msg_id, timeout=30)
    assert reply["content"]["status"] == "error", reply["content"]
    # stopped by the interrupt (run.sh installs the kernel with a limit the
    # loop cannot reach in the test's time), not by a sandbox limit
    assert "interrupted" in reply["content"]["evalue"], reply["content"]
    assert time.monotonic() - started < 10
    kernel.iopub_until_idle(msg_id)

    assert kernel.km.is_alive()
    after, iopub = kernel.execute("1 + 1")
    assert after["content"]["status"] == "ok"
    results = [m["content"] for m in iopub if m["msg_type"] == "execute_result"]
    assert results and results[0]["data"]["text/plain"].strip() == "2"


def test_sigint_interrupts_and_an_idle_sigint_is_harmless(kernel: Kernel):
    """SIGINT (what a terminal's Ctrl-C or `kill -INT` sends) stops a running
    cell like interrupt_request; one that arrives between cells stops
    nothing, neither the kernel nor the next cell."""
    msg_id = kernel.kc.execute("let n = 0; loop { n += 1; }")
    time.sleep(1.5)
    kernel.km.signal_kernel(signal.SIGINT)
    reply = kernel.shell_reply(msg_id, timeout=30)
    assert reply["content"]["status"] == "error", reply["content"]
    assert "interrupted" in reply["content"]["evalue"], reply["content"]
    kernel.iopub_until_idle(msg_id)
    kernel.km.signal_kernel(signal.SIGINT)
    time.sleep(0.5)
    after, iopub = kernel.execute("n > 0")
    assert after["content"]["status"] == "ok", after["content"]
    results = [m["content"] for m in iopub if m["msg_type"] == "execute_result"]
    assert results and results[0]["data"]["text/plain"].strip() == "true"
    assert kernel.km.is_alive()


# name -> (code, what the error must say: refused for the right reason)
ESCAPES = {
    "load_csv absolute": ('load_csv("/etc/passwd")', "outside the workspace"),
    "load_dataset path": ('load_dataset("/etc/passwd")', "unknown dataset"),
    "import parent": ('import "../../etc/passwd" as m;', "outside the workspace"),
    "save outside": (
        'save(series_plot(series_from(vector([1.0, 2.0, 3.0])), #{}), "/tmp/{name}")',
        "outside the workspace",
    ),
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_sandbox_escape_is_an_error_and_the_kernel_lives(kernel: Kernel, name: str):
    target = Path("/tmp") / f"anml-jupyter-escape-{uuid.uuid4().hex}.svg"
    code, reason = ESCAPES[name]
    code = code.replace("{name}", target.name)
    reply, iopub = kernel.execute(code)
    assert reply["content"]["status"] == "error", reply["content"]
    errors = [m["content"] for m in iopub if m["msg_type"] == "error"]
    assert len(errors) == 1, iopub
    traceback = "\n".join(errors[0]["traceback"])
    assert "^" in traceback, traceback
    assert reason in traceback, traceback
    assert errors[0]["ename"] and errors[0]["evalue"]
    assert not target.exists()

    assert kernel.km.is_alive()
    after, _ = kernel.execute("let still = 1; still")
    assert after["content"]["status"] == "ok"


def test_error_traceback_points_at_the_line(kernel: Kernel):
    reply, iopub = kernel.execute("let x = 1;\nlet y = no_such_function(x);")
    assert reply["content"]["status"] == "error"
    errors = [m["content"] for m in iopub if m["msg_type"] == "error"]
    traceback = "\n".join(errors[0]["traceback"])
    assert "no_such_function" in traceback
    assert "^" in traceback
    assert re.search(r"\b2\b", traceback), traceback  # the failing call's line


def test_wrongly_signed_message_is_dropped(kernel: Kernel):
    kc = kernel.kc
    forger = Session(key=b"not-the-kernel-key", username="mallory")
    sock = kc.connect_shell()  # a fresh DEALER on the shell port
    try:
        forged = forger.msg("execute_request", content={
            "code": '"forged"', "silent": False, "store_history": True,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
        })
        forger.send(sock, forged)
        assert sock.poll(timeout=3000, flags=zmq.POLLIN) == 0, "the kernel answered a forged message"
        # Nothing on iopub either: the forged request never ran.
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            assert msg["parent_header"].get("msg_id") != forged["header"]["msg_id"], msg
    finally:
        sock.close(linger=0)

    # The same path with the right key is answered (so the silence above was
    # the signature, not the socket).
    sock = kc.connect_shell()
    try:
        kc.session.send(sock, kc.session.msg("kernel_info_request", content={}))
        assert sock.poll(timeout=10000, flags=zmq.POLLIN) != 0, "no reply to a signed request"
        _, reply = kc.session.recv(sock)
        assert reply["msg_type"] == "kernel_info_reply"
    finally:
        sock.close(linger=0)

    assert kernel.km.is_alive()
    reply, iopub = kernel.execute('"signed"')
    assert reply["content"]["status"] == "ok"
    results = [m["content"] for m in iopub if m["msg_type"] == "execute_result"]
    assert results and "signed" in results[0]["data"]["text/plain"]


def test_comm_info(kernel: Kernel):
    msg_id = kernel.kc.comm_info()
    reply = kernel.shell_reply(msg_id)
    assert reply["msg_type"] == "comm_info_reply"
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["comms"] == {}


def test_rich_output_of_a_table(kernel: Kernel):
    reply, iopub = kernel.execute('let t = table(["a", "b"]); t.add_row([1, 2]); t')
    assert reply["content"]["status"] == "ok"
    bundles = [m["content"]["data"] for m in iopub if m["msg_type"] in ("execute_result", "display_data")]
    assert bundles and "text/html" in bundles[-1] and "text/plain" in bundles[-1]
    assert "<table" in bundles[-1]["text/html"]


def test_clean_shutdown(workspace: Path):
    kernel = Kernel(workspace)
    reply, _ = kernel.execute("let a = 1;")
    assert reply["content"]["status"] == "ok"
    started = time.monotonic()
    code = kernel.shutdown()
    assert code == 0, f"kernel exit status {code} (negative: killed by jupyter_client)"
    assert time.monotonic() - started < 20
    assert not kernel.km.is_alive()
