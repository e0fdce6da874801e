#!/bin/sh
# The C sources follow .clang-format (clang-format 14, Debian's clang-format package): any file
# that clang-format would change fails the test, naming the file. Fix with
#   clang-format -i <file>   (or: scripts/format)
set -u
root="$1"
cd "$root" || exit 1
files=$(find src include cli bindings/java/jni tests/c tests/fuzz -name '*.[ch]' | sort)
n=$(echo "$files" | wc -l)
# shellcheck disable=SC2086
out=$(clang-format --dry-run --Werror $files 2>&1)
if [ -n "$out" ]; then
    echo "$out" | grep -E '^[^ ].*(error|warning):' | sed 's/:[0-9]*:[0-9]*: .*//' | sort -u | sed 's/^/FAIL: not formatted: /'
    echo "run: clang-format -i <file> (or scripts/format)"
    exit 1
fi
echo "ok: $n C files follow .clang-format"
