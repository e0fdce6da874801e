#!/bin/sh
# Builds the self-contained jar (used by bindings/java/meson.build): the classes jar plus the
# native libraries for one platform under org/libgrowth/native/PLATFORM/, with SHA256SUMS
# (libgrowth.so.1 listed first: NativeLoader loads in that order). The tree is left in
# native/ next to OUT.jar: the Maven build (pom.xml) takes its resources from there.
# usage: bundle_jar.sh JAR OUT.jar PLATFORM CLASSES.jar LIBGROWTH.so LIBGROWTH_JNI.so
set -eu
jar=$1 out=$2 platform=$3 classes=$4 lib=$5 jni=$6
stage="$(dirname "$out")/native"
dir="$stage/org/libgrowth/native/$platform"
rm -rf "$stage" && mkdir -p "$dir"
# The real files (not symlinks), under the names the loader and the dynamic linker expect.
soname=$(objdump -p "$lib" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
cp -L "$lib" "$dir/${soname:-libgrowth.so.1}"
cp -L "$jni" "$dir/libgrowth_jni.so"
# No debug sections in the shipped copies (a third of the size); symbols stay.
strip --strip-debug "$dir/libgrowth_jni.so" "$dir/${soname:-libgrowth.so.1}" 2>/dev/null || true
# The build tree's RUNPATH means nothing on a user's machine: drop it when patchelf is there.
if command -v patchelf >/dev/null 2>&1; then
    patchelf --remove-rpath "$dir/libgrowth_jni.so"
    patchelf --remove-rpath "$dir/${soname:-libgrowth.so.1}"
fi
(cd "$dir" && sha256sum "${soname:-libgrowth.so.1}" libgrowth_jni.so > SHA256SUMS)
rm -f "$out"
cp "$classes" "$out"
"$jar" --update --file "$out" -C "$stage" org
