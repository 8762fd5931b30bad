// quorumsim replay: draws a traced run at any time t from the tables sim/replay/model.py embeds.
// Every view is a function of t alone (seek(t) redraws all of it), so playing, stepping, the
// slider and the URL fragment (#t=ms) all go through one path. Plain JS, no dependencies.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
// Ten colours told apart side by side (epoch e and e + 1 always differ).
const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#c9b400",
  "#7f3c8d", "#6b8e23", "#882255"];
const TYPE_PALETTE = ["#3b6fb6", "#2a9d8f", "#8e5ea2", "#e9a23b", "#5aa02c", "#1f9fbf",
  "#b5651d", "#7a7a00"];
const DROP_COLOUR = "#888";
const CUT_COLOUR = "#b2182b";
const ROLE_FILL = { leader: "#ffd54f", candidate: "#b3e5fc", follower: "#ffffff", none: "#ffffff",
  down: "#d9d9d9" };
const CENTRE = [300, 262];
const RADIUS = 196;
const NODE_R = 36;
const MAX_MARKS = 2000; // messages drawn at once; more are counted, not drawn
const BLOCK = 256; // sends per block of the in-flight search

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function html(name, attrs, text, parent) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// The first index i with values[i] > t (values sorted ascending).
function upper(values, t) {
  let lo = 0, hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] <= t) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function lower(values, t) { // the first index i with values[i] >= t
  let lo = 0, hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < t) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function ms(t) { return `${t.toFixed(3)} ms`; }

