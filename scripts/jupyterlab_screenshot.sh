#!/usr/bin/env bash
# Screenshot of an executed notebook in JupyterLab, for the README
# (docs/jupyterlab-odds-tour.png). Not part of CI: it installs JupyterLab.
#
#   bash tests/jupyter/run.sh          # writes target/jupyter/odds_tour.executed.ipynb
#   bash scripts/jupyterlab_screenshot.sh [NOTEBOOK.ipynb] [OUT.png]
#
# JupyterLab runs from its own venv (target/jupyterlab-venv) with the anml
# kernelspec installed into it (so opening the notebook asks nothing), in a
# temporary directory holding a copy of the notebook, with settings and
# workspaces of its own (nothing of ~/.jupyter is read or written). Headless
# Chromium (Debian: apt-get install chromium; installed here when missing and
# root) takes the screenshot; the server is stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
notebook=$(realpath "${1:-target/jupyter/odds_tour.executed.ipynb}")
out=$(realpath -m "${2:-docs/jupyterlab-odds-tour.png}")
# Window in CSS pixels and the zoom: a tall window at 0.75 shows the tables
# and the first figures at once and keeps the PNG near 1050 px wide.
window=${ANML_SHOT_WINDOW:-1400,2600}
scale=${ANML_SHOT_SCALE:-0.75}

if [ ! -f "$notebook" ]; then
    echo "screenshot: $notebook not found; run bash tests/jupyter/run.sh first" >&2
    exit 1
fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "screenshot: chromium not found (Debian: apt-get install -y chromium)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi

venv=$root/target/jupyterlab-venv
if [ ! -x "$venv/bin/jupyter-lab" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check jupyterlab
fi
anml=$(realpath "${ANML_BIN:-target/debug/anml}")
"$anml" jupyter install --prefix "$venv" >/dev/null

work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/nb" "$work/home" "$work/data" "$work/config" "$work/runtime" \
    "$work/settings" "$work/workspaces" "$work/browser"
name=$(basename "$notebook")
cp "$notebook" "$work/nb/$name"
# No news or update toasts over the notebook (overrides.json is read from
# the application's settings directory, inside the venv).
mkdir -p "$venv/share/jupyter/lab/settings"
cat >"$venv/share/jupyter/lab/settings/overrides.json" <<'EOF'
{
  "@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false",
    "checkForUpdates": false
  }
}
EOF

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
(
    cd "$work/nb"
    export JUPYTER_PATH=$venv/share/jupyter JUPYTER_DATA_DIR=$work/data \
        JUPYTER_CONFIG_DIR=$work/config JUPYTER_RUNTIME_DIR=$work/runtime \
        JUPYTERLAB_SETTINGS_DIR=$work/settings JUPYTERLAB_WORKSPACES_DIR=$work/workspaces \
        JUPYTER_PLATFORM_DIRS=1
    # The notebook's kernel starts in this directory; its runs go nowhere else.
    ANML_WORKSPACE=$work/nb exec "$venv/bin/jupyter-lab" --no-browser --ip 127.0.0.1 \
        --port "$port" --IdentityProvider.token="$token" --ServerApp.open_browser=False \
        $([ "$(id -u)" -ne 0 ] || echo --allow-root) >"$work/server.log" 2>&1
) &
server=$!

for _ in $(seq 60); do
    kill -0 "$server" 2>/dev/null || break
    if curl -sf "http://127.0.0.1:$port/api/status?token=$token" >/dev/null 2>&1; then
        break
    fi
    sleep 1
done
curl -sf "http://127.0.0.1:$port/api/status?token=$token" >/dev/null || {
    cat "$work/server.log" >&2
    echo "screenshot: JupyterLab did not start" >&2
    exit 1
}

mkdir -p "$(dirname "$out")"
HOME=$work/home timeout 180 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$work/browser" --window-size="$window" --force-device-scale-factor="$scale" \
    --virtual-time-budget=30000 --screenshot="$out" \
    "http://127.0.0.1:$port/lab/tree/$name?token=$token" 2>"$work/browser.log" || {
    tail -20 "$work/browser.log" >&2
    exit 1
}

# Smaller file: optipng is lossless; pngquant (a palette, lossy) only when
# the PNG is still over 500 KB (Debian: apt-get install optipng pngquant).
if command -v optipng >/dev/null 2>&1; then
    optipng -quiet -o2 "$out" || true
fi
if [ "$(stat -c %s "$out")" -gt 500000 ] && command -v pngquant >/dev/null 2>&1; then
    pngquant --force --skip-if-larger --quality 80-100 --output "$out" "$out" || true
fi
echo "screenshot: $out ($(stat -c %s "$out") bytes)"
