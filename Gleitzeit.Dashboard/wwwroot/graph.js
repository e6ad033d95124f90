// Gleitzeit dashboard: the DAG of a run drawn as a layered graph (left to right) in SVG.
// Layout: each task's layer is the longest path from a task without dependencies; the order inside a layer is improved by
// barycenter sweeps (a task moves towards the mean position of its neighbours), which keeps edges short and crossings few.
// Every string from a run (task ids, methods) is set with textContent: never parsed as markup.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const NODE_W = 190, NODE_H = 50, ITEMS_H = 68, GAP_X = 70, GAP_Y = 18, PAD = 16;
  const ITEM_STATES = ["completed", "running", "retrying", "queued", "waiting", "pending", "failed", "skipped", "cancelled"];

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    if (attrs) for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    return e;
  }

  function text(tag, attrs, content) {
    const e = svg(tag, attrs);
    e.textContent = content;
    return e;
  }

  function shorten(s, max) {
    s = String(s);
    return s.length <= max ? s : s.slice(0, max - 1) + "\u2026";
  }

  // Layers and order. nodes: [{id, dependencies}] -> Map id -> {layer, index}.
  function layout(nodes) {
    const byId = new Map(nodes.map(n => [n.id, n]));
    const deps = new Map(nodes.map(n => [n.id, (n.dependencies || []).filter(d => byId.has(d) && d !== n.id)]));
    const layer = new Map();
    const visiting = new Set();
    function depth(id) {
      if (layer.has(id)) return layer.get(id);
      if (visiting.has(id)) return 0; // a cycle never passes validation; do not loop if one is stored anyway
      visiting.add(id);
      let d = 0;
      for (const p of deps.get(id)) d = Math.max(d, depth(p) + 1);
      visiting.delete(id);
      layer.set(id, d);
      return d;
    }
    nodes.forEach(n => depth(n.id));
    const layers = [];
    for (const n of nodes) (layers[layer.get(n.id)] = layers[layer.get(n.id)] || []).push(n.id);
    const dependents = new Map(nodes.map(n => [n.id, []]));
    for (const [id, ds] of deps) for (const d of ds) dependents.get(d).push(id);
    const pos = new Map();
    const renumber = l => l.forEach((id, i) => pos.set(id, i));
    layers.forEach(renumber);
    const sweep = (range, neighbours) => {
      for (const li of range) {
        const l = layers[li];
        if (!l) continue;
        const key = new Map(l.map(id => {
          const ns = neighbours.get(id).filter(n => pos.has(n));
          return [id, ns.length ? ns.reduce((s, n) => s + pos.get(n), 0) / ns.length : pos.get(id)];
        }));
        l.sort((a, b) => key.get(a) - key.get(b) || pos.get(a) - pos.get(b));
        renumber(l);
      }
    };
    const forward = [...layers.keys()].slice(1), backward = [...layers.keys()].reverse().slice(1);
    for (let i = 0; i < 4; i++) { sweep(forward, deps); sweep(backward, dependents); }
    return { layers, layer, pos, deps };
  }

  function nodeHeight(n) { return n.items ? ITEMS_H : NODE_H; }

  function statusClass(n) {
    let c = "node st-" + n.status;
    if (n.skip_reason === "condition") c += " skip-condition";
    return c;
  }

  function metaText(n) {
    let s = n.method ? shorten(n.method, 18) + " \u00b7 " : "";
    s += n.skip_reason === "condition" ? "skipped (condition)" : n.status;
    if (n.attempts > 1) s += " \u00b7 try " + n.attempts;
    if (n.child_run) s += " \u00b7 sub-run";
    return s;
  }

  function itemsText(items) {
    const done = items.by_status.completed || 0;
    return done + "/" + items.total + " items" + (items.by_status.failed ? " \u00b7 " + items.by_status.failed + " failed" : "");
  }

  function drawItemsBar(g, items) {
    const bar = svg("g", { class: "items-bar", transform: "translate(10," + (NODE_H + 2) + ")" });
    const width = NODE_W - 20;
    let x = 0;
    for (const state of ITEM_STATES) {
      const count = items.by_status[state] || 0;
      if (!count) continue;
      const w = width * count / Math.max(1, items.total);
      const seg = svg("rect", { class: "seg-" + state, x: x.toFixed(1), y: 0, width: Math.max(1, w).toFixed(1), height: 8, rx: 2 });
      seg.appendChild(text("title", {}, count + " " + state));
      bar.appendChild(seg);
      x += w;
    }
    g.appendChild(bar);
  }

  function fillNode(g, n) {
    while (g.firstChild) g.removeChild(g.firstChild);
    g.setAttribute("class", statusClass(n) + (g.classList.contains("selected") ? " selected" : ""));
    g.setAttribute("data-status", n.status);
    const h = nodeHeight(n);
    g.appendChild(svg("rect", { class: "box", width: NODE_W, height: h, rx: 7 }));
    g.appendChild(svg("rect", { class: "stripe", width: 5, height: h - 8, x: 3, y: 4, rx: 2 }));
    g.appendChild(text("title", {}, n.id + " (" + n.status + ")" + (n.error ? "\n" + n.error.name + ": " + n.error.message : "")));
    g.appendChild(text("text", { class: "label", x: 14, y: 20 }, shorten(n.label || n.id, 24)));
    g.appendChild(text("text", { class: "meta", x: 14, y: 38 }, metaText(n)));
    if (n.items) {
      g.appendChild(text("text", { class: "meta items-count", x: NODE_W - 10, y: 20, "text-anchor": "end" }, itemsText(n.items)));
      drawItemsBar(g, n.items);
    }
  }

  // Draws the graph document into an empty <svg>; returns an object to update nodes in place.
  function render(root, doc, onSelect) {
    while (root.firstChild) root.removeChild(root.firstChild);
    const nodes = doc.nodes;
    const { layers, layer, pos, deps } = layout(nodes);
    const byId = new Map(nodes.map(n => [n.id, n]));
    const layerHeight = layers.map(l => (l || []).reduce((s, id) => s + nodeHeight(byId.get(id)) + GAP_Y, -GAP_Y));
    const maxH = Math.max(NODE_H, ...layerHeight);
    const xy = new Map();
    layers.forEach((l, li) => {
      let y = PAD + (maxH - layerHeight[li]) / 2;
      for (const id of l || []) {
        xy.set(id, { x: PAD + li * (NODE_W + GAP_X), y });
        y += nodeHeight(byId.get(id)) + GAP_Y;
      }
    });
    const width = PAD * 2 + Math.max(1, layers.length) * (NODE_W + GAP_X) - GAP_X;
    const height = PAD * 2 + maxH;
    root.setAttribute("viewBox", "0 0 " + width + " " + height);
    root.setAttribute("width", width);
    root.setAttribute("height", height);
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#98a2b3" }));
    defs.appendChild(marker);
    root.appendChild(defs);
    const edges = svg("g", { class: "edges" });
    const edgeEls = [];
    for (const n of nodes) {
      const to = xy.get(n.id);
      for (const d of deps.get(n.id)) {
        const from = xy.get(d);
        const x1 = from.x + NODE_W, y1 = from.y + nodeHeight(byId.get(d)) / 2, x2 = to.x - 2, y2 = to.y + nodeHeight(n) / 2;
        const dx = Math.max(20, (x2 - x1) / 2);
        const p = svg("path", { class: "edge", d: `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`, "marker-end": "url(#arrow)" });
        p.dataset.from = d;
        edgeEls.push(p);
        edges.appendChild(p);
      }
    }
    root.appendChild(edges);
    const group = svg("g", { class: "nodes" });
    const els = new Map();
    for (const n of nodes) {
      const p = xy.get(n.id);
      const g = svg("g", { transform: `translate(${p.x},${p.y})`, tabindex: 0, role: "button" });
      g.setAttribute("data-task-id", n.id);
      fillNode(g, n);
      g.addEventListener("click", () => onSelect(n.id));
      g.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onSelect(n.id); } });
      els.set(n.id, g);
      group.appendChild(g);
    }
    root.appendChild(group);
    const paintEdges = () => {
      for (const e of edgeEls) {
        const src = byId.get(e.dataset.from);
        e.setAttribute("class", "edge" + (src && src.status === "completed" ? " done" : ""));
      }
    };
    paintEdges();
    return {
      has: id => els.has(id),
      // A node's state changed: redraw that node only (its place stays).
      update(n) {
        const g = els.get(n.id);
        if (!g) return false;
        const old = byId.get(n.id);
        const merged = Object.assign({}, old, n);
        if (!!old.items !== !!merged.items) return false; // its height changes: lay out again
        byId.set(n.id, merged);
        fillNode(g, merged);
        paintEdges();
        return true;
      },
      select(id) {
        for (const [k, g] of els) g.classList.toggle("selected", k === id);
      },
    };
  }

  window.GleitzeitGraph = { layout, render };
})();
