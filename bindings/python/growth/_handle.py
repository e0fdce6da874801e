"""The base of every class that owns one libgrowth handle."""
import ctypes
import threading

from ._lib import check, enc, lib


class _Lease:
    """The handle of one call: passed to ctypes in place of the pointer (``_as_parameter_``),
    it keeps its owner's C handle alive until it is released. CPython drops the temporary right
    after the foreign call returns (or when the method holding it in a local returns), so a
    ``close()`` from another thread during the call only marks the owner closed; the C handle is
    freed when the last lease goes."""

    __slots__ = ("_owner", "_as_parameter_")

    def __init__(self, owner, h):
        self._owner = owner
        self._as_parameter_ = h

    @property
    def value(self):
        return self._as_parameter_.value

    def __del__(self):
        owner = self._owner
        if owner is not None:
            self._owner = None
            owner._release()


class OwnedHandle:
    """Owns one C handle in ``self._h`` (a ctypes c_void_p) and frees it with the C function
    named by the class attribute ``_free_fn``. ``close()`` is idempotent; any use after it raises
    ``ValueError``; instances are context managers and are freed when garbage-collected.

    Closing while other threads are inside calls on the same object is safe: every call holds a
    lease on the handle (``_handle()``), and the C handle is freed only when the last call has
    returned (the C contract: free only when no call is running)."""

    _free_fn = None
    _h = None
    _busy = 0
    _closing = False
    _lock = None

    def _handle(self):
        lock = self.__dict__.get("_lock")
        if lock is None:
            lock = self.__dict__.setdefault("_lock", threading.Lock())
        with lock:
            h = self._h
            if self._closing or h is None or not h.value:
                raise ValueError(f"{type(self).__name__} is closed")
            self._busy += 1
        return _Lease(self, h)

    def _release(self):
        with self._lock:
            self._busy -= 1
            free_now = self._closing and self._busy == 0
        if free_now:
            self._free()

    def _free(self):
        h = self.__dict__.get("_h")
        self._h = None
        if h is not None and h.value:
            getattr(lib, self._free_fn)(h)

    def close(self):
        lock = self.__dict__.get("_lock")
        if lock is None:  # never used through _handle(): nobody can be inside a call
            self._closing = True
            self._free()
            return
        with lock:
            if self._closing:
                return
            self._closing = True
            free_now = self._busy == 0
        if free_now:
            self._free()

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
