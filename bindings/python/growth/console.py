"""The budget console: a local web page over growth.budget's response curves.

``python3 -m growth.console`` (or ``growth console``) serves a page on http://127.0.0.1:8765/
where an operator loads a spend-log CSV (or the demo's), drags a budget slider or types a budget,
and sees the split per placement, the predicted installs / logins / day-1 retained users, the
marginal value of one more unit and the budget -> outcome curve. The library computes
(:func:`growth.budget.read_spend_logs`, :func:`growth.budget.fit_response_curves`,
``ResponseModel.allocate`` / ``ResponseModel.curve``); the page only draws.

The server is Python's ``http.server`` (ThreadingHTTPServer) with a small JSON API:

=========================  ====================================================================
``GET /``                  the page (``console_static/index.html``)
``GET /static/NAME``       the page's files (a fixed list; the chart library is uPlot, MIT)
``POST /api/logs``         body: the CSV (text/csv, UTF-8) -> the fitted model's summary
``GET /api/demo``          the demo log, fitted -> the same summary
``GET /api/demo.csv``      the demo log as CSV text
``GET /api/session``       the log given with ``--log`` (or ``{"model": null}``) and the limits
``POST /api/allocate``     ``{"model", "budget", options...}`` -> the split for one budget
``POST /api/curve``        ``{"model", "budgets": [...] | "points", options...}`` -> the curve
=========================  ====================================================================

Every input is checked: a CSV the reader refuses answers 400 with the line and column; budgets
must be finite, >= 0 and at most :data:`MAX_BUDGET`; bodies are limited in size; static files come
from a fixed list (no paths from the request reach the file system). It binds to 127.0.0.1 unless
``--host`` says otherwise (with a warning: the page has no authentication), and it answers only
requests whose Host header names the address it serves (DNS rebinding).
"""
from __future__ import annotations

import argparse
import collections
import http.server
import json
import math
import os
import secrets
import socket
import sys
import threading
import time
import urllib.parse
from typing import Any, Callable

import numpy as np

from . import budget as _budget

__all__ = ["ConsoleServer", "make_server", "demo_log_csv", "main", "MAX_BUDGET", "MAX_UPLOAD_BYTES"]

#: Largest budget the API accepts (the page's slider stops far below).
MAX_BUDGET = 1e12
#: Largest CSV upload, in bytes (``--max-upload`` changes it).
MAX_UPLOAD_BYTES = 16 << 20
#: Largest JSON request body, in bytes.
MAX_JSON_BYTES = 64 << 10
#: Most points of one budget -> outcome curve.
MAX_CURVE_POINTS = 401
#: Wall-time budget of a curve computed one budget at a time (constraints that may not be met).
CURVE_SECONDS = 10.0
#: Fitted models kept in memory at once (the oldest is dropped).
MAX_MODELS = 16

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "console_static")
# The only files the server sends: name -> content type. Requests name a key of this table; no
# part of the request path is joined to a directory.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "uPlot.iife.min.js": "text/javascript; charset=utf-8",
    "uPlot.min.css": "text/css; charset=utf-8",
    "uPlot.LICENSE": "text/plain; charset=utf-8",
}
OUTCOMES = ("installs", "logins", "retained")
# No external network: everything from this origin; inline scripts are not allowed either.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


