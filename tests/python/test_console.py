"""growth.console's HTTP API (python3 -m growth.console): a server on an ephemeral port, spoken to
with urllib / http.client. The numbers it sends are growth.budget's own (the same calls made
here directly) and the CLI's (`growth budget channels --fit`); every input is checked."""
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

import growth.budget as gb
from growth import console

import console_cli

# (pytestmark, not a module-level skip: a module with no tests collected fails under meson)
pytestmark = pytest.mark.skipif(not hasattr(gb, "fit_response_curves"),
                                reason="growth.budget.fit_response_curves is not in this tree yet")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("GROWTH_CLI") or os.path.join(ROOT, "build", "cli", "growth")


@pytest.fixture(scope="module")
def server():
    srv = console.make_server("127.0.0.1", 0, quiet=True, max_upload=1 << 20)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def call(srv, path, body=None, ctype="application/json", headers=None, method=None):
    """(status, headers, parsed JSON or bytes) of one request."""
    data = body if body is None or isinstance(body, bytes) else (
        body.encode() if isinstance(body, str) else json.dumps(body).encode())
    h = dict(headers or {})
    if data is not None:
        h.setdefault("Content-Type", ctype)
    req = urllib.request.Request(srv.url + path.lstrip("/"), data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, hdrs, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    if (hdrs.get("Content-Type") or "").startswith("application/json"):
        return status, hdrs, json.loads(raw)
    return status, hdrs, raw


def raw_request(srv, method, path, headers, body=b""):
    """A request http.client sends as given (no path normalisation): (status, body)."""
    host, port = srv.server_address[:2]
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    c.endheaders(body or None)
    r = c.getresponse()
    out = r.status, r.read()
    c.close()
    return out


@pytest.fixture(scope="module")
def demo(server):
    text = console.demo_log_csv()
    st, _, s = call(server, "/api/logs", text, ctype="text/csv")
    assert st == 200, s
    return text, s


@pytest.fixture(scope="module")
def direct(demo):
    """The same log fitted by growth.budget directly."""
    return gb.fit_response_curves(gb.read_spend_logs(demo[0]))


# ---- the page and its files --------------------------------------------------------------------

def test_page_and_static_files(server):
    st, h, page = call(server, "/")
    assert st == 200 and h["Content-Type"].startswith("text/html")
    assert b'id="budget-slider"' in page and b'id="budget-input"' in page
    csp = h["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "script-src 'self'" in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    # Nothing on the page comes from another origin.
    assert not re.search(rb'(src|href)="(https?:)?//', page)
    for name in console.STATIC_FILES:
        st, h, body = call(server, "/static/" + name)
        assert st == 200 and len(body) > 100, name
        assert h["Content-Type"] == console.STATIC_FILES[name]
        assert not re.search(rb"https?://(?!github\.com/leeoniya)", body) or name.endswith("LICENSE"), name
    st, _, lic = call(server, "/static/uPlot.LICENSE")
    assert b"MIT" in lic and b"Leon Sorokin" in lic


@pytest.mark.parametrize("path", [
    "/static/../console.py", "/static/..%2fconsole.py", "/static/%2e%2e/console.py",
    "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/../../../../etc/passwd", "/../../etc/passwd",
    "/static//etc/passwd", "/static/console_static/index.html", "/static/", "/static/.", "/static/index.html/",
    "/static/INDEX.HTML", "/console.py", "/static/index.html%00.js", "/api/nope",
])
def test_no_path_traversal(server, path):
    host, port = server.server_address[:2]
    st, body = raw_request(server, "GET", path, {"Host": f"{host}:{port}"})
    assert st == 404, (path, body[:200])
    assert b"import" not in body and b"root:" not in body


def test_host_header_and_origin_are_checked(server):
    host, port = server.server_address[:2]
    st, body = raw_request(server, "GET", "/", {"Host": f"evil.example:{port}"})
    assert st == 421
    st, body = raw_request(server, "GET", "/", {"Host": f"localhost:{port}"})
    assert st == 200
    st, _, e = call(server, "/api/allocate", {"model": "x", "budget": 1},
                    headers={"Origin": "http://evil.example"})
    assert st == 403 and "cross-origin" in e["error"]["message"]


# ---- loading logs ------------------------------------------------------------------------------

def test_upload_summary_matches_the_library(demo, direct):
    text, s = demo
    logs = gb.read_spend_logs(text)
    assert s["placements"] == list(direct.placements)
    assert s["outcomes"] == ["installs", "logins", "retained"]
    assert s["n_rows"] == logs.n_rows
    for p, r in zip(direct.placements, s["spend_ranges"]):
        assert tuple(r) == pytest.approx(logs.spend_range(p), rel=1e-15)
    for fit_page, fit_lib in zip(s["fits"], direct.fits):
        for o in direct.outcomes:
            assert fit_page[o]["family"] == fit_lib[o]["family"]
            assert fit_page[o]["r2"] == pytest.approx(fit_lib[o]["r2"], rel=1e-12, abs=1e-12)
    b = s["budget"]
    assert 0 == b["min"] < b["default"] < b["logged_max"] < b["max"]


def test_demo_endpoints(server, demo):
    st, h, text = call(server, "/api/demo.csv")
    assert st == 200 and h["Content-Type"].startswith("text/csv")
    assert text.decode() == demo[0] == console.demo_log_csv()
    st, _, s = call(server, "/api/demo")
    assert st == 200 and s["placements"] == demo[1]["placements"] and s["source"] == "demo"
    st, _, s = call(server, "/api/session")
    assert st == 200 and s == {"model": None, "limits": {"max_upload": server.max_upload,
                                                         "max_budget": console.MAX_BUDGET}}


def bad_csv_cases():
    if not hasattr(gb, "fit_response_curves"):
        return []
    good = console.demo_log_csv().splitlines()
    header = good[0].split(",")
    spend = header.index("spend")

    def with_field(line_no, col, value):
        lines = list(good)
        f = lines[line_no - 1].split(",")
        f[col] = value
        lines[line_no - 1] = ",".join(f)
        return "\n".join(lines) + "\n"
    return [
        (with_field(4, spend, "abc"), 4, "spend"),
        (with_field(7, spend, "-5"), 7, "spend"),
        (with_field(3, spend, "nan"), 3, "spend"),
        (with_field(5, header.index("installs"), "inf"), 5, "installs"),
        ("\n".join([",".join(h for h in header if h != "spend")] + good[1:3]) + "\n", 1, "spend"),
    ]


@pytest.mark.parametrize("text,line,column", bad_csv_cases())
def test_bad_csv_answers_line_and_column(server, text, line, column):
    st, _, e = call(server, "/api/logs", text, ctype="text/csv")
    assert st == 400, e
    assert e["error"]["line"] == line and e["error"]["column"] == column, e
    assert e["error"]["message"]
    # The library says the same.
    with pytest.raises(gb.SpendLogError) as ex:
        gb.read_spend_logs(text)
    assert (ex.value.line, ex.value.column) == (line, column)


def test_bad_bytes_and_empty_files(server):
    st, _, e = call(server, "/api/logs", b"placement,day\nx,\xff\xfe\n", ctype="text/csv")
    assert st == 400 and e["error"]["line"] == 2 and "UTF-8" in e["error"]["message"]
    st, _, e = call(server, "/api/logs", b"", ctype="text/csv")
    assert st == 400 and e["error"]["line"] == 1
    st, _, e = call(server, "/api/logs", b"  \n\n", ctype="text/csv")
    assert st == 400


def test_request_size_limits(server):
    big = b"placement,day,spend,installs,logins,retained\n" + b"a,1,1,1,1,1\n" * 100000
    assert len(big) > server.max_upload
    host, port = server.server_address[:2]
    st, body = raw_request(server, "POST", "/api/logs",
                           {"Host": f"{host}:{port}", "Content-Type": "text/csv",
                            "Content-Length": str(len(big))})   # the body is never sent
    assert st == 413 and json.loads(body)["error"]["limit"] == server.max_upload
    st, _, e = call(server, "/api/allocate", b'{"model": "' + b"x" * (console.MAX_JSON_BYTES + 1) + b'"}')
    assert st == 413
    st, body = raw_request(server, "POST", "/api/allocate", {"Host": f"{host}:{port}",
                                                             "Content-Type": "application/json"})
    assert st == 411
    st, body = raw_request(server, "POST", "/api/allocate",
                           {"Host": f"{host}:{port}", "Content-Type": "application/json",
                            "Transfer-Encoding": "chunked"}, b"0\r\n\r\n")
    assert st == 411
    st, _, e = call(server, "/api/allocate", {"model": "x", "budget": 1}, ctype="text/plain")
    assert st == 415


# ---- allocation ----------------------------------------------------------------------------

BUDGETS = [0.0, 1.0, 2500.0, 9000.0, 17000.0, 33333.25]


@pytest.mark.parametrize("budget", BUDGETS)
def test_allocate_equals_the_library(server, demo, direct, budget):
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": budget})
    assert st == 200, a
    plan = direct.allocate(budget)
    np.testing.assert_allclose(a["spend"], plan.spend, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(a["placement_outcomes"], plan.outcomes, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(a["totals"], plan.totals, rtol=1e-12, atol=1e-9)
    assert a["objective"] == pytest.approx(plan.objective, rel=1e-12, abs=1e-9)
    assert a["marginal"] == pytest.approx(plan.marginal, rel=1e-12, abs=1e-12)
    assert a["warnings"] == [str(w) for w in plan.warnings]
    assert sum(a["spend"]) <= budget * (1 + 1e-9) + 1e-9


def test_huge_budget_is_answered_with_warnings(server, demo, direct):
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": console.MAX_BUDGET})
    assert st == 200, a
    assert a["warnings"] and all(np.isfinite(a["totals"]))
    plan = direct.allocate(console.MAX_BUDGET)
    np.testing.assert_allclose(a["totals"], plan.totals, rtol=1e-12)


def test_platform_budgets(server, demo, direct):
    assert demo[1]["platforms"] and demo[1]["placement_platforms"] == list(
        gb.read_spend_logs(demo[0]).placement_platform)
    pb = {demo[1]["platforms"][0]: 5000.0}
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": 30000, "platform_budgets": pb})
    assert st == 200, a
    plan = direct.allocate(30000.0, platform_budgets=pb)
    np.testing.assert_allclose(a["spend"], plan.spend, rtol=1e-12, atol=1e-9)
    on = [i for i, p in enumerate(demo[1]["placement_platforms"]) if p == demo[1]["platforms"][0]]
    assert sum(a["spend"][i] for i in on) <= 5000 * (1 + 1e-9)


def test_constraints_the_budget_cannot_meet(server, demo, direct):
    m = demo[1]["model"]
    st, _, e = call(server, "/api/allocate", {"model": m, "budget": 40000, "min_login_rate": 0.99})
    assert st == 422 and "cannot be met" in e["error"]["message"], e
    with pytest.raises(gb.InvalidArgument):
        direct.allocate(40000.0, min_login_rate=0.99)
    P = len(demo[1]["placements"])
    st, _, e = call(server, "/api/allocate", {"model": m, "budget": 1000, "min_spend": [500.0] * P})
    assert st == 422 and "min_spend" in e["error"]["message"], e
    # The curve has gaps where the minimums exceed the budget, and the library's numbers elsewhere.
    budgets = [0.0, 1000.0, 2000.0, 3000.0, 10000.0]
    st, _, c = call(server, "/api/curve", {"model": m, "budgets": budgets, "min_spend": [500.0] * P})
    assert st == 200, c
    assert c["totals"][0] == [None] * 3 and c["totals"][1] == [None] * 3 and c["marginal"][1] is None
    assert c["infeasible"][0]["budget"] == 0.0 and "min_spend" in c["infeasible"][0]["message"]
    for i in (3, 4):
        plan = direct.allocate(budgets[i], min_spend=np.full(P, 500.0))
        np.testing.assert_allclose(c["totals"][i], plan.totals, rtol=1e-12)
    st, _, c = call(server, "/api/curve", {"model": m, "budgets": budgets})
    assert st == 200 and c["infeasible"] == []


def test_options_are_passed_to_the_library(server, demo, direct):
    kw = dict(weights=[0.2, 1.0, 3.0], min_login_rate=0.5)
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": 8000, **kw})
    assert st == 200, a
    plan = direct.allocate(8000.0, weights=tuple(kw["weights"]), min_login_rate=0.5)
    np.testing.assert_allclose(a["spend"], plan.spend, rtol=1e-12, atol=1e-9)
    assert a["objective"] == pytest.approx(plan.objective, rel=1e-12)
    P = len(demo[1]["placements"])
    lo, hi = [100.0] * P, [3000.0] * P
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": 8000,
                                              "min_spend": lo, "max_spend": hi})
    assert st == 200, a
    plan = direct.allocate(8000.0, min_spend=np.array(lo), max_spend=np.array(hi))
    np.testing.assert_allclose(a["spend"], plan.spend, rtol=1e-12, atol=1e-9)
    assert min(a["spend"]) >= 100 - 1e-9 and max(a["spend"]) <= 3000 + 1e-9


def test_curve_equals_the_library(server, demo, direct):
    budgets = [0.0, 1000.0, 5000.0, 20000.0, 40000.0]
    st, _, c = call(server, "/api/curve", {"model": demo[1]["model"], "budgets": budgets})
    assert st == 200, c
    ref = direct.curve(np.array(budgets))
    np.testing.assert_allclose(c["totals"], ref.totals, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(c["marginal"], ref.marginal, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c["spend"], ref.spend, rtol=1e-12, atol=1e-9)
    st, _, c = call(server, "/api/curve", {"model": demo[1]["model"], "points": 11, "max": 20000})
    assert st == 200 and c["budgets"] == pytest.approx(np.linspace(0, 20000, 11).tolist())
    # Each point of the curve is one allocation.
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": 6000.0})
    np.testing.assert_allclose(c["totals"][3], a["totals"], rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("body,status,word", [
    (b'{"model": "M", "budget": NaN}', 400, "number JSON allows"),
    (b'{"model": "M", "budget": Infinity}', 400, "number JSON allows"),
    (b'{"model": "M", "budget": -1}', 400, "budget must be in"),
    (b'{"model": "M", "budget": 1e300}', 400, "budget must be in"),
    (b'{"model": "M", "budget": 1e400}', 400, "finite"),   # json reads it as inf
    (b'{"model": "M", "budget": "100"}', 400, "must be a number"),
    (b'{"model": "M", "budget": true}', 400, "must be a number"),
    (b'{"model": "M", "budget": null}', 400, "must be a number"),
    (b'{"model": "M"}', 400, "budget is missing"),
    (b'{"model": "nope", "budget": 1}', 404, "unknown model"),
    (b'{"model": 5, "budget": 1}', 400, "model must be"),
    (b'{"model": "M", "budget": 1, "weights": [0, 0, 0]}', 400, "weight"),
    (b'{"model": "M", "budget": 1, "weights": [1, 2]}', 400, "weights"),
    (b'{"model": "M", "budget": 1, "weights": [1, -1, 0]}', 400, "weights"),
    (b'{"model": "M", "budget": 1, "min_login_rate": 1.5}', 400, "min_login_rate"),
    (b'{"model": "M", "budget": 1, "min_spend": [1]}', 400, "min_spend"),
    (b'{"model": "M", "budget": 1, "max_spend": [1, 2, 3, 4, -5]}', 400, "max_spend"),
    (b'{"model": "M", "budget": 1, "platform_budgets": {"tv": 3}}', 400, "platform"),
    (b'{"model": "M", "budget": 1, "evil": 1}', 400, "unknown field"),
    (b'[1, 2]', 400, "JSON object"),
    (b'{"model": ', 400, "not JSON"),
    (b'\xff\xfe', 400, "not JSON"),
])
def test_allocate_refuses_bad_input(server, demo, body, status, word):
    body = body.replace(b'"M"', json.dumps(demo[1]["model"]).encode())
    st, _, e = call(server, "/api/allocate", body)
    assert st == status, e
    assert word in e["error"]["message"], e


@pytest.mark.parametrize("extra,word", [
    ({"budgets": []}, "budgets must be a list"),
    ({"budgets": [1.0] * (console.MAX_CURVE_POINTS + 1)}, "budgets must be a list"),
    ({"budgets": [5.0, 1.0]}, "increasing"),
    ({"budgets": [1.0, -1.0]}, "budgets must be in"),
    ({"points": 1}, "points"),
    ({"points": 10 ** 6}, "points"),
    ({"points": 2.5}, "points"),
    ({"max": -3}, "max"),
])
def test_curve_refuses_bad_input(server, demo, extra, word):
    st, _, e = call(server, "/api/curve", {"model": demo[1]["model"], **extra})
    assert st == 400 and word in e["error"]["message"], e


def test_server_keeps_serving_after_errors(server, demo):
    for _ in range(3):
        call(server, "/api/allocate", b"{")
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": 100})
    assert st == 200


# ---- the command line --------------------------------------------------------------------------

@pytest.mark.skipif(not console_cli.fit_supported(), reason="this growth CLI has no `budget channels --fit` yet")
@pytest.mark.parametrize("budget", [2500.0, 44800.0, 123456.75])
def test_allocate_equals_the_cli(server, demo, budget, tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text(demo[0])
    cli = console_cli.split(path, budget)
    st, _, a = call(server, "/api/allocate", {"model": demo[1]["model"], "budget": budget})
    assert st == 200 and sorted(cli) == sorted(a["placements"])
    for i, p in enumerate(a["placements"]):   # the CLI prints 2 decimals
        assert cli[p]["spend"] == pytest.approx(a["spend"][i], rel=1e-6, abs=0.006)
        for j, o in enumerate(a["outcomes"]):
            assert cli[p][o] == pytest.approx(a["placement_outcomes"][i][j], rel=1e-6, abs=0.006)


def test_cli_table_parser():
    out = """logs.csv: 3 rows
placement            outcome   family            a            b       r2

placement            platform            spend     installs       logins     retained
feed_ios             ios              10266.35      3581.20      2217.80      1109.60
search                                  378.89       134.56        95.36        51.22
total                                 10645.24      3715.76      2313.16      1160.82
"""
    rows = console_cli.parse_split(out)
    assert rows == {"feed_ios": dict(spend=10266.35, installs=3581.2, logins=2217.8, retained=1109.6),
                    "search": dict(spend=378.89, installs=134.56, logins=95.36, retained=51.22)}
    assert console_cli.parse_split("placement,spend,installs,logins,retained\na,1,2,3,4\n") == {
        "a": dict(spend=1.0, installs=2.0, logins=3.0, retained=4.0)}


def test_module_entry_point(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "bindings", "python") + os.pathsep + env.get("PYTHONPATH", "")
    log = tmp_path / "logs.csv"
    log.write_text(console.demo_log_csv())
    p = subprocess.Popen([sys.executable, "-m", "growth.console", "--port", "0", "--quiet", "--log", str(log)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stdout.readline()
        m = re.search(r"serving on (http://127\.0\.0\.1:\d+/)", line)
        assert m, line + p.stderr.read()
        with urllib.request.urlopen(m.group(1) + "api/session", timeout=60) as r:
            s = json.load(r)
        assert s["source"] == "logs.csv" and s["placements"] == list(gb.read_spend_logs(str(log)).placements)
    finally:
        p.terminate()
        p.wait(timeout=30)
        p.stdout.close()
        p.stderr.close()


def test_non_local_host_warns(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "bindings", "python") + os.pathsep + env.get("PYTHONPATH", "")
    # A bad --log stops it before it serves anything; the warning comes first.
    bad = tmp_path / "bad.csv"
    bad.write_text("placement,day,spend,installs,logins,retained\na,1,x,1,1,1\n")
    r = subprocess.run([sys.executable, "-m", "growth.console", "--host", "0.0.0.0", "--port", "0",
                        "--log", str(bad)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1
    assert "WARNING" in r.stderr and "no authentication" in r.stderr
    assert "line 2" in r.stderr and "spend" in r.stderr
    r = subprocess.run([sys.executable, "-m", "growth.console", "--port", "70000"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2


@pytest.mark.skipif(not os.path.exists(CLI), reason="the growth CLI is not built")
def test_cli_console_runs_the_module():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "bindings", "python") + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([CLI, "console", "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "usage: growth console" in r.stdout and "--host" in r.stdout


def test_make_server_checks_its_arguments():
    with pytest.raises(ValueError):
        console.make_server(port=0, max_upload=0)
    with pytest.raises(gb.SpendLogError):
        console.make_server(port=0, log=os.path.join(ROOT, "README.md"))
