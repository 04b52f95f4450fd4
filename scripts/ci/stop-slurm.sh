#!/bin/bash
# Stop the daemons started by scripts/ci/start-slurm.sh, by PID (from their
# pid files).
BASE=${SLURM_CI_DIR:-/tmp/anml-slurm}
for f in "$BASE"/state/slurmd.pid "$BASE"/state/slurmctld.pid /run/munge/munged.pid; do
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    echo "stopped $f ($pid)"
  fi
done
