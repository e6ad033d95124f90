// Gleitzeit dashboard pages: the runs list and a run (graph, live updates, task panel, actions).
// Rule of this file: every value that comes from a run (names, ids, results, errors, LLM answers) reaches the page only
// through textContent or an attribute set with setAttribute; nothing from the API is ever assigned to innerHTML.
(function () {
  "use strict";
  const base = document.querySelector('meta[name="gleitzeit-base"]').getAttribute("content");
  const app = document.getElementById("app");
  const crumb = document.getElementById("crumb");
  const STATUSES = ["pending", "running", "waiting", "completed", "failed", "cancelled", "interrupted"];
  let live = null; // the EventSource of the run page, closed when leaving it

  // ---------------------------------------------------------------- helpers
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === "on") { for (const ev of Object.keys(v)) e.addEventListener(ev, v[ev]); }
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function badge(status, extra) {
    return el("span", { class: "badge st-" + status, "data-status": status }, extra || status);
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "";
    if (ms < 1000) return Math.round(ms) + " ms";
    const s = ms / 1000;
    if (s < 60) return s.toFixed(1) + " s";
    const m = Math.floor(s / 60);
    return m < 60 ? m + " min " + Math.round(s % 60) + " s" : Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function tokens(n) { return n === null || n === undefined ? "" : Number(n).toLocaleString(); }

  async function api(path, options) {
    const response = await fetch(base + "api/" + path, Object.assign({ headers: { "Accept": "application/json" } }, options || {}));
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const err = new Error(body && body.error ? body.error.message : "HTTP " + response.status);
      err.status = response.status;
      err.hint = body && body.error ? body.error.hint : null;
      throw err;
    }
    return body;
  }

  function errorBox(message, hint) {
    return el("div", { class: "error-box", role: "alert" }, message, hint ? el("div", { class: "hint" }, hint) : null);
  }

  function go(path) {
    history.pushState(null, "", path);
    route();
  }

  function link(path, content) {
    return el("a", { href: path, on: { click: e => { if (!e.ctrlKey && !e.metaKey && e.button === 0) { e.preventDefault(); go(path); } } } }, content);
  }

  function runPath(id) { return base + "runs/" + encodeURIComponent(id); }

  // A JSON value as a collapsible tree; children are built when first opened, so a large result stays cheap.
  function jsonTree(value, depth) {
    depth = depth || 0;
    if (value === null) return el("span", { class: "lit" }, "null");
    if (typeof value === "string") return el("span", { class: "str" }, JSON.stringify(value));
    if (typeof value === "number") return el("span", { class: "num" }, String(value));
    if (typeof value === "boolean") return el("span", { class: "lit" }, String(value));
    const isArray = Array.isArray(value);
    const keys = isArray ? value.map((_, i) => i) : Object.keys(value);
    if (keys.length === 0) return el("span", { class: "lit" }, isArray ? "[]" : "{}");
    const details = el("details", depth < 2 ? { open: true } : null,
      el("summary", null, isArray ? "[" + keys.length + " items]" : "{" + keys.length + " fields}"));
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      for (const k of keys) {
        details.appendChild(el("div", { class: "row" }, el("span", { class: "key" }, isArray ? "[" + k + "] " : JSON.stringify(k) + ": "), jsonTree(value[k], depth + 1)));
      }
    };
    if (depth < 2) build(); else details.addEventListener("toggle", build);
    return details;
  }

  function jsonBlock(value) { return el("div", { class: "json" }, jsonTree(value)); }

  // ---------------------------------------------------------------- runs list
  async function runsPage(params) {
    crumb.textContent = "runs";
    document.title = "Gleitzeit: runs";
    const status = params.get("status") || "";
    const name = params.get("name") || "";
    const after = params.get("after") || "";
    const statusSelect = el("select", { name: "status", "aria-label": "status" }, el("option", { value: "" }, "any status"),
      STATUSES.map(s => el("option", s === status ? { value: s, selected: true } : { value: s }, s)));
    const nameInput = el("input", { name: "name", placeholder: "workflow name (exact)", value: name, "aria-label": "workflow name" });
    const form = el("form", { class: "filters", on: { submit: e => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (statusSelect.value) q.set("status", statusSelect.value);
      if (nameInput.value.trim()) q.set("name", nameInput.value.trim());
      go(base + (q.toString() ? "?" + q : ""));
    } } }, statusSelect, nameInput, el("button", { type: "submit" }, "Filter"),
      el("button", { type: "button", on: { click: () => route() } }, "Refresh"));
    const holder = el("div", null, el("p", { class: "muted" }, "Loading runs\u2026"));
    clear(app);
    app.append(el("h1", null, "Runs"), form, holder);

    const q = new URLSearchParams();
    if (status) q.set("status", status);
    if (name) q.set("name", name);
    if (after) q.set("after", after);
    let page;
    try {
      page = await api("runs" + (q.toString() ? "?" + q : ""));
    } catch (e) {
      clear(holder);
      holder.append(errorBox(e.message, e.hint));
      return;
    }
    clear(holder);
    if (page.runs.length === 0) {
      holder.append(el("p", { class: "muted", id: "no-runs" }, after ? "No older runs." : "No runs yet. Start one with: gleitzeit run FILE"));
    } else {
      const rows = page.runs.map(r => el("tr", { class: "clickable", "data-run-id": r.workflow_id, on: { click: e => { if (e.target.tagName !== "A") go(runPath(r.workflow_id)); } } },
        el("td", { class: "id" }, link(runPath(r.workflow_id), r.workflow_id)),
        el("td", null, r.name),
        el("td", null, badge(r.status)),
        el("td", null, when(r.started_at || r.created_at)),
        el("td", { class: "num" }, duration(r.duration_ms)),
        el("td", { class: "num" }, r.completed_tasks + "/" + r.task_count + (r.failed_tasks ? " (" + r.failed_tasks + " failed)" : "")),
        el("td", { class: "num" }, tokens(r.tokens)),
        el("td", { class: "num cached" }, r.cached_tasks ? String(r.cached_tasks) : "")));
      holder.append(el("table", { id: "runs" },
        el("thead", null, el("tr", null, el("th", null, "run"), el("th", null, "workflow"), el("th", null, "status"), el("th", null, "started"),
          el("th", { class: "num" }, "duration"), el("th", { class: "num" }, "tasks done"), el("th", { class: "num" }, "tokens"), el("th", { class: "num" }, "cached"))),
        el("tbody", null, rows)));
    }
    const pager = el("div", { class: "pager" });
    if (after) pager.append(el("button", { type: "button", on: { click: () => history.back() } }, "\u2190 Newer"));
    if (page.next) {
      const nq = new URLSearchParams(q);
      nq.set("after", page.next);
      pager.append(el("button", { type: "button", id: "older", on: { click: () => go(base + "?" + nq) } }, "Older \u2192"));
    }
    holder.append(pager);
  }

  // ---------------------------------------------------------------- run page
  function runPage(id) {
    crumb.textContent = "run " + id;
    document.title = "Gleitzeit: " + id;
    const state = { id, doc: null, graph: null, selected: null, panelTask: null };
    const head = el("div", { id: "run-head" }, el("p", { class: "muted" }, "Loading run\u2026"));
    const graphSvg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    graphSvg.setAttribute("class", "dag");
    graphSvg.setAttribute("id", "graph");
    graphSvg.setAttribute("role", "img");
    graphSvg.setAttribute("aria-label", "task graph");
    const legend = el("div", { class: "legend" }, ["pending", "queued", "running", "retrying", "waiting", "completed", "failed", "skipped", "cancelled"].map(s => badge(s)),
      el("span", null, "dashed grey: skipped by a condition"));
    const taskTable = el("div", { id: "task-list" });
    const panel = el("aside", { class: "panel", id: "task-panel", hidden: true });
    const layoutBox = el("div", { class: "layout" }, el("div", null, el("div", { class: "graph-wrap" }, graphSvg), legend, el("h2", null, "Tasks"), taskTable), panel);
    clear(app);
    app.append(head, layoutBox);

    const select = taskId => {
      state.selected = taskId;
      if (state.graph) state.graph.select(taskId);
      openPanel(state, panel, layoutBox, taskId);
    };

    const draw = doc => {
      state.doc = doc;
      renderHead(state, head);
      state.graph = window.GleitzeitGraph.render(graphSvg, doc, select);
      if (state.selected) state.graph.select(state.selected);
      renderTaskList(doc, taskTable, select);
    };

    const applyUpdate = upd => {
      const doc = state.doc;
      Object.assign(doc, upd.run);
      let relayout = false;
      for (const n of upd.nodes) {
        const i = doc.nodes.findIndex(x => x.id === n.id);
        if (i < 0) { relayout = true; continue; }
        doc.nodes[i] = Object.assign({}, doc.nodes[i], n);
        if (!state.graph.update(doc.nodes[i])) relayout = true;
      }
      if (relayout) draw(doc); else { renderHead(state, head); renderTaskList(doc, taskTable, select); }
      if (state.panelTask && upd.nodes.some(n => n.id === state.panelTask || (n.items && n.items.list.some(i => i.id === state.panelTask)))) {
        openPanel(state, panel, layoutBox, state.panelTask, true);
      }
    };

    live = new EventSource(base + "api/runs/" + encodeURIComponent(id) + "/events");
    live.addEventListener("snapshot", e => draw(JSON.parse(e.data)));
    live.addEventListener("update", e => applyUpdate(JSON.parse(e.data)));
    live.addEventListener("progress", e => {
      const p = JSON.parse(e.data);
      if (p.task_id !== state.panelTask) return;
      const box = panel.querySelector("pre.tokens");
      if (box) box.textContent += p.text;
    });
    live.addEventListener("end", () => { closeLive(); renderHead(state, head); });
    live.addEventListener("error", () => {
      // The stream ended without "end" (server gone) or the run is unknown: say so once, instead of retrying forever.
      if (!live) return;
      closeLive();
      if (!state.doc) {
        api("runs/" + encodeURIComponent(id) + "/graph").then(draw).catch(err => { clear(head); head.append(errorBox(err.message, err.hint)); });
      } else {
        renderHead(state, head, "Live updates stopped: the connection to the server closed. Reload to reconnect.");
      }
    });
  }

  function closeLive() {
    if (live) { live.close(); live = null; }
  }

  function renderHead(state, head, notice) {
    const d = state.doc;
    clear(head);
    const usage = d.usage || {};
    head.append(
      el("h1", null, d.name, " ", badge(d.status)),
      el("div", { class: "facts" },
        el("span", null, "run ", el("b", { class: "id" }, d.workflow_id)),
        el("span", null, "started ", el("b", null, when(d.started_at || d.created_at))),
        d.completed_at ? el("span", null, "ended ", el("b", null, when(d.completed_at))) : null,
        el("span", null, "duration ", el("b", { id: "run-duration" }, duration(d.duration_ms) || "\u2013")),
        el("span", { class: "usage", id: "run-usage" }, "tokens ", el("b", null, tokens(usage.total_tokens || 0)),
          " (prompt " + tokens(usage.prompt_tokens || 0) + ", completion " + tokens(usage.completion_tokens || 0) + ")"),
        d.cached_tasks ? el("span", { id: "run-cached" }, "cached tasks ", el("b", null, String(d.cached_tasks))) : null,
        d.retry_of ? el("span", { id: "run-retry-of" }, "retry of ", link(runPath(d.retry_of), d.retry_of)) : null,
        live ? el("span", { id: "live" }, el("span", { class: "live-dot" }), "live") : null));
    if (d.error) head.append(errorBox(d.error.name + " (" + d.error.code + "): " + d.error.message, d.error.hint));
    if (notice) head.append(errorBox(notice));
    const actions = el("div", { class: "actions" });
    const act = (label, verb, cls) => el("button", { type: "button", class: cls || null, "data-action": verb, on: { click: async ev => {
      ev.target.disabled = true;
      try {
        await api("runs/" + encodeURIComponent(d.workflow_id) + "/" + verb, { method: "POST" });
        if (!live) route(); // a finished page reconnects to follow the resumed run
      } catch (e) {
        head.append(errorBox(label + " failed: " + e.message, e.hint));
        ev.target.disabled = false;
      }
    } } }, label);
    if (!d.finished) actions.append(act("Cancel run", "cancel", "danger"));
    if (d.status === "interrupted" || d.status === "pending" || (d.status === "failed" && d.error && d.error.code === -26002)) actions.append(act("Resume", "resume"));
    if (d.finished) actions.append(el("button", { type: "button", id: "retry-run", "data-action": "retry", on: { click: ev => retry(d.workflow_id, null, ev.target, head) } }, "Retry"));
    if (actions.childNodes.length) head.append(actions);
    const inputs = d.inputs || {};
    if (Object.keys(inputs).length) head.append(el("details", null, el("summary", null, "inputs"), jsonBlock(inputs)));
    if (d.outputs) head.append(el("h2", null, "Outputs"), jsonBlock(d.outputs));
  }

  // Retries a finished run (from a task, when given) and opens the new run's page.
  async function retry(runId, fromTask, button, errorHolder) {
    button.disabled = true;
    try {
      const started = await api("runs/" + encodeURIComponent(runId) + "/retry", { method: "POST", body: JSON.stringify(fromTask ? { from: fromTask } : {}), headers: { "Content-Type": "application/json" } });
      go(runPath(started.workflow_id));
    } catch (e) {
      errorHolder.append(errorBox("Retry failed: " + e.message, e.hint));
      button.disabled = false;
    }
  }

  function renderTaskList(doc, holder, select) {
    const rows = [];
    for (const n of doc.nodes) {
      rows.push(taskRow(n, select, n.label && n.label !== n.id ? n.label : null));
      if (n.items) for (const item of n.items.list) rows.push(taskRow(item, select, null, true));
    }
    clear(holder);
    holder.append(el("table", { id: "tasks" },
      el("thead", null, el("tr", null, el("th", null, "task"), el("th", null, "status"), el("th", { class: "num" }, "attempts"), el("th", { class: "num" }, "time"), el("th", null, "error"))),
      el("tbody", null, rows)));
  }

  function taskRow(n, select, label, isItem) {
    return el("tr", { class: "clickable", "data-task-id": n.id, "data-status": n.status, on: { click: () => select(n.id) } },
      el("td", { class: "id" }, isItem ? "\u2003\u21b3 " : "", n.id, label ? el("span", { class: "muted" }, " (" + label + ")") : null),
      el("td", null, badge(n.status, n.skip_reason === "condition" ? "skipped (condition)" : n.status)),
      el("td", { class: "num" }, String(n.attempts || 0)),
      el("td", { class: "num" }, duration(n.duration_ms)),
      el("td", null, n.error ? n.error.name + ": " + n.error.message : ""));
  }

  async function openPanel(state, panel, layoutBox, taskId, refresh) {
    state.panelTask = taskId;
    if (!refresh) {
      clear(panel);
      panel.append(el("p", { class: "muted" }, "Loading task\u2026"));
    }
    panel.hidden = false;
    layoutBox.classList.add("with-panel");
    let t;
    try {
      t = await api("runs/" + encodeURIComponent(state.id) + "/tasks/" + encodeURIComponent(taskId));
    } catch (e) {
      clear(panel);
      panel.append(errorBox(e.message, e.hint));
      return;
    }
    if (state.panelTask !== taskId) return;
    const tokensSoFar = panel.querySelector("pre.tokens");
    const streamed = tokensSoFar ? tokensSoFar.textContent : "";
    clear(panel);
    const close = el("button", { type: "button", class: "close", "aria-label": "close", on: { click: () => {
      state.panelTask = null; state.selected = null; panel.hidden = true; layoutBox.classList.remove("with-panel");
      if (state.graph) state.graph.select(null);
    } } }, "\u00d7");
    panel.append(close, el("h2", { id: "panel-title" }, t.task_id));
    const kv = el("dl", { class: "kv" });
    const fact = (k, v) => { if (v !== null && v !== undefined && v !== "") kv.append(el("dt", null, k), el("dd", null, v)); };
    fact("status", badge(t.status));
    fact("name", t.name);
    fact("method", t.method);
    fact("provider", t.provider);
    fact("item of", t.item_of);
    fact("depends on", (t.dependencies || []).join(", "));
    fact("attempts", String(t.attempts));
    fact("started", when(t.started_at));
    fact("ended", when(t.completed_at));
    fact("duration", duration(t.duration_ms));
    panel.append(kv);
    if (state.doc && state.doc.finished && !t.item_of) {
      const again = el("div", { class: "actions" });
      again.append(el("button", { type: "button", id: "retry-from", "data-action": "retry-from", on: { click: ev => retry(state.id, t.task_id, ev.target, panel) } }, "Retry from here"));
      panel.append(again);
    }
    if (t.error) {
      panel.append(el("h2", null, "Error"), errorBox(t.error.name + " (" + t.error.code + "): " + t.error.message, t.error.hint));
      if (t.error.data) panel.append(el("details", null, el("summary", null, "error data"), jsonBlock(t.error.data)));
    }
    if (t.status === "waiting" && t.result && (t.result.awaiting === "approval" || t.result.awaiting === "input")) {
      panel.append(answerBox(state, t));
    }
    if (t.usage) {
      panel.append(el("div", { class: "usage" }, "tokens: " + tokens(t.usage.total_tokens) + " (prompt " + tokens(t.usage.prompt_tokens) + ", completion " + tokens(t.usage.completion_tokens) + ")"));
    }
    if (t.status === "running" || streamed) {
      panel.append(el("h2", null, "Streaming"), el("pre", { class: "tokens", id: "panel-tokens" }, streamed));
    }
    panel.append(el("h2", null, "Result"));
    if (t.result_truncated) {
      panel.append(el("div", { class: "truncated", id: "result-truncated" },
        "The result is " + Number(t.result_size).toLocaleString() + " characters; the beginning is shown. ",
        el("a", { href: t.result_url, download: "" }, "Download the whole result")),
        el("pre", { id: "panel-result" }, t.result_preview));
    } else if (t.result === null || t.result === undefined) {
      panel.append(el("p", { class: "muted", id: "panel-result" }, "no result"));
    } else {
      const block = jsonBlock(t.result);
      block.id = "panel-result";
      panel.append(block, el("a", { href: t.result_url, download: "" }, "download JSON"));
    }
    if (t.method === "workflow/run" && t.result && typeof t.result.workflow_id === "string") {
      panel.append(el("p", { id: "panel-child-run" }, "sub-workflow run: ", link(runPath(t.result.workflow_id), t.result.workflow_id)));
    }
    if (t.tool_calls || (t.result && t.result.tool_calls)) panel.append(el("h2", null, "Tool calls"), jsonBlock(t.tool_calls || t.result.tool_calls));
    if (t.resolved_parameters) panel.append(el("details", { open: true }, el("summary", null, "parameters (references resolved)"), jsonBlock(t.resolved_parameters)));
    else if (t.resolved_parameters_note) panel.append(el("p", { class: "muted" }, "parameters not resolved yet: " + t.resolved_parameters_note));
    if (t.parameters) panel.append(el("details", null, el("summary", null, "parameters (as written)"), jsonBlock(t.parameters)));
    if (t.history && t.history.length) {
      panel.append(el("h2", null, "Attempts and transitions"), el("table", { id: "panel-history" },
        el("thead", null, el("tr", null, el("th", null, "at"), el("th", null, "status"), el("th", { class: "num" }, "attempt"), el("th", null, "error"))),
        el("tbody", null, t.history.map(h => el("tr", null, el("td", null, when(h.at)), el("td", null, badge(h.status)), el("td", { class: "num" }, String(h.attempt)),
          el("td", null, h.error ? h.error.name + ": " + h.error.message : ""))))));
    }
  }

  // A waiting human/approval or human/input task: its prompt (as text) and the answer controls.
  function answerBox(state, t) {
    const box = el("div", { class: "answer", id: "answer-box" }, el("h2", null, "Waiting for a person"), el("p", { class: "prompt", id: "answer-prompt" }, t.result.prompt || ""));
    const by = el("input", { name: "by", placeholder: "your name (optional)", "aria-label": "answered by" });
    const problem = el("div");
    const send = async (verb, body, button) => {
      button.disabled = true;
      clear(problem);
      try {
        await api("runs/" + encodeURIComponent(state.id) + "/tasks/" + encodeURIComponent(t.task_id) + "/" + verb,
          { method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify(body) });
        if (!live) route();
      } catch (e) {
        problem.append(errorBox(e.message, e.hint));
        button.disabled = false;
      }
    };
    if (t.result.awaiting === "approval") {
      const comment = el("input", { name: "comment", placeholder: "comment (optional)", "aria-label": "comment" });
      const approve = el("button", { type: "button", "data-action": "approve" }, "Approve");
      const reject = el("button", { type: "button", class: "danger", "data-action": "reject" }, "Reject");
      const body = () => { const b = {}; if (comment.value.trim()) b.comment = comment.value.trim(); if (by.value.trim()) b.by = by.value.trim(); return b; };
      approve.addEventListener("click", () => send("approve", body(), approve));
      reject.addEventListener("click", () => send("reject", body(), reject));
      box.append(el("div", { class: "actions" }, comment, by), el("div", { class: "actions" }, approve, reject));
    } else {
      if (t.result.schema) box.append(el("details", null, el("summary", null, "expected answer (JSON Schema)"), jsonBlock(t.result.schema)));
      const input = el("textarea", { name: "input", rows: "4", placeholder: "the answer as JSON, e.g. {\"ok\": true} or \"text\"", "aria-label": "answer" });
      const respond = el("button", { type: "button", "data-action": "respond" }, "Send answer");
      respond.addEventListener("click", () => {
        let value;
        try { value = JSON.parse(input.value); } catch (e) { clear(problem); problem.append(errorBox("The answer is not JSON: " + e.message, "Write text in quotes: \"yes\"")); return; }
        const body = { input: value };
        if (by.value.trim()) body.by = by.value.trim();
        send("respond", body, respond);
      });
      box.append(input, el("div", { class: "actions" }, by, respond));
    }
    box.append(problem);
    return box;
  }

  // ---------------------------------------------------------------- routing
  function route() {
    closeLive();
    const path = location.pathname;
    const rest = path.startsWith(base) ? path.slice(base.length) : "";
    if (rest.startsWith("runs/") && rest.length > 5) {
      runPage(decodeURIComponent(rest.slice(5)));
    } else {
      runsPage(new URLSearchParams(location.search));
    }
  }

  window.addEventListener("popstate", route);
  route();
})();
