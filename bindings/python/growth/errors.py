"""Exceptions raised by the growth package: one subclass per libgrowth status code."""
from __future__ import annotations

OK, EINVAL, ENOMEM, EIO, EFORMAT, EBUFS, ESTATE, EDEP, ENOTFOUND, ECANCELED = 0, -1, -2, -3, -4, -5, -6, -7, -8, -9


class GrowthError(Exception):
    """A libgrowth call failed. `code` is the C status, `message` the library's message."""

    code = None

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(GrowthError, ValueError):
    """A bad argument or configuration value (GROWTH_EINVAL); also a ``ValueError``."""
    code = EINVAL


class OutOfMemory(GrowthError, MemoryError):
    """An allocation failed (GROWTH_ENOMEM); also a ``MemoryError``."""
    code = ENOMEM


class IOFailure(GrowthError, OSError):
    """Reading or writing a file failed (GROWTH_EIO); also an ``OSError``."""
    code = EIO


class FormatError(GrowthError):
    """A model file or buffer is not a valid libgrowth / xgboost model (GROWTH_EFORMAT)."""
    code = EFORMAT


class BufferTooSmall(GrowthError):
    """An output buffer was too small (GROWTH_EBUFS); the binding sizes its buffers, so rare."""
    code = EBUFS


class InvalidState(GrowthError):
    """The call does not fit the object's state, e.g. an unfitted calibrator (GROWTH_ESTATE)."""
    code = ESTATE


class DependencyError(GrowthError):
    """A library libgrowth calls (xgboost, BLAS) failed (GROWTH_EDEP)."""
    code = EDEP


class NotFound(GrowthError, KeyError):
    """An id or name is not present (GROWTH_ENOTFOUND); also a ``KeyError``."""
    code = ENOTFOUND

    def __str__(self):  # KeyError would quote the message
        return self.message


class Canceled(GrowthError):
    """A progress callback stopped a long call; the handle is as it was before the call."""
    code = ECANCELED


_BY_CODE = {c.code: c for c in (InvalidArgument, OutOfMemory, IOFailure, FormatError,
                                  BufferTooSmall, InvalidState, DependencyError, NotFound, Canceled)}


def from_status(code: int, message: str) -> GrowthError:
    """The GrowthError subclass instance for a C status code and message."""
    cls = _BY_CODE.get(code, GrowthError)
    return cls(message, code)


try:  # scikit-learn is optional: without it NotFittedError has the same bases as sklearn's
    from sklearn.exceptions import NotFittedError as _NotFittedBase
except ImportError:  # pragma: no cover - exercised by test_api's no-sklearn subprocess
    class _NotFittedBase(ValueError, AttributeError):
        """scikit-learn's NotFittedError when scikit-learn is not installed."""


class NotFittedError(InvalidState, _NotFittedBase):
    """An estimator (FTRL, Calibrator, ForestClassifier, ...) was used before fit: it creates
    its C handle on the first fit. Also scikit-learn's ``sklearn.exceptions.NotFittedError``
    (when scikit-learn is installed) and an ``InvalidState``."""
