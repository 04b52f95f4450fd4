#!/usr/bin/env bash
# Check the wheel that scripts/build_wheel.sh left in target/wheels/: install
# it into a fresh venv, run the venv's `anml` (--version and one benchmark on
# the built-in toy-blobs data; `anml jupyter install --sys-prefix` and one
# cell through that kernelspec with jupyter_client) and show that it starts
# without the system's OpenBLAS. Not a cargo test (it needs the release build and the wheel).
#
#   bash scripts/build_wheel.sh && bash tests/wheel/test_wheel.sh
#
# Without system OpenBLAS, method 1 (as root, where unshare is allowed): a
# private mount namespace in which empty directories/files are bind-mounted
# over every libopenblas/libgfortran/libquadmath of the system (and over the
# build's target directory), and the benchmark runs there. Method 2 (fallback
# when unshare is refused): ldd of the installed binary must resolve every
# library that is not glibc's or libgcc_s inside the wheel's anml.libs/. The
# script prints which one it used.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*"; }

shopt -s nullglob
wheels=("$target"/wheels/anml-*.whl)
[ ${#wheels[@]} -eq 1 ] || fail "expected one wheel in $target/wheels (bash scripts/build_wheel.sh), found ${#wheels[@]}"
wheel=${wheels[0]}
say "wheel: $wheel"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
# The wheel has no dependencies: nothing comes from an index.
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
export PATH="$tmp/venv/bin:$PATH"
hash -r

# The `anml` on PATH must be the venv's launcher, and the binary it execs the
# copy in the venv's site-packages (anml.scripts/anml, next to anml.libs/).
exe=$(command -v anml)
[ "$exe" = "$tmp/venv/bin/anml" ] || fail "anml on PATH is $exe, not the venv's"
site=$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')
bin=$site/anml.scripts/anml
libs=$site/anml.libs
[ -x "$bin" ] || fail "no executable $bin"
[ -d "$libs" ] || fail "no $libs"
say "launcher $exe -> binary $bin"
[ "$(head -c4 "$exe" | tail -c3)" = ELF ] && fail "$exe is an ELF file: auditwheel did not relocate the binary"
grep -q 'anml\.scripts' "$exe" || fail "$exe does not exec anml.scripts/anml"
case $bin in "$target"/*) fail "$bin lies under $target" ;; esac

say "anml --version"
version=$(anml --version)
echo "$version"
[[ $version == "anml "* ]] || fail "unexpected --version output: $version"

say "ldd $bin"
ldd "$bin" | tee "$tmp/ldd.txt"
grep -q 'not found' "$tmp/ldd.txt" && fail "ldd: a library is not found"
say "readelf -d $bin (RUNPATH/RPATH, NEEDED)"
readelf -d "$bin" | grep -E 'RUNPATH|RPATH|NEEDED'
say "$libs"
ls -l "$libs"

# Every resolved library must be glibc's, libgcc_s, or in anml.libs/.
libs_real=$(realpath "$libs")
blas_in_wheel=no
system_ok='^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1)$'
while read -r name arrow path _; do
    [ "$arrow" = "=>" ] || continue
    real=$(realpath "$path")
    if [[ $real == "$libs_real"/* ]]; then
        echo "  wheel:  $name"
        [[ $name == libopenblas* ]] && blas_in_wheel=yes
    elif [[ $name =~ $system_ok ]]; then
        echo "  system: $name => $path"
    else
        fail "$name resolves outside the wheel: $path"
    fi
done < "$tmp/ldd.txt"
[ $blas_in_wheel = yes ] || fail "libopenblas does not come from $libs"

# The benchmark, run by the venv's `anml` and checked on its JSON.
bench() {  # bench OUTDIR
    anml --workspace "$1/ws" benchmark --dataset toy-blobs --model isolation_forest \
        --seed 0 --output "$1/x.json"
}
check_json() {  # check_json FILE
    [ -s "$1" ] || fail "$1 missing or empty"
    "$tmp/venv/bin/python" - "$1" <<'EOF' || fail "$1 is not the expected result"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "ok", d["status"]
assert d["dataset"] == "toy-blobs" and d["model"] == "isolation_forest"
auc = d["roc_auc"]
assert isinstance(auc, float) and 0.5 < auc <= 1.0, auc
print(f"  {sys.argv[1]}: status ok, roc_auc {auc:.4f}, BLAS: {d['hardware']['driver']}")
EOF
}

# `anml jupyter install --sys-prefix` from the wheel (no venv activated:
# anml finds the one it is installed in), then one cell through the
# installed kernelspec with jupyter_client, as JupyterLab would start it.
kernel_roundtrip() {  # kernel_roundtrip OUTDIR
    env -u VIRTUAL_ENV -u CONDA_PREFIX anml jupyter install --sys-prefix
    spec=$tmp/venv/share/jupyter/kernels/anml/kernel.json
    [ -s "$spec" ] || fail "no $spec"
    mkdir -p "$1/kernel-ws"
    (cd "$1/kernel-ws" && env -u JUPYTER_PATH "$tmp/venv/bin/python" - "$spec") <<'EOF' || fail "the installed kernel did not run a cell"
import json, sys
from jupyter_client.manager import KernelManager
argv = json.load(open(sys.argv[1]))["argv"]
assert argv[0].endswith("anml.scripts/anml"), argv
km = KernelManager(kernel_name="anml")
km.start_kernel()
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
seen = []
reply = kc.execute_interactive('let ds = load_dataset("toy-blobs"); ds.n_samples * 2', timeout=60,
                               output_hook=lambda m: seen.append(m))
assert reply["content"]["status"] == "ok", reply["content"]
value = [m["content"]["data"]["text/plain"] for m in seen if m["msg_type"] == "execute_result"]
km.shutdown_kernel(now=False)
print(f"  kernel {argv[0]}: a cell gave {value}")
assert value and int(value[0]) > 0, value
EOF
}

# Hide the system's OpenBLAS (and the Fortran runtime it drags in) and the
# build tree, then run the benchmark inside that namespace.
hide_and_run() {  # runs as root in a private mount namespace
    set -euo pipefail
    empty_dir=$(mktemp -d "$tmp/empty.XXXXXX"); empty_file=$(mktemp "$tmp/empty.XXXXXX")
    hidden=()
    for d in /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu/openblas-openmp \
             /usr/lib/x86_64-linux-gnu/openblas-serial "$target"; do
        [ -d "$d" ] || continue
        mount --bind "$empty_dir" "$d"; hidden+=("$d/")
    done
    for f in /usr/lib/x86_64-linux-gnu/libopenblas*.so* /usr/lib/x86_64-linux-gnu/libgfortran.so* \
             /usr/lib/x86_64-linux-gnu/libquadmath.so* /usr/local/lib/libopenblas*.so*; do
        # symlinks: those into the hidden dirs now dangle, the rest point at
        # files of this list
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        mount --bind "$empty_file" "$f"; hidden+=("$f")
    done
    printf '  hidden: %s\n' "${hidden[@]}"
    ls /usr/lib/x86_64-linux-gnu/openblas-pthread/ | grep -q . && { echo "openblas-pthread still visible"; exit 1; }
    if [ -x "$target/release/anml" ]; then echo "target/ still visible"; exit 1; fi
    # Control: the system's libraries can no longer be loaded by name (a
    # binary linked against them, like target/release/anml, would not start).
    for so in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
        if python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$so" 2>/dev/null; then
            echo "the system's $so still loads"; exit 1
        fi
        echo "  control: dlopen(\"$so\") fails"
    done
    echo "  libopenblas as the loader finds it:"
    LD_DEBUG=libs anml --version 2>&1 | grep -E 'calling init: .*(openblas|gfortran|quadmath)' | sed 's/^ *[0-9]*: */    /' ||
        { echo "the loader initialised no libopenblas"; exit 1; }
    bench "$1"
    kernel_roundtrip "$1"
}

method=""
ns_out=$tmp/ns
mkdir -p "$ns_out"
say "pip install jupyter_client into the venv (for the kernel check)"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check "jupyter_client==8.10.0"
export -f hide_and_run bench fail kernel_roundtrip
export target tmp
if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
    method="unshare"
    say "method 1: unshare -m, system OpenBLAS/libgfortran/libquadmath and $target hidden"
    unshare --mount --propagation private bash -c 'hide_and_run "$1"' _ "$ns_out" ||
        fail "the benchmark failed with the system OpenBLAS hidden"
    check_json "$ns_out/x.json"
else
    method="ldd"
    say "method 2 (unshare not permitted here): ldd resolves every non-glibc library inside $libs (checked above)"
    bench "$ns_out"
    kernel_roundtrip "$ns_out"
    check_json "$ns_out/x.json"
fi

say "PASS (wheel $(basename "$wheel"); without system OpenBLAS proven by: $method)"