class _BadRequest(Exception):
    """A request the API refuses: HTTP status and the JSON error object sent back."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, **extra}


# ---- the demo log ------------------------------------------------------------------------------

def demo_log_csv(days: int = 56, seed: int = 7) -> str:
    """The demo's spend log as CSV text: :func:`growth.budget.demo_spend_logs` (six placements on
    two platforms, ``days`` days each; the same arguments give the same bytes)."""
    return _budget.demo_spend_logs(days, seed)


# ---- JSON helpers ------------------------------------------------------------------------------

def _num(x: Any) -> Any:
    """JSON-safe: floats (NaN/Inf -> None), lists of them, dicts of them."""
    if isinstance(x, np.ndarray):
        return [_num(v) for v in x.tolist()]
    if isinstance(x, (list, tuple)):
        return [_num(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _num(v) for k, v in x.items()}
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else None
    if x is None or isinstance(x, str):
        return x
    return str(x)


def _reject_constant(name: str) -> Any:
    raise _BadRequest(f"{name} is not a number JSON allows")


def _number(v: Any, what: str, lo: float = 0.0, hi: float = MAX_BUDGET) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _BadRequest(f"{what} must be a number, got {type(v).__name__}", field=what)
    v = float(v)
    if not math.isfinite(v):
        raise _BadRequest(f"{what} must be finite", field=what)
    if v < lo or v > hi:
        raise _BadRequest(f"{what} must be in [{lo:g}, {hi:g}], got {v:g}", field=what)
    return v


def _options(req: dict, e: "_Entry") -> dict:
    """The allocate/curve keywords of a request, checked."""
    model = e.model
    kw: dict[str, Any] = {}
    P = len(model.placements)
    if req.get("weights") is not None:
        w = req["weights"]
        if not isinstance(w, list) or len(w) != 3:
            raise _BadRequest("weights must be a list of 3 numbers (installs, logins, retained)",
                              field="weights")
        w = tuple(_number(v, "weights", 0.0, 1e6) for v in w)
        if not any(v > 0 for v in w):
            raise _BadRequest("at least one weight must be positive", field="weights")
        kw["weights"] = w
    for key in ("min_login_rate", "min_retention_rate"):
        if req.get(key) is not None:
            kw[key] = _number(req[key], key, 0.0, 1.0)
    for key in ("min_spend", "max_spend"):
        if req.get(key) is not None:
            v = req[key]
            if not isinstance(v, list) or len(v) != P:
                raise _BadRequest(f"{key} must be a list of {P} numbers (one per placement)", field=key)
            kw[key] = np.array([_number(x, key) for x in v], dtype=np.float64)
    if "min_spend" in kw and "max_spend" in kw and np.any(kw["min_spend"] > kw["max_spend"]):
        raise _BadRequest("min_spend exceeds max_spend for some placement", field="min_spend")
    if req.get("platform_budgets") is not None:
        pb = req["platform_budgets"]
        platforms = list(getattr(e.logs, "platforms", None) or [])
        if not isinstance(pb, dict) or not platforms:
            raise _BadRequest("platform_budgets must be an object platform -> budget, and the log must "
                              "have a platform column", field="platform_budgets")
        for k in pb:
            if k not in platforms:
                raise _BadRequest(f"unknown platform {k!r}", field="platform_budgets")
        kw["platform_budgets"] = {k: _number(v, f"platform_budgets[{k}]") for k, v in pb.items()}
    unknown = set(req) - {"model", "budget", "budgets", "points", "max", "weights", "min_login_rate",
                          "min_retention_rate", "min_spend", "max_spend", "platform_budgets"}
    if unknown:
        raise _BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    return kw


# ---- models ------------------------------------------------------------------------------------

class _Entry:
    """A fitted model and what the page needs to know about it."""

    def __init__(self, logs: Any, model: Any, source: str) -> None:
        self.logs, self.model, self.source = logs, model, source
        self.lock = threading.Lock()   # the model's solver is used by one request at a time


def _summary(key: str, e: _Entry) -> dict:
    logs, model = e.logs, e.model
    ranges = [tuple(float(v) for v in logs.spend_range(p)) for p in model.placements]
    hi_total = sum(r[1] for r in ranges)
    slider_max = _nice(2.0 * hi_total) if hi_total > 0 else 1000.0
    fits = []
    for p, per in zip(model.placements, model.fits):
        fits.append({o: {k: per[o].get(k) for k in ("family", "a", "b", "r2", "rmse", "n", "spend_lo", "spend_hi")}
                     for o in model.outcomes if o in per})
    platforms = getattr(logs, "platforms", None)
    return _num({
        "model": key, "source": e.source, "n_rows": int(logs.n_rows),
        "placements": list(model.placements), "outcomes": list(model.outcomes),
        "platforms": list(platforms) if platforms else None,
        "placement_platforms": _placement_platforms(e),
        "spend_ranges": [list(r) for r in ranges], "fits": fits,
        "budget": {"min": 0.0, "max": slider_max, "step": _nice(slider_max / 1000.0),
                   "default": _round_to(0.5 * sum(r[0] + r[1] for r in ranges), _nice(slider_max / 1000.0)),
                   "logged_max": hi_total},
    })


def _placement_platforms(e: _Entry) -> Any:
    pp = getattr(e.logs, "placement_platform", None)
    return None if pp is None else [str(v) for v in pp]


def _nice(x: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= x."""
    if x <= 0 or not math.isfinite(x):
        return 1.0
    e = 10.0 ** math.floor(math.log10(x))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * e >= x * (1 - 1e-12):
            return m * e
    return 10.0 * e


def _round_to(x: float, step: float) -> float:
    return round(x / step) * step if step > 0 else x


# ---- the server --------------------------------------------------------------------------------

