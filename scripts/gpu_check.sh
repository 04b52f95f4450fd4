#!/usr/bin/env bash
# The GPU checks as one prepared script, for a machine with an NVIDIA GPU
# (driver only; no CUDA toolkit): the GPU equivalence tests of every kernel
# family on ODDS/UCR data (each prints GPU-vs-CPU timing lines), then
# `anml perf` on the CPU and on the GPU for a few pairs. A missing GPU fails
# (ANML_REQUIRE_GPU=1) instead of skipping.
#
#   ANML_DATA_MIRROR=/path/to/datasets bash scripts/gpu_check.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/gpu-check}
mkdir -p "$out"
export ANML_REQUIRE_GPU=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$out/gpu.txt" || true
cargo build --release --quiet
cargo test --release --test gpu_neighbors --test gpu_stomp --test gpu_iforest --test gpu_mlp \
  -- --include-ignored --nocapture --test-threads=1 2>&1 | tee "$out/equivalence.log"
{
  echo "| dataset | model | device | median fit+score s |"
  echo "|---|---|---|---|"
  for pair in satimage-2:knn satimage-2:lof mnist:knn shuttle:knn shuttle:isolation_forest cardio:autoencoder; do
    ds=${pair%%:*} model=${pair##*:}
    for device in cpu cuda; do
      secs=$(target/release/anml --device "$device" perf --dataset "$ds" --model "$model" --seeds 0-2 --json \
        | python3 -c 'import json,sys; print(f"{json.load(sys.stdin)[\"median_fit_score_seconds\"]:.4f}")')
      echo "| $ds | $model | $device | $secs |"
    done
  done
} | tee "$out/perf.md"
