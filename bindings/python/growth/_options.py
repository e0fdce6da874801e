"""The one way the package writes `key=value` configuration strings for the C parser
(src/core/config.c) and reads the ones the library writes back (``growth_<type>_config``).

Every module builds its options through :func:`_config`, so a Python value means the same thing
whichever class or function it is passed to:

- ``None`` is skipped (the library's default applies);
- ``True`` / ``False`` become ``true`` / ``false``;
- ints (numpy ints included) are written in decimal, floats (numpy floats included) with
  ``repr`` so they round-trip exactly;
- lists, tuples and numpy arrays are joined with ``|`` (``heads``' names, a bidder's ``curve``);
- a value holding a separator (blank or ``,``) or a quote is quoted the way the C formatter
  quotes it (the empty string too);
- a ``config`` string is kept first, and a key given both there and as a keyword is refused
  (``InvalidArgument``) instead of leaving it to whichever one the parser reads last.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidArgument

_SEPARATORS = " \t\n\r,"


def _scalar(key: str, v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    return str(v)


def _quote(key: str, s: str) -> str:
    if s and not any(c in _SEPARATORS or c in "\"'" for c in s):
        return s
    if '"' in s and "'" in s:
        raise InvalidArgument(f"config key '{key}': a value cannot hold both quote characters: {s!r}")
    return f"'{s}'" if '"' in s else f'"{s}"'


def format_value(key: str, v: Any) -> str:
    """One option's value as the C parser reads it (see the module docstring)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        items = [_scalar(key, x) for x in (v.ravel().tolist() if isinstance(v, np.ndarray) else v)]
        for x in items:
            if "|" in x:
                raise InvalidArgument(f"config key '{key}': list item {x!r} contains '|', the list separator")
        return _quote(key, "|".join(items))
    return _quote(key, _scalar(key, v))


def parse_config(config: str | None) -> dict[str, str]:
    """``{key: value}`` of a configuration string as the library writes it (quotes removed).
    Lenient: text that is not ``key=value`` is skipped (the C parser reports it)."""
    out: dict[str, str] = {}
    s = config or ""
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] in _SEPARATORS:
            i += 1
        if i >= n:
            break
        k0 = i
        while i < n and s[i] != "=" and s[i] not in _SEPARATORS:
            i += 1
        key = s[k0:i]
        if i >= n or s[i] != "=":
            continue
        i += 1
        if i < n and s[i] in "\"'":
            q = s[i]
            j = s.find(q, i + 1)
            j = n if j < 0 else j
            out[key] = s[i + 1:j]
            i = j + 1
        else:
            j = i
            while j < n and s[j] not in _SEPARATORS:
                j += 1
            out[key] = s[i:j]
            i = j
    return out


def _config(config: str | None = None, **options: Any) -> str:
    """The configuration string of ``config`` (kept first, as given) and the keyword options
    formatted for the C parser; ``None`` options are left out. A key given both in ``config``
    and as a keyword raises :class:`growth.InvalidArgument`."""
    base = (config or "").strip()
    given = parse_config(base)
    parts = [base] if base else []
    for key, v in options.items():
        if v is None:
            continue
        if key in given:
            raise InvalidArgument(f"config key '{key}' is given twice: in config={config!r} and as a keyword")
        parts.append(f"{key}={format_value(key, v)}")
    return " ".join(parts)


def typed(value: str) -> Any:
    """A configuration value read back as the Python value that writes it: ``true``/``false``
    as bool, integers as int, other numbers as float, anything else as the string."""
    if value in ("true", "false"):
        return value == "true"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value
