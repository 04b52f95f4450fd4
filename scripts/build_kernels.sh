#!/usr/bin/env bash
# Rebuild the committed GPU kernel artefacts under kernels/build/ from
# kernels/*.cu, on any machine (no GPU, no CUDA toolkit install):
#   1. NVRTC from the pinned nvidia-cuda-nvrtc-cu12 wheel compiles each
#      source into CUBIN for sm_80/86/89/90 and PTX for compute_80
#      (tests/cuda_kernels.rs with ANML_KERNELS_WRITE=1 does the compiling;
#      without it, the same test checks the committed files are current);
#   2. ptxas from the matching nvidia-cuda-nvcc-cu12 wheel reports registers,
#      shared memory, stack and spills per kernel and architecture into
#      kernels/build/resource-usage.txt.
# With --check it only verifies (CI): the artefacts and the report must
# already be what the sources give.
#
#   bash scripts/build_kernels.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
CUDA_WHEELS_VERSION=12.8.93
venv=${ANML_CUDA_VENV:-target/cuda-wheels}
if [ ! -x "$venv/bin/python" ]; then
  # Debian's python3 has no ensurepip without python3-venv (as tests/jupyter/run.sh).
  if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
      echo "build_kernels: need python3 with venv support (Debian: apt-get install -y python3 python3-venv)" >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  python3 -m venv "$venv"
fi
if ! "$venv/bin/pip" show nvidia-cuda-nvrtc-cu12 2>/dev/null | grep -qx "Version: $CUDA_WHEELS_VERSION"; then
  "$venv/bin/pip" install --quiet "nvidia-cuda-nvrtc-cu12==$CUDA_WHEELS_VERSION" "nvidia-cuda-nvcc-cu12==$CUDA_WHEELS_VERSION"
fi
site=$("$venv/bin/python" -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))')
nvrtc_lib="$site/nvidia/cuda_nvrtc/lib"
ptxas="$site/nvidia/cuda_nvcc/bin/ptxas"

check=0
[ "${1:-}" = "--check" ] && check=1
if [ $check = 1 ]; then
  LD_LIBRARY_PATH="$nvrtc_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ANML_REQUIRE_NVRTC=1 \
    cargo test --test cuda_kernels
else
  LD_LIBRARY_PATH="$nvrtc_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ANML_REQUIRE_NVRTC=1 ANML_KERNELS_WRITE=1 \
    cargo test --test cuda_kernels committed_kernels_are_what_nvrtc_builds
fi

# The report: ptxas -v on each source's PTX for each architecture (the same
# ptxas version NVRTC uses inside), one line per kernel.
report=$(mktemp)
{
  echo "# ptxas $("$ptxas" --version | tail -1) resource usage of kernels/*.cu (scripts/build_kernels.sh)"
  echo "# arch kernel: registers, shared memory, stack frame, spill stores, spill loads"
  for ptx in kernels/build/*.compute_80.ptx; do
    for arch in 80 86 89 90; do
      "$ptxas" -v -arch=sm_$arch "$ptx" -o /dev/null 2>&1 | awk -v arch="sm_$arch" '
        /Compiling entry function/ { match($0, /function .[^'\'']*/); name = substr($0, RSTART + 10, RLENGTH - 10) }
        /bytes stack frame/ { stack = $1; spill_st = $5; spill_ld = $9 }
        /Used [0-9]+ registers/ {
          regs = $5; smem = 0
          if (match($0, /[0-9]+ bytes smem/)) smem = substr($0, RSTART, RLENGTH - 11)
          printf "%s %s: %d registers, %d bytes smem, %d bytes stack, %d bytes spill stores, %d bytes spill loads\n", arch, name, regs, smem, stack, spill_st, spill_ld
        }'
    done
  done
} > "$report"
if [ $check = 1 ]; then
  if ! diff -u kernels/build/resource-usage.txt "$report"; then
    echo "kernels/build/resource-usage.txt is stale: run scripts/build_kernels.sh" >&2
    exit 1
  fi
  rm -f "$report"
else
  chmod 644 "$report"
  mv "$report" kernels/build/resource-usage.txt
  echo "kernels/build/: $(ls kernels/build | wc -l) files"
fi
