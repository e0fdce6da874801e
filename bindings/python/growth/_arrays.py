"""numpy/scipy input conversion shared by the modules (no copies when layout allows)."""
import numpy as np

from .errors import InvalidArgument


def ptr(a):
    """Address of a numpy array's data for a c_void_p argument (None for None)."""
    return None if a is None else a.ctypes.data


def f32(a, name, ndim=None):
    a = np.ascontiguousarray(a, dtype=np.float32)
    if ndim is not None and a.ndim != ndim:
        raise InvalidArgument(f"{name} must be {ndim}-dimensional, got shape {a.shape}")
    return a


def to_csr(X):
    """Returns (indptr uint64, indices uint32, values float32 or None, nrows) for a CSR-like
    input: a scipy.sparse matrix, a (indptr, indices[, values]) tuple, or a dense 2-D array
    (its non-zero entries become (column, value) features)."""
    if isinstance(X, tuple):
        if len(X) == 2:
            indptr, indices = X
            values = None
        elif len(X) == 3:
            indptr, indices, values = X
        else:
            raise InvalidArgument("a CSR tuple is (indptr, indices) or (indptr, indices, values)")
        indptr = np.ascontiguousarray(indptr, dtype=np.uint64)
        indices = np.ascontiguousarray(indices, dtype=np.uint32)
        values = None if values is None else np.ascontiguousarray(values, dtype=np.float32)
        if indptr.ndim != 1 or indptr.size < 1:
            raise InvalidArgument("indptr must be a 1-D array of nrows + 1 offsets")
        end = int(indptr[-1])
        if indices.size < end or (values is not None and values.size < end):
            raise InvalidArgument(f"indptr ends at {end} but indices/values are shorter")
        return indptr, indices, values, indptr.size - 1
    if hasattr(X, "tocsr"):  # scipy.sparse
        X = X.tocsr()
        if not X.has_sorted_indices:
            X = X.sorted_indices()  # a sorted copy: the caller's matrix keeps its entry order
        indptr = np.ascontiguousarray(X.indptr, dtype=np.uint64)
        indices = np.ascontiguousarray(X.indices, dtype=np.uint32)
        values = np.ascontiguousarray(X.data, dtype=np.float32)
        return indptr, indices, values, X.shape[0]
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise InvalidArgument(f"X must be 2-D (rows x features), got shape {X.shape}")
    rows, cols = np.nonzero(X)
    counts = np.bincount(rows, minlength=X.shape[0])
    indptr = np.zeros(X.shape[0] + 1, dtype=np.uint64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, cols.astype(np.uint32), np.ascontiguousarray(X[rows, cols]), X.shape[0]
