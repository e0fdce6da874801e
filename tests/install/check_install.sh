#!/bin/sh
# Installs the build into a scratch DESTDIR and checks that what users get works there:
# headers + pkg-config for a C program (shared and static), the CLI, and `import growth` from
# Debian's Python without GROWTH_LIBRARY (the library found by its SONAME on the loader path).
set -eu
build="$1"; scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch"
meson install -C "$build" --no-rebuild --destdir "$scratch/root" --quiet
prefix=$(meson introspect "$build" --buildoptions | /usr/bin/python3 -c \
  "import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']=='prefix'][0])")
root="$scratch/root$prefix"
libdir=$(dirname "$(find "$root" -name 'libgrowth.so.1' | head -1)")
pcdir="$libdir/pkgconfig"
test -f "$root/include/growth/growth.h" || { echo "FAIL: headers not installed"; exit 1; }
for h in bandit bidding budget; do
    test -f "$root/include/growth/sys/$h.h" || { echo "FAIL: growth/sys/$h.h not installed"; exit 1; }
done
test -f "$libdir/libgrowth.a" || { echo "FAIL: static library not installed"; exit 1; }
cat > "$scratch/user.c" <<'C'
#include <growth/growth.h>
#include <stdio.h>
int main(void) {
    growth_ftrl *m = NULL;
    if (growth_ftrl_create(&m, "bits=10") != GROWTH_OK) return 1;
    float p;
    uint32_t idx = 3;
    growth_ftrl_predict(m, &idx, NULL, 1, 0, &p, 1);
    growth_ftrl_free(m);
    printf("%s %.2f\n", growth_version(), p);
    return growth_version_number() == GROWTH_VERSION_NUMBER ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$scratch/root"
cc "$scratch/user.c" $(pkg-config --cflags --libs growth) -o "$scratch/user_shared"
LD_LIBRARY_PATH="$libdir" "$scratch/user_shared"
cc "$scratch/user.c" $(pkg-config --cflags growth) "$libdir/libgrowth.a" \
   $(pkg-config --static --libs growth | sed 's/-lgrowth//') -o "$scratch/user_static"
"$scratch/user_static"
LD_LIBRARY_PATH="$libdir" "$root/bin/growth" --version
pydir=$(find "$root" -path '*-packages/growth/__init__.py' | head -1)
test -n "$pydir" || { echo "FAIL: Python package not installed"; exit 1; }
for f in py.typed contrib/__init__.py contrib/torch_nets.py console.py console_static/index.html \
         console_static/console.js console_static/uPlot.iife.min.js console_static/uPlot.LICENSE; do
    test -f "$(dirname "$pydir")/$f" || { echo "FAIL: growth/$f not installed"; exit 1; }
done
env -u GROWTH_LIBRARY LD_LIBRARY_PATH="$libdir" PYTHONPATH="$(dirname "$(dirname "$pydir")")" \
    /usr/bin/python3 -c "import growth, sys; print('python', growth.version(), growth._lib.lib._name); sys.exit(0 if growth._lib.lib._name == 'libgrowth.so.1' else 1)"
echo "ok: installed headers, pkg-config (shared and static), CLI and Python package work"
