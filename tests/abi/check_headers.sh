#!/bin/sh
# ABI guard 2: each public header compiles on its own as C11 -pedantic -Werror and as C++17, and
# so does every INIT macro it defines (a zero-initialised struct with struct_size set). Headers of
# growth/sys/ compile with GROWTH_SYS_UNSTABLE and refuse to compile without it.
set -eu
inc="$1"; cc="${CC:-cc}"; cxx="${CXX:-c++}"
fail=0; n=0
for h in "$inc"/growth/*.h "$inc"/growth/sys/*.h; do
    [ -f "$h" ] || continue
    case "$h" in
        */sys/*) name="growth/sys/$(basename "$h")"; def="#define GROWTH_SYS_UNSTABLE 1" ;;
        *) name="growth/$(basename "$h")"; def="" ;;
    esac
    {
        printf '%s\n#include <%s>\nint growth_header_check_dummy;\n' "$def" "$name"
        # one variable per INIT macro: NAME_INIT initialises growth_name
        sed -n 's/^#define \(GROWTH_\([A-Z0-9_]*\)_INIT\) .*/\1 \2/p' "$h" | while read -r macro t; do
            [ "$macro" = GROWTH_STRUCT_INIT ] && continue
            type=$(echo "growth_$t" | tr 'A-Z' 'a-z')
            printf 'void check_%s(void);\nvoid check_%s(void) { %s v = %s; (void)v; }\n' "$type" "$type" "$type" "$macro"
        done
    } > "$TMPDIR_ABI/h.c"
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$TMPDIR_ABI/h.c"; then
        echo "FAIL: $name as C11"; fail=1
    fi
    cp "$TMPDIR_ABI/h.c" "$TMPDIR_ABI/h.cpp"
    if ! $cxx -std=c++17 -pedantic -Wall -Wno-missing-field-initializers -Werror -fsyntax-only -I"$inc" "$TMPDIR_ABI/h.cpp"; then
        echo "FAIL: $name as C++17"; fail=1
    fi
    case "$h" in
        */sys/*)
            printf '#include <%s>\nint growth_header_check_dummy;\n' "$name" > "$TMPDIR_ABI/s.c"
            if $cc -std=c11 -fsyntax-only -I"$inc" "$TMPDIR_ABI/s.c" 2>/dev/null; then
                echo "FAIL: $name compiles without GROWTH_SYS_UNSTABLE"; fail=1
            fi ;;
    esac
    n=$((n + 1))
done
[ $fail -eq 0 ] && echo "ok: $n public headers and their INIT macros compile alone as C11 and C++17"
exit $fail
