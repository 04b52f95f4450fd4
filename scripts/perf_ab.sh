#!/usr/bin/env bash
# A/B timing of two anml binaries on the same data in the same run:
# `anml perf --seeds 0-4` per (dataset, detector), rounds interleaved, best
# of ROUNDS, and the new/old ratio with its geometric mean. Used to check that
# a change below every detector (e.g. the counting allocator of
# src/memory.rs) costs nothing. Needs the dataset mirror.
#
#   bash scripts/perf_ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
set -euo pipefail
old=${1:?old binary}; new=${2:?new binary}; rounds=${3:-2}
: "${ANML_DATA_MIRROR:=$(cd "$(dirname "$0")/.." && pwd)/../shared/datasets}"
export ANML_DATA_MIRROR
ws=$(mktemp -d); trap 'rm -rf "$ws"' EXIT
cases=("shuttle isolation_forest" "shuttle hbos" "satimage-2 lof" "mnist knn"
       "cardio dif" "cardio autoencoder" "satimage-2 inne")
median() { "$1" --workspace "$ws" perf --dataset "$2" --model "$3" --seeds 0-4 2>&1 |
           grep -o 'median fit+score [0-9.]* s' | awk '{print $3}'; }
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) threads)"
logsum=0
for c in "${cases[@]}"; do
    set -- $c
    bo=inf; bn=inf
    for _ in $(seq "$rounds"); do
        to=$(median "$old" "$1" "$2"); tn=$(median "$new" "$1" "$2")
        bo=$(awk -v a="$bo" -v b="$to" 'BEGIN{print (a=="inf"||b<a)?b:a}')
        bn=$(awk -v a="$bn" -v b="$tn" 'BEGIN{print (a=="inf"||b<a)?b:a}')
    done
    r=$(awk -v n="$bn" -v o="$bo" 'BEGIN{printf "%.3f", n/o}')
    logsum=$(awk -v s="$logsum" -v r="$r" 'BEGIN{print s+log(r)}')
    printf '%-12s %-18s old %ss new %ss new/old %s\n' "$1" "$2" "$bo" "$bn" "$r"
done
awk -v s="$logsum" -v n="${#cases[@]}" 'BEGIN{printf "geomean new/old %.3f\n", exp(s/n)}'
