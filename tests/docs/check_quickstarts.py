#!/usr/bin/python3
"""Runs the code blocks of the quick-start guides against the built library, so the guides
cannot drift from the API.

usage: check_quickstarts.py c      GUIDE INCLUDE_DIR LIB_DIR every ```c block: a whole program,
                                                             compiled against the headers and the
                                                             built libgrowth.so, then run
       check_quickstarts.py python GUIDE                     the ```python blocks, in order, as
                                                             one script (GROWTH_LIBRARY, PYTHONPATH
                                                             from the environment)
       check_quickstarts.py java   GUIDE JAR JNI_DIR         every ```java block with a class:
                                                             compiled against the jar and run
Each program runs in a scratch directory and must exit 0. Exit 77 (skipped) when a needed tool
is missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def blocks(guide, lang):
    with open(guide, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"^```" + lang + r"\n(.*?)^```", text, re.S | re.M)


def run(cmd, cwd, env=None):
    print("+", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    print(r.stdout, end="", flush=True)
    return r.returncode


def check_c(guide, include_dir, lib_dir, work):
    cc = os.environ.get("CC") or shutil.which("cc")
    if not cc:
        print("no C compiler")
        return SKIP
    # What `pkg-config --cflags --libs growth` gives for an installed tree (tests/install checks
    # that), pointed at the source headers and the built library.
    flags = ["-I" + include_dir, "-L" + lib_dir, "-lgrowth", "-Wl,-rpath," + lib_dir]
    progs = blocks(guide, "c")
    if not progs:
        print(f"no ```c blocks in {guide}")
        return 1
    failed = 0
    for i, src in enumerate(progs):
        path = os.path.join(work, f"block{i}.c")
        with open(path, "w") as f:
            f.write(src)
        exe = os.path.join(work, f"block{i}")
        cmd = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", path, "-o", exe] + flags
        if run(cmd, work) != 0 or run([exe], work) != 0:
            print(f"FAIL: C block {i + 1} of {guide}")
            failed += 1
    print(f"{len(progs) - failed} of {len(progs)} C blocks compiled and ran")
    return 1 if failed else 0


def check_python(guide, work):
    srcs = blocks(guide, "python")
    if not srcs:
        print(f"no ```python blocks in {guide}")
        return 1
    path = os.path.join(work, "quickstart.py")
    with open(path, "w") as f:
        f.write("\n".join(srcs))
    rc = run([sys.executable, path], work)
    print(f"{len(srcs)} Python blocks ran as one script: {'ok' if rc == 0 else 'FAIL'}")
    return 1 if rc else 0


def check_java(guide, jar, jni_dir, work):
    javac, java = shutil.which("javac"), shutil.which("java")
    if not javac or not java:
        print("no JDK")
        return SKIP
    progs = [b for b in blocks(guide, "java") if re.search(r"\bclass\s+\w+", b)]
    if not progs:
        print(f"no ```java blocks with a class in {guide}")
        return 1
    failed = 0
    for i, src in enumerate(progs):
        cls = re.search(r"\bclass\s+(\w+)", src).group(1)
        d = os.path.join(work, f"java{i}")
        os.makedirs(d)
        with open(os.path.join(d, cls + ".java"), "w") as f:
            f.write(src)
        if (run([javac, "-Xlint:all", "-Werror", "-cp", jar, "-d", d, os.path.join(d, cls + ".java")], d) != 0
                or run([java, "-Djava.library.path=" + jni_dir, "-cp", jar + os.pathsep + d, cls], d) != 0):
            print(f"FAIL: Java block {i + 1} ({cls}) of {guide}")
            failed += 1
    print(f"{len(progs) - failed} of {len(progs)} Java blocks compiled and ran")
    return 1 if failed else 0


def main(argv):
    mode, guide = argv[1], argv[2]
    with tempfile.TemporaryDirectory(dir=os.environ.get("GROWTH_TEST_TMPDIR")) as work:
        if mode == "c":
            return check_c(guide, os.path.abspath(argv[3]), os.path.abspath(argv[4]), work)
        if mode == "python":
            return check_python(guide, work)
        if mode == "java":
            return check_java(guide, argv[3], argv[4], work)
    sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
