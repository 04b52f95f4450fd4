#!/usr/bin/env bash
# The Jupyter client tests: `anml jupyter` driven by jupyter_client and nbclient.
#
#   bash tests/jupyter/run.sh [pytest args: files, -k ...; default tests/jupyter]
#
# Creates (or reuses) a venv at target/jupyter-venv with the pinned client stack
# (tests/jupyter/requirements.txt), installs the anml kernelspec into that venv
# (`anml jupyter install --prefix`) and makes it the only Jupyter data dir
# searched first, so a kernelspec in ~/.local cannot stand in for the binary under
# test. The binary is $ANML_BIN, else target/debug/anml (built if missing).
# Datasets come from $ANML_DATA_MIRROR, by default ../shared/datasets.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
start=$(date +%s)

python=${PYTHON:-python3}
venv=$root/target/jupyter-venv

# Debian's python3 has no ensurepip (hence no `python3 -m venv`) without
# python3-venv; install it as scripts/setup.sh installs its packages.
if ! command -v "$python" >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
    if [ ! -x "$venv/bin/python" ]; then
        if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
            echo "jupyter tests: need $python with venv support (Debian: apt-get install -y python3 python3-venv)" >&2
            exit 1
        fi
        echo "jupyter tests: installing python3 python3-venv" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
        python=python3
    fi
fi

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
# Reinstall only when requirements.txt changed (pip's own no-op check takes seconds).
stamp=$venv/.requirements.sha256
want=$(sha256sum tests/jupyter/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/jupyter/requirements.txt
    echo "$want" >"$stamp"
fi

anml=${ANML_BIN:-$root/target/debug/anml}
if [ -z "${ANML_BIN:-}" ] && [ ! -x "$anml" ]; then
    cargo build --bin anml
fi
anml=$(realpath "$anml")
export ANML_BIN=$anml

# Only the kernelspec installed here: JUPYTER_PATH is searched first, and the
# user data dir (normally ~/.local/share/jupyter) is an empty one of our own.
# A high operation limit, recorded in the kernelspec's argv, so `loop {}` in
# the interrupt tests can only end by the interrupt, not by the limit.
"$anml" --max-operations=1000000000000 jupyter install --prefix "$venv" >/dev/null
export JUPYTER_PATH=$venv/share/jupyter
export JUPYTER_DATA_DIR=$root/target/jupyter/data
export JUPYTER_CONFIG_DIR=$root/target/jupyter/config
export JUPYTER_RUNTIME_DIR=$root/target/jupyter/runtime
export JUPYTER_PLATFORM_DIRS=1
mkdir -p "$JUPYTER_DATA_DIR" "$JUPYTER_CONFIG_DIR" "$JUPYTER_RUNTIME_DIR"

if [ -z "${ANML_DATA_MIRROR:-}" ] && [ -d ../shared/datasets ]; then
    ANML_DATA_MIRROR=$(realpath ../shared/datasets)
    export ANML_DATA_MIRROR
fi

echo "jupyter tests: $anml, kernelspec in $JUPYTER_PATH/kernels/anml, data mirror ${ANML_DATA_MIRROR:-none}" >&2
# Arguments go to pytest (a file or -k to run a part); none: the whole suite.
[ $# -gt 0 ] || set -- tests/jupyter
status=0
"$venv/bin/python" -m pytest -q -o cache_dir="$root/target/jupyter/pytest-cache" "$@" || status=$?
echo "jupyter tests: $(($(date +%s) - start)) s (exit $status)" >&2
exit $status
