// The status page on the metrics listener: GET / is one self-contained, read-only page (no external
// assets) with the live view of `tcpvs status --watch`; it reads GET /status.json every second and
// GET /events (server-sent events) as they happen. Nothing here can change the daemon.

import type { EventJson } from "../control/event-json.ts";
import type { StatusSnapshot } from "../control/snapshot.ts";

export interface StatusPageSource {
  snapshot(): StatusSnapshot;
  /** Events as the control channel sends them; returns the unsubscribe. */
  subscribe(fn: (e: EventJson) => void): () => void;
}

/** Event streams open at once at most; a slow reader is dropped rather than buffered. */
const MAX_STREAMS = 16;
const MAX_QUEUED_BYTES = 256 * 1024;

/** The page's routes, or undefined for a path that is not the page's. */
export function statusPageRoute(
  req: Request,
  source: StatusPageSource,
  open: { streams: number },
): Response | undefined {
  const { pathname } = new URL(req.url);
  if (pathname !== "/" && pathname !== "/status.json" && pathname !== "/events") return undefined;
  if (req.method !== "GET" && req.method !== "HEAD")
    return new Response("read-only: use GET\n", { status: 405 });
  if (pathname === "/")
    return new Response(STATUS_PAGE_HTML, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        // No asset may come from elsewhere: the page is one file, its script and style inline.
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        "cache-control": "no-store",
      },
    });
  if (pathname === "/status.json")
    return Response.json(source.snapshot(), { headers: { "cache-control": "no-store" } });
  if (open.streams >= MAX_STREAMS) return new Response("too many event streams\n", { status: 503 });
  open.streams++;
  let unsubscribe: (() => void) | undefined;
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(enc.encode(": tcpvs events\n\n"));
        unsubscribe = source.subscribe((e) => {
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) {
            unsubscribe?.();
            controller.close();
            return;
          }
          controller.enqueue(enc.encode(`data: ${JSON.stringify(e)}\n\n`));
        });
      },
      cancel() {
        unsubscribe?.();
        open.streams--;
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
  });
}

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tcpvs status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  .meta { color: #5b6475; }
  .warn { color: #8a5a00; background: #fff4d6; padding: .3em .6em; border-radius: 4px; display: inline-block; }
  table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; min-width: 40em; }
  th, td { text-align: left; padding: .3em .8em; border-bottom: 1px solid #e6e8ec; white-space: nowrap; }
  th { font-weight: 600; color: #5b6475; font-size: .85em; text-transform: uppercase; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .state { font-weight: 600; padding: .05em .5em; border-radius: 3px; }
  .up, .master { background: #d8f3dc; color: #1b5e20; }
  .down, .fault { background: #ffd6d6; color: #9b1c1c; }
  .drained, .disabled, .inhibited, .backup, .init, .stop { background: #fff0c2; color: #7a5200; }
  svg.spark { vertical-align: middle; }
  #events li { font-family: ui-monospace, monospace; font-size: .85em; }
  #conn { float: right; }
</style>
</head>
<body>
<span id="conn" class="meta">connecting...</span>
<h1 id="title">tcpvs</h1>
<div id="meta" class="meta"></div>
<div id="pending"></div>
<h2>Virtual servers</h2><table id="vs"></table>
<div id="vrrp-box"><h2>VRRP</h2><table id="vrrp"></table></div>
<div id="pools"></div>
<h2>Recent events</h2><ul id="events"><li class="meta">none since this page was opened</li></ul>
<script>
"use strict";
const HISTORY = 60;
const hist = new Map();
let prev = null;
const events = [];
function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
function ago(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
  return Math.floor(s / 86400) + "d";
}
function push(key, v) {
  const h = hist.get(key) || [];
  h.push(v);
  if (h.length > HISTORY) h.shift();
  hist.set(key, h);
  return h;
}
function spark(values) {
  const w = 120, h = 20, max = Math.max(1, ...values);
  const pts = values.map((v, i) => (i * w / (HISTORY - 1)).toFixed(1) + "," + (h - (v / max) * (h - 2) - 1).toFixed(1)).join(" ");
  return '<svg class="spark" width="' + w + '" height="' + h + '"><polyline fill="none" stroke="#3465a4" stroke-width="1.5" points="' + pts + '"/></svg>';
}
function rate(now, before, sec) { return before === undefined || sec <= 0 || now < before ? 0 : (now - before) / sec; }
function badge(state, extra) { return '<span class="state ' + esc(state) + '">' + esc(state + (extra || "")) + "</span>"; }
function render(s) {
  const sec = prev ? (s.generated_at_ms - prev.generated_at_ms) / 1000 : 0;
  document.getElementById("title").textContent = "tcpvs " + s.version + (s.role ? " " + s.role : "");
  document.getElementById("meta").textContent = "up " + ago(s.uptime_seconds * 1000) + " · config " + s.config.file + " (" + s.config.sha256.slice(0, 12) + ")";
  document.getElementById("pending").innerHTML = s.pending_restart.length ? '<p class="warn">restart pending: ' + esc(s.pending_restart.join(", ")) + " changed in the file, not applied</p>" : "";
  const pvs = new Map((prev ? prev.virtual_servers : []).map((v) => [v.name, v]));
  let rows = "<tr><th>virtual server</th><th>listen</th><th>pool</th><th>conn</th><th>req/s</th><th>5xx/s</th><th>last minute</th></tr>";
  for (const v of s.virtual_servers) {
    const p = pvs.get(v.name);
    const rq = rate(v.requests_total, p && p.requests_total, sec), e5 = rate(v.responses_5xx_total, p && p.responses_5xx_total, sec);
    rows += '<tr data-vs="' + esc(v.name) + '"><td>' + esc(v.name) + "</td><td>" + esc(v.listen.join(", ")) + "</td><td>" + esc(v.pool) + '</td><td class="num">' + v.active_connections + '</td><td class="num">' + rq.toFixed(1) + '</td><td class="num">' + e5.toFixed(1) + "</td><td>" + spark(push("vs:" + v.name, rq)) + "</td></tr>";
  }
  document.getElementById("vs").innerHTML = rows;
  document.getElementById("vrrp-box").style.display = s.vrrp.length ? "" : "none";
  rows = "<tr><th>instance</th><th>state</th><th>priority</th><th>vrid</th><th>interface</th><th>VIPs</th><th>master</th><th>since</th></tr>";
  for (const v of s.vrrp) {
    rows += '<tr data-vrrp="' + esc(v.name) + '" data-state="' + esc(v.state) + '"><td>' + esc(v.name) + "</td><td>" + badge(v.state, v.held ? " (held)" : "") + '</td><td class="num">' + v.priority + (v.operator_priority !== null ? "*" : "") + '</td><td class="num">' + (v.vrid === null ? "-" : v.vrid) + "</td><td>" + esc(v.interface || "-") + "</td><td>" + esc(v.vips.join(", ")) + "</td><td>" + esc(v.master || "-") + "</td><td>" + ago(s.generated_at_ms - v.changed_at_ms) + "</td></tr>";
  }
  document.getElementById("vrrp").innerHTML = rows;
  const psv = new Map();
  for (const pool of prev ? prev.pools : []) for (const x of pool.servers) psv.set(pool.name + "/" + x.name, x);
  let html = "";
  for (const pool of s.pools) {
    html += "<h2>pool " + esc(pool.name) + " · quorum " + (pool.quorum_up ? "ok" : badge("down", " lost")) + "</h2><table>";
    html += "<tr><th>server</th><th>address</th><th>state</th><th>weight</th><th>conn</th><th>req/s</th><th>err/s</th><th>check</th><th>last minute</th></tr>";
    for (const x of pool.servers) {
      const key = pool.name + "/" + x.name, p = psv.get(key);
      const rq = rate(x.requests_total, p && p.requests_total, sec), er = rate(x.errors_total, p && p.errors_total, sec);
      const w = x.weight === x.config_weight ? String(x.weight) : x.weight + "/" + x.config_weight;
      const chk = x.last_check ? (x.last_check.ok ? "ok " : "FAIL ") + x.last_check.latency_ms.toFixed(1) + " ms " + x.last_check.reason : "-";
      const since = x.drained_at_ms !== null ? " " + ago(s.generated_at_ms - x.drained_at_ms) : "";
      html += '<tr data-server="' + esc(key) + '" data-state="' + esc(x.state) + '"><td>' + esc(x.name) + (x.backup ? " (backup)" : "") + "</td><td>" + esc(x.address) + "</td><td>" + badge(x.state, since) + '</td><td class="num">' + esc(w) + (x.weight_source === "operator" ? "*" : "") + '</td><td class="num">' + x.active_connections + '</td><td class="num">' + rq.toFixed(1) + '</td><td class="num">' + er.toFixed(1) + "</td><td>" + esc(chk) + "</td><td>" + spark(push("server:" + key, rq)) + "</td></tr>";
    }
    html += "</table>";
  }
  document.getElementById("pools").innerHTML = html;
  prev = s;
}
function eventText(e) {
  const t = new Date(e.at_ms).toISOString().slice(11, 19);
  switch (e.type) {
    case "server": return t + " server " + e.pool + "/" + e.server + " " + (e.up ? "up" : "down") + " weight=" + e.weight + " " + e.reason;
    case "pool": return t + " pool " + e.pool + " quorum " + (e.quorum_up ? "ok" : "lost");
    case "vrrp": return t + " vrrp " + e.instance + " " + e.state + " priority=" + e.priority + " " + e.reason;
    case "reload": return t + " reload " + (e.ok ? "ok" : "refused: " + e.errors.join("; "));
    default: return t + " action " + e.action + " by " + e.peer;
  }
}
async function tick() {
  try {
    const r = await fetch("status.json", { cache: "no-store" });
    render(await r.json());
    document.getElementById("conn").textContent = "live · " + new Date().toISOString().slice(11, 19);
  } catch (err) {
    document.getElementById("conn").textContent = "lost the daemon, retrying every second";
  }
}
const es = new EventSource("events");
es.onmessage = (m) => {
  events.unshift(JSON.parse(m.data));
  events.length = Math.min(events.length, 12);
  document.getElementById("events").innerHTML = events.map((e) => "<li>" + esc(eventText(e)) + "</li>").join("");
  tick();
};
tick();
setInterval(tick, 1000);
</script>
</body>
</html>
`;
