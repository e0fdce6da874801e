"""The budget console in a real headless browser (Debian's chromium + chromium-driver, driven by
python3-selenium): load the page, upload a log, move the slider and type a budget, read the
numbers from the page and compare them with the API's, growth.budget's and the CLI's.

Skips only when chromium, chromedriver or selenium is not installed (scripts/setup-debian installs
them, so CI runs it). GROWTH_CONSOLE_SCREENSHOT=PATH saves a screenshot of the page (docs/console.png
is made this way)."""
import json
import os
import shutil
import threading
import urllib.request

import numpy as np
import pytest

import growth.budget as gb
from growth import console

import console_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:   # pragma: no cover - depends on the machine
    webdriver = None

# (pytestmark, not a module-level skip: a module with no tests collected fails under meson)
pytestmark = [
    pytest.mark.skipif(webdriver is None or not CHROMIUM or not CHROMEDRIVER,
                       reason="the headless browser test needs Debian's chromium, chromium-driver and "
                              f"python3-selenium (found chromium={CHROMIUM}, chromedriver={CHROMEDRIVER}, "
                              f"selenium={webdriver is not None})"),
    pytest.mark.skipif(not hasattr(gb, "fit_response_curves"),
                       reason="growth.budget.fit_response_curves is not in this tree yet"),
]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAIT = 60   # seconds; a loaded CI machine is slow, nothing here measures time


@pytest.fixture(scope="module")
def server():
    srv = console.make_server("127.0.0.1", 0, quiet=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1100,1000", "--force-device-scale-factor=1", "--lang=en-US",
              "--no-first-run", "--disable-background-networking", "--disable-extensions",
              "--disable-component-update", "--disable-sync",
              "--user-data-dir=" + str(tmp_path_factory.mktemp("chromium-profile"))):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The browser runs without the sanitizer runtime a Python test under ASan preloads.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    d = webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=opts)
    d.set_page_load_timeout(WAIT)
    yield d
    d.quit()


