#!/bin/sh
# ABI guard 2: each public header compiles on its own as C11 -pedantic -Werror and as C++17.
set -eu
inc="$1"; cc="${CC:-cc}"; cxx="${CXX:-c++}"
fail=0; n=0
for h in "$inc"/growth/*.h; do
    name="growth/$(basename "$h")"
    printf '#include <%s>\nint growth_header_check_dummy;\n' "$name" > "$TMPDIR_ABI/h.c"
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$TMPDIR_ABI/h.c"; then
        echo "FAIL: $name as C11"; fail=1
    fi
    cp "$TMPDIR_ABI/h.c" "$TMPDIR_ABI/h.cpp"
    if ! $cxx -std=c++17 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$TMPDIR_ABI/h.cpp"; then
        echo "FAIL: $name as C++17"; fail=1
    fi
    n=$((n + 1))
done
[ $fail -eq 0 ] && echo "ok: $n public headers compile alone as C11 and C++17"
exit $fail
