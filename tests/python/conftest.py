import os
import sys

import pytest

# The package under test is bindings/python/growth; meson sets PYTHONPATH and GROWTH_LIBRARY,
# this keeps a plain `pytest tests/python` working from a checkout with a build/ directory.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
if "GROWTH_LIBRARY" not in os.environ:
    cand = os.path.join(ROOT, "build", "src", "libgrowth.so")
    if os.path.exists(cand):
        os.environ["GROWTH_LIBRARY"] = cand


@pytest.fixture
def tmp(tmp_path):
    return tmp_path