def post(srv, path, obj):
    req = urllib.request.Request(srv.url + path.lstrip("/"), data=json.dumps(obj).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return json.load(r)


def state(d):
    return d.execute_script("return [document.body.dataset.state, document.body.dataset.budget];")


def wait_for_budget(d, budget):
    """Waits until the page shows the split of `budget`; returns what it shows."""
    WebDriverWait(d, WAIT).until(lambda d: state(d) == ["ready", repr_js(budget)],
                                 message=f"the page never showed budget {budget}: {state(d)}")
    return read_page(d)


def repr_js(x):
    """String(x) in JavaScript for a float that is a whole number or a short decimal."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def read_page(d):
    """The numbers on screen, from the cells' data-value (full precision) and text (rounded)."""
    return d.execute_script("""
        const v = (id) => Number(document.getElementById(id).dataset.value);
        const t = (id) => document.getElementById(id).textContent;
        const rows = [...document.querySelectorAll('#split tbody tr')].map((tr) => ({
            placement: tr.dataset.placement,
            spend: Number(tr.querySelector('td.spend').dataset.value),
            spend_text: tr.querySelector('td.spend').textContent,
            outcomes: ['installs', 'logins', 'retained'].map((o) => Number(tr.querySelector('td.' + o).dataset.value)),
        }));
        return {totals: [v('total-installs'), v('total-logins'), v('total-retained')],
                totals_text: [t('total-installs'), t('total-logins'), t('total-retained')],
                objective: v('objective'), marginal: v('marginal'), marginal_text: t('marginal'),
                rows: rows, budget: Number(document.body.dataset.budget),
                warnings: [...document.querySelectorAll('#warnings li')].map((li) => li.textContent),
                chart: document.querySelectorAll('#chart canvas').length};
    """)


def same_as_api(page, api):
    assert [r["placement"] for r in page["rows"]] == api["placements"]
    np.testing.assert_allclose([r["spend"] for r in page["rows"]], api["spend"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose([r["outcomes"] for r in page["rows"]], api["placement_outcomes"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(page["totals"], api["totals"], rtol=1e-12, atol=1e-9)
    assert page["objective"] == pytest.approx(api["objective"], rel=1e-12, abs=1e-9)
    assert page["marginal"] == pytest.approx(api["marginal"], rel=1e-12, abs=1e-12)
    assert page["warnings"] == api["warnings"]
    # The text shows the same numbers, rounded.
    for text, v in zip(page["totals_text"], api["totals"]):
        assert float(text.replace(",", "")) == pytest.approx(v, abs=0.051)
    for r, s in zip(page["rows"], api["spend"]):
        assert float(r["spend_text"].replace(",", "")) == pytest.approx(s, abs=0.0051)


def test_page_in_headless_chromium(server, browser, tmp_path):
    d = browser
    d.get(server.url)
    WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return typeof uPlot") == "function")
    assert state(d)[0] == "empty"

    # A bad log: the line and the column are on the page.
    bad = tmp_path / "bad.csv"
    lines = console.demo_log_csv().splitlines()
    f = lines[5].split(",")
    f[lines[0].split(",").index("spend")] = "12x"
    lines[5] = ",".join(f)
    bad.write_text("\n".join(lines) + "\n")
    d.find_element(By.ID, "log-file").send_keys(str(bad))
    WebDriverWait(d, WAIT).until(lambda d: state(d)[0] == "error")
    err = d.find_element(By.ID, "error")
    assert err.is_displayed()
    assert "line 6" in err.text and "column spend" in err.text, err.text
    assert err.get_attribute("data-line") == "6" and err.get_attribute("data-column") == "spend"

    # The demo log, as a file the operator picks.
    log = tmp_path / "spend.csv"
    log.write_text(console.demo_log_csv())
    d.find_element(By.ID, "log-file").send_keys(str(log))
    WebDriverWait(d, WAIT).until(lambda d: state(d)[0] == "ready")
    assert not d.find_element(By.ID, "error").is_displayed()
    summary = post_summary(server, log)
    default = summary["budget"]["default"]
    page = wait_for_budget(d, default)
    WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return document.querySelectorAll('#chart canvas').length") > 0)
    model = model_key(d, server)
    api = post(server, "/api/allocate", {"model": model, "budget": default})
    same_as_api(page, api)

    # The slider: five steps to the right with the keyboard, then a drag.
    slider = d.find_element(By.ID, "budget-slider")
    step = float(slider.get_attribute("step"))
    slider.send_keys(*([Keys.ARROW_RIGHT] * 5))
    moved = float(d.execute_script("return document.getElementById('budget-slider').value"))
    assert moved == pytest.approx(default + 5 * step)
    page = wait_for_budget(d, moved)
    assert float(d.find_element(By.ID, "budget-input").get_attribute("value")) == moved
    same_as_api(page, post(server, "/api/allocate", {"model": model, "budget": moved}))

    from selenium.webdriver.common.action_chains import ActionChains
    w = slider.size["width"]
    ActionChains(d).click_and_hold(slider).move_by_offset(-w // 4, 0).release().perform()
    dragged = float(d.execute_script("return document.getElementById('budget-slider').value"))
    # Pressed at the middle of the track, let go a quarter of the track to the left.
    top = float(slider.get_attribute("max"))
    assert dragged != moved and dragged == pytest.approx(top / 4, abs=0.1 * top)
    page = wait_for_budget(d, dragged)
    same_as_api(page, post(server, "/api/allocate", {"model": model, "budget": dragged}))

    # A typed budget, beyond the logged spend: the library's extrapolation warning shows.
    for typed in (12345.5, 3 * summary["budget"]["logged_max"]):
        box = d.find_element(By.ID, "budget-input")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(repr(typed) if not float(typed).is_integer() else str(int(typed)))
        page = wait_for_budget(d, typed)
        api = post(server, "/api/allocate", {"model": model, "budget": typed})
        same_as_api(page, api)
        direct = gb.fit_response_curves(gb.read_spend_logs(str(log))).allocate(typed)
        np.testing.assert_allclose([r["spend"] for r in page["rows"]], direct.spend, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(page["totals"], direct.totals, rtol=1e-12, atol=1e-9)
        cli = console_cli.split(log, typed)   # None while the CLI has no --fit
        if cli is not None:
            for r in page["rows"]:   # the CLI prints 2 decimals
                assert cli[r["placement"]]["spend"] == pytest.approx(r["spend"], rel=1e-6, abs=0.006)
                for j, o in enumerate(("installs", "logins", "retained")):
                    assert cli[r["placement"]][o] == pytest.approx(r["outcomes"][j], rel=1e-6, abs=0.006)
    assert page["warnings"], "a budget 3x the logged spend gives no extrapolation warning"

    # A bad typed budget: the page says so and keeps the last split.
    box = d.find_element(By.ID, "budget-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("-5")
    WebDriverWait(d, WAIT).until(lambda d: state(d)[0] == "error")
    assert "budget" in d.find_element(By.ID, "error").text

    # Everything the page fetched came from this server; the console has no errors.
    origins = d.execute_script("return window.performance.getEntriesByType('resource').map(e => e.name)")
    assert origins and all(o.startswith(server.url) for o in origins), origins
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"
              and "favicon" not in e["message"] and "/api/" not in e["message"]]
    assert not severe, severe

    shot = os.environ.get("GROWTH_CONSOLE_SCREENSHOT")
    if shot:
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(str(int(summary["budget"]["default"])))
        wait_for_budget(d, summary["budget"]["default"])
        d.execute_script("document.getElementById('options').open = true;")
        d.set_window_size(1100, d.execute_script("return document.body.scrollHeight") + 140)
        d.save_screenshot(shot)


def test_demo_button(server, browser):
    d = browser
    d.get(server.url)
    WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return typeof uPlot") == "function")
    d.find_element(By.ID, "demo-button").click()
    WebDriverWait(d, WAIT).until(lambda d: state(d)[0] == "ready")
    assert "demo" in d.find_element(By.ID, "source").text
    budget = float(d.execute_script("return document.body.dataset.budget"))
    page = read_page(d)
    same_as_api(page, post(server, "/api/allocate", {"model": model_key(d, server), "budget": budget}))
    # Changing the objective recomputes with the new weights.
    w = d.find_element(By.ID, "w-retained")
    d.execute_script("document.getElementById('options').open = true;")
    w.send_keys(Keys.CONTROL, "a")
    w.send_keys("2", Keys.TAB)
    WebDriverWait(d, WAIT).until(
        lambda d: read_page(d)["objective"] != page["objective"] and state(d)[0] == "ready")
    page2 = read_page(d)
    api = post(server, "/api/allocate", {"model": model_key(d, server), "budget": budget,
                                         "weights": [1, 0, 2]})
    same_as_api(page2, api)

    # A login rate no plan reaches: the page shows the library's reason, then recovers.
    r = d.find_element(By.ID, "min-login-rate")
    r.send_keys("0.99", Keys.TAB)
    WebDriverWait(d, WAIT).until(lambda d: state(d)[0] == "error")
    assert "cannot be met" in d.find_element(By.ID, "error").text
    WebDriverWait(d, WAIT).until(lambda d: d.find_element(By.ID, "curve-note").is_displayed())
    r.send_keys(Keys.CONTROL, "a")
    r.send_keys(Keys.DELETE, Keys.TAB)
    WebDriverWait(d, WAIT).until(lambda d: state(d)[0] == "ready")
    same_as_api(read_page(d), api)


def post_summary(server, log):
    """The summary the server gives for this log (its slider bounds are the page's)."""
    req = urllib.request.Request(server.url + "api/logs", data=log.read_bytes(),
                                 headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return json.load(r)


def model_key(d, server):
    """The key of the fitted model the page shows (body[data-model])."""
    return d.execute_script("return document.body.dataset.model")


def test_oversized_file_is_refused_in_the_page(browser, tmp_path):
    srv = console.make_server("127.0.0.1", 0, quiet=True, max_upload=1000)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        d = browser
        d.get(srv.url)
        WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return typeof uPlot") == "function")
        big = tmp_path / "big.csv"
        big.write_text(console.demo_log_csv())
        WebDriverWait(d, WAIT).until(lambda d: d.execute_script(
            "return document.body.dataset.maxUpload") == "1000")   # the page knows the limit
        d.find_element(By.ID, "log-file").send_keys(str(big))
        WebDriverWait(d, WAIT).until(lambda d: state(d)[0] == "error")
        text = d.find_element(By.ID, "error").text
        assert "at most 1000" in text, text
        with srv._models_lock:
            assert not srv._models   # nothing was uploaded
    finally:
        srv.shutdown()
        srv.server_close()
