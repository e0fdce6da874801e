"""Exceptions raised by the growth package: one subclass per libgrowth status code."""

OK, EINVAL, ENOMEM, EIO, EFORMAT, EBUFS, ESTATE, EDEP, ENOTFOUND, ECANCELED = 0, -1, -2, -3, -4, -5, -6, -7, -8, -9


class GrowthError(Exception):
    """A libgrowth call failed. `code` is the C status, `message` the library's message."""

    code = None

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(GrowthError, ValueError):
    code = EINVAL


class OutOfMemory(GrowthError, MemoryError):
    code = ENOMEM


class IOFailure(GrowthError, OSError):
    code = EIO


class FormatError(GrowthError):
    code = EFORMAT


class BufferTooSmall(GrowthError):
    code = EBUFS


class InvalidState(GrowthError):
    code = ESTATE


class DependencyError(GrowthError):
    code = EDEP


class NotFound(GrowthError, KeyError):
    code = ENOTFOUND

    def __str__(self):  # KeyError would quote the message
        return self.message


class Canceled(GrowthError):
    """A progress callback stopped a long call; the handle is as it was before the call."""
    code = ECANCELED


_BY_CODE = {c.code: c for c in (InvalidArgument, OutOfMemory, IOFailure, FormatError,
                                  BufferTooSmall, InvalidState, DependencyError, NotFound, Canceled)}


def from_status(code, message):
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