class ConsoleServer(http.server.ThreadingHTTPServer):
    """The console's HTTP server: ``ThreadingHTTPServer`` plus the fitted models it holds.
    Make one with :func:`make_server`; ``serve_forever()`` / ``shutdown()`` as usual."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, max_upload: int = MAX_UPLOAD_BYTES,
                 family: str = "auto", quiet: bool = False) -> None:
        self.max_upload = int(max_upload)
        self.family = family
        self.quiet = quiet
        self._models: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self._models_lock = threading.Lock()
        self.session_model: str | None = None
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        host, port = self.server_address[:2]
        names = {f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"}
        #: Host headers answered (None: any); see :meth:`allow_host`.
        self.allowed_hosts: set[str] | None = {n.lower() for n in names}

    @property
    def url(self) -> str:
        """The page's address, e.g. ``http://127.0.0.1:8765/``."""
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}/"

    def allow_host(self, host: str) -> None:
        """Also answer requests whose Host header is ``host`` (``name:port``)."""
        if self.allowed_hosts is None:
            return
        self.allowed_hosts.add(host.lower())

    def load(self, src: Any, source: str) -> str:
        """Reads and fits a spend log (path, file object or CSV text), keeps the model and
        returns its key. Raises growth.budget.SpendLogError (ValueError) for a bad log."""
        logs = _budget.read_spend_logs(src)
        model = _budget.fit_response_curves(logs, family=self.family)
        key = secrets.token_hex(8)
        with self._models_lock:
            self._models[key] = _Entry(logs, model, source)
            while len(self._models) > MAX_MODELS:
                self._models.popitem(last=False)
        return key

    def summary(self, key: str) -> dict:
        """The page's view of a kept model: placements, fits, spend ranges, slider bounds."""
        return _summary(key, self._entry(key))

    def _entry(self, key: Any) -> _Entry:
        if not isinstance(key, str):
            raise _BadRequest("model must be the key /api/logs returned", field="model")
        with self._models_lock:
            e = self._models.get(key)
            if e is not None:
                self._models.move_to_end(key)
        if e is None:
            raise _BadRequest("unknown model (load the log again)", status=404, field="model")
        return e

    def allocate(self, req: dict) -> dict:
        """POST /api/allocate: the split of one budget (JSON in, JSON out)."""
        e = self._entry(req.get("model"))
        if "budget" not in req:
            raise _BadRequest("budget is missing", field="budget")
        B = _number(req["budget"], "budget")
        kw = _options(req, e)
        with e.lock:
            try:
                plan = e.model.allocate(B, **kw)
            except ValueError as ex:   # e.g. a rate or minimums the budget cannot meet
                raise _BadRequest(str(ex), status=422) from None
        return _num({"model": req["model"], "budget": B, "placements": list(e.model.placements),
                     "outcomes": list(e.model.outcomes), "spend": plan.spend,
                     "placement_outcomes": plan.outcomes, "totals": plan.totals,
                     "objective": plan.objective, "marginal": plan.marginal,
                     "warnings": [str(w) for w in plan.warnings]})

    def curve(self, req: dict) -> dict:
        """POST /api/curve: totals, marginal value and split over a list of budgets."""
        e = self._entry(req.get("model"))
        if req.get("budgets") is not None:
            bs = req["budgets"]
            if not isinstance(bs, list) or not 1 <= len(bs) <= MAX_CURVE_POINTS:
                raise _BadRequest(f"budgets must be a list of 1 to {MAX_CURVE_POINTS} numbers", field="budgets")
            budgets = np.array([_number(b, "budgets") for b in bs])
        else:
            hi = _number(req.get("max", None) if "max" in req else _summary_max(e), "max")
            n = req.get("points", 101)
            if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_CURVE_POINTS:
                raise _BadRequest(f"points must be an integer in [2, {MAX_CURVE_POINTS}]", field="points")
            budgets = np.linspace(0.0, hi, n)
        if np.any(np.diff(budgets) < 0):
            raise _BadRequest("budgets must be increasing", field="budgets")
        kw = _options(req, e)
        c = None
        if "min_login_rate" not in kw and "min_retention_rate" not in kw:
            with e.lock:
                try:
                    c = e.model.curve(budgets, **kw)
                    totals, marginal, spend, infeasible = c.totals, c.marginal, c.spend, []
                except ValueError:
                    c = None   # some budgets cannot meet the minimum spends
        if c is None:
            # A rate the budgets may not meet (the library can take seconds per budget to find that
            # out) or minimums above some budgets: one budget at a time, within CURVE_SECONDS and
            # taking the model's lock per budget (the slider's requests go in between); gaps (null)
            # where no plan meets the constraints, and the first reason.
            totals, marginal, spend, infeasible = _pointwise(e, budgets, kw, CURVE_SECONDS)
        return _num({"model": req["model"], "budgets": budgets, "totals": totals,
                     "marginal": marginal, "spend": spend, "infeasible": infeasible,
                     "placements": list(e.model.placements), "outcomes": list(e.model.outcomes)})


