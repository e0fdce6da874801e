#!/bin/sh
# Runs a tiny Java program against the self-contained jar alone: only `-cp libgrowth.jar`, no
# java.library.path, no LD_LIBRARY_PATH, from a scratch directory (the `jar_selfcontained` test).
# Also checks the jar's layout and that the loader leaves no temporary files behind.
# A copy whose SHA256SUMS does not match its libraries must refuse to load them.
# usage: check_bundle_jar.sh JAVA JAR_TOOL LIBGROWTH.jar SelfContained.java SCRATCH VERSION
set -eu
java=$1 jartool=$2 jar=$3 src=$4 scratch=$5 version=$6
rm -rf "$scratch" && mkdir -p "$scratch/tmp"
cp "$jar" "$scratch/libgrowth.jar"
cp "$src" "$scratch/SelfContained.java"
cd "$scratch"
listing=$("$jartool" tf libgrowth.jar)
for f in libgrowth.so.1 libgrowth_jni.so SHA256SUMS; do
    echo "$listing" | grep -q "org/libgrowth/native/linux-[a-z0-9_]*/$f" \
        || { echo "FAIL: libgrowth.jar lacks org/libgrowth/native/<platform>/$f"; exit 1; }
done
env -u LD_LIBRARY_PATH -u LD_PRELOAD -u JAVA_TOOL_OPTIONS \
    "$java" -Djava.io.tmpdir="$scratch/tmp" -cp libgrowth.jar SelfContained.java "$version"
left=$(find "$scratch/tmp" -mindepth 1 -name 'libgrowth-*' | head -1)
test -z "$left" || { echo "FAIL: the loader left $left behind"; exit 1; }
# Tampered copy: one digest changed; the loader must refuse it and say why.
mkdir -p bad/org/libgrowth/native && cp libgrowth.jar bad.jar
(cd bad && "$jartool" xf ../bad.jar org/libgrowth/native)
sums=$(find bad -name SHA256SUMS)
first=$(head -c1 "$sums")
if [ "$first" = 0 ]; then sed -i '1s/^./1/' "$sums"; else sed -i '1s/^./0/' "$sums"; fi
(cd bad && "$jartool" --update --file ../bad.jar org/libgrowth/native)
mkdir -p empty   # nothing to fall back to, even where Debian's libgrowth-java is installed
if env -u LD_LIBRARY_PATH "$java" -Djava.io.tmpdir="$scratch/tmp" -Djava.library.path="$scratch/empty" \
        -cp bad.jar SelfContained.java \
        > bad.out 2>&1; then
    echo "FAIL: a jar with a wrong SHA-256 loaded its libraries"; cat bad.out; exit 1
fi
grep -q "SHA-256" bad.out || { echo "FAIL: the refusal does not name the checksum:"; cat bad.out; exit 1; }
left=$(find "$scratch/tmp" -mindepth 1 -name 'libgrowth-*' | head -1)
test -z "$left" || { echo "FAIL: the refused load left $left behind"; exit 1; }
echo "ok: java -cp libgrowth.jar runs with the jar's own native libraries"
