"""scikit-learn conventions for the package's estimators (FTRL, FTRLClassifier, Calibrator,
ForestClassifier, ForestRegressor).

- ``__init__`` only stores its keyword parameters; the C handle is created by the first
  ``fit`` / ``partial_fit`` (or comes from ``load`` / ``from_bytes`` / unpickling). Before that,
  anything that needs the model raises :class:`growth.NotFittedError` (scikit-learn's
  ``NotFittedError`` and a ``growth.InvalidState``). The configuration is validated by the C
  library at that first fit, so a bad value raises there.
- ``get_params`` / ``set_params`` behave as scikit-learn's. When scikit-learn is importable the
  estimators derive from ``sklearn.base.BaseEstimator`` and its mixins; otherwise from small
  stand-ins below with the same behaviour (scikit-learn stays an optional dependency).
- Keyword options beyond the named parameters (``**options``, e.g. a configuration key added in
  a later libgrowth) are parameters too: ``get_params`` lists them and ``clone`` keeps them.
- A model read from a file or bytes gets its parameters from the effective configuration the
  library reports, so ``clone`` of a loaded model is an unfitted estimator configured the same.
"""
from __future__ import annotations

import ctypes
import inspect
from collections import defaultdict
from typing import Any, TypeVar

import numpy as np

from ._handle import OwnedModel
from ._lib import lib, read_string
from ._options import parse_config, typed

_E = TypeVar("_E", bound="Estimator")

try:
    from sklearn.base import BaseEstimator as _BaseEstimator
    from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin
    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False

    class _BaseEstimator:  # type: ignore[no-redef]
        """Stand-in for ``sklearn.base.BaseEstimator`` (get_params/set_params are on Estimator)."""

        def __repr__(self) -> str:
            sig = inspect.signature(type(self).__init__).parameters
            shown = []
            for k, v in self.get_params(deep=False).items():
                p = sig.get(k)
                if p is None or p.kind == p.VAR_KEYWORD or p.default is not v:
                    shown.append(f"{k}={v!r}")
            return f"{type(self).__name__}({', '.join(shown)})"

    class ClassifierMixin:  # type: ignore[no-redef]
        """Stand-in for ``sklearn.base.ClassifierMixin``: ``score`` is the mean accuracy."""

        _estimator_type = "classifier"

        def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
            """Mean accuracy of ``predict(X)`` against ``y`` (weighted by ``sample_weight``)."""
            return float(np.average(self.predict(X) == np.asarray(y), weights=sample_weight))

    class RegressorMixin:  # type: ignore[no-redef]
        """Stand-in for ``sklearn.base.RegressorMixin``: ``score`` is the coefficient of
        determination R^2."""

        _estimator_type = "regressor"

        def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
            """R^2 of ``predict(X)`` against ``y`` (weighted by ``sample_weight``)."""
            y = np.asarray(y, dtype=np.float64)
            w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, np.float64)
            p = np.asarray(self.predict(X), dtype=np.float64)
            res = np.sum(w * (y - p) ** 2)
            tot = np.sum(w * (y - np.average(y, weights=w)) ** 2)
            return float(1 - res / tot) if tot else (1.0 if res == 0 else 0.0)

    class TransformerMixin:  # type: ignore[no-redef]
        """Stand-in for ``sklearn.base.TransformerMixin``: ``fit_transform``."""

        def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
            """``fit(X, y, **fit_params).transform(X)``."""
            return self.fit(X, y, **fit_params).transform(X)


class fitted_property:
    """A read-only view of the fitted model that shares its name with a parameter (``config``,
    a forest's ``objective``): reading it gives the fitted model's value (NotFittedError before
    fit); assigning it, as ``__init__`` and ``set_params`` do, sets the parameter, which
    ``get_params`` reads."""

    def __init__(self, fget: Any) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__
        self.__name__ = fget.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return self.fget(obj)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.__name__] = value


class Estimator(OwnedModel, _BaseEstimator):
    """The base of the estimators: an :class:`OwnedModel` created lazily by fit, with
    scikit-learn's parameter protocol. See the module docstring."""

    _lazy = True

    # -- parameters ------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        names = []
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name == "self" or p.kind == p.VAR_KEYWORD:
                continue
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}.__init__ must not take *args")
            names.append(p.name)
        return sorted(names)

    def _all_param_names(self) -> list[str]:
        names = self._param_names()
        extra = sorted(k for k in self.__dict__ if not k.startswith("_") and not k.endswith("_")
                       and k not in names)
        return names + extra

    def _store_options(self, options: dict[str, Any]) -> None:
        """Keeps ``**options`` as parameters (attributes named by their keys)."""
        for k, v in options.items():
            if k.startswith("_") or k.endswith("_"):
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {k!r}")
            self.__dict__[k] = v

    def _options(self) -> dict[str, Any]:
        """The ``**options`` parameters (for the configuration string)."""
        names = set(self._param_names())
        return {k: self.__dict__[k] for k in self._all_param_names() if k not in names}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters as a dict (scikit-learn's protocol); with ``deep``, also
        those of parameters that are estimators themselves, as ``name__param``."""
        out: dict[str, Any] = {}
        for key in self._all_param_names():
            # the instance dict first: a parameter may share its name with a property
            # (``config`` is the effective configuration of a fitted model)
            value = self.__dict__[key] if key in self.__dict__ else getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((key + "__" + k, v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self: _E, **params: Any) -> _E:
        """Sets parameters (``name=value``, or ``name__param=value`` for a nested estimator);
        they take effect at the next ``fit``. Returns self."""
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = defaultdict(dict)
        for key, value in params.items():
            key, delim, sub_key = key.partition("__")
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator {type(self).__name__}. "
                                 f"Valid parameters are: {sorted(self._all_param_names())!r}.")
            if delim:
                nested[key][sub_key] = value
            else:
                self.__dict__[key] = value
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return self._has_handle()

    # -- the effective configuration ---------------------------------------------------------
    @fitted_property
    def config(self) -> str:
        """The full effective configuration string of the fitted model (the library's defaults
        filled in). Raises :class:`growth.NotFittedError` before fit: the parameters are in
        ``get_params()``. (``config=`` given to the constructor is a parameter: a configuration
        string merged with the keyword parameters at fit.)"""
        return read_string(getattr(lib, self._api + "_config"), self._handle())

    def _params_from_config(self, cfg: dict[str, str]) -> dict[str, Any]:
        """Parameters of a model read from a file, from its effective configuration."""
        names = set(self._param_names())
        return {k: typed(v) for k, v in cfg.items() if k in names}

    def _attached(self) -> None:
        super()._attached()
        missing = [n for n in self._param_names() if n not in self.__dict__]
        if missing:  # load / from_bytes: no constructor ran
            sig = inspect.signature(type(self).__init__).parameters
            for n in missing:
                self.__dict__[n] = sig[n].default
            self.__dict__.update(self._params_from_config(parse_config(self.config)))

    def _install(self, h: ctypes.c_void_p) -> None:
        """Makes a handle fitted by fit the model (the previous one is freed once idle)."""
        self._set_handle(h)
        self._attached()
