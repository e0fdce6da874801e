"""The base of every class that owns one libgrowth handle."""
from ._lib import lib


class OwnedHandle:
    """Owns one C handle in ``self._h`` (a ctypes c_void_p) and frees it with the C function
    named by the class attribute ``_free_fn``. ``close()`` is idempotent; any use after it raises
    ``ValueError``; instances are context managers and are freed when garbage-collected."""

    _free_fn = None
    _h = None

    def _handle(self):
        h = self._h
        if h is None or not h.value:
            raise ValueError(f"{type(self).__name__} is closed")
        return h

    def close(self):
        h = getattr(self, "_h", None)
        if h is not None and h.value:
            getattr(lib, self._free_fn)(h)
        self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
