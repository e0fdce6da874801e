"""The base of every class that owns a libgrowth handle: :class:`OwnedHandle` (lifetime, leases,
close) and :class:`OwnedModel` (files, bytes and pickling through the C serialiser)."""
from __future__ import annotations

import ctypes
import os
import threading
from typing import Any, TypeVar

from ._lib import check, enc, lib

_H = TypeVar("_H", bound="OwnedHandle")
_M = TypeVar("_M", bound="OwnedModel")


class _Lease:
    """The handle of one call: passed to ctypes in place of the pointer (``_as_parameter_``),
    it keeps its owner's C handle alive until it is released. CPython drops the temporary right
    after the foreign call returns (or when the method holding it in a local returns), so a
    ``close()`` from another thread during the call only marks the owner closed; the C handle is
    freed when the last lease goes."""

    __slots__ = ("_owner", "_as_parameter_")

    def __init__(self, owner: OwnedHandle, h: ctypes.c_void_p) -> None:
        self._owner = owner
        self._as_parameter_ = h

    @property
    def value(self) -> int | None:
        """The C pointer as an int (what ``c_void_p.value`` gives)."""
        return self._as_parameter_.value

    def __del__(self) -> None:
        owner = self._owner
        if owner is not None:
            self._owner = None
            owner._release()


class OwnedHandle:
    """Owns one C handle in ``self._h`` (a ctypes c_void_p) and frees it with the C function
    named by the class attribute ``_free_fn``. ``close()`` is idempotent; any use after it raises
    ``ValueError``; instances are context managers and are freed when garbage-collected.

    Closing while other threads are inside calls on the same object is safe: every call takes
    the handle through ``self._handle()``, which returns a lease, and the C handle is freed only
    when the last lease is gone (the C contract: free only when no call is running). The same
    holds when a handle is replaced (``_set_handle``, an estimator's fit): the old one is freed
    when no call holds a lease any more.

    Subclasses set ``_free_fn`` and, when they can exist without a handle until a first fit,
    ``_lazy = True`` (``_handle()`` then raises :class:`growth.NotFittedError` instead of
    ``ValueError``). A handle owner without a serialised form cannot be pickled."""

    _free_fn: str | None = None
    _lazy = False
    # Class-level defaults: instances get their own values on first use, so __init__ of a
    # subclass need not call a base __init__ (an estimator's __init__ only stores parameters).
    _h: ctypes.c_void_p | None = None
    _busy = 0
    _closing = False

    def _lock(self) -> threading.RLock:
        lock = self.__dict__.get("_lease_lock")
        if lock is None:
            lock = self.__dict__.setdefault("_lease_lock", threading.RLock())
        return lock

    def _set_callback(self, c_setter: Any, cb: Any) -> None:
        """Installs a C callback (``c_setter(handle, cb, None)``) and keeps it alive for the
        object's life: a call running on another thread may still be calling the callback it
        read before, so a replaced ctypes callback is never freed under it."""
        with self._lock():
            check(c_setter(self._handle(), cb, None))
            self.__dict__.setdefault("_callbacks", []).append(cb)

    def _missing_handle(self) -> Exception:
        if self._lazy and not self._closing:
            from .errors import NotFittedError
            return NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() (or "
                                  "partial_fit()) first, or load a saved model")
        return ValueError(f"{type(self).__name__} is closed")

    def _handle(self) -> _Lease:
        """A lease on the C handle for one call (raises ValueError once closed)."""
        with self._lock():
            h = self._h
            if self._closing or h is None or not h.value:
                raise self._missing_handle()
            self._busy += 1
        return _Lease(self, h)

    def _has_handle(self) -> bool:
        h = self._h
        return not self._closing and h is not None and bool(h.value)

    def _release(self) -> None:
        with self._lock():
            self._busy -= 1
            if self._busy:
                return
            retired = self.__dict__.pop("_retired", [])
            closing = self._closing
        self._free_handles(retired)
        if closing:
            self._free()

    def _free_handles(self, handles: list[ctypes.c_void_p]) -> None:
        for h in handles:
            if h is not None and h.value:
                getattr(lib, self._free_fn)(h)

    def _free(self) -> None:
        """Frees the C handle (called once no call holds a lease); subclasses that own more C
        objects (a net's workspaces) free them here first."""
        h = self.__dict__.get("_h")
        self._h = None
        self._free_handles([h])

    def _set_handle(self, h: ctypes.c_void_p) -> None:
        """Installs a new C handle (a fit from scratch); the previous one is freed as soon as no
        call holds a lease on it. On a closed object the new handle is freed and ValueError
        raised."""
        with self._lock():
            closed = self._closing
            old = None
            if not closed:
                old = self.__dict__.get("_h")
                self._h = h
                if old is not None and self._busy:
                    self.__dict__.setdefault("_retired", []).append(old)
                    old = None
        if closed:
            self._free_handles([h])
            raise ValueError(f"{type(self).__name__} is closed")
        self._free_handles([old])

    def close(self) -> None:
        """Frees the C handle (at once, or when the last call running on it returns).
        Idempotent; any later call raises ``ValueError``."""
        with self._lock():  # always: a first call may be taking its lease right now
            if self._closing:
                return
            self._closing = True
            free_now = self._busy == 0
        if free_now:
            self._free()

    def __del__(self) -> None:
        self.close()

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(f"cannot pickle a {type(self).__name__}: it owns a C handle without a "
                        "serialised form")


