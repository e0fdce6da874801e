"""Coverage guard for the C bad-input matrix (tests/c/test_bad_input*.c).

Every public function -- each growth_* declared with GROWTH_API in include/growth/*.h and in the
unstable include/growth/sys/*.h, and each growth_* the built libgrowth.so exports
(`nm -D --defined-only`) -- must be called in one of the matrix files. The test fails naming
each function that is not.
"""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("GROWTH_SOURCE_ROOT", pathlib.Path(__file__).resolve().parents[2]))

# Functions that take no pointer and cannot fail, so there is no bad input to give them.
# Keep this list short; everything else belongs in the matrix.
EXEMPT = {
    "growth_version_number",  # no arguments, returns a constant
}

DECL = re.compile(r"GROWTH_API\s+[^;(]*?\b(growth_[a-z0-9_]+)\s*\(", re.S)


def declared_functions():
    names = set()
    inc = ROOT / "include" / "growth"
    for header in sorted(inc.glob("*.h")) + sorted(inc.glob("sys/*.h")):
        names.update(DECL.findall(header.read_text()))
    return names


def exported_functions():
    lib = os.environ.get("GROWTH_LIBRARY")
    nm = shutil.which("nm")
    if not lib or not nm or not os.path.exists(lib):
        return set()
    out = subprocess.run([nm, "-D", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in ("T", "W"):
            names.add(parts[2].split("@")[0])
    return {n for n in names if n.startswith("growth_")}


def matrix_calls():
    files = sorted((ROOT / "tests" / "c").glob("test_bad_input*.c"))
    assert files, "no tests/c/test_bad_input*.c files found"
    called = set()
    for f in files:
        text = re.sub(r"/\*.*?\*/", "", f.read_text(), flags=re.S)  # comments do not count
        called.update(re.findall(r"\b(growth_[a-z0-9_]+)\s*\(", text))
    return called


def test_headers_declare_functions():
    # The header parse itself must find something, or the guard below would pass vacuously.
    names = declared_functions()
    assert len(names) > 200
    assert "growth_ftrl_predict" in names and "growth_rank_prerank" in names


def test_every_public_function_is_in_the_bad_input_matrix():
    public = declared_functions() | exported_functions()
    missing = sorted(public - matrix_calls() - EXEMPT)
    assert not missing, "functions missing from tests/c/test_bad_input*.c: " + ", ".join(missing)


def test_exemptions_are_real_functions():
    stale = sorted(EXEMPT - declared_functions())
    assert not stale, "exempt functions no longer declared: " + ", ".join(stale)


@pytest.mark.skipif(not os.environ.get("GROWTH_LIBRARY"), reason="GROWTH_LIBRARY not set")
def test_headers_and_exports_agree():
    exported = exported_functions()
    if not exported:
        pytest.skip("nm not available")
    assert declared_functions() == exported
