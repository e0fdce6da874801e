#!/bin/sh
# Every packaging file carries meson.build's version (the `versions` test): the Maven pom,
# debian/changelog; pyproject.toml takes it from meson (dynamic), the jar and the wheel at build.
# usage: check_versions.sh SOURCE_ROOT VERSION
set -eu
root=$1 version=$2
fail=0
pom=$(sed -n '/<artifactId>libgrowth<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;}' "$root/bindings/java/pom.xml" | head -1)
[ "$pom" = "$version" ] || { echo "FAIL: bindings/java/pom.xml has version '$pom', meson.build $version"; fail=1; }
deb=$(sed -n '1s/^libgrowth (\([^)]*\)).*/\1/p' "$root/debian/changelog")
[ "$deb" = "$version" ] || { echo "FAIL: debian/changelog is at '$deb', meson.build at $version (dch -v $version)"; fail=1; }
grep -q '^dynamic = \["version"\]' "$root/pyproject.toml" || { echo "FAIL: pyproject.toml must take the version from meson (dynamic)"; fail=1; }
if grep -q '^version *=' "$root/pyproject.toml"; then echo "FAIL: pyproject.toml sets a version of its own"; fail=1; fi
[ $fail = 0 ] && echo "ok: pom.xml, debian/changelog and pyproject.toml follow meson.build ($version)"
exit $fail
