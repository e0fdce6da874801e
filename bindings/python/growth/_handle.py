"""The base of every class that owns one libgrowth handle."""
import ctypes

from ._lib import check, enc, lib


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


class OwnedModel(OwnedHandle):
    """An OwnedHandle whose C module has `<_api>_save/_load/_serialize/_deserialize` (e.g.
    ``_api = "growth_ftrl"``); subclasses accept an existing handle as ``cls(_handle=h)``."""

    _api = None

    def save(self, path):
        """Saves atomically (temporary file, fsync, rename)."""
        check(getattr(lib, self._api + "_save")(self._handle(), enc(str(path))))

    @classmethod
    def load(cls, path):
        h = ctypes.c_void_p()
        check(getattr(lib, cls._api + "_load")(ctypes.byref(h), enc(str(path))))
        return cls(_handle=h)

    def to_bytes(self):
        """The model file's bytes (what save() writes), from memory."""
        buf, n = ctypes.c_void_p(), ctypes.c_size_t(0)
        check(getattr(lib, self._api + "_serialize")(self._handle(), ctypes.byref(buf), ctypes.byref(n)))
        try:
            return ctypes.string_at(buf, n.value)
        finally:
            lib.growth_buffer_free(buf)

    @classmethod
    def from_bytes(cls, data):
        data = bytes(data)
        h = ctypes.c_void_p()
        check(getattr(lib, cls._api + "_deserialize")(ctypes.byref(h), data, len(data)))
        return cls(_handle=h)
