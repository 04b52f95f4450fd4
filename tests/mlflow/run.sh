#!/usr/bin/env bash
# The MLflow export test: `anml results export --mlflow` read back by the real
# MLflow client (tests/mlflow/check_export.py).
#
#   bash tests/mlflow/run.sh
#
# Creates (or reuses) a venv at target/mlflow-venv with the pinned client
# (tests/mlflow/requirements.txt). The binary is $ANML_BIN, else
# target/debug/anml (built if missing). Datasets come from $ANML_DATA_MIRROR,
# by default ../shared/datasets. Python venv support as tests/jupyter/run.sh
# (which CI runs first, installing python3-venv where it was missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
start=$(date +%s)

python=${PYTHON:-python3}
venv=$root/target/mlflow-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
# Reinstall only when requirements.txt changed.
stamp=$venv/.requirements.sha256
want=$(sha256sum tests/mlflow/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/mlflow/requirements.txt
    echo "$want" >"$stamp"
fi

anml=${ANML_BIN:-$root/target/debug/anml}
if [ -z "${ANML_BIN:-}" ] && [ ! -x "$anml" ]; then
    cargo build --bin anml
fi
ANML_BIN=$(realpath "$anml")
export ANML_BIN
if [ -z "${ANML_DATA_MIRROR:-}" ] && [ -d ../shared/datasets ]; then
    ANML_DATA_MIRROR=$(realpath ../shared/datasets)
    export ANML_DATA_MIRROR
fi

status=0
"$venv/bin/python" tests/mlflow/check_export.py || status=$?
echo "mlflow tests: $(($(date +%s) - start)) s (exit $status)" >&2
exit $status
