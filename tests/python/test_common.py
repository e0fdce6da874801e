import os
import subprocess
import sys

import numpy as np
import pytest

import growth


def test_version_matches_c():
    v = growth.version()
    major, minor, patch = (int(x) for x in v.split("."))
    assert growth.version_number() == major * 10000 + minor * 100 + patch
    assert major == 1


def test_strerror_and_exception_classes():
    assert growth.strerror(-1) == "invalid argument"
    assert growth.strerror(-4) == "bad file format"
    assert growth.strerror(-999) == "unknown status"
    assert issubclass(growth.InvalidArgument, growth.GrowthError)
    assert issubclass(growth.InvalidArgument, ValueError)
    assert issubclass(growth.FormatError, growth.GrowthError)


def test_hash64_pinned_values():
    # The same numbers are pinned in tests/c/test_core.c and the Java tests.
    assert growth.hash64(b"abc") == 0x48B581EADD05DF7A
    assert growth.hash64("user_city", seed=7) == 0xF22FAF4FFBDAEB02


def test_bad_config_raises_with_key_named():
    # validated when the model is created, at the first fit
    with pytest.raises(growth.InvalidArgument, match="alpha"):
        growth.FTRL(alpha=-1).partial_fit(np.eye(2), [0, 1])
    with pytest.raises(growth.InvalidArgument, match="unknown config key 'gamma'"):
        growth.FTRL(gamma=1).partial_fit(np.eye(2), [0, 1])


def test_model_kind_and_damaged_files(tmp):
    path = tmp / "m.ftrl"
    m = growth.FTRL(bits=8)
    m.partial_fit((np.array([0, 2]), np.array([1, 5])), [1])
    m.save(path)
    assert growth.model_kind(path) == ("ftrl", 1)
    good = path.read_bytes()
    for cut in (0, 7, 39, 40, len(good) - 1):
        bad = tmp / f"cut{cut}"
        bad.write_bytes(good[:cut])
        with pytest.raises(growth.FormatError):
            growth.model_kind(bad)
        with pytest.raises(growth.FormatError):
            growth.FTRL.load(bad)
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    (tmp / "flip").write_bytes(bytes(flipped))
    with pytest.raises(growth.FormatError, match="checksum"):
        growth.model_kind(tmp / "flip")
    (tmp / "text").write_text("not a model")
    with pytest.raises(growth.FormatError, match="magic"):
        growth.FTRL.load(tmp / "text")
    with pytest.raises(growth.IOFailure):
        growth.model_kind(tmp / "missing")


def test_wrong_kind_is_format_error(tmp):
    # An envelope of another kind, written here by an independent implementation of the format.
    import struct
    payload = b"\x0a\x00"
    h = growth.hash64
    seed = 0x67726F7774682E31
    head = b"\x89GRW\r\n\x1a\n" + struct.pack("<IIQQ", 1, 6, len(payload), h(payload, seed))
    head += struct.pack("<Q", h(head, seed))
    (tmp / "cal").write_bytes(head + payload)
    assert growth.model_kind(tmp / "cal") == ("calibrator", 1)
    with pytest.raises(growth.FormatError, match="calibrator"):
        growth.FTRL.load(tmp / "cal")


def test_library_found_through_environment():
    env = dict(os.environ)
    code = "import growth; print(growth.version())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == growth.version()
    env["GROWTH_LIBRARY"] = "/nonexistent/libgrowth.so"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "cannot load libgrowth" in out.stderr


def test_csr_input_is_not_reordered_in_place():
    """A CSR matrix with unsorted column indices (FFM rows keep their entries in field order,
    with a parallel field array) is read through a sorted copy: the caller's matrix keeps its
    order, and the model learns the same as from a sorted matrix."""
    import scipy.sparse as sp
    rng = np.random.default_rng(5)
    n, nnz = 200, 6
    idx = np.stack([rng.choice(1 << 10, nnz, replace=False) for _ in range(n)])
    X = sp.csr_matrix((np.ones(n * nnz, np.float32), idx.ravel().astype(np.int32),
                       np.arange(0, n * nnz + 1, nnz)), shape=(n, 1 << 10))
    assert not X.has_sorted_indices
    before = X.indices.copy()
    y = (rng.random(n) < 0.4).astype(np.float32)
    a = growth.FTRL(bits=10)
    a.partial_fit(X, y)
    pa = a.predict_proba(X)
    np.testing.assert_array_equal(X.indices, before)
    b = growth.FTRL(bits=10)
    b.partial_fit(X.sorted_indices(), y)
    np.testing.assert_allclose(pa, b.predict_proba(X.sorted_indices()), rtol=1e-6, atol=1e-7)
