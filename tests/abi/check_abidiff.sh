#!/bin/sh
# ABI guard 3: abidiff of the built library against the committed baseline abi/libgrowth.abi.
# Any non-zero exit fails (a mid-struct insertion sets only bit 4). Added symbols are allowed.
# To refresh the baseline after adding symbols on purpose: scripts/update-abi-baseline
set -u
baseline="$1"; lib="$2"; headers="$3"
# include/growth/sys/ is outside the stable ABI (its own GROWTH_SYS_* nodes): changes there pass.
supp="${TMPDIR:-/tmp}/growth-abi-sys.$$.supp"
printf '[suppress_function]\n  symbol_version_regexp = ^GROWTH_SYS_\n' > "$supp"
abidiff --no-added-syms --suppressions "$supp" --headers-dir1 "$headers" --headers-dir2 "$headers" \
        "$baseline" "$lib"
rc=$?
rm -f "$supp"
if [ $rc -ne 0 ]; then
    echo "FAIL: abidiff exit status $rc against $baseline"
    exit 1
fi
echo "ok: no ABI change against $baseline"