async function decode() {
  if (typeof DecompressionStream === "undefined") {
    throw new Error("this browser has no DecompressionStream (Chrome 80+, Firefox 113+, " +
      "Safari 16.4+ have it)");
  }
  const text = document.getElementById("replay-data").textContent.trim();
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

// --- the run's tables, indexed for seeking ------------------------------------------------------

function prepare(D) {
  const N = D.meta.nodes.length;
  const R = { D, N, names: D.meta.nodes };
  R.epochWord = /raft/i.test(D.meta.protocol) ? "term" : /paxos/i.test(D.meta.protocol)
    ? "ballot" : "epoch";
  // Leadership events per node (trace order is time order; q orders events of one instant).
  R.lead = Array.from({ length: N }, () => ({ t: [], i: [] }));
  D.lead.t.forEach((t, i) => { R.lead[D.lead.n[i]].t.push(t); R.lead[D.lead.n[i]].i.push(i); });
  // Up / paused per node, from the faults that change them.
  R.status = Array.from({ length: N }, () => ({ t: [], q: [], kind: [] }));
  R.net = [{ t: -1, q: -1, groups: null, cuts: new Map() }];
  let groups = null, partitionText = null;
  const cuts = new Map();
  const index = new Map(R.names.map((name, i) => [name, i]));
  const nodesOf = (text) => text.split(/\s+/).filter((n) => index.has(n)).map((n) => index.get(n));
  const count = (pairs, by) => {
    for (const key of pairs) {
      const next = (cuts.get(key) || 0) + by;
      if (next > 0) cuts.set(key, next); else cuts.delete(key);
    }
  };
  const isolatePairs = (nodes) => {
    const pairs = [];
    for (const a of nodes) {
      for (let b = 0; b < N; b++) {
        if (!nodes.includes(b)) pairs.push(`${a}>${b}`, `${b}>${a}`);
      }
    }
    return pairs;
  };
  const cutPairs = (text) => {
    const [from, to] = text.split("->");
    const pairs = [];
    for (const a of nodesOf(from || "")) for (const b of nodesOf(to || "")) if (a !== b) pairs.push(`${a}>${b}`);
    return pairs;
  };
  D.faults.forEach(([t, kind, targets], q) => { // q: the fault's number
    if (["crash", "restart", "pause", "resume"].includes(kind)) {
      for (const n of nodesOf(targets)) {
        R.status[n].t.push(t); R.status[n].q.push(q); R.status[n].kind.push(kind);
      }
      return;
    }
    if (kind === "partition") {
      groups = targets.split("|").map(nodesOf);
      partitionText = targets;
    } else if (kind === "heal" && targets === "all") {
      groups = null; partitionText = null; cuts.clear();
    } else if (kind === "heal" && targets === partitionText) {
      groups = null; partitionText = null;
    } else if (kind === "heal" && !targets.includes("|")) {
      count(isolatePairs(nodesOf(targets)), -1);
    } else if (kind === "isolate") {
      count(isolatePairs(nodesOf(targets)), +1);
    } else if (kind === "cut") {
      count(cutPairs(targets), +1);
    } else if (kind === "uncut") {
      count(cutPairs(targets), -1);
    } else {
      return;
    }
    R.net.push({ t, q, groups, cuts: new Map(cuts) });
  });
  R.netT = R.net.map((s) => s.t);
  // Sends in blocks, each with its latest arrival, to find those in flight without a full scan.
  const S = D.send;
  R.unarrived = new Set(D.unarrived);
  R.blockArrive = [];
  for (let b = 0; b * BLOCK < S.t.length; b++) {
    let latest = -Infinity;
    for (let i = b * BLOCK; i < Math.min(S.t.length, (b + 1) * BLOCK); i++) {
      latest = Math.max(latest, R.unarrived.has(i) ? Infinity : S.a[i]);
    }
    R.blockArrive.push(latest);
  }
  // Decisions by node and slot, and the newest slot decided by each time.
  R.cells = Array.from({ length: N }, () => new Map());
  R.decMax = [];
  let newest = -Infinity;
  D.decide.t.forEach((t, i) => {
    const slot = D.decide.i[i];
    const row = R.cells[D.decide.n[i]];
    if (!row.has(slot)) row.set(slot, []);
    row.get(slot).push(i);
    newest = Math.max(newest, slot);
    R.decMax.push(newest);
  });
  // Accepted, not yet decided entries (an `accepted` event: Multi-Paxos's acceptors' votes).
  R.accepted = Array.from({ length: N }, () => new Map());
  R.accMax = [];
  newest = -Infinity;
  D.accept.t.forEach((t, i) => {
    const row = R.accepted[D.accept.n[i]];
    if (!row.has(D.accept.i[i])) row.set(D.accept.i[i], []);
    row.get(D.accept.i[i]).push(i);
    newest = Math.max(newest, D.accept.i[i]);
    R.accMax.push(newest);
  });
  R.minSlot = D.decide.i.length ? Math.min(...new Set(D.decide.i)) : 1;
  R.timers = Array.from({ length: N }, () => ({ t: [], x: [] }));
  D.timers.t.forEach((t, i) => { R.timers[D.timers.n[i]].t.push(t); R.timers[D.timers.n[i]].x.push(D.timers.x[i]); });
  R.noteT = D.notes.map((n) => n[0]);
  R.requestLatency = median(D.requests.filter((r) => r[1] !== null).map((r) => r[1] - r[0])) || 1;
  return R;
}

function median(values) {
  if (!values.length) return null;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

// --- the state at time t ----------------------------------------------------------------------

// Each node's role, epoch, the leader it follows, whether it runs, and its timer ring.
function nodeStates(R, t) {
  const D = R.D;
  return R.names.map((name, n) => {
    const L = R.lead[n];
    const li = upper(L.t, t) - 1;
    const S = R.status[n];
    const si = upper(S.t, t) - 1;
    const kind = si >= 0 ? S.kind[si] : "restart";
    const up = kind !== "crash";
    const paused = kind === "pause";
    let role = D.meta.epochs ? "follower" : "none";
    let epoch = D.meta.epochs ? 0 : null;
    let leader = null;
    let since = 0; // when the node last started to wait for a leader (the ring's reference)
    if (li >= 0) {
      const i = L.i[li];
      epoch = D.lead.e[i];
      since = D.lead.t[i];
      // A crash or restart after the node's latest leadership event clears its view.
      const k = lastClearing(S, si);
      if (!(k >= 0 && D.faults[S.q[k]][3] > D.lead.q[i])) {
        role = ["candidate", "leader", "follower", "follower"][D.lead.k[i]];
        leader = D.lead.l[i] >= 0 ? R.names[D.lead.l[i]] : null;
      }
    }
    const restart = lastOf(S, si, "restart");
    if (restart !== null) since = Math.max(since, restart);
    if (!up) role = "down";
    let ring = null;
    if (D.meta.timeout && up && role !== "leader" && role !== "none") {
      const contact = D.contact[n];
      const ci = upper(contact, t) - 1;
      if (ci >= 0) since = Math.max(since, contact[ci]);
      ring = Math.max(0, 1 - (t - since) / D.meta.timeout[1]);
    }
    const T = R.timers[n];
    const ti = upper(T.t, t) - 1;
    const fired = ti >= 0 && t - T.t[ti] <= 3 * D.meta.latency ? D.strings[T.x[ti]] : null;
    return { name, role, epoch, leader, up, paused, ring, since, fired };
  });
}

function lastClearing(S, si) {
  for (let k = si; k >= 0; k--) if (S.kind[k] === "crash" || S.kind[k] === "restart") return k;
  return -1;
}

function lastOf(S, si, kind) {
  for (let k = si; k >= 0; k--) if (S.kind[k] === kind) return S.t[k];
  return null;
}

function netState(R, t) { return R.net[upper(R.netT, t) - 1]; }

// The messages sent and not yet arrived: send time <= t < arrival.
function inFlight(R, t) {
  const S = R.D.send;
  const hi = upper(S.t, t);
  const found = [];
  for (let b = 0; b * BLOCK < hi; b++) {
    if (R.blockArrive[b] <= t) continue;
    for (let i = b * BLOCK; i < Math.min(hi, (b + 1) * BLOCK); i++) {
      if (S.a[i] > t || R.unarrived.has(i)) found.push(i);
    }
  }
  return found;
}

function fadeTime(R) { return Math.max(R.D.meta.latency, 1e-3); }

// The drops of the last fade time: they are drawn fading where the message was lost.
function fadingDrops(R, t) {
  const X = R.D.drop;
  const from = lower(X.t, t - fadeTime(R));
  const to = upper(X.t, t);
  const found = [];
  for (let i = from; i < to; i++) found.push(i);
  return found;
}

function newestSlot(R, t) {
  const i = upper(R.D.decide.t, t) - 1;
  const j = upper(R.D.accept.t, t) - 1;
  const newest = Math.max(i >= 0 ? R.decMax[i] : -Infinity, j >= 0 ? R.accMax[j] : -Infinity);
  return newest === -Infinity ? null : newest;
}

// The latest entry node n accepted at slot by time t, or -1.
function acceptedAt(R, n, slot, t) {
  const list = R.accepted[n].get(slot);
  if (!list) return -1;
  let found = -1;
  for (const i of list) if (R.D.accept.t[i] <= t) found = i;
  return found;
}

// The op node n decided at slot by time t (its latest decision there), or -1.
function decidedAt(R, n, slot, t) {
  const list = R.cells[n].get(slot);
  if (!list) return -1;
  let found = -1;
  for (const i of list) if (R.D.decide.t[i] <= t) found = i;
  return found;
}

// --- drawing ------------------------------------------------------------------------------

function position(R, n) {
  const angle = -Math.PI / 2 + (2 * Math.PI * n) / R.N;
  return [CENTRE[0] + RADIUS * Math.cos(angle), CENTRE[1] + RADIUS * Math.sin(angle)];
}

function along(a, b, u, side) { // a point u of the way from a to b, moved aside (lanes per way)
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = Math.hypot(dx, dy) || 1;
  return [a[0] + dx * u - (dy / len) * side, a[1] + dy * u + (dx / len) * side];
}

function dividerAngles(R, groups) {
  const group = new Array(R.N).fill(-1);
  groups.forEach((members, g) => members.forEach((n) => { group[n] = g; }));
  const angles = [];
  for (let n = 0; n < R.N; n++) {
    const next = (n + 1) % R.N;
    if (group[n] !== group[next]) angles.push(-Math.PI / 2 + (2 * Math.PI * (n + 0.5)) / R.N);
  }
  return { angles, group };
}

// Where the segment a-b first crosses a divider ray (as a fraction of the way), else 0.5.
function crossing(a, b, angles) {
  let best = 0.5, found = Infinity;
  for (const angle of angles) {
    const dx = Math.cos(angle) * (RADIUS + 60), dy = Math.sin(angle) * (RADIUS + 60);
    const ex = b[0] - a[0], ey = b[1] - a[1];
    const den = ex * dy - ey * dx;
    if (Math.abs(den) < 1e-9) continue;
    const cx = CENTRE[0] - a[0], cy = CENTRE[1] - a[1];
    const u = (cx * dy - cy * dx) / den;
    const v = (cx * ey - cy * ex) / den;
    if (u > 0 && u < 1 && v >= 0 && v <= 1 && u < found) { found = u; best = u; }
  }
  return best;
}

class Replay {
  constructor(R) {
    this.R = R;
    this.now = 0;
    this.playing = false;
    this.span = Math.max(40 * R.requestLatency, 10);
    this.selected = null;
    this.gridWidth = 70;
    this.buildHeader();
    this.buildCluster();
    this.buildGrid();
    this.bind();
  }

  buildHeader() {
    const M = this.R.D.meta;
    document.getElementById("title").textContent = `${M.scenario}: replay`;
    const verdict = M.safe === null ? "safety not checked" : M.safe ? "safe" : "UNSAFE";
    document.getElementById("subtitle").textContent =
      `${M.protocol}, ${M.nodes.length} nodes, seed ${M.seed}, ${M.duration} ms simulated, ` +
      `${verdict}. ${M.description}`;
    const slider = document.getElementById("slider");
    slider.max = String(M.duration);
    const speed = document.getElementById("speed");
    this.base = 2 * M.latency; // simulated ms per second at x1: a median hop takes half a second
    for (const factor of [0.1, 0.25, 0.5, 1, 2, 5, 10, 50, 200, 1000, 10000]) {
      const rate = factor * this.base;
      html("option", { value: String(rate) }, `x${factor} (${+rate.toPrecision(3)} ms/s)`, speed);
    }
    speed.value = String(this.base);
    const jump = document.getElementById("jump");
    html("option", { value: "" }, "(faults, elections, violations)", jump);
    const add = (label, items) => {
      if (!items.length) return;
      const group = html("optgroup", { label }, undefined, jump);
      for (const [t, text] of items) html("option", { value: String(t) }, `${ms(t)}: ${text}`, group);
    };
    const D = this.R.D;
    add("faults", D.faults.map(([t, kind, targets]) => [t, `${kind} ${targets}`]));
    add("elections", D.lead.t.map((t, i) => [t, i]).filter(([, i]) => D.lead.k[i] === 1)
      .map(([t, i]) => [t, `${this.R.names[D.lead.n[i]]} leads ${this.R.epochWord} ${D.lead.e[i]}`]));
    add("violations", D.violations.filter((v) => Array.isArray(v.times) && v.times.length)
      .map((v) => [Math.max(...v.times), `${v.kind}: ${v.message}`]));
    this.buildLegend();
  }

  buildLegend() {
    const R = this.R, D = R.D;
    const legend = document.getElementById("legend");
    const swatch = (colour, text) => {
      html("span", { class: "sw", style: `background:${colour}` }, undefined, legend);
      legend.appendChild(document.createTextNode(text));
    };
    legend.appendChild(document.createTextNode("messages:"));
    D.types.forEach((type, k) => swatch(TYPE_PALETTE[k % TYPE_PALETTE.length], type));
    swatch(DROP_COLOUR, "dropped (fades where lost)");
    const p = html("p", {}, undefined, legend);
    p.textContent = D.meta.timeout
      ? `Ring around a follower or candidate: the time since it last heard the leader it ` +
        `follows (or started to wait), draining over the longest election timeout ` +
        `(${D.meta.timeout[1]} ms); it turns orange past the shortest ` +
        `(${D.meta.timeout[0]} ms). A timer's name shows when one fires.`
      : "This protocol has no election timeout among its parameters: no timer ring is drawn; " +
        "a timer's name shows beside its node when it fires.";
    if (!D.meta.epochs) {
      html("p", {}, "This protocol reports no leadership events: roles and epochs show as \u2013; " +
        "log entries are coloured by the node that proposed them.", legend);
    }
  }

  buildCluster() {
    const svg = document.getElementById("cluster");
    this.layers = {};
    for (const name of ["net", "nodes", "marks", "labels"]) this.layers[name] = el("g", { id: `layer-${name}` }, svg);
    this.nodeGroups = this.R.names.map((name, n) => {
      const [x, y] = position(this.R, n);
      const g = el("g", { class: "node", "data-node": name, transform: `translate(${x},${y})` },
        this.layers.nodes);
      const halo = el("circle", { r: NODE_R + 11, fill: "none", "stroke-width": 5, opacity: 0.35 }, g);
      const ring = el("path", { fill: "none", "stroke-width": 4 }, g);
      const body = el("circle", { r: NODE_R, "stroke-width": 2 }, g);
      const label = el("text", { class: "node-name", "text-anchor": "middle", y: -6 }, g);
      label.textContent = name;
      const role = el("text", { class: "node-role", "text-anchor": "middle", y: 9 }, g);
      const epoch = el("text", { class: "node-role", "text-anchor": "middle", y: 23 }, g);
      const fired = el("text", { class: "node-role", "text-anchor": "middle", y: -NODE_R - 16,
        fill: "#a05000" }, g);
      return { g, halo, ring, body, role, epoch, fired };
    });
    this.marks = [];
  }

  buildGrid() {
    this.grid = document.getElementById("grid");
    this.history = document.getElementById("history");
    // Read once (and on resize): reading it after each redraw would force a layout per frame.
    const measure = () => { this.width = this.grid.clientWidth || 1200; };
    measure();
    window.addEventListener("resize", () => { measure(); this.draw(); });
  }

  bind() {
    const $ = (id) => document.getElementById(id);
    $("play").addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    $("step").addEventListener("click", () => { this.pause(); this.step(+1); });
    $("back").addEventListener("click", () => { this.pause(); this.step(-1); });
    $("slider").addEventListener("input", (e) => { this.pause(); this.seek(+e.target.value); });
    $("jump").addEventListener("change", (e) => {
      if (e.target.value !== "") { this.pause(); this.seek(+e.target.value); }
      e.target.value = ""; // so the same entry can be chosen again
    });
    $("follow").addEventListener("change", () => this.draw());
    $("first").addEventListener("input", () => { $("follow").checked = false; this.draw(); });
    $("zoomin").addEventListener("click", () => { this.span = Math.max(this.span / 2, 0.01); this.draw(); });
    $("zoomout").addEventListener("click", () => { this.span *= 2; this.draw(); });
    window.addEventListener("hashchange", () => {
      const t = timeFromHash();
      if (t !== null && Math.abs(t - this.now) > 1e-9) { this.pause(); this.seek(t); }
    });
    document.addEventListener("keydown", (e) => {
      if (["INPUT", "SELECT", "BUTTON"].includes(e.target.tagName)) return; // (their own keys)
      if (e.key === " ") { e.preventDefault(); this.playing ? this.pause() : this.play(); }
      if (e.key === "ArrowRight") { this.pause(); this.step(+1); }
      if (e.key === "ArrowLeft") { this.pause(); this.step(-1); }
    });
  }

  play() {
    if (this.now >= this.R.D.meta.duration) this.seek(0);
    this.playing = true;
    document.getElementById("play").textContent = "\u275A\u275A pause";
    let last = performance.now(), shown = last;
    const tick = (wall) => {
      if (!this.playing) return;
      const rate = +document.getElementById("speed").value;
      const next = Math.min(this.now + ((wall - last) / 1000) * rate, this.R.D.meta.duration);
      last = wall;
      this.seek(next, wall - shown > 500);
      if (wall - shown > 500) shown = wall;
      if (next >= this.R.D.meta.duration) this.pause(); else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    document.getElementById("play").textContent = "\u25B6 play";
    this.writeHash();
  }

  step(direction) {
    const times = this.R.D.times;
    if (direction > 0) {
      const i = upper(times, this.now + 1e-9);
      if (i < times.length) this.seek(times[i]);
    } else {
      const i = lower(times, this.now - 1e-9) - 1;
      this.seek(i >= 0 ? times[i] : 0);
    }
  }

  seek(t, hash = true) {
    this.now = Math.min(Math.max(t, 0), this.R.D.meta.duration);
    document.getElementById("slider").value = String(this.now);
    document.getElementById("clock").textContent = `t = ${ms(this.now)}`;
    this.draw();
    if (hash) this.writeHash();
  }

  writeHash() {
    try {
      history.replaceState(null, "", `#t=${this.now.toFixed(3)}`);
    } catch (error) { /* a sandboxed frame (a notebook's) has no history to write */ }
  }

  draw() {
    const t = this.now;
    this.drawNetwork(t);
    this.drawNodes(t);
    this.drawMessages(t);
    this.drawGrid(t);
    this.drawHistory(t);
    this.drawEvents(t);
  }

  drawNetwork(t) {
    const R = this.R, layer = this.layers.net;
    layer.replaceChildren();
    const net = netState(R, t);
    this.dividers = [];
    for (const h of this.nodeGroups) h.halo.setAttribute("stroke", "none");
    layer.setAttribute("data-partition", net.groups ? net.groups.map((g) => g.map((n) => R.names[n]).join(" ")).join(" | ") : "");
    if (net.groups) {
      const { angles, group } = dividerAngles(R, net.groups);
      this.dividers = angles;
      for (const angle of angles) {
        el("line", { x1: CENTRE[0], y1: CENTRE[1], x2: CENTRE[0] + Math.cos(angle) * (RADIUS + 60),
          y2: CENTRE[1] + Math.sin(angle) * (RADIUS + 60), stroke: CUT_COLOUR, "stroke-width": 4,
          "stroke-dasharray": "10 6", class: "partition-line" }, layer);
      }
      group.forEach((g, n) => this.nodeGroups[n].halo.setAttribute("stroke", PALETTE[(g + 4) % PALETTE.length]));
      el("text", { x: 12, y: 22, fill: CUT_COLOUR, "font-weight": 700 }, layer).textContent =
        `partition: ${layer.getAttribute("data-partition")}`;
    }
    // Cut links: an isolated node gets a dashed ring; any other cut link a dashed line with a cross.
    const cut = (a, b) => net.cuts.has(`${a}>${b}`);
    const isolated = [];
    for (let a = 0; a < R.N; a++) {
      let all = R.N > 1;
      for (let b = 0; b < R.N; b++) if (a !== b && !(cut(a, b) && cut(b, a))) all = false;
      if (all) isolated.push(a);
    }
    for (const a of isolated) {
      const [x, y] = position(R, a);
      el("circle", { cx: x, cy: y, r: NODE_R + 18, fill: "none", stroke: CUT_COLOUR, "stroke-width": 3,
        "stroke-dasharray": "6 4", class: "isolated", "data-node": R.names[a] }, layer);
    }
    for (const key of net.cuts.keys()) {
      const [a, b] = key.split(">").map(Number);
      if (isolated.includes(a) || isolated.includes(b)) continue;
      const p = position(R, a), q = position(R, b);
      el("line", { x1: p[0], y1: p[1], x2: q[0], y2: q[1], stroke: CUT_COLOUR, "stroke-width": 2,
        "stroke-dasharray": "4 4", class: "cut-link", "data-src": R.names[a], "data-dst": R.names[b] }, layer);
      const [cx, cy] = along(p, q, 0.62, 0);
      el("text", { x: cx, y: cy + 5, fill: CUT_COLOUR, "text-anchor": "middle", "font-weight": 700 }, layer)
        .textContent = "\u2715";
    }
  }

  drawNodes(t) {
    const R = this.R;
    this.states = nodeStates(R, t);
    this.states.forEach((s, n) => {
      const h = this.nodeGroups[n];
      h.g.setAttribute("data-role", s.role);
      h.g.setAttribute("data-epoch", s.epoch === null ? "" : String(s.epoch));
      h.g.setAttribute("data-leader", s.leader || "");
      h.g.setAttribute("data-up", s.up ? "1" : "0");
      h.g.setAttribute("data-paused", s.paused ? "1" : "0");
      h.g.setAttribute("opacity", s.up && !s.paused ? 1 : 0.55);
      h.body.setAttribute("fill", s.paused ? "#cfcfcf" : ROLE_FILL[s.role]);
      h.body.setAttribute("stroke", s.role === "leader" ? "#b8860b" : "#555");
      h.body.setAttribute("stroke-dasharray", s.up ? "" : "5 4");
      const roleText = s.role === "down" ? "crashed" : s.role === "none" ? "\u2013" : s.role;
      h.role.textContent = s.paused ? `${roleText}, paused` : roleText;
      h.epoch.textContent = s.epoch === null ? "" : `${R.epochWord} ${s.epoch}` +
        (s.role === "follower" && s.leader ? ` \u2192 ${s.leader}` : "");
      h.fired.textContent = s.fired ? `timer: ${s.fired}` : "";
      if (s.ring === null) {
        h.ring.setAttribute("d", "");
        h.g.setAttribute("data-ring", "");
      } else {
        h.g.setAttribute("data-ring", s.ring.toFixed(4));
        const r = NODE_R + 5, a = 2 * Math.PI * s.ring;
        const end = [r * Math.sin(a), -r * Math.cos(a)];
        h.ring.setAttribute("d", s.ring >= 0.9999
          ? `M 0 ${-r} A ${r} ${r} 0 1 1 -0.01 ${-r}`
          : `M 0 ${-r} A ${r} ${r} 0 ${a > Math.PI ? 1 : 0} 1 ${end[0]} ${end[1]}`);
        const elapsed = t - s.since;
        h.ring.setAttribute("stroke", elapsed > R.D.meta.timeout[0] ? "#e67e00" : "#4a90d9");
      }
    });
  }

  drawMessages(t) {
    const R = this.R, D = R.D, S = D.send, X = D.drop;
    const layer = this.layers.marks;
    const flying = inFlight(R, t);
    const fading = fadingDrops(R, t);
    let used = 0;
    const mark = () => {
      if (used === this.marks.length) {
        const c = el("circle", { r: 6, class: "msg", "stroke-width": 1 }, layer);
        c.addEventListener("click", () => this.select(c.__what));
        this.marks.push(c);
      }
      const c = this.marks[used++];
      c.removeAttribute("display");
      return c;
    };
    for (const i of flying.slice(0, MAX_MARKS)) {
      const a = position(R, S.s[i]), b = position(R, S.d[i]);
      const u = Math.min(1, (t - S.t[i]) / (S.a[i] - S.t[i] || 1));
      const [x, y] = along(a, b, NODE_R / RADIUS / 2 + u * (1 - NODE_R / RADIUS), 7);
      const c = mark();
      c.setAttribute("cx", x); c.setAttribute("cy", y);
      c.setAttribute("fill", TYPE_PALETTE[S.k[i] % TYPE_PALETTE.length]);
      c.setAttribute("stroke", "#222"); c.setAttribute("opacity", 1);
      c.setAttribute("data-kind", "flight");
      c.setAttribute("data-src", R.names[S.s[i]]); c.setAttribute("data-dst", R.names[S.d[i]]);
      c.setAttribute("data-type", D.types[S.k[i]]); c.setAttribute("data-sent", String(S.t[i]));
      c.setAttribute("data-arrive", String(S.a[i])); c.setAttribute("data-send", String(i));
      c.__what = { what: "message", i };
      c.setAttribute("class", this.isSelected(c.__what) ? "msg selected" : "msg");
    }
    for (const i of fading.slice(0, MAX_MARKS)) {
      const a = position(R, X.s[i]), b = position(R, X.d[i]);
      const p = (t - X.t[i]) / fadeTime(R);
      let x, y, opacity;
      if (X.of[i] >= 0) { // lost at the receiver (it was down): fades there
        [x, y] = along(a, b, 1 - NODE_R / RADIUS / 2, 7);
        opacity = 1 - p;
      } else { // lost on the way (partition, loss): goes as far as the cut, fades there
        const stop = crossing(a, b, this.dividers);
        [x, y] = along(a, b, Math.min(1, p * 2) * stop, 7);
        opacity = p < 0.5 ? 1 : 2 * (1 - p);
      }
      const c = mark();
      c.setAttribute("cx", x); c.setAttribute("cy", y);
      c.setAttribute("fill", DROP_COLOUR); c.setAttribute("stroke", CUT_COLOUR);
      c.setAttribute("opacity", Math.max(0.05, opacity));
      c.setAttribute("data-kind", "drop");
      c.setAttribute("data-src", R.names[X.s[i]]); c.setAttribute("data-dst", R.names[X.d[i]]);
      c.setAttribute("data-type", D.types[X.k[i]]); c.setAttribute("data-sent", String(X.t[i]));
      c.setAttribute("data-arrive", ""); c.setAttribute("data-send", String(X.of[i]));
      c.__what = { what: "drop", i };
      c.setAttribute("class", this.isSelected(c.__what) ? "msg selected" : "msg");
    }
    for (let k = used; k < this.marks.length; k++) this.marks[k].setAttribute("display", "none");
    layer.setAttribute("data-in-flight", String(flying.length));
    const more = flying.length + fading.length - Math.min(flying.length, MAX_MARKS) - Math.min(fading.length, MAX_MARKS);
    this.layers.labels.replaceChildren();
    el("text", { x: 12, y: 528, fill: "#444" }, this.layers.labels).textContent =
      `${flying.length} in flight` + (fading.length ? `, ${fading.length} just dropped` : "") +
      (more > 0 ? ` (${more} not drawn)` : "");
  }

  slotLabel(slot) {
    const labels = this.R.D.meta.slotLabels;
    return labels ? labels[slot] : String(slot);
  }

  drawGrid(t) {
    const R = this.R, D = R.D, svg = this.grid;
    const width = this.width;
    const cellW = 28, cellH = 22, left = 48, top = 18;
    const columns = Math.max(10, Math.floor((width - left - 8) / cellW));
    const newest = newestSlot(R, t);
    const first = document.getElementById("first");
    let lo;
    if (document.getElementById("follow").checked || first.value === "") {
      lo = newest === null ? R.minSlot : Math.max(R.minSlot, newest - columns + 1);
      first.value = String(lo);
    } else {
      lo = Math.floor(+first.value);
    }
    svg.setAttribute("viewBox", `0 0 ${width} ${top + cellH * R.N + 4}`);
    svg.style.height = `${top + cellH * R.N + 4}px`;
    svg.replaceChildren();
    svg.setAttribute("data-first", String(lo));
    svg.setAttribute("data-last", String(lo + columns - 1));
    for (let c = 0; c < columns; c++) {
      const slot = lo + c;
      if (c % 5 === 0) {
        el("text", { x: left + c * cellW, y: 12, "font-size": 11, fill: "#555" }, svg).textContent = this.slotLabel(slot);
      }
    }
    for (let n = 0; n < R.N; n++) {
      const y = top + n * cellH;
      el("text", { x: 4, y: y + 15, "font-weight": 700, "font-size": 12,
        fill: this.states[n].up ? "#222" : "#999" }, svg).textContent = R.names[n];
    }
    const marks = [];
    for (let c = 0; c < columns; c++) {
      const slot = lo + c;
      const decided = [];
      for (let n = 0; n < R.N; n++) decided.push(decidedAt(R, n, slot, t));
      const opsHere = new Set(decided.filter((i) => i >= 0).map((i) => D.decide.o[i]));
      const conflict = opsHere.size > 1;
      decided.forEach((i, n) => {
        const x = left + c * cellW, y = top + n * cellH;
        if (i < 0) {
          const a = acceptedAt(R, n, slot, t);
          if (a < 0) {
            el("rect", { x: x + 1, y: y + 2, width: cellW - 2, height: cellH - 4, fill: "#f4f4f4" }, svg);
            return;
          }
          const op = D.accept.o[a];
          const cell = el("rect", { x: x + 2, y: y + 3, width: cellW - 4, height: cellH - 6, rx: 2,
            fill: "#fff", stroke: PALETTE[D.accept.e[a] % PALETTE.length], "stroke-width": 2,
            class: this.isSelected({ what: "accepted", i: a }) ? "accepted selected" : "accepted",
            "data-node": R.names[n], "data-slot": String(slot), "data-op": JSON.stringify(D.ops[op]),
            "data-epoch": String(D.accept.e[a]) }, svg);
          el("text", { x: x + cellW / 2, y: y + 15, "font-size": 9, "text-anchor": "middle",
            fill: "#333", "pointer-events": "none" }, svg).textContent = String(D.ops[op]).slice(-4);
          el("title", {}, cell).textContent = `${R.names[n]} slot ${slot}: accepted op ${D.ops[op]}`;
          cell.addEventListener("click", () => this.select({ what: "accepted", i: a }));
          return;
        }
        const op = D.decide.o[i];
        const colour = PALETTE[D.opEpoch[op] % PALETTE.length];
        const cell = el("rect", { x: x + 1, y: y + 2, width: cellW - 2, height: cellH - 4, rx: 2,
          fill: colour, stroke: conflict ? "#d00" : "#333", "stroke-width": conflict ? 2.5 : 0.5,
          class: this.isSelected({ what: "entry", i }) ? "cell selected" : "cell", "data-node": R.names[n], "data-slot": String(slot), "data-op": JSON.stringify(D.ops[op]),
          "data-epoch": String(D.opEpoch[op]), "data-conflict": conflict ? "1" : "0",
          "data-decided": String(D.decide.t[i]) }, svg);
        el("text", { x: x + cellW / 2, y: y + 15, "font-size": 9, "text-anchor": "middle",
          fill: "#fff", "pointer-events": "none" }, svg).textContent = String(D.ops[op]).slice(-4);
        el("title", {}, cell).textContent = `${R.names[n]} slot ${this.slotLabel(slot)}: op ${D.ops[op]}`;
        cell.addEventListener("click", () => this.select({ what: "entry", i }));
        if (conflict) marks.push([x, y]);
      });
    }
    const M = D.meta;
    document.getElementById("gridnote").textContent =
      `(node by slot; a filled cell is an entry the node has decided (committed), coloured by ` +
      (M.epochs ? `the ${R.epochWord} it was proposed in` : "the node that proposed it") +
      `; ringed red: nodes decided different ops at that slot` +
      (D.accept.t.length ? `; hollow: accepted, not yet decided` : "") + ")";
  }

  drawHistory(t) {
    const R = this.R, D = R.D, svg = this.history;
    const width = this.width;
    const left = 70, laneH = 20, top = 16;
    const clients = [...new Set(D.requests.map((r) => r[2]))].sort((a, b) => a - b).slice(0, 24);
    const lane = new Map(clients.map((c, i) => [c, i]));
    const lo = t - this.span, hi = t + this.span / 4;
    const x = (time) => left + ((time - lo) / (hi - lo)) * (width - left - 10);
    const height = top + laneH * Math.max(1, clients.length) + 6;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.style.height = `${height}px`;
    svg.replaceChildren();
    clients.forEach((c, i) => {
      el("text", { x: 4, y: top + i * laneH + 14, "font-size": 12 }, svg).textContent = `client ${c}`;
    });
    for (let k = 0; k <= 4; k++) {
      const time = lo + ((hi - lo) * k) / 4;
      el("text", { x: x(time), y: 11, "font-size": 10, fill: "#666", "text-anchor": "middle" }, svg)
        .textContent = `${+time.toFixed(3)} ms`;
    }
    const colour = { ok: "#4daf7c", fail: "#d9534f", info: "#aaa", unknown: "#aaa" };
    D.requests.forEach((r, k) => {
      const [ti, tc, client, op, node, f, key, outcome, value] = r;
      if (!lane.has(client) || ti > t || ti > hi) return;
      const end = tc === null || tc > t ? t : tc;
      if (end < lo) return;
      const x0 = x(Math.max(ti, lo)), x1 = Math.max(x(Math.min(end, hi)), x0 + 2);
      const y = top + lane.get(client) * laneH;
      const done = tc !== null && tc <= t;
      const bar = el("rect", { x: x0, y: y + 2, width: x1 - x0, height: laneH - 5, rx: 3,
        fill: done ? colour[outcome] || "#aaa" : "#fff", stroke: done ? "none" : "#777",
        "stroke-dasharray": done ? "" : "3 2",
        class: this.isSelected({ what: "request", k }) ? "req selected" : "req", "data-op": JSON.stringify(D.ops[op]),
        "data-client": String(client) }, svg);
      bar.addEventListener("click", () => this.select({ what: "request", k }));
      if (x1 - x0 > 60) {
        el("text", { x: x0 + 4, y: y + 13, "font-size": 10, "pointer-events": "none" }, svg)
          .textContent = `${f} ${key ?? ""}${f === "write" ? `=${value ?? "?"}` : ""} @${node}`;
      }
    });
    el("line", { x1: x(t), x2: x(t), y1: top - 2, y2: height, stroke: "#d00", "stroke-width": 1.5 }, svg);
  }

  drawEvents(t) {
    const R = this.R, D = R.D;
    const list = document.getElementById("events");
    list.replaceChildren();
    const end = upper(R.noteT, t);
    for (let i = end - 1; i >= Math.max(0, end - 14); i--) { // the newest first
      const [time, text] = D.notes[i];
      html("li", { class: t - time <= 3 * D.meta.latency ? "recent" : "" }, `${ms(time)}  ${text}`, list);
    }
  }

  isSelected(what) {
    const s = this.selected;
    return s !== null && s.what === what.what && (s.i ?? s.k) === (what.i ?? what.k);
  }

  select(what) {
    this.selected = what;
    this.draw();
    const R = this.R, D = R.D;
    let text = "";
    if (what.what === "message") {
      const S = D.send, i = what.i;
      text = `${D.types[S.k[i]]} ${R.names[S.s[i]]} \u2192 ${R.names[S.d[i]]}\nsent ${ms(S.t[i])}, ` +
        `arrives ${ms(S.a[i])}\n${JSON.stringify(S.m[i], null, 1)}`;
    } else if (what.what === "drop") {
      const X = D.drop, i = what.i;
      text = `${D.types[X.k[i]]} ${R.names[X.s[i]]} \u2192 ${R.names[X.d[i]]}: dropped at ` +
        `${ms(X.t[i])} (${D.reasons[X.r[i]]})\n${JSON.stringify(X.m[i], null, 1)}`;
    } else if (what.what === "entry") {
      const C = D.decide, i = what.i, op = C.o[i];
      const request = D.requests.find((r) => r[3] === op);
      text = `${R.names[C.n[i]]} decided slot ${this.slotLabel(C.i[i])} at ${ms(C.t[i])}\n` +
        `op ${JSON.stringify(D.ops[op])}, ${D.meta.epochs ? R.epochWord : "proposed by"} ` +
        `${D.meta.epochs ? D.opEpoch[op] : R.names[D.opEpoch[op]]}` +
        (request ? `\n${request[5]} ${request[6] ?? ""} ${request[5] === "write" ? "" : ""}` +
          `invoked by client ${request[2]} at ${ms(request[0])} on ${request[4]}` : "");
    } else if (what.what === "accepted") {
      const A = D.accept, i = what.i;
      text = `${R.names[A.n[i]]} accepted op ${JSON.stringify(D.ops[A.o[i]])} at slot ${A.i[i]} ` +
        `in ${R.epochWord} ${A.e[i]} at ${ms(A.t[i])}; not decided there yet`;
    } else if (what.what === "request") {
      const [ti, tc, client, op, node, f, key, outcome, value] = D.requests[what.k];
      text = `client ${client}: op ${JSON.stringify(D.ops[op])} ${f} ${key ?? ""}\nsent to ${node} ` +
        `at ${ms(ti)}\n` + (tc === null ? "no reply by the end of the run" :
        `${outcome} at ${ms(tc)} (${(tc - ti).toFixed(3)} ms), value ${JSON.stringify(value)}`);
    }
    document.getElementById("fields").textContent = text;
  }
}

function timeFromHash() {
  const match = /(?:^#|&)t=([0-9.]+)/.exec(location.hash);
  return match ? +match[1] : null;
}

(async () => {
  const D = await decode();
  const replay = new Replay(prepare(D));
  window.replay = {
    meta: D.meta,
    seek: (t) => { replay.pause(); replay.seek(t); },
    time: () => replay.now,
    play: () => replay.play(),
    pause: () => replay.pause(),
    step: (direction) => { replay.pause(); replay.step(direction); },
  };
  replay.seek(timeFromHash() ?? 0, false);
  document.body.dataset.ready = "1";
})().catch((error) => {
  const box = document.getElementById("error");
  box.hidden = false;
  box.textContent = `The replay cannot be shown: ${error.message}`;
  document.body.dataset.error = String(error.message);
});