def _pointwise(e: _Entry, budgets: np.ndarray, kw: dict, seconds: float) -> tuple:
    """The curve one budget at a time (``model.allocate`` each, as ``model.curve`` does): NaN rows
    where allocate refuses, and after ``seconds`` of wall time; (totals, marginal, spend,
    [{"budget", "message"} for the first refusal, and for the first budget not computed])."""
    model = e.model
    n, P = budgets.size, len(model.placements)
    totals, marginal, spend = np.full((n, 3), np.nan), np.full(n, np.nan), np.full((n, P), np.nan)
    infeasible: list[dict] = []
    end = time.monotonic() + seconds
    for i, b in enumerate(budgets):
        if time.monotonic() > end:
            infeasible.append({"budget": float(b), "message": f"not computed: the curve stopped after "
                               f"{seconds:g} s ({i} of {n} budgets)"})
            break
        try:
            with e.lock:
                p = model.allocate(float(b), **kw)
        except ValueError as ex:
            if not infeasible:
                infeasible.append({"budget": float(b), "message": str(ex)})
            continue
        totals[i], marginal[i], spend[i] = p.totals, p.marginal, p.spend
    return totals, marginal, spend, infeasible


def _summary_max(e: _Entry) -> float:
    hi = sum(float(e.logs.spend_range(p)[1]) for p in e.model.placements)
    return _nice(2.0 * hi) if hi > 0 else 1000.0


