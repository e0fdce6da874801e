#!/bin/sh
# The unstable headers (include/growth/sys/*.h) are an explicit opt-in:
#  1. without GROWTH_SYS_UNSTABLE, including one is a compile error that names the macro;
#  2. with it, each compiles on its own as C11 (-pedantic -Wall -Wextra -Werror) and as C++17,
#     and its INIT macros can be used;
#  3. <growth/growth.h> includes none of them.
# usage: check_sys_headers.sh INCLUDE_DIR SCRATCH_DIR   (CC and CXX from the environment)
set -eu
inc="$1"; tmp="$2"; cc="${CC:-cc}"; cxx="${CXX:-c++}"
mkdir -p "$tmp"
fail=0; n=0
for h in "$inc"/growth/sys/*.h; do
    name="growth/sys/$(basename "$h")"
    n=$((n + 1))
    # 1. no opt-in: must not compile, and the error must say what to do
    printf '#include <%s>\nint growth_sys_check_dummy;\n' "$name" > "$tmp/no_optin.c"
    if $cc -std=c11 -fsyntax-only -I"$inc" "$tmp/no_optin.c" > "$tmp/no_optin.log" 2>&1; then
        echo "FAIL: $name compiles without GROWTH_SYS_UNSTABLE"; fail=1
    elif ! grep -q 'define GROWTH_SYS_UNSTABLE' "$tmp/no_optin.log"; then
        echo "FAIL: $name: the error does not name GROWTH_SYS_UNSTABLE:"; cat "$tmp/no_optin.log"; fail=1
    fi
    # 2. with the opt-in: self-contained, warning-free C11 and C++17
    printf '#define GROWTH_SYS_UNSTABLE\n#include <%s>\nint growth_sys_check_dummy;\n' "$name" > "$tmp/optin.c"
    if [ "$(basename "$h")" = bidding.h ]; then
        printf 'void growth_sys_check_init(void);\nvoid growth_sys_check_init(void) { growth_bidder_sim_result r = GROWTH_BIDDER_SIM_RESULT_INIT; (void)r; }\n' >> "$tmp/optin.c"
    fi
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$tmp/optin.c"; then
        echo "FAIL: $name with GROWTH_SYS_UNSTABLE as C11"; fail=1
    fi
    printf '#define GROWTH_SYS_UNSTABLE\n#include <%s>\nint growth_sys_check_dummy;\n' "$name" > "$tmp/optin.cpp"
    if ! $cxx -std=c++17 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$tmp/optin.cpp"; then
        echo "FAIL: $name with GROWTH_SYS_UNSTABLE as C++17"; fail=1
    fi
done
# 3. the umbrella header stays stable-only
cat > "$tmp/umbrella.c" <<'C'
#include <growth/growth.h>
#if defined(GROWTH_SYS_BANDIT_H) || defined(GROWTH_SYS_BIDDING_H) || defined(GROWTH_SYS_BUDGET_H)
#error "growth/growth.h includes a growth/sys/ header"
#endif
int growth_sys_check_dummy;
C
if ! $cc -std=c11 -fsyntax-only -I"$inc" "$tmp/umbrella.c"; then
    echo "FAIL: <growth/growth.h> pulls in an unstable header"; fail=1
fi
[ "$n" -gt 0 ] || { echo "FAIL: no header in $inc/growth/sys"; exit 1; }
[ $fail -eq 0 ] && echo "ok: $n growth/sys/ headers need GROWTH_SYS_UNSTABLE, compile with it (C11, C++17), and growth.h includes none"
exit $fail
