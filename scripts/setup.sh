#!/usr/bin/env bash
# Install what anml needs on a fresh Debian machine (run as root), then
# check the Rust toolchain. Idempotent: safe to run again.
#
#   bash scripts/setup.sh
set -euo pipefail

need=()
for pkg in libopenblas-dev pkg-config gcc; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages: ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found; install a Rust toolchain (1.95 or newer) with rustup" >&2
    exit 1
fi
echo "setup: ok ($(cargo --version))" >&2