def _read_static(name: str) -> bytes:
    with open(os.path.join(STATIC_DIR, name), "rb") as f:
        return f.read()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: ConsoleServer
    server_version = "growth-console"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30   # seconds a connection may stay idle (slow clients cannot hold a thread forever)

    # -- plumbing
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        if not self.server.quiet:
            sys.stderr.write("console: %s - %s\n" % (self.address_string(), format % args))

    def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj, allow_nan=False).encode(), "application/json")

    def _error(self, e: _BadRequest) -> None:
        self._json(e.status, {"error": e.body})

    def _check_host(self) -> None:
        host = (self.headers.get("Host") or "").lower()
        if self.server.allowed_hosts is not None and host not in self.server.allowed_hosts:
            raise _BadRequest("this server answers only requests for " + self.server.url, status=421)

    def _body(self, limit: int, ctypes: tuple[str, ...]) -> bytes:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in ctypes:
            raise _BadRequest(f"Content-Type must be {' or '.join(ctypes)}", status=415)
        if self.headers.get("Transfer-Encoding"):
            raise _BadRequest("chunked bodies are not accepted; send Content-Length", status=411)
        n = self.headers.get("Content-Length")
        if n is None or not n.isdigit():
            raise _BadRequest("Content-Length is required", status=411)
        n = int(n)
        if n > limit:
            self.close_connection = True   # the unread body would be taken for the next request
            raise _BadRequest(f"the body is {n} bytes, at most {limit} are accepted", status=413,
                              limit=limit)
        return self.rfile.read(n)

    def _dispatch(self, fn: Callable[[], None]) -> None:
        try:
            self._check_host()
            fn()
        except _BadRequest as e:
            self._error(e)
        except Exception as e:   # a bug or a library failure: say so, keep serving
            self.log_message("error: %r", e)
            self._error(_BadRequest(f"{type(e).__name__}: {e}", status=500))

    # -- methods
    def do_GET(self) -> None:
        self._dispatch(self._get)

    def do_HEAD(self) -> None:
        self._dispatch(self._get)

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def _get(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(200, _read_static("index.html"), STATIC_FILES["index.html"])
        elif path.startswith("/static/"):
            name = path[len("/static/"):]
            if name not in STATIC_FILES:   # a fixed table: "../x", "%2e%2e", "a/b" are all unknown
                raise _BadRequest("no such file", status=404)
            self._send(200, _read_static(name), STATIC_FILES[name])
        elif path == "/api/demo.csv":
            self._send(200, demo_log_csv().encode(), "text/csv; charset=utf-8")
        elif path == "/api/demo":
            key = self.server.load(demo_log_csv(), "demo")
            self._json(200, self.server.summary(key))
        elif path == "/api/session":
            key = self.server.session_model
            out = self.server.summary(key) if key else {"model": None}
            out["limits"] = {"max_upload": self.server.max_upload, "max_budget": MAX_BUDGET}
            self._json(200, out)
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        else:
            raise _BadRequest("no such page", status=404)

    def _post(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower().rstrip("/") + "/" != self.server.url.lower() \
                and self.server.allowed_hosts is not None \
                and urllib.parse.urlsplit(origin).netloc.lower() not in self.server.allowed_hosts:
            raise _BadRequest("cross-origin requests are refused", status=403)
        if path == "/api/logs":
            raw = self._body(self.server.max_upload, ("text/csv", "text/plain", "application/octet-stream"))
            self._json(200, self._load_csv(raw))
        elif path in ("/api/allocate", "/api/curve"):
            raw = self._body(MAX_JSON_BYTES, ("application/json",))
            try:
                req = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise _BadRequest(f"the body is not JSON: {e}") from None
            if not isinstance(req, dict):
                raise _BadRequest("the body must be a JSON object")
            fn = self.server.allocate if path == "/api/allocate" else self.server.curve
            self._json(200, fn(req))
        else:
            raise _BadRequest("no such endpoint", status=404)

    def _load_csv(self, raw: bytes) -> dict:
        name = urllib.parse.unquote(self.headers.get("X-File-Name") or "upload")[:200]
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise _BadRequest(f"the file is not UTF-8 text (byte {e.start})", line=line, column=None) from None
        if not text.strip():
            raise _BadRequest("the file is empty", line=1, column=None)
        try:
            key = self.server.load(text, name)
        except ValueError as e:   # growth.budget.SpendLogError and the fit's own checks
            raise _BadRequest(getattr(e, "message", None) or str(e), line=getattr(e, "line", None),
                              column=getattr(e, "column", None)) from None
        return self.server.summary(key)


def make_server(host: str = "127.0.0.1", port: int = 8765, *, log: str | None = None,
                max_upload: int = MAX_UPLOAD_BYTES, family: str = "auto",
                quiet: bool = False) -> ConsoleServer:
    """A :class:`ConsoleServer` bound to ``host:port`` (port 0: any free port), not yet serving.
    ``log``: a spend-log CSV path fitted at start-up and shown when the page opens."""
    if not isinstance(max_upload, int) or not 1 <= max_upload <= 1 << 30:
        raise ValueError("max_upload must be an integer number of bytes in [1, 1 GiB]")
    srv = ConsoleServer((host, int(port)), max_upload=max_upload, family=family, quiet=quiet)
    if log is not None:
        try:
            srv.session_model = srv.load(log, os.path.basename(log))
        except BaseException:
            srv.server_close()
            raise
    return srv


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def main(argv: list[str] | None = None) -> int:
    """``python3 -m growth.console [--host H] [--port N] [--log FILE]``: serves the page until
    interrupted; returns the exit status."""
    ap = argparse.ArgumentParser(prog="growth console",
                                 description="Serve the budget console: a local web page over growth.budget.")
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to bind (default 127.0.0.1; anything else exposes the page, which has "
                         "no authentication, to the network)")
    ap.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    ap.add_argument("--log", metavar="CSV", help="a spend log to fit at start-up")
    ap.add_argument("--family", default="auto", help="curve family for the fit (default auto)")
    ap.add_argument("--max-upload", type=int, default=MAX_UPLOAD_BYTES, metavar="BYTES",
                    help=f"largest CSV upload (default {MAX_UPLOAD_BYTES})")
    ap.add_argument("--quiet", action="store_true", help="do not log requests")
    a = ap.parse_args(argv)
    if not 0 <= a.port <= 65535:
        ap.error("--port must be in [0, 65535]")
    if not _loopback(a.host):
        print(f"growth console: WARNING: serving on {a.host}, not on localhost: anyone who can reach "
              "this address can use the console (it has no authentication)", file=sys.stderr)
    try:
        srv = make_server(a.host, a.port, log=a.log, max_upload=a.max_upload, family=a.family, quiet=a.quiet)
    except (OSError, ValueError) as e:
        line = getattr(e, "line", None)
        where = f" (line {line}, column {getattr(e, 'column', None)})" if line else ""
        print(f"growth console: {e}{where}", file=sys.stderr)
        return 1
    if not _loopback(a.host):
        srv.allowed_hosts = None   # any Host header: the operator chose to serve the network
    print(f"growth console: serving on {srv.url} (Ctrl-C stops)", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