class OwnedModel(OwnedHandle):
    """An OwnedHandle whose C module has ``<_api>_save/_load/_serialize/_deserialize`` (e.g.
    ``_api = "growth_ftrl"``).

    ``load`` / ``from_bytes`` make an instance around the new handle without calling
    ``__init__`` and then call ``_attached()``, where a subclass reads what it caches from the
    handle (dimensions, head counts). Pickling, copy and deepcopy go through ``to_bytes`` /
    ``from_bytes``: the state is the model's bytes (None for an estimator not fitted yet) plus
    the object's public attributes (an estimator's parameters and fitted attributes such as
    ``classes_``)."""

    _api: str | None = None

    def _attached(self) -> None:
        """Called once a handle is installed (load, from_bytes, unpickling, fit)."""

    @classmethod
    def _wrap(cls: type[_M], h: ctypes.c_void_p, **attrs: Any) -> _M:
        obj = cls.__new__(cls)
        obj.__dict__.update(attrs)
        obj._h = h
        try:
            obj._attached()
        except BaseException:
            obj.close()
            raise
        return obj

    @classmethod
    def _deserialize(cls, data: bytes) -> ctypes.c_void_p:
        data = bytes(data)
        h = ctypes.c_void_p()
        check(getattr(lib, cls._api + "_deserialize")(ctypes.byref(h), data, len(data)))
        return h

    def save(self, path: str | os.PathLike) -> None:
        """Saves the model to ``path`` atomically (temporary file, fsync, rename)."""
        check(getattr(lib, self._api + "_save")(self._handle(), enc(os.fspath(path))))

    @classmethod
    def load(cls: type[_M], path: str | os.PathLike) -> _M:
        """Reads a model file written by ``save`` (from any binding or the C API)."""
        h = ctypes.c_void_p()
        check(getattr(lib, cls._api + "_load")(ctypes.byref(h), enc(os.fspath(path))))
        return cls._wrap(h)

    def to_bytes(self) -> bytes:
        """The model file's bytes (what save() writes), from memory."""
        buf, n = ctypes.c_void_p(), ctypes.c_size_t(0)
        check(getattr(lib, self._api + "_serialize")(self._handle(), ctypes.byref(buf), ctypes.byref(n)))
        try:
            return ctypes.string_at(buf, n.value)
        finally:
            lib.growth_buffer_free(buf)

    @classmethod
    def from_bytes(cls: type[_M], data: bytes) -> _M:
        """A model from the bytes of a model file (``to_bytes()``, or a file's content)."""
        return cls._wrap(cls._deserialize(data))

    def __getstate__(self) -> dict[str, Any]:
        unfitted = self._lazy and not self._closing and self._h is None
        return {"model": None if unfitted else self.to_bytes(),
                "attrs": {k: v for k, v in self.__dict__.items() if not k.startswith("_")}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state["attrs"])
        if state["model"] is not None:
            self._h = self._deserialize(state["model"])
            self._attached()
