#!/bin/sh
# ABI guard 1: every exported symbol of libgrowth.so starts with growth_, carries the version
# node GROWTH_<major>.<minor> (or GROWTH_SYS_<major>.<minor> for include/growth/sys/), and the
# SONAME is libgrowth.so.1.
set -eu
lib="$1"
fail=0
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "libgrowth.so.1" ]; then
    echo "FAIL: SONAME is '$soname', expected libgrowth.so.1"; fail=1
fi
# Defined dynamic symbols, with their version: NAME@@NODE.
syms=$(readelf --dyn-syms -W "$lib" | awk '$7 != "UND" && $8 != "" && NR > 3 {print $8}' | sort -u)
count=0
for s in $syms; do
    name=${s%%@*}
    case "$name" in
        GROWTH_[0-9]*|GROWTH_SYS_[0-9]*) continue ;;  # the version nodes themselves
        growth_*) ;;
        *) echo "FAIL: exported symbol without the growth_ prefix: $s"; fail=1; continue ;;
    esac
    case "$s" in
        *@@GROWTH_[0-9]*.[0-9]*|*@@GROWTH_SYS_[0-9]*.[0-9]*) count=$((count + 1)) ;;
        *) echo "FAIL: symbol without a version node: $s"; fail=1 ;;
    esac
done
if [ "$count" -lt 10 ]; then echo "FAIL: only $count versioned growth_ symbols found"; fail=1; fi
[ $fail -eq 0 ] && echo "ok: $count exported symbols, all growth_* with a version node; SONAME $soname"
exit $fail
