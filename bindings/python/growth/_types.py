"""Names for the type hints of the public API (for readers and type checkers; nothing here is
checked at run time)."""
from __future__ import annotations

import os
from typing import Any, Callable, Union

from numpy.typing import ArrayLike

__all__ = ["ArrayLike", "PathLike", "Progress", "RowsLike"]

#: A file path.
PathLike = Union[str, "os.PathLike[str]"]
#: A progress callback ``fn(stage, done)``; a truthy return cancels the call.
Progress = Callable[[str, float], Any]
#: Rows of sparse features: a scipy.sparse matrix (column = slot), a CSR tuple
#: ``(indptr, indices[, values])`` or a dense 2-D array (non-zero entries are the features).
RowsLike = Any
