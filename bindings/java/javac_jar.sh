#!/bin/sh
# Compiles Java sources into a jar (used by bindings/java/meson.build).
# usage: javac_jar.sh JAVAC JAR OUT.jar HEADER_DIR|- CLASSPATH|- SOURCE...
#   HEADER_DIR  where javac -h writes JNI headers ("-" for none)
#   CLASSPATH   compile classpath ("-" for none)
# The classes are left in OUT.jar.classes/ as well.
set -eu
javac=$1 jar=$2 out=$3 hdr=$4 cp=$5
shift 5
classes="$out.classes"
rm -rf "$classes"
mkdir -p "$classes"
set -- --release 11 -encoding UTF-8 -Xlint:all -Werror -d "$classes" "$@"
if [ "$cp" != - ]; then set -- -cp "$cp" "$@"; fi
if [ "$hdr" != - ]; then set -- -h "$hdr" "$@"; fi
"$javac" "$@"
# javac -h leaves an unchanged header alone; touch it so the build sees it as up to date.
if [ "$hdr" != - ]; then touch "$hdr"/org_libgrowth_*.h; fi
rm -f "$out"
"$jar" --create --file "$out" -C "$classes" .
