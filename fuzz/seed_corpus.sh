#!/usr/bin/env bash
# Seed fuzz/corpus/<target>/ from the dataset mirror and the repository
# (nothing here is committed: fuzz/corpus is ignored). Usage:
#   ANML_DATA_MIRROR=/path/to/datasets bash fuzz/seed_corpus.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
mirror="${ANML_DATA_MIRROR:-$repo/../shared/datasets}"
c="$here/corpus"
mkdir -p "$c"/{mat,npz,npy,csv,nab_json,notebook_cells,ipynb,model_json,run_record,script}

# Small real files only: libFuzzer mutates small inputs best (-max_len).
small() { find "$1" -name "$2" -size -"${3:-64}"k 2>/dev/null | sort | head -n "${4:-8}"; }
for f in $(small "$mirror/odds" '*.mat' 64); do cp "$f" "$c/mat/"; done
for f in $(small "$mirror/ts" '*.mat' 256 2); do cp "$f" "$c/mat/"; done
for f in $(small "$mirror/adbench" '*.npz' 64); do
  cp "$f" "$c/npz/"
  # Each member as a bare .npy for the npy target.
  python3 - "$f" "$c/npy" <<'PY' || true
import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    open(os.path.join(sys.argv[2], os.path.basename(sys.argv[1]) + "." + n), "wb").write(z.read(n))
PY
done
for f in $(find "$mirror/nab/data" -name '*.csv' | sort | head -n 4) $(small "$mirror/ts" '*.csv' 64 4); do
  head -c 4096 "$f" > "$c/csv/$(basename "$f")"
done
[ -f "$mirror/nab/labels/combined_windows.json" ] && cp "$mirror/nab/labels/combined_windows.json" "$c/nab_json/"
for f in "$repo"/scripts/*.rhai "$repo"/stdlib/*.rhai; do
  [ -f "$f" ] || continue
  cp "$f" "$c/notebook_cells/"
  cp "$f" "$c/script/"
done
# Every detector's model.json, a real run record + sweep.json and the
# documented script examples, written by the CI harnesses themselves.
(cd "$repo" && ANML_FUZZ_SEEDS="$c" ANML_DATA_MIRROR="$mirror" \
  cargo test -q --test fuzz_parsers -- every_detector_model_format run_store_records ipynb_reader >/dev/null)
(cd "$repo" && ANML_FUZZ_SEEDS="$c" ANML_DATA_MIRROR="$mirror" \
  cargo test -q --test fuzz_script_api -- random_call_sequences >/dev/null)
echo "seeded $(find "$c" -type f | wc -l) files under $c"
