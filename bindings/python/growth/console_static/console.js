// The budget console's page: asks the server (growth.console, which calls growth.budget) and
// draws the answers. It computes nothing itself. body[data-state] tells tests what it shows:
// empty | loading | error | ready; body[data-budget] is the budget of the split on screen,
// body[data-model] the key of the fitted model.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const OUTCOMES = ["installs", "logins", "retained"];
  const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"];
  let model = null;        // summary from /api/logs or /api/demo
  let plot = null;         // uPlot instance
  let curve = null;        // last /api/curve answer
  let seq = 0;             // allocate requests sent; answers older than the newest drawn are dropped
  let drawnSeq = 0;
  let curveSeq = 0;
  let pending = null;      // budget waiting for the next animation frame
  let limits = { max_upload: Infinity };   // from /api/session

  const fmt = (v, digits) => (v === null || v === undefined) ? "n/a"
    : Number(v).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

  function setState(s) { document.body.dataset.state = s; }

  function showError(err) {
    const box = $("error");
    const where = [];
    if (err && err.line) where.push("line " + err.line);
    if (err && err.column) where.push("column " + err.column);
    $("error-where").textContent = where.length ? where.join(", ") + ":" : "";
    $("error-message").textContent = (err && err.message) || String(err);
    box.dataset.line = (err && err.line) || "";
    box.dataset.column = (err && err.column) || "";
    box.hidden = false;
  }

  function clearError() { $("error").hidden = true; }

  async function api(method, path, body, ctype) {
    const opts = { method: method, headers: {} };
    if (body !== undefined) {
      opts.body = body;
      opts.headers["Content-Type"] = ctype || "application/json";
    }
    const r = await fetch(path, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = { error: { message: "HTTP " + r.status } }; }
    if (!r.ok) throw (data && data.error) || { message: "HTTP " + r.status };
    return data;
  }

  function options() {
    const num = (id) => {
      const s = $(id).value.trim();
      if (s === "") return null;
      const v = Number(s);
      return Number.isFinite(v) ? v : NaN;
    };
    const o = { weights: [num("w-installs") ?? 0, num("w-logins") ?? 0, num("w-retained") ?? 0] };
    const lr = num("min-login-rate"), rr = num("min-retention-rate");
    if (lr !== null) o.min_login_rate = lr;
    if (rr !== null) o.min_retention_rate = rr;
    const pb = {};
    let anyPb = false;
    for (const el of document.querySelectorAll("#platform-budgets input")) {
      const s = el.value.trim();
      if (s === "") continue;
      const v = Number(s);
      if (!Number.isFinite(v)) throw { message: "the platform budgets must be numbers" };
      pb[el.dataset.platform] = v;
      anyPb = true;
    }
    if (anyPb) o.platform_budgets = pb;
    for (const v of o.weights.concat([lr, rr])) {
      if (Number.isNaN(v)) throw { message: "the objective and constraints must be numbers" };
    }
    return o;
  }

  // ---- loading a log

  async function loaded(summary) {
    model = summary;
    document.body.dataset.model = summary.model;
    clearError();
    $("source").textContent = summary.source + ": " + summary.n_rows + " rows, " +
      summary.placements.length + " placements";
    const b = summary.budget;
    const slider = $("budget-slider");
    slider.min = b.min; slider.max = b.max; slider.step = b.step;
    $("budget-input").step = "any";
    $("budget-note").textContent = "logs cover up to " + fmt(b.logged_max, 0) + " a day in total";
    const pbox = $("platform-budgets");
    pbox.replaceChildren(...(summary.platforms || []).map((p) => {
      const label = document.createElement("label");
      label.textContent = "budget " + p + " ";
      const input = document.createElement("input");
      input.type = "number"; input.min = "0"; input.step = "any"; input.placeholder = "none";
      input.dataset.platform = p;
      input.addEventListener("change", optionsChanged);
      label.appendChild(input);
      return label;
    }));
    $("controls").hidden = false;
    $("results").hidden = false;
    setBudget(b.default, true);
    await refreshCurve();
  }

  async function loadFile(file) {
    if (file.size > limits.max_upload) {
      // The server would refuse it without reading it; say so here instead of a broken upload.
      showError({ message: file.name + " is " + file.size + " bytes; the console accepts at most " +
                  limits.max_upload + " (growth console --max-upload)" });
      setState("error");
      return;
    }
    setState("loading");
    try {
      const text = await file.arrayBuffer();
      const s = await fetch("/api/logs", { method: "POST", body: text,
        headers: { "Content-Type": "text/csv", "X-File-Name": encodeURIComponent(file.name) } });
      const data = await s.json().catch(() => ({ error: { message: "HTTP " + s.status } }));
      if (!s.ok) throw data.error;
      await loaded(data);
    } catch (e) {
      showError(e);
      setState("error");
    }
  }

  async function loadDemo() {
    setState("loading");
    try { await loaded(await api("GET", "/api/demo")); }
    catch (e) { showError(e); setState("error"); }
  }

  // ---- the budget

  function setBudget(v, fromCode) {
    const slider = $("budget-slider");
    if (fromCode || Number(slider.value) !== v) slider.value = String(v);
    if (fromCode) $("budget-input").value = String(v);
    request(v);
  }

  function request(v) {
    pending = v;
    window.requestAnimationFrame(() => {
      if (pending === null) return;
      const b = pending;
      pending = null;
      allocate(b);
    });
  }

  async function allocate(budget) {
    if (!model) return;
    const mine = ++seq;
    document.body.dataset.pending = String(budget);
    try {
      const body = Object.assign({ model: model.model, budget: budget }, options());
      const plan = await api("POST", "/api/allocate", JSON.stringify(body));
      if (mine < drawnSeq) return;       // a newer answer is already on screen
      drawnSeq = mine;
      clearError();
      draw(plan);
      document.body.dataset.budget = String(plan.budget);
      setState("ready");
    } catch (e) {
      if (mine < drawnSeq) return;
      drawnSeq = mine;
      showError(e);
      setState("error");
    }
  }

  function draw(plan) {
    const set = (id, v, digits) => { const el = $(id); el.textContent = fmt(v, digits); el.dataset.value = v; };
    set("total-installs", plan.totals[0], 1);
    set("total-logins", plan.totals[1], 1);
    set("total-retained", plan.totals[2], 1);
    set("objective", plan.objective, 1);
    set("marginal", plan.marginal, 4);
    const ul = $("warnings");
    ul.replaceChildren(...plan.warnings.map((w) => { const li = document.createElement("li"); li.textContent = w; return li; }));
    const tb = document.querySelector("#split tbody");
    const total = plan.spend.reduce((a, b) => a + b, 0);
    const rows = plan.placements.map((p, i) => {
      const tr = document.createElement("tr");
      tr.dataset.placement = p;
      const cell = (v, digits, cls) => {
        const td = document.createElement("td");
        td.textContent = typeof v === "string" ? v : fmt(v, digits);
        if (typeof v !== "string") td.dataset.value = v;
        if (cls) td.className = cls;
        return td;
      };
      const pp = model.placement_platforms;
      tr.appendChild(cell(pp && pp[i] ? p + " (" + pp[i] + ")" : p));
      tr.appendChild(cell(plan.spend[i], 2, "spend"));
      const bar = document.createElement("td");
      const div = document.createElement("div");
      div.className = "bar";
      div.style.width = (total > 0 ? 100 * plan.spend[i] / total : 0).toFixed(1) + "%";
      bar.appendChild(div);
      tr.appendChild(bar);
      OUTCOMES.forEach((o, j) => tr.appendChild(cell(plan.placement_outcomes[i][j], 1, o)));
      const f = model.fits[i] && model.fits[i].installs;
      tr.appendChild(cell(f ? f.family + (f.r2 === null ? "" : ", R\u00b2 " + fmt(f.r2, 3)) : ""));
      const r = model.spend_ranges[i];
      tr.appendChild(cell(fmt(r[0], 0) + " \u2013 " + fmt(r[1], 0)));
      return tr;
    });
    tb.replaceChildren(...rows);
    marker(plan.budget);
  }

  // ---- the curve

  async function refreshCurve() {
    if (!model) return;
    const mine = ++curveSeq;
    try {
      const o = options();
      // A rate constraint makes each budget slower to solve: fewer points then.
      const points = (o.min_login_rate !== undefined || o.min_retention_rate !== undefined) ? 41 : 81;
      const body = Object.assign({ model: model.model, points: points, max: model.budget.max }, o);
      const c = await api("POST", "/api/curve", JSON.stringify(body));
      if (mine !== curveSeq) return;
      curve = c;
      const note = $("curve-note");
      note.hidden = !c.infeasible.length;
      note.textContent = c.infeasible.length ? "No plan meets the constraints at some budgets (gaps in the " +
        "curve), e.g. " + fmt(c.infeasible[0].budget, 0) + ": " +
        c.infeasible.map((x) => x.message).join("; ") : "";
      chart();
    } catch (e) {
      if (mine === curveSeq) showError(e);
    }
  }

  function chart() {
    const el = $("chart");
    const data = [curve.budgets].concat(OUTCOMES.map((_, j) => curve.totals.map((t) => t[j]))).concat([curve.marginal]);
    const width = Math.max(320, el.clientWidth || 800);
    const opts = {
      width: width, height: 300,
      scales: { x: { time: false }, m: {} },
      axes: [{ label: "daily budget" }, { label: "per day", size: 70 },
             { scale: "m", side: 1, label: "marginal", size: 60, grid: { show: false } }],
      series: [{ label: "budget" }]
        .concat(OUTCOMES.map((o, j) => ({ label: o, stroke: COLORS[j], width: 2 })))
        .concat([{ label: "marginal", scale: "m", stroke: COLORS[3], dash: [4, 4], points: { show: false } }]),
      hooks: { draw: [drawMarker] },
    };
    if (plot) plot.destroy();
    if (typeof uPlot === "undefined") { el.textContent = "(the chart library did not load)"; return; }
    plot = new uPlot(opts, data, el);
  }

  let markerAt = null;
  function marker(b) { markerAt = b; if (plot) plot.redraw(false, false); }

  function drawMarker(u) {
    if (markerAt === null) return;
    const x = Math.round(u.valToPos(markerAt, "x", true));
    const ctx = u.ctx;
    ctx.save();
    ctx.setLineDash([]);
    ctx.strokeStyle = "#c00";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  // ---- wiring

  // The split first, then the curve (the curve can be slow when a constraint is hard to meet).
  async function optionsChanged() {
    await allocate(Number($("budget-input").value));
    refreshCurve();
  }

  function init() {
    $("log-file").addEventListener("change", (ev) => { const f = ev.target.files[0]; if (f) loadFile(f); });
    $("demo-button").addEventListener("click", loadDemo);
    $("budget-slider").addEventListener("input", (ev) => {
      const v = Number(ev.target.value);
      $("budget-input").value = String(v);
      setBudget(v, false);
    });
    $("budget-input").addEventListener("input", (ev) => {
      const s = ev.target.value.trim();
      const v = Number(s);
      if (s === "" || !Number.isFinite(v) || v < 0) {
        showError({ message: "the budget must be a number >= 0" });
        setState("error");
        return;
      }
      // Beyond the slider's end the slider stays at its end; the server still answers (or says why not).
      $("budget-slider").value = String(Math.min(v, Number($("budget-slider").max)));
      setBudget(v, false);
    });
    for (const id of ["w-installs", "w-logins", "w-retained", "min-login-rate", "min-retention-rate"]) {
      $(id).addEventListener("change", optionsChanged);
    }
    window.addEventListener("resize", () => { if (curve) chart(); });
    api("GET", "/api/session").then((s) => {
      if (s.limits) limits = s.limits;
      document.body.dataset.maxUpload = String(limits.max_upload);
      if (s.model) loaded(s);
    }).catch(() => {});
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
